package server_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/xinyong/xinyong/internal/app"
	"github.com/xinyong/xinyong/internal/apptest"
	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/chinatime"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/records"
	"github.com/xinyong/xinyong/internal/server"
	"github.com/xinyong/xinyong/internal/uscc"
)

// oidcNode is a node whose portal signs subjects in through a test
// identity provider.
type oidcNode struct {
	node *apptest.Env
	idp  *apptest.IdentityProvider
	srv  *httptest.Server
	// person is the registered natural person.
	person *credit.Subject
}

func newOIDCNode(t *testing.T) *oidcNode {
	t.Helper()
	ctx := context.Background()
	node := apptest.New(t, apptest.Options{})
	if _, err := node.Records.PutOrganisation(ctx, records.Organisation{Code: orgCode, Name: orgName, LegalRep: "张三", Status: "存续",
		RegisteredOn: time.Date(2016, 3, 1, 0, 0, 0, 0, chinatime.Location)}); err != nil {
		t.Fatal(err)
	}
	person, err := node.Records.PutPerson(ctx, personName, personID)
	if err != nil {
		t.Fatal(err)
	}
	idp := apptest.NewIdentityProvider(t, node.Clock.Now)
	var h http.Handler
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))
	t.Cleanup(srv.Close)
	o, err := auth.NewOIDC(auth.OIDCConfig{Issuer: idp.URL, ClientID: idp.ClientID, ClientSecret: idp.ClientSecret,
		RedirectURL: srv.URL + "/login/oidc/callback", Label: "测试省统一身份认证平台"}, node.Clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	if h, err = server.New(node.Deps(app.HTTP{Version: "oidc-test", OIDC: o})); err != nil {
		t.Fatal(err)
	}
	return &oidcNode{node: node, idp: idp, srv: srv, person: person}
}

// browser is a client with its own cookies that follows redirects.
func (n *oidcNode) browser(t *testing.T) *http.Client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Jar: jar, Timeout: 30 * time.Second}
}

