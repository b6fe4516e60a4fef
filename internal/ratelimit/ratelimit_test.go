package ratelimit

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestLimiter(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	l := New(2, 3, func() time.Time { return now })
	for i := range 3 {
		if ok, _ := l.Allow("a"); !ok {
			t.Fatalf("request %d of the burst refused", i+1)
		}
	}
	ok, wait := l.Allow("a")
	if ok || wait != 500*time.Millisecond {
		t.Fatalf("4th request: ok=%v wait=%v, want refused, 500ms", ok, wait)
	}
	if ok, _ := l.Allow("b"); !ok {
		t.Fatal("another client shares the bucket")
	}
	now = now.Add(500 * time.Millisecond)
	if ok, _ := l.Allow("a"); !ok {
		t.Fatal("token not refilled after 1/rate")
	}
	if ok, _ := New(0, 1, nil).Allow("x"); !ok {
		t.Fatal("rate 0 must disable limiting")
	}
}

func TestMiddleware(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	l := New(1, 2, func() time.Time { return now })
	// The test's "authentication": key "good" is an account, others are not.
	client := func(r *http.Request) string {
		if r.Header.Get("X-API-Key") == "good" {
			return AccountClient(r, "acct-1")
		}
		return AccountClient(r, "")
	}
	h := l.Middleware(PublicPath, client, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(204) }))
	srv := httptest.NewServer(h)
	defer srv.Close()
	get := func(path, key string) *http.Response {
		req, _ := http.NewRequest("GET", srv.URL+path, nil)
		if key != "" {
			req.Header.Set("X-API-Key", key)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	for range 2 {
		if r := get("/api/v1/search?q=华为", ""); r.StatusCode != 204 {
			t.Fatalf("status %d", r.StatusCode)
		}
	}
	r := get("/api/v1/search?q=华为", "")
	if r.StatusCode != 429 || r.Header.Get("Retry-After") != "1" || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("3rd call: %d Retry-After=%q %s", r.StatusCode, r.Header.Get("Retry-After"), r.Header.Get("Content-Type"))
	}
	if r := get("/subjects/X", ""); r.StatusCode != 429 || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("portal page when limited: %d %s", r.StatusCode, r.Header.Get("Content-Type"))
	}
	if r := get("/api/v1/subjects/X/records", ""); r.StatusCode != 204 {
		t.Fatalf("non-public read limited: %d", r.StatusCode)
	}
	if r := get("/healthz", ""); r.StatusCode != 204 {
		t.Fatalf("non-public path limited: %d", r.StatusCode)
	}
	if r := get("/api/v1/search?q=x", "made-up"); r.StatusCode != 429 {
		t.Fatalf("a made-up key escaped the address's bucket: %d", r.StatusCode)
	}
	if r := get("/api/v1/search?q=x", "good"); r.StatusCode != 204 {
		t.Fatalf("an authenticated account has its own bucket: %d", r.StatusCode)
	}
	now = now.Add(time.Second)
	if r := get("/search?q=x", ""); r.StatusCode != 204 {
		t.Fatalf("after refill: %d", r.StatusCode)
	}
}
