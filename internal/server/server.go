// Package server assembles the HTTP surface of one Xinyong node: the JSON
// API, the portal, health and readiness probes, behind request IDs, access
// logs, panic recovery and metrics, and the Prometheus metrics handler,
// served on a listener of its own (MetricsHandler). It keeps no state of
// its own, so any number of nodes can serve the same store.
package server

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"net/netip"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/xinyong/xinyong/internal/api"
	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/commit"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/evaluation"
	"github.com/xinyong/xinyong/internal/exchange"
	"github.com/xinyong/xinyong/internal/httpx"
	"github.com/xinyong/xinyong/internal/inspection"
	"github.com/xinyong/xinyong/internal/monitor"
	"github.com/xinyong/xinyong/internal/pii"
	"github.com/xinyong/xinyong/internal/publish"
	"github.com/xinyong/xinyong/internal/ratelimit"
	"github.com/xinyong/xinyong/internal/records"
	"github.com/xinyong/xinyong/internal/report"
	"github.com/xinyong/xinyong/internal/sanction"
	"github.com/xinyong/xinyong/internal/search"
	"github.com/xinyong/xinyong/internal/sitecontent"
	"github.com/xinyong/xinyong/internal/web"
	"github.com/xinyong/xinyong/internal/workday"
	"github.com/xinyong/xinyong/internal/workflow"
)

// Deps are the parts a server is built from: the node's services, built
// and wired by internal/app, and the settings of its HTTP surface. New
// changes none of them.
type Deps struct {
	Store    credit.Store
	Catalog  *catalog.Catalog
	Records  *records.Service
	Sealer   *pii.Sealer
	Logger   *slog.Logger
	Now      func() time.Time
	Version  string
	Workflow *workflow.Service
	// CalendarDir is where administrators' calendar years are saved.
	CalendarDir string
	// Calendar is the one working-day calendar of every deadline.
	Calendar *workday.Calendar
	// Sanction serves lists, the hit check and feedback (optional).
	Sanction *sanction.Service
	// Search is the name index; nil on a node without one, whose name
	// searches scan the store (GET /api/v1/search answers 503).
	Search *search.Index
	// Publish decides visibility for every handler and page; Marks feeds
	// it the workflows' marks.
	Publish *publish.Engine
	Marks   publish.MarkSource
	// PublicRate and PublicBurst limit public reads (search, subject
	// pages, lists) per client; a rate <= 0 disables the limit.
	PublicRate  float64
	PublicBurst int
	// LoginGuard limits failed password logins, for the API and the
	// portal together.
	LoginGuard *auth.LoginGuard
	// TrustedProxies are the reverse proxies in front of the node: from
	// them X-Forwarded-For names the client (httpx.ClientIP).
	TrustedProxies []netip.Prefix
	// Metrics is the registry the node's HTTP, Go and process metrics
	// are registered in; nil makes a private one. The main handler does
	// not serve it: MetricsHandler does, on another address.
	Metrics *prometheus.Registry
	// MaxUpload bounds an uploaded file or form with files, in bytes
	// (api.DefaultMaxUpload when 0); MaxRejectRows caps the rejected rows
	// stored per batch (ingest.DefaultMaxRejectRows when 0).
	MaxUpload     int64
	MaxRejectRows int
	// SecureCookies marks every cookie Secure, whatever the request or the
	// proxy headers say about TLS.
	SecureCookies bool
	// SpoolDir is where uploaded batch files wait (api.Config.SpoolDir).
	SpoolDir string
	// Commit serves commitments, their tracking and self-declared
	// information (optional: nil leaves those routes answering 503 and
	// those pages out).
	Commit *commit.Service
	// KeyCheck, when set, tells /readyz whether the store still accepts
	// the node's data key (pii.Usable): a node whose key a rotation has
	// replaced must not take traffic.
	KeyCheck func(context.Context) error
	// Reports are the credit reports, authorisations, transparency log
	// and published keys.
	Reports *report.Platform
	// Exchange serves the feeds to peers and the exchange console
	// (optional).
	Exchange *exchange.Service
	// Monitor is the city credit monitoring (optional).
	Monitor *monitor.Service
	// OIDC signs companies and persons in through an identity provider
	// (optional: nil offers password sign-in only).
	OIDC *auth.OIDC
	// Site names who runs the portal (web.Site), in its footer.
	Site web.Site
	// SiteContent keeps the portal's 通知公告 and 政策法规 (optional).
	SiteContent *sitecontent.Service
	// Inspection serves random inspection tasks, their draws and
	// published results (optional).
	Inspection *inspection.Service
	// Evaluation is the public credit evaluation and graded supervision
	// (optional: nil leaves its routes answering 503 and its sections out).
	Evaluation *evaluation.Service
}