func get(t *testing.T, c *http.Client, u string) (*http.Response, string) {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

var oidcLink = regexp.MustCompile(`id="oidc-signin" href="([^"]+)"`)

// TestSubjectSignsInThroughTheIdentityProvider walks a company's and a
// person's way from the public subject page's 异议 link through the
// identity provider and back, and the refusals on the way.
func TestSubjectSignsInThroughTheIdentityProvider(t *testing.T) {
	n := newOIDCNode(t)
	ctx := context.Background()
	base := n.srv.URL

	// Signed out, the subject page offers the self-service links.
	c := n.browser(t)
	resp, body := get(t, c, base+"/subjects/"+orgCode)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "/subjects/"+orgCode+"/act/objection") || !strings.Contains(body, "/act/repair") {
		t.Fatalf("subject page %d lacks the self-service links:\n%s", resp.StatusCode, body)
	}
	// The 异议 link explains and offers the sign-in, coming back here.
	resp, body = get(t, c, base+"/subjects/"+orgCode+"/act/objection")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "异议") || !strings.Contains(body, "测试省统一身份认证平台") {
		t.Fatalf("act page %d:\n%s", resp.StatusCode, body)
	}
	m := oidcLink.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no identity-provider sign-in on the act page:\n%s", body)
	}
	start := strings.ReplaceAll(m[1], "&amp;", "&")
	if u, _ := url.Parse(start); u.Query().Get("next") != "/subjects/"+orgCode+"/act/objection" {
		t.Fatalf("sign-in link %s does not come back to the act page", start)
	}

	// A subject's own page, signed out, leads to a sign-in that says who
	// signs in and offers the identity provider.
	resp, lbody := get(t, c, base+"/my/cases")
	if resp.Request.URL.Path != "/login" || !strings.Contains(lbody, `id="login-note"`) || !strings.Contains(lbody, `id="oidc-signin"`) {
		t.Errorf("/my/cases signed out: at %s\n%s", resp.Request.URL, lbody)
	}

	// The company signs in with its electronic business licence.
	n.idp.SignInNext(map[string]any{"sub": "ebl-7781", "uscc": orgCode, "name": "张三"}, "")
	resp, body = get(t, c, base+start)
	if resp.StatusCode != http.StatusOK || resp.Request.URL.Path != "/my/cases" {
		t.Fatalf("after sign-in: %d at %s\n%s", resp.StatusCode, resp.Request.URL, body)
	}
	name := auth.IdentityAccountName(n.idp.URL, orgCode)
	acc, err := n.node.Store.Account(ctx, name)
	if err != nil || acc.Role != credit.RoleSubject || acc.Subject != orgCode || acc.PassHash != "" || acc.Display != orgName {
		t.Fatalf("the company's account: %+v, %v", acc, err)
	}
	if es, err := n.node.Store.Audit(ctx, credit.AuditFilter{Actor: name}); err != nil || len(es) == 0 || es[len(es)-1].Action != "session.create" {
		t.Fatalf("sign-in not audited: %+v, %v", es, err)
	}
	// Now the act page goes straight on, and so do the other services.
	for action, want := range map[string]string{"repair": "/my/cases", "reports": "/my/reports", "commitments": "/my/commitments"} {
		resp, body := get(t, c, base+"/subjects/"+orgCode+"/act/"+action)
		if resp.StatusCode != http.StatusOK || resp.Request.URL.Path != want {
			t.Errorf("%s as the signed-in company: %d at %s\n%s", action, resp.StatusCode, resp.Request.URL.Path, body)
		}
	}

	// A second sign-in of the same company finds the same account.
	before, _ := n.node.Store.Accounts(ctx)
	c2 := n.browser(t)
	n.idp.SignInNext(map[string]any{"sub": "ebl-9999", "uscc": strings.ToLower(orgCode)}, "")
	if resp, _ := get(t, c2, base+"/login/oidc?next=%2Fmy%2Freports"); resp.Request.URL.Path != "/my/reports" {
		t.Fatalf("second sign-in ended at %s", resp.Request.URL)
	}
	if after, _ := n.node.Store.Accounts(ctx); len(after) != len(before) {
		t.Errorf("a second sign-in made another account: %d → %d", len(before), len(after))
	}

	// A person signs in with the unified identity platform; the ID number
	// is never kept in clear.
	c3 := n.browser(t)
	n.idp.SignInNext(map[string]any{"sub": "id-42", "id_number": personID}, "")
	if resp, body := get(t, c3, base+"/login/oidc?next=%2Fmy%2Fcases"); resp.StatusCode != http.StatusOK || resp.Request.URL.Path != "/my/cases" {
		t.Fatalf("person sign-in: %d at %s\n%s", resp.StatusCode, resp.Request.URL, body)
	}
	pacc, err := n.node.Store.Account(ctx, auth.IdentityAccountName(n.idp.URL, n.person.ID))
	if err != nil || pacc.Subject != n.person.ID || pacc.Role != credit.RoleSubject {
		t.Fatalf("the person's account: %+v, %v", pacc, err)
	}
	accs, _ := n.node.Store.Accounts(ctx)
	for _, a := range accs {
		for _, s := range []string{a.Name, a.Display, a.Subject} {
			if strings.Contains(strings.ToUpper(s), personID) {
				t.Errorf("account %s holds the clear ID number", a.Name)
			}
		}
	}
	es, _ := n.node.Store.Audit(ctx, credit.AuditFilter{Limit: 1000})
	for _, e := range es {
		if strings.Contains(e.Target+e.Purpose+e.Actor, personID) {
			t.Errorf("audit entry %+v holds the clear ID number", e)
		}
	}

	// Refusals: each leaves the browser signed out, on the login page.
	unregistered := uscc.NewGenerator(7).RandomUSCC()
	for _, tc := range []struct {
		name   string
		claims map[string]any
		tamper string
		status int
	}{
		{"wrong nonce", map[string]any{"sub": "x", "uscc": orgCode}, "nonce", http.StatusUnauthorized},
		{"signed with an unpublished key", map[string]any{"sub": "x", "uscc": orgCode}, "signature", http.StatusUnauthorized},
		{"for another client", map[string]any{"sub": "x", "uscc": orgCode}, "audience", http.StatusUnauthorized},
		{"expired", map[string]any{"sub": "x", "uscc": orgCode}, "expired", http.StatusUnauthorized},
		{"refused at the provider", nil, "", http.StatusUnauthorized},
		{"no code claim", map[string]any{"sub": "x", "email": "a@example.cn"}, "", http.StatusUnauthorized},
		{"code failing its check", map[string]any{"sub": "x", "uscc": "91350100M000100Y44"}, "", http.StatusForbidden},
		{"company not registered here", map[string]any{"sub": "x", "uscc": unregistered}, "", http.StatusForbidden},
	} {
		cx := n.browser(t)
		n.idp.SignInNext(tc.claims, tc.tamper)
		resp, body := get(t, cx, base+"/login/oidc?next=%2Fmy%2Fcases")
		if resp.StatusCode != tc.status || resp.Request.URL.Path != "/login/oidc/callback" || !strings.Contains(body, "统一身份认证登录未成功") {
			t.Errorf("%s: %d at %s\n%s", tc.name, resp.StatusCode, resp.Request.URL.Path, body)
		}
		if resp, _ := get(t, cx, base+"/my/cases"); resp.Request.URL.Path != "/login" {
			t.Errorf("%s: signed in anyway (at %s)", tc.name, resp.Request.URL)
		}
	}

	// A callback that is not this browser's sign-in (no pending cookie, a
	// stranger's state) is refused.
	cx := n.browser(t)
	if resp, _ := get(t, cx, base+"/login/oidc/callback?code=abc&state=xyz"); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("forged callback: %d", resp.StatusCode)
	}
	// The way back stays on this site.
	n.idp.SignInNext(map[string]any{"sub": "ebl-7781", "uscc": orgCode}, "")
	if resp, _ := get(t, cx, base+"/login/oidc?next=%2F%2Fevil.example%2Fx"); resp.Request.URL.Host != strings.TrimPrefix(base, "http://") || resp.Request.URL.Path != "/console" {
		t.Errorf("next=//evil.example ended at %s", resp.Request.URL)
	}
}

