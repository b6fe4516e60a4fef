package auth

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/pii"
	"github.com/xinyong/xinyong/internal/uscc"
)

// OIDCConfig configures sign-in of companies and persons through an
// OpenID Connect identity provider: a provincial unified identity
// platform (统一身份认证平台) for persons, the electronic business licence
// service (电子营业执照) for companies. The provider vouches for the
// subject's code in a claim of the ID token it signs; the platform maps
// the verified code to the subject's account.
type OIDCConfig struct {
	// Issuer is the provider's issuer URL (discovery at
	// Issuer/.well-known/openid-configuration).
	Issuer       string
	ClientID     string
	ClientSecret string
	// RedirectURL is this platform's callback, as registered with the
	// provider: https://<host>/login/oidc/callback.
	RedirectURL string
	// OrgClaim names the ID-token claim holding an organisation's unified
	// social credit code; PersonClaim the one holding a natural person's
	// resident ID number. A token carries one of them.
	OrgClaim    string
	PersonClaim string
	// Label is what the sign-in button says the provider is (e.g.
	// 福建省统一身份认证平台); empty: a generic label.
	Label string
	// Client makes the requests to the provider (nil: http.DefaultClient
	// with a timeout).
	Client *http.Client
}

// Default claim names.
const (
	DefaultOrgClaim    = "uscc"
	DefaultPersonClaim = "id_number"
)

// OIDC signs subjects in through an OpenID Connect provider. It discovers
// the provider on first use (and again after a failure), so a node starts
// while the provider is unreachable.
type OIDC struct {
	cfg OIDCConfig
	now func() time.Time

	mu       sync.Mutex
	provider *oidc.Provider
}

// NewOIDC checks cfg. now is the clock ID tokens' times are checked
// against.
func NewOIDC(cfg OIDCConfig, now func() time.Time) (*OIDC, error) {
	if cfg.Issuer == "" || cfg.ClientID == "" || cfg.RedirectURL == "" {
		return nil, errors.New("oidc: issuer, client ID and redirect URL are all required")
	}
	for _, u := range []string{cfg.Issuer, cfg.RedirectURL} {
		pu, err := url.Parse(u)
		if err != nil || (pu.Scheme != "https" && pu.Scheme != "http") || pu.Host == "" {
			return nil, fmt.Errorf("oidc: %q is not an http(s) URL", u)
		}
	}
	if cfg.OrgClaim == "" {
		cfg.OrgClaim = DefaultOrgClaim
	}
	if cfg.PersonClaim == "" {
		cfg.PersonClaim = DefaultPersonClaim
	}
	if cfg.Client == nil {
		cfg.Client = &http.Client{Timeout: 15 * time.Second}
	}
	if now == nil {
		now = time.Now
	}
	return &OIDC{cfg: cfg, now: now}, nil
}

// Label is the provider's name for the sign-in button.
func (o *OIDC) Label() string { return o.cfg.Label }

// Issuer is the provider's issuer URL.
func (o *OIDC) Issuer() string { return o.cfg.Issuer }

func (o *OIDC) ctx(ctx context.Context) context.Context {
	return oidc.ClientContext(ctx, o.cfg.Client)
}

func (o *OIDC) discover(ctx context.Context) (*oidc.Provider, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.provider != nil {
		return o.provider, nil
	}
	p, err := oidc.NewProvider(o.ctx(ctx), o.cfg.Issuer)
	if err != nil {
		return nil, credit.E("auth.OIDC", credit.Unavailable, "discovering the identity provider %s: %w", o.cfg.Issuer, err)
	}
	o.provider = p
	return p, nil
}

func (o *OIDC) oauth(p *oidc.Provider) *oauth2.Config {
	return &oauth2.Config{
		ClientID: o.cfg.ClientID, ClientSecret: o.cfg.ClientSecret, RedirectURL: o.cfg.RedirectURL,
		Endpoint: p.Endpoint(), Scopes: []string{oidc.ScopeOpenID, "profile"},
	}
}

// Pending is a sign-in under way: what the browser keeps (in a cookie)
// between leaving for the provider and coming back.
type Pending struct {
	State    string `json:"s"`
	Nonce    string `json:"n"`
	Verifier string `json:"v"` // PKCE
	Next     string `json:"r"` // where to go afterwards (a local path)
}

