package server_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xinyong/xinyong/internal/api"
	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/report"
	"github.com/xinyong/xinyong/internal/tlog"
)

// grant gives the institution account a grant of orgCode's, through the
// subject's API, and returns its ID.
func (e *env) grant(scopeKind string, scope []string, days, uses int) string {
	e.t.Helper()
	r := e.do(req{method: "POST", path: "/api/v1/grants", key: e.keys[credit.RoleSubject], body: map[string]any{
		"recipient": e.names[credit.RoleInstitution], "purpose": "credit_approval", "scope_kind": scopeKind, "scope": scope, "days": days, "max_uses": uses}})
	if r.status != http.StatusCreated {
		e.t.Fatalf("grant: %d %s", r.status, r.body)
	}
	return r.json(e.t)["id"].(string)
}

// issue issues a report as role (the subject, or the institution under
// grant) and returns its number.
func (e *env) issue(role credit.Role, kind, grant string) string {
	e.t.Helper()
	body := map[string]any{"kind": kind, "subject_id": orgCode}
	if grant != "" {
		body["grant_id"] = grant
	}
	r := e.do(req{method: "POST", path: "/api/v1/reports", key: e.keys[role], body: body})
	if r.status != http.StatusCreated {
		e.t.Fatalf("issue %s as %s: %d %s", kind, role, r.status, r.body)
	}
	return r.header.Get("X-Report-No")
}

// reportScenario is the role matrix's call of a report, grant or log
// route as role.
func (e *env) reportScenario(rt api.Route, role credit.Role) (req, bool) {
	q := req{method: rt.Method, key: e.keys[role], path: rt.Path}
	if rt.Purpose {
		q.purpose = "核对存证"
	}
	p := "/api/v1"
	switch rt.Path {
	case p + "/reports":
		if rt.Method == "POST" {
			q.body = map[string]any{"kind": "public_credit", "subject_id": orgCode}
			if role == credit.RoleInstitution {
				q.body = map[string]any{"kind": "authorised", "subject_id": orgCode, "grant_id": e.grant(credit.ScopeReports, []string{"authorised"}, 30, 1)}
			}
		}
	case p + "/reports/{no}":
		who := credit.RoleSubject
		grant := ""
		if role == credit.RoleInstitution {
			who, grant = role, e.grant(credit.ScopeReports, []string{"indicators"}, 30, 1)
		}
		kind := map[credit.Role]string{credit.RoleSubject: "special", credit.RoleInstitution: "indicators"}[who]
		q.path = strings.Replace(rt.Path, "{no}", e.issue(who, kind, grant), 1)
	case p + "/reports/{no}/status":
		q.path = strings.Replace(rt.Path, "{no}", e.issue(credit.RoleSubject, "public_credit", ""), 1)
	case p + "/reports/{no}/revocations":
		q.path = strings.Replace(rt.Path, "{no}", e.issue(credit.RoleSubject, "public_credit", ""), 1)
		q.body = map[string]any{"reason": "出具时数据有误"}
	case p + "/grants":
		if rt.Method == "POST" {
			q.body = map[string]any{"recipient": e.names[credit.RoleInstitution], "purpose": "credit_approval", "scope_kind": "reports",
				"scope": []string{"authorised"}, "days": 30, "max_uses": 2}
		}
	case p + "/grants/{id}/revocations":
		q.path = strings.Replace(rt.Path, "{id}", e.grant(credit.ScopeReports, []string{"authorised"}, 30, 1), 1)
		q.body = map[string]any{"reason": "不再贷款"}
	case p + "/subjects/{id}/reads":
		q.path = strings.Replace(rt.Path, "{id}", orgCode, 1)
	case p + "/log/checkpoint":
	case p + "/log/proofs/inclusion":
		e.issue(credit.RoleSubject, "public_credit", "")
		q.path += "?index=0"
	case p + "/log/proofs/consistency":
		e.issue(credit.RoleSubject, "public_credit", "")
		cp, err := e.st.Checkpoint(e.t.Context(), -1)
		if err != nil {
			e.t.Fatal(err)
		}
		q.path += "?from=" + strconv.FormatInt(cp.Size, 10)
	case p + "/log/facts/{pos}":
		q.path = strings.Replace(rt.Path, "{pos}", e.loggedFact(), 1)
	default:
		return req{}, false
	}
	return q, true
}

