package auth

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/xinyong/xinyong/internal/credit"
)

// AccountsStore is what Accounts reads and writes: accounts, and the
// subjects that subject accounts act for.
type AccountsStore interface {
	credit.AccountStore
	Subject(ctx context.Context, id string) (*credit.Subject, error)
}

// Accounts creates accounts, signs them in and issues their API keys.
type Accounts struct {
	Store AccountsStore
	// Now is the clock; tests move it.
	Now func() time.Time
	// Guard limits failed logins (nil: no limit).
	Guard *LoginGuard
}

func (a *Accounts) now() time.Time {
	if a.Now != nil {
		return a.Now().UTC()
	}
	return time.Now().UTC()
}

// accountName keeps login names printable and safe in URLs, logs and
// audit filters.
var accountName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._@-]{1,63}$`)

// CreateAccount validates and stores a new account. An empty password
// makes a key-only account (a business system) that cannot sign in with a
// password; any other password must pass CheckPassword.
func (a *Accounts) CreateAccount(ctx context.Context, name, display string, role credit.Role, dept, subject, password string) (*credit.Account, error) {
	const op = "auth.CreateAccount"
	name = strings.TrimSpace(name)
	dept = strings.TrimSpace(dept)
	subject = strings.TrimSpace(subject)
	if !accountName.MatchString(name) {
		return nil, credit.Say(op, credit.Invalid, "账号名“%s”无效：请使用2至64个字母、数字或“.”“_”“@”“-”，并以字母或数字开头",
			"account name %q: use 2-64 letters, digits, '.', '_', '@' or '-', starting with a letter or digit", name)
	}
	if !role.Valid() || role == credit.RolePublic {
		return nil, credit.Say(op, credit.Invalid, "“%s”不是账号角色", "role %q is not an account role", role)
	}
	switch role {
	case credit.RoleDept, credit.RoleBusiness:
		if dept == "" {
			return nil, credit.Say(op, credit.Invalid, "数据提供部门和业务系统的账号须填写所属部门代码", "a %s account needs the code of its department", role)
		}
	case credit.RoleSubject:
		if subject == "" {
			return nil, credit.Say(op, credit.Invalid, "信用主体账号须填写其所代表主体的标识", "a subject account needs the ID of the subject it acts for")
		}
		if _, err := a.Store.Subject(ctx, subject); err != nil {
			if credit.Is(credit.NotFound, err) {
				return nil, credit.Say(op, credit.Invalid, "信用主体%s未登记", "subject %s is not registered", subject)
			}
			return nil, credit.Wrap(op, credit.Other, err)
		}
	}
	if role != credit.RoleSubject && subject != "" {
		return nil, credit.Say(op, credit.Invalid, "只有信用主体账号可以代表信用主体", "only a subject account acts for a subject")
	}
	acc := &credit.Account{
		ID: credit.NewID(), Name: name, Display: strings.TrimSpace(display),
		Role: role, Dept: dept, Subject: subject, Created: a.now(),
	}
	if password != "" {
		if err := CheckPassword(password); err != nil {
			return nil, credit.Say(op, credit.Invalid, "%v", "%v", err)
		}
		h, err := HashPassword(password)
		if err != nil {
			return nil, credit.Wrap(op, credit.Internal, err)
		}
		acc.PassHash = h
	}
	// PutAccount replaces by name; look first so that creating never
	// silently overwrites someone else's account.
	if _, err := a.Store.Account(ctx, name); err == nil {
		return nil, credit.Say(op, credit.Exists, "账号%s已存在", "account %s already exists", name)
	} else if !credit.Is(credit.NotFound, err) {
		return nil, credit.Wrap(op, credit.Other, err)
	}
	if err := a.Store.PutAccount(ctx, acc); err != nil {
		return nil, credit.Wrap(op, credit.Other, err)
	}
	return acc, nil
}

// dummyHash is verified against when the account does not exist, so that
// a wrong name and a wrong password take the same time and the login form
// does not reveal which names exist.
var dummyHash = sync.OnceValue(func() string {
	h, _ := HashPassword("not a real password, only for timing")
	return h
})

// errLogin is the one message for every failed login, for the same reason.
const errLogin = "wrong account name or password"

// Login checks a name and password and starts a session. It returns the
// session token (to put in the cookie) and the stored session. client is
// the caller's address, for a.Guard; while the guard refuses the name or
// the address, Login fails as RateLimited with a *LockedOut inside,
// without looking at the password.
func (a *Accounts) Login(ctx context.Context, name, password, client string) (string, *credit.Session, *credit.Account, error) {
	const op = "auth.Login"
	if err := a.Guard.Check(ctx, name, client); err != nil {
		var lo *LockedOut
		if errors.As(err, &lo) {
			return "", nil, nil, credit.E(op, credit.RateLimited, "%w", err)
		}
		return "", nil, nil, credit.Wrap(op, credit.Other, err)
	}
	acc, err := a.Store.Account(ctx, strings.TrimSpace(name))
	if err != nil && !credit.Is(credit.NotFound, err) {
		return "", nil, nil, credit.Wrap(op, credit.Other, err)
	}
	hash := dummyHash()
	if acc != nil && acc.PassHash != "" {
		hash = acc.PassHash
	}
	ok, verr := VerifyPassword(hash, password)
	if verr != nil {
		return "", nil, nil, credit.Wrap(op, credit.Internal, verr)
	}
	if acc == nil || acc.PassHash == "" || !ok {
		// A failure that cannot be counted fails the login as unavailable
		// rather than letting uncounted guesses through.
		if err := a.Guard.Failed(ctx, name, client); err != nil {
			return "", nil, nil, credit.Wrap(op, credit.Other, err)
		}
		return "", nil, nil, credit.Say(op, credit.Unauthenticated, "账号或密码错误", errLogin)
	}
	if err := a.Guard.Succeeded(ctx, name); err != nil {
		return "", nil, nil, credit.Wrap(op, credit.Other, err)
	}
	if acc.Disabled {
		return "", nil, nil, credit.E(op, credit.Unauthenticated, "account %s is disabled", acc.Name)
	}
	token, h := NewSessionToken()
	s := &credit.Session{Hash: h, AccountID: acc.ID, Expires: a.now().Add(SessionTTL)}
	if err := a.Store.PutSession(ctx, s); err != nil {
		return "", nil, nil, credit.Wrap(op, credit.Other, err)
	}
	return token, s, acc, nil
}

// Logout ends the session whose token is given. Ending a session that is
// already gone is not an error.
func (a *Accounts) Logout(ctx context.Context, token string) error {
	if token == "" {
		return nil
	}
	err := a.Store.DeleteSession(ctx, HashSecret(token))
	if err != nil && !credit.Is(credit.NotFound, err) {
		return credit.Wrap("auth.Logout", credit.Other, err)
	}
	return nil
}

// NewKey issues an API key for the named account and returns the secret,
// which is not stored and cannot be shown again.
func (a *Accounts) NewKey(ctx context.Context, accountName string) (string, *credit.APIKey, error) {
	const op = "auth.NewKey"
	acc, err := a.Store.Account(ctx, accountName)
	if err != nil {
		return "", nil, credit.Wrap(op, credit.Other, err)
	}
	if acc.Disabled {
		return "", nil, credit.E(op, credit.Conflict, "account %s is disabled", acc.Name)
	}
	secret, k := NewAPIKey()
	k.AccountID = acc.ID
	k.Created = a.now()
	if err := a.Store.PutAPIKey(ctx, &k); err != nil {
		return "", nil, credit.Wrap(op, credit.Other, err)
	}
	return secret, &k, nil
}
