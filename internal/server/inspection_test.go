package server_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/xinyong/xinyong/internal/api"
	"github.com/xinyong/xinyong/internal/app"
	"github.com/xinyong/xinyong/internal/apptest"
	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/chinatime"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/inspection"
	"github.com/xinyong/xinyong/internal/records"
	"github.com/xinyong/xinyong/internal/server"
	"github.com/xinyong/xinyong/internal/signing"
)

// inspectionRequest is a task over the subjects of 福州 (region 3501),
// every one drawn (100 %), with three inspectors of other cities.
func inspectionRequest(source string) map[string]any {
	req := map[string]any{
		"matter": "daily_supervision", "title": "2026年第四季度企业公示信息双随机抽查", "item": "企业年度报告公示情况",
		"filter": map[string]any{"region": "3501"}, "ratios": map[string]int{inspection.DefaultClass: 10000, "A": 10000, "B": 10000, "C": 10000, "D": 10000, "key": 10000},
		"inspectors": []map[string]string{{"id": "E01", "name": "林一", "region": "350200"}, {"id": "E02", "name": "陈二", "region": "350300"},
			{"id": "E03", "name": "黄三", "region": "350100"}},
		"avoid": map[string]any{"own_region": true, "recent_months": 6},
	}
	if source == inspection.SourceBeacon {
		req["randomness"] = map[string]string{"source": source, "beacon": "中国福利彩票双色球 2026年第140期开奖号码"}
	}
	return req
}

// inspectionTask publishes a task of the department through the service
// (and draws it with a beacon value when drawn) and returns its ID.
func (e *env) inspectionTask(drawn bool) string {
	e.t.Helper()
	ctx := e.t.Context()
	var req inspection.Request
	b, _ := json.Marshal(inspectionRequest(inspection.SourceBeacon))
	if err := json.Unmarshal(b, &req); err != nil {
		e.t.Fatal(err)
	}
	t, err := e.node.Inspection.Create(ctx, deptCode, req)
	if err != nil {
		e.t.Fatal(err)
	}
	if drawn {
		if _, _, err := e.node.Inspection.Draw(ctx, deptCode, t.ID, "03 08 15 21 27 33 + 09"); err != nil {
			e.t.Fatal(err)
		}
	}
	return t.ID
}

func (e *env) today() string { return e.clock.Now().In(chinatime.Location).Format("2006-01-02") }

// inspectionScenario answers the role matrix for the inspection routes.
func (e *env) inspectionScenario(rt api.Route, role credit.Role) (req, bool) {
	q := req{method: rt.Method, key: e.keys[role], path: rt.Path}
	p := "/api/v1/inspections"
	switch rt.Path {
	case p:
		if rt.Method == "POST" {
			body := inspectionRequest(inspection.SourceCheckpoint)
			if role != credit.RoleDept {
				body["dept"] = deptCode
			}
			q.body = body
		}
	case p + "/{id}", p + "/{id}/file":
		q.path = strings.Replace(rt.Path, "{id}", e.inspectionTask(true), 1)
	case p + "/{id}/draw":
		q.path = strings.Replace(rt.Path, "{id}", e.inspectionTask(false), 1)
		q.body = map[string]string{"beacon": "03 08 15 21 27 33 + 09"}
	case p + "/{id}/results":
		q.path = strings.Replace(rt.Path, "{id}", e.inspectionTask(true), 1)
		q.body = map[string]string{"subject": orgCode, "result": inspection.ResultPassed, "inspected_on": e.today()}
	default:
		return q, false
	}
	return q, true
}

