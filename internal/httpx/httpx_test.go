package httpx_test

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/xinyong/xinyong/internal/httpx"
)

func TestRecoverRequestIDObserve(t *testing.T) {
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	reg := prometheus.NewRegistry()
	m, err := httpx.NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /boom/{x}", func(http.ResponseWriter, *http.Request) { panic("kaboom") })
	mux.HandleFunc("GET /id", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(httpx.IDFrom(r.Context()))) })
	h := httpx.RequestID(httpx.Observe(logger, m, httpx.Recover(logger, mux)))

	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "/boom/1", nil))
	if w.Code != 500 || !strings.Contains(w.Body.String(), `"kind":"internal"`) {
		t.Errorf("panic answer: %d %s", w.Code, w.Body)
	}
	if strings.Contains(w.Body.String(), "kaboom") {
		t.Error("panic value leaked to the client")
	}
	if !strings.Contains(logs.String(), "kaboom") || !strings.Contains(logs.String(), "stack") {
		t.Error("panic not logged with its stack")
	}
	mw := httptest.NewRecorder()
	promhttp.HandlerFor(reg, promhttp.HandlerOpts{}).ServeHTTP(mw, httptest.NewRequest("GET", "/metrics", nil))
	if want := `xinyong_http_requests_total{method="GET",route="GET /boom/{x}",status="500"} 1`; !strings.Contains(mw.Body.String(), want) {
		t.Errorf("metrics lack %s:\n%s", want, mw.Body)
	}

	// A sane incoming request ID is kept; a hostile one is replaced.
	for in, keep := range map[string]bool{"abc-123": true, "evil\nid": false, strings.Repeat("a", 65): false} {
		w := httptest.NewRecorder()
		r := httptest.NewRequest("GET", "/id", nil)
		r.Header.Set("X-Request-ID", in)
		h.ServeHTTP(w, r)
		got := w.Header().Get("X-Request-ID")
		if (got == in) != keep || w.Body.String() != got || got == "" {
			t.Errorf("request ID %q → header %q body %q", in, got, w.Body)
		}
	}

	// One access line a request, at error level for a 500, with the
	// request's ID, route, status, size and the client; an info line is
	// left out by a logger at warn.
	for _, want := range []string{
		` level=INFO msg=http id=abc-123 method=GET path=/id route="GET /id" status=200 bytes=7 duration=`,
		` level=ERROR msg=http id=`, ` method=GET path=/boom/1 route="GET /boom/{x}" status=500 bytes=`,
		` remote=192.0.2.1` + "\n",
	} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("access log lacks %q:\n%s", want, logs.String())
		}
	}
	logs.Reset()
	quiet := httpx.Observe(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn})), nil, mux)
	quiet.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/id", nil))
	if logs.Len() != 0 {
		t.Errorf("an info access line through a logger at warn: %s", logs.String())
	}
}
