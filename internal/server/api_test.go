package server_test

import (
	"context"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/xinyong/xinyong/internal/api"
	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/server"
)

// scenario builds a request that the route would accept from role, so that
// the only possible refusal is the role check. State-changing routes get
// fresh resources (a new record to correct, a new account name).
func (e *env) scenario(rt api.Route, role credit.Role) req {
	key := e.keys[role]
	if q, ok := e.wfScenario(rt, role); ok {
		return q
	}
	if q, ok := e.cmScenario(rt, role); ok {
		return q
	}
	if q, ok := e.reportScenario(rt, role); ok {
		return q
	}
	q := req{method: rt.Method, key: key}
	path := rt.Path
	switch rt.Path {
	case "/api/v1/codes/{code}":
		path = strings.Replace(path, "{code}", orgCode, 1)
	case "/api/v1/catalog/items/{code}":
		path = strings.Replace(path, "{code}", "admin_penalty", 1)
	case "/api/v1/subjects":
		path += "?q=" + "福州"
		if rt.Method == "POST" {
			q.body = map[string]any{"code": orgCode, "name": orgName, "legal_rep": "张三", "status": "存续", "registered_on": "2016-03-01"}
		}
	case "/api/v1/search":
		path += "?q=" + "福州"
	case "/api/v1/lists/{kind}":
		path = strings.Replace(path, "{kind}", "black", 1)
	case "/api/v1/subjects/{id}", "/api/v1/subjects/{id}/records", "/api/v1/subjects/{id}/public", "/api/v1/subjects/{id}/revisions":
		path = strings.Replace(path, "{id}", orgCode, 1)
	case "/api/v1/subjects/{id}/identity":
		path = strings.Replace(path, "{id}", e.person.ID, 1)
	case "/api/v1/records":
		body := e.recordBody(orgCode)
		if role != credit.RoleDept {
			body["dept"] = deptCode
		}
		q.body = body
	case "/api/v1/records/{id}/corrections":
		path = strings.Replace(path, "{id}", e.appendRecord(e.keys[credit.RoleDept]), 1)
		q.body = map[string]any{"reason": "金额录入错误", "fields": e.penaltyFields("榕市监罚〔2026〕c"+strconv.Itoa(e.unique())+"号", "罚款人民币2万元")}
	case "/api/v1/records/{id}/revocations":
		path = strings.Replace(path, "{id}", e.appendRecord(e.keys[credit.RoleDept]), 1)
		q.body = map[string]any{"reason": "行政复议撤销"}
	case "/api/v1/batches":
		if rt.Method == "POST" {
			path += "?item=admin_penalty&file_name=f.jsonl"
			if role != credit.RoleDept {
				path += "&dept=" + deptCode
			}
			q.raw = e.batchFile(1)
			q.header = map[string]string{"Content-Type": "application/x-ndjson"}
		}
	case "/api/v1/batches/{id}", "/api/v1/batches/{id}/rejects":
		path = strings.Replace(path, "{id}", e.batch(), 1)
	case "/api/v1/sessions":
		if rt.Method == "POST" {
			q.body = map[string]any{"name": e.names[credit.RoleAdmin], "password": password}
		}
	case "/api/v1/accounts":
		if rt.Method == "POST" {
			q.body = map[string]any{"name": "new-" + strconv.Itoa(e.unique()), "role": "auditor", "password": password}
		}
	case "/api/v1/monitor/series/{code}":
		path = strings.Replace(path, "{code}", "dsgs_timeliness", 1) + "?period=week&n=4"
	case "/api/v1/keys/{id}":
		// A fresh key of the business system each time: revoking one
		// twice is a conflict.
		_, k, err := e.node.Accounts.NewKey(context.Background(), e.names[credit.RoleBusiness])
		if err != nil {
			e.t.Fatal(err)
		}
		path = strings.Replace(path, "{id}", k.ID, 1)
	case "/api/v1/catalog/files/{file}/versions":
		path = strings.Replace(path, "{file}", "measures.json", 1)
		q.raw = e.measuresVersion()
		q.header = map[string]string{"Content-Type": "application/json"}
	case "/api/v1/catalog/versions/{id}", "/api/v1/catalog/versions/{id}/activation":
		// A fresh version each time: activating one twice is a conflict.
		v, _, err := catalog.Upload(context.Background(), e.st, e.cat, "measures.json", e.measuresVersion(), "", "t-admin", e.clock.Now())
		if err != nil {
			e.t.Fatal(err)
		}
		path = strings.Replace(path, "{id}", v.ID, 1)
	case "/api/v1/accounts/{name}/disabled":
		// Re-enabling an enabled account: allowed, and changes nothing
		// the other scenarios rely on.
		path = strings.Replace(path, "{name}", e.names[credit.RoleBusiness], 1)
		q.body = map[string]any{"disabled": false}
	case "/api/v1/feeds/{feed}":
		path = strings.Replace(path, "{feed}", feedPeer, 1) + "?after=0"
	case "/api/v1/accounts/{name}/keys", "/api/v1/accounts/{name}/lockout":
		path = strings.Replace(path, "{name}", e.names[credit.RoleBusiness], 1)
	default:
		path = e.sanctionScenario(rt, role, &q, path)
	}
	if rt.Purpose {
		q.purpose = "授权查询测试"
	}
	q.path = path
	return q
}

