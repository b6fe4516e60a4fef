package server_test

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xinyong/xinyong/internal/api"
	"github.com/xinyong/xinyong/internal/app"
	"github.com/xinyong/xinyong/internal/apptest"
	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/chinatime"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/exchange"
	"github.com/xinyong/xinyong/internal/records"
	"github.com/xinyong/xinyong/internal/sanction"
	"github.com/xinyong/xinyong/internal/server"
	"github.com/xinyong/xinyong/internal/testenv"
	"github.com/xinyong/xinyong/internal/workday"
)

func init() { auth.HashParams = auth.LightParams }

// Fixed test data. The organisation code is the GB 32100 standard's own
// example; the resident ID is the GB 11643 example.
const (
	orgCode    = "91350100M000100Y43"
	orgName    = "福州示例科技有限公司"
	personID   = "11010519491231002X"
	personName = "王小明"
	deptCode   = "SAMR-350100" // the dept account's department
	dept2Code  = "TAX-350100"  // another department, for scoping
	bizDept    = "FIN-350100"  // the business system's department
	password   = "correct-horse-battery"
)

// env is one platform node on a fresh SQLite file with the real catalogue.
type env struct {
	t       *testing.T
	clock   *testenv.Clock
	cal     *workday.Calendar // the node's one working-day calendar
	node    *apptest.Env
	st      credit.Store
	cat     *catalog.Catalog
	svc     *records.Service
	srv     *httptest.Server
	h       http.Handler // what srv serves, for tests that serve it otherwise
	routes  []api.Route
	keys    map[credit.Role]string // API key secret per role; public has none
	names   map[credit.Role]string // account name per role
	person  *credit.Subject
	org2    string // a second organisation, not the subject account's
	dept2   string // API key of a second department
	logBuf  *bytes.Buffer
	counter int
	sanc    *sanction.Service
	sfx     *sanctionFixture
}

func newEnv(t *testing.T) *env {
	t.Helper()
	return newEnvAt(t, testenv.DefaultNow, nil)
}

// newEnvWith is newEnv with the server's dependencies adjusted by set.
func newEnvWith(t *testing.T, set func(*server.Deps)) *env {
	t.Helper()
	return newEnvAt(t, testenv.DefaultNow, set)
}

