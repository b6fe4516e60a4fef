package server_test

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xinyong/xinyong/internal/api"
	"github.com/xinyong/xinyong/internal/credit"
)

// evalModelBody is the active model file with another version (and, when
// harsher, heavier serious penalties).
func (e *env) evalModelBody(version string, harsher bool) []byte {
	e.t.Helper()
	m, _, err := e.node.Evaluation.Comparison(e.t.Context(), e.node.Evaluation.Model().Version)
	if err != nil {
		e.t.Fatal(err)
	}
	body := strings.Replace(string(m.Body), `"version": "`+e.node.Evaluation.Model().Version+`"`, `"version": "`+version+`"`, 1)
	if harsher {
		body = strings.Replace(body, `"severity_points": {"轻微": -1, "一般": -4, "严重": -10}`, `"severity_points": {"轻微": -5, "一般": -15, "严重": -25}`, 1)
	}
	if !strings.Contains(body, version) {
		e.t.Fatalf("model body has no version field to replace")
	}
	return []byte(body)
}

// evalScenario builds the evaluation routes' requests for the role matrix.
func (e *env) evalScenario(rt api.Route, role credit.Role) (req, bool) {
	q := req{method: rt.Method, key: e.keys[role]}
	switch rt.Path {
	case "/api/v1/subjects/{id}/evaluation":
		q.path = strings.Replace(rt.Path, "{id}", orgCode, 1)
	case "/api/v1/subjects/{id}/supervision":
		q.path = strings.Replace(rt.Path, "{id}", orgCode, 1) + "?matter=daily_supervision&dept=" + deptCode
	case "/api/v1/evaluation/models":
		q.path = rt.Path
		if rt.Method == "POST" {
			q.raw = e.evalModelBody("t-"+strconv.Itoa(e.unique()), false)
			q.header = map[string]string{"Content-Type": "application/json"}
		}
	case "/api/v1/evaluation/models/{version}":
		q.path = strings.Replace(rt.Path, "{version}", e.node.Evaluation.Model().Version, 1)
	case "/api/v1/evaluation/models/{version}/activation":
		v := "a-" + strconv.Itoa(e.unique())
		if _, err := e.node.Evaluation.Upload(e.t.Context(), "admin", e.evalModelBody(v, false)); err != nil {
			e.t.Fatal(err)
		}
		q.path = strings.Replace(rt.Path, "{version}", v, 1)
	default:
		return req{}, false
	}
	if rt.Purpose {
		q.purpose = "分级分类监管测试"
	}
	return q, true
}

// waitScore waits until the kept score of subject differs from before
// and returns it with how long it took.
func (e *env) waitScore(subject string, before int64, within time.Duration) (credit.EvalScore, time.Duration) {
	e.t.Helper()
	start := time.Now()
	for time.Since(start) < within {
		s, err := e.st.EvalScore(e.t.Context(), subject)
		if err == nil && s.Score != before {
			return *s, time.Since(start)
		}
		time.Sleep(5 * time.Millisecond)
	}
	e.t.Fatalf("score of %s still %d after %v", subject, before, within)
	return credit.EvalScore{}, 0
}

