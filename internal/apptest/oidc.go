package apptest

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/coreos/go-oidc/v3/oidc/oidctest"
)

// IdentityProvider is a real OpenID Connect provider for tests, served
// in-process: discovery and the JWKS (go-oidc's oidctest server), an
// authorisation endpoint that signs in whoever Next names at once and
// sends the browser back with a code, and a token endpoint that checks
// the client's secret, the redirect URI and the PKCE verifier and
// answers with an RS256-signed ID token carrying the nonce. Nothing of
// the platform's code is replaced: the platform talks to it over HTTP as
// to a provincial identity platform.
type IdentityProvider struct {
	URL                    string
	ClientID, ClientSecret string
	// Now is the provider's clock (the node's, so tokens are fresh in
	// business time).
	Now func() time.Time

	key   *rsa.PrivateKey
	other *rsa.PrivateKey // a key the JWKS does not publish
	srv   *httptest.Server

	mu sync.Mutex
	// Next are the claims of whoever signs in next (besides iss, aud,
	// exp, iat, nonce); nil refuses the sign-in (error=access_denied).
	next map[string]any
	// Tamper spoils the next token: "nonce", "audience", "signature",
	// "expired".
	tamper string
	codes  map[string]idpGrant
	// Tokens counts the ID tokens issued.
	Tokens int
}

type idpGrant struct {
	claims           map[string]any
	nonce, challenge string
	redirect, tamper string
}

// NewIdentityProvider starts a provider for client clientID, closed when
// the test ends.
func NewIdentityProvider(t testing.TB, now func() time.Time) *IdentityProvider {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	p := &IdentityProvider{ClientID: "xinyong-portal", ClientSecret: "s3cret-of-the-portal", Now: now,
		key: key, other: other, codes: map[string]idpGrant{}}
	disc := &oidctest.Server{PublicKeys: []oidctest.PublicKey{{PublicKey: key.Public(), KeyID: "k1", Algorithm: oidc.RS256}}}
	mux := http.NewServeMux()
	mux.Handle("/.well-known/openid-configuration", disc)
	mux.Handle("/keys", disc)
	mux.HandleFunc("/auth", p.authorize)
	mux.HandleFunc("/token", p.token)
	p.srv = httptest.NewServer(mux)
	t.Cleanup(p.srv.Close)
	disc.SetIssuer(p.srv.URL)
	p.URL = p.srv.URL
	return p
}

// SignInNext makes the next authorisation sign in with claims (nil:
// refuse it), its token spoilt as tamper says ("" for none).
func (p *IdentityProvider) SignInNext(claims map[string]any, tamper string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.next, p.tamper = claims, tamper
}

func (p *IdentityProvider) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	redirect := q.Get("redirect_uri")
	ru, err := url.Parse(redirect)
	if err != nil || redirect == "" || q.Get("client_id") != p.ClientID || q.Get("response_type") != "code" {
		http.Error(w, "bad authorisation request", http.StatusBadRequest)
		return
	}
	if q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" || q.Get("nonce") == "" || q.Get("state") == "" {
		http.Error(w, "PKCE (S256), nonce and state are required", http.StatusBadRequest)
		return
	}
	p.mu.Lock()
	claims, tamper := p.next, p.tamper
	back := ru.Query()
	back.Set("state", q.Get("state"))
	if claims == nil {
		back.Set("error", "access_denied")
	} else {
		code := rand.Text()
		p.codes[code] = idpGrant{claims: claims, nonce: q.Get("nonce"), challenge: q.Get("code_challenge"), redirect: redirect, tamper: tamper}
		back.Set("code", code)
	}
	p.mu.Unlock()
	ru.RawQuery = back.Encode()
	http.Redirect(w, r, ru.String(), http.StatusFound)
}

func (p *IdentityProvider) token(w http.ResponseWriter, r *http.Request) {
	fail := func(status int, e string) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(map[string]string{"error": e})
	}
	if err := r.ParseForm(); err != nil || r.PostForm.Get("grant_type") != "authorization_code" {
		fail(http.StatusBadRequest, "invalid_request")
		return
	}
	id, secret, ok := r.BasicAuth()
	if !ok {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	if id != p.ClientID || subtle.ConstantTimeCompare([]byte(secret), []byte(p.ClientSecret)) != 1 {
		fail(http.StatusUnauthorized, "invalid_client")
		return
	}
	p.mu.Lock()
	g, ok := p.codes[r.PostForm.Get("code")]
	delete(p.codes, r.PostForm.Get("code")) // a code is redeemed once
	p.mu.Unlock()
	sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
	if !ok || g.redirect != r.PostForm.Get("redirect_uri") || base64.RawURLEncoding.EncodeToString(sum[:]) != g.challenge {
		fail(http.StatusBadRequest, "invalid_grant")
		return
	}
	now := p.Now()
	claims := map[string]any{"iss": p.URL, "aud": p.ClientID, "iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix(), "nonce": g.nonce}
	for k, v := range g.claims {
		claims[k] = v
	}
	key := p.key
	switch g.tamper {
	case "nonce":
		claims["nonce"] = "someone-elses-nonce"
	case "audience":
		claims["aud"] = "another-client"
	case "signature":
		key = p.other
	case "expired":
		claims["exp"] = now.Add(-time.Hour).Unix()
	}
	b, _ := json.Marshal(claims)
	idt := oidctest.SignIDToken(key, "k1", oidc.RS256, string(b))
	p.mu.Lock()
	p.Tokens++
	p.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(map[string]any{"access_token": rand.Text(), "token_type": "Bearer", "expires_in": 300, "id_token": idt})
}