// Begin starts a sign-in: the provider's authorisation URL to send the
// browser to and what to keep until it comes back.
func (o *OIDC) Begin(ctx context.Context, next string) (string, Pending, error) {
	p, err := o.discover(ctx)
	if err != nil {
		return "", Pending{}, err
	}
	pd := Pending{State: randomToken(), Nonce: randomToken(), Verifier: oauth2.GenerateVerifier(), Next: next}
	u := o.oauth(p).AuthCodeURL(pd.State, oidc.Nonce(pd.Nonce), oauth2.S256ChallengeOption(pd.Verifier))
	return u, pd, nil
}

// Identity is who the provider vouched for: exactly one of Code (an
// organisation's USCC) and IDNumber (a person's resident ID number,
// held in memory only, never stored in clear).
type Identity struct {
	Issuer   string
	Sub      string
	Code     string
	IDNumber string
	Name     string
}

// Finish completes a sign-in: it checks the state, redeems the code with
// the PKCE verifier, verifies the ID token (signature against the
// provider's published keys, issuer, audience, expiry, nonce) and reads
// the subject's code from the configured claim. Any failure is
// Unauthenticated.
func (o *OIDC) Finish(ctx context.Context, pd Pending, state, code string) (*Identity, error) {
	const op = "auth.OIDC.Finish"
	if pd.State == "" || state != pd.State {
		return nil, credit.Say(op, credit.Unauthenticated, "登录请求已失效，请重新登录", "the sign-in request does not match this browser's; start again")
	}
	if code == "" {
		return nil, credit.Say(op, credit.Unauthenticated, "身份认证平台未返回授权码", "the identity provider returned no authorisation code")
	}
	p, err := o.discover(ctx)
	if err != nil {
		return nil, err
	}
	tok, err := o.oauth(p).Exchange(o.ctx(ctx), code, oauth2.VerifierOption(pd.Verifier))
	if err != nil {
		return nil, credit.E(op, credit.Unauthenticated, "redeeming the authorisation code: %w", err)
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return nil, credit.E(op, credit.Unauthenticated, "the token response has no ID token")
	}
	idt, err := p.VerifierContext(o.ctx(ctx), &oidc.Config{ClientID: o.cfg.ClientID, Now: o.now}).Verify(o.ctx(ctx), raw)
	if err != nil {
		return nil, credit.E(op, credit.Unauthenticated, "verifying the ID token: %w", err)
	}
	if idt.Nonce != pd.Nonce {
		return nil, credit.E(op, credit.Unauthenticated, "the ID token's nonce is not this sign-in's")
	}
	var claims map[string]any
	if err := idt.Claims(&claims); err != nil {
		return nil, credit.E(op, credit.Unauthenticated, "reading the ID token's claims: %w", err)
	}
	str := func(k string) string { s, _ := claims[k].(string); return strings.TrimSpace(s) }
	id := &Identity{Issuer: idt.Issuer, Sub: idt.Subject, Code: strings.ToUpper(str(o.cfg.OrgClaim)),
		IDNumber: strings.ToUpper(str(o.cfg.PersonClaim)), Name: str("name")}
	if (id.Code == "") == (id.IDNumber == "") {
		return nil, credit.Say(op, credit.Unauthenticated, "身份认证平台未提供统一社会信用代码或身份证号码",
			"the ID token carries neither (or both) of the claims %s and %s", o.cfg.OrgClaim, o.cfg.PersonClaim)
	}
	return id, nil
}

// EncodePending and DecodePending carry a Pending in a cookie value.
func EncodePending(pd Pending) string {
	b, _ := json.Marshal(pd)
	return base64.RawURLEncoding.EncodeToString(b)
}

// DecodePending reads a cookie value EncodePending made.
func DecodePending(s string) (Pending, error) {
	var pd Pending
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return pd, fmt.Errorf("oidc pending: %w", err)
	}
	if err := json.Unmarshal(b, &pd); err != nil {
		return pd, fmt.Errorf("oidc pending: %w", err)
	}
	return pd, nil
}

