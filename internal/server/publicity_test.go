package server_test

import (
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/xinyong/xinyong/internal/credit"
)

var pubRowRE = regexp.MustCompile(`<article class="entry" id="rec-([^"]+)">`)

// TestPublicity: the 双公示 search finds penalties and licences by
// document number, department and decision date through the publication
// engine: a revoked penalty is not shown, a corrected one shows its
// correction, the fields are the public ones.
func TestPublicity(t *testing.T) {
	e := newEnv(t)
	dept := e.keys[credit.RoleDept]
	post := func(body map[string]any) string {
		t.Helper()
		return e.recordID(e.do(req{method: "POST", path: "/api/v1/records", key: dept, body: body}))
	}
	pen := func(doc, content string) map[string]any {
		return map[string]any{"item": "admin_penalty", "subject_id": orgCode, "fields": e.penaltyFields(doc, content)}
	}
	kept := post(pen("榕市监罚〔2026〕101号", "罚款人民币1万元"))
	revoked := post(pen("榕市监罚〔2026〕102号", "罚款人民币2万元"))
	corrected := post(pen("榕市监罚〔2026〕103号", "罚款人民币3万元"))
	if r := e.do(req{method: "POST", path: "/api/v1/records/" + revoked + "/revocations", key: dept, body: map[string]any{"reason": "行政复议撤销"}}); r.status != http.StatusCreated {
		t.Fatalf("revoke: %d %s", r.status, r.body)
	}
	if r := e.do(req{method: "POST", path: "/api/v1/records/" + corrected + "/corrections", key: dept,
		body: map[string]any{"reason": "金额录入错误", "fields": e.penaltyFields("榕市监罚〔2026〕103号", "罚款人民币3000元")}}); r.status != http.StatusCreated {
		t.Fatalf("correct: %d %s", r.status, r.body)
	}
	licence := post(map[string]any{"item": "admin_licence", "subject_id": orgCode, "fields": credit.Fields{
		"xk_xdr_mc": orgName, "xk_xdr_lb": "法人及非法人组织", "xk_xdr_shxym": orgCode, "xk_frdb": "张三",
		"xk_xkws": "食品经营许可证", "xk_wsh": "榕市监许〔2026〕8号", "xk_xklb": "普通", "xk_nr": "预包装食品销售",
		"xk_jdrq": e.clock.Date(-5), "xk_yxqz": e.clock.Date(-5), "xk_yxqzi": "2031-01-01", "xk_xkjg": "福州市市场监督管理局",
		"xk_xkjgdm": authorityCode, "xk_zt": "有效", "xk_lydw": "福州市市场监督管理局", "xk_lydwdm": authorityCode,
	}})

	search := func(query string) (ids []string, body string) {
		t.Helper()
		r := e.get("/publicity?" + query)
		if r.status != http.StatusOK {
			t.Fatalf("%s: %d", query, r.status)
		}
		for _, m := range pubRowRE.FindAllStringSubmatch(string(r.body), -1) {
			ids = append(ids, m[1])
		}
		return ids, visibleText(r.body)
	}
	ids, text := search("kind=penalty&doc=" + url.QueryEscape("榕市监罚〔2026〕10"))
	// The corrected chain is shown by its correction (its current fact).
	if len(ids) != 2 || !slices.Contains(ids, kept) || slices.Contains(ids, revoked) || slices.Contains(ids, corrected) {
		t.Errorf("penalties by document number: %v, want %s and the correction of %s (not the revoked %s)", ids, kept, corrected, revoked)
	}
	if !strings.Contains(text, "罚款人民币3000元") || strings.Contains(text, "罚款人民币3万元") || strings.Contains(text, "罚款人民币2万元") {
		t.Errorf("the page shows the revoked penalty or the corrected one's old content:\n%s", text)
	}
	if ids, _ := search("kind=licence&dept=" + deptCode); len(ids) != 1 || ids[0] != licence {
		t.Errorf("licences of %s: %v, want %s", deptCode, ids, licence)
	}
	if ids, _ := search("kind=licence&dept=" + dept2Code); len(ids) != 0 {
		t.Errorf("licences of %s: %v, want none", dept2Code, ids)
	}
	if ids, _ := search("kind=penalty&from=2000-01-01&to=2000-12-31"); len(ids) != 0 {
		t.Errorf("penalties of 2000: %v", ids)
	}
	if ids, _ := search("kind=penalty&from=" + e.clock.Date(-10) + "&to=" + e.clock.Date(-10)); len(ids) != 2 {
		t.Errorf("penalties decided on %s: %v, want 2", e.clock.Date(-10), ids)
	}
	// The English page names the department in English.
	r := e.do(req{method: "GET", path: "/publicity?kind=licence&lang=en"})
	if strings.Contains(visibleText(r.body), "市场监督管理局") {
		t.Errorf("the English page names the department in Chinese:\n%s", visibleText(r.body))
	}
}