// TestInspectionDraw: a department publishes a task (the pool snapshot's
// hash, the ratios), draws it with the transparency log's first
// checkpoint after the publication, and the downloaded task file verifies
// offline with the published keys; a tampered file fails saying what
// differs. Avoidance holds; a second draw is refused; the results are
// published and a failed inspection becomes a record of the inspection
// item in the subject's credit file.
func TestInspectionDraw(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	dk := e.keys[credit.RoleDept]
	// Two more subjects of 福州, and one of 厦门 (outside the pool).
	for _, o := range []records.Organisation{{Code: "91350102MA2Y00001E", Name: "福州鼓楼区示例贸易有限公司", Status: "存续"},
		{Code: "91350104MA2Y00001B", Name: "福州仓山区示例科技有限公司", Status: "存续"}, {Code: "91350200MA2Y00001N", Name: "厦门示例有限公司", Status: "存续"}} {
		if _, err := e.svc.PutOrganisation(ctx, o); err != nil {
			t.Fatalf("%s: %v", o.Code, err)
		}
	}
	r := e.do(req{method: "POST", path: "/api/v1/inspections", key: dk, body: inspectionRequest(inspection.SourceCheckpoint)})
	if r.status != http.StatusCreated {
		t.Fatalf("publish: %d %s", r.status, r.body)
	}
	id := r.json(t)["task"].(map[string]any)["id"].(string)
	var view struct {
		Statement inspection.Statement `json:"statement"`
	}
	r = e.do(req{method: "GET", path: "/api/v1/inspections/" + id})
	if err := json.Unmarshal(r.body, &view); err != nil || r.status != http.StatusOK {
		t.Fatalf("read: %d %s", r.status, r.body)
	}
	if view.Statement.PoolSize < 3 || view.Statement.PoolHash == "" || view.Statement.Randomness.Source != inspection.SourceCheckpoint {
		t.Fatalf("statement %+v", view.Statement)
	}
	// Another department may not draw it.
	if r := e.do(req{method: "POST", path: "/api/v1/inspections/" + id + "/draw", key: e.dept2}); r.status != http.StatusForbidden {
		t.Fatalf("another department's draw: %d %s", r.status, r.body)
	}
	r = e.do(req{method: "POST", path: "/api/v1/inspections/" + id + "/draw", key: dk})
	if r.status != http.StatusOK {
		t.Fatalf("draw: %d %s", r.status, r.body)
	}
	if r := e.do(req{method: "POST", path: "/api/v1/inspections/" + id + "/draw", key: dk}); r.status != http.StatusConflict {
		t.Fatalf("second draw: %d %s", r.status, r.body)
	}

	r = e.do(req{method: "GET", path: "/api/v1/inspections/" + id + "/file"})
	if r.status != http.StatusOK {
		t.Fatalf("file: %d %s", r.status, r.body)
	}
	file := r.body
	f, err := inspection.ReadFile(bytes.NewReader(file))
	if err != nil {
		t.Fatal(err)
	}
	kr := e.do(req{method: "GET", path: "/.well-known/xinyong-keys.json"})
	ks, err := signing.ParseKeySet(kr.body)
	if err != nil {
		t.Fatalf("key set: %v %s", err, kr.body)
	}
	v, err := inspection.Verify(f, ks)
	if err != nil {
		t.Fatalf("the published draw does not verify: %v", err)
	}
	if v.CheckpointSize <= f.Draw.Randomness.LeafIndex || v.Drawn != view.Statement.PoolSize {
		t.Fatalf("verified %+v", v)
	}
	for _, d := range f.Draw.Subjects {
		for _, in := range d.Inspectors {
			if in == "E03" { // of 350100: every subject of the pool is in its region
				t.Fatalf("inspector E03 of 福州 sent to %s in 福州", d.Subject)
			}
		}
		if strings.HasPrefix(d.Subject, "91350200") {
			t.Fatalf("a subject of 厦门 in a pool of 福州: %s", d.Subject)
		}
	}

	// Tampered files fail, saying what differs.
	tamper := func(name, want string, edit func(f *inspection.File)) {
		t.Helper()
		g, err := inspection.ReadFile(bytes.NewReader(file))
		if err != nil {
			t.Fatal(err)
		}
		edit(g)
		if _, err := inspection.Verify(g, ks); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: got %v, want an error saying %q", name, err, want)
		}
	}
	tamper("drawn subjects reordered", "drawn subject #1", func(f *inspection.File) {
		s := f.Draw.Subjects
		s[0], s[1] = s[1], s[0]
	})
	tamper("checkpoint changed", "signature", func(f *inspection.File) {
		f.Draw.Randomness.Value = strings.Replace(f.Draw.Randomness.Value, "\n", "\n1", 1)
	})
	tamper("another leaf claimed", "log leaf", func(f *inspection.File) { f.Draw.Randomness.LeafContent = []byte(`{}`) })
	tamper("a pool subject dropped", "pool snapshot was changed", func(f *inspection.File) { f.Pool = f.Pool[1:] })

	// 一公开: a passed and a failed inspection; the failed one is a record.
	drawn := f.Draw.Subjects
	r = e.do(req{method: "POST", path: "/api/v1/inspections/" + id + "/results", key: dk,
		body: map[string]string{"subject": drawn[0].Subject, "result": inspection.ResultPassed, "inspected_on": e.today()}})
	if r.status != http.StatusCreated {
		t.Fatalf("passed result: %d %s", r.status, r.body)
	}
	r = e.do(req{method: "POST", path: "/api/v1/inspections/" + id + "/results", key: dk,
		body: map[string]string{"subject": drawn[1].Subject, "result": inspection.ResultFailed, "detail": "未按期公示2025年度报告", "inspected_on": e.today()}})
	if r.status != http.StatusCreated {
		t.Fatalf("failed result: %d %s", r.status, r.body)
	}
	if r := e.do(req{method: "POST", path: "/api/v1/inspections/" + id + "/results", key: dk,
		body: map[string]string{"subject": drawn[1].Subject, "result": inspection.ResultPassed, "inspected_on": e.today()}}); r.status != http.StatusConflict {
		t.Fatalf("a second result for a subject: %d %s", r.status, r.body)
	}
	if r := e.do(req{method: "POST", path: "/api/v1/inspections/" + id + "/results", key: dk,
		body: map[string]string{"subject": "91350200MA2Y00001N", "result": inspection.ResultPassed, "inspected_on": e.today()}}); r.status != http.StatusBadRequest {
		t.Fatalf("a result for a subject not drawn: %d %s", r.status, r.body)
	}
	recs, err := e.st.RecordsBySubject(ctx, drawn[1].Subject)
	if err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, rec := range recs {
		if rec.Item == inspection.Item && rec.Fields["jc_jg"] == inspection.ResultFailed && rec.Fields["jc_wt"] == "未按期公示2025年度报告" {
			found = true
		}
	}
	if !found {
		t.Fatalf("no inspection_result record for the failed inspection of %s: %+v", drawn[1].Subject, recs)
	}
	if recs, _ := e.st.RecordsBySubject(ctx, drawn[0].Subject); len(recs) > 0 {
		for _, rec := range recs {
			if rec.Item == inspection.Item {
				t.Fatalf("a passed inspection became a record: %+v", rec)
			}
		}
	}
	// The file now carries the results and still verifies.
	r = e.do(req{method: "GET", path: "/api/v1/inspections/" + id + "/file"})
	if f, err = inspection.ReadFile(bytes.NewReader(r.body)); err != nil {
		t.Fatal(err)
	}
	if _, err := inspection.Verify(f, ks); err != nil || len(f.Results) != 2 {
		t.Fatalf("after results: %v, %d results", err, len(f.Results))
	}

	// The portal page, in both languages.
	for lang, want := range map[string][]string{"zh": {"名录库哈希", "下载任务文件", "未按期公示2025年度报告", "福州鼓楼区示例贸易有限公司", "A类（低风险）", "重点监管对象"},
		"en": {"Pool hash", "Download the task file", "Regular", "Routine supervision and random inspection", "Class A (low risk)", "Key targets"}} {
		r := e.do(req{method: "GET", path: "/inspections/" + id + "?lang=" + lang})
		if r.status != http.StatusOK {
			t.Fatalf("portal page (%s): %d", lang, r.status)
		}
		for _, w := range want {
			if !strings.Contains(string(r.body), w) {
				t.Errorf("portal page (%s) lacks %q", lang, w)
			}
		}
		// Classes by the graded supervision's names, not their codes.
		if strings.Contains(string(r.body), "<td>key</td>") {
			t.Errorf("portal page (%s) shows the class code key", lang)
		}
	}

	// The next task avoids sending an inspector to a subject they were
	// sent to within six months.
	r = e.do(req{method: "POST", path: "/api/v1/inspections", key: dk, body: inspectionRequest(inspection.SourceCheckpoint)})
	if r.status != http.StatusCreated {
		t.Fatalf("second task: %d %s", r.status, r.body)
	}
	id2 := r.json(t)["task"].(map[string]any)["id"].(string)
	_, f2, err := e.node.Inspection.Task(ctx, id2)
	if err != nil {
		t.Fatal(err)
	}
	if len(f2.Statement.Recent) == 0 {
		t.Fatal("the second task's statement names no recent inspections to avoid")
	}
	if _, d2, err := e.node.Inspection.Draw(ctx, deptCode, id2, ""); err != nil {
		t.Fatal(err)
	} else {
		for _, d := range d2.Subjects {
			if d.Missing != 2 || len(d.Inspectors) != 0 {
				t.Fatalf("%s: inspectors %v, want none (E01 and E02 inspected it, E03 is of its region)", d.Subject, d.Inspectors)
			}
		}
	}
}