// loggedFact syncs the log with the change feed and returns the change
// position of a fact in it.
func (e *env) loggedFact() string {
	e.t.Helper()
	ctx := e.t.Context()
	if _, err := e.node.R.Log.Sync(ctx); err != nil {
		e.t.Fatal(err)
	}
	head, err := e.st.LogHead(ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	for i := head.Size - 1; i >= 0; i-- {
		l, err := e.st.LogLeaf(ctx, i)
		if err != nil {
			e.t.Fatal(err)
		}
		if l.Kind == tlog.LeafFact {
			return l.Ref
		}
	}
	e.t.Fatal("no fact in the log")
	return ""
}

// TestGrantRefusals: an institution reads a subject's non-public data only
// under a grant of the subject's that is its own, unrevoked, in its
// validity, not used up, and covers what it asks; each refusal says why
// and is audited with the grant and the reason.
func TestGrantRefusals(t *testing.T) {
	e := newEnv(t)
	bank := e.keys[credit.RoleInstitution]
	// Another institution, and another subject with a grant of its own.
	accs := &auth.Accounts{Store: e.st}
	if _, err := accs.CreateAccount(t.Context(), "t-bank2", "其他银行", credit.RoleInstitution, "", "", password); err != nil {
		t.Fatal(err)
	}
	bank2, _, err := accs.NewKey(t.Context(), "t-bank2")
	if err != nil {
		t.Fatal(err)
	}

	reportG := e.grant(credit.ScopeReports, []string{"authorised"}, 30, 1)
	itemsG := e.grant(credit.ScopeItems, []string{"admin_penalty"}, 30, 5)
	revokedG := e.grant(credit.ScopeReports, []string{"authorised"}, 30, 5)
	if r := e.do(req{method: "POST", path: "/api/v1/grants/" + revokedG + "/revocations", key: e.keys[credit.RoleSubject], body: map[string]any{"reason": "不再需要"}}); r.status != http.StatusCreated {
		t.Fatalf("revoke: %d %s", r.status, r.body)
	}
	shortG := e.grant(credit.ScopeReports, []string{"authorised"}, 1, 5)
	issue := func(key, grant, kind string) resp {
		return e.do(req{method: "POST", path: "/api/v1/reports", key: key, body: map[string]any{"kind": kind, "subject_id": orgCode, "grant_id": grant}})
	}
	// The first use succeeds (the grant names the subject; the request
	// need not); the second is refused: used up.
	if r := e.do(req{method: "POST", path: "/api/v1/reports", key: bank, body: map[string]any{"kind": "authorised", "grant_id": reportG, "format": "json"}}); r.status != http.StatusCreated || !strings.Contains(string(r.body), orgCode) {
		t.Fatalf("report under a grant, subject from the grant: %d %s", r.status, r.body)
	}
	// The records under an items grant: only that item.
	e.do(req{method: "POST", path: "/api/v1/records", key: e.keys[credit.RoleDept], body: e.recordBody(orgCode)})
	r := e.do(req{method: "GET", path: "/api/v1/subjects/" + orgCode + "/records?grant=" + itemsG, key: bank, purpose: "贷前调查"})
	if r.status != http.StatusOK {
		t.Fatalf("records under an items grant: %d %s", r.status, r.body)
	}
	var file struct {
		Audience string `json:"audience"`
		Sections []struct {
			Entries []struct {
				Item string `json:"item"`
			} `json:"entries"`
		} `json:"sections"`
	}
	_ = json.Unmarshal(r.body, &file)
	n := 0
	for _, s := range file.Sections {
		for _, en := range s.Entries {
			if en.Item != "admin_penalty" {
				t.Errorf("an item outside the grant: %s", en.Item)
			}
			n++
		}
	}
	if file.Audience != "institution" || n == 0 {
		t.Errorf("audience %s, %d entries", file.Audience, n)
	}

	cases := []struct {
		name   string
		do     func() resp
		reason string
		grant  string
	}{
		{"used up", func() resp { return issue(bank, reportG, "authorised") }, auth.RefuseUsedUp, reportG},
		{"revoked", func() resp { return issue(bank, revokedG, "authorised") }, auth.RefuseRevoked, revokedG},
		{"another institution's", func() resp { return issue(bank2, itemsG, "authorised") }, auth.RefuseForeign, itemsG},
		{"out of scope (kind)", func() resp { return issue(bank, shortG, "indicators") }, auth.RefuseOutOfScope, shortG},
		{"out of scope (records under a report grant)", func() resp {
			return e.do(req{method: "GET", path: "/api/v1/subjects/" + orgCode + "/records?grant=" + shortG, key: bank, purpose: "贷前调查"})
		}, auth.RefuseOutOfScope, shortG},
		{"another subject's", func() resp {
			return e.do(req{method: "GET", path: "/api/v1/subjects/" + e.person.ID + "/records?grant=" + itemsG, key: bank, purpose: "贷前调查"})
		}, auth.RefuseForeign, itemsG},
		{"unknown", func() resp { return issue(bank, "no-such-grant", "authorised") }, auth.RefuseUnknown, "no-such-grant"},
		{"none given", func() resp { return issue(bank, "", "authorised") }, auth.RefuseUnknown, ""},
		{"expired", func() resp {
			e.clock.Advance(49 * time.Hour)
			return issue(bank, shortG, "authorised")
		}, auth.RefuseExpired, shortG},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := c.do()
			if r.status != http.StatusForbidden || r.errKind(t) != "permission" {
				t.Fatalf("status %d %s", r.status, r.body)
			}
			m := r.json(t)["error"].(map[string]any)
			if m["message_zh"] == "" || m["message"] == "" || strings.HasSuffix(m["message"].(string), " ") {
				t.Errorf("no reason in both languages: %v", m)
			}
			if !e.auditHas(credit.AuditEntry{Outcome: "denied", Grant: c.grant, Basis: "grant refused: " + c.reason}) {
				t.Errorf("refusal not audited with its grant and reason %q", c.reason)
			}
		})
	}
}

