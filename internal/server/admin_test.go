package server_test

import (
	"bytes"
	"context"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/credit"
)

var csrfRe = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// postForm posts a form from page (whose token it reads first) as c.
func postForm(t *testing.T, c *http.Client, base, page, action string, form url.Values) (*http.Response, string) {
	t.Helper()
	_, body := get(t, c, base+page)
	m := csrfRe.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no form token on %s", page)
	}
	form.Set("csrf", m[1])
	resp, err := c.PostForm(base+action, form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// TestAdministrationConsole: an administrator creates an account, issues
// it a key (shown once, and working), revokes it (and it stops
// working), disables and re-enables the account, and adds a calendar
// year (the year it replaces kept); every change is in the audit log;
// a bad year file is refused with the reason on the page.
func TestAdministrationConsole(t *testing.T) {
	n := newCrawlNode(t)
	ctx := context.Background()
	base := n.srv.URL
	c := n.signedIn(t, credit.RoleAdmin)

	resp, body := postForm(t, c, base, "/console/admin/accounts", "/console/admin/accounts",
		url.Values{"name": {"tax-approvals"}, "display": {"税务审批系统"}, "role": {"business"}, "dept": {"SAMR-350100"}})
	if resp.StatusCode != http.StatusOK || resp.Request.URL.Path != "/console/admin/accounts/tax-approvals" {
		t.Fatalf("create account: %d at %s\n%s", resp.StatusCode, resp.Request.URL, body)
	}
	if !strings.Contains(body, "尚未设定核查事项") {
		t.Errorf("a business account's page does not say it has no matters:\n%s", body)
	}
	// A name taken is refused on the page, in Chinese.
	if resp, body := postForm(t, c, base, "/console/admin/accounts", "/console/admin/accounts",
		url.Values{"name": {"tax-approvals"}, "role": {"auditor"}, "password": {password}}); resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "已存在") {
		t.Errorf("duplicate account: %d\n%s", resp.StatusCode, body)
	}

	resp, body = postForm(t, c, base, "/console/admin/accounts/tax-approvals", "/console/admin/accounts/tax-approvals/keys", url.Values{})
	m := regexp.MustCompile(`id="new-secret">([^<]+)<`).FindStringSubmatch(body)
	if resp.StatusCode != http.StatusOK || m == nil {
		t.Fatalf("issue key: %d\n%s", resp.StatusCode, body)
	}
	secret := m[1]
	call := func() int {
		req, _ := http.NewRequest("GET", base+"/api/v1/me", nil)
		req.Header.Set("Authorization", "Bearer "+secret)
		r, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		r.Body.Close()
		return r.StatusCode
	}
	if s := call(); s != http.StatusOK {
		t.Fatalf("the new key answers %d", s)
	}
	// The secret is shown once: the account's page does not show it again.
	if _, body := get(t, c, base+"/console/admin/accounts/tax-approvals"); strings.Contains(body, secret) {
		t.Error("the secret is shown again")
	}
	acc, _ := n.node.Store.Account(ctx, "tax-approvals")
	ks, _ := n.node.Store.APIKeys(ctx, acc.ID)
	if len(ks) != 1 {
		t.Fatalf("keys: %+v", ks)
	}
	resp, body = postForm(t, c, base, "/console/admin/accounts/tax-approvals", "/console/admin/keys/"+ks[0].ID+"/revoke", url.Values{})
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "密钥已吊销") || !strings.Contains(body, "已吊销") {
		t.Fatalf("revoke: %d\n%s", resp.StatusCode, body)
	}
	// Nodes cache a key's principal for a second (api keyCacheTTL).
	n.node.Clock.Advance(2 * time.Second)
	if s := call(); s != http.StatusUnauthorized {
		t.Errorf("a revoked key answers %d", s)
	}

	// Disable and re-enable an account that signs in.
	if _, err := n.node.Accounts.CreateAccount(ctx, "temp-reviewer", "", credit.RoleReviewer, "", "", password); err != nil {
		t.Fatal(err)
	}
	other := n.signedIn(t, credit.RolePublic)
	login(t, other, base, "temp-reviewer")
	postForm(t, c, base, "/console/admin/accounts/temp-reviewer", "/console/admin/accounts/temp-reviewer/disabled", url.Values{"disabled": {"true"}})
	if resp, _ := get(t, other, base+"/console"); resp.Request.URL.Path != "/login" {
		t.Errorf("a disabled account's session still opens the console (%s)", resp.Request.URL.Path)
	}
	postForm(t, c, base, "/console/admin/accounts/temp-reviewer", "/console/admin/accounts/temp-reviewer/disabled", url.Values{"disabled": {"false"}})
	if a, _ := n.node.Store.Account(ctx, "temp-reviewer"); a.Disabled {
		t.Error("re-enabling did not")
	}

	// Calendar: a year added, corrected (the first kept), a bad file refused.
	year := func(source string) []byte {
		return []byte(`{"year":2031,"source":"` + source + `","holidays":[{"from":"2031-01-01","to":"2031-01-01","name":"元旦"}],"workdays":[]}`)
	}
	upload := func(b []byte) (*http.Response, string) {
		_, page := get(t, c, base+"/console/admin/calendar")
		tok := csrfRe.FindStringSubmatch(page)[1]
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		_ = mw.WriteField("csrf", tok)
		fw, _ := mw.CreateFormFile("file", "2031.json")
		_, _ = fw.Write(b)
		mw.Close()
		resp, err := c.Post(base+"/console/admin/calendar", mw.FormDataContentType(), &buf)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp, string(body)
	}
	for _, src := range []string{"国办发明电〔2030〕1号", "国办发明电〔2030〕2号（更正）"} {
		if resp, body := upload(year(src)); resp.StatusCode != http.StatusOK || !strings.Contains(body, "年度日历已保存") || !strings.Contains(body, src) {
			t.Fatalf("calendar upload %s: %d\n%s", src, resp.StatusCode, body)
		}
	}
	if b, err := os.ReadFile(filepath.Join(n.node.CalendarDir, "history", "2031.1.json")); err != nil || !strings.Contains(string(b), "国办发明电〔2030〕1号") {
		t.Errorf("the replaced year is not kept: %s, %v", b, err)
	}
	if resp, body := upload([]byte(`{"year":2032,"holidays":[{"from":"2032-13-01","to":"2032-13-01","name":"x"}]}`)); resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "年度日历未通过校验") {
		t.Errorf("bad year: %d\n%s", resp.StatusCode, body)
	}

	// Catalogue: a new measure list uploaded, its differences shown,
	// activated (the previous kept), loaded over the files at start; a
	// version with a dangling reference refused with the reason.
	uploadCat := func(file string, b []byte) (*http.Response, string) {
		_, page := get(t, c, base+"/console/admin/catalog")
		tok := csrfRe.FindStringSubmatch(page)[1]
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		_ = mw.WriteField("csrf", tok)
		_ = mw.WriteField("file_name", file)
		_ = mw.WriteField("note", "新增一项措施")
		fw, _ := mw.CreateFormFile("file", file)
		_, _ = fw.Write(b)
		mw.Close()
		resp, err := c.Post(base+"/console/admin/catalog", mw.FormDataContentType(), &buf)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp, string(body)
	}
	raw := string(n.node.Catalog.Raw("measures.json"))
	v1 := strings.Replace(raw, `"version": "2024.1"`, `"version": "2026.1"`, 1)
	v1 = strings.Replace(v1, "限制作为供应商参加政府采购活动", "限制作为供应商参加政府采购活动（修订）", 1)
	resp, body = uploadCat("measures.json", []byte(v1))
	if resp.StatusCode != http.StatusOK || !strings.Contains(resp.Request.URL.Path, "/console/admin/catalog/versions/") ||
		!strings.Contains(body, "restrict_gov_procurement") || !strings.Contains(body, "修改") {
		t.Fatalf("catalogue upload: %d at %s\n%s", resp.StatusCode, resp.Request.URL, body)
	}
	versionPage := resp.Request.URL.Path
	resp, body = postForm(t, c, base, versionPage, versionPage+"/activate", url.Values{})
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "该版本已启用") {
		t.Fatalf("activate: %d\n%s", resp.StatusCode, body)
	}
	started, err := catalog.WithActive(ctx, n.node.Store, n.node.Catalog)
	if err != nil || started.Versions["measures.json"] != "2026.1" || started.Sources["measures.json"] != "database" {
		t.Fatalf("the catalogue a node starts with: %v, %v", started.Versions, err)
	}
	if m, _ := started.Measure("restrict_gov_procurement"); m == nil || !strings.Contains(m.Name, "（修订）") {
		t.Errorf("the activated measure list is not loaded: %+v", m)
	}
	bad := strings.Replace(v1, `"court_defaulters"`, `"no_such_list"`, 1)
	if resp, body := uploadCat("measures.json", []byte(bad)); resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "no_such_list") {
		t.Errorf("bad measure list: %d\n%s", resp.StatusCode, body)
	}
	if vs, _ := n.node.Store.CatalogVersions(ctx, "measures.json"); len(vs) != 1 {
		t.Errorf("a refused version was kept: %d versions", len(vs))
	}

	es, _ := n.node.Store.Audit(ctx, credit.AuditFilter{Actor: n.names[credit.RoleAdmin], Limit: 100})
	got := map[string]int{}
	for _, e := range es {
		got[e.Action+" "+e.Outcome]++
	}
	for _, want := range []string{"account.create ok", "account.create denied", "account.key.create ok", "account.key.revoke ok",
		"account.disable ok", "calendar.year.put ok", "calendar.year.put denied",
		"catalog.version.upload ok", "catalog.version.upload denied", "catalog.version.activate ok"} {
		if got[want] == 0 {
			t.Errorf("no %q in the audit log: %v", want, got)
		}
	}
}
