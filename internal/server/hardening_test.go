package server_test

import (
	"bytes"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/xinyong/xinyong/internal/credit"
)

// evil is a foreign site in Origin and Referer headers.
const evil = "http://evil.example"

// apiSession signs the account in through the API and returns its
// session cookie.
func (e *env) apiSession(name string) *http.Cookie {
	e.t.Helper()
	r := e.do(req{method: "POST", path: "/api/v1/sessions", body: map[string]any{"name": name, "password": password}})
	if r.status != http.StatusCreated {
		e.t.Fatalf("sign in %s: %d %s", name, r.status, r.body)
	}
	for _, c := range (&http.Response{Header: r.header}).Cookies() {
		if c.Name == "xy_session" {
			return &http.Cookie{Name: c.Name, Value: c.Value}
		}
	}
	e.t.Fatalf("sign in %s: no session cookie", name)
	return nil
}

var csrfInput = regexp.MustCompile(`name="csrf" value="([^"]*)"`)

// formToken opens page as the browser holding cookies would and returns
// the CSRF token of its forms, with the cookies the browser then holds
// (a pre-session cookie the page may have set is added).
func (e *env) formToken(page string, cookies []*http.Cookie) (string, []*http.Cookie) {
	e.t.Helper()
	r := e.do(req{method: "GET", path: page, cookies: cookies})
	if r.status != http.StatusOK {
		e.t.Fatalf("form page %s: %d %s", page, r.status, r.body)
	}
	jar := append([]*http.Cookie(nil), cookies...)
	for _, c := range (&http.Response{Header: r.header}).Cookies() {
		jar = append(jar, &http.Cookie{Name: c.Name, Value: c.Value})
	}
	m := csrfInput.FindSubmatch(r.body)
	if m == nil {
		return "", jar
	}
	return string(m[1]), jar
}

// postForm posts a url-encoded form from this site, as a browser does.
func (e *env) postForm(path string, vals url.Values, cookies []*http.Cookie) resp {
	e.t.Helper()
	return e.do(req{method: "POST", path: path, raw: []byte(vals.Encode()), cookies: cookies,
		header: map[string]string{"Content-Type": "application/x-www-form-urlencoded", "Origin": e.srv.URL}})
}

// deniedCount counts the refusals the audit log holds for target.
func (e *env) deniedCount(target, action string) int {
	e.t.Helper()
	es, err := e.st.Audit(e.t.Context(), credit.AuditFilter{Target: target, Limit: 1000})
	if err != nil {
		e.t.Fatal(err)
	}
	n := 0
	for _, x := range es {
		if x.Outcome == "denied" && (action == "" || x.Action == action) {
			n++
		}
	}
	return n
}

// TestAPICrossOrigin: a write authenticated by the session cookie is
// refused (403, audited) unless its Origin, or without one its Referer,
// is this site; writes with an API key are not affected.
func TestAPICrossOrigin(t *testing.T) {
	e := newEnv(t)
	admin := []*http.Cookie{e.apiSession(e.names[credit.RoleAdmin])}
	keyPath := "/api/v1/accounts/" + e.names[credit.RoleBusiness] + "/keys"
	cases := []struct {
		name    string
		header  map[string]string
		cookies []*http.Cookie
		key     string
		want    int
	}{
		{"foreign origin, cookie", map[string]string{"Origin": evil}, admin, "", http.StatusForbidden},
		{"null origin, cookie", map[string]string{"Origin": "null"}, admin, "", http.StatusForbidden},
		{"foreign referer, cookie", map[string]string{"Referer": evil + "/page"}, admin, "", http.StatusForbidden},
		{"same host, other port, cookie", map[string]string{"Origin": "http://" + strings.Split(strings.TrimPrefix(e.srv.URL, "http://"), ":")[0] + ":1"}, admin, "", http.StatusForbidden},
		{"neither header, cookie", nil, admin, "", http.StatusForbidden},
		{"own origin, cookie", map[string]string{"Origin": e.srv.URL}, admin, "", http.StatusCreated},
		{"own referer, cookie", map[string]string{"Referer": e.srv.URL + "/console"}, admin, "", http.StatusCreated},
		{"foreign origin, API key", map[string]string{"Origin": evil}, nil, e.keys[credit.RoleAdmin], http.StatusCreated},
	}
	for _, c := range cases {
		before := e.deniedCount(keyPath, "account.key.create")
		r := e.do(req{method: "POST", path: keyPath, header: c.header, cookies: c.cookies, key: c.key})
		if r.status != c.want {
			t.Errorf("%s: %d, want %d\n%s", c.name, r.status, c.want, r.body)
			continue
		}
		if c.want == http.StatusForbidden {
			if k := r.errKind(t); k != "permission" {
				t.Errorf("%s: kind %q", c.name, k)
			}
			if e.deniedCount(keyPath, "account.key.create") != before+1 {
				t.Errorf("%s: refusal not audited", c.name)
			}
		}
	}
	// Reads are not writes: a cross-site GET with the cookie still works
	// (its answer does not reach the other site).
	if r := e.do(req{method: "GET", path: "/api/v1/me", cookies: admin, header: map[string]string{"Origin": evil}}); r.status != http.StatusOK {
		t.Errorf("cross-site read: %d", r.status)
	}

	// A multipart batch upload with the department's cookie from another
	// site is refused before any batch exists.
	dept := []*http.Cookie{e.apiSession(e.names[credit.RoleDept])}
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("file", "p.jsonl")
	fw.Write(e.batchFile(1))
	mw.Close()
	r := e.do(req{method: "POST", path: "/api/v1/batches?item=admin_penalty", raw: body.Bytes(), cookies: dept,
		header: map[string]string{"Content-Type": mw.FormDataContentType(), "Origin": evil}})
	if r.status != http.StatusForbidden {
		t.Errorf("cross-site upload: %d %s", r.status, r.body)
	}
	if bs, err := e.st.Batches(t.Context(), credit.BatchFilter{}); err != nil || len(bs) != 0 {
		t.Errorf("cross-site upload made %d batches (%v)", len(bs), err)
	}
}

