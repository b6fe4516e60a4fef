package server_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/xuri/excelize/v2"

	"github.com/xinyong/xinyong/internal/app"
	"github.com/xinyong/xinyong/internal/apptest"
	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/chinatime"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/records"
	"github.com/xinyong/xinyong/internal/server"
	"github.com/xinyong/xinyong/internal/sitecontent"
	"github.com/xinyong/xinyong/internal/uscc"
	"github.com/xinyong/xinyong/internal/web"
)

// portalNode is a node with a few organisations, their penalties and
// licences, entries on two black lists reported by the deciding units, a
// notice and a policy, served with the operating unit in the footer.
func portalNode(t *testing.T) (srv *httptest.Server, codes map[string]string) {
	t.Helper()
	ctx := t.Context()
	node := apptest.New(t, apptest.Options{Start: time.Date(2026, 6, 1, 10, 0, 0, 0, chinatime.Location)})
	svc := node.Records
	gen := uscc.NewGenerator(7)
	codes = map[string]string{}
	for _, o := range []records.Organisation{
		{Name: "福州闽江建设工程有限公司", LegalRep: "陈东", Status: "存续"},
		{Name: "福州榕城食品贸易有限公司", LegalRep: "林南", Status: "存续"},
		{Name: "福州鼓楼区万家超市有限公司", LegalRep: "黄西", Status: "存续"},
	} {
		o.Code = gen.USCC('9', '1', "350100")
		o.RegisteredOn = time.Date(2012, 4, 1, 0, 0, 0, 0, chinatime.Location)
		if _, err := svc.PutOrganisation(ctx, o); err != nil {
			t.Fatal(err)
		}
		codes[o.Name] = o.Code
	}
	build := codes["福州闽江建设工程有限公司"]
	food := codes["福州榕城食品贸易有限公司"]
	for i, f := range []struct {
		code, name, doc, what, amount, date string
	}{
		{build, "福州闽江建设工程有限公司", "榕市监罚〔2026〕31号", "未按规定公示年度报告", "2", "2026-02-10"},
		{food, "福州榕城食品贸易有限公司", "榕市监罚〔2026〕45号", "经营超过保质期的食品", "8", "2026-03-15"},
	} {
		if _, _, err := svc.Append(ctx, records.Report{Item: "admin_penalty", Dept: "SAMR-350100", SubjectID: f.code, Fields: credit.Fields{
			"cf_xdr_mc": f.name, "cf_xdr_lb": "法人及非法人组织", "cf_xdr_shxym": f.code, "cf_frdb": "陈东",
			"cf_wsh": f.doc, "cf_wfxw": f.what, "cf_sy": f.what, "cf_yj": "《中华人民共和国食品安全法》第一百二十四条",
			"cf_cflb": "罚款", "cf_nr": "罚款人民币" + f.amount + "万元", "cf_nr_fk": f.amount, "cf_jdrq": f.date,
			"cf_cfjg": "福州市市场监督管理局", "cf_cfjgdm": authorityCode, "cf_sjly": "福州市市场监督管理局", "cf_sjlydm": authorityCode,
		}}); err != nil {
			t.Fatalf("penalty %d: %v", i, err)
		}
	}
	for _, l := range []struct{ code, name, list, grounds, doc, date string }{
		{build, "福州闽江建设工程有限公司", "wage_arrears_dishonest", "拖欠农民工工资数额较大，经责令限期支付逾期未支付", "榕人社列〔2026〕2号", "2026-04-20"},
		{food, "福州榕城食品贸易有限公司", "samr_serious_illegal", "因食品安全违法行为受到较重行政处罚", "榕市监列〔2026〕5号", "2026-05-08"},
	} {
		dept, by := "SAMR-350100", "福州市市场监督管理局"
		if l.list == "wage_arrears_dishonest" {
			dept, by = "HRSS-350100", "福州市人力资源和社会保障局"
		}
		if _, _, err := svc.Append(ctx, records.Report{Item: "serious_dishonest_list", Dept: dept, SubjectID: l.code, Fields: credit.Fields{
			"yz_mc": l.name, "yz_lb": "法人及非法人组织", "yz_shxym": l.code, "yz_frdb": "陈东",
			"yz_md": l.list, "yz_lrsy": l.grounds, "yz_rdyj": "国办发〔2020〕49号", "yz_wsh": l.doc, "yz_lrrq": l.date,
			"yz_rdjg": by, "yz_rdjgdm": authorityCode,
		}}); err != nil {
			t.Fatalf("list %s: %v", l.list, err)
		}
	}
	if err := node.Sanction.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	sc := sitecontent.New(node.Store, node.Clock.Now)
	for _, in := range []sitecontent.Input{
		{Section: credit.SectionNotices, Title: "关于开展2026年度信用修复集中培训的通知", Body: "## 培训安排\n\n- 时间：6月10日\n- 地点：市行政服务中心", Date: "2026-05-28"},
		{Section: credit.SectionPolicies, Title: "关于进一步完善失信约束制度构建诚信建设长效机制的指导意见", Body: "国办发〔2020〕49号", Date: "2020-12-07"},
	} {
		if _, err := sc.Create(ctx, "setup", in); err != nil {
			t.Fatal(err)
		}
	}
	h, err := server.New(node.Deps(app.HTTP{Version: "browser-test",
		Site: web.Site{Operator: "福州市发展和改革委员会", OperatorEn: "Fuzhou Development and Reform Commission", ICP: "闽ICP备12345678号", Police: "闽公网安备35010002000001号"}}))
	if err != nil {
		t.Fatal(err)
	}
	srv = httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv, codes
}