// TestBrowserInspection: the portal's page of a drawn task shows the
// draw (the subjects by name, the inspectors, the checkpoint) and the
// published results, in Chromium.
func TestBrowserInspection(t *testing.T) {
	exe := chromium(t)
	out := artefacts(t)
	ctx := t.Context()
	node := apptest.New(t, apptest.Options{})
	for _, o := range []records.Organisation{{Code: "91350102MA2Y00001E", Name: "福州鼓楼区示例贸易有限公司", Status: "存续"},
		{Code: "91350104MA2Y00001B", Name: "福州仓山区示例科技有限公司", Status: "存续"}} {
		if _, err := node.Records.PutOrganisation(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	var req inspection.Request
	b, _ := json.Marshal(inspectionRequest(inspection.SourceCheckpoint))
	if err := json.Unmarshal(b, &req); err != nil {
		t.Fatal(err)
	}
	task, err := node.Inspection.Create(ctx, deptCode, req)
	if err != nil {
		t.Fatal(err)
	}
	_, d, err := node.Inspection.Draw(ctx, deptCode, task.ID, "")
	if err != nil {
		t.Fatal(err)
	}
	day := node.Clock.Now().In(chinatime.Location).Format("2006-01-02")
	if _, err := node.Inspection.Record(ctx, deptCode, "dept", task.ID, inspection.ResultInput{Subject: "91350104MA2Y00001B", Result: inspection.ResultFailed,
		Detail: "未按期公示年度报告", InspectedOn: day}); err != nil {
		t.Fatal(err)
	}
	h, err := server.New(node.Deps(app.HTTP{Version: "browser-test"}))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()

	bctx := newBrowser(t, exe, 1280, 1400)
	text := func(sel string) string { t.Helper(); return browserText(t, bctx, sel) }
	if err := chromedp.Do(stepCtx(t, bctx), chromedp.Navigate(srv.URL+"/inspections"), chromedp.WaitVisible(chromedp.CSS("table.list"))); err != nil {
		t.Fatal(err)
	}
	if s := text("table.list"); !strings.Contains(s, task.Title) {
		t.Fatalf("the task list does not show the task: %q", s)
	}
	if err := chromedp.Do(stepCtx(t, bctx), chromedp.Click(chromedp.CSS("table.list a")), chromedp.WaitVisible(chromedp.CSS("table.insp-draw"))); err != nil {
		t.Fatal(err)
	}
	draw := text("table.insp-draw")
	for _, want := range []string{"福州鼓楼区示例贸易有限公司", "福州仓山区示例科技有限公司", d.Subjects[0].Rank, "林一"} {
		if !strings.Contains(draw, want) {
			t.Errorf("the draw table lacks %q:\n%s", want, draw)
		}
	}
	if s := text("pre.note-text"); !strings.Contains(s, "— ") {
		t.Errorf("the page does not show the signed checkpoint: %q", s)
	}
	if s := text("table.insp-results"); !strings.Contains(s, "未按期公示年度报告") || !strings.Contains(s, day) {
		t.Errorf("the results table: %q", s)
	}
	shot := func(name string) {
		t.Helper()
		png, err := chromedp.Run(stepCtx(t, bctx), chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(out, name+".png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	shot("inspection-01-draw")

	// The department draws a second task and publishes a result from the
	// task's page.
	task2, err := node.Inspection.Create(ctx, deptCode, req)
	if err != nil {
		t.Fatal(err)
	}
	accs := &auth.Accounts{Store: node.Store, Now: node.Clock.Now}
	if _, err := accs.CreateAccount(ctx, "i-dept", "", credit.RoleDept, deptCode, "", password); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(stepCtx(t, bctx),
		chromedp.Navigate(srv.URL+"/login?next=/inspections/"+task2.ID),
		chromedp.WaitVisible(chromedp.CSS(`input[name="name"]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name="name"]`), "i-dept"),
		chromedp.SendKeys(chromedp.CSS(`input[name="password"]`), password),
		chromedp.Submit(chromedp.CSS(`input[name="password"]`)),
		chromedp.WaitVisible(chromedp.CSS("#insp-draw button")),
		chromedp.Click(chromedp.CSS("#insp-draw button")),
		chromedp.WaitVisible(chromedp.CSS("table.insp-draw")),
		chromedp.WaitVisible(chromedp.CSS("#insp-result")),
		chromedp.SendKeys(chromedp.CSS(`#insp-result input[name="detail"]`), "经营场所与登记不符"),
		chromedp.SetValue(chromedp.CSS(`#insp-result select[name="result"]`), inspection.ResultFailed),
		chromedp.Click(chromedp.CSS("#insp-result button")),
		chromedp.WaitVisible(chromedp.CSS("table.insp-results")),
	); err != nil {
		t.Fatal(err)
	}
	if s := text("table.insp-results"); !strings.Contains(s, "经营场所与登记不符") {
		t.Errorf("the published result: %q", s)
	}
	if s := text("p.notice"); !strings.Contains(s, "检查结果已公布") {
		t.Errorf("the notice after publishing: %q", s)
	}
	shot("inspection-02-dept-drew")
	f2, err := node.Inspection.File(ctx, task2.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := inspection.Verify(f2, nil); err != nil || len(f2.Results) != 1 {
		t.Fatalf("the task drawn on the portal: %v, %d results", err, len(f2.Results))
	}
}

// TestInspectionRatiosFromGradedSupervision: a task that states a ratio
// only for the regular class takes each graded class's ratio from the
// department's graded supervision (the evaluation model's data), and each
// subject's class is the evaluation's.
func TestInspectionRatiosFromGradedSupervision(t *testing.T) {
	e := newEnv(t)
	body := inspectionRequest(inspection.SourceCheckpoint)
	body["ratios"] = map[string]int{inspection.DefaultClass: 1000}
	r := e.do(req{method: "POST", path: "/api/v1/inspections", key: e.keys[credit.RoleDept], body: body})
	if r.status != http.StatusCreated {
		t.Fatalf("publish: %d %s", r.status, r.body)
	}
	id := r.json(t)["task"].(map[string]any)["id"].(string)
	var view struct {
		Statement inspection.Statement `json:"statement"`
	}
	r = e.do(req{method: "GET", path: "/api/v1/inspections/" + id})
	if err := json.Unmarshal(r.body, &view); err != nil || r.status != http.StatusOK {
		t.Fatalf("read: %d %s", r.status, r.body)
	}
	sup := e.node.Evaluation.Model().SupervisionFor(deptCode, "daily_supervision")
	if sup == nil {
		t.Fatal("the department has no graded supervision for daily_supervision")
	}
	want := map[string]int{inspection.DefaultClass: 1000}
	for _, c := range sup.Classes {
		want[c.Code] = int(c.Ratio*10000 + 0.5)
	}
	if sup.KeyTargets != nil {
		want[sup.KeyTargets.Code] = int(sup.KeyTargets.Ratio*10000 + 0.5)
	}
	graded := 0
	for _, c := range view.Statement.Classes {
		if w, ok := want[c.Class]; !ok || w != c.RatioBP {
			t.Errorf("class %s at %d bp, want %d (known %v)", c.Class, c.RatioBP, w, ok)
		}
		if c.Class != inspection.DefaultClass {
			graded += c.Pool
		}
	}
	if graded == 0 {
		t.Errorf("no subject of the pool is in a graded class: %+v", view.Statement.Classes)
	}
}