// TestRoleMatrix calls every route as every role and checks the answer
// against the route table exactly: allowed roles get a success, anonymous
// callers of a closed route 401, other roles 403, and every refusal is in
// the audit log.
func TestRoleMatrix(t *testing.T) {
	e := newEnv(t)
	if len(e.routes) < 18 {
		t.Fatalf("only %d routes", len(e.routes))
	}
	for _, rt := range e.routes {
		for _, role := range credit.Roles {
			name := rt.Method + " " + rt.Path + " as " + string(role)
			q := e.scenario(rt, role)
			r := e.do(q)
			if slices.Contains(rt.Roles, role) {
				if r.status < 200 || r.status > 299 {
					t.Errorf("%s: status %d, want success\n%s", name, r.status, r.body)
				}
				continue
			}
			want, kind := http.StatusForbidden, "permission"
			if role == credit.RolePublic {
				want, kind = http.StatusUnauthorized, "unauthenticated"
			}
			if r.status != want {
				t.Errorf("%s: status %d, want %d\n%s", name, r.status, want, r.body)
				continue
			}
			if k := r.errKind(t); k != kind {
				t.Errorf("%s: error kind %q, want %q", name, k, kind)
			}
			actor := e.names[role]
			if role == credit.RolePublic {
				actor = "anonymous"
			}
			target := strings.SplitN(q.path, "?", 2)[0]
			if !e.auditHas(credit.AuditEntry{Actor: actor, Target: target, Action: rt.Action, Outcome: "denied", Role: role}) {
				t.Errorf("%s: refusal not in the audit log", name)
			}
		}
	}
}