// TestBrowserPortal walks the public portal in headless Chromium: the home
// page (counts, list types, notices, guides, footer), a list type's page
// with its filters, an entry's page, the subject page's tabs; the guides'
// forms are real workbooks. Screenshots of each step are kept.
func TestBrowserPortal(t *testing.T) {
	exe := chromium(t)
	out := screenshots(t)
	srv, codes := portalNode(t)
	bctx := newBrowser(t, exe, 1280, 1000)
	run := func(step string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		browserRun(t, bctx, step, actions...)
	}
	shot := func(name string) { t.Helper(); saveShot(t, bctx, out, name) }
	text := func(sel string) string { t.Helper(); return browserText(t, bctx, sel) }
	count := func(sel string) int {
		t.Helper()
		n, err := chromedp.Run(stepCtx(t, bctx), chromedp.Evaluate[int](fmt.Sprintf(`document.querySelectorAll(%q).length`, sel)))
		if err != nil {
			t.Fatalf("count %s: %v", sel, err)
		}
		return n
	}

	// Home.
	run("home", chromedp.Navigate(srv.URL+"/"), chromedp.WaitVisible(chromedp.CSS(".home-stats")))
	stats := text(".home-stats")
	for _, want := range []string{"信用主体", "信用信息", "名单在列条目", "本月完成信用修复"} {
		if !strings.Contains(stats, want) {
			t.Errorf("home counts lack %q: %s", want, stats)
		}
	}
	if got := text(`.home-stats [data-stat="home_stat_subjects"] .n`); got != "3" {
		t.Errorf("subjects counted %q, want 3", got)
	}
	if got := text(`a.list-type[data-list="wage_arrears_dishonest"] .n`); got != "1" {
		t.Errorf("拖欠农民工工资 list counts %q, want 1", got)
	}
	for _, want := range []string{"关于开展2026年度信用修复集中培训的通知", "关于进一步完善失信约束制度构建诚信建设长效机制的指导意见"} {
		if !strings.Contains(text(".home-posts"), want) {
			t.Errorf("home lacks the post %q", want)
		}
	}
	if n := count(".guide"); n != 3 {
		t.Errorf("%d guides, want 3 (objection, repair, commitment)", n)
	}
	foot := text("footer")
	for _, want := range []string{"福州市发展和改革委员会", "闽ICP备12345678号", "闽公网安备35010002000001号"} {
		if !strings.Contains(foot, want) {
			t.Errorf("footer lacks %q: %s", want, foot)
		}
	}
	shot("portal-01-home")

	// The notice's page, rendered from Markdown.
	run("notice", chromedp.Click(chromedp.CSS(".home-notices a")), chromedp.WaitVisible(chromedp.CSS(".post-body h2")))
	if got := text(".post-body"); !strings.Contains(got, "市行政服务中心") {
		t.Errorf("notice body %q", got)
	}
	shot("portal-02-notice")

	// A list type's page, from the home page; then filtered.
	run("list type", chromedp.Navigate(srv.URL+"/"), chromedp.WaitVisible(chromedp.CSS(".home-lists")),
		chromedp.Click(chromedp.CSS(`a.list-type[data-list="samr_serious_illegal"]`)), chromedp.WaitVisible(chromedp.CSS("table.list-entries")))
	if got := text("h1"); got != "市场监督管理严重违法失信名单" {
		t.Errorf("list page title %q", got)
	}
	if got := text("table.list-type-facts"); !strings.Contains(got, "移出条件") || !strings.Contains(got, "依据") {
		t.Errorf("list type facts %q", got)
	}
	if n := count("table.list-entries tbody tr"); n != 1 {
		t.Errorf("%d entries on the market regulator's list, want 1", n)
	}
	shot("portal-03-list-type")
	run("all black lists", chromedp.Click(chromedp.CSS(`nav.list-tabs a[href="/lists/black"]`)), chromedp.WaitVisible(chromedp.CSS("table.list-entries")))
	if n := count("table.list-entries tbody tr"); n != 2 {
		t.Errorf("%d entries on the black lists, want 2", n)
	}
	run("search within the list", chromedp.SendKeys(chromedp.CSS(`.list-filter input[name="q"]`), "榕城"), chromedp.Submit(chromedp.CSS(`.list-filter input[name="q"]`)),
		chromedp.WaitVisible(chromedp.CSS(`.list-filter a[href="?"]`)))
	if n := count("table.list-entries tbody tr"); n != 1 || !strings.Contains(text("table.list-entries"), "福州榕城食品贸易有限公司") {
		t.Errorf("search 榕城 within the black lists: %d rows", n)
	}
	shot("portal-04-list-filtered")
	run("filter by date", chromedp.Navigate(srv.URL+"/lists/black?from=2026-05-01&to=2026-05-31"), chromedp.WaitVisible(chromedp.CSS(".list-filter")))
	if n := count("table.list-entries tbody tr"); n != 1 || !strings.Contains(text("table.list-entries"), "榕市监列〔2026〕5号") {
		t.Errorf("entries listed in May: %d", n)
	}
	run("filter by department", chromedp.Navigate(srv.URL+"/lists/black?dept=HRSS-350100"), chromedp.WaitVisible(chromedp.CSS(".list-filter")))
	if n := count("table.list-entries tbody tr"); n != 1 || !strings.Contains(text("table.list-entries"), "福州闽江建设工程有限公司") {
		t.Errorf("entries of the labour bureau: %d", n)
	}

	// The entry's page.
	run("entry", chromedp.Click(chromedp.CSS("table.list-entries a.detail")), chromedp.WaitVisible(chromedp.CSS("table.entry-detail")))
	entry := text("table.entry-detail")
	for _, want := range []string{"事由", "拖欠农民工工资数额较大", "依据", "榕人社列〔2026〕2号", "期限", "2026-04-20", "移出条件", "福州市人力资源和社会保障局"} {
		if !strings.Contains(entry, want) {
			t.Errorf("entry page lacks %q:\n%s", want, entry)
		}
	}
	shot("portal-05-entry")

	// The subject page: tabs with counts, one section at a time, the
	// lists and penalties before the licences.
	food := codes["福州榕城食品贸易有限公司"]
	run("subject", chromedp.Navigate(srv.URL+"/subjects/"+food), chromedp.WaitVisible(chromedp.CSS("nav.subject-tabs")))
	if n := count("section.panel"); n != 1 || count("#basic") != 1 {
		t.Errorf("the subject page opens on %d sections, want 基本信息 alone", n)
	}
	order, err := chromedp.Run(stepCtx(t, bctx), chromedp.Evaluate[[]string](`[...document.querySelectorAll('nav.subject-tabs a')].map(a => a.dataset.tab)`))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(order, ",") != "basic,blacklist,penalties,abnormal,licences,honesty,commitments,evaluation" {
		t.Errorf("tab order %v", order)
	}
	if got := text(`nav.subject-tabs a[data-tab="blacklist"] .count`); got != "1" {
		t.Errorf("blacklist tab count %q", got)
	}
	if got := text(`nav.subject-tabs a[data-tab="penalties"] .count`); got != "1" {
		t.Errorf("penalties tab count %q", got)
	}
	shot("portal-06-subject-basic")
	run("penalties tab", chromedp.Click(chromedp.CSS(`nav.subject-tabs a[data-tab="penalties"]`)), chromedp.WaitVisible(chromedp.CSS("#penalties")))
	if n := count("section.panel"); n != 1 || !strings.Contains(text("#penalties"), "经营超过保质期的食品") {
		t.Errorf("penalties tab: %d sections", n)
	}
	if cur := text(`nav.subject-tabs a[aria-current="page"]`); !strings.Contains(cur, "行政处罚") {
		t.Errorf("current tab %q", cur)
	}
	shot("portal-07-subject-penalties")
	run("blacklist tab", chromedp.Click(chromedp.CSS(`nav.subject-tabs a[data-tab="blacklist"]`)), chromedp.WaitVisible(chromedp.CSS("#blacklist")))
	if !strings.Contains(text("#blacklist"), "市场监督管理严重违法失信名单") {
		t.Errorf("blacklist tab: %s", text("#blacklist"))
	}
	shot("portal-08-subject-blacklist")

	// The 双公示 search by document number.
	run("publicity", chromedp.Navigate(srv.URL+"/publicity"), chromedp.WaitVisible(chromedp.CSS(".pub-filter")),
		chromedp.SendKeys(chromedp.CSS(`.pub-filter input[name="doc"]`), "榕市监罚〔2026〕4"), chromedp.Submit(chromedp.CSS(`.pub-filter input[name="doc"]`)),
		chromedp.WaitVisible(chromedp.CSS(".pub-results")))
	if n := count(".pub-row"); n != 1 || !strings.Contains(text(".pub-results"), "经营超过保质期的食品") {
		t.Errorf("双公示 search by document number: %d rows", n)
	}
	shot("portal-10-publicity")

	// English: departments and lists named in English.
	run("english entry", chromedp.Navigate(srv.URL+"/lists/black?lang=en"), chromedp.WaitVisible(chromedp.CSS("table.list-entries")))
	if got := text("table.list-entries"); strings.Contains(got, "市场监督管理局") || strings.Contains(got, "人力资源") {
		t.Errorf("the English list names departments in Chinese:\n%s", got)
	}
	shot("portal-09-list-en")
	run("back to Chinese", chromedp.Navigate(srv.URL+"/?lang=zh"), chromedp.WaitVisible(chromedp.CSS(".home-stats")))

	// The favicon and the guides' forms.
	for _, path := range []string{"/favicon.ico", "/static/favicon.svg"} {
		r, err := http.Get(srv.URL + path)
		if err != nil || r.StatusCode != 200 || r.Header.Get("Content-Type") != "image/svg+xml" {
			t.Errorf("%s: %v %v", path, err, r)
		}
		if r != nil {
			r.Body.Close()
		}
	}
	for name, want := range map[string]string{"objection": "异议理由", "repair": "本主体承诺", "commitment": "信用承诺书"} {
		r, err := http.Get(srv.URL + "/guides/" + name + ".xlsx")
		if err != nil || r.StatusCode != 200 {
			t.Fatalf("guide %s: %v %v", name, err, r)
		}
		b, _ := io.ReadAll(r.Body)
		r.Body.Close()
		f, err := excelize.OpenReader(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("guide %s is no workbook: %v", name, err)
		}
		rows, _ := f.GetRows(f.GetSheetName(0))
		var all []string
		for _, row := range rows {
			all = append(all, row...)
		}
		if !strings.Contains(strings.Join(all, "\n"), want) {
			t.Errorf("guide %s lacks %q:\n%v", name, want, all)
		}
		f.Close()
	}
}