// newEnvAt is newEnvWith with the clock starting at start, and a working-
// day calendar of its own (so that a test may add years to it).
func newEnvAt(t *testing.T, start time.Time, set func(*server.Deps)) *env {
	t.Helper()
	ctx := t.Context()
	logBuf := &bytes.Buffer{}
	logger := slog.New(slog.NewTextHandler(logBuf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	xid := testIdentity(t)
	node := apptest.New(t, apptest.Options{Start: start, Logger: logger, Exchange: app.ExchangeParts{Identity: xid}})
	deps := node.Deps(app.HTTP{Version: "test"})
	if set != nil {
		set(&deps)
	}
	h, err := server.New(deps)
	if err != nil {
		t.Fatal(err)
	}
	a, err := api.New(api.Config{Store: node.Store, Catalog: node.Catalog, Records: node.Records, Sealer: node.Sealer, Logger: logger,
		Publish: node.Publish, LoginGuard: node.LoginGuard, Workflow: node.Workflow})
	if err != nil {
		t.Fatal(err)
	}
	st, svc := node.Store, node.Records
	e := &env{t: t, node: node, clock: node.Clock, cal: node.Calendar, st: st, cat: node.Catalog, svc: svc, srv: httptest.NewServer(h), h: h,
		routes: a.Routes(), sanc: node.Sanction, keys: map[credit.Role]string{}, names: map[credit.Role]string{}, logBuf: logBuf}
	t.Cleanup(e.srv.Close)

	if _, err := svc.PutOrganisation(ctx, records.Organisation{Code: orgCode, Name: orgName, LegalRep: "张三", Status: "存续",
		RegisteredOn: time.Date(2016, 3, 1, 0, 0, 0, 0, chinatime.Location)}); err != nil {
		t.Fatal(err)
	}
	e.person, err = svc.PutPerson(ctx, personName, personID)
	if err != nil {
		t.Fatal(err)
	}
	accs := &auth.Accounts{Store: st}
	for _, role := range credit.Roles {
		if role == credit.RolePublic {
			continue
		}
		var dept, subject string
		switch role {
		case credit.RoleDept:
			dept = deptCode
		case credit.RoleBusiness:
			dept = bizDept
		case credit.RoleSubject:
			subject = orgCode
		}
		name := "t-" + string(role)
		if _, err := accs.CreateAccount(ctx, name, "", role, dept, subject, password); err != nil {
			t.Fatal(err)
		}
		secret, _, err := accs.NewKey(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		e.keys[role], e.names[role] = secret, name
	}
	if _, err := accs.CreateAccount(ctx, "t-dept2", "", credit.RoleDept, dept2Code, "", password); err != nil {
		t.Fatal(err)
	}
	e.dept2, _, err = accs.NewKey(ctx, "t-dept2")
	if err != nil {
		t.Fatal(err)
	}
	// The node's exchange identity, and a department that pulls its feed
	// with the dept account (GET /api/v1/feeds/{feed}).
	if err := st.PutExchangeNode(ctx, &xid.Node); err != nil {
		t.Fatal(err)
	}
	if err := st.PutPeer(ctx, &credit.Peer{ID: feedPeer, Name: "发展改革部门", Relation: credit.PeerDepartment, Transport: credit.TransportHTTP,
		Account: e.names[credit.RoleDept], Purposes: map[string]string{"admin_compulsion": "行政许可审查"}}); err != nil {
		t.Fatal(err)
	}
	return e
}

// feedPeer is the department whose feed the dept account reads.
const feedPeer = "ndrc-feed"

// testIdentity is an exchange identity for a test node.
func testIdentity(t *testing.T) *exchange.Identity {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &exchange.Identity{Node: credit.Node{ID: "gulou", Level: credit.LevelCounty, Region: "350102", Name: "鼓楼区公共信用信息平台", PublicKey: pub}, Key: priv}
}

// resp is a finished response with its body read.
type resp struct {
	status int
	header http.Header
	body   []byte
}

func (r resp) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("response is not a JSON object: %v\n%s", err, r.body)
	}
	return m
}

// errKind returns error.kind of an error response.
func (r resp) errKind(t *testing.T) string {
	t.Helper()
	m := r.json(t)
	e, _ := m["error"].(map[string]any)
	k, _ := e["kind"].(string)
	return k
}

func (r resp) errMessage(t *testing.T) string {
	t.Helper()
	m := r.json(t)
	e, _ := m["error"].(map[string]any)
	s, _ := e["message"].(string)
	return s
}

// req is one request; key is an API key secret ("" for anonymous).
type req struct {
	method, path string
	key          string
	purpose      string
	body         any
	raw          []byte // a non-JSON body (an uploaded file); Content-Type in header
	header       map[string]string
	cookies      []*http.Cookie
}

func (e *env) do(q req) resp {
	e.t.Helper()
	var body io.Reader
	if q.body != nil {
		b, err := json.Marshal(q.body)
		if err != nil {
			e.t.Fatal(err)
		}
		body = bytes.NewReader(b)
	}
	if q.raw != nil {
		body = bytes.NewReader(q.raw)
	}
	r, err := http.NewRequestWithContext(e.t.Context(), q.method, e.srv.URL+q.path, body)
	if err != nil {
		e.t.Fatal(err)
	}
	if q.body != nil {
		r.Header.Set("Content-Type", "application/json")
	}
	if q.key != "" {
		r.Header.Set("X-API-Key", q.key)
	}
	if q.purpose != "" {
		r.Header.Set("X-Purpose", url.PathEscape(q.purpose))
	}
	for k, v := range q.header {
		r.Header.Set(k, v)
	}
	for _, c := range q.cookies {
		r.AddCookie(c)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := client.Do(r)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return resp{status: res.StatusCode, header: res.Header, body: b}
}

// get fetches a path anonymously.
func (e *env) get(path string) resp { return e.do(req{method: "GET", path: path}) }

// unique returns a fresh suffix for names and document numbers.
func (e *env) unique() int {
	e.counter++
	return e.counter
}

// auditHas reports whether the audit log holds an entry matching all the
// non-empty fields of want.
func (e *env) auditHas(want credit.AuditEntry) bool {
	e.t.Helper()
	es, err := e.st.Audit(e.t.Context(), credit.AuditFilter{Actor: want.Actor, Target: want.Target, Limit: 1000})
	if err != nil {
		e.t.Fatal(err)
	}
	for _, x := range es {
		if (want.Action == "" || x.Action == want.Action) &&
			(want.Outcome == "" || x.Outcome == want.Outcome) &&
			(want.Purpose == "" || x.Purpose == want.Purpose) &&
			(want.Role == "" || x.Role == want.Role) &&
			(want.Subject == "" || x.Subject == want.Subject) &&
			(want.Grant == "" || x.Grant == want.Grant) &&
			(want.Basis == "" || x.Basis == want.Basis) {
			return true
		}
	}
	return false
}

// appendRecord reports a record for orgCode as the given department key and
// returns its ID.
func (e *env) appendRecord(key string) string {
	e.t.Helper()
	r := e.do(req{method: "POST", path: "/api/v1/records", key: key, body: e.recordBody(orgCode)})
	if r.status != http.StatusCreated {
		e.t.Fatalf("append record: %d %s", r.status, r.body)
	}
	rec, _ := r.json(e.t)["record"].(map[string]any)
	id, _ := rec["id"].(string)
	if id == "" {
		e.t.Fatalf("no record id in %s", r.body)
	}
	return id
}

// containsAny reports whether b contains s in any common encoding.
func containsAny(b []byte, s string) bool {
	return bytes.Contains(b, []byte(s)) || bytes.Contains(b, []byte(url.QueryEscape(s))) ||
		bytes.Contains(bytes.ToLower(b), []byte(strings.ToLower(s)))
}

// authorityCode is a valid code for the deciding authority.
const authorityCode = "11350100570485441B"

// penaltyFields are valid admin_penalty fields for the organisation.
func (e *env) penaltyFields(docNo, content string) credit.Fields {
	return credit.Fields{
		"cf_xdr_mc":    orgName,
		"cf_xdr_lb":    "法人及非法人组织",
		"cf_xdr_shxym": orgCode,
		"cf_frdb":      "张三",
		"cf_wsh":       docNo,
		"cf_wfxw":      "虚假宣传",
		"cf_sy":        "发布虚假广告",
		"cf_yj":        "《中华人民共和国广告法》第五十五条",
		"cf_cflb":      "罚款",
		"cf_nr":        content,
		"cf_jdrq":      e.clock.Date(-10),
		"cf_cfjg":      "福州市市场监督管理局",
		"cf_cfjgdm":    authorityCode,
		"cf_sjly":      "福州市市场监督管理局",
		"cf_sjlydm":    authorityCode,
	}
}

// recordBody is a POST /api/v1/records body with a fresh document number.
func (e *env) recordBody(subject string) map[string]any {
	n := e.unique()
	return map[string]any{
		"item":       "admin_penalty",
		"subject_id": subject,
		"fields":     e.penaltyFields("榕市监罚〔2026〕"+strconv.Itoa(n)+"号", "罚款人民币1万元"),
	}
}