func TestDeptScoping(t *testing.T) {
	e := newEnv(t)
	deptKey := e.keys[credit.RoleDept]

	// A department reports as itself and cannot report for another.
	body := e.recordBody(orgCode)
	body["dept"] = dept2Code
	r := e.do(req{method: "POST", path: "/api/v1/records", key: deptKey, body: body})
	if r.status != http.StatusForbidden || r.errKind(t) != "permission" {
		t.Fatalf("report for another dept: %d %s", r.status, r.body)
	}
	if !e.auditHas(credit.AuditEntry{Actor: e.names[credit.RoleDept], Action: "record.append", Outcome: "denied"}) {
		t.Error("refused report not audited")
	}
	r = e.do(req{method: "POST", path: "/api/v1/records", key: deptKey, body: e.recordBody(orgCode)})
	if r.status != http.StatusCreated {
		t.Fatalf("own report: %d %s", r.status, r.body)
	}
	m := r.json(t)
	rec := m["record"].(map[string]any)
	if rec["dept"] != deptCode || m["outcome"] != "created" {
		t.Errorf("record %v outcome %v", rec["dept"], m["outcome"])
	}
	id := rec["id"].(string)

	// Another department may neither correct nor revoke it.
	for _, p := range []string{"/corrections", "/revocations"} {
		b := map[string]any{"reason": "不是我们的记录"}
		if p == "/corrections" {
			b["fields"] = e.penaltyFields("x", "y")
		}
		r := e.do(req{method: "POST", path: "/api/v1/records/" + id + p, key: e.dept2, body: b})
		if r.status != http.StatusForbidden {
			t.Errorf("dept2 %s: %d %s", p, r.status, r.body)
		}
		if !e.auditHas(credit.AuditEntry{Actor: "t-dept2", Target: id, Outcome: "denied"}) {
			t.Errorf("dept2 %s not audited", p)
		}
	}

	// An administrator must say for which department it reports.
	r = e.do(req{method: "POST", path: "/api/v1/records", key: e.keys[credit.RoleAdmin], body: e.recordBody(orgCode)})
	if r.status != http.StatusBadRequest {
		t.Errorf("admin without dept: %d %s", r.status, r.body)
	}

	// A subject account reads only its own file.
	r = e.do(req{method: "GET", path: "/api/v1/subjects/" + e.person.ID + "/records", key: e.keys[credit.RoleSubject]})
	if r.status != http.StatusForbidden {
		t.Errorf("subject reading another file: %d %s", r.status, r.body)
	}
	if !e.auditHas(credit.AuditEntry{Actor: e.names[credit.RoleSubject], Target: e.person.ID, Outcome: "denied"}) {
		t.Error("subject's refused read not audited")
	}
	r = e.do(req{method: "GET", path: "/api/v1/subjects/" + orgCode + "/records", key: e.keys[credit.RoleSubject]})
	if r.status != http.StatusOK {
		t.Errorf("subject reading its own file: %d %s", r.status, r.body)
	}
}

func TestUnknownItemRefused(t *testing.T) {
	e := newEnv(t)
	body := e.recordBody(orgCode)
	body["item"] = "lucky_draw_winners"
	r := e.do(req{method: "POST", path: "/api/v1/records", key: e.keys[credit.RoleDept], body: body})
	if r.status != http.StatusBadRequest || r.errKind(t) != "invalid" {
		t.Fatalf("unknown item: %d %s", r.status, r.body)
	}
	if msg := r.errMessage(t); !strings.Contains(msg, "lucky_draw_winners") {
		t.Errorf("message does not name the item: %q", msg)
	}
	// The catalogue item route answers 404 with the catalogue's message.
	r = e.get("/api/v1/catalog/items/lucky_draw_winners")
	if r.status != http.StatusNotFound || !strings.Contains(r.errMessage(t), "lucky_draw_winners") {
		t.Errorf("unknown catalogue item: %d %s", r.status, r.body)
	}
	// A field that is not in the item is refused too.
	body = e.recordBody(orgCode)
	body["fields"].(credit.Fields)["horoscope"] = "双鱼座"
	r = e.do(req{method: "POST", path: "/api/v1/records", key: e.keys[credit.RoleDept], body: body})
	if r.status != http.StatusBadRequest || !strings.Contains(r.errMessage(t), "horoscope") {
		t.Errorf("unknown field: %d %s", r.status, r.body)
	}
}