// TestEvaluationFollowsFeed: a record reported through the API changes
// the subject's kept score through the change feed within a second; a
// correction re-evaluates it; its revocation restores the score exactly;
// every grade change is kept with its reason.
func TestEvaluationFollowsFeed(t *testing.T) {
	e := newEnv(t)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	ev := e.node.Evaluation
	done := make(chan struct{})
	go func() { defer close(done); ev.Follow(ctx, 50*time.Millisecond) }()
	defer func() { cancel(); <-done }()

	// The first step evaluates every subject.
	var base *credit.EvalScore
	for i := 0; i < 200 && base == nil; i++ {
		base, _ = e.st.EvalScore(t.Context(), orgCode)
		time.Sleep(10 * time.Millisecond)
	}
	if base == nil || base.Grade == "" {
		t.Fatalf("no initial evaluation: %+v", base)
	}
	dept := e.keys[credit.RoleDept]
	body := e.recordBody(orgCode)
	fields := body["fields"].(credit.Fields)
	fields["cf_cflb"], fields["cf_nr"] = "吊销许可证", "吊销食品经营许可证"
	r := e.do(req{method: "POST", path: "/api/v1/records", key: dept, body: body})
	if r.status != http.StatusCreated {
		t.Fatalf("report: %d %s", r.status, r.body)
	}
	id := r.json(t)["record"].(map[string]any)["id"].(string)
	after, took := e.waitScore(orgCode, base.Score, 3*time.Second)
	if after.Score >= base.Score {
		t.Fatalf("a serious penalty did not lower the score: %d → %d", base.Score, after.Score)
	}
	if took > time.Second {
		t.Errorf("score updated %v after the record (floor 1 s)", took)
	}
	// The explanation names the record, and adds up.
	r = e.do(req{method: "GET", path: "/api/v1/subjects/" + orgCode + "/evaluation", key: e.keys[credit.RoleSubject], purpose: "自查"})
	if r.status != http.StatusOK || !strings.Contains(string(r.body), id) {
		t.Fatalf("evaluation: %d %s", r.status, r.body)
	}
	// A correction re-evaluates (a lighter penalty).
	corr := e.penaltyFields(fields["cf_wsh"], "警告")
	corr["cf_cflb"] = "警告"
	r = e.do(req{method: "POST", path: "/api/v1/records/" + id + "/corrections", key: dept, body: map[string]any{"reason": "处罚类别更正", "fields": corr}})
	if r.status != http.StatusCreated && r.status != http.StatusOK {
		t.Fatalf("correction: %d %s", r.status, r.body)
	}
	corrected, _ := e.waitScore(orgCode, after.Score, 3*time.Second)
	if corrected.Score <= after.Score {
		t.Errorf("a correction to a warning did not raise the score: %d → %d", after.Score, corrected.Score)
	}
	// Revocation restores exactly what was there before.
	r = e.do(req{method: "POST", path: "/api/v1/records/" + id + "/revocations", key: dept, body: map[string]any{"reason": "行政复议撤销"}})
	if r.status != http.StatusCreated && r.status != http.StatusOK {
		t.Fatalf("revocation: %d %s", r.status, r.body)
	}
	restored, _ := e.waitScore(orgCode, corrected.Score, 3*time.Second)
	if restored.Score != base.Score || restored.Grade != base.Grade {
		t.Errorf("after revocation %d %s, before the record %d %s", restored.Score, restored.Grade, base.Score, base.Grade)
	}
	res, err := ev.Evaluate(t.Context(), orgCode)
	if err != nil {
		t.Fatal(err)
	}
	for _, is := range res.Indicators {
		for _, c := range is.Contributions {
			if c.Ref == id {
				t.Errorf("revoked record still contributes: %+v", c)
			}
		}
	}
	hist, err := ev.History(t.Context(), orgCode)
	if err != nil || len(hist) == 0 || hist[len(hist)-1].Reason != "initial evaluation" {
		t.Fatalf("history: %+v %v", hist, err)
	}
}

