package server_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/xinyong/xinyong/internal/api"
	"github.com/xinyong/xinyong/internal/chinatime"
	"github.com/xinyong/xinyong/internal/commit"
	"github.com/xinyong/xinyong/internal/credit"
)

// deptOf is the department an account of role belongs to in the
// environment.
func deptOf(role credit.Role) string {
	switch role {
	case credit.RoleDept:
		return deptCode
	case credit.RoleBusiness:
		return bizDept
	}
	return ""
}

// actor is the environment's account of role as the services see it.
func (e *env) actor(role credit.Role) credit.Actor {
	a := credit.Actor{Name: e.names[role], Role: role, Dept: deptOf(role)}
	if role == credit.RoleSubject {
		a.Subject = orgCode
	}
	return a
}

// commitmentFor makes a 告知承诺 of orgCode accepted by the unit that an
// account of role belongs to (the market regulator for roles without one),
// so that the account may read and act on it.
func (e *env) commitmentFor(role credit.Role) *credit.Commitment {
	e.t.Helper()
	unit := deptOf(role)
	if unit == "" {
		unit = deptCode
	}
	c, _, err := e.node.Commit.Sign(e.t.Context(), credit.Actor{Name: "t-admin", Role: credit.RoleAdmin}, commit.Signing{
		SubjectID: orgCode, Matter: "licence_approval", Kind: "approval", Unit: unit, Signer: "张三", SignerRole: "法定代表人",
		Document: "告知承诺书" + time.Now().Format("150405.000000"), Accepted: true})
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

// declaration is a pending self-declared contribution of orgCode, which
// names the dept account's department as its issuer.
func (e *env) declaration() *credit.Declaration {
	e.t.Helper()
	d, err := e.node.Commit.Declare(e.t.Context(), e.actor(credit.RoleSubject), commit.Declaring{SubjectID: orgCode, Kind: "contribution",
		Issuer: deptCode, Title: "捐建图书室", Accepted: true})
	if err != nil {
		e.t.Fatal(err)
	}
	return d
}

// cmScenario builds a request the commitment routes accept from role.
func (e *env) cmScenario(rt api.Route, role credit.Role) (req, bool) {
	if !strings.HasPrefix(rt.Path, "/api/v1/commitments") && !strings.HasPrefix(rt.Path, "/api/v1/declarations") &&
		rt.Path != "/api/v1/subjects/{id}/commitments" && rt.Path != "/api/v1/subjects/{id}/declarations" {
		return req{}, false
	}
	q := req{method: rt.Method, key: e.keys[role], path: rt.Path}
	if rt.Purpose {
		q.purpose = "信用承诺办理测试"
	}
	ctx := e.t.Context()
	setID := func(id string) { q.path = strings.Replace(q.path, "{id}", id, 1) }
	switch rt.Method + " " + rt.Path {
	case "GET /api/v1/commitments/matters", "GET /api/v1/commitments", "GET /api/v1/commitments/stats", "POST /api/v1/commitments/sweep", "GET /api/v1/declarations":
	case "POST /api/v1/commitments/eligibility":
		q.body = map[string]any{"subject_id": orgCode, "matter": "licence_approval"}
	case "GET /api/v1/commitments/eligibility/{id}":
		a, err := e.node.Commit.Eligibility(ctx, e.actor(role), orgCode, "licence_approval")
		if err != nil {
			a, err = e.node.Commit.Eligibility(ctx, e.actor(credit.RoleAdmin), orgCode, "licence_approval")
		}
		if err != nil {
			e.t.Fatal(err)
		}
		setID(a.ID)
	case "POST /api/v1/commitments":
		body := map[string]any{"subject_id": orgCode, "matter": "licence_approval", "kind": "approval", "signer": "张三", "signer_role": "法定代表人",
			"document": "告知承诺书第" + time.Now().Format("150405.000000") + "号", "accepted": true}
		if role != credit.RoleDept && role != credit.RoleBusiness {
			body["unit"] = deptCode
		}
		q.body = body
	case "GET /api/v1/commitments/{id}":
		setID(e.commitmentFor(role).ID)
	case "POST /api/v1/commitments/{id}/actions":
		setID(e.commitmentFor(role).ID)
		q.body = map[string]any{"action": "fulfil", "note": "核查符合"}
	case "POST /api/v1/commitments/{id}/files":
		setID(e.commitmentFor(role).ID)
		q.body = map[string]any{"name": "承诺书.pdf", "content_type": "application/pdf", "content": pdf}
	case "GET /api/v1/commitments/{id}/files/{file}":
		c := e.commitmentFor(role)
		f, err := e.node.Commit.AddFile(ctx, credit.Actor{Name: "t-admin", Role: credit.RoleAdmin}, c.ID, "承诺书.pdf", "", pdf)
		if err != nil {
			e.t.Fatal(err)
		}
		setID(c.ID)
		q.path = strings.Replace(q.path, "{file}", f.ID, 1)
	case "GET /api/v1/subjects/{id}/commitments", "GET /api/v1/subjects/{id}/declarations":
		setID(orgCode)
	case "POST /api/v1/declarations":
		q.body = map[string]any{"subject_id": orgCode, "kind": "honour", "issuer": deptCode, "title": "守合同重信用企业", "number": "榕市监〔2025〕18号",
			"issued_on": "2025-06-01", "accepted": true}
	case "GET /api/v1/declarations/{id}":
		setID(e.declaration().ID)
	case "POST /api/v1/declarations/{id}/actions":
		setID(e.declaration().ID)
		switch role {
		case credit.RoleSubject:
			q.body = map[string]any{"action": "withdraw"}
		case credit.RoleDept:
			q.body = map[string]any{"action": "confirm", "note": "属实"}
		default:
			q.body = map[string]any{"action": "reject", "reason": "查无此事"}
		}
	case "GET /api/v1/declarations/{id}/files/{file}":
		d := e.declaration()
		f, err := e.node.Commit.AddFile(ctx, e.actor(credit.RoleSubject), d.ID, "证明.pdf", "", pdf)
		if err != nil {
			e.t.Fatal(err)
		}
		setID(d.ID)
		q.path = strings.Replace(q.path, "{file}", f.ID, 1)
	case "POST /api/v1/declarations/{id}/files":
		setID(e.declaration().ID)
		q.body = map[string]any{"name": "证明.pdf", "content_type": "application/pdf", "content": pdf}
	default:
		e.t.Fatalf("no scenario for %s %s", rt.Method, rt.Path)
	}
	return q, true
}

// TestCommitmentsAPI takes a commitment through the API: the business
// system's eligibility question and registration, a subject signing its
// own, the unit's queue, the sweep, a breach decided by the unit, the
// statistics as JSON and as a workbook; and the refusals (a matter that
// takes no commitment, an ineligible subject, another subject), each in
// both languages and in the audit log.
func TestCommitmentsAPI(t *testing.T) {
	e := newEnv(t)
	biz, dept, subj, admin := e.keys[credit.RoleBusiness], e.keys[credit.RoleDept], e.keys[credit.RoleSubject], e.keys[credit.RoleAdmin]
	post := func(key, path string, body any) resp {
		t.Helper()
		return e.do(req{method: "POST", path: path, key: key, body: body})
	}
	get := func(key, path string) resp {
		t.Helper()
		return e.do(req{method: "GET", path: path, key: key, purpose: "办理信用承诺"})
	}

	// The templates are public.
	r := e.get("/api/v1/commitments/matters")
	if r.status != 200 || !strings.Contains(string(r.body), "容缺受理型") || !strings.Contains(string(r.body), "fin_company_setup") {
		t.Fatalf("matters: %d %.300s", r.status, r.body)
	}

	// The business system asks, keeps the ID, registers.
	r = post(biz, "/api/v1/commitments/eligibility", map[string]any{"subject_id": orgCode, "matter": "licence_approval"})
	var ans commit.Answer
	if r.status != 200 || json.Unmarshal(r.body, &ans) != nil || !ans.Eligible || ans.ID == "" {
		t.Fatalf("eligibility: %d %s", r.status, r.body)
	}
	if r := get(biz, "/api/v1/commitments/eligibility/"+ans.ID); r.status != 200 || !strings.Contains(string(r.body), ans.ID) {
		t.Errorf("kept answer: %d %s", r.status, r.body)
	}
	if r := get(e.dept2, "/api/v1/commitments/eligibility/"+ans.ID); r.status != http.StatusNotFound {
		t.Errorf("another unit reading the answer: %d", r.status)
	}
	r = post(biz, "/api/v1/commitments", map[string]any{"subject_id": orgCode, "matter": "licence_approval", "kind": "rongque", "signer": "张三",
		"signer_role": "法定代表人", "document": "容缺承诺书第1号", "materials": []string{"消防验收意见书"}, "check_id": ans.ID, "accepted": true})
	var signed struct {
		Commitment  credit.Commitment `json:"commitment"`
		Eligibility commit.Answer     `json:"eligibility"`
	}
	if r.status != http.StatusCreated || json.Unmarshal(r.body, &signed) != nil || signed.Commitment.Unit != bizDept || signed.Commitment.State != commit.StateDue {
		t.Fatalf("register: %d %s", r.status, r.body)
	}
	if !e.auditHas(credit.AuditEntry{Actor: e.names[credit.RoleBusiness], Action: "commitment.sign", Outcome: "ok", Target: orgCode}) {
		t.Error("registration not audited")
	}

	// The subject signs its own commitment, accepted by the market regulator.
	r = post(subj, "/api/v1/commitments", map[string]any{"subject_id": orgCode, "matter": "licence_approval", "kind": "rongque", "unit": deptCode,
		"materials": []string{"环境影响评价批复"}, "accepted": true})
	var mine struct {
		Commitment credit.Commitment `json:"commitment"`
	}
	if r.status != http.StatusCreated || json.Unmarshal(r.body, &mine) != nil || mine.Commitment.Detail.Channel != "portal" {
		t.Fatalf("subject signs: %d %s", r.status, r.body)
	}
	id := mine.Commitment.ID

	// The unit's queue holds its own only.
	r = get(dept, "/api/v1/commitments")
	if r.status != 200 || !strings.Contains(string(r.body), id) || strings.Contains(string(r.body), signed.Commitment.ID) {
		t.Errorf("dept queue: %d %s", r.status, r.body)
	}
	if r := get(e.dept2, "/api/v1/commitments/"+id); r.status != http.StatusNotFound {
		t.Errorf("another unit reading: %d", r.status)
	}

	// Past the due date the sweep makes both overdue.
	e.clock.Set(chinatime.EndOfDay(mine.Commitment.Due).Add(time.Hour))
	if r := post(admin, "/api/v1/commitments/sweep", map[string]any{}); r.status != 200 || !strings.Contains(string(r.body), `"moved": 2`) {
		t.Fatalf("sweep: %d %s", r.status, r.body)
	}
	if r := get(dept, "/api/v1/commitments?state=overdue"); r.status != 200 || !strings.Contains(string(r.body), `"late": true`) {
		t.Errorf("overdue queue: %d %s", r.status, r.body)
	}
	// The unit decides the breach; the business system records the other
	// fulfilled, late.
	r = post(dept, "/api/v1/commitments/"+id+"/actions", map[string]any{"action": "break", "doc_no": "榕市监违诺〔2026〕1号", "reason": "逾期未补交"})
	if r.status != 200 || !strings.Contains(string(r.body), `"state": "broken"`) || !strings.Contains(string(r.body), `"severity": "一般"`) {
		t.Fatalf("break: %d %s", r.status, r.body)
	}
	if r := post(biz, "/api/v1/commitments/"+signed.Commitment.ID+"/actions", map[string]any{"action": "fulfil", "note": "已补交"}); r.status != 200 {
		t.Errorf("fulfil: %d %s", r.status, r.body)
	}
	if r := post(biz, "/api/v1/commitments/"+signed.Commitment.ID+"/actions", map[string]any{"action": "vanish"}); r.status != 400 || r.errKind(t) != "invalid" {
		t.Errorf("unknown action: %d %s", r.status, r.body)
	}
	// The public page of the subject carries the broken commitment.
	if r := e.get("/api/v1/subjects/" + orgCode + "/public"); !strings.Contains(string(r.body), "全部未履行") || !strings.Contains(string(r.body), "榕市监违诺〔2026〕1号") {
		t.Errorf("public file lacks the breach: %.600s", r.body)
	}

	// Statistics, as JSON and as a workbook.
	r = get(admin, "/api/v1/commitments/stats")
	if r.status != 200 || !strings.Contains(string(r.body), `"broken": 1`) || !strings.Contains(string(r.body), `"fulfilled": 1`) {
		t.Errorf("stats: %d %s", r.status, r.body)
	}
	r = get(dept, "/api/v1/commitments/stats?format=xlsx")
	if r.status != 200 || r.header.Get("Content-Type") != "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" {
		t.Fatalf("xlsx: %d %s", r.status, r.header)
	}
	x, err := excelize.OpenReader(strings.NewReader(string(r.body)))
	if err != nil {
		t.Fatal(err)
	}
	rows, _ := x.GetRows("按事项和单位")
	if len(rows) != 4 || rows[2][0] != "行政许可审批" || rows[2][2] != "福州市市场监督管理局" {
		t.Errorf("a department's workbook: %q", rows)
	}

	// Refusals.
	refusals := []struct {
		name   string
		key    string
		body   map[string]any
		status int
		zh     string
		actor  string
	}{
		{"a matter the law keeps from commitments", biz, map[string]any{"subject_id": orgCode, "matter": "fin_company_setup", "kind": "approval",
			"signer": "张三", "document": "x", "accepted": true}, 400, "不适用信用承诺", e.names[credit.RoleBusiness]},
		{"an ineligible subject", biz, map[string]any{"subject_id": orgCode, "matter": "licence_approval", "kind": "rongque", "signer": "张三",
			"document": "y", "materials": []string{"图纸"}, "accepted": true}, 409, "不符合", e.names[credit.RoleBusiness]},
		{"another subject", subj, map[string]any{"subject_id": e.person.ID, "matter": "credit_publicity", "kind": "voluntary", "unit": "CREDIT-350100",
			"accepted": true}, 403, "只能为本主体作出承诺", e.names[credit.RoleSubject]},
	}
	for _, rf := range refusals {
		r := post(rf.key, "/api/v1/commitments", rf.body)
		m := r.json(t)
		er, _ := m["error"].(map[string]any)
		if r.status != rf.status || !strings.Contains(er["message_zh"].(string), rf.zh) || er["message"] == er["message_zh"] {
			t.Errorf("%s: %d %s", rf.name, r.status, r.body)
		}
		target := rf.body["subject_id"].(string)
		if !e.auditHas(credit.AuditEntry{Actor: rf.actor, Action: "commitment.sign", Outcome: "denied", Target: target}) {
			t.Errorf("%s: not audited", rf.name)
		}
		if rf.status == 409 {
			det, _ := er["details"].(map[string]any)
			el, _ := det["eligibility"].(map[string]any)
			rs, _ := el["reasons"].([]any)
			var codes []string
			for _, x := range rs {
				codes = append(codes, x.(map[string]any)["code"].(string))
			}
			if !slices.Contains(codes, "breach") || el["id"] == "" {
				t.Errorf("%s: details %v", rf.name, det)
			}
		}
	}
}

// TestDeclarationsAPI: a subject declares an honour with a file; the
// public sees it labelled 自主申报 apart from the file; another department
// is refused (audited); the issuer confirms it into an official honour
// record, which the public file then shows.
func TestDeclarationsAPI(t *testing.T) {
	e := newEnv(t)
	subj, dept := e.keys[credit.RoleSubject], e.keys[credit.RoleDept]
	r := e.do(req{method: "POST", path: "/api/v1/declarations", key: subj, body: map[string]any{"subject_id": orgCode, "kind": "honour", "issuer": deptCode,
		"title": "守合同重信用企业", "number": "榕市监〔2025〕18号", "issued_on": "2025-06-01", "valid_until": "2027-05-31", "accepted": true}})
	var out struct {
		Declaration struct {
			ID           string `json:"id"`
			Label        string `json:"label"`
			SelfDeclared bool   `json:"self_declared"`
		} `json:"declaration"`
	}
	if r.status != http.StatusCreated || json.Unmarshal(r.body, &out) != nil || out.Declaration.Label != "自主申报" || !out.Declaration.SelfDeclared {
		t.Fatalf("declare: %d %s", r.status, r.body)
	}
	id := out.Declaration.ID
	if r := e.do(req{method: "POST", path: "/api/v1/declarations/" + id + "/files?name=证书.pdf", key: subj, raw: pdf,
		header: map[string]string{"Content-Type": "application/pdf"}}); r.status != http.StatusCreated {
		t.Errorf("file: %d %s", r.status, r.body)
	}
	pub := e.get("/api/v1/subjects/" + orgCode + "/declarations")
	if pub.status != 200 || !strings.Contains(string(pub.body), "守合同重信用企业") || !strings.Contains(string(pub.body), `"label": "自主申报"`) {
		t.Errorf("public declarations: %d %s", pub.status, pub.body)
	}
	if r := e.get("/api/v1/subjects/" + orgCode + "/public"); strings.Contains(string(r.body), "守合同重信用企业") {
		t.Error("a self-declared honour mixed into the public file")
	}
	if r := e.get("/api/v1/subjects/" + e.person.ID + "/declarations"); r.status != http.StatusNotFound {
		t.Errorf("a person's declarations: %d", r.status)
	}
	// Another department may not see or confirm it; an administrator
	// reads it as another unit would not.
	if r := e.do(req{method: "POST", path: "/api/v1/declarations/" + id + "/actions", key: e.dept2, body: map[string]any{"action": "confirm"}}); r.status != http.StatusNotFound {
		t.Errorf("another department confirming: %d %s", r.status, r.body)
	}
	if r := e.do(req{method: "POST", path: "/api/v1/declarations/" + id + "/actions", key: e.keys[credit.RoleSubject], body: map[string]any{"action": "confirm"}}); r.status != http.StatusForbidden {
		t.Errorf("the subject confirming its own: %d %s", r.status, r.body)
	} else if !e.auditHas(credit.AuditEntry{Actor: e.names[credit.RoleSubject], Action: "declaration.act", Outcome: "denied"}) {
		t.Error("the subject's confirmation not audited")
	}
	r = e.do(req{method: "POST", path: "/api/v1/declarations/" + id + "/actions", key: dept, body: map[string]any{"action": "confirm", "authority_code": authorityCode}})
	if r.status != 200 || !strings.Contains(string(r.body), `"state": "confirmed"`) || !strings.Contains(string(r.body), `"self_declared": false`) {
		t.Fatalf("confirm: %d %s", r.status, r.body)
	}
	if r := e.get("/api/v1/subjects/" + orgCode + "/public"); !strings.Contains(string(r.body), "守合同重信用企业") {
		t.Error("the confirmed honour is not in the public file")
	}
	if r := e.get("/api/v1/subjects/" + orgCode + "/declarations"); strings.Contains(string(r.body), "守合同重信用企业") {
		t.Error("a confirmed declaration still shown as self-declared")
	}
	r = e.do(req{method: "GET", path: "/api/v1/declarations/" + id, key: subj})
	if r.status != 200 || !strings.Contains(string(r.body), `"action": "confirm"`) || !strings.Contains(string(r.body), "证书.pdf") {
		t.Errorf("the subject's history: %d %s", r.status, r.body)
	}
}