func TestCorrectionRevocationChain(t *testing.T) {
	e := newEnv(t)
	deptKey := e.keys[credit.RoleDept]
	id := e.appendRecord(deptKey)

	r := e.do(req{method: "POST", path: "/api/v1/records/" + id + "/corrections", key: deptKey,
		body: map[string]any{"fields": e.penaltyFields("榕市监罚〔2026〕99号", "罚款人民币3万元")}})
	if r.status != http.StatusBadRequest {
		t.Errorf("correction without reason: %d %s", r.status, r.body)
	}
	r = e.do(req{method: "POST", path: "/api/v1/records/" + id + "/corrections", key: deptKey,
		body: map[string]any{"reason": "金额录入错误", "fields": e.penaltyFields("榕市监罚〔2026〕99号", "罚款人民币3万元")}})
	if r.status != http.StatusCreated {
		t.Fatalf("correction: %d %s", r.status, r.body)
	}
	corr := r.json(t)["record"].(map[string]any)
	if corr["fact"] != "correction" || corr["supersedes"] != id {
		t.Errorf("correction record %v", corr)
	}
	r = e.do(req{method: "POST", path: "/api/v1/records/" + corr["id"].(string) + "/revocations", key: deptKey,
		body: map[string]any{"reason": "行政复议撤销原处罚决定"}})
	if r.status != http.StatusCreated {
		t.Fatalf("revocation: %d %s", r.status, r.body)
	}

	r = e.do(req{method: "GET", path: "/api/v1/subjects/" + orgCode + "/records", key: e.keys[credit.RoleReviewer], purpose: "信用修复审核"})
	if r.status != http.StatusOK {
		t.Fatalf("records: %d %s", r.status, r.body)
	}
	states := r.json(t)["records"].([]any)
	var found bool
	for _, s := range states {
		st := s.(map[string]any)
		if st["origin"] != id {
			continue
		}
		found = true
		hist := st["history"].([]any)
		var facts []string
		for _, h := range hist {
			facts = append(facts, h.(map[string]any)["fact"].(string))
		}
		if strings.Join(facts, ",") != "original,correction,revocation" {
			t.Errorf("history %v", facts)
		}
		if st["revoked"] != true {
			t.Error("chain not revoked")
		}
		cur := st["current"].(map[string]any)
		if cur["fields"].(map[string]any)["cf_nr"] != "罚款人民币3万元" {
			t.Errorf("current content %v", cur["fields"])
		}
	}
	if !found {
		t.Fatalf("chain %s not in the file: %s", id, r.body)
	}
	if !e.auditHas(credit.AuditEntry{Actor: e.names[credit.RoleReviewer], Target: orgCode, Action: "subject.records.read", Purpose: "信用修复审核", Outcome: "ok"}) {
		t.Error("records read not audited with its purpose")
	}
}

func TestIdentityRead(t *testing.T) {
	e := newEnv(t)
	path := "/api/v1/subjects/" + e.person.ID + "/identity"
	rev := e.keys[credit.RoleReviewer]

	r := e.do(req{method: "GET", path: path, key: rev})
	if r.status != http.StatusBadRequest || !strings.Contains(r.errMessage(t), "purpose") {
		t.Fatalf("without purpose: %d %s", r.status, r.body)
	}
	if !e.auditHas(credit.AuditEntry{Actor: e.names[credit.RoleReviewer], Target: path, Outcome: "denied"}) {
		t.Error("read without purpose not audited as denied")
	}
	if containsAny(r.body, personID) {
		t.Error("refused read leaked the ID number")
	}

	r = e.do(req{method: "GET", path: path, key: rev, purpose: "异议核查"})
	if r.status != http.StatusOK {
		t.Fatalf("with purpose: %d %s", r.status, r.body)
	}
	if got := r.json(t)["id_number"]; got != personID {
		t.Errorf("id_number = %v", got)
	}
	if !e.auditHas(credit.AuditEntry{Actor: e.names[credit.RoleReviewer], Target: e.person.ID, Action: "subject.identity.read", Purpose: "异议核查", Outcome: "ok"}) {
		t.Error("identity read not audited with its purpose")
	}
	// The purpose may also come as a query parameter.
	r = e.do(req{method: "GET", path: path + "?purpose=%E6%A0%B8%E6%9F%A5", key: rev})
	if r.status != http.StatusOK {
		t.Errorf("purpose in query: %d %s", r.status, r.body)
	}
	// An organisation has no identity number.
	r = e.do(req{method: "GET", path: "/api/v1/subjects/" + orgCode + "/identity", key: rev, purpose: "核查"})
	if r.status != http.StatusNotFound {
		t.Errorf("organisation identity: %d %s", r.status, r.body)
	}
}

