package cli_test

import (
	"bytes"
	"encoding/base64"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestServeListensOnlyWhenBound: serve logs "listening" once its port is
// bound and answers, and a port already taken fails the start without
// a "listening" line (an operator reading the log is never told a node
// listens that does not).
func TestServeListensOnlyWhenBound(t *testing.T) {
	bin := binary(t)
	dir := t.TempDir()
	env := append(os.Environ(),
		"XINYONG_DB="+filepath.Join(dir, "x.db"),
		"XINYONG_DATA_KEY="+base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{9}, 32)),
		"XINYONG_METRICS_ADDR=",
	)
	if out, err := exec.Command(bin, "migrate", "--db", filepath.Join(dir, "x.db")).CombinedOutput(); err != nil {
		t.Fatalf("migrate: %v\n%s", err, out)
	}

	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	cmd := exec.Command(bin, "serve", "--addr", taken.Addr().String())
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("serve on a taken port exited 0:\n%s", out)
	}
	if strings.Contains(string(out), "listening") {
		t.Fatalf("serve on a taken port logged listening:\n%s", out)
	}
	if !strings.Contains(string(out), "--addr "+taken.Addr().String()) {
		t.Fatalf("the error does not name the taken address:\n%s", out)
	}

	// A free port: "listening" is logged, and by then the port answers.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	logFile := filepath.Join(dir, "serve.log")
	lf, err := os.Create(logFile)
	if err != nil {
		t.Fatal(err)
	}
	defer lf.Close()
	srv := exec.Command(bin, "serve", "--addr", addr)
	srv.Env, srv.Stdout, srv.Stderr = env, lf, lf
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = srv.Process.Kill(); _ = srv.Wait() }()
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		b, _ := os.ReadFile(logFile)
		if strings.Contains(string(b), "msg=listening") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve never logged listening:\n%s", b)
		}
	}
	// Logged: the port is bound, so a connection is accepted at once.
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatalf("listening was logged but %s refuses connections: %v", addr, err)
	}
	c.Close()
	res, err := http.Get("http://" + addr + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
}