// SubjectFinder finds the subject an identity names.
type SubjectFinder interface {
	Subject(ctx context.Context, id string) (*credit.Subject, error)
	SubjectByIDHash(ctx context.Context, hash string) (*credit.Subject, error)
}

// IdentitySubject is the registered subject an identity names: an
// organisation by its code (checked first: a code failing its check digit
// is refused), a person by the keyed hash of the ID number (seal's keys,
// current and previous). NotFound when the platform has no such subject.
func IdentitySubject(ctx context.Context, st SubjectFinder, seal *pii.Sealer, id *Identity) (*credit.Subject, error) {
	const op = "auth.IdentitySubject"
	if id.Code != "" {
		if res := uscc.CheckUSCC(id.Code); res.Status != uscc.Valid && res.Status != uscc.Flagged {
			return nil, credit.Say(op, credit.Invalid, "身份认证平台提供的统一社会信用代码无效", "the identity provider's code %s fails its check", id.Code)
		}
		s, err := st.Subject(ctx, id.Code)
		if err != nil {
			if credit.Is(credit.NotFound, err) {
				return nil, credit.Say(op, credit.NotFound, "该统一社会信用代码的主体未在本平台登记", "no organisation with code %s is registered here", id.Code)
			}
			return nil, credit.Wrap(op, credit.Other, err)
		}
		if s.Kind == credit.Person {
			return nil, credit.E(op, credit.NotFound, "code names a person")
		}
		return s, nil
	}
	if seal == nil {
		return nil, credit.E(op, credit.Unavailable, "no data key: persons cannot be found")
	}
	if res := uscc.CheckResidentID(id.IDNumber); res.Status != uscc.Valid {
		return nil, credit.Say(op, credit.Invalid, "身份认证平台提供的身份证号码无效", "the identity provider's ID number fails its check")
	}
	for _, h := range seal.Hashes(id.IDNumber) {
		s, err := st.SubjectByIDHash(ctx, h)
		if err == nil && s.Kind == credit.Person {
			return s, nil
		}
		if err != nil && !credit.Is(credit.NotFound, err) {
			return nil, credit.Wrap(op, credit.Other, err)
		}
	}
	return nil, credit.Say(op, credit.NotFound, "您的身份信息未在本平台登记为信用主体", "this person is not registered here")
}

// IdentityAccountName is the login name of the subject account an
// identity provider's sign-ins for subject land on: derived from the
// issuer and the subject's ID (for a person, itself a keyed hash), so
// it names no one and the same provider's sign-ins for the same subject
// always find the same account.
func IdentityAccountName(issuer, subjectID string) string {
	h := sha256.Sum256([]byte(issuer + "\x00" + subjectID))
	return "sso." + hex.EncodeToString(h[:12])
}

// SignInSubject starts a session for subject's account of the identity
// provider issuer, creating the account on first sign-in (role subject,
// no password: it signs in only through the provider). An account of
// that name that does not act for subject, or is disabled, is refused.
func (a *Accounts) SignInSubject(ctx context.Context, issuer string, s *credit.Subject) (string, *credit.Account, error) {
	const op = "auth.SignInSubject"
	name := IdentityAccountName(issuer, s.ID)
	acc, err := a.Store.Account(ctx, name)
	switch {
	case credit.Is(credit.NotFound, err):
		if acc, err = a.CreateAccount(ctx, name, s.Name, credit.RoleSubject, "", s.ID, ""); err != nil {
			return "", nil, credit.Wrap(op, credit.Other, err)
		}
	case err != nil:
		return "", nil, credit.Wrap(op, credit.Other, err)
	}
	if acc.Role != credit.RoleSubject || acc.Subject != s.ID {
		return "", nil, credit.E(op, credit.Conflict, "account %s does not act for subject %s", name, s.ID)
	}
	if acc.Disabled {
		return "", nil, credit.Say(op, credit.Unauthenticated, "账号已停用", "account %s is disabled", acc.Name)
	}
	token, h := NewSessionToken()
	if err := a.Store.PutSession(ctx, &credit.Session{Hash: h, AccountID: acc.ID, Expires: a.now().Add(SessionTTL)}); err != nil {
		return "", nil, credit.Wrap(op, credit.Other, err)
	}
	return token, acc, nil
}
