package server_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xinyong/xinyong/internal/api"
	"github.com/xinyong/xinyong/internal/app"
	"github.com/xinyong/xinyong/internal/apptest"
	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/records"
	"github.com/xinyong/xinyong/internal/sanction"
	"github.com/xinyong/xinyong/internal/server"
	"github.com/xinyong/xinyong/internal/uscc"
)

// sanctionEnv is a node with the hit check running, a movable clock and
// one account per party of 联合奖惩.
type sanctionEnv struct {
	t    testing.TB
	node *apptest.Env
	st   credit.Store
	srv  *httptest.Server
	keys map[string]string
	rec  string
	sanc *sanction.Service
}

func (e *sanctionEnv) clock() time.Time { return e.node.Clock.Now() }

func newSanctionEnv(t *testing.T) *sanctionEnv { return newSanctionEnvB(t) }

func newSanctionEnvB(t testing.TB) *sanctionEnv {
	t.Helper()
	ctx := t.Context()
	node := apptest.New(t, apptest.Options{})
	st, svc := node.Store, node.Records
	e := &sanctionEnv{t: t, node: node, st: st, keys: map[string]string{}, sanc: node.Sanction}
	h, err := server.New(node.Deps(app.HTTP{Version: "test"}))
	if err != nil {
		t.Fatal(err)
	}
	e.srv = httptest.NewServer(h)
	t.Cleanup(e.srv.Close)

	if _, err := svc.PutOrganisation(ctx, records.Organisation{Code: orgCode, Name: orgName, LegalRep: "张三", Status: "存续"}); err != nil {
		t.Fatal(err)
	}
	r := credit.Record{ID: credit.NewID(), SubjectID: orgCode, Item: "admin_penalty", Fact: credit.Original, Dept: "SAMR-350100",
		DocNo: "榕市监罚〔2026〕9号", DecidedOn: e.clock().AddDate(0, -1, 0), Severity: credit.SeveritySerious, Fields: seriousFields, Kind: credit.Organisation}
	if err := st.AppendRecords(ctx, []credit.Record{r}); err != nil {
		t.Fatal(err)
	}
	e.rec = r.ID
	accs := &auth.Accounts{Store: st}
	for _, a := range []struct {
		name string
		role credit.Role
		dept string
	}{
		{"admin", credit.RoleAdmin, ""}, {"reviewer", credit.RoleReviewer, ""}, {"samr", credit.RoleDept, "SAMR-350100"},
		{"tax", credit.RoleDept, "TAX-350100"}, {"procurement", credit.RoleBusiness, "FIN-350100"}, {"unscoped", credit.RoleBusiness, "FIN-350100"},
	} {
		if _, err := accs.CreateAccount(ctx, a.name, "", a.role, a.dept, "", ""); err != nil {
			t.Fatal(err)
		}
		secret, _, err := accs.NewKey(ctx, a.name)
		if err != nil {
			t.Fatal(err)
		}
		e.keys[a.name] = secret
	}
	return e
}

// pageAs reads a console page as account who, with its API key, and
// fails the test unless it answers status.
func (e *sanctionEnv) pageAs(who, path string, status int) string {
	e.t.Helper()
	req, _ := http.NewRequest("GET", e.srv.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+e.keys[who])
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != status {
		e.t.Fatalf("%s as %s: status %d, want %d", path, who, res.StatusCode, status)
	}
	return string(body)
}

// publicGet reads a page or API answer as the public, without an account.
func (e *sanctionEnv) publicGet(path string) string {
	e.t.Helper()
	resp, err := http.Get(e.srv.URL + path)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		e.t.Fatalf("GET %s: %d %s", path, resp.StatusCode, b)
	}
	return string(b)
}