// TestBrowserPhone opens the main pages at a phone's size (390×844): no
// page is wider than the screen, and no navigation link breaks inside its
// words (进度查/询).
func TestBrowserPhone(t *testing.T) {
	exe := chromium(t)
	out := screenshots(t)
	srv, codes := portalNode(t)
	bctx := newBrowser(t, exe, 390, 844)
	if err := chromedp.Do(stepCtx(t, bctx), chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile)); err != nil {
		t.Fatal(err)
	}
	food := codes["福州榕城食品贸易有限公司"]
	// The English pages last: the language the portal remembers is the
	// last one asked for.
	pages := []struct{ name, path string }{
		{"home", "/"}, {"search", "/search?q=" + "福州"}, {"subject", "/subjects/" + food}, {"subject-penalties", "/subjects/" + food + "?tab=penalties"},
		{"black-lists", "/lists/black"}, {"list-type", "/lists/samr_serious_illegal"}, {"red-list", "/lists/red"}, {"login", "/login"}, {"track", "/track"},
		{"verify", "/verify"}, {"publicity", "/publicity?kind=penalty"}, {"home-en", "/?lang=en"}, {"subject-en", "/subjects/" + food + "?tab=penalties&lang=en"}, {"list-type-en", "/lists/samr_serious_illegal?lang=en"},
	}
	for _, pg := range pages {
		name, path := pg.name, pg.path
		if err := chromedp.Do(stepCtx(t, bctx), chromedp.Navigate(srv.URL+path), chromedp.WaitVisible(chromedp.CSS("footer"))); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		over, err := chromedp.Run(stepCtx(t, bctx), chromedp.Evaluate[int](`document.documentElement.scrollWidth - window.innerWidth`))
		if err != nil {
			t.Fatal(err)
		}
		if over > 0 {
			wide, _ := chromedp.Run(stepCtx(t, bctx), chromedp.Evaluate[[]string](`[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > window.innerWidth + 1).slice(0, 5).map(e => e.tagName + '.' + e.className)`))
			t.Errorf("%s (%s) is %dpx wider than the phone's screen: %v", name, path, over, wide)
		}
		broken, err := chromedp.Run(stepCtx(t, bctx), chromedp.Evaluate[[]string](`[...document.querySelectorAll('header nav a, header nav button')].filter(a => a.getClientRects().length > 1 || a.getBoundingClientRect().height > 1.6 * parseFloat(getComputedStyle(a).lineHeight)).map(a => a.textContent.trim())`))
		if err != nil {
			t.Fatal(err)
		}
		if len(broken) > 0 {
			t.Errorf("%s: navigation links broken across lines: %q", name, broken)
		}
		saveShot(t, bctx, out, "phone-"+name)
	}
	if len(pages) < 10 {
		t.Fatal("too few pages")
	}
}