// TestPortalCSRF: every form of the portal carries a token bound to the
// browser's session (or, before signing in, to a pre-session cookie); a
// post without it, with another session's, or from another site is
// refused with a page in the visitor's language and audited.
func TestPortalCSRF(t *testing.T) {
	e := newEnv(t)
	sess := []*http.Cookie{e.apiSession(e.names[credit.RoleAdmin])}
	token, _ := e.formToken("/console", sess)
	if token == "" {
		t.Fatal("the console's sign-out form has no CSRF token")
	}
	other := []*http.Cookie{e.apiSession(e.names[credit.RoleReviewer])}
	otherToken, _ := e.formToken("/console", other)
	if otherToken == token {
		t.Fatal("two sessions have the same token")
	}
	for _, c := range []struct {
		name, token, lang, want string
	}{
		{"no token", "", "", "表单已失效"},
		{"another session's token", otherToken, "", "表单已失效"},
		{"no token, English", "", "en", "This form has expired"},
	} {
		before := e.deniedCount("/logout", "")
		cookies := sess
		if c.lang != "" {
			cookies = append([]*http.Cookie{{Name: "lang", Value: c.lang}}, sess...)
		}
		r := e.postForm("/logout", url.Values{"csrf": {c.token}}, cookies)
		if r.status != http.StatusForbidden || !strings.Contains(string(r.body), c.want) {
			t.Errorf("%s: %d\n%s", c.name, r.status, r.body)
		}
		if e.deniedCount("/logout", "") != before+1 {
			t.Errorf("%s: refusal not audited", c.name)
		}
	}
	if r := e.do(req{method: "GET", path: "/api/v1/me", cookies: sess}); r.status != http.StatusOK {
		t.Fatalf("a refused sign-out signed the session out: %d", r.status)
	}
	// With its token but from another site: refused too.
	r := e.do(req{method: "POST", path: "/logout", raw: []byte(url.Values{"csrf": {token}}.Encode()), cookies: sess,
		header: map[string]string{"Content-Type": "application/x-www-form-urlencoded", "Origin": evil}})
	if r.status != http.StatusForbidden {
		t.Errorf("cross-site sign-out with the token: %d", r.status)
	}
	// A form posted with its token from this site works.
	if r := e.postForm("/logout", url.Values{"csrf": {token}}, sess); r.status != http.StatusSeeOther {
		t.Errorf("sign-out with the token: %d\n%s", r.status, r.body)
	}
	if r := e.do(req{method: "GET", path: "/api/v1/me", cookies: sess}); r.status != http.StatusUnauthorized {
		t.Errorf("after sign-out: %d", r.status)
	}

	// Before signing in, the login form is bound to a pre-session cookie.
	token, jar := e.formToken("/login", nil)
	if token == "" || len(jar) == 0 {
		t.Fatalf("login form: token %q, cookies %v", token, jar)
	}
	login := url.Values{"name": {e.names[credit.RoleDept]}, "password": {password}, "next": {"/console"}}
	if r := e.postForm("/login", login, jar); r.status != http.StatusForbidden {
		t.Errorf("login without the token: %d", r.status)
	}
	if r := e.postForm("/login", login, nil); r.status != http.StatusForbidden {
		t.Errorf("login without cookie or token: %d", r.status)
	}
	login.Set("csrf", token)
	if r := e.postForm("/login", login, nil); r.status != http.StatusForbidden {
		t.Errorf("login with a token but not the cookie it is bound to: %d", r.status)
	}
	if r := e.postForm("/login", login, jar); r.status != http.StatusSeeOther || r.header.Get("Location") != "/console" {
		t.Errorf("login with the token: %d %s\n%s", r.status, r.header.Get("Location"), r.body)
	}
}

