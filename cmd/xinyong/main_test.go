package main

import (
	"bytes"
	"encoding/json"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestServeDemo runs the README's first command the way a new user would:
// the real binary, `serve --demo`, in an empty directory. It checks that
// the embedded store is created under ./data, that the server becomes
// ready, and that the demo data answers a two-character name search.
func TestServeDemo(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "xinyong")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	addr := freeAddr(t)
	work := filepath.Join(dir, "work")
	if err := os.Mkdir(work, 0o755); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	// Metrics on a free port of their own: the default one may be held by
	// a node already running on this machine.
	metrics := freeAddr(t)
	cmd := exec.Command(bin, "serve", "--demo", "--addr", addr, "--metrics-addr", metrics)
	cmd.Dir = work
	cmd.Env = filterEnv(os.Environ(), "XINYONG_DB", "XINYONG_DATA_KEY", "XINYONG_ADDR", "XINYONG_METRICS_ADDR")
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			cmd.Process.Kill()
		}
	})

	base := "http://" + addr
	ready := false
	for i := 0; i < 600 && !ready; i++ { // bounded by count, not a timing assertion
		resp, err := http.Get(base + "/readyz")
		if err == nil {
			ready = resp.StatusCode == http.StatusOK
			resp.Body.Close()
		}
		if !ready {
			time.Sleep(100 * time.Millisecond)
		}
	}
	if !ready {
		t.Fatalf("server never became ready\nstdout: %s\nstderr: %s", stdout.String(), stderr.String())
	}
	if _, err := os.Stat(filepath.Join(work, "data", "xinyong.db")); err != nil {
		t.Fatalf("embedded store not created under ./data: %v", err)
	}
	if !strings.Contains(stdout.String(), "admin") {
		t.Fatalf("demo sign-ins not printed: %q", stdout.String())
	}

	resp, err := http.Get(base + "/api/v1/subjects?q=" + url.QueryEscape("宁德"))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		Subjects []struct{ Name string } `json:"subjects"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	if len(body.Subjects) == 0 {
		t.Fatal("two-character search for 宁德 found nothing in the demo data")
	}
	for _, s := range body.Subjects {
		if !strings.Contains(s.Name, "宁德") {
			t.Fatalf("search result %q does not contain the query", s.Name)
		}
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func filterEnv(env []string, names ...string) []string {
	out := env[:0]
	for _, kv := range env {
		keep := true
		for _, n := range names {
			if strings.HasPrefix(kv, n+"=") {
				keep = false
			}
		}
		if keep {
			out = append(out, kv)
		}
	}
	return out
}
