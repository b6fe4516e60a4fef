package server_test

import (
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/records"
	"github.com/xinyong/xinyong/internal/uscc"
)

// doorStep is one step on a case as each front door says it: the API's
// JSON body and the console's form (the button pressed and the fields).
type doorStep struct {
	api  map[string]any
	form url.Values
}

// caseSnapshot is what a step leaves behind: the case row and its last
// event, with the IDs of facts the step created (a correction, a record
// of a false commitment) reduced to whether there is one.
type caseSnapshot struct {
	State, Unit string
	Open        bool
	Due, Until  string
	Events      int
	Last        credit.CaseEvent
}

func (e *env) caseSnapshot(id string) caseSnapshot {
	e.t.Helper()
	ctx := e.t.Context()
	c, err := e.st.Case(ctx, id)
	if err != nil {
		e.t.Fatal(err)
	}
	evs, err := e.st.CaseEvents(ctx, id)
	if err != nil {
		e.t.Fatal(err)
	}
	last := evs[len(evs)-1]
	last.ID, last.CaseID = "", ""
	for _, k := range []string{"new_fact", "new_record"} {
		if last.Data[k] != "" {
			last.Data[k] = "(an ID)"
		}
	}
	return caseSnapshot{State: c.State, Unit: c.Unit, Open: c.Open, Due: c.Due.String(), Until: c.Until.String(), Events: len(evs), Last: last}
}

// consoleAct presses a button on the console's case page, signed in with
// the session cookie, as a browser does.
func (e *env) consoleAct(sess *http.Cookie, id string, form url.Values) resp {
	e.t.Helper()
	token, jar := e.formToken("/console/cases/"+id, []*http.Cookie{sess})
	vals := url.Values{"csrf": {token}}
	for k, v := range form {
		vals[k] = v
	}
	return e.postForm("/console/cases/"+id, vals, jar)
}

