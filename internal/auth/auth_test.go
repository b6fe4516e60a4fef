package auth_test

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/xinyong/xinyong/internal/apptest"
	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/credit"
)

func init() { auth.HashParams = auth.LightParams }

func openStore(t *testing.T) credit.Store { return apptest.Store(t, "") }

func TestPasswordHash(t *testing.T) {
	h, err := auth.HashPassword("correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^\$argon2id\$v=19\$m=1024,t=1,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$`).MatchString(h) {
		t.Errorf("hash %q is not a PHC argon2id string", h)
	}
	for pw, want := range map[string]bool{"correct horse battery": true, "correct horse batterY": false, "": false} {
		ok, err := auth.VerifyPassword(h, pw)
		if err != nil || ok != want {
			t.Errorf("VerifyPassword(%q) = %v, %v; want %v", pw, ok, err, want)
		}
	}
	// The default cost is what the brief asks for.
	d, err := auth.HashPasswordWith("x", auth.DefaultParams)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(d, "$argon2id$v=19$m=65536,t=1,p=2$") {
		t.Errorf("default hash %q", d)
	}
	if ok, _ := auth.VerifyPassword(d, "x"); !ok {
		t.Error("default-parameter hash does not verify")
	}
	// Two hashes of one password differ (random salt).
	h2, _ := auth.HashPassword("correct horse battery")
	if h2 == h {
		t.Error("salt is not random")
	}
}

func TestPasswordHashMalformed(t *testing.T) {
	for _, h := range []string{
		"", "plain", "$argon2i$v=19$m=1024,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA",
		"$argon2id$v=18$m=1024,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA",
		"$argon2id$v=19$m=99999999,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA",
		"$argon2id$v=19$m=1024,t=1,p=1$!!$aGFzaGhhc2hoYXNoaGFzaA",
	} {
		if _, err := auth.VerifyPassword(h, "pw"); err == nil {
			t.Errorf("VerifyPassword(%q) accepted a malformed hash", h)
		}
	}
}

func TestNewAPIKey(t *testing.T) {
	secret, k := auth.NewAPIKey()
	if !regexp.MustCompile(`^xy_[a-z2-7]{32}$`).MatchString(secret) {
		t.Errorf("secret %q", secret)
	}
	sum := sha256.Sum256([]byte(secret))
	if k.Hash != hex.EncodeToString(sum[:]) {
		t.Error("key hash is not the sha256 hex of the secret")
	}
	if !strings.HasPrefix(secret, k.Prefix) || len(k.Prefix) >= len(secret)/2 {
		t.Errorf("prefix %q", k.Prefix)
	}
	if strings.Contains(k.Hash, secret) || k.ID == "" {
		t.Error("bad key record")
	}
	s2, _ := auth.NewAPIKey()
	if s2 == secret {
		t.Error("keys repeat")
	}
}

func TestCreateAccountValidation(t *testing.T) {
	st := openStore(t)
	acc := &auth.Accounts{Store: st}
	ctx := t.Context()
	if err := st.PutSubject(ctx, &credit.Subject{ID: "91350100M000100Y43", Kind: credit.Organisation, Code: "91350100M000100Y43", Name: "示例公司"}); err != nil {
		t.Fatal(err)
	}
	const pw = "0123456789"
	cases := []struct {
		name, account string
		role          credit.Role
		dept, subject string
		password      string
		kind          credit.Kind // Other = success
	}{
		{"admin ok", "admin1", credit.RoleAdmin, "", "", pw, credit.Other},
		{"dept ok", "dept1", credit.RoleDept, "D1", "", pw, credit.Other},
		{"business key-only", "biz1", credit.RoleBusiness, "B1", "", "", credit.Other},
		{"subject ok", "subj1", credit.RoleSubject, "", "91350100M000100Y43", pw, credit.Other},
		{"duplicate", "admin1", credit.RoleAdmin, "", "", pw, credit.Exists},
		{"unknown role", "x1", "king", "", "", pw, credit.Invalid},
		{"public role", "x2", credit.RolePublic, "", "", pw, credit.Invalid},
		{"dept without dept", "x3", credit.RoleDept, "", "", pw, credit.Invalid},
		{"business without dept", "x4", credit.RoleBusiness, "", "", pw, credit.Invalid},
		{"subject without subject", "x5", credit.RoleSubject, "", "", pw, credit.Invalid},
		{"subject unknown", "x6", credit.RoleSubject, "", "91350100M000100Y4X", pw, credit.Invalid},
		{"short password", "x7", credit.RoleAdmin, "", "", "123456789", credit.Invalid},
		{"chinese password counts runes", "x8", credit.RoleAdmin, "", "", "信用信息共享服务平台", credit.Other},
		{"bad name", "a b", credit.RoleAdmin, "", "", pw, credit.Invalid},
		{"subject on non-subject role", "x9", credit.RoleAdmin, "", "91350100M000100Y43", pw, credit.Invalid},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := acc.CreateAccount(ctx, c.account, "", c.role, c.dept, c.subject, c.password)
			if c.kind == credit.Other {
				if err != nil {
					t.Fatalf("CreateAccount: %v", err)
				}
				return
			}
			if !credit.Is(c.kind, err) {
				t.Fatalf("CreateAccount = %v, want kind %v", err, c.kind)
			}
		})
	}
}

