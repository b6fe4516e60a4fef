package server_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/server"
)

func TestPortalPages(t *testing.T) {
	e := newEnv(t)
	cases := []struct {
		path   string
		status int
		want   []string
	}{
		{"/", 200, []string{`lang="zh-CN"`, "信用信息查询", `<form class="search" method="get" action="/search"`, `name="q"`, `href="/?lang=en"`}},
		{"/?lang=en", 200, []string{`lang="en"`, "Credit information search", `name="q"`, `href="/?lang=zh"`}},
		{"/search?q=" + url.QueryEscape("福州"), 200, []string{"<mark>福州</mark>示例科技有限公司", "/subjects/" + orgCode, "找到 1 个主体"}},
		{"/search?q=" + url.QueryEscape("福州") + "&lang=en", 200, []string{"<mark>福州</mark>示例科技有限公司", "Subjects found: 1"}},
		{"/search?q=" + orgCode, 200, []string{orgName}},
		{"/search?q=" + url.QueryEscape("不存在的公司"), 200, []string{"未找到相关主体"}},
		{"/subjects/" + orgCode, 200, []string{"基本信息", orgName, orgCode, "张三", "存续", "2016-03-01", "行政许可", "行政处罚", "工商/市场监管 · 企业", "福州市 (350100)", `href="/subjects/` + orgCode + `?tab=penalties"`}},
		{"/subjects/" + orgCode + "?tab=licences", 200, []string{`id="licences"`, "查询期内无相关信息", `aria-current="page"`}},
		{"/subjects/" + orgCode + "?lang=en&tab=licences", 200, []string{"Basic information", "Administrative penalties", "No relevant information in the query period"}},
		{"/subjects/" + e.person.ID, 404, []string{"未找到"}},
		{"/subjects/nonexistent", 404, []string{"未找到"}},
		{"/no/such/page", 404, []string{"未找到"}},
		{"/login", 200, []string{`action="/login"`, `name="password"`}},
		{"/static/style.css", 200, []string{"font"}},
	}
	for _, c := range cases {
		r := e.get(c.path)
		if r.status != c.status {
			t.Errorf("%s: status %d, want %d", c.path, r.status, c.status)
		}
		for _, w := range c.want {
			if !strings.Contains(string(r.body), w) {
				t.Errorf("%s: page lacks %q", c.path, w)
			}
		}
	}
	// The portal has no scripts.
	if r := e.get("/"); strings.Contains(string(r.body), "<script") || !strings.Contains(r.header.Get("Content-Security-Policy"), "script-src 'none'") {
		t.Error("home page allows scripts")
	}
	// ?lang=en is remembered in a cookie.
	r := e.get("/?lang=en")
	var lang *http.Cookie
	for _, c := range (&http.Response{Header: r.header}).Cookies() {
		if c.Name == "lang" {
			lang = c
		}
	}
	if lang == nil || lang.Value != "en" {
		t.Fatal("no lang cookie")
	}
	r = e.do(req{method: "GET", path: "/search", cookies: []*http.Cookie{lang}})
	if !strings.Contains(string(r.body), "Search results") {
		t.Error("lang cookie not honoured")
	}
}

