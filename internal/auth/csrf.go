package auth

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net"
	"net/http"
	"net/url"
	"strings"
)

// Cross-site request forgery. Two checks guard every request that changes
// something on behalf of a browser:
//
//   - SameOrigin: an unsafe request carrying the session cookie must come
//     from this site, as its Origin (or, without one, its Referer) says.
//     The API refuses a cookie-authenticated write that shows neither;
//     requests with an API key are not concerned (a page on another site
//     cannot make a browser send one).
//   - The portal's forms carry a token (CSRFToken) that a page on another
//     site cannot know, checked on every unsafe portal request (CheckCSRF).
//
// The token is derived from the browser's secret, not stored: an HMAC of a
// fixed label under the session token when the browser is signed in, or
// under a random pre-session cookie (CSRFCookie) for forms shown before
// signing in (the login form, the tracking page). It is bound to the
// session, so a token read from one session is worthless in another, and
// changes when the session does. Deriving it needs no storage, no extra
// write per page and no key shared between nodes, so any node checks a
// form another node rendered.

// CSRFField is the name of the forms' token field.
const CSRFField = "csrf"

// CSRFCookie holds the pre-session secret that forms shown before signing
// in are bound to.
const CSRFCookie = "xy_csrf"

// csrfLabel is what the token MACs; changing it invalidates every open form.
const csrfLabel = "xinyong form token v1"

func csrfTokenFor(secret string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(csrfLabel))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// browserSecret is the secret the request's forms are bound to: the
// session token when the browser sends one (valid or not: the form is
// checked against what the browser holds, the session against the store),
// else the pre-session cookie.
func browserSecret(r *http.Request) string {
	if c, err := r.Cookie(SessionCookie); err == nil && c.Value != "" {
		return c.Value
	}
	if c, err := r.Cookie(CSRFCookie); err == nil && len(c.Value) >= 32 {
		return c.Value
	}
	return ""
}

// CSRFToken returns the token for the forms of the page answering r. A
// browser with neither a session nor a pre-session cookie is given a
// pre-session cookie on w, to which the token is bound.
func CSRFToken(w http.ResponseWriter, r *http.Request) string {
	secret := browserSecret(r)
	if secret == "" {
		secret = randomToken()
		http.SetCookie(w, &http.Cookie{
			Name: CSRFCookie, Value: secret, Path: "/",
			HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: SecureCookie(r),
		})
	}
	return csrfTokenFor(secret)
}

// FormBound reports whether the browser that sent r holds a secret its
// forms can be bound to (a session or a pre-session cookie): without one
// no form token can be right.
func FormBound(r *http.Request) bool { return browserSecret(r) != "" }

// CheckCSRF reports whether token is the form token of the browser that
// sent r.
func CheckCSRF(r *http.Request, token string) bool {
	secret := browserSecret(r)
	if secret == "" || token == "" {
		return false
	}
	return hmac.Equal([]byte(token), []byte(csrfTokenFor(secret)))
}

// SafeMethod reports whether method only reads (GET, HEAD, OPTIONS), so
// that a forged request could not change anything.
func SafeMethod(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return true
	}
	return false
}

// SameOrigin says where r comes from by its Origin header or, without one,
// its Referer: same is true when that names this node (the scheme, host
// and port the request was addressed to); present is false when neither
// header is there. "Origin: null" (a sandboxed frame, a redirect from
// another site) is present and not the same.
//
// Behind a reverse proxy the proxy must pass the Host header through; if
// it terminates TLS it should say so in X-Forwarded-Proto, otherwise an
// https origin is taken to be this node's.
func SameOrigin(r *http.Request) (same, present bool) {
	src := r.Header.Get("Origin")
	if src == "" {
		src = r.Header.Get("Referer")
	}
	if src == "" {
		return false, false
	}
	u, err := url.Parse(src)
	if err != nil || u.Host == "" || u.User != nil {
		return false, true
	}
	scheme := strings.ToLower(u.Scheme)
	switch {
	case scheme == "https":
	case scheme == "http" && !IsTLS(r):
	default:
		return false, true
	}
	return hostPort(u.Host, scheme) == hostPort(r.Host, scheme), true
}

// hostPort is host with the scheme's default port made explicit, in lower
// case, for comparison.
func hostPort(host, scheme string) string {
	host = strings.ToLower(host)
	if h, p, err := net.SplitHostPort(host); err == nil {
		return net.JoinHostPort(h, p)
	}
	port := "80"
	if scheme == "https" {
		port = "443"
	}
	return net.JoinHostPort(strings.Trim(host, "[]"), port)
}

type secureKey struct{}

// WithSecureCookies marks ctx so that every cookie set while serving it is
// Secure, whatever the request says about TLS (serve --secure-cookies).
func WithSecureCookies(ctx context.Context) context.Context {
	return context.WithValue(ctx, secureKey{}, true)
}

// SecureCookie reports whether cookies set in answer to r must be Secure:
// the request came over TLS, or the node is configured to say so always.
func SecureCookie(r *http.Request) bool {
	if v, _ := r.Context().Value(secureKey{}).(bool); v {
		return true
	}
	return IsTLS(r)
}