// newBrowser starts headless Chromium with a window of w×h.
func newBrowser(t *testing.T, exe string, w, h int) context.Context {
	t.Helper()
	actx, cancel := chromedp.NewExecAllocator(t.Context(),
		chromedp.ExecPath(exe), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck, chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(w, h),
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true))
	t.Cleanup(cancel)
	bctx, cancel2 := chromedp.NewContext(actx)
	t.Cleanup(cancel2)
	return bctx
}

// browserRun runs a step's actions in the tab, failing the test with the
// step's name.
func browserRun(t *testing.T, bctx context.Context, step string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(stepCtx(t, bctx), actions...); err != nil {
		t.Fatalf("%s: %v", step, err)
	}
}

// browserText is the text of the element sel finds.
func browserText(t *testing.T, bctx context.Context, sel string) string {
	t.Helper()
	s, err := chromedp.Run(stepCtx(t, bctx), chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		t.Fatalf("read %s: %v", sel, err)
	}
	return s
}

// saveShot saves a full-page screenshot as name.png in dir.
func saveShot(t *testing.T, bctx context.Context, dir, name string) {
	t.Helper()
	png, err := chromedp.Run(stepCtx(t, bctx), chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestBrowserSiteConsole: an administrator signs in, writes a notice on
// the site content console, edits it, sees both versions, and finds it on
// the home page rendered from its Markdown.
func TestBrowserSiteConsole(t *testing.T) {
	exe := chromium(t)
	out := screenshots(t)
	node := apptest.New(t, apptest.Options{Start: time.Date(2026, 6, 1, 10, 0, 0, 0, chinatime.Location)})
	accs := &auth.Accounts{Store: node.Store, Now: node.Clock.Now}
	if _, err := accs.CreateAccount(t.Context(), "s-admin", "", credit.RoleAdmin, "", "", password); err != nil {
		t.Fatal(err)
	}
	h, err := server.New(node.Deps(app.HTTP{Version: "browser-test"}))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	bctx := newBrowser(t, exe, 1280, 1000)
	run := func(step string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		browserRun(t, bctx, step, actions...)
	}
	text := func(sel string) string { t.Helper(); return browserText(t, bctx, sel) }
	run("sign in", chromedp.Navigate(srv.URL+"/login?next=/console/site"), chromedp.WaitVisible(chromedp.CSS(`input[name="name"]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name="name"]`), "s-admin"), chromedp.SendKeys(chromedp.CSS(`input[name="password"]`), password),
		chromedp.Submit(chromedp.CSS(`input[name="password"]`)), chromedp.WaitVisible(chromedp.CSS("form.site-form")))
	run("write", chromedp.SendKeys(chromedp.CSS(`.site-form input[name="title"]`), "关于信用修复线上办理的公告"),
		chromedp.SendKeys(chromedp.CSS(`.site-form textarea[name="body"]`), "## 办理方式\n\n**即日起**可在网上办理。"),
		chromedp.Submit(chromedp.CSS(`.site-form input[name="title"]`)), chromedp.WaitVisible(chromedp.CSS("table.site-versions")))
	run("edit", chromedp.SetValue(chromedp.CSS(`.site-form input[name="title"]`), "关于信用修复线上办理的公告（更新）"),
		chromedp.Submit(chromedp.CSS(`.site-form input[name="title"]`)), chromedp.WaitVisible(chromedp.CSS("table.site-versions")))
	if got := text("table.site-versions tbody"); !strings.Contains(got, "（更新）") || !strings.Contains(got, "关于信用修复线上办理的公告") || strings.Count(got, "s-admin") != 2 {
		t.Errorf("versions after the edit:\n%s", got)
	}
	saveShot(t, bctx, out, "admin-site-console")
	run("home", chromedp.Navigate(srv.URL+"/"), chromedp.WaitVisible(chromedp.CSS(".home-notices a")),
		chromedp.Click(chromedp.CSS(".home-notices a")), chromedp.WaitVisible(chromedp.CSS(".post-body h2")))
	if got := text("article.post"); !strings.Contains(got, "（更新）") || !strings.Contains(got, "即日起") {
		t.Errorf("the notice's page:\n%s", got)
	}
	saveShot(t, bctx, out, "admin-site-notice")
}
