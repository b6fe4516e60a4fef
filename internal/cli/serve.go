package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/xinyong/xinyong/internal/config"
	"github.com/xinyong/xinyong/internal/demo"
	"github.com/xinyong/xinyong/internal/gcpace"
	"github.com/xinyong/xinyong/internal/pii"
	"github.com/xinyong/xinyong/internal/records"
	"github.com/xinyong/xinyong/internal/sanction"
	"github.com/xinyong/xinyong/internal/search"
	"github.com/xinyong/xinyong/internal/server"
)

func runServe(args []string, stdout, stderr io.Writer) int {
	var cfg config.Config
	var demoData bool
	fs := newFlagSet("serve", "serve [--demo] [flags]", stdout)
	cfg.Register(fs)
	cfg.RegisterServe(fs)
	fs.BoolVar(&demoData, "demo", false, "load demo subjects, records and accounts into an empty store (prints the demo logins)")
	if code, done := parse(fs, args, stderr); done {
		return code
	}
	if err := cfg.Validate(); err != nil {
		return fail(stderr, "serve", err)
	}
	logger := cfg.Logger()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	switch pct, ok := cfg.GCTarget(); {
	case !ok:
		logger.Info("garbage collector target from GOGC", "GOGC", os.Getenv("GOGC"))
	case pct == 0:
		go gcpace.Run(ctx, logger, gcpace.Interval, nil, nil)
	default:
		debug.SetGCPercent(pct)
		logger.Info("garbage collector target set", "percent", pct)
	}

	cat, err := loadCatalog(&cfg)
	if err != nil {
		return fail(stderr, "serve", err)
	}
	st, seal, err := openSealed(ctx, &cfg, cat, logger)
	if err != nil {
		return fail(stderr, "serve", err)
	}
	defer st.Close()
	if strings.TrimSpace(cfg.DataKey) == "" && !cfg.Postgres() {
		go followKeyFile(ctx, &cfg, st, seal, logger, keyFileInterval)
	}
	logger.Info("store ready", "backend", st.Backend(), "db", cfg.Redacted(), "catalog", cat.Version)

	svc := &records.Service{Store: st, Catalog: cat, Sealer: seal, Now: time.Now}
	if demoData {
		logins, err := demo.Seed(ctx, svc, demo.Options{})
		if err != nil {
			return fail(stderr, "serve", err)
		}
		demo.PrintLogins(stdout, logins)
	}
	cal, err := loadCalendar(&cfg)
	if err != nil {
		return fail(stderr, "serve", err)
	}
	sanc, err := sanction.New(ctx, sanction.Config{Store: st, Catalog: cat, Sealer: seal, Logger: logger, Now: time.Now, Calendar: cal})
	if err != nil {
		return fail(stderr, "serve", err)
	}
	// Lists decided elsewhere (the demo's court file) become entries now,
	// not at the first poll.
	if err := sanc.Sync(ctx); err != nil {
		return fail(stderr, "serve", err)
	}
	if demoData {
		if err := demo.SeedLists(ctx, svc, sanc); err != nil {
			return fail(stderr, "serve", err)
		}
	}
	go sanc.Run(ctx)
	defer func() {
		// Every answered check must reach the checks log.
		cctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := sanc.Close(cctx); err != nil {
			logger.Error("checks log", "err", err)
		}
	}()
	// The search index is a cache of the store: load it now, then follow
	// the store every second for writes made by other nodes.
	var idx *search.Index
	if cfg.SearchIndex {
		idx = search.New()
		start := time.Now()
		n, err := idx.Refresh(ctx, st, func(n int) {
			if n%100000 == 0 {
				logger.Info("loading search index", "subjects", n)
			}
		})
		if err != nil {
			return fail(stderr, "serve", err)
		}
		logger.Info("search index ready", "read", n, "indexed", idx.Len(), "took", time.Since(start).Round(time.Millisecond).String())
		go idx.Follow(ctx, st, time.Second, func(err error) { logger.Warn("search index refresh failed; retrying", "err", err) })
	} else {
		logger.Info("no search index on this node (--search-index=false): name searches scan the store")
	}
	// Uploads wait in the spool under the data directory; what a crash
	// left there is removed now.
	releaseSpool, err := openSpool(cfg.SpoolPath(), logger)
	if err != nil {
		return fail(stderr, "serve", err)
	}
	defer releaseSpool()
	wf, err := startWorkflow(ctx, cal, st, svc, cat, sanc, logger)
	if err != nil {
		return fail(stderr, "serve", err)
	}
	reg := prometheus.NewRegistry()
	h, err := server.New(server.Deps{
		Store: st, Catalog: cat, Records: svc, Sealer: seal,
		Logger: logger, Now: time.Now, Version: Version, Sanction: sanc,
		Search: idx, NoSearchIndex: idx == nil, PublicRate: cfg.PublicRate, PublicBurst: cfg.PublicBurst,
		Workflow: wf, CalendarDir: calendarDir(&cfg), TrustedProxies: cfg.Proxies(), SpoolDir: cfg.SpoolPath(),
		Metrics: reg, MaxUpload: cfg.MaxUpload, MaxRejectRows: cfg.MaxRejectRows, SecureCookies: cfg.SecureCookies,
		// Not ready once a key rotation has begun to replace or has
		// retired this node's key (pii.Usable).
		KeyCheck: func(ctx context.Context) error { return pii.Usable(ctx, st, seal) },
	})
	if err != nil {
		return fail(stderr, "serve", err)
	}
	if cfg.TrustedProxies != "" {
		logger.Info("behind trusted proxies: X-Forwarded-For from them names the client", "proxies", cfg.TrustedProxies)
	}
	// Both addresses are bound before either serves, so that a taken
	// port stops the start instead of leaving a node without metrics.
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fail(stderr, "serve", fmt.Errorf("--addr %s: %w", cfg.Addr, err))
	}
	var mln net.Listener
	if cfg.MetricsAddr != "" {
		if mln, err = net.Listen("tcp", cfg.MetricsAddr); err != nil {
			ln.Close()
			return fail(stderr, "serve", fmt.Errorf("--metrics-addr %s: %w (give another address, or an empty one to serve no metrics)", cfg.MetricsAddr, err))
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	lim := server.Limits{BodyIdle: cfg.UploadIdle}
	errc := make(chan error, 2)
	logger.Info("listening", "addr", "http://"+cfg.Addr, "max_upload", cfg.MaxUpload, "upload_idle_timeout", cfg.UploadIdle.String(), "secure_cookies", cfg.SecureCookies)
	go func() { errc <- server.Serve(ctx, ln, h, logger, lim); cancel() }()
	n := 1
	if mln != nil {
		n++
		logger.Info("metrics", "addr", "http://"+cfg.MetricsAddr+"/metrics")
		go func() { errc <- server.Serve(ctx, mln, server.MetricsHandler(reg), logger, server.Limits{}); cancel() }()
	} else {
		logger.Info("metrics are not served (--metrics-addr is empty)")
	}
	code := 0
	for range n {
		if err := <-errc; err != nil && !errors.Is(err, context.Canceled) {
			code = fail(stderr, "serve", err)
		}
	}
	return code
}