func TestPortalLoginConsole(t *testing.T) {
	e := newEnv(t)
	form := func(name, pw string, origin string) resp {
		token, jar := e.formToken("/login", nil)
		body := url.Values{"name": {name}, "password": {pw}, "next": {"/console"}, "csrf": {token}}.Encode()
		r, _ := http.NewRequestWithContext(t.Context(), "POST", e.srv.URL+"/login", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for _, c := range jar {
			r.AddCookie(c)
		}
		if origin != "" {
			r.Header.Set("Origin", origin)
		}
		client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		res, err := client.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return resp{status: res.StatusCode, header: res.Header, body: b}
	}
	if r := e.get("/console"); r.status != http.StatusSeeOther || !strings.HasPrefix(r.header.Get("Location"), "/login") {
		t.Errorf("console anonymous: %d %s", r.status, r.header.Get("Location"))
	}
	if r := form("t-dept", "nope nope nope", ""); r.status != http.StatusUnauthorized || !strings.Contains(string(r.body), "账号或密码错误") {
		t.Errorf("bad login: %d", r.status)
	}
	if !e.auditHas(credit.AuditEntry{Target: "account:t-dept", Action: "session.create", Outcome: "denied"}) {
		t.Error("failed portal login not audited")
	}
	if r := form("t-dept", password, "http://evil.example"); r.status != http.StatusForbidden {
		t.Errorf("cross-site login: %d", r.status)
	}
	r := form("t-dept", password, e.srv.URL)
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/console" {
		t.Fatalf("login: %d %s", r.status, r.header.Get("Location"))
	}
	var sess *http.Cookie
	for _, c := range (&http.Response{Header: r.header}).Cookies() {
		if c.Name == "xy_session" {
			sess = c
		}
	}
	if sess == nil {
		t.Fatal("no session cookie")
	}
	e.appendRecord(e.keys[credit.RoleDept])
	r = e.do(req{method: "GET", path: "/console", cookies: []*http.Cookie{sess}})
	// A department's console shows its own figures, not the platform's.
	for _, w := range []string{"工作台", "t-dept", "数据提供部门", deptCode, "本部门入库记录", "本部门待办异议与修复"} {
		if !strings.Contains(string(r.body), w) {
			t.Errorf("console lacks %q", w)
		}
	}
	r = e.do(req{method: "GET", path: "/console?lang=en", cookies: []*http.Cookie{sess}})
	if !strings.Contains(string(r.body), "Records accepted from this department") || strings.Contains(string(r.body), "Credit subjects") {
		t.Error("console in English, the department's own figures")
	}
}

// TestPersonNeverPublic seeds a natural person and checks that no public
// page or public API answer carries the clear ID number, and that persons
// are not listed publicly at all.
func TestPersonNeverPublic(t *testing.T) {
	e := newEnv(t)
	// Give the person a record too, so that any leak through records shows.
	body := e.recordBody(e.person.ID)
	f := body["fields"].(credit.Fields)
	delete(f, "cf_xdr_shxym")
	delete(f, "cf_frdb")
	f["cf_xdr_mc"], f["cf_xdr_lb"], f["cf_xdr_zjlx"], f["cf_xdr_zjhm"] = personName, "自然人", "身份证", personID
	if r := e.do(req{method: "POST", path: "/api/v1/records", key: e.keys[credit.RoleDept], body: body}); r.status != http.StatusCreated {
		t.Fatalf("person record: %d %s", r.status, r.body)
	}
	paths := []string{
		"/", "/?lang=en",
		"/search?q=" + url.QueryEscape(personName), "/search?q=" + personID, "/search?q=" + url.QueryEscape("王"),
		"/search?q=" + url.QueryEscape(personName) + "&lang=en",
		"/subjects/" + e.person.ID, "/subjects/" + e.person.ID + "?lang=en", "/subjects/" + personID,
		"/api/v1/subjects?q=" + url.QueryEscape(personName), "/api/v1/subjects?q=" + personID,
		"/api/v1/subjects?q=" + url.QueryEscape("王"),
		"/api/v1/subjects/" + e.person.ID, "/api/v1/subjects/" + personID,
		"/api/v1/subjects/" + e.person.ID + "/records", "/api/v1/subjects/" + e.person.ID + "/identity",
		"/api/v1/codes/" + personID,
	}
	for _, p := range paths {
		r := e.get(p)
		if containsAny(r.body, personID) || containsAny(r.body, strings.ToLower(personID)) {
			t.Errorf("%s: the clear ID number is in the response", p)
		}
		if strings.Contains(string(r.body), personName) && !strings.Contains(p, url.QueryEscape(personName)) {
			t.Errorf("%s: the person's name is in the response", p)
		}
		if strings.Contains(p, "search") || strings.Contains(p, "subjects?q=") {
			if strings.Contains(string(r.body), e.person.ID) {
				t.Errorf("%s: a person is listed publicly", p)
			}
		}
	}
	// Subject and search answers to the public never show the person.
	if r := e.get("/api/v1/subjects/" + e.person.ID); r.status != http.StatusNotFound {
		t.Errorf("public person read: %d", r.status)
	}
	// Staff do not find the person by name either; by the exact number
	// with a purpose they do, number masked (TestPersonsNeedToKnow).
	r := e.do(req{method: "GET", path: "/api/v1/subjects?q=" + url.QueryEscape(personName), key: e.keys[credit.RoleReviewer]})
	if r.status != http.StatusOK || strings.Contains(string(r.body), e.person.ID) {
		t.Errorf("staff search by name: %d %s", r.status, r.body)
	}
	r = e.do(req{method: "GET", path: "/api/v1/subjects?q=" + personID, key: e.keys[credit.RoleReviewer], purpose: "核查"})
	if !strings.Contains(string(r.body), e.person.ID) || !strings.Contains(string(r.body), "110105********002X") || containsAny(r.body, personID) {
		t.Errorf("staff search by number: %s", r.body)
	}
	// And the ID number never reaches the log either.
	if strings.Contains(e.logBuf.String(), personID) {
		t.Error("the clear ID number is in the server log")
	}
}

func TestHealthReadyMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	e := newEnvWith(t, func(d *server.Deps) { d.Metrics = reg })
	metrics := httptest.NewServer(server.MetricsHandler(reg, false))
	t.Cleanup(metrics.Close)
	profiled := httptest.NewServer(server.MetricsHandler(reg, true))
	t.Cleanup(profiled.Close)
	if r := e.get("/healthz"); r.status != 200 || !strings.Contains(string(r.body), `"ok"`) {
		t.Errorf("healthz: %d %s", r.status, r.body)
	}
	if r := e.get("/readyz"); r.status != 200 {
		t.Errorf("readyz: %d %s", r.status, r.body)
	}
	e.get("/api/v1/catalog")
	e.get("/api/v1/catalog")
	e.get("/subjects/" + orgCode)
	if r := e.get("/metrics"); r.status != http.StatusNotFound {
		t.Errorf("metrics on the main address: %d", r.status)
	}
	res, err := http.Get(metrics.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("metrics: %d", res.StatusCode)
	}
	// Profiles are served only when asked for, and only beside the metrics.
	for _, c := range []struct {
		url  string
		want int
	}{
		{metrics.URL + "/debug/pprof/goroutine?debug=1", http.StatusNotFound},
		{profiled.URL + "/debug/pprof/goroutine?debug=1", http.StatusOK},
		{profiled.URL + "/debug/pprof/cmdline", http.StatusOK},
		{profiled.URL + "/metrics", http.StatusOK},
	} {
		r, err := http.Get(c.url)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(r.Body)
		r.Body.Close()
		if r.StatusCode != c.want || (c.want == http.StatusOK && len(b) == 0) {
			t.Errorf("GET %s: %d (%d bytes), want %d", c.url, r.StatusCode, len(b), c.want)
		}
	}
	if r := e.get("/debug/pprof/goroutine?debug=1"); r.status != http.StatusNotFound {
		t.Errorf("profiles on the main address: %d", r.status)
	}
	m := string(body)
	for _, w := range []string{
		`xinyong_http_requests_total{method="GET",route="GET /api/v1/catalog",status="200"} 2`,
		`xinyong_http_requests_total{method="GET",route="GET /subjects/{id}",status="200"} 1`,
		`xinyong_http_request_duration_seconds_bucket{method="GET",route="GET /api/v1/catalog",status="200",le="+Inf"} 2`,
		"go_goroutines", "process_cpu_seconds_total",
	} {
		if !strings.Contains(m, w) {
			t.Errorf("metrics lack %q", w)
		}
	}
	if err := e.st.Close(); err != nil {
		t.Fatal(err)
	}
	r := e.get("/readyz")
	if r.status != http.StatusServiceUnavailable || !strings.Contains(string(r.body), "reason") {
		t.Errorf("readyz with closed store: %d %s", r.status, r.body)
	}
	// Storage failures are 503s in the API without internals.
	r = e.get("/api/v1/subjects/" + orgCode)
	if r.status < 500 || strings.Contains(string(r.body), "sql") {
		t.Errorf("API with closed store: %d %s", r.status, r.body)
	}
}

func TestRunShutsDown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) })
	go func() { done <- server.Serve(ctx, ln, h, nil, server.Limits{}) }()
	res, err := http.Get("http://" + ln.Addr().String() + "/")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Serve after cancel: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not return after cancel")
	}
}
