package server_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/records"
	"github.com/xinyong/xinyong/internal/server"
)

// compact removes the indentation of a JSON answer (HTML passes through).
func compact(t *testing.T, b []byte) string {
	t.Helper()
	var buf bytes.Buffer
	if err := json.Compact(&buf, b); err != nil {
		return string(b)
	}
	return buf.String()
}

// TestPublicationThroughAPI checks that every front door asks the
// publication engine: the public file, the role-dependent file, the lists
// and the index-backed search, in the API and the portal.
func TestPublicationThroughAPI(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	today := e.clock.Date(-3)
	// A blacklist entry for the organisation, and one for the person.
	list := func(subject, name, kind, doc string, extra credit.Fields) {
		t.Helper()
		f := credit.Fields{"yz_mc": name, "yz_lb": kind, "yz_md": "samr_serious_illegal", "yz_lrsy": "提供虚假材料",
			"yz_rdyj": "《市场监督管理严重违法失信名单管理办法》第十条", "yz_wsh": doc, "yz_lrrq": today,
			"yz_rdjg": "福州市市场监督管理局", "yz_rdjgdm": authorityCode}
		for k, v := range extra {
			f[k] = v
		}
		if _, _, err := e.svc.Append(ctx, records.Report{Item: "serious_dishonest_list", Dept: "SAMR-350100", SubjectID: subject, Fields: f}); err != nil {
			t.Fatal(err)
		}
	}
	list(orgCode, orgName, "法人及非法人组织", "榕市监列〔2026〕1号", credit.Fields{"yz_shxym": orgCode, "yz_frdb": "张三"})
	list(e.person.ID, personName, "自然人", "榕市监列〔2026〕2号", credit.Fields{"yz_zjlx": "身份证", "yz_zjhm": personID})
	e.appendRecord(e.keys[credit.RoleDept]) // a penalty

	// Public file: sections, the list entry with its source and end, no person.
	r := e.do(req{method: "GET", path: "/api/v1/subjects/" + orgCode + "/public"})
	if r.status != http.StatusOK {
		t.Fatalf("public file: %d %s", r.status, r.body)
	}
	body := compact(t, r.body)
	for _, want := range []string{`"code":"blacklist"`, "提供虚假材料", `"source":"福州市市场监督管理局"`, `"published_until"`, `"code":"evaluation"`, `"placeholder":true`, "查询期内无相关信息"} {
		if !strings.Contains(body, want) {
			t.Errorf("public file lacks %s", want)
		}
	}
	if r := e.do(req{method: "GET", path: "/api/v1/subjects/" + e.person.ID + "/public"}); r.status != http.StatusNotFound {
		t.Errorf("a person's public file: %d", r.status)
	}

	// Lists: the organisation is on the black list, the person is not.
	r = e.do(req{method: "GET", path: "/api/v1/lists/black"})
	if r.status != http.StatusOK || !strings.Contains(compact(t, r.body), orgName) || strings.Contains(compact(t, r.body), "王") {
		t.Errorf("black list: %d %s", r.status, r.body)
	}
	if r := e.do(req{method: "GET", path: "/api/v1/lists/grey"}); r.status != http.StatusNotFound {
		t.Errorf("unknown list: %d", r.status)
	}
	page := e.do(req{method: "GET", path: "/lists/black"})
	if page.status != http.StatusOK || !strings.Contains(compact(t, page.body), orgName) {
		t.Errorf("black list page: %d", page.status)
	}

	// The file by role: a department reads as government sharing (masked
	// ID numbers, no raw chains); the administrator reads everything.
	r = e.do(req{method: "GET", path: "/api/v1/subjects/" + e.person.ID + "/records", key: e.keys[credit.RoleDept], purpose: "联合惩戒核查"})
	if r.status != http.StatusOK {
		t.Fatalf("dept file: %d %s", r.status, r.body)
	}
	if b := compact(t, r.body); !strings.Contains(b, `"audience":"gov"`) || strings.Contains(b, `"records"`) || strings.Contains(b, personID) || !strings.Contains(b, "110105********002X") {
		t.Errorf("dept view of a person: %s", b)
	}
	r = e.do(req{method: "GET", path: "/api/v1/subjects/" + e.person.ID + "/records", key: e.keys[credit.RoleAdmin], purpose: "复核"})
	if b := compact(t, r.body); !strings.Contains(b, `"audience":"admin"`) || !strings.Contains(b, `"records"`) {
		t.Errorf("admin view: %s", b)
	}

	// Search: two characters, a code prefix; persons never.
	r = e.do(req{method: "GET", path: "/api/v1/search?q=" + "示例"})
	if b := compact(t, r.body); r.status != 200 || !strings.Contains(b, orgCode) || !strings.Contains(b, `"match":"substring"`) {
		t.Errorf("search 示例: %d %s", r.status, b)
	}
	r = e.do(req{method: "GET", path: "/api/v1/search?q=" + orgCode[:10]})
	if b := compact(t, r.body); !strings.Contains(b, `"match":"code_prefix"`) {
		t.Errorf("code prefix search: %s", b)
	}
	r = e.do(req{method: "GET", path: "/api/v1/search?q=" + "小明"})
	if b := compact(t, r.body); strings.Contains(b, e.person.ID) {
		t.Errorf("person found by search: %s", b)
	}
	if r := e.do(req{method: "GET", path: "/api/v1/search?q=x&limit=0"}); r.status != http.StatusBadRequest {
		t.Errorf("limit 0: %d", r.status)
	}

	// A subject registered through the service is searchable at once.
	if _, err := e.svc.PutOrganisation(ctx, records.Organisation{Code: "91350100M000100Y43", Name: "福州示例科技有限公司", FormerNames: []string{"福州宁德示例厂"}}); err != nil {
		t.Fatal(err)
	}
	r = e.do(req{method: "GET", path: "/api/v1/search?q=" + "宁德"})
	if b := compact(t, r.body); !strings.Contains(b, `"former":true`) {
		t.Errorf("former name after re-registration: %s", b)
	}
	if r := e.do(req{method: "GET", path: "/search?q=%E5%AE%81%E5%BE%B7"}); !strings.Contains(compact(t, r.body), orgName) {
		t.Errorf("portal search 宁德 misses the subject")
	}
}