// call sends a JSON request as account who and decodes the answer.
func (e *sanctionEnv) call(who, method, path string, body any, wantStatus int) map[string]any {
	e.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, e.srv.URL+path, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if who != "" {
		req.Header.Set("Authorization", "Bearer "+e.keys[who])
	}
	req.Header.Set("X-Purpose", "test")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	if res.StatusCode != wantStatus {
		e.t.Fatalf("%s %s as %s: status %d, want %d: %s", method, path, who, res.StatusCode, wantStatus, raw)
	}
	var out map[string]any
	_ = json.Unmarshal(raw, &out)
	out["_raw"] = string(raw)
	return out
}

func TestSanctionHTTP(t *testing.T) {
	e := newSanctionEnv(t)
	base := "/api/v1/lists/samr_serious_illegal/entries"

	// Proposal: refused outside the deciding unit, accepted from it.
	prop := map[string]any{"subject_id": orgCode, "basis_records": []string{e.rec}, "grounds": "提供虚假材料",
		"persons": []map[string]string{{"role": "法定代表人", "name": "张三", "id_no": personID}}}
	e.call("tax", "POST", base, prop, http.StatusForbidden)
	e.call("procurement", "POST", base, prop, http.StatusForbidden)
	out := e.call("samr", "POST", base, prop, http.StatusCreated)
	id := out["id"].(string)
	if strings.Contains(out["_raw"].(string), "id_hash") || strings.Contains(out["_raw"].(string), "19491231") {
		t.Fatalf("entry view leaks the ID number or its hash: %s", out["_raw"])
	}
	e.call("samr", "POST", base+"/"+id+"/decision", map[string]any{"doc_no": "d1"}, http.StatusConflict)
	e.call("samr", "POST", base+"/"+id+"/notice", map[string]any{"doc_no": "告1"}, http.StatusOK)
	e.call("samr", "POST", base+"/"+id+"/decision", map[string]any{"doc_no": "d1"}, http.StatusConflict)
	e.node.Clock.Set(e.clock().Add(15 * 24 * time.Hour))
	if strings.Contains(e.publicGet("/api/v1/lists/black"), orgName) {
		t.Fatal("a noticed, undecided entry is on the public black list")
	}
	out = e.call("samr", "POST", base+"/"+id+"/decision", map[string]any{"doc_no": "榕市监严〔2026〕2号"}, http.StatusOK)
	if out["state"] != "decided" {
		t.Fatalf("decision: %v", out["_raw"])
	}
	// The decided entry is published on the black list, in the API and
	// on the portal page, naming its list.
	if got := e.publicGet("/api/v1/lists/black"); !strings.Contains(got, orgName) || !strings.Contains(got, `"item": "samr_serious_illegal"`) {
		t.Fatalf("decided entry not on the public black list: %s", got)
	}
	if got := e.publicGet("/lists/black"); !strings.Contains(got, orgName) || !strings.Contains(got, "市场监督管理严重违法失信名单") {
		t.Fatalf("decided entry not on the portal's black list page")
	}
	e.call("samr", "POST", "/api/v1/lists/tax_major_dishonest/entries/"+id+"/removal", map[string]any{"reason": "revocation"}, http.StatusNotFound)
	list := e.call("reviewer", "GET", base, nil, http.StatusOK)
	if n := len(list["entries"].([]any)); n != 1 {
		t.Fatalf("entries: %d", n)
	}

	// Scoping of the hit check.
	check := map[string]any{"matter": "gov_procurement", "subjects": []map[string]string{{"code": orgCode}, {"name": orgName}}}
	e.call("unscoped", "POST", "/api/v1/checks", check, http.StatusForbidden)
	e.call("reviewer", "POST", "/api/v1/checks", check, http.StatusForbidden)
	e.call("procurement", "PUT", "/api/v1/accounts/procurement/matters", map[string]any{"matters": []string{"gov_procurement"}}, http.StatusForbidden)
	e.call("admin", "PUT", "/api/v1/accounts/procurement/matters", map[string]any{"matters": []string{"nope"}}, http.StatusBadRequest)
	e.call("admin", "PUT", "/api/v1/accounts/samr/matters", map[string]any{"matters": []string{"bidding"}}, http.StatusBadRequest)
	e.call("admin", "PUT", "/api/v1/accounts/procurement/matters", map[string]any{"matters": []string{"gov_procurement", "bidding"}}, http.StatusOK)
	e.call("procurement", "POST", "/api/v1/checks", map[string]any{"matter": "bond_issue", "subjects": []map[string]string{{"code": orgCode}}}, http.StatusForbidden)

	out = e.call("procurement", "POST", "/api/v1/checks", check, http.StatusOK)
	var resp sanction.Response
	if err := json.Unmarshal([]byte(out["_raw"].(string)), &resp); err != nil {
		t.Fatal(err)
	}
	if resp.DataVersion == 0 || !resp.Results[0].Listed || len(resp.Results[0].Measures) != 2 || resp.Results[1].Listed ||
		len(resp.Results[1].Candidates) != 1 || resp.Results[1].Candidates[0].Score != 1 {
		t.Fatalf("check response: %s", out["_raw"])
	}

	// Feedback.
	fb := func(measure, outcome, reason string) map[string]any {
		return map[string]any{"items": []map[string]any{{"subject_id": orgCode, "measure": measure, "outcome": outcome, "reason": reason, "amount": "50"}}}
	}
	path := "/api/v1/checks/" + resp.CheckID + "/feedback"
	e.call("procurement", "POST", path, fb("restrict_bond_issue", "已惩戒", ""), http.StatusBadRequest)
	e.call("procurement", "POST", path, fb("restrict_gov_procurement", "未采纳", ""), http.StatusBadRequest)
	e.call("procurement", "POST", path, fb("restrict_gov_procurement", "已惩戒", ""), http.StatusCreated)
	e.call("procurement", "POST", path, fb("restrict_gov_procurement", "已惩戒", ""), http.StatusConflict)
	e.call("procurement", "POST", "/api/v1/checks/"+credit.NewID()+"/feedback", fb("restrict_gov_procurement", "已惩戒", ""), http.StatusNotFound)
	got := e.call("procurement", "GET", "/api/v1/checks/"+resp.CheckID, nil, http.StatusOK)
	if len(got["feedback"].([]any)) != 1 {
		t.Fatalf("check read: %s", got["_raw"])
	}
	stats := e.call("reviewer", "GET", "/api/v1/checks/stats?matter=gov_procurement", nil, http.StatusOK)
	rows := stats["stats"].([]any)
	if len(rows) != 2 {
		t.Fatalf("stats: %s", stats["_raw"])
	}
	e.call("procurement", "GET", "/api/v1/checks/stats?dept=TAX-350100", nil, http.StatusForbidden)

	// Not this subject.
	e.call("procurement", "POST", "/api/v1/name-decisions", map[string]any{"name": orgName, "subject_id": orgCode, "reason": "代码不同"}, http.StatusForbidden)
	e.call("reviewer", "POST", "/api/v1/name-decisions", map[string]any{"name": orgName, "subject_id": orgCode, "reason": "代码不同"}, http.StatusCreated)
	out = e.call("procurement", "POST", "/api/v1/checks", check, http.StatusOK)
	if strings.Contains(out["_raw"].(string), "candidates") {
		t.Fatalf("ruled-out candidate still returned: %s", out["_raw"])
	}

	// Console pages.
	page := func(who, path string, status int, want ...string) {
		t.Helper()
		body := e.pageAs(who, path, status)
		for _, w := range want {
			if !strings.Contains(body, w) {
				t.Fatalf("%s as %s lacks %q", path, who, w)
			}
		}
		if strings.Contains(body, "19491231") {
			t.Fatalf("%s shows a clear ID number", path)
		}
	}
	page("reviewer", "/console/lists?list=samr_serious_illegal", http.StatusOK, "<svg", "已列入", "榕市监严〔2026〕2号", "法定代表人 张三", "市场监督管理严重违法失信名单")
	page("reviewer", "/console/lists?list=samr_serious_illegal&lang=en", http.StatusOK, "List decisions", "listed")
	page("reviewer", "/console/checks", http.StatusOK, "<svg", "限制作为供应商参加政府采购活动", "50%")
	page("procurement", "/console/checks", http.StatusOK, "<svg", "福州市财政局")
	page("tax", "/console/checks", http.StatusForbidden)
	page("procurement", "/console/lists", http.StatusForbidden)
}

