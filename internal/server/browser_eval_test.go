package server_test

import (
	"net/http/httptest"
	"net/url"
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

// TestBrowserEvaluation: in Chromium, the subject signed in sees its
// 信用评价 on its page: the grade, the score, each indicator's points and
// the penalty's own contribution; the public sees that evaluations are
// not published.
func TestBrowserEvaluation(t *testing.T) {
	exe := chromium(t)
	out := artefacts(t)
	ctx := t.Context()
	node := apptest.New(t, apptest.Options{Start: time.Date(2026, 6, 1, 10, 0, 0, 0, chinatime.Location)})
	code := uscc.NewGenerator(7).USCC('9', '1', "350100")
	if _, err := node.Records.PutOrganisation(ctx, records.Organisation{Code: code, Name: "福州闽江食品有限公司", LegalRep: "陈三", Status: "存续",
		RegisteredOn: time.Date(2015, 3, 1, 0, 0, 0, 0, chinatime.Location)}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := node.Records.Append(ctx, records.Report{Item: "admin_penalty", Dept: "NDRC-350100", SubjectID: code, Fields: credit.Fields{
		"cf_xdr_mc": "福州闽江食品有限公司", "cf_xdr_lb": "法人及非法人组织", "cf_xdr_shxym": code, "cf_frdb": "陈三",
		"cf_wsh": "榕发改罚〔2026〕21号", "cf_wfxw": "价格违法", "cf_sy": "不执行政府定价", "cf_yj": "《中华人民共和国价格法》第三十九条",
		"cf_cflb": "罚款", "cf_nr": "罚款人民币50万元", "cf_nr_fk": "50", "cf_jdrq": "2026-04-10",
		"cf_cfjg": "福州市发展和改革委员会", "cf_cfjgdm": authorityCode, "cf_sjly": "福州市发展和改革委员会", "cf_sjlydm": authorityCode,
	}}); err != nil {
		t.Fatal(err)
	}
	if _, err := node.Evaluation.Step(ctx); err != nil {
		t.Fatal(err)
	}
	accs := &auth.Accounts{Store: node.Store, Now: node.Clock.Now}
	if _, err := accs.CreateAccount(ctx, "e-subject", "", credit.RoleSubject, "", code, password); err != nil {
		t.Fatal(err)
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

	// The public: not published.
	run("public page", chromedp.Navigate(srv.URL+"/subjects/"+code+"?tab=evaluation"), chromedp.WaitVisible(chromedp.CSS("#evaluation")))
	if got := text("#evaluation"); !strings.Contains(got, "信用评价结果不向社会公开") || strings.Contains(got, "综合得分") {
		t.Errorf("public evaluation section: %q", got)
	}

	// The subject itself.
	run("log in as the subject",
		chromedp.Navigate(srv.URL+"/login?next="+url.QueryEscape("/subjects/"+code+"?tab=evaluation")),
		chromedp.WaitVisible(chromedp.CSS(`input[name="name"]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name="name"]`), "e-subject"),
		chromedp.SendKeys(chromedp.CSS(`input[name="password"]`), password),
		chromedp.Submit(chromedp.CSS(`input[name="password"]`)),
		chromedp.WaitVisible(chromedp.CSS("#evaluation .evaluation")),
	)
	res, err := node.Evaluation.Evaluate(ctx, code)
	if err != nil {
		t.Fatal(err)
	}
	got := text("#evaluation")
	for _, want := range []string{"信用等级", res.Grade + " " + res.GradeName, "综合得分", "合规经营", "行政处罚", "榕发改罚〔2026〕21号", "一般失信", "评价模型版本", res.Model, "等级变化"} {
		if !strings.Contains(got, want) {
			t.Errorf("evaluation section lacks %q:\n%s", want, got)
		}
	}
	shot("20-evaluation-subject-zh")
	run("switch to English", chromedp.Click(chromedp.CSS("a.lang")), chromedp.WaitVisible(chromedp.CSS(`html[lang="en"]`)))
	if got := text("#evaluation"); !strings.Contains(got, "Grade") || !strings.Contains(got, "Administrative penalties") || !strings.Contains(got, res.GradeNameEn) {
		t.Errorf("English evaluation section:\n%s", got)
	}
	shot("21-evaluation-subject-en")
}