func TestLoginAndSession(t *testing.T) {
	e := newEnv(t)
	r := e.do(req{method: "POST", path: "/api/v1/sessions", body: map[string]any{"name": "t-admin", "password": "wrong password!"}})
	if r.status != http.StatusUnauthorized || r.errKind(t) != "unauthenticated" {
		t.Fatalf("wrong password: %d %s", r.status, r.body)
	}
	if !e.auditHas(credit.AuditEntry{Target: "account:t-admin", Action: "session.create", Outcome: "denied"}) {
		t.Error("failed login not audited")
	}
	r = e.do(req{method: "POST", path: "/api/v1/sessions", body: map[string]any{"name": "t-admin", "password": password}})
	if r.status != http.StatusCreated {
		t.Fatalf("login: %d %s", r.status, r.body)
	}
	var sess *http.Cookie
	for _, c := range (&http.Response{Header: r.header}).Cookies() {
		if c.Name == "xy_session" {
			sess = c
		}
	}
	if sess == nil || !sess.HttpOnly || sess.SameSite != http.SameSiteLaxMode || sess.MaxAge != 12*3600 {
		t.Fatalf("session cookie %+v", sess)
	}
	if !e.auditHas(credit.AuditEntry{Actor: "t-admin", Action: "session.create", Outcome: "ok"}) {
		t.Error("login not audited")
	}
	cookie := []*http.Cookie{{Name: sess.Name, Value: sess.Value}}
	r = e.do(req{method: "GET", path: "/api/v1/me", cookies: cookie})
	if r.status != http.StatusOK || r.json(t)["account"].(map[string]any)["name"] != "t-admin" {
		t.Fatalf("me: %d %s", r.status, r.body)
	}
	if strings.Contains(string(r.body), "argon2") {
		t.Error("password hash leaked")
	}
	// JSON API requests must be application/json, which a cross-site form
	// cannot send.
	r = e.do(req{method: "POST", path: "/api/v1/sessions", header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}})
	if r.status != http.StatusBadRequest {
		t.Errorf("form-encoded login: %d", r.status)
	}
	// A browser signs out from a page of this site, and says so (Origin).
	r = e.do(req{method: "DELETE", path: "/api/v1/sessions", cookies: cookie, header: map[string]string{"Origin": e.srv.URL}})
	if r.status != http.StatusNoContent {
		t.Fatalf("logout: %d %s", r.status, r.body)
	}
	r = e.do(req{method: "GET", path: "/api/v1/me", cookies: cookie})
	if r.status != http.StatusUnauthorized {
		t.Errorf("me after logout: %d", r.status)
	}
	// A bad key is refused even on a public route.
	r = e.do(req{method: "GET", path: "/api/v1/catalog", key: "xy_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"})
	if r.status != http.StatusUnauthorized {
		t.Errorf("bad key on public route: %d", r.status)
	}
}

// TestLoginLockout: after five wrong passwords for an account, the API
// and the portal (one guard for both) refuse even the right password with
// 429 and Retry-After, and the refusals are audited.
func TestLoginLockout(t *testing.T) {
	e := newEnv(t)
	for i := 0; i < 5; i++ {
		r := e.do(req{method: "POST", path: "/api/v1/sessions", body: map[string]any{"name": "t-admin", "password": "guess " + strconv.Itoa(i)}})
		if r.status != http.StatusUnauthorized {
			t.Fatalf("guess %d: %d %s", i, r.status, r.body)
		}
	}
	r := e.do(req{method: "POST", path: "/api/v1/sessions", body: map[string]any{"name": "t-admin", "password": password}})
	if r.status != http.StatusTooManyRequests || r.errKind(t) != "rate_limited" {
		t.Fatalf("API login while locked out: %d %s", r.status, r.body)
	}
	if secs, err := strconv.Atoi(r.header.Get("Retry-After")); err != nil || secs < 60 || secs > 15*60 {
		t.Errorf("Retry-After %q", r.header.Get("Retry-After"))
	}
	token, jar := e.formToken("/login", nil)
	r = e.postForm("/login", url.Values{"name": {"t-admin"}, "password": {password}, "csrf": {token}}, jar)
	if r.status != http.StatusTooManyRequests || !strings.Contains(string(r.body), "登录失败次数过多") || r.header.Get("Retry-After") == "" {
		t.Fatalf("portal login while locked out: %d %s", r.status, r.body)
	}
	if len(r.header.Values("Set-Cookie")) != 0 {
		t.Error("a session cookie was set while locked out")
	}
	if !e.auditHas(credit.AuditEntry{Target: "account:t-admin", Action: "session.create", Outcome: "denied"}) {
		t.Error("refused login not audited")
	}
	// Other accounts are not held back.
	r = e.do(req{method: "POST", path: "/api/v1/sessions", body: map[string]any{"name": e.names[credit.RoleReviewer], "password": password}})
	if r.status != http.StatusCreated {
		t.Fatalf("another account: %d %s", r.status, r.body)
	}
}