// sanctionFixture is what the role matrix needs for the 联合奖惩 routes: a
// subject listed on the market regulator's serious-violation list, an
// entry to read, and a check of the business account that returned a
// measure.
type sanctionFixture struct {
	listed, entry, checkID string
}

// seriousFields classify a penalty as 严重 (a licence revoked): severity
// is read from the fields, never from a stored copy.
var seriousFields = credit.Fields{"cf_cflb": "吊销许可证", "cf_xdr_lb": "法人及非法人组织"}

var matrixAdmin = sanction.Actor{Name: "t-admin", Role: credit.RoleAdmin}

// matrixActor is who makes the entries a role's scenario acts on.
func matrixActor(role credit.Role) sanction.Actor {
	if role == credit.RoleDept {
		return sanction.Actor{Name: "t-dept", Role: credit.RoleDept, Dept: deptCode}
	}
	return matrixAdmin
}

// matrixList is the list the role matrix decides on: one the platform
// decides, with notice.
const matrixList = "samr_serious_illegal"

// freshOrg registers a new organisation with a serious penalty (a licence
// revoked) reported by the market regulator, and returns its code and the
// record's ID.
func (e *env) freshOrg() (string, string) {
	e.t.Helper()
	ctx := e.t.Context()
	code := uscc.NewGenerator(int64(1000+e.unique())).USCC('9', '1', "350100")
	name := "福州矩阵" + strconv.Itoa(e.unique()) + "有限公司"
	if _, err := e.svc.PutOrganisation(ctx, records.Organisation{Code: code, Name: name}); err != nil {
		e.t.Fatal(err)
	}
	f := e.penaltyFields("榕市监罚〔2026〕m"+strconv.Itoa(e.unique())+"号", "吊销营业执照")
	f["cf_xdr_mc"], f["cf_xdr_shxym"], f["cf_cflb"] = name, code, "吊销许可证件"
	r, _, err := e.svc.Append(ctx, records.Report{Item: "admin_penalty", Dept: deptCode, SubjectID: code, Fields: f})
	if err != nil {
		e.t.Fatal(err)
	}
	return code, r.ID
}

