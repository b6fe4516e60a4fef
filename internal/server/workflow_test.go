package server_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/xinyong/xinyong/internal/api"
	"github.com/xinyong/xinyong/internal/chinatime"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/records"
	"github.com/xinyong/xinyong/internal/uscc"
)

// pdf is a minimal PDF file.
var pdf = []byte("%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n")

// oldPenalty reports, as department samr, a 一般 penalty for orgCode decided
// thirteen months ago: a 20万元 fine is 一般 under market regulation's rules
// (1 to 3 years), past its minimum, so it can be repaired.
func (e *env) oldPenalty() string {
	e.t.Helper()
	f := e.penaltyFields(fmt.Sprintf("榕市监罚〔2026〕r%d号", e.unique()), "罚款人民币20万元")
	f["cf_nr_fk"] = "20"
	f["cf_jdrq"] = chinatime.Format(e.clock.Now().AddDate(0, -13, 0))
	r, _, err := e.svc.Append(e.t.Context(), records.Report{Item: "admin_penalty", Dept: deptCode, SubjectID: orgCode, Fields: f})
	if err != nil {
		e.t.Fatal(err)
	}
	return r.ID
}

// fileCase files an objection (or a repair) for orgCode as the subject and
// returns the case ID and tracking code.
func (e *env) fileCase(repair bool) (string, string) {
	e.t.Helper()
	path, body := "/api/v1/objections", map[string]any{"subject_id": orgCode, "record_id": e.appendRecord(e.keys[credit.RoleDept]), "reasons": "金额有误"}
	if repair {
		path, body = "/api/v1/repairs", map[string]any{"subject_id": orgCode, "record_id": e.oldPenalty(), "statement": "已缴纳罚款并整改",
			"obligations_met": true, "commitment_accepted": true}
	}
	r := e.do(req{method: "POST", path: path, key: e.keys[credit.RoleSubject], body: body})
	if r.status != http.StatusCreated {
		e.t.Fatalf("file %s: %d %s", path, r.status, r.body)
	}
	var out struct {
		Case struct {
			ID string `json:"id"`
		} `json:"case"`
		Code string `json:"tracking_code"`
	}
	json.Unmarshal(r.body, &out)
	return out.Case.ID, out.Code
}

func (e *env) act(key, id string, body map[string]any) resp {
	e.t.Helper()
	return e.do(req{method: "POST", path: "/api/v1/cases/" + id + "/actions", key: key, body: body})
}

// wfScenario builds successful requests for the workflow routes.
func (e *env) wfScenario(rt api.Route, role credit.Role) (req, bool) {
	q := req{method: rt.Method, key: e.keys[role], path: rt.Path}
	if rt.Purpose {
		q.purpose = "办理异议与修复测试"
	}
	switch rt.Path {
	case "/api/v1/calendar/years", "/api/v1/cases", "/api/v1/cases/sweep":
	case "/api/v1/calendar/years/{year}":
		q.path = "/api/v1/calendar/years/2030"
		q.body = map[string]any{"year": 2030, "source": "test notice", "holidays": []map[string]string{{"from": "2030-01-01", "to": "2030-01-01", "name": "元旦"}}}
	case "/api/v1/calendar/deadline":
		q.path += "?from=2026-09-30&days=1"
	case "/api/v1/objections":
		q.body = map[string]any{"subject_id": orgCode, "record_id": e.appendRecord(e.keys[credit.RoleDept]), "reasons": "金额有误",
			"applicant": map[string]any{"name": "张三"}}
	case "/api/v1/repairs/eligibility":
		q.path += "?subject=" + orgCode + "&record=" + e.appendRecord(e.keys[credit.RoleDept])
	case "/api/v1/repairs":
		q.body = map[string]any{"subject_id": orgCode, "record_id": e.oldPenalty(), "statement": "已整改", "obligations_met": true,
			"commitment_accepted": true, "applicant": map[string]any{"name": "张三"}}
	case "/api/v1/bankruptcies":
		code := uscc.NewGenerator(int64(e.unique())).USCC('9', '1', "350100")
		if _, err := e.svc.PutOrganisation(e.t.Context(), records.Organisation{Code: code, Name: "重整企业" + code[10:]}); err != nil {
			e.t.Fatal(err)
		}
		q.body = map[string]any{"subject_id": code, "court_doc": "(2026)闽01破1号"}
	case "/api/v1/cases/{id}", "/api/v1/cases/{id}/files":
		id, _ := e.fileCase(false)
		q.path = strings.Replace(q.path, "{id}", id, 1)
		if rt.Method == "POST" {
			q.body = map[string]any{"name": "证明.pdf", "content_type": "application/pdf", "content": pdf}
		}
	case "/api/v1/cases/{id}/actions":
		if role == credit.RoleSubject {
			id, _ := e.fileCase(true)
			if r := e.act(e.keys[credit.RoleDept], id, map[string]any{"action": "request_materials", "missing": []string{"缴款凭证"}}); r.status != 200 {
				e.t.Fatalf("request materials: %d %s", r.status, r.body)
			}
			q.path, q.body = "/api/v1/cases/"+id+"/actions", map[string]any{"action": "supplement", "reason": "已补交"}
		} else {
			id, _ := e.fileCase(false)
			q.path, q.body = "/api/v1/cases/"+id+"/actions", map[string]any{"action": "accept"}
		}
	case "/api/v1/cases/{id}/files/{file}":
		id, _ := e.fileCase(false)
		r := e.do(req{method: "POST", path: "/api/v1/cases/" + id + "/files?name=a.pdf", key: e.keys[credit.RoleSubject],
			body: map[string]any{"content_type": "application/pdf", "content": pdf}})
		var out struct {
			File struct {
				ID string `json:"id"`
			} `json:"file"`
		}
		json.Unmarshal(r.body, &out)
		q.path = "/api/v1/cases/" + id + "/files/" + out.File.ID
	case "/api/v1/tracking":
		_, code := e.fileCase(false)
		q.header = map[string]string{"X-Track-Code": code}
	case "/api/v1/subjects/{id}/cases":
		q.path = "/api/v1/subjects/" + orgCode + "/cases"
	default:
		return req{}, false
	}
	return q, true
}

