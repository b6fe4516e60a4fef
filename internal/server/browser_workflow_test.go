package server_test

import (
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/xinyong/xinyong/internal/app"
	"github.com/xinyong/xinyong/internal/apptest"
	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/chinatime"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/records"
	"github.com/xinyong/xinyong/internal/server"
	"github.com/xinyong/xinyong/internal/uscc"
)

// TestBrowserObjectionAndRepair takes one objection and one repair end to
// end through the real server in headless Chromium: the subject files with
// an evidence file and gets a tracking code; the deciding unit works its
// queue; the applicant follows progress and answers the one-time request
// for materials with the tracking code alone; the public page marks the
// record under objection and drops the repaired one.
func TestBrowserObjectionAndRepair(t *testing.T) {
	exe := chromium(t)
	out := artefacts(t)
	ctx := t.Context()

	node := apptest.New(t, apptest.Options{Start: time.Date(2026, 6, 1, 10, 0, 0, 0, chinatime.Location)}) // a Monday
	clk, st, svc := node.Clock, node.Store, node.Records
	code := uscc.NewGenerator(7).USCC('9', '1', "350100")
	const name, dept = "福州恒泰电子科技有限公司", "NDRC-350100"
	if _, err := svc.PutOrganisation(ctx, records.Organisation{Code: code, Name: name, LegalRep: "林二", Status: "存续"}); err != nil {
		t.Fatal(err)
	}
	penalty := func(doc, date string) string {
		r, _, err := svc.Append(ctx, records.Report{Item: "admin_penalty", Dept: dept, SubjectID: code, Fields: credit.Fields{
			"cf_xdr_mc": name, "cf_xdr_lb": "法人及非法人组织", "cf_xdr_shxym": code, "cf_frdb": "林二",
			"cf_wsh": doc, "cf_wfxw": "价格违法", "cf_sy": "不执行政府定价", "cf_yj": "《中华人民共和国价格法》第三十九条",
			"cf_cflb": "罚款", "cf_nr": "罚款人民币50万元", "cf_nr_fk": "50", "cf_jdrq": date,
			"cf_cfjg": "福州市发展和改革委员会", "cf_cfjgdm": authorityCode, "cf_sjly": "福州市发展和改革委员会", "cf_sjlydm": authorityCode,
		}})
		if err != nil {
			t.Fatal(err)
		}
		return r.ID
	}
	objected := penalty("榕发改罚〔2026〕21号", "2026-05-20")
	repaired := penalty("榕发改罚〔2026〕3号", "2026-01-10") // 一般: minimum 3 months served
	accs := &auth.Accounts{Store: st, Now: clk.Now}
	for _, a := range []struct {
		name          string
		role          credit.Role
		dept, subject string
	}{{"w-subject", credit.RoleSubject, "", code}, {"w-unit", credit.RoleDept, dept, ""}} {
		if _, err := accs.CreateAccount(ctx, a.name, "", a.role, a.dept, a.subject, password); err != nil {
			t.Fatal(err)
		}
	}
	h, err := server.New(node.Deps(app.HTTP{Version: "browser-test"}))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	evidence := filepath.Join(t.TempDir(), "缴款凭证.pdf")
	if err := os.WriteFile(evidence, pdf, 0o644); err != nil {
		t.Fatal(err)
	}

	bctx := newBrowser(t, exe, 1280, 1400)

	run := func(step string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		browserRun(t, bctx, step, actions...)
	}
	text := func(sel string) string { t.Helper(); return browserText(t, bctx, sel) }
	shot := func(name string) { t.Helper(); saveShot(t, bctx, out, name) }
	login := func(who, next, wait string) {
		t.Helper()
		run("log in as "+who,
			chromedp.Navigate(srv.URL+"/login?next="+next),
			chromedp.WaitVisible(chromedp.CSS(`input[name="name"]`)),
			chromedp.SendKeys(chromedp.CSS(`input[name="name"]`), who),
			chromedp.SendKeys(chromedp.CSS(`input[name="password"]`), password),
			chromedp.Submit(chromedp.CSS(`input[name="password"]`)),
			chromedp.WaitVisible(chromedp.CSS(wait)),
		)
	}
	logout := func() {
		t.Helper()
		run("log out", chromedp.Click(chromedp.CSS("form.inline button")), chromedp.WaitVisible(chromedp.CSS("#q")))
	}
	track := func(code string) string {
		t.Helper()
		run("track",
			chromedp.Navigate(srv.URL+"/track"),
			chromedp.WaitVisible(chromedp.CSS(`#track-form input[name="code"]`)),
			chromedp.SendKeys(chromedp.CSS(`#track-form input[name="code"]`), code),
			chromedp.Submit(chromedp.CSS(`#track-form input[name="code"]`)),
			chromedp.WaitVisible(chromedp.CSS("#track-state")),
		)
		return text("#track-state")
	}
	// decide opens the unit's queue, the first case, and presses a button.
	openFirst := func(kind string) {
		t.Helper()
		run("open the "+kind+" queue",
			chromedp.Navigate(srv.URL+"/console/cases?kind="+kind),
			chromedp.WaitVisible(chromedp.CSS("#queue")),
			chromedp.Click(chromedp.CSS("#queue tr[data-case] a")),
			chromedp.WaitVisible(chromedp.CSS("#case-state")),
		)
	}
	press := func(button, wantState string) {
		t.Helper()
		// The button is gone once the page of the new state has loaded
		// (the same URL, so waiting for #case-state alone would race).
		// The timeout only keeps a refused step from hanging the test.
		sctx, cancel := context.WithTimeout(bctx, time.Minute)
		defer cancel()
		if err := chromedp.Do(sctx, chromedp.Click(chromedp.CSS("#do-"+button)), chromedp.WaitNotPresent(chromedp.CSS("#do-"+button)),
			chromedp.WaitVisible(chromedp.CSS("#case-state"))); err != nil {
			t.Fatalf("press %s: %v (page: %s)", button, err, text("body"))
		}
		if got := text("#case-state"); got != wantState {
			t.Fatalf("after %s: state %q, want %q", button, got, wantState)
		}
	}

	// --- the objection ---
	login("w-subject", "/my/cases", "#records")
	shot("wf-01-my-records")
	run("file an objection",
		chromedp.Click(chromedp.CSS(`tr[data-record="`+objected+`"] a.object`)),
		chromedp.WaitVisible(chromedp.CSS("#objection-form")),
		chromedp.SendKeys(chromedp.CSS(`textarea[name="reasons"]`), "罚款金额录入错误，实际为5万元"),
		chromedp.SetUploadFiles(chromedp.CSS(`#objection-form input[name="evidence"]`), []string{evidence}),
		chromedp.Submit(chromedp.CSS(`textarea[name="reasons"]`)),
		chromedp.WaitVisible(chromedp.CSS("#track-code")),
	)
	objCode := text("#track-code")
	if len(objCode) != 19 {
		t.Fatalf("tracking code %q", objCode)
	}
	shot("wf-02-objection-filed")
	logout()

	login("w-unit", "/console/cases?kind=objection", "#queue")
	shot("wf-03-unit-queue")
	openFirst("objection")
	if got := text("body"); !strings.Contains(got, "缴款凭证.pdf") || !strings.Contains(got, "罚款金额录入错误") {
		t.Errorf("case page lacks the evidence or the reasons:\n%s", got)
	}
	press("accept", "已受理，核实中")
	shot("wf-04-verifying")
	// While under verification the public page marks the record.
	run("public page", chromedp.Navigate(srv.URL+"/subjects/"+code+"?tab=penalties"), chromedp.WaitVisible(chromedp.CSS("#penalties")))
	if got := text("#penalties"); !strings.Contains(got, "异议处理中") {
		t.Errorf("public page does not mark the record under objection:\n%s", got)
	}
	openFirst("objection")
	run("dismiss", chromedp.SendKeys(chromedp.CSS(`textarea[name="reason"]`), "经核实，罚款金额无误"))
	press("dismiss", "异议不成立")
	logout()
	if got := track(objCode); got != "异议不成立" {
		t.Errorf("tracking shows %q", got)
	}
	if got := text("body"); !strings.Contains(got, "经核实，罚款金额无误") || strings.Contains(got, "w-unit") {
		t.Errorf("tracking page: reasons missing or officer named:\n%s", got)
	}
	shot("wf-05-objection-tracked")

	// --- the repair ---
	login("w-subject", "/my/repairs/new?record="+repaired, "#eligible")
	run("apply for repair",
		chromedp.SendKeys(chromedp.CSS(`textarea[name="statement"]`), "已缴纳全部罚款并完成整改"),
		chromedp.Click(chromedp.CSS(`input[name="obligations"]`)),
		chromedp.Click(chromedp.CSS(`input[name="commitment"]`)),
		chromedp.SetUploadFiles(chromedp.CSS(`#repair-form input[name="evidence"]`), []string{evidence}),
		chromedp.Submit(chromedp.CSS(`textarea[name="statement"]`)),
		chromedp.WaitVisible(chromedp.CSS("#track-code")),
	)
	repCode := text("#track-code")
	shot("wf-06-repair-filed")
	// An early application for the other record is told why and from when.
	run("early repair", chromedp.Navigate(srv.URL+"/my/repairs/new?record="+objected), chromedp.WaitVisible(chromedp.CSS("#ineligible")))
	if got := text("#ineligible"); !strings.Contains(got, "2026-08-20") {
		t.Errorf("ineligible page does not give the date:\n%s", got)
	}
	logout()

	login("w-unit", "/console/cases?kind=repair", "#queue")
	openFirst("repair")
	run("ask for materials", chromedp.SendKeys(chromedp.CSS(`textarea[name="missing"]`), "整改报告"))
	press("request_materials", "待补正材料")
	logout()

	if got := track(repCode); got != "待补正材料" || !strings.Contains(text("#missing"), "整改报告") {
		t.Fatalf("tracking the request for materials: %q", got)
	}
	run("upload with the tracking code",
		chromedp.SetUploadFiles(chromedp.CSS(`#upload-form input[name="evidence"]`), []string{evidence}),
		chromedp.Submit(chromedp.CSS(`#upload-form input[name="evidence"]`)),
		chromedp.WaitVisible(chromedp.CSS(`p[role="status"]`)),
		chromedp.Click(chromedp.CSS("#supplement-form button")),
		chromedp.WaitNotPresent(chromedp.CSS("#supplement-form")),
		chromedp.WaitVisible(chromedp.CSS("#track-state")),
	)
	if got := text("#track-state"); got != "已转认定单位，待受理" {
		t.Fatalf("after supplementing: %q", got)
	}
	shot("wf-07-supplemented")

	login("w-unit", "/console/cases?kind=repair", "#queue")
	openFirst("repair")
	press("accept", "已受理，审核中")
	press("approve", "已修复")
	shot("wf-08-repaired")
	logout()
	if got := track(repCode); got != "已修复" {
		t.Errorf("tracking the repair: %q", got)
	}
	// Publication has ended: the repaired penalty is gone from the public
	// page; the other one is still there.
	run("public page after repair", chromedp.Navigate(srv.URL+"/subjects/"+code+"?tab=penalties"), chromedp.WaitVisible(chromedp.CSS("#penalties")))
	got := text("#penalties")
	if strings.Contains(got, "榕发改罚〔2026〕3号") || !strings.Contains(got, "榕发改罚〔2026〕21号") {
		t.Errorf("public penalties after repair:\n%s", got)
	}
	shot("wf-09-public-after-repair")
}
