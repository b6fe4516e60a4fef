package server_test

import (
	"bytes"
	"encoding/json"
	"html"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/sanction"
	"github.com/xinyong/xinyong/internal/workflow"
)

// TestPagesInTheirLanguage renders the main pages of the portal and the
// console in Chinese and in English, with the refusals a person meets on
// them: the subject page, the public lists, the complete file, the
// subject's cases with an ineligible repair and refused objections, the
// tracking page with a refused upload, the console's case queue and a case
// with an escalation and a refused step, the quality page with a batch and
// the list decisions. A Chinese page must say nothing in English sentences
// and show no raw code of the catalogue or of the workflows where a name
// exists; on an English page every refusal and reason is in English.
func TestPagesInTheirLanguage(t *testing.T) {
	e := newEnv(t)
	wf := e.node.Workflow // the node's own workflow service, to run its sweep
	ctx := t.Context()
	dept := e.keys[credit.RoleDept]

	// The subject's records: a 20万元 fine of the market regulator (一般,
	// inside its minimum publication period: not repairable yet) and a
	// small one to object to.
	body := e.recordBody(orgCode)
	body["fields"].(credit.Fields)["cf_nr_fk"] = "20"
	general := e.recordID(e.do(req{method: "POST", path: "/api/v1/records", key: dept, body: body}))
	objected := e.appendRecord(dept)

	// Lists: a subject listed after notice, and a proposal withdrawn.
	fx := e.sanctionSetup()
	if _, err := e.sanc.Remove(ctx, matrixAdmin, e.proposed(credit.RoleAdmin).ID, sanction.RemovalInput{Reason: sanction.RemoveWithdrawn}); err != nil {
		t.Fatal(err)
	}

	// A batch with a rejected row (a decision date in the future).
	future := e.penaltyFields("榕市监罚〔2026〕w1号", "罚款人民币1万元")
	future["cf_jdrq"] = "2030-01-01"
	line, _ := json.Marshal(future)
	b := e.upload(dept, "item=admin_penalty&file_name=penalties.jsonl", "application/x-ndjson", append(e.batchFile(1), append(line, '\n')...))
	batchID, _ := b["id"].(string)
	if got := e.waitBatch(dept, batchID); got["status"] != "done" {
		t.Fatalf("batch: %v", got)
	}

	subject := []*http.Cookie{e.apiSession(e.names[credit.RoleSubject])}
	unit := []*http.Cookie{e.apiSession(e.names[credit.RoleDept])}

	// An objection, refused by the unit; a second one, left to run late
	// (the platform escalates it).
	first := e.object(subject, objected)
	c1 := e.openObjection(objected)
	token, jar := e.formToken("/console/cases/"+c1.ID, unit)
	if r := e.postForm("/console/cases/"+c1.ID, url.Values{"csrf": {token}, "action": {"refuse"}, "reason": {"异议材料与该信息无关"}}, jar); r.status != http.StatusSeeOther {
		t.Fatalf("refuse: %d %s", r.status, r.body)
	}
	second := e.object(subject, objected)
	c2 := e.openObjection(objected)
	e.clock.Advance(7 * 24 * time.Hour)
	if n, err := wf.Sweep(ctx); err != nil || n != 1 {
		t.Fatalf("sweep: %d %v", n, err)
	}
	// Signed in again a week later.
	subject, unit = []*http.Cookie{e.apiSession(e.names[credit.RoleSubject])}, []*http.Cookie{e.apiSession(e.names[credit.RoleDept])}
	admin := []*http.Cookie{e.apiSession(e.names[credit.RoleAdmin])}
	reviewer := []*http.Cookie{e.apiSession(e.names[credit.RoleReviewer])}

	type page struct {
		name string
		load func(lang []*http.Cookie) resp
	}
	get := func(path string, who []*http.Cookie) func([]*http.Cookie) resp {
		return func(lang []*http.Cookie) resp {
			return e.do(req{method: "GET", path: path, cookies: append(slices.Clone(who), lang...)})
		}
	}
	// post sends a form from the page it is on, in the page's language.
	post := func(from, to string, vals url.Values, who []*http.Cookie) func([]*http.Cookie) resp {
		return func(lang []*http.Cookie) resp {
			token, jar := e.formToken(from, append(slices.Clone(who), lang...))
			vals.Set("csrf", token)
			return e.postForm(to, vals, jar)
		}
	}
	// A report the subject drew and a grant it gave, so that its reports,
	// grants and reads pages show purposes and kinds.
	if r := e.do(req{method: "POST", path: "/api/v1/reports", key: e.keys[credit.RoleSubject], body: map[string]any{"kind": "public_credit", "purpose": "bidding"}}); r.status != http.StatusCreated {
		t.Fatalf("report: %d %s", r.status, r.body)
	}
	if r := e.do(req{method: "POST", path: "/api/v1/grants", key: e.keys[credit.RoleSubject], body: map[string]any{"recipient": e.names[credit.RoleInstitution],
		"purpose": "credit_approval", "scope_kind": "reports", "scope": []string{"indicators"}, "days": 30, "max_uses": 1}}); r.status != http.StatusCreated {
		t.Fatalf("grant: %d %s", r.status, r.body)
	}
	pages := []page{
		{"my reports", get("/my/reports", subject)},
		{"my grants", get("/my/grants", subject)},
		{"who read my data", get("/my/reads", subject)},
		{"subject page", get("/subjects/"+orgCode, nil)},
		{"listed subject's page", get("/subjects/"+fx.listed, nil)},
		{"black list", get("/lists/black", nil)},
		{"red list", get("/lists/red", nil)},
		{"complete file", get("/subjects/"+orgCode+"/file", subject)},
		{"my cases", get("/my/cases", subject)},
		{"my refused case", get("/my/cases/"+c1.ID, subject)},
		{"repair form of an ineligible record", get("/my/repairs/new?record="+general, subject)},
		{"ineligible repair filed", post("/my/repairs/new?record="+general, "/my/repairs",
			url.Values{"record": {general}, "statement": {"已缴纳罚款"}}, subject)},
		{"objection refused while one runs", post("/my/objections/new?record="+objected, "/my/objections",
			url.Values{"record": {objected}, "reasons": {"金额有误"}}, subject)},
		{"tracking a refused objection", post("/track", "/track", url.Values{"code": {first}}, nil)},
		{"upload refused on the tracking page", func(lang []*http.Cookie) resp { return e.trackUpload(second, lang) }},
		{"case queue", get("/console/cases?kind=objection", unit)},
		{"case page", get("/console/cases/"+c2.ID, unit)},
		{"case step refused", post("/console/cases/"+c2.ID, "/console/cases/"+c2.ID, url.Values{"action": {"refuse"}}, unit)},
		{"console", get("/console", unit)},
		{"quality", get("/console/quality", admin)},
		{"exchange", get("/console/exchange", admin)},
		{"list decisions", get("/console/lists", reviewer)},
		{"a list's decisions", get("/console/lists?list="+matrixList, reviewer)},
		{"monitoring", get("/console/monitor", reviewer)},
		{"monitoring, a department's own by week", get("/console/monitor?period=week", unit)},
		{"self-service page", get("/subjects/"+orgCode+"/act/objection", nil)},
		{"subject's console", get("/console", subject)},
		{"administrator's console", get("/console", admin)},
		{"accounts", get("/console/admin/accounts", admin)},
		{"business account", get("/console/admin/accounts/"+e.names[credit.RoleBusiness], admin)},
		{"departments", get("/console/admin/departments", admin)},
		{"calendar", get("/console/admin/calendar", admin)},
		{"catalogue versions", get("/console/admin/catalog", admin)},
		{"home", get("/", nil)},
		{"a list type's page", get("/lists/"+matrixList, nil)},
		{"a list type's page, filtered", get("/lists/"+matrixList+"?region=350100&from=2020-01-01&q="+url.QueryEscape("公司"), nil)},
		{"a list entry's page", get("/lists/"+matrixList+"/"+fx.entry, nil)},
		{"site content console", get("/console/site", admin)},
		{"双公示 search, penalties", get("/publicity?kind=penalty&dept="+deptCode, nil)},
		{"双公示 search, licences", get("/publicity?kind=licence", nil)},
		{"search with a kind", get("/search?kind=org&q="+url.QueryEscape("福州"), nil)},
	}
	// Every tab of the subject pages, one section at a time.
	for _, tab := range []string{"blacklist", "penalties", "abnormal", "licences", "honesty", "commitments", "evaluation"} {
		pages = append(pages, page{"subject page, tab " + tab, get("/subjects/"+orgCode+"?tab="+tab, nil)},
			page{"listed subject's page, tab " + tab, get("/subjects/"+fx.listed+"?tab="+tab, nil)},
			page{"complete file, tab " + tab, get("/subjects/"+orgCode+"/file?tab="+tab, subject)})
	}
	refusing := []string{"repair form of an ineligible record", "ineligible repair filed", "objection refused while one runs",
		"upload refused on the tracking page", "case step refused"}
	codes := e.rawCodes()
	for _, lang := range []string{"zh", "en"} {
		cookie := []*http.Cookie{{Name: "lang", Value: lang}}
		for _, p := range pages {
			r := p.load(cookie)
			if r.status >= 500 || r.status == http.StatusNotFound || r.status == http.StatusForbidden {
				t.Errorf("%s (%s): %d\n%s", p.name, lang, r.status, r.body)
				continue
			}
			if !bytes.Contains(r.body, []byte(`<html lang="`+map[string]string{"zh": "zh-CN", "en": "en"}[lang]+`"`)) {
				t.Errorf("%s: not a page in %s", p.name, lang)
			}
			text := visibleText(r.body)
			says := refusals(r.body)
			if len(says) == 0 && slices.Contains(refusing, p.name) {
				t.Errorf("%s (%s): no refusal or reason shown\n%s", p.name, lang, text)
			}
			switch lang {
			case "zh":
				// An ID the platform gives (a grant's on the reads page)
				// is no English, though "7aed-cdd4" in one reads as two
				// words joined by a hyphen.
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

	// The pages above did show refusals and reasons (the test would pass
	// on pages that show none).
	for name, want := range map[string]string{
		"repair form of an ineligible record": "请于", "ineligible repair filed": "不符合申请信用修复的条件",
		"objection refused while one runs": "异议正在办理中", "upload refused on the tracking page": "请上传PDF、JPEG或PNG格式的文件",
		"case page": "超过办理时限", "case step refused": "不予受理或不予修复须说明理由", "list decisions": "已移出（列入前撤回）",
		"my refused case": "不予受理", "quality": "已完成", "exchange": "部门",
	} {
		i := slices.IndexFunc(pages, func(p page) bool { return p.name == name })
		if r := pages[i].load([]*http.Cookie{{Name: "lang", Value: "zh"}}); !strings.Contains(visibleText(r.body), want) {
			t.Errorf("%s does not say %q:\n%s", name, want, visibleText(r.body))
		}
	}

	// English pages name departments and registration authorities in
	// English (工商/市场监管, 市场监督管理局 are Chinese names).
	en := []*http.Cookie{{Name: "lang", Value: "en"}}
	for _, path := range []string{"/subjects/" + orgCode + "?tab=penalties", "/subjects/" + orgCode, "/lists/" + matrixList, "/lists/" + matrixList + "/" + fx.entry} {
		text := visibleText(e.do(req{method: "GET", path: path, cookies: en}).body)
		for _, zh := range []string{"工商", "市场监管", "市场监督管理局", "企业"} {
			if strings.Contains(text, zh) {
				t.Errorf("%s in English shows %q:\n%s", path, zh, text)
			}
		}
	}
	if text := visibleText(e.do(req{method: "GET", path: "/subjects/" + orgCode, cookies: en}).body); !strings.Contains(text, "Market regulation") {
		t.Errorf("the English subject page does not name the registration authority in English:\n%s", text)
	}

	// The rejects file gives its reasons in Chinese.
	rj := e.do(req{method: "GET", path: "/api/v1/batches/" + batchID + "/rejects", key: dept})
	if !strings.Contains(string(rj.body), "决定日期2030-01-01晚于今天") || englishWords.Match(rj.body) {
		t.Errorf("rejects file:\n%s", rj.body)
	}
}

// recordID is the ID of a record a POST /api/v1/records created.
func (e *env) recordID(r resp) string {
	e.t.Helper()
	if r.status != http.StatusCreated {
		e.t.Fatalf("append record: %d %s", r.status, r.body)
	}
	rec, _ := r.json(e.t)["record"].(map[string]any)
	id, _ := rec["id"].(string)
	return id
}

// object files an objection to record through the portal as the subject
// and returns its tracking code.
func (e *env) object(subject []*http.Cookie, record string) string {
	e.t.Helper()
	token, jar := e.formToken("/my/objections/new?record="+record, subject)
	r := e.postForm("/my/objections", url.Values{"csrf": {token}, "record": {record}, "reasons": {"罚款金额录入错误"}}, jar)
	m := regexp.MustCompile(`id="track-code">([A-Z0-9-]+)<`).FindSubmatch(r.body)
	if r.status != http.StatusCreated || m == nil {
		e.t.Fatalf("objection: %d %s", r.status, r.body)
	}
	return string(m[1])
}

// openObjection is the open objection case on record.
func (e *env) openObjection(record string) credit.Case {
	e.t.Helper()
	cs, err := e.st.Cases(e.t.Context(), credit.CaseFilter{Kind: credit.CaseObjection, OpenOnly: true})
	if err != nil {
		e.t.Fatal(err)
	}
	for _, c := range cs {
		if c.RecordID == record {
			return c
		}
	}
	e.t.Fatalf("no open objection on %s: %+v", record, cs)
	return credit.Case{}
}

// trackUpload sends a text file as evidence with the tracking code alone.
func (e *env) trackUpload(code string, lang []*http.Cookie) resp {
	e.t.Helper()
	token, jar := e.formToken("/track", lang)
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("csrf", token)
	mw.WriteField("code", code)
	fw, _ := mw.CreateFormFile("evidence", "notes.txt")
	fw.Write([]byte("整改情况说明\n"))
	mw.Close()
	return e.do(req{method: "POST", path: "/track/files", raw: body.Bytes(), cookies: jar,
		header: map[string]string{"Content-Type": mw.FormDataContentType(), "Origin": e.srv.URL}})
}

var (
	hidden     = regexp.MustCompile(`(?is)<(style|script|head)\b.*?</(style|script|head)>`)
	tag        = regexp.MustCompile(`(?s)<[^>]*>`)
	refusalTag = regexp.MustCompile(`(?is)<(p|div) class="(?:error|flag)"[^>]*role="(?:alert|status)"[^>]*>(.*?)</(?:p|div)>|<li data-code="[^"]*">(.*?)</li>`)
	// englishWords is English prose on a Chinese page: two or more words
	// of letters in a row. Codes, URLs, file names and document numbers
	// are no such run.
	englishWords = regexp.MustCompile(`[A-Za-z]{2,}(?:[ ,;:'’()-]+[A-Za-z]{2,})+`)
	// uuidRE is an ID the platform gives (a check's, an entry's): its hex
	// letters are no English words.
	uuidRE = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)
	// englishSentence is what an English refusal has: three words or more.
	englishSentence = regexp.MustCompile(`[A-Za-z]+(?:[ ,;:'’()-]+[A-Za-z]+){2,}`)
)

func isHan(r rune) bool { return unicode.Is(unicode.Han, r) }

// visibleText is what a reader sees of a page: its text without markup,
// attributes (a code may sit in a title) or styles.
func visibleText(page []byte) string {
	s := hidden.ReplaceAllString(string(page), " ")
	s = tag.ReplaceAllString(s, " ")
	return html.UnescapeString(s)
}

// refusals are the page's refusals, notices and reasons, as text.
func refusals(page []byte) []string {
	var out []string
	for _, m := range refusalTag.FindAllSubmatch(page, -1) {
		s := strings.TrimSpace(visibleText(append(m[2], m[3]...)))
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// codeSet holds the codes that have names: the catalogue's departments,
// items, lists, measures and matters, the case states and steps, the list
// steps and removal reasons, the batch statuses and the actors that are
// not accounts.
type codeSet map[string]bool

func (e *env) rawCodes() codeSet {
	cs := codeSet{}
	for _, d := range e.cat.Departments {
		cs[d.Code] = true
	}
	for _, it := range e.cat.Items {
		cs[it.Code] = true
	}
	for _, lt := range e.cat.Lists {
		cs[lt.Code] = true
	}
	for _, m := range e.cat.Measures {
		cs[m.Code] = true
	}
	for _, m := range e.cat.Matters {
		cs[m.Code] = true
	}
	for _, pu := range e.cat.Reports.Purposes {
		cs[pu.Code] = true
	}
	for _, c := range []string{
		workflow.StateSubmitted, workflow.StateRouted, workflow.StateRefused, workflow.StateVerifying, workflow.StateUpheld,
		workflow.StateDismissed, workflow.StateAwaiting, workflow.StateReviewing, workflow.StateRepaired, workflow.StateRevoked,
		workflow.StateMasking, workflow.StateMasked, workflow.StateRestored, workflow.StateCompleted, workflow.StateWithdrawn,
		"file", "route", "accept", "refuse", "extend", "uphold", "dismiss", "request_materials", "supplement",
		"approve", "false_commitment", "escalate", "mask", "end", "credit_office",
		string(credit.CaseObjection), string(credit.CaseRepair), string(credit.CaseBankruptcy),
		string(credit.StepProposed), string(credit.StepNoticed), string(credit.StepDecided), string(credit.StepRemoved),
		sanction.RemoveExpiry, sanction.RemoveRepair, sanction.RemoveRevocation, sanction.RemoveCorrection, sanction.RemoveWithdrawn,
		sanction.RemoveFulfilled, string(credit.BatchRunning), string(credit.BatchDone), string(credit.BatchFailed),
		workflow.Platform.Name, sanction.ExpiryActor,
	} {
		cs[c] = true
	}
	return cs
}

var codeToken = regexp.MustCompile(`[A-Za-z][A-Za-z0-9_:-]*[A-Za-z0-9]`)

// in returns the codes that text shows. English pages may use a word that
// is also a code ("done"): there only codes that no English word spells
// (SAMR-350100, admin_penalty, system:expiry) count.
func (cs codeSet) in(text string, english bool) []string {
	var out []string
	for _, tok := range codeToken.FindAllString(text, -1) {
		if cs[tok] && (!english || strings.ContainsAny(tok, "_-:0123456789")) {
			out = append(out, tok)
		}
	}
	return out
}

// TestRefusalsInBothLanguages: the API's refusals a person reads carry
// the message in Chinese beside the English one, from every part that
// makes them.
func TestRefusalsInBothLanguages(t *testing.T) {
	e := newEnv(t)
	fx := e.sanctionSetup()
	future := e.recordBody(orgCode)
	future["fields"].(credit.Fields)["cf_jdrq"] = "2030-01-01"
	bad := e.recordBody(orgCode)
	bad["fields"].(credit.Fields)["cf_jdrq"] = "2026"
	for _, tc := range []struct {
		name   string
		q      req
		status int
		en, zh string
		// noZhWord: the Chinese has no English words (a malformed body's
		// has the JSON decoder's own).
		noZhWord bool
	}{
		{"a future decision date", req{method: "POST", path: "/api/v1/records", key: e.keys[credit.RoleDept], body: future},
			http.StatusBadRequest, "decision date 2030-01-01 is in the future", "决定日期2030-01-01晚于今天", true},
		{"not a date", req{method: "POST", path: "/api/v1/records", key: e.keys[credit.RoleDept], body: bad},
			http.StatusBadRequest, `not a date: "2026"`, "“2026”不是有效日期", true},
		{"a reporter the item does not take", req{method: "POST", path: "/api/v1/records", key: e.keys[credit.RoleDept],
			body: map[string]any{"item": "court_defaulter", "subject_id": orgCode, "fields": credit.Fields{}}},
			http.StatusForbidden, "may not report", "只能由", true},
		{"a proposal without grounds", req{method: "POST", path: "/api/v1/lists/" + matrixList + "/entries", key: e.keys[credit.RoleAdmin],
			body: map[string]any{"subject_id": fx.listed, "basis_records": []string{"x"}}},
			http.StatusBadRequest, "state the grounds", "请填写列入事由", true},
		{"feedback on a measure not returned", req{method: "POST", path: "/api/v1/checks/" + fx.checkID + "/feedback", key: e.keys[credit.RoleBusiness],
			body: map[string]any{"items": []map[string]any{{"subject_id": orgCode, "measure": "restrict_gov_procurement", "outcome": "已惩戒"}}}},
			http.StatusBadRequest, "did not return measure", "限制作为供应商参加政府采购活动（restrict_gov_procurement）", true},
		{"a malformed body", req{method: "POST", path: "/api/v1/records", key: e.keys[credit.RoleDept], raw: []byte("{"),
			header: map[string]string{"Content-Type": "application/json"}}, http.StatusBadRequest, "malformed JSON body", "JSON正文格式错误：正文不完整", true},
		{"a field of the wrong type", req{method: "POST", path: "/api/v1/records", key: e.keys[credit.RoleDept], raw: []byte(`{"item":["admin_penalty"]}`),
			header: map[string]string{"Content-Type": "application/json"}}, http.StatusBadRequest, "cannot unmarshal array", "字段“item”的值类型不对：给的是数组，应为字符串", true},
	} {
		r := e.do(tc.q)
		var body struct {
			Error struct {
				Message   string `json:"message"`
				MessageZh string `json:"message_zh"`
			} `json:"error"`
		}
		if err := json.Unmarshal(r.body, &body); err != nil || r.status != tc.status {
			t.Errorf("%s: %d %s", tc.name, r.status, r.body)
			continue
		}
		if m := body.Error; !strings.Contains(m.Message, tc.en) || !strings.Contains(m.MessageZh, tc.zh) ||
			(tc.noZhWord && englishWords.MatchString(uuidRE.ReplaceAllString(m.MessageZh, ""))) {
			t.Errorf("%s: message %q, message_zh %q", tc.name, m.Message, m.MessageZh)
		}
	}

	// A code check gives its reasons in Chinese too.
	r := e.get("/api/v1/codes/91350100M000100Y44")
	var code struct {
		Reason   string `json:"reason"`
		ReasonZh string `json:"reason_zh"`
		Problems []struct {
			MessageZh string `json:"message_zh"`
		} `json:"problems"`
	}
	if err := json.Unmarshal(r.body, &code); err != nil || !strings.Contains(code.ReasonZh, "第18位校验码错误：实为4，应为3") ||
		len(code.Problems) != 1 || code.Problems[0].MessageZh == "" {
		t.Errorf("code check: %s", r.body)
	}
}