// TestObjectionAndRepairAPI takes an objection and a repair through the API.
func TestObjectionAndRepairAPI(t *testing.T) {
	e := newEnv(t)
	subj, dept, dept2 := e.keys[credit.RoleSubject], e.keys[credit.RoleDept], e.dept2

	// Objection: filed, accepted, marked, dismissed.
	id, code := e.fileCase(false)
	if r := e.act(dept2, id, map[string]any{"action": "accept"}); r.status != http.StatusForbidden {
		t.Errorf("another department accepted: %d %s", r.status, r.body)
	}
	if r := e.act(subj, id, map[string]any{"action": "accept"}); r.status != http.StatusForbidden {
		t.Errorf("the applicant accepted its own objection: %d %s", r.status, r.body)
	}
	if r := e.act(dept, id, map[string]any{"action": "accept"}); r.status != 200 || !strings.Contains(string(r.body), `"state": "verifying"`) {
		t.Fatalf("accept: %d %s", r.status, r.body)
	}
	// A department's queue holds only its own cases; another's is empty.
	r := e.do(req{method: "GET", path: "/api/v1/cases?kind=objection", key: dept2, purpose: "办理"})
	if r.status != 200 || strings.Contains(string(r.body), id) {
		t.Errorf("dept2 queue shows another unit's case: %s", r.body)
	}
	r = e.do(req{method: "GET", path: "/api/v1/cases?kind=objection", key: dept, purpose: "办理"})
	if !strings.Contains(string(r.body), id) {
		t.Errorf("own queue lacks the case: %s", r.body)
	}
	if r := e.act(dept, id, map[string]any{"action": "dismiss"}); r.status != 400 {
		t.Errorf("dismissal without reasons: %d", r.status)
	}
	if r := e.act(dept, id, map[string]any{"action": "dismiss", "reason": "信息准确"}); r.status != 200 {
		t.Fatalf("dismiss: %d %s", r.status, r.body)
	}
	r = e.do(req{method: "GET", path: "/api/v1/tracking", header: map[string]string{"X-Track-Code": code}})
	if r.status != 200 || r.json(t)["state"] != "dismissed" || strings.Contains(string(r.body), e.names[credit.RoleDept]) {
		t.Errorf("tracking: %d %s", r.status, r.body)
	}
	if r := e.do(req{method: "GET", path: "/api/v1/tracking", header: map[string]string{"X-Track-Code": "AAAA-BBBB-CCCC-DDDD"}}); r.status != 404 {
		t.Errorf("wrong code: %d", r.status)
	}

	// Repair: early application refused with the date; a ripe one granted.
	// A 20万元 fine is 一般 under market regulation: a year's minimum.
	body := e.recordBody(orgCode)
	body["fields"].(credit.Fields)["cf_nr_fk"] = "20"
	rr := e.do(req{method: "POST", path: "/api/v1/records", key: dept, body: body})
	if rr.status != http.StatusCreated {
		t.Fatalf("append record: %d %s", rr.status, rr.body)
	}
	early := rr.json(t)["record"].(map[string]any)["id"].(string)
	r = e.do(req{method: "GET", path: "/api/v1/repairs/eligibility?subject=" + orgCode + "&record=" + early, key: subj})
	m := r.json(t)
	if m["eligible"] != false || m["apply_from"] == nil {
		t.Errorf("early eligibility: %s", r.body)
	}
	r = e.do(req{method: "POST", path: "/api/v1/repairs", key: subj, body: map[string]any{"subject_id": orgCode, "record_id": early,
		"statement": "x", "obligations_met": true, "commitment_accepted": true}})
	if r.status != 400 || !strings.Contains(r.errMessage(t), "apply from") {
		t.Errorf("early repair: %d %s", r.status, r.body)
	}
	rid, _ := e.fileCase(true)
	for _, step := range []map[string]any{{"action": "accept"}, {"action": "approve", "reason": "准予修复"}} {
		if r := e.act(dept, rid, step); r.status != 200 {
			t.Fatalf("%v: %d %s", step, r.status, r.body)
		}
	}
	r = e.do(req{method: "GET", path: "/api/v1/subjects/" + orgCode + "/cases", key: subj})
	if r.status != 200 || !strings.Contains(string(r.body), `"state": "repaired"`) || !strings.Contains(string(r.body), `"action": "approve"`) {
		t.Errorf("history: %d %s", r.status, r.body)
	}
	// Another subject's history is not readable.
	if r := e.do(req{method: "GET", path: "/api/v1/subjects/" + e.person.ID + "/cases", key: subj}); r.status != 403 {
		t.Errorf("other subject's history: %d", r.status)
	}
	// The calendar refuses a bad year file with a message saying what to fix.
	r = e.do(req{method: "PUT", path: "/api/v1/calendar/years/2031", key: e.keys[credit.RoleAdmin],
		body: map[string]any{"year": 2031, "source": "x", "workdays": []map[string]string{{"date": "2031-01-06", "name": "x"}}}})
	if r.status != 400 || !strings.Contains(r.errMessage(t), "only a weekend day") {
		t.Errorf("bad year: %d %s", r.status, r.body)
	}
	r = e.do(req{method: "GET", path: "/api/v1/calendar/deadline?from=2026-09-30&days=1"})
	if r.json(t)["due"] != "2026-10-08" {
		t.Errorf("deadline over 国庆: %s", r.body)
	}
}

