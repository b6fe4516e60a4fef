// Package server assembles the HTTP surface of one Xinyong node: the JSON
// API, the portal, health and readiness probes and Prometheus metrics,
// behind request IDs, access logs, panic recovery and metrics. It keeps no
// state of its own, so any number of nodes can serve the same store.
package server

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/xinyong/xinyong/internal/api"
	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/pii"
	"github.com/xinyong/xinyong/internal/publish"
	"github.com/xinyong/xinyong/internal/ratelimit"
	"github.com/xinyong/xinyong/internal/records"
	"github.com/xinyong/xinyong/internal/sanction"
	"github.com/xinyong/xinyong/internal/search"
	"github.com/xinyong/xinyong/internal/server/middleware"
	"github.com/xinyong/xinyong/internal/web"
	"github.com/xinyong/xinyong/internal/workflow"
)

// Deps are the parts a server is built from.
type Deps struct {
	Store   credit.Store
	Catalog *catalog.Catalog
	Records *records.Service
	Sealer  *pii.Sealer
	Logger  *slog.Logger
	Now     func() time.Time
	Version string
	// Workflow runs objections and repairs; nil builds one with the
	// embedded calendar and default time limits.
	Workflow *workflow.Service
	// CalendarDir is where administrators' calendar years are saved.
	CalendarDir string
	// Sanction serves lists, the hit check and feedback (optional).
	Sanction *sanction.Service

	// Search is the name index; nil builds one and loads it from Store,
	// unless NoSearchIndex is set: then the node holds none and its name
	// searches scan the store (GET /api/v1/search answers 503).
	// New hooks it to Records, so that this node's own writes are
	// searchable at once; `serve` also follows the store every second for
	// other nodes' writes.
	Search        *search.Index
	NoSearchIndex bool
	// Publish decides visibility for every handler and page; nil builds
	// one over Catalog and Now. Marks feeds it workflow marks.
	Publish *publish.Engine
	Marks   publish.MarkSource
	// PublicRate and PublicBurst limit public reads (search, subject
	// pages, lists) per client; a rate <= 0 disables the limit.
	PublicRate  float64
	PublicBurst int
	// LoginGuard limits failed password logins, for the API and the
	// portal together; nil builds one with the defaults.
	LoginGuard *auth.LoginGuard
	// TrustedProxies are the reverse proxies in front of the node: from
	// them X-Forwarded-For names the client (middleware.ClientIP).
	TrustedProxies []netip.Prefix
	// SpoolDir is where uploaded batch files wait (api.Config.SpoolDir).
	SpoolDir string
	// KeyCheck, when set, tells /readyz whether the store still accepts
	// the node's data key (pii.Usable): a node whose key a rotation has
	// replaced must not take traffic.
	KeyCheck func(context.Context) error
}

// readyTimeout bounds the readiness probe's store ping: a load balancer
// must learn quickly that a node cannot reach its database.
const readyTimeout = 2 * time.Second