// TestInstitutionWithoutGrant: without a grant an institution sees what
// the public sees, and nothing of a natural person.
func TestInstitutionWithoutGrant(t *testing.T) {
	e := newEnv(t)
	bank := e.keys[credit.RoleInstitution]
	// A 警告 alone is not published by the market regulator: the public
	// does not see it, government sharing does.
	body := e.recordBody(orgCode)
	f := body["fields"].(credit.Fields)
	f["cf_cflb"], f["cf_nr"] = "警告", "警告"
	if r := e.do(req{method: "POST", path: "/api/v1/records", key: e.keys[credit.RoleDept], body: body}); r.status != http.StatusCreated {
		t.Fatalf("record: %d %s", r.status, r.body)
	}
	count := func(key string) (string, int) {
		r := e.do(req{method: "GET", path: "/api/v1/subjects/" + orgCode + "/records", key: key, purpose: "贷前调查"})
		if r.status != http.StatusOK {
			t.Fatalf("%d %s", r.status, r.body)
		}
		var file struct {
			Audience string `json:"audience"`
			Sections []struct {
				Entries []any `json:"entries"`
			} `json:"sections"`
		}
		_ = json.Unmarshal(r.body, &file)
		n := 0
		for _, s := range file.Sections {
			n += len(s.Entries)
		}
		return file.Audience, n
	}
	aud, n := count(bank)
	_, gov := count(e.keys[credit.RoleDept])
	pub := e.do(req{method: "GET", path: "/api/v1/subjects/" + orgCode + "/public"})
	var pf struct {
		Sections []struct {
			Entries []any `json:"entries"`
		} `json:"sections"`
	}
	_ = json.Unmarshal(pub.body, &pf)
	np := 0
	for _, s := range pf.Sections {
		np += len(s.Entries)
	}
	if aud != "public" || n != np || gov <= n {
		t.Errorf("institution without a grant: audience %s, %d entries; public %d, government %d", aud, n, np, gov)
	}
	if r := e.do(req{method: "GET", path: "/api/v1/subjects/" + e.person.ID + "/records", key: bank, purpose: "贷前调查"}); r.status != http.StatusNotFound {
		t.Errorf("a person's file without a grant: %d", r.status)
	}
	// Reports too: only under a grant.
	r := e.do(req{method: "POST", path: "/api/v1/reports", key: bank, body: map[string]any{"kind": "authorised", "subject_id": orgCode}})
	if r.status != http.StatusForbidden {
		t.Errorf("a report without a grant: %d %s", r.status, r.body)
	}
}