// TestEvaluationLatency: p99 of the time from a record's report to its
// subject's kept score, over 20 reports and 20 revocations (floor 1 s).
func TestEvaluationLatency(t *testing.T) {
	if testing.Short() {
		t.Skip("latency run")
	}
	e := newEnv(t)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { defer close(done); e.node.Evaluation.Follow(ctx, 50*time.Millisecond) }()
	defer func() { cancel(); <-done }()
	for i := 0; i < 300; i++ {
		if _, err := e.st.EvalScore(t.Context(), orgCode); err == nil {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	var lat []time.Duration
	// Each round reports a penalty and then revokes it: both move the score.
	for range 20 {
		s, err := e.st.EvalScore(t.Context(), orgCode)
		if err != nil {
			t.Fatal(err)
		}
		body := e.recordBody(orgCode)
		f := body["fields"].(credit.Fields)
		f["cf_cflb"], f["cf_nr"] = "没收违法所得", "没收违法所得"
		start := time.Now()
		r := e.do(req{method: "POST", path: "/api/v1/records", key: e.keys[credit.RoleDept], body: body})
		if r.status != http.StatusCreated {
			t.Fatalf("report: %d %s", r.status, r.body)
		}
		mid, _ := e.waitScore(orgCode, s.Score, 5*time.Second)
		lat = append(lat, time.Since(start))
		id := r.json(t)["record"].(map[string]any)["id"].(string)
		start = time.Now()
		r = e.do(req{method: "POST", path: "/api/v1/records/" + id + "/revocations", key: e.keys[credit.RoleDept], body: map[string]any{"reason": "撤销"}})
		if r.status != http.StatusCreated && r.status != http.StatusOK {
			t.Fatalf("revoke: %d %s", r.status, r.body)
		}
		e.waitScore(orgCode, mid.Score, 5*time.Second)
		lat = append(lat, time.Since(start))
	}
	slices.Sort(lat)
	p99 := lat[min(len(lat)-1, len(lat)*99/100)]
	t.Logf("score after a record: p50 %v, p99 %v over %d", lat[len(lat)/2], p99, len(lat))
	if p99 > time.Second {
		t.Errorf("p99 %v over the 1 s floor", p99)
	}
}

// TestSupervisionClassAPI: a department asks for a subject's class for its
// matter and gets the ratio with the reasons; it cannot ask as another
// department; a matter it maps nothing for is 404.
func TestSupervisionClassAPI(t *testing.T) {
	e := newEnv(t)
	dept := e.keys[credit.RoleDept]
	r := e.do(req{method: "GET", path: "/api/v1/subjects/" + orgCode + "/supervision?matter=daily_supervision", key: dept, purpose: "双随机抽查"})
	if r.status != http.StatusOK {
		t.Fatalf("class: %d %s", r.status, r.body)
	}
	m := r.json(t)
	if m["class"] == "" || m["ratio"].(float64) <= 0 || m["dept"] != deptCode || len(m["reasons"].([]any)) == 0 || m["evaluation"] == nil {
		t.Errorf("class answer: %s", r.body)
	}
	r = e.do(req{method: "GET", path: "/api/v1/subjects/" + orgCode + "/supervision?matter=daily_supervision&dept=" + dept2Code, key: dept, purpose: "双随机抽查"})
	if r.status != http.StatusForbidden {
		t.Errorf("another department's class: %d %s", r.status, r.body)
	}
	r = e.do(req{method: "GET", path: "/api/v1/subjects/" + orgCode + "/supervision?matter=bond_issue", key: dept, purpose: "双随机抽查"})
	if r.status != http.StatusNotFound {
		t.Errorf("unmapped matter: %d %s", r.status, r.body)
	}
	// A subject reads only its own evaluation.
	r = e.do(req{method: "GET", path: "/api/v1/subjects/" + e.person.ID + "/evaluation", key: e.keys[credit.RoleSubject], purpose: "自查"})
	if r.status != http.StatusForbidden {
		t.Errorf("another subject's evaluation: %d %s", r.status, r.body)
	}
}

// TestModelVersionFlow: an uploaded version is a candidate with a
// comparison; a broken file is refused naming the indicator; activation
// re-evaluates and is audited; a version cannot be activated twice.
func TestModelVersionFlow(t *testing.T) {
	e := newEnv(t)
	ev := e.node.Evaluation
	if _, err := ev.Step(t.Context()); err != nil {
		t.Fatal(err)
	}
	// A subject with a serious penalty moves under a harsher model.
	body := e.recordBody(orgCode)
	f := body["fields"].(credit.Fields)
	f["cf_cflb"], f["cf_nr"] = "吊销许可证", "吊销许可证"
	if r := e.do(req{method: "POST", path: "/api/v1/records", key: e.keys[credit.RoleDept], body: body}); r.status != http.StatusCreated {
		t.Fatalf("report: %d %s", r.status, r.body)
	}
	if _, err := ev.Step(t.Context()); err != nil {
		t.Fatal(err)
	}
	admin := e.keys[credit.RoleAdmin]
	bad := strings.Replace(string(e.evalModelBody("bad-1", false)), `"code": "penalties", "name": "行政处罚", "name_en": "Administrative penalties", "weight": 25`, `"code": "penalties", "name": "行政处罚", "name_en": "Administrative penalties", "weight": 24`, 1)
	r := e.do(req{method: "POST", path: "/api/v1/evaluation/models", key: admin, raw: []byte(bad), header: map[string]string{"Content-Type": "application/json"}})
	if r.status != http.StatusBadRequest || !strings.Contains(string(r.body), "indicator compliance") {
		t.Fatalf("bad model: %d %s", r.status, r.body)
	}
	r = e.do(req{method: "POST", path: "/api/v1/evaluation/models", key: admin, raw: e.evalModelBody("2026.9", true), header: map[string]string{"Content-Type": "application/json"}})
	if r.status != http.StatusCreated {
		t.Fatalf("upload: %d %s", r.status, r.body)
	}
	cmp := r.json(t)
	if cmp["subjects"].(float64) < 2 || cmp["before"] == nil || cmp["after"] == nil {
		t.Errorf("comparison: %s", r.body)
	}
	if ev.Model().Version == "2026.9" {
		t.Fatal("a candidate took effect before activation")
	}
	r = e.do(req{method: "POST", path: "/api/v1/evaluation/models/2026.9/activation", key: admin})
	if r.status != http.StatusOK {
		t.Fatalf("activate: %d %s", r.status, r.body)
	}
	if ev.Model().Version != "2026.9" {
		t.Errorf("active version %s", ev.Model().Version)
	}
	s, err := e.st.EvalScore(t.Context(), orgCode)
	if err != nil || s.Model != "2026.9" {
		t.Errorf("kept score after activation: %+v %v", s, err)
	}
	if !e.auditHas(credit.AuditEntry{Action: "evaluation.model.activate", Outcome: "ok"}) && !e.auditHas(credit.AuditEntry{Action: "evaluation.model.activate"}) {
		t.Error("activation not audited")
	}
	r = e.do(req{method: "POST", path: "/api/v1/evaluation/models/2026.9/activation", key: admin})
	if r.status != http.StatusConflict {
		t.Errorf("activating twice: %d %s", r.status, r.body)
	}
}

// TestEvaluationConsole: an administrator reviews a candidate's
// comparison on the console and activates it there (audited); a
// department looks up a subject's class for its matter.
func TestEvaluationConsole(t *testing.T) {
	e := newEnv(t)
	ev := e.node.Evaluation
	if _, err := ev.Step(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, err := ev.Upload(t.Context(), e.names[credit.RoleAdmin], e.evalModelBody("2026.7", true)); err != nil {
		t.Fatal(err)
	}
	admin := e.apiSession(e.names[credit.RoleAdmin])
	r := e.do(req{method: "GET", path: "/console/evaluation", cookies: []*http.Cookie{admin}})
	if r.status != http.StatusOK || !strings.Contains(string(r.body), "grade-distribution") || !strings.Contains(string(r.body), "2026.7") {
		t.Fatalf("console: %d %s", r.status, r.body)
	}
	token, jar := e.formToken("/console/evaluation", []*http.Cookie{admin})
	r = e.postForm("/console/evaluation", url.Values{"csrf": {token}, "version": {"2026.7"}}, jar)
	if r.status != http.StatusOK || ev.Model().Version != "2026.7" {
		t.Fatalf("activate on the console: %d, active %s\n%s", r.status, ev.Model().Version, r.body)
	}
	if !e.auditHas(credit.AuditEntry{Action: "evaluation.model.activate", Target: "evaluation-model:2026.7"}) {
		t.Error("activation on the console not audited")
	}
	dept := e.apiSession(e.names[credit.RoleDept])
	r = e.do(req{method: "GET", path: "/console/evaluation?subject=" + orgCode + "&matter=daily_supervision", cookies: []*http.Cookie{dept}})
	if r.status != http.StatusOK || !strings.Contains(string(r.body), `data-class="`) || !strings.Contains(string(r.body), "%") {
		t.Fatalf("class lookup: %d %s", r.status, r.body)
	}
	// A department cannot activate.
	token, jar = e.formToken("/console/evaluation", []*http.Cookie{dept})
	r = e.postForm("/console/evaluation", url.Values{"csrf": {token}, "version": {"2026.7"}}, jar)
	if r.status != http.StatusForbidden {
		t.Errorf("department activating: %d", r.status)
	}
}