// TestCaseStepsAgreeAcrossDoors: the same step taken through the API
// (POST /api/v1/cases/{id}/actions) and through the console's case page
// leaves two like cases in the same state with the same event, by the same
// account; a refused step is refused with the same words. Both doors hand
// the step to workflow.Act.
func TestCaseStepsAgreeAcrossDoors(t *testing.T) {
	e := newEnv(t)
	dept, admin := e.names[credit.RoleDept], e.names[credit.RoleAdmin]
	sessions := map[string]*http.Cookie{dept: e.apiSession(dept), admin: e.apiSession(admin)}
	keys := map[string]string{dept: e.keys[credit.RoleDept], admin: e.keys[credit.RoleAdmin]}

	objection := func() string { id, _ := e.fileCase(false); return id }
	repair := func() string { id, _ := e.fileCase(true); return id }
	// An objection to a list entry without a unit waits for the credit
	// office to route it.
	entryObjection := func() string {
		r := e.do(req{method: "POST", path: "/api/v1/objections", key: e.keys[credit.RoleSubject],
			body: map[string]any{"subject_id": orgCode, "entry_id": fmt.Sprintf("entry-%d", e.unique()), "reasons": "不应列入"}})
		if r.status != http.StatusCreated {
			t.Fatalf("file an entry objection: %d %s", r.status, r.body)
		}
		return r.json(t)["case"].(map[string]any)["id"].(string)
	}
	bankruptcy := func() string {
		code := uscc.NewGenerator(int64(e.unique())).USCC('9', '1', "350100")
		if _, err := e.svc.PutOrganisation(t.Context(), records.Organisation{Code: code, Name: "重整企业" + code[10:]}); err != nil {
			t.Fatal(err)
		}
		r := e.do(req{method: "POST", path: "/api/v1/bankruptcies", key: keys[admin], body: map[string]any{"subject_id": code, "court_doc": "(2026)闽01破1号"}})
		if r.status != http.StatusCreated {
			t.Fatalf("file a bankruptcy: %d %s", r.status, r.body)
		}
		return r.json(t)["case"].(map[string]any)["id"].(string)
	}

	step := func(api map[string]any, form ...string) doorStep {
		s := doorStep{api: api, form: url.Values{}}
		for i := 0; i+1 < len(form); i += 2 {
			s.form.Set(form[i], form[i+1])
		}
		return s
	}
	paths := []struct {
		what  string
		file  func() string
		actor string
		steps []doorStep
	}{
		{"objection corrected", objection, dept, []doorStep{
			step(map[string]any{"action": "accept"}, "action", "accept"),
			step(map[string]any{"action": "extend", "reason": "需调取卷宗"}, "action", "extend", "reason", "需调取卷宗"),
			step(map[string]any{"action": "uphold", "reason": "金额录入错误", "fields": map[string]string{"cf_nr": "罚款人民币0.5万元"}},
				"action", "uphold", "reason", "金额录入错误", "field", "cf_nr", "value", "罚款人民币0.5万元"),
		}},
		{"objection upheld by revoking", objection, dept, []doorStep{
			step(map[string]any{"action": "accept"}, "action", "accept"),
			step(map[string]any{"action": "uphold", "revoke": true, "reason": "不应公示"}, "action", "revoke", "reason", "不应公示"),
		}},
		{"objection dismissed", objection, dept, []doorStep{
			step(map[string]any{"action": "accept"}, "action", "accept"),
			step(map[string]any{"action": "dismiss", "reason": "信息准确"}, "action", "dismiss", "reason", "信息准确"),
		}},
		{"objection refused", objection, dept, []doorStep{
			step(map[string]any{"action": "refuse", "reason": "非本单位认定"}, "action", "refuse", "reason", "非本单位认定"),
		}},
		{"entry objection routed", entryObjection, admin, []doorStep{
			step(map[string]any{"action": "route", "unit": deptCode}, "action", "route", "unit", deptCode),
		}},
		{"repair granted, then found false", repair, dept, []doorStep{
			step(map[string]any{"action": "accept"}, "action", "accept"),
			step(map[string]any{"action": "extend", "reason": "案情复杂"}, "action", "extend", "reason", "案情复杂"),
			step(map[string]any{"action": "approve", "reason": "准予修复"}, "action", "approve", "reason", "准予修复"),
			step(map[string]any{"action": "false_commitment", "doc_no": "榕市监认〔2026〕1号", "reason": "整改报告系伪造"},
				"action", "false_commitment", "doc_no", "榕市监认〔2026〕1号", "reason", "整改报告系伪造"),
		}},
		{"repair awaiting materials, refused", repair, dept, []doorStep{
			step(map[string]any{"action": "request_materials", "missing": []string{"缴款凭证", "整改报告"}},
				"action", "request_materials", "missing", "缴款凭证\r\n整改报告"),
			step(map[string]any{"action": "refuse", "reason": "逾期未补正"}, "action", "refuse", "reason", "逾期未补正"),
		}},
		{"bankruptcy plan failed", bankruptcy, admin, []doorStep{
			step(map[string]any{"action": "mask"}, "action", "mask"),
			step(map[string]any{"action": "end", "failed": true, "reason": "重整计划执行失败"}, "action", "end_failed", "reason", "重整计划执行失败"),
		}},
		{"bankruptcy plan carried out", bankruptcy, admin, []doorStep{
			step(map[string]any{"action": "mask"}, "action", "mask"),
			step(map[string]any{"action": "end", "reason": "重整计划执行完毕"}, "action", "end_completed", "reason", "重整计划执行完毕"),
		}},
		{"bankruptcy ended before masking", bankruptcy, admin, []doorStep{
			step(map[string]any{"action": "end_failed", "reason": "重整计划执行失败"}, "action", "end_failed", "reason", "重整计划执行失败"),
		}},
	}
	for _, p := range paths {
		t.Run(p.what, func(t *testing.T) {
			viaAPI, viaConsole := p.file(), p.file()
			if a, c := e.caseSnapshot(viaAPI), e.caseSnapshot(viaConsole); !reflect.DeepEqual(a, c) {
				t.Fatalf("the two cases differ before any step:\nAPI     %+v\nconsole %+v", a, c)
			}
			for _, s := range p.steps {
				if r := e.act(keys[p.actor], viaAPI, s.api); r.status != http.StatusOK {
					t.Fatalf("API %v: %d %s", s.api, r.status, r.body)
				}
				if r := e.consoleAct(sessions[p.actor], viaConsole, s.form); r.status != http.StatusSeeOther {
					t.Fatalf("console %v: %d %s", s.form, r.status, r.body)
				}
				a, c := e.caseSnapshot(viaAPI), e.caseSnapshot(viaConsole)
				if !reflect.DeepEqual(a, c) {
					t.Errorf("after %v / %v:\nAPI     %+v\nconsole %+v", s.api, s.form, a, c)
				}
				if a.Last.Actor != p.actor {
					t.Errorf("after %v: the event names %q, not the account %q", s.api, a.Last.Actor, p.actor)
				}
				for _, id := range []string{viaAPI, viaConsole} {
					if !e.auditHas(credit.AuditEntry{Actor: p.actor, Target: "case:" + id, Action: "case.act"}) {
						t.Errorf("the step on %s is not audited", id)
					}
				}
			}
		})
	}

	// A step refused is refused alike: the API's Chinese message is the
	// one the console's page shows, and neither case moves.
	viaAPI, viaConsole := objection(), objection()
	for _, s := range []doorStep{
		step(map[string]any{"action": "refuse"}, "action", "refuse"),
		step(map[string]any{"action": "dismiss", "reason": "信息准确"}, "action", "dismiss", "reason", "信息准确"),
		step(map[string]any{"action": "bogus"}, "action", "bogus"),
	} {
		before := e.caseSnapshot(viaAPI)
		r := e.act(keys[dept], viaAPI, s.api)
		m, _ := r.json(t)["error"].(map[string]any)
		zh, _ := m["message_zh"].(string)
		if r.status/100 != 4 || zh == "" {
			t.Errorf("API %v: %d %s", s.api, r.status, r.body)
			continue
		}
		zh = strings.ReplaceAll(zh, viaAPI, viaConsole) // a refusal may name its case
		page := e.consoleAct(sessions[dept], viaConsole, s.form)
		if page.status != http.StatusUnprocessableEntity || !strings.Contains(string(page.body), zh) {
			t.Errorf("console %v: %d, page lacks the API's refusal %q", s.form, page.status, zh)
		}
		if a, c := e.caseSnapshot(viaAPI), e.caseSnapshot(viaConsole); !reflect.DeepEqual(a, before) || !reflect.DeepEqual(c, before) {
			t.Errorf("a refused %v moved a case:\nbefore  %+v\nAPI     %+v\nconsole %+v", s.api, before, a, c)
		}
	}
}