// proposed returns a fresh proposed entry on the matrix list.
// proposed returns a fresh proposed entry. It belongs to the unit that
// proposed it: a department's for role dept (the matrix's department then
// acts on its own entry), the platform's otherwise.
func (e *env) proposed(role credit.Role) *sanction.Entry {
	e.t.Helper()
	code, rec := e.freshOrg()
	en, err := e.sanc.Propose(e.t.Context(), matrixActor(role), sanction.Proposal{List: matrixList, SubjectID: code, BasisRecords: []string{rec}, Grounds: "提供虚假材料取得许可"})
	if err != nil {
		e.t.Fatal(err)
	}
	return en
}

// noticed returns a fresh entry whose subject was given notice a month
// ago: its objection period is over, so it can be decided now.
func (e *env) noticed(role credit.Role) *sanction.Entry {
	e.t.Helper()
	now := e.clock.Now()
	e.clock.Set(now.AddDate(0, -1, 0))
	defer e.clock.Set(now)
	en := e.proposed(role)
	en, err := e.sanc.Notice(e.t.Context(), matrixActor(role), en.ID, sanction.NoticeInput{DocNo: "榕市监告〔2026〕" + strconv.Itoa(e.unique()) + "号"})
	if err != nil {
		e.t.Fatal(err)
	}
	return en
}

