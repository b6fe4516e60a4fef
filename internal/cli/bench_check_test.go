package cli

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

// TestBenchCheckLoad runs the load generator's child side against a real
// HTTP server and checks what it sends and what it reports.
func TestBenchCheckLoad(t *testing.T) {
	var n, bad atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if r.Method != http.MethodPost || r.URL.Path != "/api/v1/checks" || r.Header.Get("Authorization") != "Bearer k1" || !strings.Contains(string(body), "CODE-") {
			bad.Add(1)
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		n.Add(1)
		w.Write([]byte(`{}`))
	}))
	defer srv.Close()
	codes := filepath.Join(t.TempDir(), "codes.txt")
	if err := os.WriteFile(codes, []byte("CODE-1\nCODE-2\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	addr := strings.TrimPrefix(srv.URL, "http://")
	args := []string{"--addr", addr, "--codes", codes, "--rate", "400", "--duration", "250ms"}

	tests := []struct {
		name     string
		key      string
		wantCode int
		wantErrs int
	}{
		{"no key", "", 2, 0},
		{"wrong key", "k2", 0, 100},
		{"right key", "k1", 0, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(checkLoadKeyEnv, tc.key)
			var out, errb bytes.Buffer
			if code := runBenchCheckLoad(args, &out, &errb); code != tc.wantCode {
				t.Fatalf("exit %d, want %d; stderr %s", code, tc.wantCode, errb.String())
			}
			if tc.wantCode != 0 {
				if !strings.Contains(errb.String(), checkLoadKeyEnv) {
					t.Errorf("error does not name the missing key variable: %q", errb.String())
				}
				return
			}
			var r checkLoadResult
			if err := json.Unmarshal(out.Bytes(), &r); err != nil {
				t.Fatalf("result %q: %v", out.String(), err)
			}
			if r.Errors != tc.wantErrs {
				t.Errorf("errors = %d, want %d", r.Errors, tc.wantErrs)
			}
			if r.Rate <= 0 || r.P50 <= 0 || r.P99 < r.P50 || r.Max < r.P99 {
				t.Errorf("implausible figures: %+v", r)
			}
		})
	}
	// 400/s for 250 ms, plus one warm-up request on each of the 64 connections.
	if n.Load() != 100+64 || bad.Load() != 100+64 {
		t.Errorf("server answered %d good and %d refused requests, want 164 and 164", n.Load(), bad.Load())
	}
}
