package server_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/xinyong/xinyong/internal/chinatime"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/records"
)

// TestRegistrationRecordsSetRegistrationData: a registration file the
// market regulator uploads sets its organisations' registration data (name,
// legal representative, status, registration date) through the one home of
// who may change it, with a revision naming the department. The API's
// subject, its revisions and the public subject page then say the same. A
// registration record of an organisation the regulator does not register
// (a social organisation, registered by civil affairs) stays a record and
// changes nothing.
func TestRegistrationRecordsSetRegistrationData(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	const social = "513501007076507957" // registered by civil affairs ('5')
	if _, err := e.svc.PutOrganisation(ctx, records.Organisation{Code: social, Name: "福州示例协会", LegalRep: "王五", Status: "存续"}); err != nil {
		t.Fatal(err)
	}
	row := func(code, name, rep, status, founded string) string {
		b, _ := json.Marshal(map[string]string{"dj_mc": name, "dj_shxym": code, "dj_lb": "法人及非法人组织", "dj_frdb": rep,
			"dj_clrq": founded, "dj_djjg": "福州市市场监督管理局", "dj_djzt": status})
		return string(b) + "\n"
	}
	file := row(orgCode, "福州新示例科技有限公司", "李四", "吊销", "2016-03-02") + row(social, "福州示例协会", "赵六", "注销", "2018-01-01")
	key := e.keys[credit.RoleDept]
	b := e.upload(key, "item=registration&file_name=registration.jsonl", "application/x-ndjson", []byte(file))
	done := e.waitBatch(key, b["id"].(string))
	if done["status"] != "done" {
		t.Fatalf("batch: %v", done)
	}
	if err := e.node.Sync(ctx); err != nil {
		t.Fatal(err)
	}

	got, err := e.st.Subject(ctx, orgCode)
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != "福州新示例科技有限公司" || got.LegalRep != "李四" || got.Status != "吊销" || chinatime.Format(got.RegisteredOn) != "2016-03-02" {
		t.Errorf("registration data after the regulator's file: %+v", got)
	}
	if !strings.Contains(strings.Join(got.FormerNames, ","), orgName) {
		t.Errorf("the former name %s was not kept: %v", orgName, got.FormerNames)
	}
	revs, err := e.st.SubjectRevisions(ctx, orgCode)
	if err != nil {
		t.Fatal(err)
	}
	last := revs[len(revs)-1]
	fields := map[string]string{}
	for _, c := range last.Changes {
		fields[c.Field] = c.New
	}
	if last.Dept != deptCode || fields["legal_rep"] != "李四" || fields["status"] != "吊销" || fields["name"] != "福州新示例科技有限公司" {
		t.Errorf("last revision: %+v", last)
	}

	// Every place that shows the subject says the same.
	r := e.do(req{method: "GET", path: "/api/v1/subjects/" + orgCode, key: e.keys[credit.RoleAdmin]})
	if r.status != http.StatusOK || !strings.Contains(string(r.body), `"legal_rep": "李四"`) || !strings.Contains(string(r.body), `"status": "吊销"`) {
		t.Errorf("the API's subject: %d %s", r.status, r.body)
	}
	r = e.do(req{method: "GET", path: "/api/v1/subjects/" + orgCode + "/revisions", key: e.keys[credit.RoleAuditor]})
	if r.status != http.StatusOK || !strings.Contains(string(r.body), `"new": "李四"`) {
		t.Errorf("the API's revisions: %d %s", r.status, r.body)
	}
	page := e.get("/subjects/" + orgCode)
	if page.status != http.StatusOK || !strings.Contains(string(page.body), "福州新示例科技有限公司") || !strings.Contains(string(page.body), "李四") {
		t.Errorf("the public subject page does not show the new registration data: %d", page.status)
	}

	// Not the regulator's organisation: the record is stored, the data
	// stays the registrar's.
	soc, err := e.st.Subject(ctx, social)
	if err != nil {
		t.Fatal(err)
	}
	if soc.LegalRep != "王五" || soc.Status != "存续" {
		t.Errorf("the regulator's record changed a social organisation's registration data: %+v", soc)
	}
	recs, err := e.st.RecordsBySubjects(ctx, []string{social})
	if err != nil || len(recs[social]) != 1 {
		t.Errorf("the social organisation's registration record: %v %v", recs[social], err)
	}

	// Applying again changes nothing.
	if n, err := e.svc.SyncRegistrations(ctx, e.st); err != nil || n != 0 {
		t.Errorf("second sync: %d %v", n, err)
	}

	// The first sync found the records by item (no cursor yet); a later
	// file is found through the change feed.
	b = e.upload(key, "item=registration&file_name=registration2.jsonl", "application/x-ndjson",
		[]byte(row(orgCode, "福州新示例科技有限公司", "孙七", "注销", "2016-03-02")))
	if done := e.waitBatch(key, b["id"].(string)); done["status"] != "done" {
		t.Fatalf("second batch: %v", done)
	}
	if n, err := e.svc.SyncRegistrations(ctx, e.st); err != nil || n != 1 {
		t.Errorf("sync after the second file: %d %v, want 1 subject changed", n, err)
	}
	if got, err := e.st.Subject(ctx, orgCode); err != nil || got.LegalRep != "孙七" || got.Status != "注销" {
		t.Errorf("after the second file: %+v %v", got, err)
	}
}
