// Package ratelimit limits how fast one client may call the public
// endpoints (search, subject pages, lists), against bulk scraping of the
// portal. Each client — an authenticated account (API key or session) if
// the server names one, otherwise the remote address — has a token bucket
// in memory. The buckets are per
// node: behind a load balancer each node allows the rate, which bounds a
// scraper by nodes × rate; that is the intended trade-off for stateless
// nodes.
package ratelimit

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/xinyong/xinyong/internal/httpx"
)

// Limiter is a set of token buckets, one per client.
type Limiter struct {
	rate  float64 // tokens per second
	burst float64
	now   func() time.Time

	mu      sync.Mutex
	buckets map[string]*bucket
	calls   int
}

type bucket struct {
	tokens float64
	last   time.Time
}

// New returns a limiter allowing rate requests per second per client with
// bursts of burst. now is the clock (nil = time.Now). A rate <= 0 disables
// limiting.
func New(rate float64, burst int, now func() time.Time) *Limiter {
	if now == nil {
		now = time.Now
	}
	if burst < 1 {
		burst = 1
	}
	return &Limiter{rate: rate, burst: float64(burst), now: now, buckets: make(map[string]*bucket)}
}

// Allow takes a token from client's bucket. When none is left it returns
// false and how long until one is.
func (l *Limiter) Allow(client string) (bool, time.Duration) {
	if l == nil || l.rate <= 0 {
		return true, 0
	}
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.calls++
	if l.calls%4096 == 0 {
		l.sweep(now)
	}
	b, ok := l.buckets[client]
	if !ok {
		b = &bucket{tokens: l.burst, last: now}
		l.buckets[client] = b
	}
	if el := now.Sub(b.last).Seconds(); el > 0 {
		b.tokens = math.Min(l.burst, b.tokens+el*l.rate)
	}
	b.last = now
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	wait := time.Duration((1 - b.tokens) / l.rate * float64(time.Second))
	return false, wait
}

// sweep forgets clients whose bucket has refilled: they cost nothing to
// recreate.
func (l *Limiter) sweep(now time.Time) {
	full := time.Duration(l.burst / l.rate * float64(time.Second))
	for k, b := range l.buckets {
		if now.Sub(b.last) > full {
			delete(l.buckets, k)
		}
	}
}

// Client names the caller of r by its remote address. A server that can
// authenticate callers passes its own function to Middleware, so that a
// signed-in account or a valid API key gets its own bucket (and a made-up
// key does not: it would let a scraper mint buckets at will).
func Client(r *http.Request) string {
	return "ip:" + httpx.RemoteIP(r)
}

// AccountClient names an authenticated account; the caller passes the
// account ID, or "" for an anonymous or unauthenticated request, which
// falls back to the remote address.
func AccountClient(r *http.Request, accountID string) string {
	if accountID != "" {
		h := sha256.Sum256([]byte(accountID))
		return "acct:" + hex.EncodeToString(h[:8])
	}
	return Client(r)
}

// Middleware limits the requests for which public returns true. A refused
// request gets 429 with Retry-After in whole seconds: JSON under /api/,
// a short HTML page elsewhere.
func (l *Limiter) Middleware(public func(*http.Request) bool, client func(*http.Request) string, next http.Handler) http.Handler {
	if client == nil {
		client = Client
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !public(r) {
			next.ServeHTTP(w, r)
			return
		}
		ok, wait := l.Allow(client(r))
		if ok {
			next.ServeHTTP(w, r)
			return
		}
		secs := int(math.Ceil(wait.Seconds()))
		if secs < 1 {
			secs = 1
		}
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		w.Header().Set("Cache-Control", "no-store")
		if strings.HasPrefix(r.URL.Path, "/api/") {
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			w.WriteHeader(http.StatusTooManyRequests)
			_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]string{
				"kind":    "rate_limited",
				"message": "too many requests from this client; retry after " + strconv.Itoa(secs) + " s",
			}})
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusTooManyRequests)
		_, _ = w.Write([]byte(`<!doctype html><html lang="zh-CN"><meta charset="utf-8"><title>请求过于频繁 · Too many requests</title>` +
			`<h1>请求过于频繁</h1><p>请 ` + strconv.Itoa(secs) + ` 秒后再试。</p>` +
			`<p lang="en">Too many requests. Please retry in ` + strconv.Itoa(secs) + ` s.</p></html>`))
	})
}

// PublicPath reports whether r is a public read that the limiter guards:
// search, subject pages and lists, in the portal and the API.
func PublicPath(r *http.Request) bool {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return false
	}
	p := r.URL.Path
	// Non-public reads (a credit file, an identity) are audited per
	// account instead.
	if strings.HasSuffix(p, "/records") || strings.HasSuffix(p, "/identity") || strings.HasSuffix(p, "/file") {
		return false
	}
	for _, pre := range []string{"/search", "/subjects/", "/lists/", "/publicity", "/api/v1/search", "/api/v1/subjects", "/api/v1/lists/"} {
		if p == pre || strings.HasPrefix(p, pre) {
			return true
		}
	}
	return false
}