// TestCheckOnlyNode: a node started without the name index answers the
// portal's search by scanning the store, refuses the index's ranked
// search with 503 (a load balancer sends those to full nodes), and checks
// as any node does.
func TestCheckOnlyNode(t *testing.T) {
	e := newEnvWith(t, func(d *server.Deps) { d.Search = nil })
	if r := e.do(req{method: "GET", path: "/api/v1/search?q=" + "示例"}); r.status != http.StatusServiceUnavailable || r.errKind(t) != "unavailable" {
		t.Errorf("ranked search on a check-only node: %d %s", r.status, r.body)
	}
	if r := e.do(req{method: "GET", path: "/search?q=%E7%A4%BA%E4%BE%8B"}); r.status != http.StatusOK || !strings.Contains(string(r.body), "福州<mark>示例</mark>科技有限公司") {
		t.Errorf("portal search 示例 on a check-only node: %d", r.status)
	}
	acc, err := e.st.Account(t.Context(), e.names[credit.RoleBusiness])
	if err != nil {
		t.Fatal(err)
	}
	if err := e.sanc.SetMatters(t.Context(), acc, []string{"gov_procurement"}); err != nil {
		t.Fatal(err)
	}
	r := e.do(req{method: "POST", path: "/api/v1/checks", key: e.keys[credit.RoleBusiness],
		body: map[string]any{"matter": "gov_procurement", "subjects": []map[string]string{{"code": orgCode}}}})
	if r.status != http.StatusOK || !strings.Contains(compact(t, r.body), orgCode) {
		t.Errorf("check on a check-only node: %d %s", r.status, r.body)
	}
}
