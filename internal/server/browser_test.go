package server_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
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

// chromium finds the browser for the browser tests. They are skipped only
// when it is missing and XINYONG_REQUIRE_BROWSER is not 1 (CI sets it).
func chromium(t *testing.T) string {
	t.Helper()
	path := os.Getenv("XINYONG_CHROMIUM")
	if path == "" {
		path = "/usr/bin/chromium"
	}
	if _, err := os.Stat(path); err != nil {
		if os.Getenv("XINYONG_REQUIRE_BROWSER") == "1" {
			t.Fatalf("Chromium not found at %s (XINYONG_REQUIRE_BROWSER=1): install it (apt-get install chromium) or set XINYONG_CHROMIUM", path)
		}
		t.Skipf("Chromium not found at %s; set XINYONG_REQUIRE_BROWSER=1 to make this fatal", path)
	}
	return path
}

// artefacts is where screenshots go: $XINYONG_ARTEFACTS, or
// testdata/artefacts beside the test (ignored by git).
func artefacts(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("XINYONG_ARTEFACTS")
	if dir == "" {
		dir = filepath.Join("testdata", "artefacts")
	}
	dir = filepath.Join(dir, "browser")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// screenshots is where a browser test's screenshots go (artefacts).
func screenshots(t *testing.T) string { return artefacts(t) }

// TestBrowser drives the real portal in headless Chromium: search
// (including two-character queries), open a subject, switch language, and
// watch a penalty leave the public page when its window ends while the
// subject and the administrator still see it.
func TestBrowser(t *testing.T) {
	exe := chromium(t)
	out := artefacts(t)
	ctx := t.Context()

	node := apptest.New(t, apptest.Options{Start: time.Date(2026, 6, 1, 10, 0, 0, 0, chinatime.Location)})
	clk, st, svc := node.Clock, node.Store, node.Records
	var err error

	gen := uscc.NewGenerator(42)
	codeOf := map[string]string{}
	for _, o := range []records.Organisation{
		{Name: "福州华为达电子科技有限公司", LegalRep: "赵明", Status: "存续"},
		{Name: "宁德恒信新能源科技有限公司", LegalRep: "曾一", Status: "存续"},
		{Name: "福州恒泰电子科技有限公司", FormerNames: []string{"福州恒泰电子厂"}, LegalRep: "林二", Status: "存续"},
	} {
		o.Code = gen.USCC('9', '1', "350100")
		o.RegisteredOn = time.Date(2015, 3, 1, 0, 0, 0, 0, chinatime.Location)
		if _, err := svc.PutOrganisation(ctx, o); err != nil {
			t.Fatal(err)
		}
		codeOf[o.Name] = o.Code
	}
	hw := codeOf["福州华为达电子科技有限公司"]
	// A 500,000 yuan fine decided 2026-01-10: 一般 under the default rules,
	// published from the decision for at most one year (until 2027-01-09).
	_, _, err = svc.Append(ctx, records.Report{Item: "admin_penalty", Dept: "NDRC-350100", SubjectID: hw, Fields: credit.Fields{
		"cf_xdr_mc": "福州华为达电子科技有限公司", "cf_xdr_lb": "法人及非法人组织", "cf_xdr_shxym": hw, "cf_frdb": "赵明",
		"cf_wsh": "榕发改罚〔2026〕7号", "cf_wfxw": "价格违法", "cf_sy": "不执行政府定价", "cf_yj": "《中华人民共和国价格法》第三十九条",
		"cf_cflb": "罚款", "cf_nr": "罚款人民币50万元", "cf_nr_fk": "50", "cf_jdrq": "2026-01-10",
		"cf_cfjg": "福州市发展和改革委员会", "cf_cfjgdm": authorityCode, "cf_sjly": "福州市发展和改革委员会", "cf_sjlydm": authorityCode,
	}})
	if err != nil {
		t.Fatal(err)
	}
	// 宁德恒信 on a serious dishonesty list since 2026-05-20.
	nd := codeOf["宁德恒信新能源科技有限公司"]
	_, _, err = svc.Append(ctx, records.Report{Item: "serious_dishonest_list", Dept: "SAMR-350100", SubjectID: nd, Fields: credit.Fields{
		"yz_mc": "宁德恒信新能源科技有限公司", "yz_lb": "法人及非法人组织", "yz_shxym": nd, "yz_frdb": "曾一",
		"yz_md": "samr_serious_illegal", "yz_lrsy": "提供虚假材料骗取登记", "yz_rdyj": "《市场监督管理严重违法失信名单管理办法》第十条",
		"yz_wsh": "榕市监列〔2026〕3号", "yz_lrrq": "2026-05-20", "yz_rdjg": "福州市市场监督管理局", "yz_rdjgdm": authorityCode,
	}})
	if err != nil {
		t.Fatal(err)
	}
	accs := &auth.Accounts{Store: st, Now: clk.Now}
	for _, a := range []struct {
		name    string
		role    credit.Role
		subject string
	}{{"b-admin", credit.RoleAdmin, ""}, {"b-subject", credit.RoleSubject, hw}} {
		if _, err := accs.CreateAccount(ctx, a.name, "", a.role, "", a.subject, password); err != nil {
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
	shot := func(name string) { t.Helper(); saveShot(t, bctx, out, name) }
	text := func(sel string) string { t.Helper(); return browserText(t, bctx, sel) }
	search := func(q string) string {
		t.Helper()
		run("search "+q,
			chromedp.Navigate(srv.URL+"/"),
			chromedp.WaitVisible(chromedp.CSS("#q")),
			chromedp.SendKeys(chromedp.CSS("#q"), q),
			chromedp.Submit(chromedp.CSS("#q")),
			chromedp.WaitVisible(chromedp.CSS("ul.results")),
		)
		return text("ul.results")
	}
	login := func(name, next string) {
		t.Helper()
		run("log in as "+name,
			chromedp.Navigate(srv.URL+"/login?next="+next),
			chromedp.WaitVisible(chromedp.CSS(`input[name="name"]`)),
			chromedp.SendKeys(chromedp.CSS(`input[name="name"]`), name),
			chromedp.SendKeys(chromedp.CSS(`input[name="password"]`), password),
			chromedp.Submit(chromedp.CSS(`input[name="password"]`)),
			chromedp.WaitVisible(chromedp.CSS("#penalties")),
		)
	}

	// Search: two-character queries, a former name, a code.
	if got := search("华为"); !strings.Contains(got, "福州华为达电子科技有限公司") {
		t.Fatalf("search 华为: %q", got)
	}
	shot("01-search-2char-huawei")
	if got := search("宁德"); !strings.Contains(got, "宁德恒信新能源科技有限公司") || strings.Contains(got, "华为") {
		t.Fatalf("search 宁德: %q", got)
	}
	shot("02-search-2char-ningde")
	if got := search("恒泰电子厂"); !strings.Contains(got, "福州恒泰电子科技有限公司") {
		t.Fatalf("search by former name: %q", got)
	}
	if got := search(hw); !strings.Contains(got, "福州华为达电子科技有限公司") {
		t.Fatalf("search by code: %q", got)
	}

	// Open the subject from the results.
	search("华为")
	run("open subject", chromedp.Click(chromedp.CSS("ul.results a")), chromedp.WaitVisible(chromedp.CSS("nav.subject-tabs")))
	// Real tabs: one section at a time, chosen by a link.
	tabText := func(key string) string {
		t.Helper()
		run("tab "+key, chromedp.Click(chromedp.CSS(`nav.subject-tabs a[data-tab="`+key+`"]`)), chromedp.WaitVisible(chromedp.CSS("#"+key)))
		return text("#" + key)
	}
	pen := tabText("penalties")
	for _, want := range []string{"行政处罚信息", "罚款人民币50万元", "福州市发展和改革委员会", "2027-01-09", "数据来源", "公示截止"} {
		if !strings.Contains(pen, want) {
			t.Errorf("penalty section lacks %q:\n%s", want, pen)
		}
	}
	for _, tab := range []string{"基本信息", "行政许可", "行政处罚", "诚实守信", "经营异常", "严重失信主体名单", "信用承诺", "信用评价"} {
		if !strings.Contains(text("nav.tabs"), tab) {
			t.Errorf("tab %s missing", tab)
		}
	}
	if got := tabText("licences"); !strings.Contains(got, "查询期内无相关信息") {
		t.Errorf("empty section reads %q", got)
	}
	if got := tabText("evaluation"); !strings.Contains(got, "信用评价结果不向社会公开") {
		t.Errorf("evaluation placeholder reads %q", got)
	}
	tabText("penalties")
	shot("03-subject-zh")

	// Switch language and back.
	run("switch to English", chromedp.Click(chromedp.CSS("a.lang")), chromedp.WaitVisible(chromedp.CSS(`html[lang="en"]`)))
	if got := text("#penalties h2"); got != "Administrative penalties" {
		t.Errorf("English penalty heading %q", got)
	}
	if got := tabText("licences"); !strings.Contains(got, "No relevant information in the query period") {
		t.Errorf("English empty section %q", got)
	}
	shot("04-subject-en")
	run("switch to Chinese", chromedp.Click(chromedp.CSS("a.lang")), chromedp.WaitVisible(chromedp.CSS(`html[lang="zh-CN"]`)))

	// The black list pages: 55 defaulters the court reports fill the first
	// list of the page (失信被执行人名单, first in the catalogue), newest
	// first, and push 宁德恒信's listing to the second.
	for i := range 55 {
		name := "宁德执行" + strconv.Itoa(i+1) + "号公司"
		code := gen.USCC('9', '1', "350900")
		if _, err := svc.PutOrganisation(ctx, records.Organisation{Code: code, Name: name}); err != nil {
			t.Fatal(err)
		}
		if _, _, err := svc.Append(ctx, records.Report{Item: "court_defaulter", Dept: "COURT-350100", SubjectID: code, Fields: credit.Fields{
			"sx_bzxr_mc": name, "sx_bzxr_lb": "法人及非法人组织", "sx_shxym": code, "sx_fddbr": "陈" + strconv.Itoa(i+1), "sx_ah": "（2026）闽01执" + strconv.Itoa(i+1) + "号",
			"sx_zxfy": "福州市中级人民法院", "sx_zxyj": "（2025）闽01民初1号", "sx_zxyjdw": "福州市中级人民法院", "sx_yw": "支付货款",
			"sx_lxqk": "全部未履行", "sx_qx": "有履行能力而拒不履行生效法律文书确定义务", "sx_fbrq": "2026-05-01"}}); err != nil {
			t.Fatal(err)
		}
	}
	if err := node.Sanction.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	run("black list", chromedp.Navigate(srv.URL+"/lists/black"), chromedp.WaitVisible(chromedp.CSS("table.list")))
	if got := text("table.list"); !strings.Contains(got, "宁德执行55号公司") || strings.Contains(got, "宁德执行5号公司") || strings.Contains(got, "宁德恒信新能源科技有限公司") {
		t.Errorf("black list page 1 (the 50 newest):\n%s", got)
	}
	shot("07-list-black")
	run("black list page 2", chromedp.Click(chromedp.CSS(`nav.pager a[rel="next"]`)), chromedp.WaitVisible(chromedp.CSS(`nav.pager a[rel="prev"]`)))
	if got := text("table.list"); !strings.Contains(got, "宁德恒信新能源科技有限公司") || !strings.Contains(got, "福州市市场监督管理局") || !strings.Contains(got, "宁德执行1号公司") {
		t.Errorf("black list page 2:\n%s", got)
	}
	if got := text("nav.pager"); !strings.Contains(got, "第 2 页") || strings.Contains(got, "下一页") {
		t.Errorf("pager on the last page: %q", got)
	}
	// The header's white link colour must not reach the pager: a link
	// drawn white on white was there but could not be seen.
	colour, err := chromedp.Run(stepCtx(t, bctx), chromedp.Evaluate[string](`getComputedStyle(document.querySelector('nav.pager a[rel="prev"]')).color`))
	if err != nil {
		t.Fatal(err)
	}
	if colour == "rgb(255, 255, 255)" || colour == "" {
		t.Errorf("pager link colour %q: invisible on the white page", colour)
	}
	shot("08-list-black-page-2")
	run("back to page 1", chromedp.Click(chromedp.CSS(`nav.pager a[rel="prev"]`)), chromedp.WaitVisible(chromedp.CSS(`nav.pager a[rel="next"]`)))

	// The window ends: the public page no longer shows the penalty.
	clk.Set(time.Date(2027, 1, 10, 9, 0, 0, 0, chinatime.Location))
	run("reload after the window", chromedp.Navigate(srv.URL+"/subjects/"+hw+"?tab=penalties"), chromedp.WaitVisible(chromedp.CSS("#penalties")))
	if got := text("#penalties"); strings.Contains(got, "罚款") || !strings.Contains(got, "查询期内无相关信息") {
		t.Fatalf("penalty still public after its window:\n%s", got)
	}
	shot("05-subject-after-window-public")
	var api map[string]any
	resp, err := http.Get(srv.URL + "/api/v1/subjects/" + hw + "/public")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err := json.Unmarshal(body, &api); err != nil || strings.Contains(string(body), "罚款人民币50万元") {
		t.Fatalf("API still publishes the penalty (%v): %s", err, body)
	}

	// ... while the subject and the administrator still see it, marked as
	// no longer public.
	for _, who := range []string{"b-subject", "b-admin"} {
		login(who, "/subjects/"+hw+"/file?tab=penalties")
		got := text("#penalties")
		if !strings.Contains(got, "罚款人民币50万元") || !strings.Contains(got, "公示期已满") {
			t.Errorf("%s's file view:\n%s", who, got)
		}
		shot("06-file-after-window-" + who)
		run("log out", chromedp.Click(chromedp.CSS("form.inline button")), chromedp.WaitVisible(chromedp.CSS("#q")))
	}

	// A next parameter that Chromium would read as another host (it drops
	// the tab: "/\t/evil.example" is "//evil.example") lands on the
	// console instead. Bounded, so that a browser sent elsewhere fails the
	// test rather than hanging it.
	for _, next := range []string{"/%09/evil.example", "/%0a/evil.example", "%5C%5Cevil.example"} {
		sctx, cancel := context.WithTimeout(bctx, 30*time.Second)
		err := chromedp.Do(sctx,
			chromedp.Navigate(srv.URL+"/login?next="+next),
			chromedp.WaitVisible(chromedp.CSS(`input[name="name"]`)),
			chromedp.SendKeys(chromedp.CSS(`input[name="name"]`), "b-admin"),
			chromedp.SendKeys(chromedp.CSS(`input[name="password"]`), password),
			chromedp.Submit(chromedp.CSS(`input[name="password"]`)),
			chromedp.WaitVisible(chromedp.CSS("ul.counts")),
		)
		cancel()
		loc, lerr := chromedp.Run(bctx, chromedp.Location())
		if err != nil || lerr != nil || loc != srv.URL+"/console" {
			t.Fatalf("signing in with next=%s: ended at %q (%v, %v), want %s/console", next, loc, err, lerr, srv.URL)
		}
		run("log out", chromedp.Click(chromedp.CSS("form.inline button")), chromedp.WaitVisible(chromedp.CSS("#q")))
	}
}

// TestPublicRateLimit checks the limit end to end through the real server.
func TestPublicRateLimit(t *testing.T) {
	e := newEnv(t)
	// A frozen clock: no token comes back during the test, however slow the machine.
	frozen := time.Now()
	d := e.node.Deps(app.HTTP{PublicRate: 1, PublicBurst: 3})
	d.Now = func() time.Time { return frozen }
	h, err := server.New(d)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	var codes []int
	for range 4 {
		resp, err := http.Get(srv.URL + "/api/v1/search?q=%E7%A6%8F%E5%B7%9E")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		codes = append(codes, resp.StatusCode)
		if resp.StatusCode == http.StatusTooManyRequests && resp.Header.Get("Retry-After") == "" {
			t.Error("429 without Retry-After")
		}
	}
	if codes[0] != 200 || codes[3] != http.StatusTooManyRequests {
		t.Fatalf("statuses %v: want 200 first and 429 after the burst", codes)
	}
	// A made-up key shares the address's (empty) bucket; a real one has its own.
	for key, want := range map[string]int{"xy_madeupmadeupmadeupmadeupmadeupma": http.StatusTooManyRequests, e.keys[credit.RoleBusiness]: http.StatusOK} {
		rq, _ := http.NewRequest("GET", srv.URL+"/api/v1/search?q=%E7%A6%8F%E5%B7%9E", nil)
		rq.Header.Set("X-API-Key", key)
		resp, err := http.DefaultClient.Do(rq)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("key %.6s…: status %d, want %d", key, resp.StatusCode, want)
		}
	}
	// Health checks are never limited.
	resp, err := http.Get(srv.URL + "/healthz")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("healthz: %v %v", resp, err)
	}
	resp.Body.Close()
}

// stepTimeout bounds one browser step, so that a page that never shows
// what a step waits for fails the test instead of hanging it.
const stepTimeout = 45 * time.Second

// stepCtx is bctx with the step timeout, cancelled when the test ends.
func stepCtx(t *testing.T, bctx context.Context) context.Context {
	ctx, cancel := context.WithTimeout(bctx, stepTimeout)
	t.Cleanup(cancel)
	return ctx
}
