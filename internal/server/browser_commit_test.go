package server_test

import (
	"context"
	"net/http/httptest"
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

// TestBrowserCommitment takes a 容缺受理 commitment through the real
// server in headless Chromium: the subject reads the matter's template,
// sees it is eligible, chooses the market regulator, lists the missing
// materials and signs; the commitment is published on its page. The due
// date passes; the unit finds it in its overdue queue, decides the breach
// with a document, and the public page shows the commitment as broken.
// The statistics page draws its charts.
func TestBrowserCommitment(t *testing.T) {
	exe := chromium(t)
	out := artefacts(t)
	ctx := t.Context()

	node := apptest.New(t, apptest.Options{Start: time.Date(2026, 6, 1, 10, 0, 0, 0, chinatime.Location)}) // a Monday
	clk, st, svc := node.Clock, node.Store, node.Records
	code := uscc.NewGenerator(11).USCC('9', '1', "350100")
	const name, dept = "福州诚诺食品有限公司", "SAMR-350100"
	if _, err := svc.PutOrganisation(ctx, records.Organisation{Code: code, Name: name, LegalRep: "陈三", Status: "存续"}); err != nil {
		t.Fatal(err)
	}
	accs := &auth.Accounts{Store: st, Now: clk.Now}
	for _, a := range []struct {
		name          string
		role          credit.Role
		dept, subject string
	}{{"c-subject", credit.RoleSubject, "", code}, {"c-unit", credit.RoleDept, dept, ""}} {
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

	// --- the subject signs ---
	login("c-subject", "/my/commitments", "#templates")
	shot("cm-01-my-commitments")
	run("open the 容缺受理 template",
		chromedp.Click(chromedp.CSS("#sign-licence_approval-rongque")),
		chromedp.WaitVisible(chromedp.CSS("#sign-form")),
	)
	if got := text("#eligibility"); !strings.Contains(got, "本主体符合该事项容缺受理条件") {
		t.Fatalf("eligibility on the form: %q", got)
	}
	run("choose the market regulator",
		chromedp.SetValue(chromedp.CSS(`#preview-form select[name="unit"]`), dept),
		chromedp.Submit(chromedp.CSS(`#preview-form select[name="unit"]`)),
		chromedp.WaitVisible(chromedp.CSS("#sign-form")),
	)
	if got := text("#draft-promise"); !strings.Contains(got, "福州市市场监督管理局") || !strings.Contains(got, name) {
		t.Fatalf("the template for the unit chosen: %q", got)
	}
	due := text("#draft-due")
	shot("cm-02-template")
	run("sign",
		chromedp.SendKeys(chromedp.CSS(`textarea[name="materials"]`), "食品安全管理制度文本\n从业人员健康证明"),
		chromedp.SendKeys(chromedp.CSS(`input[name="signer"]`), "陈三"),
		chromedp.SendKeys(chromedp.CSS(`input[name="signer_role"]`), "法定代表人"),
		chromedp.Click(chromedp.CSS(`input[name="accept"]`)),
		chromedp.Click(chromedp.CSS("#do-sign")),
		chromedp.WaitVisible(chromedp.CSS("#cm-state")),
	)
	if got := text("#cm-state"); got != "待履行" {
		t.Fatalf("after signing: %q", got)
	}
	if got := text("#cm-due"); !strings.Contains(got, due) {
		t.Errorf("due %q, the form said %q", got, due)
	}
	shot("cm-03-signed")
	run("public page", chromedp.Navigate(srv.URL+"/subjects/"+code+"?tab=commitments"), chromedp.WaitVisible(chromedp.CSS("#commitments")))
	if got := text("#commitments"); !strings.Contains(got, "容缺受理型") || !strings.Contains(got, "从业人员健康证明") {
		t.Errorf("the public page lacks the commitment:\n%s", got)
	}
	logout()

	// --- the due date passes; the unit decides ---
	cs, err := node.Commit.SubjectCommitments(ctx, code)
	if err != nil || len(cs) != 1 {
		t.Fatalf("commitments %+v %v", cs, err)
	}
	clk.Set(chinatime.EndOfDay(cs[0].Due).Add(9 * time.Hour))
	if n, err := node.Commit.Sweep(ctx); err != nil || n != 1 {
		t.Fatalf("sweep: %d %v", n, err)
	}
	login("c-unit", "/console/commitments%3Fstate%3Doverdue", "#cm-queue")
	shot("cm-04-overdue-queue")
	run("open the overdue commitment",
		chromedp.Click(chromedp.CSS(`#cm-queue tr[data-commitment] a`)),
		chromedp.WaitVisible(chromedp.CSS("#break-form")),
	)
	if got := text("#cm-state"); got != "已逾期" {
		t.Fatalf("state %q", got)
	}
	sctx, cancel2 := context.WithTimeout(bctx, time.Minute)
	defer cancel2()
	if err := chromedp.Do(sctx,
		chromedp.SendKeys(chromedp.CSS(`#break-form input[name="doc_no"]`), "榕市监违诺〔2026〕12号"),
		chromedp.SendKeys(chromedp.CSS(`#break-form textarea[name="reason"]`), "逾期未补交食品安全管理制度文本和从业人员健康证明"),
		chromedp.Click(chromedp.CSS("#do-break")),
		chromedp.WaitNotPresent(chromedp.CSS("#do-break")),
		chromedp.WaitVisible(chromedp.CSS("#cm-state")),
	); err != nil {
		t.Fatalf("decide the breach: %v (page: %s)", err, text("body"))
	}
	if got := text("#cm-state"); got != "已违诺" {
		t.Fatalf("after the decision: %q", got)
	}
	shot("cm-05-broken")
	run("statistics", chromedp.Navigate(srv.URL+"/console/commitments/stats"), chromedp.WaitVisible(chromedp.CSS("#cm-stats")))
	shot("cm-06-stats")
	logout()

	// The public page shows the breach, published as 失信 information.
	run("public page after the breach", chromedp.Navigate(srv.URL+"/subjects/"+code+"?tab=commitments"), chromedp.WaitVisible(chromedp.CSS("#commitments")))
	if got := text("#commitments"); !strings.Contains(got, "全部未履行") || !strings.Contains(got, "榕市监违诺〔2026〕12号") {
		t.Errorf("the public page does not show the breach:\n%s", got)
	}
	shot("cm-07-public-broken")
}