// TestLoginBehindProxy: behind a trusted reverse proxy the per-address
// login limit counts each client (as X-Forwarded-For names it), not the
// proxy, so one client's guessing does not lock out everyone else, and
// the audit trail records the client's address.
func TestLoginBehindProxy(t *testing.T) {
	for _, behind := range []bool{true, false} {
		t.Run(map[bool]string{true: "trusted proxy", false: "no proxy configured"}[behind], func(t *testing.T) {
			e := newEnvWith(t, func(d *server.Deps) {
				d.LoginGuard = &auth.LoginGuard{MaxPerClient: 3, MaxPerAccount: 100}
				if behind {
					d.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
				}
			})
			login := func(client, name, pw string) resp {
				return e.do(req{method: "POST", path: "/api/v1/sessions", body: map[string]any{"name": name, "password": pw},
					header: map[string]string{"X-Forwarded-For": client}})
			}
			const guesser, other = "198.51.100.7", "198.51.100.8"
			for i := 0; i < 3; i++ {
				if r := login(guesser, "t-admin", "guess "+strconv.Itoa(i)); r.status != http.StatusUnauthorized {
					t.Fatalf("guess %d: %d %s", i, r.status, r.body)
				}
			}
			if r := login(guesser, e.names[credit.RoleReviewer], password); r.status != http.StatusTooManyRequests {
				t.Fatalf("the guesser's next login: %d %s, want 429", r.status, r.body)
			}
			r := login(other, e.names[credit.RoleReviewer], password)
			if behind && r.status != http.StatusCreated {
				t.Fatalf("another client behind the proxy: %d %s, want 201", r.status, r.body)
			}
			if !behind && r.status != http.StatusTooManyRequests {
				t.Fatalf("without a trusted proxy every request is from 127.0.0.1: %d %s, want 429", r.status, r.body)
			}
			es, err := e.st.Audit(t.Context(), credit.AuditFilter{Target: "account:t-admin", Limit: 100})
			if err != nil || len(es) == 0 {
				t.Fatalf("audit: %v, %d entries", err, len(es))
			}
			want := "127.0.0.1"
			if behind {
				want = guesser
			}
			for _, a := range es {
				if a.Remote != want {
					t.Errorf("audit entry %s %s from %q, want %q", a.Action, a.Outcome, a.Remote, want)
				}
			}
		})
	}
}