// readyTimeout bounds the readiness probe's store ping: a load balancer
// must learn quickly that a node cannot reach its database.
const readyTimeout = 2 * time.Second

// New builds the node's HTTP handler from d, which it does not change.
func New(d Deps) (http.Handler, error) {
	if d.Store == nil || d.Catalog == nil || d.Records == nil || d.Workflow == nil || d.Publish == nil || d.Marks == nil || d.LoginGuard == nil {
		return nil, errors.New("server: Store, Catalog, Records, Workflow, Publish, Marks and LoginGuard are required (internal/app builds them)")
	}
	if d.Logger == nil {
		d.Logger = slog.Default()
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	a, err := api.New(api.Config{
		Store: d.Store, Catalog: d.Catalog, Records: d.Records, Sealer: d.Sealer,
		Logger: d.Logger, Now: d.Now, Workflow: d.Workflow, CalendarDir: d.CalendarDir, Sanction: d.Sanction,
		Publish: d.Publish, Marks: d.Marks, Search: d.Search, LoginGuard: d.LoginGuard, SpoolDir: d.SpoolDir,
		MaxUpload: d.MaxUpload, MaxRejectRows: d.MaxRejectRows,
		Commit: d.Commit, Reports: d.Reports,
		Exchange: d.Exchange, SiteContent: d.SiteContent,
		Monitor: d.Monitor, Inspection: d.Inspection, Evaluation: d.Evaluation,
	})
	if err != nil {
		return nil, err
	}
	portal, err := web.New(web.Config{Store: d.Store, Catalog: d.Catalog, Logger: d.Logger, Now: d.Now, Version: d.Version,
		Records: d.Records, Publish: d.Publish, Marks: d.Marks, Search: d.Search, Workflow: d.Workflow, Sanction: d.Sanction,
		LoginGuard: d.LoginGuard, MaxUpload: d.MaxUpload,
		Commit: d.Commit, Reports: d.Reports,
		Exchange: d.Exchange, Monitor: d.Monitor,
		OIDC: d.OIDC, Sealer: d.Sealer, CalendarDir: d.CalendarDir,
		Site: d.Site, SiteContent: d.SiteContent, Inspection: d.Inspection, Evaluation: d.Evaluation})
	if err != nil {
		return nil, err
	}

	// A registry per server, not the global default, so that tests (and a
	// process hosting two servers) do not collide on registration.
	reg := d.Metrics
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if d.Exchange != nil {
		if err := d.Exchange.RegisterMetrics(reg); err != nil {
			return nil, err
		}
	}
	m, err := httpx.NewMetrics(reg)
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
	h = httpx.Recover(d.Logger, h)
	h = httpx.Observe(d.Logger, m, h)
	h = httpx.RequestID(h)
	// Before anything reads the client's address.
	h = httpx.ClientIP(d.TrustedProxies, h)
	if d.SecureCookies {
		next := h
		h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			next.ServeHTTP(w, r.WithContext(auth.WithSecureCookies(r.Context())))
		})
	}
	return h, nil
}

