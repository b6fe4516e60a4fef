package server_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/server"
)

// internals are what an upload error must not tell the client: socket
// addresses, Go's error texts.
var internals = []string{"127.0.0.1", "tcp", "i/o timeout", "read ", "EOF", "multipart:", "http:"}

func noInternals(t *testing.T, what string, body []byte) {
	t.Helper()
	for _, s := range internals {
		if bytes.Contains(body, []byte(s)) {
			t.Errorf("%s names internals (%q):\n%s", what, s, body)
		}
	}
}

// TestUploadLimit: an upload past the configured limit is refused with
// 413 and a message in both languages naming the limit and nothing of
// the server's insides, whether sent raw or as a form, through the API or
// the portal; an upload at the limit is taken.
func TestUploadLimit(t *testing.T) {
	const limit = 64 << 10
	e := newEnvWith(t, func(d *server.Deps) { d.MaxUpload = limit })
	key := e.keys[credit.RoleDept]
	file := e.batchFile(400)
	if len(file) <= limit {
		t.Fatalf("the test file has %d bytes, not more than %d", len(file), limit)
	}
	r := e.do(req{method: "POST", path: "/api/v1/batches?item=admin_penalty&file_name=big.jsonl", key: key, raw: file,
		header: map[string]string{"Content-Type": "application/x-ndjson"}})
	if r.status != http.StatusRequestEntityTooLarge || r.errKind(t) != "too_large" {
		t.Fatalf("raw upload past the limit: %d %s", r.status, r.body)
	}
	m := r.json(t)["error"].(map[string]any)
	if !strings.Contains(m["message"].(string), "64 KiB") || !strings.Contains(m["message_zh"].(string), "64 KiB") {
		t.Errorf("the message does not name the limit in both languages: %s", r.body)
	}
	noInternals(t, "413", r.body)

	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("file", "big.jsonl")
	fw.Write(file)
	mw.Close()
	r = e.do(req{method: "POST", path: "/api/v1/batches?item=admin_penalty", key: key, raw: body.Bytes(),
		header: map[string]string{"Content-Type": mw.FormDataContentType()}})
	if r.status != http.StatusRequestEntityTooLarge {
		t.Errorf("multipart upload past the limit: %d %s", r.status, r.body)
	}
	noInternals(t, "multipart 413", r.body)
	if bs, _ := e.st.Batches(t.Context(), credit.BatchFilter{}); len(bs) != 0 {
		t.Errorf("refused uploads made %d batches", len(bs))
	}

	// At the limit exactly: taken.
	small := e.batchFile(1)
	small = append(small, bytes.Repeat([]byte("\n"), limit-len(small))...)
	if r := e.do(req{method: "POST", path: "/api/v1/batches?item=admin_penalty&file_name=exact.jsonl", key: key, raw: small,
		header: map[string]string{"Content-Type": "application/x-ndjson"}}); r.status != http.StatusAccepted {
		t.Errorf("upload at the limit: %d %s", r.status, r.body)
	}

	// The portal's forms with files are held to the same limit.
	token, jar := e.formToken("/track", nil)
	body.Reset()
	mw = multipart.NewWriter(&body)
	mw.WriteField("csrf", token)
	mw.WriteField("code", "AAAA-BBBB-CCCC-DDDD")
	fw, _ = mw.CreateFormFile("evidence", "scan.pdf")
	fw.Write(bytes.Repeat([]byte("%PDF"), limit/2))
	mw.Close()
	r = e.do(req{method: "POST", path: "/track/files", raw: body.Bytes(), cookies: jar,
		header: map[string]string{"Content-Type": mw.FormDataContentType(), "Origin": e.srv.URL}})
	if r.status != http.StatusRequestEntityTooLarge || !strings.Contains(string(r.body), "64 KiB") {
		t.Errorf("portal form past the limit: %d\n%s", r.status, r.body)
	}
	noInternals(t, "portal 413", r.body)
}

// rawUpload sends a batch upload on a connection of its own, writing the
// body with write, and returns the response.
func rawUpload(t *testing.T, addr, key string, size int, write func(w io.Writer)) (int, []byte) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /api/v1/batches?item=admin_penalty&file_name=slow.jsonl HTTP/1.1\r\nHost: %s\r\nX-API-Key: %s\r\n"+
		"Content-Type: application/x-ndjson\r\nContent-Length: %d\r\n\r\n", addr, key, size)
	done := make(chan struct{})
	go func() { defer close(done); write(conn) }()
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no response: %v", err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	conn.Close()
	<-done
	return res.StatusCode, b
}