func TestAuthenticate(t *testing.T) {
	st := openStore(t)
	ctx := t.Context()
	now := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	accs := &auth.Accounts{Store: st, Now: clock}
	a := &auth.Authenticator{Store: st, Now: clock}
	if _, err := accs.CreateAccount(ctx, "rev", "", credit.RoleReviewer, "", "", "0123456789"); err != nil {
		t.Fatal(err)
	}
	secret, _, err := accs.NewKey(ctx, "rev")
	if err != nil {
		t.Fatal(err)
	}
	token, sess, _, err := accs.Login(ctx, "rev", "0123456789", "192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}
	if got := sess.Expires.Sub(now); got != 12*time.Hour {
		t.Errorf("session lasts %v", got)
	}
	if _, _, _, err := accs.Login(ctx, "rev", "wrong password", "192.0.2.1"); !credit.Is(credit.Unauthenticated, err) {
		t.Errorf("wrong password: %v", err)
	}
	if _, _, _, err := accs.Login(ctx, "nobody", "0123456789", "192.0.2.1"); !credit.Is(credit.Unauthenticated, err) {
		t.Errorf("unknown account: %v", err)
	}

	req := func(h map[string]string, cookie string) *http.Request {
		r := httptest.NewRequest("GET", "/", nil)
		for k, v := range h {
			r.Header.Set(k, v)
		}
		if cookie != "" {
			r.AddCookie(&http.Cookie{Name: auth.SessionCookie, Value: cookie})
		}
		return r
	}
	cases := []struct {
		name   string
		r      *http.Request
		role   credit.Role
		via    string
		errKnd credit.Kind
	}{
		{"anonymous", req(nil, ""), credit.RolePublic, "", credit.Other},
		{"bearer", req(map[string]string{"Authorization": "Bearer " + secret}, ""), credit.RoleReviewer, "key", credit.Other},
		{"x-api-key", req(map[string]string{"X-API-Key": secret}, ""), credit.RoleReviewer, "key", credit.Other},
		{"bad key", req(map[string]string{"X-API-Key": "xy_nope"}, ""), credit.RolePublic, "", credit.Unauthenticated},
		{"basic auth", req(map[string]string{"Authorization": "Basic abc"}, ""), credit.RolePublic, "", credit.Unauthenticated},
		{"session", req(nil, token), credit.RoleReviewer, "session", credit.Other},
		{"stale cookie is anonymous", req(nil, "garbage"), credit.RolePublic, "", credit.Other},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := a.Authenticate(c.r)
			if c.errKnd != credit.Other {
				if !credit.Is(c.errKnd, err) {
					t.Fatalf("err = %v, want %v", err, c.errKnd)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if p.Role != c.role || p.Via != c.via {
				t.Errorf("got %s via %q, want %s via %q", p.Role, p.Via, c.role, c.via)
			}
		})
	}

	// The session expires after 12 hours.
	now = now.Add(13 * time.Hour)
	if p, err := a.Authenticate(req(nil, token)); err != nil || p.Authenticated() {
		t.Errorf("expired session: %v %v", p, err)
	}

	// A disabled account is refused with its key.
	acc, err := st.Account(ctx, "rev")
	if err != nil {
		t.Fatal(err)
	}
	acc.Disabled = true
	if err := st.PutAccount(ctx, acc); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Authenticate(req(map[string]string{"X-API-Key": secret}, "")); !credit.Is(credit.Unauthenticated, err) {
		t.Errorf("disabled account: %v", err)
	}
	if _, _, _, err := accs.Login(ctx, "rev", "0123456789", "192.0.2.1"); !credit.Is(credit.Unauthenticated, err) {
		t.Errorf("disabled login: %v", err)
	}
}

func TestAuditor(t *testing.T) {
	st := openStore(t)
	ctx := t.Context()
	au := &auth.Auditor{Store: st}
	p := auth.Principal{Account: &credit.Account{Name: "rev1"}, Role: credit.RoleReviewer}
	if err := au.Read(ctx, p, "subject.identity.read", "P123", "核查", "10.0.0.1"); err != nil {
		t.Fatal(err)
	}
	au.Denied(ctx, auth.Anonymous(), "audit.read", "/api/v1/audit", "", "10.0.0.2")
	es, err := st.Audit(ctx, credit.AuditFilter{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != 2 {
		t.Fatalf("%d entries", len(es))
	}
	byActor := map[string]credit.AuditEntry{}
	for _, e := range es {
		byActor[e.Actor] = e
	}
	if e := byActor["rev1"]; e.Outcome != "ok" || e.Purpose != "核查" || e.Target != "P123" || e.Role != credit.RoleReviewer {
		t.Errorf("read entry %+v", e)
	}
	if e := byActor["anonymous"]; e.Outcome != "denied" || e.Role != credit.RolePublic {
		t.Errorf("denied entry %+v", e)
	}
}