// TestOpenRedirect: after signing in, only a path of this site is
// followed; whatever a browser could read as another host goes to the
// console instead.
func TestOpenRedirect(t *testing.T) {
	e := newEnv(t)
	sess := []*http.Cookie{e.apiSession(e.names[credit.RoleAdmin])}
	cases := []struct{ next, want string }{
		{"/%09/evil.example", "/console"}, // Chromium drops the tab: //evil.example
		{"/%0a/evil.example", "/console"},
		{"/%0d/evil.example", "/console"},
		{"%09//evil.example", "/console"},
		{"/%20/evil.example", "/console"},
		{"//evil.example", "/console"},
		{"///evil.example", "/console"},
		{"/%5Cevil.example", "/console"}, // /\evil.example
		{"%5C%5Cevil.example", "/console"},
		{"/%252F%252Fevil.example", "/console"}, // decodes to //evil.example
		{"/%255Cevil.example", "/console"},
		{"https://evil.example/", "/console"},
		{"http:evil.example", "/console"},
		{"javascript:alert(1)", "/console"},
		{"evil.example", "/console"},
		{"", "/console"},
		{"/%E2%80%A8/evil.example", "/console"}, // U+2028
		{"/console/cases%3Fkind%3Dobjection", "/console/cases?kind=objection"},
		{"/subjects/" + orgCode, "/subjects/" + orgCode},
		{"/console/quality", "/console/quality"},
	}
	for _, c := range cases {
		r := e.do(req{method: "GET", path: "/login?next=" + c.next, cookies: sess})
		if r.status != http.StatusSeeOther || r.header.Get("Location") != c.want {
			t.Errorf("GET /login?next=%s: %d Location %q, want %q", c.next, r.status, r.header.Get("Location"), c.want)
		}
		// The same through the form, signing in.
		next, err := url.QueryUnescape(c.next)
		if err != nil {
			t.Fatal(err)
		}
		token, jar := e.formToken("/login", nil)
		r = e.postForm("/login", url.Values{"name": {e.names[credit.RoleReviewer]}, "password": {password}, "next": {next}, "csrf": {token}}, jar)
		if r.status != http.StatusSeeOther || r.header.Get("Location") != c.want {
			t.Errorf("POST /login next=%q: %d Location %q, want %q", next, r.status, r.header.Get("Location"), c.want)
		}
	}
	// The login form does not carry a foreign next into its hidden field.
	r := e.get("/login?next=/%09/evil.example")
	if !strings.Contains(string(r.body), `name="next" value="/console"`) {
		t.Errorf("the login form's next is not the console:\n%s", r.body)
	}
}

// TestMetricsNotPublic: the main listener does not serve /metrics.
func TestMetricsNotPublic(t *testing.T) {
	e := newEnv(t)
	if r := e.get("/metrics"); r.status != http.StatusNotFound {
		t.Errorf("/metrics on the main listener: %d", r.status)
	}
}

// TestNoStore: pages and answers with non-public data are not kept by
// browsers or proxies; public pages seen anonymously may be.
func TestNoStore(t *testing.T) {
	e := newEnv(t)
	admin := []*http.Cookie{e.apiSession(e.names[credit.RoleAdmin])}
	subject := []*http.Cookie{e.apiSession(e.names[credit.RoleSubject])}
	id := e.batch()
	for _, c := range []struct {
		path    string
		cookies []*http.Cookie
		key     string
	}{
		{"/console", admin, ""},
		{"/console/quality", admin, ""},
		{"/console/exchange", admin, ""},
		{"/console/cases?kind=objection", admin, ""},
		{"/console/lists", admin, ""},
		{"/console/checks", admin, ""},
		{"/subjects/" + orgCode + "/file", admin, ""},
		{"/subjects/" + orgCode, admin, ""},
		{"/my/cases", subject, ""},
		{"/subjects/" + orgCode + "/file", subject, ""},
		{"/login", nil, ""},
		{"/track", nil, ""},
		{"/api/v1/batches/" + id + "/rejects", nil, e.keys[credit.RoleDept]},
		{"/api/v1/me", admin, ""},
	} {
		r := e.do(req{method: "GET", path: c.path, cookies: c.cookies, key: c.key, purpose: "核查"})
		if r.status != http.StatusOK {
			t.Errorf("%s: %d", c.path, r.status)
			continue
		}
		if cc := r.header.Get("Cache-Control"); !strings.Contains(cc, "no-store") {
			t.Errorf("%s: Cache-Control %q", c.path, cc)
		}
	}
	if cc := e.get("/subjects/" + orgCode).header.Get("Cache-Control"); strings.Contains(cc, "no-store") {
		t.Errorf("public subject page, anonymous: Cache-Control %q", cc)
	}
}

