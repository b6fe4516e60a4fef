// Package httpx holds the HTTP plumbing shared by the API, the portal,
// the rate limiter and the server: request IDs, the client's address
// behind trusted proxies, access logging, panic recovery and metrics. It
// imports none of them, so that each can use it without importing the
// server that mounts them.
package httpx

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/xinyong/xinyong/internal/pii"
)

type ctxKey int

const requestIDKey ctxKey = iota

// RequestIDHeader carries the request ID in and out.
const RequestIDHeader = "X-Request-ID"

// IDFrom returns the request ID stored in ctx, or "".
func IDFrom(ctx context.Context) string {
	s, _ := ctx.Value(requestIDKey).(string)
	return s
}

// WithID returns ctx carrying the request ID id.
func WithID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey, id)
}

// saneID accepts an ID from a front proxy only if it cannot smuggle
// anything into logs: short, and plain characters.
func saneID(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

func newID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// RequestID gives every request an ID, reusing the front proxy's when it
// is sane, so one request can be followed from the proxy through our logs
// to an error message a user quotes.
func RequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get(RequestIDHeader)
		if !saneID(id) {
			id = newID()
		}
		w.Header().Set(RequestIDHeader, id)
		next.ServeHTTP(w, r.WithContext(WithID(r.Context(), id)))
	})
}

// statusWriter remembers the status and size written.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach Flush and deadlines.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *statusWriter) code() int {
	if w.status == 0 {
		return http.StatusOK
	}
	return w.status
}

// Metrics are the HTTP metrics of one server.
type Metrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

// NewMetrics registers the HTTP metrics in reg. Each server gets its own
// registry so that tests building many servers do not collide.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "xinyong_http_requests_total",
			Help: "HTTP requests served, by route pattern, method and status.",
		}, []string{"route", "method", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "xinyong_http_request_duration_seconds",
			Help:    "Time to serve HTTP requests, by route pattern, method and status.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"route", "method", "status"}),
	}
	for _, c := range []prometheus.Collector{m.requests, m.duration} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("register metrics: %w", err)
		}
	}
	return m, nil
}

// knownMethods bounds the method label: a scanner sending random verbs
// must not create unbounded series.
var knownMethods = map[string]bool{
	http.MethodGet: true, http.MethodHead: true, http.MethodPost: true, http.MethodPut: true,
	http.MethodPatch: true, http.MethodDelete: true, http.MethodOptions: true,
}

// Observe logs each request and counts it in m (m may be nil). The route
// label is the ServeMux pattern that matched (r.Pattern), not the path, so
// /subjects/{id} is one series however many subjects there are; ServeMux
// sets the pattern on the request it is given, which is why Observe must
// hand the same *http.Request down unchanged and sit inside RequestID.
func Observe(logger *slog.Logger, m *Metrics, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		end := time.Now()
		d := end.Sub(start)
		status := sw.code()
		route := r.Pattern
		if route == "" {
			route = "unmatched"
		}
		method := r.Method
		if !knownMethods[method] {
			method = "OTHER"
		}
		if m != nil {
			code := strconv.Itoa(status)
			m.requests.WithLabelValues(route, method, code).Inc()
			m.duration.WithLabelValues(route, method, code).Observe(d.Seconds())
		}
		level := slog.LevelInfo
		if status >= 500 {
			level = slog.LevelError
		}
		// The record is handed to the handler directly: Logger.LogAttrs
		// would walk the stack for a source position the handlers are not
		// asked to print, about a microsecond of every request.
		ctx := r.Context()
		h := logger.Handler()
		if !h.Enabled(ctx, level) {
			return
		}
		rec := slog.NewRecord(end, level, "http", 0)
		// The query string is left out: search terms may be personal names.
		rec.AddAttrs(
			slog.String("id", IDFrom(ctx)),
			slog.String("method", r.Method),
			slog.String("path", pii.RedactIDs(r.URL.Path)),
			slog.String("route", route),
			slog.Int("status", status),
			slog.Int64("bytes", sw.bytes),
			slog.Duration("duration", d),
			slog.String("remote", RemoteIP(r)),
		)
		_ = h.Handle(ctx, rec)
	})
}

// Recover turns a panic in a handler into a 500 and a logged stack, so
// one bad request cannot take the process (and every county desk) down.
func Recover(logger *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if err, ok := v.(error); ok && errors.Is(err, http.ErrAbortHandler) {
				// The server's own signal to abort the response; let it through.
				panic(v)
			}
			id := IDFrom(r.Context())
			logger.Error("panic serving request", "id", id, "method", r.Method, "path", pii.RedactIDs(r.URL.Path),
				"panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			// If the handler had already started the response this header
			// is ignored and the client sees a truncated body, which is the
			// best that can be done.
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			w.Header().Set("X-Content-Type-Options", "nosniff")
			w.WriteHeader(http.StatusInternalServerError)
			fmt.Fprintf(w, `{"error":{"kind":"internal","message":"internal error (request %s)"}}`+"\n", id)
		}()
		next.ServeHTTP(w, r)
	})
}

// RemoteIP is the client address for logs, limits and the audit trail:
// the TCP peer, or, behind a configured trusted proxy, the client that
// proxy names (ClientIP rewrites RemoteAddr before anything reads it).
func RemoteIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