// TestUploadIdle: an upload is limited by how long it sends nothing, not
// by how long it takes: one that keeps coming for several idle periods is
// taken, one that stalls is cut after the idle timeout with a message
// that names nothing of the server's insides.
func TestUploadIdle(t *testing.T) {
	const idle = time.Second
	e := newEnv(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		done <- server.Serve(ctx, ln, e.h, slog.New(slog.NewTextHandler(io.Discard, nil)), server.Limits{BodyIdle: idle})
	}()
	t.Cleanup(func() { cancel(); <-done })
	addr, key := ln.Addr().String(), e.keys[credit.RoleDept]

	// Slow but steady: 30 pieces 100 ms apart, three idle periods in all.
	file := e.batchFile(60)
	status, body := rawUpload(t, addr, key, len(file), func(w io.Writer) {
		piece := len(file)/30 + 1
		for rest := file; len(rest) > 0; {
			n := min(piece, len(rest))
			if _, err := w.Write(rest[:n]); err != nil {
				return
			}
			rest = rest[n:]
			time.Sleep(idle / 10)
		}
	})
	if status != http.StatusAccepted {
		t.Fatalf("slow but steady upload: %d %s", status, body)
	}
	var b map[string]any
	if err := json.Unmarshal(body, &b); err != nil {
		t.Fatal(err)
	}
	if got := e.waitBatch(key, b["id"].(string)); got["status"] != "done" || got["counts"].(map[string]any)["total"] != float64(60) {
		t.Errorf("slow upload's batch: %v", got)
	}

	// Stalled: half the file, then nothing.
	file = e.batchFile(60)
	status, body = rawUpload(t, addr, key, len(file), func(w io.Writer) {
		w.Write(file[:len(file)/2])
	})
	if status != http.StatusBadRequest || !strings.Contains(string(body), "stalled") || !strings.Contains(string(body), "上传中断") {
		t.Errorf("stalled upload: %d %s", status, body)
	}
	noInternals(t, "stalled upload", body)

	// A body that is cut off is told so, without internals either.
	file = e.batchFile(10)
	status, body = rawUpload(t, addr, key, len(file)+100, func(w io.Writer) {
		w.Write(file)
		if c, ok := w.(interface{ CloseWrite() error }); ok {
			c.CloseWrite()
		}
	})
	if status != http.StatusBadRequest || !strings.Contains(string(body), "did not complete") {
		t.Errorf("cut-off upload: %d %s", status, body)
	}
	noInternals(t, "cut-off upload", body)
}

// TestRejectCapThroughAPI: a batch with more rejected rows than the node
// keeps says how many it did not keep, in its counts, on the rejects
// download and on the console.
func TestRejectCapThroughAPI(t *testing.T) {
	e := newEnvWith(t, func(d *server.Deps) { d.MaxRejectRows = 2 })
	key := e.keys[credit.RoleDept]
	var file bytes.Buffer
	for i := range 5 {
		f := e.penaltyFields("榕市监罚〔2026〕r"+strconv.Itoa(i)+"号", "罚款人民币1万元")
		f["cf_jdrq"] = "2030-01-01" // in the future: rejected
		line, _ := json.Marshal(f)
		file.Write(line)
		file.WriteByte('\n')
	}
	b := e.upload(key, "item=admin_penalty&file_name=junk.jsonl", "application/x-ndjson", file.Bytes())
	got := e.waitBatch(key, b["id"].(string))
	c := got["counts"].(map[string]any)
	if c["rejected"] != float64(5) || c["rejected_not_kept"] != float64(3) {
		t.Fatalf("counts %v: want 5 rejected, 3 not kept", c)
	}
	r := e.do(req{method: "GET", path: "/api/v1/batches/" + b["id"].(string) + "/rejects", key: key})
	if r.status != http.StatusOK || r.header.Get("X-Rejected-Not-Kept") != "3" || bytes.Count(r.body, []byte("\n")) != 2 {
		t.Errorf("rejects download: %d, X-Rejected-Not-Kept %q, %d lines\n%s", r.status, r.header.Get("X-Rejected-Not-Kept"), bytes.Count(r.body, []byte("\n")), r.body)
	}
	admin := []*http.Cookie{e.apiSession(e.names[credit.RoleAdmin])}
	if r := e.do(req{method: "GET", path: "/console/quality", cookies: admin}); !strings.Contains(string(r.body), "其中 3 行未保存") {
		t.Errorf("the console does not say that rows were not kept:\n%s", r.body)
	}
}

// TestSecureCookies: with SecureCookies every cookie the node sets is
// Secure even over plain HTTP; without it, only over TLS.
func TestSecureCookies(t *testing.T) {
	for _, secure := range []bool{false, true} {
		e := newEnvWith(t, func(d *server.Deps) { d.SecureCookies = secure })
		var got []*http.Cookie
		r := e.do(req{method: "POST", path: "/api/v1/sessions", body: map[string]any{"name": e.names[credit.RoleAdmin], "password": password}})
		got = append(got, (&http.Response{Header: r.header}).Cookies()...)
		r = e.get("/login?lang=en")
		got = append(got, (&http.Response{Header: r.header}).Cookies()...)
		names := map[string]bool{}
		for _, c := range got {
			names[c.Name] = true
			if c.Secure != secure {
				t.Errorf("secure-cookies %v: cookie %s has Secure %v", secure, c.Name, c.Secure)
			}
		}
		for _, n := range []string{"xy_session", "xy_csrf", "lang"} {
			if !names[n] {
				t.Errorf("secure-cookies %v: no %s cookie was set", secure, n)
			}
		}
	}
	// Behind a TLS-terminating proxy that says so, cookies are Secure
	// without the option (as before).
	e := newEnv(t)
	r := e.do(req{method: "GET", path: "/login", header: map[string]string{"X-Forwarded-Proto": "https"}})
	for _, c := range (&http.Response{Header: r.header}).Cookies() {
		if !c.Secure {
			t.Errorf("over TLS: cookie %s is not Secure", c.Name)
		}
	}
}