// TestRevokedReportVerifiesAsRevoked: a report an administrator revoked
// verifies as revoked, with the reason, on the status route and the
// portal's verification page; its signature still holds.
func TestRevokedReportVerifiesAsRevoked(t *testing.T) {
	e := newEnv(t)
	no := e.issue(credit.RoleSubject, "public_credit", "")
	st := func() map[string]any {
		r := e.do(req{method: "GET", path: "/api/v1/reports/" + no + "/status"})
		if r.status != http.StatusOK {
			t.Fatalf("status: %d %s", r.status, r.body)
		}
		return r.json(t)
	}
	if s := st(); s["state"] != "valid" || s["digest"] == "" {
		t.Fatalf("before: %v", s)
	}
	if r := e.do(req{method: "POST", path: "/api/v1/reports/" + no + "/revocations", key: e.keys[credit.RoleAdmin], body: map[string]any{"reason": ""}}); r.status != http.StatusBadRequest {
		t.Errorf("revocation without a reason: %d", r.status)
	}
	if r := e.do(req{method: "POST", path: "/api/v1/reports/" + no + "/revocations", key: e.keys[credit.RoleAdmin], body: map[string]any{"reason": "主体信息有误"}}); r.status != http.StatusCreated {
		t.Fatalf("revoke: %d %s", r.status, r.body)
	}
	if s := st(); s["state"] != "revoked" || s["revoke_reason"] != "主体信息有误" {
		t.Errorf("after: %v", s)
	}
	// The page at the QR code's address says so, in the page's language.
	r := e.do(req{method: "GET", path: "/verify/" + no})
	if r.status != http.StatusOK || !bytes.Contains(r.body, []byte("已撤销")) || !bytes.Contains(r.body, []byte("主体信息有误")) {
		t.Errorf("verification page: %d\n%s", r.status, r.body)
	}
	// The downloaded file verifies (it is the platform's), and as revoked.
	dl := e.do(req{method: "GET", path: "/api/v1/reports/" + no + "?format=pdf", key: e.keys[credit.RoleSubject]})
	if dl.status != http.StatusOK || !bytes.HasPrefix(dl.body, []byte("%PDF-")) {
		t.Fatalf("download: %d", dl.status)
	}
	v, err := api.VerifyReport(t.Context(), &e.node.R.Platform, dl.body)
	if err != nil {
		t.Fatal(err)
	}
	if v.Valid || v.Status == nil || v.Status.State != report.StateRevoked || len(v.Problems) != 0 {
		t.Errorf("verified: %+v", v)
	}
}

// TestWhoReadMyData: every read of the subject's non-public data is on
// its "who read my data" list, with the grant or basis, by anyone
// including government units.
func TestWhoReadMyData(t *testing.T) {
	e := newEnv(t)
	g := e.grant(credit.ScopeItems, []string{"admin_penalty"}, 30, 5)
	e.do(req{method: "GET", path: "/api/v1/subjects/" + orgCode + "/records?grant=" + g, key: e.keys[credit.RoleInstitution], purpose: "贷前调查"})
	e.do(req{method: "GET", path: "/api/v1/subjects/" + orgCode + "/records", key: e.keys[credit.RoleDept], purpose: "行政许可审查"})
	r := e.do(req{method: "GET", path: "/api/v1/subjects/" + orgCode + "/reads", key: e.keys[credit.RoleSubject]})
	if r.status != http.StatusOK {
		t.Fatalf("%d %s", r.status, r.body)
	}
	var out struct {
		Reads []api.ReadEntry `json:"reads"`
	}
	if err := json.Unmarshal(r.body, &out); err != nil {
		t.Fatal(err)
	}
	var sawBank, sawDept bool
	for _, rd := range out.Reads {
		switch {
		case rd.Actor == e.names[credit.RoleInstitution] && rd.Grant == g && rd.Purpose == "贷前调查" && rd.BasisName == "信息主体授权":
			sawBank = true
		case rd.Actor == e.names[credit.RoleDept] && rd.Purpose == "行政许可审查" && rd.BasisName == "政务共享（依职责）":
			sawDept = true
		}
	}
	if !sawBank || !sawDept {
		t.Errorf("reads: bank %v, department %v\n%s", sawBank, sawDept, r.body)
	}
	// Another subject's reads are not the subject's to see.
	if r := e.do(req{method: "GET", path: "/api/v1/subjects/" + e.person.ID + "/reads", key: e.keys[credit.RoleSubject]}); r.status != http.StatusForbidden {
		t.Errorf("another subject's reads: %d", r.status)
	}
}
