package server_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/server"
)

// batchFile is a JSON Lines file of n fresh penalties for orgCode.
func (e *env) batchFile(n int) []byte {
	var b bytes.Buffer
	for range n {
		f := e.penaltyFields("榕市监罚〔2026〕b"+strconv.Itoa(e.unique())+"号", "罚款人民币1万元")
		line, _ := json.Marshal(f)
		b.Write(line)
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// upload posts a file as the department and returns the batch.
func (e *env) upload(key, query, ctype string, data []byte) map[string]any {
	e.t.Helper()
	r := e.do(req{method: "POST", path: "/api/v1/batches?" + query, key: key, raw: data,
		header: map[string]string{"Content-Type": ctype}})
	if r.status != http.StatusAccepted && r.status != http.StatusOK {
		e.t.Fatalf("upload: %d %s", r.status, r.body)
	}
	return r.json(e.t)
}

// waitBatch polls the batch until it is no longer running.
func (e *env) waitBatch(key, id string) map[string]any {
	e.t.Helper()
	for {
		r := e.do(req{method: "GET", path: "/api/v1/batches/" + id, key: key})
		if r.status != http.StatusOK {
			e.t.Fatalf("poll batch: %d %s", r.status, r.body)
		}
		b := r.json(e.t)
		if b["status"] != "running" {
			return b
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// batch returns the ID of a finished batch of the dept account.
func (e *env) batch() string {
	e.t.Helper()
	key := e.keys["dept"]
	b := e.upload(key, "item=admin_penalty&file_name=one.jsonl", "application/x-ndjson", e.batchFile(2))
	id, _ := b["id"].(string)
	e.waitBatch(key, id)
	return id
}

// TestBatchUpload sends a GBK file with legacy headers through the API as
// the department: 202 with a batch ID, polled to done with the counts,
// rejects downloadable in GBK with the department's headers, invisible to
// another department, and the quality figures follow.
func TestBatchUpload(t *testing.T) {
	e := newEnv(t)
	key := e.keys["dept"]
	data, err := os.ReadFile("../ingest/testdata/penalties_legacy_gbk.csv")
	if err != nil {
		t.Fatal(err)
	}
	r := e.do(req{method: "POST", path: "/api/v1/batches?item=admin_penalty&file_name=penalties.csv", key: key, raw: data,
		header: map[string]string{"Content-Type": "text/csv"}})
	if r.status != http.StatusAccepted {
		t.Fatalf("upload: %d %s", r.status, r.body)
	}
	id, _ := r.json(t)["id"].(string)
	b := e.waitBatch(key, id)
	counts, _ := b["counts"].(map[string]any)
	if b["status"] != "done" || b["encoding"] != "gb18030" || b["header_style"] != "legacy" ||
		counts["total"] != 32.0 || counts["created"] != 6.0 || counts["rejected"] != 26.0 {
		t.Fatalf("batch = %v", b)
	}

	rj := e.do(req{method: "GET", path: "/api/v1/batches/" + id + "/rejects", key: key})
	if rj.status != http.StatusOK || !strings.Contains(rj.header.Get("Content-Type"), "gb18030") ||
		!strings.Contains(rj.header.Get("Content-Disposition"), "penalties.rejects.csv") {
		t.Fatalf("rejects: %d %v", rj.status, rj.header)
	}
	text, _ := io.ReadAll(simplifiedchinese.GB18030.NewDecoder().Reader(bytes.NewReader(rj.body)))
	if !strings.Contains(string(text), "错误原因") || !strings.Contains(string(text), "处罚决定日期: 决定日期2030-01-01晚于今天") {
		t.Fatalf("rejects file:\n%s", text)
	}

	// Another department neither sees the batch nor its rejects.
	for _, p := range []string{"/api/v1/batches/" + id, "/api/v1/batches/" + id + "/rejects"} {
		if r := e.do(req{method: "GET", path: p, key: e.dept2}); r.status != http.StatusNotFound {
			t.Errorf("%s as another department: %d", p, r.status)
		}
	}

	// Sending the same file again changes nothing.
	r = e.do(req{method: "POST", path: "/api/v1/batches?item=admin_penalty&file_name=penalties.csv", key: key, raw: data,
		header: map[string]string{"Content-Type": "text/csv"}})
	if r.status != http.StatusOK || r.json(t)["id"] != id {
		t.Fatalf("resend: %d %s", r.status, r.body)
	}

	q := e.do(req{method: "GET", path: "/api/v1/quality", key: key})
	var qb struct {
		Departments []struct {
			Dept          string  `json:"dept"`
			ErrorRate     float64 `json:"error_rate"`
			CodeErrorRate float64 `json:"code_error_rate"`
			Timeliness    float64 `json:"timeliness"`
		} `json:"departments"`
	}
	if err := json.Unmarshal(q.body, &qb); err != nil || len(qb.Departments) != 1 || qb.Departments[0].Dept != deptCode {
		t.Fatalf("quality: %s", q.body)
	}
	d := qb.Departments[0]
	// The six accepted penalties were decided on 2026-11-16 and arrive on
	// 2026-11-20 (the test clock): within the 20 working days of market
	// regulation, the reporting department's domain.
	if d.ErrorRate != 26.0/32 || d.CodeErrorRate != 3.0/26 || d.Timeliness != 1 {
		t.Errorf("quality = %+v", d)
	}

	// The console page: figures, chart and the batch with its rejects link.
	page := e.do(req{method: "GET", path: "/console/quality", key: key})
	for _, w := range []string{"数据质量", "<svg", "重错码率", "penalties.csv", "/api/v1/batches/" + id + "/rejects", deptCode} {
		if !strings.Contains(string(page.body), w) {
			t.Errorf("quality page lacks %q (status %d)", w, page.status)
		}
	}
	if r := e.do(req{method: "GET", path: "/console/quality", key: e.keys["business"]}); r.status != http.StatusForbidden {
		t.Errorf("quality page as a business system: %d", r.status)
	}
	if r := e.get("/console/quality"); r.status != http.StatusSeeOther {
		t.Errorf("quality page anonymous: %d", r.status)
	}
}

// TestInterruptedBatch: a running batch whose importer has gone silent
// (its node died mid-import) is reported as interrupted, one alive is not,
// in the batch and in the listing.
func TestInterruptedBatch(t *testing.T) {
	e := newEnv(t)
	key := e.keys["dept"]
	dead := &credit.Batch{ID: credit.NewID(), Dept: deptCode, Item: "admin_penalty", FileName: "lost.csv", Format: "csv",
		ContentHash: "lost", Actor: "t-dept", StartedAt: e.clock.Now().Add(-time.Hour)}
	if err := e.st.CreateBatch(t.Context(), dead); err != nil {
		t.Fatal(err)
	}
	alive := &credit.Batch{ID: credit.NewID(), Dept: deptCode, Item: "admin_penalty", FileName: "slow.csv", Format: "csv",
		ContentHash: "slow", Actor: "t-dept", StartedAt: e.clock.Now().Add(-time.Hour)}
	if err := e.st.CreateBatch(t.Context(), alive); err != nil {
		t.Fatal(err)
	}
	if err := e.st.BatchAlive(t.Context(), alive.ID, e.clock.Now().Add(-10*time.Second)); err != nil {
		t.Fatal(err)
	}
	for id, want := range map[string]bool{dead.ID: true, alive.ID: false} {
		r := e.do(req{method: "GET", path: "/api/v1/batches/" + id, key: key})
		b := r.json(t)
		if r.status != http.StatusOK || b["status"] != "running" || (b["interrupted"] == true) != want {
			t.Errorf("batch %s: %d %s; want running, interrupted %v", id, r.status, r.body, want)
		}
	}
	r := e.do(req{method: "GET", path: "/api/v1/batches", key: key})
	var list struct {
		Batches []credit.Batch `json:"batches"`
	}
	if err := json.Unmarshal(r.body, &list); err != nil || len(list.Batches) != 2 {
		t.Fatalf("listing: %v, %s", err, r.body)
	}
	for _, b := range list.Batches {
		if b.Interrupted != (b.ID == dead.ID) {
			t.Errorf("listed batch %s (%s): interrupted %v", b.ID, b.FileName, b.Interrupted)
		}
	}
	// The console marks it, once.
	page := e.do(req{method: "GET", path: "/console/quality", key: key})
	if page.status != http.StatusOK || strings.Count(string(page.body), "已中断") != 1 {
		t.Errorf("quality page: %d, %d marks 已中断, want 1", page.status, strings.Count(string(page.body), "已中断"))
	}
}

// TestReporterRefused: a department may report only the items the
// catalogue lets its kind report; outside them, one record and a whole
// file are refused with 403 and the refusal is audited.
func TestReporterRefused(t *testing.T) {
	e := newEnv(t)
	key := e.keys["dept"] // market regulation
	body := e.recordBody(orgCode)
	body["item"] = "court_defaulter"
	r := e.do(req{method: "POST", path: "/api/v1/records", key: key, body: body})
	if r.status != http.StatusForbidden || r.errKind(t) != "permission" || !strings.Contains(string(r.body), "人民法院") {
		t.Fatalf("record: %d %s", r.status, r.body)
	}
	r = e.do(req{method: "POST", path: "/api/v1/batches?item=court_defaulter&file_name=d.csv", key: key,
		raw: []byte("被执行人名称\n某某\n"), header: map[string]string{"Content-Type": "text/csv"}})
	if r.status != http.StatusForbidden || r.errKind(t) != "permission" {
		t.Fatalf("batch: %d %s", r.status, r.body)
	}
	if !e.auditHas(credit.AuditEntry{Actor: "t-dept", Outcome: "denied"}) {
		t.Error("refusals not audited")
	}
}

// TestUploadSpool: an uploaded file waits in the node's spool directory
// (never the system's temporary directory, here made unusable) and is gone
// once its batch is imported.
func TestUploadSpool(t *testing.T) {
	spool := t.TempDir()
	e := newEnvWith(t, func(d *server.Deps) { d.SpoolDir = spool })
	t.Setenv("TMPDIR", filepath.Join(spool, "no-such-dir"))
	key := e.keys["dept"]
	b := e.upload(key, "item=admin_penalty&file_name=one.jsonl", "application/x-ndjson", e.batchFile(2))
	id, _ := b["id"].(string)
	if got := e.waitBatch(key, id); got["status"] != "done" {
		t.Fatalf("batch %v", got)
	}
	for {
		left, err := os.ReadDir(spool)
		if err != nil {
			t.Fatal(err)
		}
		if len(left) == 0 {
			break
		}
		time.Sleep(10 * time.Millisecond) // the importer removes its file as it returns
	}
}