// New builds the node's HTTP handler.
func New(d Deps) (http.Handler, error) {
	if d.Store == nil || d.Catalog == nil || d.Records == nil {
		return nil, errors.New("server: Store, Catalog and Records are required")
	}
	if d.Logger == nil {
		d.Logger = slog.Default()
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Publish == nil {
		d.Publish = publish.New(d.Catalog, d.Now)
	}
	if d.Search == nil && !d.NoSearchIndex {
		d.Search = search.New()
		if _, err := d.Search.Refresh(context.Background(), d.Store, nil); err != nil {
			return nil, err
		}
	}
	// This node's own registrations and renames are searchable at once;
	// `serve` also follows the store for other nodes' writes.
	if idx, prev := d.Search, d.Records.SubjectChanged; idx != nil {
		d.Records.SubjectChanged = func(ctx context.Context, s *credit.Subject) {
			if prev != nil {
				prev(ctx, s)
			}
			idx.Put(credit.SubjectName{ID: s.ID, Kind: s.Kind, Code: s.Code, Name: s.Name, FormerNames: s.FormerNames, UpdatedAt: s.UpdatedAt})
		}
	}
	if d.Sanction != nil && d.Publish.Entries == nil {
		// List decisions made on the platform appear on the list pages.
		d.Publish.Entries = d.Sanction
	}
	if d.Workflow == nil {
		cfg := workflow.Config{Store: d.Store, Records: d.Records, Catalog: d.Catalog, Logger: d.Logger, Now: d.Now}
		if d.Sanction != nil {
			// Objections suspend measures in the hit check; repairs remove
			// list entries; bankruptcy masking suspends them.
			cfg.Suspender, cfg.Lists = workflow.SanctionGate{S: d.Sanction}, workflow.SanctionGate{S: d.Sanction}
		}
		wf, err := workflow.New(cfg)
		if err != nil {
			return nil, err
		}
		d.Workflow = wf
	}
	if d.Marks == nil {
		// The workflows' marks (under objection, under repair, repaired,
		// masked) decide with the engine what every page shows.
		d.Marks = workflow.PublishMarks{S: d.Workflow}
	}
	if d.LoginGuard == nil {
		d.LoginGuard = &auth.LoginGuard{Now: d.Now, Store: d.Store}
	}
	a, err := api.New(api.Config{
		Store: d.Store, Catalog: d.Catalog, Records: d.Records, Sealer: d.Sealer,
		Logger: d.Logger, Now: d.Now, Workflow: d.Workflow, CalendarDir: d.CalendarDir, Sanction: d.Sanction,
		Publish: d.Publish, Marks: d.Marks, Search: d.Search, LoginGuard: d.LoginGuard, SpoolDir: d.SpoolDir,
	})
	if err != nil {
		return nil, err
	}
	portal, err := web.New(web.Config{Store: d.Store, Catalog: d.Catalog, Logger: d.Logger, Now: d.Now, Version: d.Version,
		Records: d.Records, Publish: d.Publish, Marks: d.Marks, Search: d.Search, Workflow: d.Workflow, Sanction: d.Sanction,
		LoginGuard: d.LoginGuard})
	if err != nil {
		return nil, err
	}

	// A registry per server, not the global default, so that tests (and a
	// process hosting two servers) do not collide on registration.
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m, err := middleware.NewMetrics(reg)
	if err != nil {
		return nil, err
	}

	mux := http.NewServeMux()
	mux.Handle("/api/", a)
	mux.Handle("/", portal)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok", "version": d.Version})
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
		defer cancel()
		if err := d.Store.Ping(ctx); err != nil {
			reason := "store " + d.Store.Backend() + ": " + err.Error()
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				reason = "store " + d.Store.Backend() + ": no answer within " + readyTimeout.String()
			}
			d.Logger.Warn("not ready", "reason", reason)
			writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "reason": reason})
			return
		}
		if d.KeyCheck != nil {
			if err := d.KeyCheck(ctx); err != nil {
				reason := "data key: " + err.Error()
				d.Logger.Warn("not ready", "reason", reason)
				writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "reason": reason})
				return
			}
		}
		writeJSON(w, http.StatusOK, map[string]string{"status": "ready", "store": d.Store.Backend()})
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))

	// Outermost first: the request ID exists before anything logs; Observe
	// sees the final status, including the 500 that Recover writes; Recover
	// sits directly around the mux so a panic anywhere below is caught.
	var h http.Handler = mux
	// Public reads are limited per client: an account that authenticates
	// (API key or session) has its own bucket, anyone else shares the
	// bucket of the address.
	authn := &auth.Authenticator{Store: d.Store, Now: d.Now}
	clientOf := func(r *http.Request) string {
		if r.Header.Get("Authorization") == "" && r.Header.Get("X-API-Key") == "" {
			if _, err := r.Cookie(auth.SessionCookie); err != nil {
				return ratelimit.Client(r) // no credentials: no lookup
			}
		}
		if p, err := authn.Authenticate(r); err == nil && p.Authenticated() {
			return ratelimit.AccountClient(r, p.Account.ID)
		}
		return ratelimit.Client(r)
	}
	h = ratelimit.New(d.PublicRate, d.PublicBurst, d.Now).Middleware(ratelimit.PublicPath, clientOf, h)
	h = middleware.Recover(d.Logger, h)
	h = middleware.Observe(d.Logger, m, h)
	h = middleware.RequestID(h)
	// Before anything reads the client's address.
	h = middleware.ClientIP(d.TrustedProxies, h)
	return h, nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// shutdownGrace is how long in-flight requests get to finish after the
// context is cancelled.
const shutdownGrace = 15 * time.Second

// Run listens on addr and serves h until ctx is cancelled, then shuts down
// gracefully. It returns nil after a clean shutdown.
func Run(ctx context.Context, addr string, h http.Handler, logger *slog.Logger) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	return Serve(ctx, ln, h, logger)
}

// Serve is Run on a listener the caller opened (tests use port 0).
func Serve(ctx context.Context, ln net.Listener, h http.Handler, logger *slog.Logger) error {
	if logger == nil {
		logger = slog.Default()
	}
	srv := &http.Server{
		Handler: h,
		// Slow-client limits: headers must arrive promptly (slowloris);
		// bodies are small (bulk files go through import); WriteTimeout
		// leaves room for a large search or report page.
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      120 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	logger.Info("shutting down", "grace", shutdownGrace.String())
	sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		_ = srv.Close()
		return err
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
