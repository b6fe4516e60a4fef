package server_test

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xinyong/xinyong/internal/chinatime"
	"github.com/xinyong/xinyong/internal/commit"
	"github.com/xinyong/xinyong/internal/credit"
)

// TestCommitmentPortal takes a commitment and a declaration through the
// portal's forms: the subject signs a 容缺受理 commitment (its eligibility
// shown first), is refused for a matter that takes none and when
// ineligible (each refusal audited), declares an honour; the unit's
// queue shows the commitment overdue, a breach without a document is
// refused on the page, the breach with one settles it; the statistics
// page draws its charts with classes, never inline styles, and gives the
// workbook; the subject page shows the declaration apart, labelled. Every
// page is checked in both languages: no English on a Chinese page, no raw
// code where a name exists, refusals in the page's language.
func TestCommitmentPortal(t *testing.T) {
	e := newEnv(t)
	subject := []*http.Cookie{e.apiSession(e.names[credit.RoleSubject])}
	unit := []*http.Cookie{e.apiSession(e.names[credit.RoleDept])}
	page := func(path string, who []*http.Cookie) resp {
		t.Helper()
		r := e.do(req{method: "GET", path: path, cookies: who})
		if r.status != http.StatusOK {
			t.Fatalf("%s: %d\n%s", path, r.status, r.body)
		}
		return r
	}
	post := func(from, to string, vals url.Values, who []*http.Cookie) resp {
		t.Helper()
		token, jar := e.formToken(from, who)
		vals.Set("csrf", token)
		return e.postForm(to, vals, jar)
	}

	// The form shows the filled template and the subject's eligibility.
	form := "/my/commitments/new?matter=licence_approval&kind=rongque&unit=" + deptCode
	r := page(form, subject)
	text := visibleText(r.body)
	if !strings.Contains(text, "福州市市场监督管理局") || !strings.Contains(text, "本主体符合该事项容缺受理条件") || !strings.Contains(text, orgName) {
		t.Fatalf("form:\n%s", text)
	}
	r = post(form, "/my/commitments", url.Values{"matter": {"licence_approval"}, "kind": {"rongque"}, "unit": {deptCode},
		"materials": {"消防验收意见书\n环境影响评价批复"}, "signer": {"张三"}, "signer_role": {"法定代表人"}, "accept": {"yes"}}, subject)
	loc := r.header.Get("Location")
	if r.status != http.StatusSeeOther || !strings.HasPrefix(loc, "/my/commitments/") {
		t.Fatalf("sign: %d %s", r.status, r.body)
	}
	id := strings.TrimPrefix(loc, "/my/commitments/")
	if r := page(loc, subject); !strings.Contains(visibleText(r.body), "消防验收意见书") || !strings.Contains(visibleText(r.body), "待履行") {
		t.Errorf("signed commitment page:\n%s", visibleText(r.body))
	}
	if !e.auditHas(credit.AuditEntry{Actor: e.names[credit.RoleSubject], Action: "commitment.sign", Outcome: "ok", Target: orgCode}) {
		t.Error("signing not audited")
	}

	// Refusals on the portal: a matter that takes no commitment, and (once
	// the first is overdue) an ineligible subject.
	r = e.do(req{method: "GET", path: "/my/commitments/new?matter=fin_company_setup&kind=approval", cookies: subject})
	if r.status != http.StatusUnprocessableEntity || !strings.Contains(visibleText(r.body), "不适用信用承诺") {
		t.Errorf("a matter that takes none: %d\n%s", r.status, visibleText(r.body))
	}
	if !e.auditHas(credit.AuditEntry{Actor: e.names[credit.RoleSubject], Action: "commitment.sign", Outcome: "denied", Target: orgCode}) {
		t.Error("the refusal is not audited")
	}

	// A declaration with its file.
	token, jar := e.formToken("/my/declarations", subject)
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, v := range map[string]string{"csrf": token, "kind": "honour", "issuer": deptCode, "title": "守合同重信用企业", "number": "榕市监〔2025〕18号",
		"issued_on": "2025-06-01", "accept": "yes"} {
		mw.WriteField(k, v)
	}
	fw, _ := mw.CreateFormFile("evidence", "证书.pdf")
	fw.Write(pdf)
	mw.Close()
	r = e.do(req{method: "POST", path: "/my/declarations", raw: body.Bytes(), cookies: jar,
		header: map[string]string{"Content-Type": mw.FormDataContentType(), "Origin": e.srv.URL}})
	if r.status != http.StatusSeeOther {
		t.Fatalf("declare: %d %s", r.status, visibleText(r.body))
	}
	if r := page("/subjects/"+orgCode+"?tab=self-declared", nil); !strings.Contains(visibleText(r.body), "守合同重信用企业") || !bytes.Contains(r.body, []byte(`id="self-declared"`)) {
		t.Errorf("the subject page lacks the declaration:\n%s", visibleText(r.body))
	}

	// Overdue: the unit's queue, then an escalation.
	c, err := e.node.Commit.Commitment(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	e.clock.Set(chinatime.EndOfDay(c.Due).Add(time.Hour))
	if _, err := e.node.Commit.Sweep(t.Context()); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(10 * 24 * time.Hour)
	if n, err := e.node.Commit.Sweep(t.Context()); err != nil || n != 1 {
		t.Fatalf("escalation: %d %v", n, err)
	}
	subject, unit = []*http.Cookie{e.apiSession(e.names[credit.RoleSubject])}, []*http.Cookie{e.apiSession(e.names[credit.RoleDept])}
	r = page("/console/commitments?state=overdue", unit)
	if !bytes.Contains(r.body, []byte(`data-commitment="`+id+`" class="overdue"`)) || !strings.Contains(visibleText(r.body), "已报信用办督办") {
		t.Errorf("overdue queue:\n%s", visibleText(r.body))
	}
	r = post(form, "/my/commitments", url.Values{"matter": {"licence_approval"}, "kind": {"rongque"}, "unit": {deptCode},
		"materials": {"图纸"}, "accept": {"yes"}}, subject)
	if r.status != http.StatusUnprocessableEntity || !strings.Contains(visibleText(r.body), "逾期，尚未履行") {
		t.Errorf("ineligible: %d\n%s", r.status, visibleText(r.body))
	}

	// The unit decides; without a document it is refused on the page.
	detail := "/console/commitments/" + id
	r = post(detail, detail, url.Values{"action": {"break"}, "reason": {"逾期未补交"}}, unit)
	if r.status != http.StatusUnprocessableEntity || !strings.Contains(visibleText(r.body), "决定书文号") {
		t.Errorf("a breach without document: %d\n%s", r.status, visibleText(r.body))
	}
	r = post(detail, detail, url.Values{"action": {"break"}, "doc_no": {"榕市监违诺〔2026〕5号"}, "reason": {"逾期未补交"}, "finding": {"unperformed"}}, unit)
	if r.status != http.StatusSeeOther {
		t.Fatalf("break: %d\n%s", r.status, visibleText(r.body))
	}
	if c, _ := e.node.Commit.Commitment(t.Context(), id); c.State != commit.StateBroken {
		t.Errorf("state %s", c.State)
	}
	// Another department's officer does not find it.
	other := []*http.Cookie{e.apiSession("t-dept2")}
	if r := e.do(req{method: "GET", path: detail, cookies: other}); r.status != http.StatusNotFound {
		t.Errorf("another unit's page: %d", r.status)
	}

	// The statistics: charts drawn with the style sheet's classes.
	r = page("/console/commitments/stats", unit)
	if !bytes.Contains(r.body, []byte(`<svg`)) || !bytes.Contains(r.body, []byte(`class="series-3"`)) || bytes.Contains(r.body, []byte(`style=`)) {
		t.Errorf("stats page:\n%s", r.body)
	}
	x := e.do(req{method: "GET", path: "/console/commitments/stats.xlsx", cookies: unit})
	if x.status != 200 || !strings.HasPrefix(x.header.Get("Content-Type"), "application/vnd.openxmlformats") || !bytes.HasPrefix(x.body, []byte("PK")) {
		t.Errorf("workbook: %d %s", x.status, x.header)
	}

	// Every page in both languages.
	decls, _ := e.node.Commit.Declarations(t.Context(), orgCode, "")
	if len(decls) != 1 {
		t.Fatalf("declarations %+v", decls)
	}
	pages := []struct {
		name, path string
		who        []*http.Cookie
		refusal    bool
	}{
		{"my commitments", "/my/commitments", subject, false},
		{"sign form", "/my/commitments/new?matter=licence_approval&kind=approval&unit=" + deptCode, subject, false},
		{"sign form, ineligible", form, subject, true},
		{"a matter that takes none", "/my/commitments/new?matter=fin_company_setup&kind=approval", subject, true},
		{"my commitment", "/my/commitments/" + id, subject, false},
		{"my declarations", "/my/declarations", subject, false},
		{"subject page", "/subjects/" + orgCode, nil, false},
		{"queue", "/console/commitments", unit, false},
		{"commitment", detail, unit, false},
		{"stats", "/console/commitments/stats", unit, false},
		{"declarations to check", "/console/declarations", unit, false},
		{"declaration", "/console/declarations/" + decls[0].ID, unit, false},
		{"console", "/console", unit, false},
	}
	codes := e.rawCodes()
	for _, k := range e.cat.Commitments.Kinds {
		codes[k.Code] = true
	}
	for _, k := range e.cat.Commitments.Declarations.Kinds {
		codes[k.Code] = true
	}
	for s := range commit.StateNames {
		codes[s] = true
	}
	for f := range commit.FindingNames {
		codes[f] = true
	}
	for _, lang := range []string{"zh", "en"} {
		cookie := &http.Cookie{Name: "lang", Value: lang}
		for _, p := range pages {
			r := e.do(req{method: "GET", path: p.path, cookies: append(slices.Clone(p.who), cookie)})
			if r.status >= 500 || r.status == http.StatusNotFound || r.status == http.StatusForbidden {
				t.Errorf("%s (%s): %d\n%s", p.name, lang, r.status, r.body)
				continue
			}
			text := visibleText(r.body)
			says := refusals(r.body)
			if p.refusal && len(says) == 0 {
				t.Errorf("%s (%s): no refusal shown\n%s", p.name, lang, text)
			}
			switch lang {
			case "zh":
				if m := englishWords.FindAllString(uuidRE.ReplaceAllString(text, ""), -1); len(m) > 0 {
					t.Errorf("%s: English on a Chinese page: %q", p.name, m)
				}
				if m := codes.in(text, false); len(m) > 0 {
					t.Errorf("%s: raw codes on a Chinese page: %q", p.name, m)
				}
				for _, s := range says {
					if !strings.ContainsFunc(s, isHan) {
						t.Errorf("%s: a refusal not in Chinese: %q", p.name, s)
					}
				}
			case "en":
				if m := codes.in(text, true); len(m) > 0 {
					t.Errorf("%s: raw codes on an English page: %q", p.name, m)
				}
				for _, s := range says {
					if !englishSentence.MatchString(s) {
						t.Errorf("%s: a refusal not in English: %q", p.name, s)
					}
				}
			}
		}
	}
	if !regexp.MustCompile(`自主申报`).Match(page("/subjects/"+orgCode+"?tab=self-declared", nil).body) {
		t.Error("the declaration is not labelled 自主申报")
	}
}