func (e *env) sanctionSetup() *sanctionFixture {
	e.t.Helper()
	if e.sfx != nil {
		return e.sfx
	}
	ctx := e.t.Context()
	acc, err := e.st.Account(ctx, e.names[credit.RoleBusiness])
	if err != nil {
		e.t.Fatal(err)
	}
	if err := e.sanc.SetMatters(ctx, acc, []string{"gov_procurement"}); err != nil {
		e.t.Fatal(err)
	}
	en := e.noticed(credit.RoleAdmin)
	if en, err = e.sanc.Decide(ctx, matrixAdmin, en.ID, sanction.DecisionInput{DocNo: "榕市监严〔2026〕1号"}); err != nil {
		e.t.Fatal(err)
	}
	resp, err := e.sanc.Check(ctx, sanction.Caller{Name: acc.Name, Dept: bizDept, Matters: []string{"gov_procurement"}},
		sanction.Request{Matter: "gov_procurement", Subjects: []sanction.Query{{Code: en.SubjectID}}})
	if err != nil || len(resp.Results[0].Measures) == 0 {
		e.t.Fatalf("fixture check: %+v, %v", resp, err)
	}
	e.sfx = &sanctionFixture{listed: en.SubjectID, entry: en.ID, checkID: resp.CheckID}
	return e.sfx
}

// sanctionScenario fills in the role matrix's request for a 联合奖惩 route.
func (e *env) sanctionScenario(rt api.Route, role credit.Role, q *req, path string) string {
	if !strings.HasPrefix(rt.Path, "/api/v1/lists/") && !strings.HasPrefix(rt.Path, "/api/v1/checks") &&
		rt.Path != "/api/v1/name-decisions" && rt.Path != "/api/v1/accounts/{name}/matters" {
		return path
	}
	fx := e.sanctionSetup()
	path = strings.Replace(path, "{list}", matrixList, 1)
	switch rt.Path {
	case "/api/v1/lists/{list}/entries":
		if rt.Method == "POST" {
			code, rec := e.freshOrg()
			q.body = map[string]any{"subject_id": code, "basis_records": []string{rec}, "grounds": "提供虚假材料取得许可"}
		}
	case "/api/v1/lists/{list}/entries/{id}":
		path = strings.Replace(path, "{id}", fx.entry, 1)
	case "/api/v1/lists/{list}/entries/{id}/notice":
		path = strings.Replace(path, "{id}", e.proposed(role).ID, 1)
		q.body = map[string]any{"doc_no": "告" + strconv.Itoa(e.unique())}
	case "/api/v1/lists/{list}/entries/{id}/decision":
		path = strings.Replace(path, "{id}", e.noticed(role).ID, 1)
		q.body = map[string]any{"doc_no": "决" + strconv.Itoa(e.unique())}
	case "/api/v1/lists/{list}/entries/{id}/removal":
		path = strings.Replace(path, "{id}", e.proposed(role).ID, 1)
		q.body = map[string]any{"reason": "withdrawn"}
	case "/api/v1/checks":
		q.body = map[string]any{"matter": "gov_procurement", "subjects": []map[string]string{{"code": fx.listed}}}
	case "/api/v1/checks/{id}":
		path = strings.Replace(path, "{id}", fx.checkID, 1)
	case "/api/v1/checks/{id}/feedback":
		path = strings.Replace(path, "{id}", fx.checkID, 1)
		q.body = map[string]any{"items": []map[string]any{{"subject_id": fx.listed, "measure": "abnormal_consideration", "outcome": "已惩戒"}}}
	case "/api/v1/name-decisions":
		q.body = map[string]any{"name": orgName, "subject_id": orgCode, "reason": "代码不同"}
	case "/api/v1/accounts/{name}/matters":
		path = strings.Replace(path, "{name}", e.names[credit.RoleBusiness], 1)
		if rt.Method == "PUT" {
			q.body = map[string]any{"matters": []string{"gov_procurement"}}
		}
	}
	return path
}

