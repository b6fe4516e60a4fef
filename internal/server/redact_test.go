package server_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/xinyong/xinyong/internal/credit"
)

// TestIDNumbersNeverLogged sends ID numbers the way careless or curious
// callers do, in the path, the query and the stated purpose, glued to
// other digits, with a wrong check digit, full-width or percent-encoded,
// and finds nothing of them in the access log, the server log or the
// audit trail (targets and purposes).
func TestIDNumbersNeverLogged(t *testing.T) {
	e := newEnv(t)
	const (
		valid    = "110105195412183524" // birth date 19541218
		badCheck = "110105196703150017" // check digit should be 4; birth date 19670315
		old15    = "110105580823123"    // 15-digit form; birth date 580823
	)
	// What must not appear: the hidden middle of each number, in every
	// form it was sent in.
	secrets := []string{"19541218", "19670315", "580823",
		"１９５４１２１８", "%31%39%35%34%31%32%31%38", "%2531%2539"}
	fw := func(s string) string { // full-width digits
		var b strings.Builder
		for _, r := range s {
			b.WriteRune(r - '0' + '０')
		}
		return b.String()
	}
	pct := func(s string) string {
		var b strings.Builder
		for i := 0; i < len(s); i++ {
			b.WriteString("%3" + s[i:i+1])
		}
		return b.String()
	}
	rev := e.keys[credit.RoleReviewer]
	reqs := []req{
		// Purposes, in the header (percent-encoded by the client, as the
		// API expects) and in the query.
		{method: "GET", path: "/api/v1/subjects/" + e.person.ID + "/identity", key: rev, purpose: "核查 9" + valid + " 与 " + badCheck + "、" + old15},
		{method: "GET", path: "/api/v1/subjects/" + e.person.ID + "/records?purpose=" + url.QueryEscape("户籍"+valid+"7"), key: rev},
		{method: "GET", path: "/api/v1/subjects/" + e.person.ID + "/records", key: rev, purpose: "全角" + fw(valid)},
		{method: "GET", path: "/api/v1/subjects/" + e.person.ID + "/records", key: rev, purpose: "encoded " + pct(valid)},
		// Numbers in the path: audited as targets (unknown subject, denied
		// reads) and logged as paths.
		{method: "GET", path: "/api/v1/subjects/9" + valid + "/records", key: rev, purpose: "核查"},
		{method: "GET", path: "/api/v1/subjects/" + badCheck + "/identity"},
		{method: "GET", path: "/api/v1/subjects/" + url.PathEscape(fw(valid)) + "/identity"},
		{method: "GET", path: "/api/v1/subjects/" + pct(valid) + "/identity"},
		{method: "GET", path: "/api/v1/subjects/" + old15 + "x/records", key: e.keys[credit.RoleInstitution]},
		{method: "GET", path: "/subjects/" + valid + "0"},
		{method: "GET", path: "/search?q=" + valid},
		{method: "GET", path: "/api/v1/subjects?q=" + badCheck, key: rev},
		{method: "POST", path: "/api/v1/subjects/" + valid, key: rev},
	}
	for _, q := range reqs {
		r := e.do(q)
		if r.status == http.StatusInternalServerError {
			t.Errorf("%s %s: %d %s", q.method, q.path, r.status, r.body)
		}
		for _, s := range secrets {
			if strings.Contains(string(r.body), s) {
				t.Errorf("%s %s: the response repeats %q", q.method, q.path, s)
			}
		}
	}
	if !e.auditHas(credit.AuditEntry{Action: "subject.identity.read", Outcome: "ok"}) {
		t.Fatal("the identity read was not audited: the test does not reach the audit trail")
	}
	log := e.logBuf.String()
	if !strings.Contains(log, "msg=http") {
		t.Fatal("no access log lines: the test does not reach the access log")
	}
	es, err := e.st.Audit(t.Context(), credit.AuditFilter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	var purposes int
	for _, s := range secrets {
		if strings.Contains(log, s) {
			t.Errorf("the server log holds %q", s)
		}
		for _, a := range es {
			if strings.Contains(a.Target, s) || strings.Contains(a.Purpose, s) {
				t.Errorf("audit entry %s %s: target %q purpose %q holds %q", a.Action, a.Outcome, a.Target, a.Purpose, s)
			}
		}
	}
	for _, a := range es {
		if strings.Contains(a.Purpose, "********") {
			purposes++
		}
	}
	if purposes < 3 {
		t.Errorf("%d audited purposes carry a masked number, want at least 3: the requests did not reach the audit as intended", purposes)
	}
}