// TestJSONInvalidUTF8: a JSON body with bytes that are not UTF-8, or a \u
// escape naming half a surrogate pair, is refused with 400 instead of
// being stored with U+FFFD in its place.
func TestJSONInvalidUTF8(t *testing.T) {
	e := newEnv(t)
	key := e.keys[credit.RoleDept]
	post := func(content string) resp {
		body := e.recordBody(orgCode)
		b, err := jsonWithRaw(body, content)
		if err != nil {
			t.Fatal(err)
		}
		return e.do(req{method: "POST", path: "/api/v1/records", key: key, raw: b, header: map[string]string{"Content-Type": "application/json"}})
	}
	for _, c := range []struct {
		name, content string
		want          int
	}{
		{"latin-1 byte", "罚款\xff人民币", http.StatusBadRequest},
		{"truncated sequence", "罚款\xe4\xba", http.StatusBadRequest},
		{"overlong encoding", "罚款\xc0\xafx", http.StatusBadRequest},
		{"encoded surrogate", "罚款\xed\xa0\x80", http.StatusBadRequest},
		{"lone high surrogate escape", `罚款\ud83dx`, http.StatusBadRequest},
		{"lone low surrogate escape", `罚款\ude00`, http.StatusBadRequest},
		{"escaped backslash before u", `罚款\\ud83d`, http.StatusCreated},
		{"surrogate pair escape", `罚款\ud83d\ude00`, http.StatusCreated},
		{"plain", "罚款人民币1万元", http.StatusCreated},
	} {
		r := post(c.content)
		if r.status != c.want {
			t.Errorf("%s: %d, want %d\n%s", c.name, r.status, c.want, r.body)
			continue
		}
		if c.want == http.StatusBadRequest {
			if msg := r.errMessage(t); !strings.Contains(msg, "UTF-8") && !strings.Contains(msg, "surrogate") {
				t.Errorf("%s: message %q", c.name, msg)
			}
		}
	}
	recs, err := e.st.RecordsBySubject(t.Context(), orgCode)
	if err != nil {
		t.Fatal(err)
	}
	for _, rec := range recs {
		if strings.ContainsRune(rec.Fields["cf_nr"], '\uFFFD') {
			t.Errorf("stored with U+FFFD: %q", rec.Fields["cf_nr"])
		}
	}
}

// jsonWithRaw encodes body with its cf_nr field replaced by content as
// raw bytes between quotes (encoding/json would fix invalid UTF-8).
func jsonWithRaw(body map[string]any, content string) ([]byte, error) {
	const mark = "@@CONTENT@@"
	body["fields"].(credit.Fields)["cf_nr"] = mark
	b, err := json.Marshal(body)
	if err != nil {
		return nil, err
	}
	return bytes.Replace(b, []byte(mark), []byte(content), 1), nil
}

// TestRefusedLoginAudited: a login refused while the account is locked
// out (429) leaves its own denied entry, through the API and the portal.
func TestRefusedLoginAudited(t *testing.T) {
	e := newEnv(t)
	name := e.names[credit.RoleAuditor]
	target := "account:" + name
	for i := range 5 {
		e.do(req{method: "POST", path: "/api/v1/sessions", body: map[string]any{"name": name, "password": "guess " + strconv.Itoa(i)}})
	}
	before := e.deniedCount(target, "session.create")
	r := e.do(req{method: "POST", path: "/api/v1/sessions", body: map[string]any{"name": name, "password": password}})
	if r.status != http.StatusTooManyRequests {
		t.Fatalf("API login while locked out: %d", r.status)
	}
	if n := e.deniedCount(target, "session.create"); n != before+1 {
		t.Errorf("API 429 not audited: %d denied entries, want %d", n, before+1)
	}
	token, jar := e.formToken("/login", nil)
	r = e.postForm("/login", url.Values{"name": {name}, "password": {password}, "csrf": {token}}, jar)
	if r.status != http.StatusTooManyRequests {
		t.Fatalf("portal login while locked out: %d", r.status)
	}
	if n := e.deniedCount(target, "session.create"); n != before+2 {
		t.Errorf("portal 429 not audited: %d denied entries, want %d", n, before+2)
	}
}