// TestPublishedListPages pages the public black list, in the API and on
// the portal, over more reported list records than one page holds: the
// pages put together hold every record once, and the links and errors at
// the edges are right.
func TestPublishedListPages(t *testing.T) {
	e := newSanctionEnv(t)
	const n = 120
	want := map[string]bool{}
	var recs []credit.Record
	for i := range n {
		r := credit.Record{ID: credit.NewID(), SubjectID: orgCode, Item: "court_defaulter", Fact: credit.Original, Dept: "COURT-350100",
			DocNo: fmt.Sprintf("（2026）闽0102执%d号", i), DecidedOn: e.clock().AddDate(0, 0, -40), Severity: credit.SeveritySerious, Kind: credit.Organisation,
			Fields: credit.Fields{"sx_bzxr_mc": orgName, "sx_bzxr_lb": "法人及非法人组织", "sx_shxym": orgCode, "sx_fbrq": e.clock().AddDate(0, 0, -30).Format(time.DateOnly)}}
		recs = append(recs, r)
		want[r.ID] = true
	}
	if err := e.st.AppendRecords(t.Context(), recs); err != nil {
		t.Fatal(err)
	}
	// Written to the store directly: the entries follow at the sync.
	if err := e.sanc.Sync(t.Context()); err != nil {
		t.Fatal(err)
	}

	type page struct {
		Offset, Limit int
		More          bool
		Entries       []struct {
			Decision struct {
				RecordID string `json:"record_id"`
			}
		}
	}
	got := map[string]bool{}
	for off, pages := 0, 0; ; pages++ {
		var p page
		if err := json.Unmarshal([]byte(e.publicGet(fmt.Sprintf("/api/v1/lists/black?offset=%d&limit=50", off))), &p); err != nil {
			t.Fatal(err)
		}
		if p.Offset != off || p.Limit != 50 {
			t.Fatalf("page at %d: offset %d, limit %d", off, p.Offset, p.Limit)
		}
		for _, le := range p.Entries {
			if got[le.Decision.RecordID] {
				t.Fatalf("record %s on two pages", le.Decision.RecordID)
			}
			got[le.Decision.RecordID] = true
		}
		off += len(p.Entries)
		if !p.More {
			if pages != 2 || len(p.Entries) != n-100 {
				t.Errorf("last page is page %d with %d entries, want page 2 with %d", pages, len(p.Entries), n-100)
			}
			break
		}
	}
	if len(got) != n {
		t.Fatalf("pages hold %d records, want %d", len(got), n)
	}
	for id := range got {
		if !want[id] {
			t.Errorf("record %s on the list was not reported", id)
		}
	}
	wantStatus := func(path string, status int) {
		t.Helper()
		resp, err := http.Get(e.srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != status {
			t.Errorf("%s: status %d, want %d", path, resp.StatusCode, status)
		}
	}
	for _, q := range []string{"offset=-1", "limit=0", "limit=501", "offset=x", "offset=10001"} {
		wantStatus("/api/v1/lists/black?"+q, http.StatusBadRequest)
	}

	// The portal shows 50 a page, linked both ways.
	first := e.publicGet("/lists/black")
	if !strings.Contains(first, `rel="next" href="/lists/black?page=2"`) || strings.Contains(first, `rel="prev"`) {
		t.Errorf("page 1 links wrong")
	}
	last := e.publicGet("/lists/black?page=3")
	if !strings.Contains(last, `rel="prev" href="/lists/black?page=2"`) || strings.Contains(last, `rel="next"`) || !strings.Contains(last, "第 3 页") {
		t.Errorf("page 3 links wrong")
	}
	if c := strings.Count(last, `<a href="/subjects/`); c != n-100 {
		t.Errorf("page 3 shows %d entries, want %d", c, n-100)
	}
	for _, q := range []string{"page=4", "page=0", "page=x", "page=202"} {
		wantStatus("/lists/black?"+q, http.StatusNotFound)
	}
}

// TestListDecisionPages pages a list's decisions in the API and on the
// console, over more entries than one console page holds.
func TestListDecisionPages(t *testing.T) {
	e := newSanctionEnv(t)
	ctx := t.Context()
	const n = 130
	gen := uscc.NewGenerator(77)
	for i := range n {
		code := gen.USCC('9', '1', "350100")
		if err := e.st.PutSubject(ctx, &credit.Subject{ID: code, Kind: credit.Organisation, Code: code, Name: fmt.Sprintf("福州分页%d有限公司", i)}); err != nil {
			t.Fatal(err)
		}
		r := credit.Record{ID: credit.NewID(), SubjectID: code, Item: "admin_penalty", Fact: credit.Original, Dept: "SAMR-350100",
			DocNo: fmt.Sprintf("榕市监罚〔2026〕%d号", 100+i), DecidedOn: e.clock().AddDate(0, -1, 0), Severity: credit.SeveritySerious, Fields: seriousFields, Kind: credit.Organisation}
		if err := e.st.AppendRecords(ctx, []credit.Record{r}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.sanc.Propose(ctx, sanction.Actor{Name: "samr", Role: credit.RoleDept, Dept: "SAMR-350100"},
			sanction.Proposal{List: "samr_serious_illegal", SubjectID: code, BasisRecords: []string{r.ID}, Grounds: "提供虚假材料"}); err != nil {
			t.Fatal(err)
		}
	}

	base := "/api/v1/lists/samr_serious_illegal/entries"
	seen := map[string]bool{}
	for _, off := range []int{0, 50, 100} {
		out := e.call("reviewer", "GET", fmt.Sprintf("%s?offset=%d&limit=50", base, off), nil, http.StatusOK)
		es := out["entries"].([]any)
		if want := min(50, n-off); len(es) != want || out["total"].(float64) != n || out["offset"].(float64) != float64(off) {
			t.Fatalf("offset %d: %d entries, total %v, offset %v; want %d, %d, %d", off, len(es), out["total"], out["offset"], want, n, off)
		}
		for _, x := range es {
			id := x.(map[string]any)["id"].(string)
			if seen[id] {
				t.Fatalf("entry %s on two pages", id)
			}
			seen[id] = true
		}
	}
	if len(seen) != n {
		t.Fatalf("pages hold %d entries, want %d", len(seen), n)
	}
	e.call("reviewer", "GET", base+"?offset=-1", nil, http.StatusBadRequest)

	page := func(path string, status int) string { t.Helper(); return e.pageAs("reviewer", path, status) }
	first := page("/console/lists?list=samr_serious_illegal", http.StatusOK)
	if !strings.Contains(first, "共 130 条") || !strings.Contains(first, `rel="next" href="/console/lists?list=samr_serious_illegal&amp;page=2"`) || strings.Contains(first, `rel="prev"`) {
		t.Errorf("console page 1: total or links wrong")
	}
	if c := strings.Count(first, "福州分页"); c != consolePage {
		t.Errorf("console page 1 shows %d entries, want %d", c, consolePage)
	}
	second := page("/console/lists?list=samr_serious_illegal&page=2", http.StatusOK)
	if !strings.Contains(second, `rel="prev" href="/console/lists?list=samr_serious_illegal&amp;page=1"`) || strings.Contains(second, `rel="next"`) {
		t.Errorf("console page 2: links wrong")
	}
	if c := strings.Count(second, "福州分页"); c != n-consolePage {
		t.Errorf("console page 2 shows %d entries, want %d", c, n-consolePage)
	}
	page("/console/lists?list=samr_serious_illegal&page=3", http.StatusNotFound)
	page("/console/lists?page=x", http.StatusNotFound)
}

// consolePage is the console's list page size (web.consoleListPage).
const consolePage = 100
