package server_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/xinyong/xinyong/internal/api"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/sitecontent"
)

// sitePost writes a notice through the service and returns its ID.
func (e *env) sitePost() string {
	e.t.Helper()
	sc := sitecontent.New(e.st, e.clock.Now)
	p, err := sc.Create(e.t.Context(), "setup", sitecontent.Input{Section: credit.SectionNotices, Title: "通知" + strconv.Itoa(e.unique()), Body: "正文"})
	if err != nil {
		e.t.Fatal(err)
	}
	return p.ID
}

// siteScenario is the role matrix's request for the site content routes.
func (e *env) siteScenario(rt api.Route, role credit.Role) (req, bool) {
	q := req{method: rt.Method, key: e.keys[role], path: rt.Path}
	p := "/api/v1/site/posts"
	switch rt.Path {
	case p:
		if rt.Method == "POST" {
			q.body = map[string]any{"section": "notices", "title": "关于系统维护的公告", "body": "今晚停机维护。"}
		}
	case p + "/{id}", p + "/{id}/versions":
		q.path = strings.Replace(rt.Path, "{id}", e.sitePost(), 1)
		if rt.Method == "PUT" {
			q.body = map[string]any{"section": "notices", "title": "更正", "body": "更正后的正文", "version": 1}
		}
	default:
		return req{}, false
	}
	return q, true
}

