package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/xinyong/xinyong/internal/app"
	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/config"
	"github.com/xinyong/xinyong/internal/demo"
	"github.com/xinyong/xinyong/internal/gcpace"
	"github.com/xinyong/xinyong/internal/pii"
	"github.com/xinyong/xinyong/internal/server"
	"github.com/xinyong/xinyong/internal/web"
)

func runServe(args []string, stdout, stderr io.Writer) int {
	var cfg config.Config
	var demoData bool
	var site config.Site
	fs := newFlagSet("serve", "serve [--demo] [flags]", stdout)
	cfg.Register(fs)
	cfg.RegisterServe(fs)
	site.Register(fs)
	cfg.RegisterExchange(fs)
	fs.BoolVar(&demoData, "demo", false, "load demo subjects, records and accounts into an empty store (prints the demo logins)")
	if code, done := parse(fs, args, stderr); done {
		return code
	}
	if err := cfg.Validate(); err != nil {
		return fail(stderr, "serve", err)
	}
	// Every request is logged: lines go out in batches (at most
	// config.LogFlushPeriod late), not in a write each.
	logBuf := config.NewLogBuffer(os.Stderr, config.LogFlushPeriod)
	defer logBuf.Close()
	logger := cfg.LoggerTo(logBuf)
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

	var progress func(n int)
	if cfg.SearchIndex {
		progress = func(n int) {
			if n%100000 == 0 {
				logger.Info("loading search index", "subjects", n)
			}
		}
	} else {
		logger.Info("no search index on this node (--search-index=false): name searches scan the store")
	}
	node, err := app.Open(ctx, &cfg, app.Parts{Logger: logger, NoSearchIndex: !cfg.SearchIndex, SearchProgress: progress, IndexDir: cfg.IndexPath(), WithExchange: true})
	if err != nil {
		return fail(stderr, "serve", err)
	}
	defer func() {
		// Every answered check must reach the checks log.
		cctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := node.Close(cctx); err != nil {
			logger.Error("closing the node", "err", err)
		}
	}()
	if demoData {
		// The demo business system's key is kept with the data, so that a
		// restart does not change it.
		keyFile := filepath.Join("data", "demo-procurement.key")
		if !cfg.Postgres() {
			keyFile = filepath.Join(filepath.Dir(cfg.DB), "demo-procurement.key")
		}
		logins, err := demo.Seed(ctx, node, demo.Options{KeyFile: keyFile})
		if err != nil {
			return fail(stderr, "serve", err)
		}
		demo.PrintLogins(stdout, logins)
	}
	// Uploads wait in the spool under the data directory; what a crash
	// left there is removed now.
	releaseSpool, err := openSpool(cfg.SpoolPath(), logger)
	if err != nil {
		return fail(stderr, "serve", err)
	}
	defer releaseSpool()
	reg := prometheus.NewRegistry()
	var idp *auth.OIDC
	if o := cfg.OIDC; o.Issuer != "" {
		if idp, err = auth.NewOIDC(auth.OIDCConfig{Issuer: o.Issuer, ClientID: o.ClientID, ClientSecret: o.ClientSecret,
			RedirectURL: o.RedirectURL, OrgClaim: o.OrgClaim, PersonClaim: o.PersonClaim, Label: o.Label}, node.Now); err != nil {
			return fail(stderr, "serve", err)
		}
		logger.Info("subjects sign in through the identity provider", "issuer", o.Issuer)
	}
	h, err := server.New(node.Deps(app.HTTP{
		OIDC:    idp,
		Version: version(), PublicRate: cfg.PublicRate, PublicBurst: cfg.PublicBurst,
		TrustedProxies: cfg.Proxies(), SpoolDir: cfg.SpoolPath(), Metrics: reg,
		MaxUpload: cfg.MaxUpload, MaxRejectRows: cfg.MaxRejectRows, SecureCookies: cfg.SecureCookies,
		Site: web.Site{Operator: site.Operator, OperatorEn: site.OperatorEn, ICP: site.ICP, Police: site.Police},
		// Not ready once a key rotation has begun to replace or has
		// retired this node's key (pii.Usable).
		KeyCheck: func(ctx context.Context) error { return pii.Usable(ctx, node.Store, node.Sealer) },
	}))
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
	loops := make(chan struct{})
	go func() { node.Run(ctx); close(loops) }()
	defer func() { cancel(); <-loops }()
	lim := server.Limits{BodyIdle: cfg.UploadIdle}
	errc := make(chan error, 2)
	logger.Info("listening", "addr", "http://"+cfg.Addr, "max_upload", cfg.MaxUpload, "upload_idle_timeout", cfg.UploadIdle.String(), "secure_cookies", cfg.SecureCookies)
	go func() { errc <- server.Serve(ctx, ln, h, logger, lim); cancel() }()
	n := 1
	if mln != nil {
		n++
		logger.Info("metrics", "addr", "http://"+cfg.MetricsAddr+"/metrics", "profiles", cfg.Profiles)
		go func() {
			errc <- server.Serve(ctx, mln, server.MetricsHandler(reg, cfg.Profiles), logger, server.Limits{})
			cancel()
		}()
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