// MetricsHandler serves the registry in the Prometheus format. It belongs
// on an address of its own (serve --metrics-addr, loopback by default):
// request counts by route, timings and the process's figures are no
// business of the public.
//
// With profiles, it also serves the Go runtime's profiles under
// /debug/pprof/ (net/http/pprof), so that an operator can see where a
// node's CPU and memory go under real load. They name the code, not the
// data, but take CPU while they run, so they are off unless asked for, and
// only ever on this listener.
func MetricsHandler(reg *prometheus.Registry, profiles bool) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
	if profiles {
		mux.HandleFunc("GET /debug/pprof/", pprof.Index)
		mux.HandleFunc("GET /debug/pprof/cmdline", pprof.Cmdline)
		mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("GET /debug/pprof/symbol", pprof.Symbol)
		mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
	}
	return mux
}

// idleBodies gives each request body a read deadline that every read
// pushes back by idle, so that a body is cut when it stalls rather than
// when it is long, and a write deadline writeTimeout after its last read,
// so that a long upload still gets its answer. It must wrap the server's
// own ResponseWriter (or ones that Unwrap to it), which
// http.ResponseController needs to reach the connection.
func idleBodies(h http.Handler, idle time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body != nil && r.Body != http.NoBody {
			b := &idleBody{ReadCloser: r.Body, rc: http.NewResponseController(w), idle: idle}
			// At once, so that a body nobody reads is bounded too when the
			// server drains it after the handler.
			b.push(time.Now())
			r.Body = b
		}
		h.ServeHTTP(w, r)
	})
}

type idleBody struct {
	io.ReadCloser
	rc   *http.ResponseController
	idle time.Duration
}

func (b *idleBody) push(now time.Time) {
	// Errors mean the connection cannot take deadlines (a test
	// recorder): the body is then simply not bounded.
	_ = b.rc.SetReadDeadline(now.Add(b.idle))
	_ = b.rc.SetWriteDeadline(now.Add(b.idle + writeTimeout))
}

func (b *idleBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	switch {
	case errors.Is(err, io.EOF):
		// The body is whole. The server now reads on in the background
		// to notice a client that goes away, and a deadline passing
		// there would cancel the handler's context: there is none while
		// the handler works.
		_ = b.rc.SetReadDeadline(time.Time{})
		_ = b.rc.SetWriteDeadline(time.Now().Add(writeTimeout))
	case n > 0:
		b.push(time.Now())
	}
	return n, err
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

// Limits bound slow clients on a listener; zero fields take the defaults.
type Limits struct {
	// BodyIdle cuts a request body that sends nothing for this long
	// (DefaultBodyIdle). A body that keeps coming takes as long as it
	// needs: a 200 MiB file over a slow county line is slow, not an
	// attack, while a connection that stalls is cut.
	BodyIdle time.Duration
}

// Slow-client limits. Headers must arrive promptly (slowloris); bodies are
// limited by idle time, not total time (Limits.BodyIdle); the response
// must be written within writeTimeout of the last byte of the body, which
// leaves room for a large search or report page.
const (
	DefaultBodyIdle   = 30 * time.Second
	readHeaderTimeout = 10 * time.Second
	writeTimeout      = 120 * time.Second
)

// Run listens on addr and serves h until ctx is cancelled, then shuts down
// gracefully. It returns nil after a clean shutdown.
func Run(ctx context.Context, addr string, h http.Handler, logger *slog.Logger, lim Limits) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	return Serve(ctx, ln, h, logger, lim)
}

// Serve is Run on a listener the caller opened (tests use port 0).
func Serve(ctx context.Context, ln net.Listener, h http.Handler, logger *slog.Logger, lim Limits) error {
	if logger == nil {
		logger = slog.Default()
	}
	if lim.BodyIdle <= 0 {
		lim.BodyIdle = DefaultBodyIdle
	}
	srv := &http.Server{
		Handler:           idleBodies(h, lim.BodyIdle),
		ReadHeaderTimeout: readHeaderTimeout,
		WriteTimeout:      writeTimeout,
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