// TestSiteContent: an administrator writes and edits a notice through the
// API; the portal's home page lists it and its page renders the Markdown
// without the raw HTML it was given; a stale edit is refused; every
// version is kept; the writes are audited; a removed post leaves the
// portal.
func TestSiteContent(t *testing.T) {
	e := newEnv(t)
	admin := e.keys[credit.RoleAdmin]
	r := e.do(req{method: "POST", path: "/api/v1/site/posts", key: admin, body: map[string]any{
		"section": "notices", "title": "关于开展信用修复集中培训的通知", "title_en": "Credit repair training",
		"body": "## 培训安排\n\n**时间**：3月10日\n\n<script>alert(1)</script>\n\n[报名](javascript:alert(1))", "date": "2026-03-02"}})
	if r.status != http.StatusCreated {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	var p credit.SitePost
	if err := json.Unmarshal(r.body, &p); err != nil || p.Version != 1 {
		t.Fatalf("created %s (%v)", r.body, err)
	}
	if !e.auditHas(credit.AuditEntry{Actor: e.names[credit.RoleAdmin], Action: "site.post.create", Target: "post:" + p.ID, Outcome: "ok"}) {
		t.Error("the creation is not audited")
	}
	home := e.get("/")
	if !strings.Contains(string(home.body), "关于开展信用修复集中培训的通知") || !strings.Contains(string(home.body), `href="/posts/`+p.ID+`"`) {
		t.Errorf("the home page does not list the notice")
	}
	page := e.get("/posts/" + p.ID)
	body := string(page.body)
	if page.status != http.StatusOK || !strings.Contains(body, "<h2>培训安排</h2>") || !strings.Contains(body, "<strong>时间</strong>") {
		t.Fatalf("post page %d:\n%s", page.status, body)
	}
	if strings.Contains(body, "<script>alert") || strings.Contains(body, "javascript:") {
		t.Fatalf("the post page carries the raw HTML or script link:\n%s", body)
	}
	if en := e.get("/posts/" + p.ID + "?lang=en"); !strings.Contains(string(en.body), "Credit repair training") {
		t.Error("the English page does not show the English title")
	}

	// Edit over version 1; a second edit over version 1 is stale.
	edit := map[string]any{"section": "notices", "title": "关于开展信用修复集中培训的通知（更正）", "body": "改期至3月12日。", "version": 1}
	if r := e.do(req{method: "PUT", path: "/api/v1/site/posts/" + p.ID, key: admin, body: edit}); r.status != http.StatusOK {
		t.Fatalf("edit: %d %s", r.status, r.body)
	}
	if r := e.do(req{method: "PUT", path: "/api/v1/site/posts/" + p.ID, key: admin, body: edit}); r.status != http.StatusConflict {
		t.Fatalf("stale edit: %d %s", r.status, r.body)
	}
	r = e.do(req{method: "GET", path: "/api/v1/site/posts/" + p.ID + "/versions", key: e.keys[credit.RoleAuditor]})
	var vs struct {
		Versions []credit.SitePost `json:"versions"`
	}
	if err := json.Unmarshal(r.body, &vs); err != nil || len(vs.Versions) != 2 || !strings.Contains(vs.Versions[0].Body, "培训安排") || vs.Versions[1].Editor != e.names[credit.RoleAdmin] {
		t.Fatalf("versions: %s", r.body)
	}
	if !strings.Contains(string(e.get("/posts/"+p.ID).body), "改期至3月12日") {
		t.Error("the post page does not show the newest version")
	}

	// Removed: gone from the portal, kept in the versions.
	rm := map[string]any{"section": "notices", "title": "x", "body": "", "removed": true, "version": 2}
	if r := e.do(req{method: "PUT", path: "/api/v1/site/posts/" + p.ID, key: admin, body: rm}); r.status != http.StatusOK {
		t.Fatalf("remove: %d %s", r.status, r.body)
	}
	if r := e.get("/posts/" + p.ID); r.status != http.StatusNotFound {
		t.Errorf("removed post page: %d", r.status)
	}
	if strings.Contains(string(e.get("/").body), p.ID) {
		t.Error("the home page still lists the removed post")
	}
}

// TestSiteConsole: the administrator writes a policy on the console page
// and edits it; an edit over a stale version is refused on the page, in
// Chinese; other roles are refused (audited); the writes are audited.
func TestSiteConsole(t *testing.T) {
	e := newEnv(t)
	admin := []*http.Cookie{e.apiSession(e.names[credit.RoleAdmin])}
	post := func(vals url.Values) resp {
		t.Helper()
		token, jar := e.formToken("/console/site", admin)
		vals.Set("csrf", token)
		return e.postForm("/console/site", vals, jar)
	}
	r := post(url.Values{"section": {"policies"}, "title": {"《失信行为纠正后的信用信息修复管理办法（试行）》"}, "body": {"国家发展改革委令2023年第58号"}, "date": {"2023-01-13"}})
	loc := r.header.Get("Location")
	if r.status != http.StatusSeeOther || !strings.HasPrefix(loc, "/console/site?post=") {
		t.Fatalf("create: %d %s", r.status, visibleText(r.body))
	}
	id := strings.TrimPrefix(loc, "/console/site?post=")
	if !e.auditHas(credit.AuditEntry{Actor: e.names[credit.RoleAdmin], Action: "site.post.create", Target: "post:" + id, Outcome: "ok"}) {
		t.Error("the creation is not audited")
	}
	edit := url.Values{"id": {id}, "version": {"1"}, "section": {"policies"}, "title": {"信用修复管理办法"}, "body": {"全文见国家发展改革委网站。"}, "date": {"2023-01-13"}}
	if r := post(edit); r.status != http.StatusSeeOther {
		t.Fatalf("edit: %d %s", r.status, visibleText(r.body))
	}
	r = post(edit)
	if r.status != http.StatusConflict || !strings.Contains(visibleText(r.body), "已被他人修改") {
		t.Fatalf("stale edit: %d %s", r.status, visibleText(r.body))
	}
	page := e.do(req{method: "GET", path: "/console/site?post=" + id, cookies: admin})
	text := visibleText(page.body)
	if page.status != http.StatusOK || !strings.Contains(text, "历史版本") || !strings.Contains(text, "《失信行为纠正后的信用信息修复管理办法（试行）》") || !strings.Contains(text, "信用修复管理办法") {
		t.Fatalf("console with versions: %d\n%s", page.status, text)
	}
	if home := visibleText(e.get("/").body); !strings.Contains(home, "信用修复管理办法") {
		t.Error("the home page does not list the policy")
	}
	dept := []*http.Cookie{e.apiSession(e.names[credit.RoleDept])}
	if r := e.do(req{method: "GET", path: "/console/site", cookies: dept}); r.status != http.StatusForbidden {
		t.Errorf("a department operator opens the site console: %d", r.status)
	}
	// Refused by the console's page table before the page's handler.
	if !e.auditHas(credit.AuditEntry{Actor: e.names[credit.RoleDept], Action: "page.open", Target: "/console/site", Outcome: "denied"}) {
		t.Error("the refusal is not audited")
	}
}
