package server_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/credit"
)

// TestRegistrationBelongsToTheRegistrar: an organisation's registration
// data is changed only by its registration authority (market regulation
// for a 9-code) or an administrator, each change kept as a revision; any
// department registers a new organisation by code and name only; and
// registering a known natural person does not tell the caller the name on
// file. Before, a court set another company to 吊销 and the portal showed it.
func TestRegistrationBelongsToTheRegistrar(t *testing.T) {
	e := newEnv(t)
	post := func(key string, body map[string]any) resp {
		return e.do(req{method: "POST", path: "/api/v1/subjects", key: key, body: body})
	}
	read := func() map[string]any {
		return e.do(req{method: "GET", path: "/api/v1/subjects/" + orgCode}).json(t)
	}
	// Another department (tax) may not change the market regulator's
	// registration: name, status, legal representative. The refusal is
	// logged and nothing changes.
	for _, body := range []map[string]any{
		{"code": orgCode, "name": "福州冒名有限公司"},
		{"code": orgCode, "name": orgName, "status": "吊销"},
		{"code": orgCode, "name": orgName, "legal_rep": "李四"},
	} {
		if r := post(e.dept2, body); r.status != http.StatusForbidden || r.errKind(t) != "permission" {
			t.Errorf("tax changes %v: %d %s", body, r.status, r.body)
		}
	}
	if s := read(); s["name"] != orgName || s["status"] != "存续" || s["legal_rep"] != "张三" {
		t.Fatalf("after refused changes: %v", s)
	}
	if !e.auditHas(credit.AuditEntry{Actor: "t-dept2", Action: "subject.register", Outcome: auth.OutcomeDenied}) {
		t.Error("the refused registration change is not in the audit log")
	}
	// A new organisation by code and name: any department, as its records
	// would; with a status: only the registrar.
	fresh := "91350100703087552U"
	if r := post(e.dept2, map[string]any{"code": fresh, "name": "福州新设有限公司", "status": "吊销"}); r.status != http.StatusForbidden {
		t.Errorf("tax registers a new company with a status: %d %s", r.status, r.body)
	}
	if r := post(e.dept2, map[string]any{"code": fresh, "name": "福州新设有限公司"}); r.status != http.StatusCreated {
		t.Fatalf("tax registers a new company by name: %d %s", r.status, r.body)
	}
	// The registrar changes the status; the revision says who and what.
	if r := post(e.keys[credit.RoleDept], map[string]any{"code": orgCode, "name": orgName, "status": "吊销"}); r.status != http.StatusCreated {
		t.Fatalf("the registrar changes the status: %d %s", r.status, r.body)
	}
	if s := read(); s["status"] != "吊销" {
		t.Fatalf("status after the registrar's change: %v", s)
	}
	revs, err := e.st.SubjectRevisions(t.Context(), orgCode)
	if err != nil {
		t.Fatal(err)
	}
	last := revs[len(revs)-1]
	if last.Actor != "t-dept" || last.Dept != deptCode || len(last.Changes) != 1 ||
		last.Changes[0] != (credit.FieldChange{Field: "status", Old: "存续", New: "吊销"}) {
		t.Fatalf("last revision: %+v", last)
	}
	r := e.do(req{method: "GET", path: "/api/v1/subjects/" + orgCode + "/revisions", key: e.keys[credit.RoleAuditor]})
	if r.status != http.StatusOK || !strings.Contains(string(r.body), `"old": "存续"`) {
		t.Errorf("revisions through the API: %d %s", r.status, r.body)
	}

	// A known person, registered again under another name: the answer
	// names no one.
	r = post(e.keys[credit.RoleDept], map[string]any{"kind": "person", "name": "随便一个名字", "id_number": personID})
	if r.status != http.StatusOK || strings.Contains(string(r.body), personName) || !strings.Contains(string(r.body), e.person.ID) ||
		!strings.Contains(string(r.body), `"existing": true`) {
		t.Errorf("registering a known person: %d %s", r.status, r.body)
	}
}

// TestPersonsNeedToKnow: natural persons are never found by name, by
// anyone; by exact ID number only by the roles that read persons, with a
// purpose, audited; a person's page is shown to those roles with a
// purpose, to an auditor masked, and to no one else. Before, a business
// system listed every demo person by surname.
func TestPersonsNeedToKnow(t *testing.T) {
	e := newEnv(t)
	byName := "/api/v1/subjects?q=" + url.QueryEscape(personName[:3]) // the surname
	byNumber := "/api/v1/subjects?q=" + personID
	page := "/api/v1/subjects/" + e.person.ID
	for _, role := range credit.Roles {
		key := e.keys[role]
		name := string(role)
		if r := e.do(req{method: "GET", path: byName, key: key}); strings.Contains(string(r.body), e.person.ID) {
			t.Errorf("%s finds the person by surname: %s", name, r.body)
		}
		withPurpose := e.do(req{method: "GET", path: byNumber, key: key, purpose: "核查" + name})
		noPurpose := e.do(req{method: "GET", path: byNumber, key: key})
		pageWith := e.do(req{method: "GET", path: page, key: key, purpose: "核查" + name})
		pageWithout := e.do(req{method: "GET", path: page, key: key})
		switch {
		case auth.ReadsPersons(role):
			if withPurpose.status != http.StatusOK || !strings.Contains(string(withPurpose.body), e.person.ID) {
				t.Errorf("%s by number with a purpose: %d %s", name, withPurpose.status, withPurpose.body)
			}
			if noPurpose.status != http.StatusBadRequest || pageWithout.status != http.StatusBadRequest {
				t.Errorf("%s without a purpose: search %d, page %d", name, noPurpose.status, pageWithout.status)
			}
			if pageWith.status != http.StatusOK || !strings.Contains(string(pageWith.body), personName) {
				t.Errorf("%s reads the person with a purpose: %d %s", name, pageWith.status, pageWith.body)
			}
			if !e.auditHas(credit.AuditEntry{Actor: e.names[role], Target: e.person.ID, Purpose: "核查" + name, Outcome: auth.OutcomeOK}) {
				t.Errorf("%s's read of the person is not audited with its purpose", name)
			}
		case role == credit.RoleAuditor:
			if pageWith.status != http.StatusOK || strings.Contains(string(pageWith.body), personName) || strings.Contains(string(pageWith.body), `"region"`) {
				t.Errorf("auditor reads the person: %d %s", pageWith.status, pageWith.body)
			}
			fallthrough
		default:
			if withPurpose.status == http.StatusOK || strings.Contains(string(withPurpose.body), e.person.ID) {
				t.Errorf("%s finds the person by number: %d %s", name, withPurpose.status, withPurpose.body)
			}
			if role != credit.RoleAuditor && (pageWith.status != http.StatusNotFound || strings.Contains(string(pageWith.body), personName)) {
				t.Errorf("%s reads the person's page: %d %s", name, pageWith.status, pageWith.body)
			}
			if r := e.do(req{method: "GET", path: page + "/records", key: key, purpose: "核查" + name}); role == credit.RoleInstitution && r.status != http.StatusNotFound {
				t.Errorf("an institution reads the person's file without an authorisation: %d %s", r.status, r.body)
			}
		}
	}
}
