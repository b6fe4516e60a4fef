package auth

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/xinyong/xinyong/internal/credit"
)

// Principal is who is calling. Anonymous callers have a nil Account and
// RolePublic.
type Principal struct {
	Account *credit.Account
	Role    credit.Role
	// Via says how the caller proved who it is: "key", "session" or ""
	// (anonymous). Logout needs it, and audit readers find it useful.
	Via string
}

// Anonymous is the principal of a caller without credentials.
func Anonymous() Principal { return Principal{Role: credit.RolePublic} }

// Authenticated reports whether the caller has an account.
func (p Principal) Authenticated() bool { return p.Account != nil }

// Name is the account name, or "anonymous": the actor in audit entries.
func (p Principal) Name() string {
	if p.Account == nil {
		return "anonymous"
	}
	return p.Account.Name
}

// Actor is the principal as the services see who acts: the one mapping
// from a caller to an actor, for the API and the portal alike.
func (p Principal) Actor() credit.Actor {
	a := credit.Actor{Name: p.Name(), Role: p.Role}
	if p.Account != nil {
		a.Dept, a.Subject = p.Account.Dept, p.Account.Subject
	}
	return a
}

// ReadsPersons reports whether a role may find and read natural persons
// (name, region, records), always by exact ID number or subject ID, with a
// stated purpose, each read audited: the credit office and its
// administrators, and the departments whose duties need it. Business
// systems ask the hit check; institutions need the person's authorisation;
// auditors see persons masked; the public and other subjects never.
// This is the one rule; the API and the portal call it.
func ReadsPersons(role credit.Role) bool {
	return role == credit.RoleAdmin || role == credit.RoleReviewer || role == credit.RoleDept
}

// Authenticator finds the principal of a request.
type Authenticator struct {
	Store credit.AccountStore
	// Now is the clock; tests move it.
	Now func() time.Time
	// Keys caches successful API-key authentications; nil disables it.
	Keys *KeyCache
}

func (a *Authenticator) now() time.Time {
	if a.Now != nil {
		return a.Now().UTC()
	}
	return time.Now().UTC()
}

// Authenticate reads the credentials of r: an API key in
// "Authorization: Bearer <key>" or "X-API-Key", else the session cookie.
//
// A key that is presented but unknown or revoked is an Unauthenticated
// error even on public routes: a system that sends a key expects to act
// under it, and silently serving it as anonymous would hide the fault.
// A stale session cookie, by contrast, is ignored (the caller is
// anonymous), because browsers send cookies on every page unasked.
// A disabled account is refused whichever way it signs in.
func (a *Authenticator) Authenticate(r *http.Request) (Principal, error) {
	const op = "auth.Authenticate"
	ctx := r.Context()
	secret, present, err := keyFromRequest(r)
	if err != nil {
		return Anonymous(), err
	}
	if present {
		return a.APIKey(ctx, secret)
	}
	c, err := r.Cookie(SessionCookie)
	if err != nil || c.Value == "" {
		return Anonymous(), nil
	}
	s, err := a.Store.SessionByHash(ctx, HashSecret(c.Value), a.now())
	if err != nil {
		if credit.Is(credit.NotFound, err) {
			return Anonymous(), nil
		}
		return Anonymous(), credit.Wrap(op, credit.Other, err)
	}
	return a.principal(ctx, s.AccountID, "session")
}

// APIKey finds the principal of an API key's secret: Unauthenticated for
// an unknown or revoked key.
func (a *Authenticator) APIKey(ctx context.Context, secret string) (Principal, error) {
	const op = "auth.Authenticate"
	hash := HashSecret(secret)
	if p, ok := a.Keys.get(hash, a.now()); ok {
		return p, nil
	}
	k, err := a.Store.APIKeyByHash(ctx, hash)
	if err != nil {
		if credit.Is(credit.NotFound, err) {
			return Anonymous(), credit.Say(op, credit.Unauthenticated, "API密钥不存在或已吊销", "unknown or revoked API key")
		}
		return Anonymous(), credit.Wrap(op, credit.Other, err)
	}
	if k.Revoked {
		return Anonymous(), credit.Say(op, credit.Unauthenticated, "API密钥不存在或已吊销", "unknown or revoked API key")
	}
	p, err := a.principal(ctx, k.AccountID, "key")
	if err == nil {
		a.Keys.put(hash, p, a.now())
	}
	return p, err
}

func (a *Authenticator) principal(ctx context.Context, accountID, via string) (Principal, error) {
	const op = "auth.Authenticate"
	acc, err := a.Store.AccountByID(ctx, accountID)
	if err != nil {
		if credit.Is(credit.NotFound, err) {
			// The key or session outlived its account.
			return Anonymous(), credit.Say(op, credit.Unauthenticated, "该凭证所属的账号已不存在", "the account of this credential no longer exists")
		}
		return Anonymous(), credit.Wrap(op, credit.Other, err)
	}
	if acc.Disabled {
		return Anonymous(), credit.Say(op, credit.Unauthenticated, "账号%s已停用", "account %s is disabled", acc.Name)
	}
	if !acc.Role.Valid() || acc.Role == credit.RolePublic {
		// A stored account with a role we do not know gets nothing rather
		// than a guess.
		return Anonymous(), credit.Say(op, credit.Unauthenticated, "账号%s没有可用的角色", "account %s has no usable role", acc.Name)
	}
	return Principal{Account: acc, Role: acc.Role, Via: via}, nil
}

// keyFromRequest extracts an API key. present is true when the request
// carries one; a malformed Authorization header is an error rather than
// being ignored, for the same reason as an unknown key.
func keyFromRequest(r *http.Request) (secret string, present bool, err error) {
	const op = "auth.Authenticate"
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, rest, _ := strings.Cut(h, " ")
		if !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(rest) == "" {
			return "", false, credit.Say(op, credit.Unauthenticated, "Authorization 请求头须为“Bearer <API密钥>”", "the Authorization header must be \"Bearer <API key>\"")
		}
		return strings.TrimSpace(rest), true, nil
	}
	if k := strings.TrimSpace(r.Header.Get("X-API-Key")); k != "" {
		return k, true, nil
	}
	return "", false, nil
}
