package server_test

import (
	"context"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"

	"github.com/xinyong/xinyong/internal/app"
	"github.com/xinyong/xinyong/internal/apptest"
	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/report"
	"github.com/xinyong/xinyong/internal/report/reportbench"
	"github.com/xinyong/xinyong/internal/server"
)

// TestBrowserReports: a subject signs in, draws its 公共信用信息报告 and a
// 专项信用报告 on the portal in Chromium and downloads them; the files
// verify with the published keys, the PDF shows the subject's name, code
// and the report number (pdftotext) and renders (pdftoppm); the QR code's
// page shows the report valid.
func TestBrowserReports(t *testing.T) {
	exe := chromium(t)
	out := artefacts(t)
	ctx := t.Context()
	node := apptest.New(t, apptest.Options{})
	subj, err := reportbench.Organisation(ctx, node.Records, reportbench.OrgCode, reportbench.OrgName, 5, node.Clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	accs := &auth.Accounts{Store: node.Store, Now: node.Clock.Now}
	if _, err := accs.CreateAccount(ctx, "r-subject", "", credit.RoleSubject, "", subj.ID, password); err != nil {
		t.Fatal(err)
	}
	h, err := server.New(node.Deps(app.HTTP{Version: "browser-test"}))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	ks, err := node.KeySet(ctx)
	if err != nil {
		t.Fatal(err)
	}

	bctx := newBrowser(t, exe, 1280, 1400)
	run := func(step string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		browserRun(t, bctx, step, actions...)
	}
	shot := func(name string) { t.Helper(); saveShot(t, bctx, out, name) }
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(stepCtx(t, bctx), chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("read %s: %v", sel, err)
		}
		return strings.TrimSpace(s)
	}
	dl := t.TempDir()
	yes := true
	run("allow downloads", chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
			Behavior: browser.SetDownloadBehaviorBehaviorAllowAndName, DownloadPath: dl, EventsEnabled: &yes})
		return err
	}))
	// download clicks a link and waits until the browser has the file.
	download := func(sel string) []byte {
		t.Helper()
		sctx := stepCtx(t, bctx)
		progress := chromedp.Events(sctx, browser.DownloadProgress)
		run("click "+sel, chromedp.Click(chromedp.CSS(sel)))
		for ev, err := range progress {
			if err != nil {
				t.Fatalf("download %s: %v", sel, err)
			}
			if ev.State == browser.DownloadProgressStateCanceled {
				t.Fatalf("download %s cancelled", sel)
			}
			if ev.State != browser.DownloadProgressStateCompleted {
				continue
			}
			b, err := os.ReadFile(filepath.Join(dl, ev.GUID))
			if err != nil {
				t.Fatal(err)
			}
			return b
		}
		t.Fatalf("download %s: no file", sel)
		return nil
	}

	run("sign in",
		chromedp.Navigate(srv.URL+"/login?next=/my/reports"),
		chromedp.WaitVisible(chromedp.CSS(`input[name="name"]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name="name"]`), "r-subject"),
		chromedp.SendKeys(chromedp.CSS(`input[name="password"]`), password),
		chromedp.Submit(chromedp.CSS(`input[name="password"]`)),
		chromedp.WaitVisible(chromedp.CSS("#form-public")),
	)
	shot("reports-01-my-reports")

	// The 公共信用信息报告, for a tender.
	run("issue the public credit report",
		chromedp.SetValue(chromedp.CSS(`#form-public select[name="purpose"]`), "bidding"),
		chromedp.Submit(chromedp.CSS("#form-public button")),
		chromedp.WaitVisible(chromedp.CSS("#issued")),
	)
	no := text("#issued .report-no")
	if !strings.HasPrefix(no, "XY") {
		t.Fatalf("report number %q", no)
	}
	shot("reports-02-issued")
	pdf := download("#download-pdf")
	env, err := report.VerifyPDF(pdf, ks)
	if err != nil {
		t.Fatalf("the downloaded PDF: %v", err)
	}
	if v, err := report.Verify(env, ks, node.Clock.Now(), nil); err != nil || v.No != no || v.Kind != "public_credit" {
		t.Fatalf("its report: %+v %v", v, err)
	}
	checkPDFText(t, pdf, out, "reports-public", reportbench.OrgName, reportbench.OrgCode, no, "公共信用信息报告")

	// The 专项信用报告, for two domains, and its JSON.
	run("issue the special report",
		chromedp.Navigate(srv.URL+"/my/reports"),
		chromedp.WaitVisible(chromedp.CSS("#form-special")),
		chromedp.Click(chromedp.CSS(`#form-special input[value="housing"]`)),
		chromedp.Submit(chromedp.CSS("#form-special button")),
		chromedp.WaitVisible(chromedp.CSS("#issued")),
	)
	no2 := text("#issued .report-no")
	if no2 == no || !strings.HasPrefix(no2, "XY") {
		t.Fatalf("second report number %q", no2)
	}
	jsonEnv := download("#download-json")
	v, err := report.Verify(jsonEnv, ks, node.Clock.Now(), nil)
	if err != nil || v.No != no2 || v.Kind != "special" {
		t.Fatalf("the downloaded JSON: %+v %v", v, err)
	}
	pdf2 := download("#download-pdf")
	if _, err := report.VerifyPDF(pdf2, ks); err != nil {
		t.Fatalf("the special PDF: %v", err)
	}
	checkPDFText(t, pdf2, out, "reports-special", reportbench.OrgName, reportbench.OrgCode, no2, "专项信用报告", "市场监管", "违法违规记录")
	if got := text("#reports"); !strings.Contains(got, no) || !strings.Contains(got, no2) {
		t.Errorf("the list of reports: %q", got)
	}

	// The QR code's page: valid, nothing of the content.
	run("verify by number", chromedp.Navigate(srv.URL+"/verify/"+no2), chromedp.WaitVisible(chromedp.CSS("#verification")))
	page := text("#verification")
	if !strings.Contains(page, "有效") || strings.Contains(page, reportbench.OrgName) {
		t.Errorf("verification page: %q", page)
	}
	shot("reports-03-verify")
}

// checkPDFText checks a PDF's text with pdftotext and draws its first
// page with pdftoppm, kept with the screenshots.
func checkPDFText(t *testing.T, pdf []byte, out, name string, want ...string) {
	t.Helper()
	if _, err := exec.LookPath("pdftotext"); err != nil {
		t.Fatal("poppler-utils (pdftotext, pdftoppm) is needed: apt-get install poppler-utils")
	}
	path := filepath.Join(out, name+".pdf")
	if err := os.WriteFile(path, pdf, 0o644); err != nil {
		t.Fatal(err)
	}
	b, err := exec.Command("pdftotext", "-layout", path, "-").Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range want {
		if !strings.Contains(string(b), w) {
			t.Errorf("%s: pdftotext does not find %q", name, w)
		}
	}
	if err := exec.Command("pdftoppm", "-r", "60", "-png", "-singlefile", "-f", "1", "-l", "1", path, filepath.Join(out, name+"-page1")).Run(); err != nil {
		t.Fatal(err)
	}
	if png, err := os.ReadFile(filepath.Join(out, name+"-page1.png")); err != nil || len(png) < 1000 {
		t.Fatalf("pdftoppm: %v", err)
	}
}