// TestUnlockAccount: an administrator sees on the console that an account
// is locked out by failed logins and unlocks it there or through the API;
// other roles cannot; unlocking is audited.
func TestUnlockAccount(t *testing.T) {
	e := newEnv(t)
	lock := func(name string) {
		for i := range 5 {
			e.do(req{method: "POST", path: "/api/v1/sessions", body: map[string]any{"name": name, "password": "guess " + strconv.Itoa(i)}})
		}
		r := e.do(req{method: "POST", path: "/api/v1/sessions", body: map[string]any{"name": name, "password": password}})
		if r.status != http.StatusTooManyRequests {
			t.Fatalf("%s not locked out: %d", name, r.status)
		}
	}
	loginOK := func(name string) bool {
		r := e.do(req{method: "POST", path: "/api/v1/sessions", body: map[string]any{"name": name, "password": password}})
		return r.status == http.StatusCreated
	}
	reviewer, dept := e.names[credit.RoleReviewer], e.names[credit.RoleDept]
	lock(reviewer)

	// The API: the lockout is shown, and only an administrator lifts it.
	path := "/api/v1/accounts/" + reviewer + "/lockout"
	r := e.do(req{method: "GET", path: path, key: e.keys[credit.RoleAdmin]})
	if r.status != http.StatusOK || r.json(t)["locked"] != true {
		t.Fatalf("lockout status: %d %s", r.status, r.body)
	}
	if r := e.do(req{method: "DELETE", path: path, key: e.keys[credit.RoleReviewer]}); r.status != http.StatusForbidden {
		t.Errorf("reviewer unlocking: %d", r.status)
	}
	if r := e.do(req{method: "DELETE", path: path, key: e.keys[credit.RoleAdmin]}); r.status != http.StatusOK {
		t.Fatalf("admin unlocking: %d %s", r.status, r.body)
	}
	if !e.auditHas(credit.AuditEntry{Actor: e.names[credit.RoleAdmin], Target: "account:" + reviewer, Action: "account.unlock", Outcome: "ok"}) {
		t.Error("unlock not audited")
	}
	if !loginOK(reviewer) {
		t.Error("still locked out after the API unlock")
	}
	if r := e.do(req{method: "DELETE", path: "/api/v1/accounts/no-such/lockout", key: e.keys[credit.RoleAdmin]}); r.status != http.StatusNotFound {
		t.Errorf("unlocking an unknown account: %d", r.status)
	}

	// The console: the administrator's page lists the locked account with
	// an unlock button; other staff do not get it.
	lock(dept)
	admin := []*http.Cookie{e.apiSession(e.names[credit.RoleAdmin])}
	r = e.do(req{method: "GET", path: "/console", cookies: admin})
	if !strings.Contains(string(r.body), "已锁定") || !strings.Contains(string(r.body), dept) || !strings.Contains(string(r.body), `action="/console/accounts/`+dept+`/unlock"`) {
		t.Fatalf("console does not show the lockout:\n%s", r.body)
	}
	rev := []*http.Cookie{e.apiSession(reviewer)}
	if r := e.do(req{method: "GET", path: "/console", cookies: rev}); strings.Contains(string(r.body), "/unlock") {
		t.Error("a reviewer is offered the unlock button")
	}
	revToken, _ := e.formToken("/console", rev)
	if r := e.postForm("/console/accounts/"+dept+"/unlock", url.Values{"csrf": {revToken}}, rev); r.status != http.StatusForbidden {
		t.Errorf("reviewer unlocking on the console: %d", r.status)
	}
	if loginOK(dept) {
		t.Fatal("a reviewer's console post unlocked the account")
	}
	token, _ := e.formToken("/console", admin)
	if r := e.postForm("/console/accounts/"+dept+"/unlock", url.Values{"csrf": {token}}, admin); r.status != http.StatusSeeOther {
		t.Fatalf("console unlock: %d\n%s", r.status, r.body)
	}
	if !loginOK(dept) {
		t.Error("still locked out after the console unlock")
	}
	if r := e.do(req{method: "GET", path: "/console", cookies: admin}); strings.Contains(string(r.body), "已锁定") {
		t.Error("the console still shows the lockout")
	}
}