// TestPortalCasePages: the subject reads its own case history; the
// tracking page answers a wrong code with 404 and no details; staff pages
// refuse a subject account.
func TestPortalCasePages(t *testing.T) {
	e := newEnv(t)
	id, code := e.fileCase(false)
	subj := e.keys[credit.RoleSubject]
	r := e.do(req{method: "GET", path: "/my/cases/" + id, key: subj})
	if r.status != 200 || !strings.Contains(string(r.body), "已转认定单位，待受理") || !strings.Contains(string(r.body), "金额有误") {
		t.Errorf("own case page: %d\n%s", r.status, r.body)
	}
	if r := e.do(req{method: "GET", path: "/my/cases", key: subj}); r.status != 200 || !strings.Contains(string(r.body), "/my/cases/"+id) {
		t.Errorf("case list: %d", r.status)
	}
	if r := e.do(req{method: "GET", path: "/my/cases/" + id, key: e.keys[credit.RoleDept]}); r.status != 403 {
		t.Errorf("dept on the applicant's page: %d", r.status)
	}
	if r := e.do(req{method: "GET", path: "/console/cases?kind=objection", key: subj}); r.status != 403 {
		t.Errorf("subject on the console queue: %d", r.status)
	}
	r = e.do(req{method: "GET", path: "/console/cases?kind=objection", key: e.keys[credit.RoleDept]})
	if r.status != 200 || !strings.Contains(string(r.body), id) {
		t.Errorf("unit queue: %d", r.status)
	}
	if r := e.do(req{method: "GET", path: "/console/cases/" + id, key: e.dept2}); r.status != 404 {
		t.Errorf("another unit's case page: %d", r.status)
	}
	form := func(path string, vals url.Values) resp {
		token, jar := e.formToken("/track", nil)
		vals.Set("csrf", token)
		return e.postForm(path, vals, jar)
	}
	if r := form("/track", url.Values{"code": {"AAAA-BBBB-CCCC-DDDD"}}); r.status != 404 || strings.Contains(string(r.body), "金额有误") {
		t.Errorf("wrong tracking code: %d", r.status)
	}
	if r := form("/track", url.Values{"code": {code}}); r.status != 200 || !strings.Contains(string(r.body), "金额有误") {
		t.Errorf("tracking page: %d", r.status)
	}
}