func TestDefaultDenyAndErrors(t *testing.T) {
	e := newEnv(t)
	r := e.get("/api/v1/secrets")
	if r.status != http.StatusNotFound || r.errKind(t) != "not_found" {
		t.Errorf("unknown path: %d %s", r.status, r.body)
	}
	r = e.do(req{method: "PUT", path: "/api/v1/me", key: e.keys[credit.RoleAdmin]})
	if r.status != http.StatusMethodNotAllowed || !strings.Contains(r.header.Get("Allow"), "GET") {
		t.Errorf("wrong method: %d %v %s", r.status, r.header, r.body)
	}
	if r.errKind(t) == "" {
		t.Error("405 is not a JSON error")
	}
	r = e.get("/api/v1/records")
	if r.status != http.StatusMethodNotAllowed {
		t.Errorf("GET on POST-only path: %d", r.status)
	}
	r = e.do(req{method: "POST", path: "/api/v1/accounts", key: e.keys[credit.RoleAdmin], body: map[string]any{"name": "x", "rle": "admin"}})
	if r.status != http.StatusBadRequest || r.errKind(t) != "invalid" {
		t.Errorf("unknown JSON field: %d %s", r.status, r.body)
	}
	r = e.do(req{method: "POST", path: "/api/v1/accounts", key: e.keys[credit.RoleAdmin], body: map[string]any{"name": "t-admin", "role": "admin", "password": password}})
	if r.status != http.StatusConflict || r.errKind(t) != "exists" {
		t.Errorf("duplicate account: %d %s", r.status, r.body)
	}
	r = e.get("/api/v1/subjects")
	if r.status != http.StatusBadRequest {
		t.Errorf("search without q: %d", r.status)
	}
	r = e.get("/api/v1/codes/91350100M000100Y4Z")
	if r.status != http.StatusOK || r.json(t)["status"] != "invalid" {
		t.Errorf("invalid code check: %d %s", r.status, r.body)
	}
	r = e.get("/api/v1/codes/" + orgCode)
	if m := r.json(t); m["status"] != "valid" || m["region"] != "350100" {
		t.Errorf("valid code check: %s", r.body)
	}
	// Errors carry the request ID header for support.
	if r.header.Get("X-Request-ID") == "" {
		t.Error("no request ID")
	}
}

func TestCreateAccountAndKey(t *testing.T) {
	e := newEnv(t)
	admin := e.keys[credit.RoleAdmin]
	r := e.do(req{method: "POST", path: "/api/v1/accounts", key: admin,
		body: map[string]any{"name": "bank-1", "role": "institution", "display": "某银行", "password": password}})
	if r.status != http.StatusCreated {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	r = e.do(req{method: "POST", path: "/api/v1/accounts", key: admin,
		body: map[string]any{"name": "d-1", "role": "dept", "password": password}})
	if r.status != http.StatusBadRequest {
		t.Errorf("dept without dept code: %d %s", r.status, r.body)
	}
	r = e.do(req{method: "POST", path: "/api/v1/accounts/bank-1/keys", key: admin})
	if r.status != http.StatusCreated {
		t.Fatalf("key: %d %s", r.status, r.body)
	}
	secret, _ := r.json(t)["secret"].(string)
	if !strings.HasPrefix(secret, "xy_") || len(secret) != 35 {
		t.Fatalf("secret %q", secret)
	}
	r = e.do(req{method: "GET", path: "/api/v1/me", key: secret})
	if r.status != http.StatusOK || r.json(t)["role"] != "institution" {
		t.Errorf("me with new key: %d %s", r.status, r.body)
	}
	r = e.do(req{method: "POST", path: "/api/v1/accounts/nobody/keys", key: admin})
	if r.status != http.StatusNotFound {
		t.Errorf("key for unknown account: %d", r.status)
	}
	// The audit log shows the decisions, and reading it is itself audited.
	r = e.do(req{method: "GET", path: "/api/v1/audit?actor=t-admin&limit=50", key: e.keys[credit.RoleAuditor]})
	if r.status != http.StatusOK {
		t.Fatalf("audit: %d %s", r.status, r.body)
	}
	var actions []string
	for _, x := range r.json(t)["entries"].([]any) {
		actions = append(actions, x.(map[string]any)["action"].(string))
	}
	if !slices.Contains(actions, "account.create") || !slices.Contains(actions, "account.key.create") {
		t.Errorf("audit actions %v", actions)
	}
	if !e.auditHas(credit.AuditEntry{Actor: e.names[credit.RoleAuditor], Action: "audit.read", Outcome: "ok"}) {
		t.Error("audit read not audited")
	}
}

// measuresVersion is a new version of the measure list: the one in force
// with a version of its own.
func (e *env) measuresVersion() []byte {
	v := "2026." + strconv.Itoa(e.unique())
	return []byte(strings.Replace(string(e.cat.Raw("measures.json")), `"version": "2024.1"`, `"version": "`+v+`"`, 1))
}