// TestActPageForOtherAccounts: a signed-in account that does not act for
// the subject is told so on the act page, with the sign-in offered; a
// person has no public page and no act page.
func TestActPageForOtherAccounts(t *testing.T) {
	n := newOIDCNode(t)
	ctx := context.Background()
	if _, err := n.node.Accounts.CreateAccount(ctx, "dept-op", "", credit.RoleDept, "SAMR-350100", "", password); err != nil {
		t.Fatal(err)
	}
	c := n.browser(t)
	login(t, c, n.srv.URL, "dept-op")
	resp, body := get(t, c, n.srv.URL+"/subjects/"+orgCode+"/act/repair")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "不能代表该主体") || !strings.Contains(body, `id="oidc-signin"`) {
		t.Fatalf("act page for a department: %d\n%s", resp.StatusCode, body)
	}
	for _, u := range []string{"/subjects/" + n.person.ID + "/act/objection", "/subjects/" + orgCode + "/act/nothing"} {
		if resp, _ := get(t, c, n.srv.URL+u); resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s: %d, want 404", u, resp.StatusCode)
		}
	}
}

// login signs c in with name and the tests' password through the portal's
// form.
func login(t *testing.T, c *http.Client, base, name string) {
	t.Helper()
	resp, body := get(t, c, base+"/login")
	m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no form token on the login page (%d)", resp.StatusCode)
	}
	resp, err := c.PostForm(base+"/login", url.Values{"csrf": {m[1]}, "name": {name}, "password": {password}, "next": {"/console"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Request.URL.Path != "/console" {
		t.Fatalf("login as %s ended at %s (%d)", name, resp.Request.URL, resp.StatusCode)
	}
}
