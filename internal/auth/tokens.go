package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"net/http"
	"strings"
	"time"

	"github.com/xinyong/xinyong/internal/credit"
)

// KeyPrefix starts every API key secret, so that a key pasted into a
// ticket or a repository can be recognised (and revoked) by scanners.
const KeyPrefix = "xy_"

// keyPrefixLen is how much of a secret is kept clear to tell keys apart in
// lists: "xy_" and 5 random characters, 25 bits, far too few to guess the
// other 135.
const keyPrefixLen = len(KeyPrefix) + 5

// SessionCookie is the name of the browser session cookie.
const SessionCookie = "xy_session"

// SessionTTL is how long a session lasts: one working day plus margin, so
// that a shared desk computer does not stay signed in overnight for days.
const SessionTTL = 12 * time.Hour

// lowerBase32 avoids padding and case ambiguity: 20 random bytes become
// exactly 32 characters from a-z2-7.
var lowerBase32 = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

func randomToken() string {
	b := make([]byte, 20) // 160 bits
	// crypto/rand.Read never returns an error on supported platforms (Go 1.24+).
	_, _ = rand.Read(b)
	return lowerBase32.EncodeToString(b)
}

// HashSecret is the stored form of an API key secret or a session token:
// sha256 hex. A fast hash is enough because the secrets are 160 random bits,
// not guessable passwords.
func HashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// NewAPIKey makes a new key secret ("xy_" + 32 base32 characters) and the
// record to store for it. The caller sets AccountID; the secret is shown
// to the user once and never stored.
func NewAPIKey() (secret string, key credit.APIKey) {
	secret = KeyPrefix + randomToken()
	key = credit.APIKey{
		ID:      credit.NewID(),
		Hash:    HashSecret(secret),
		Prefix:  secret[:keyPrefixLen],
		Created: time.Now().UTC(),
	}
	return secret, key
}

// NewSessionToken returns a fresh session token and its stored hash.
func NewSessionToken() (token, hash string) {
	token = randomToken()
	return token, HashSecret(token)
}

// SetSessionCookie sends the session cookie. HttpOnly keeps it from
// scripts; SameSite=Lax keeps other sites from making signed-in POSTs;
// Secure is set when the request came over TLS (directly or, as reported by
// the front proxy, X-Forwarded-Proto) so that a plain-HTTP county intranet
// still works, and always when the node is told to (SecureCookie). The lifetime is given as Max-Age, relative, so that a skewed
// client clock does not drop the cookie early; the store enforces expiry.
func SetSessionCookie(w http.ResponseWriter, r *http.Request, token string) {
	http.SetCookie(w, &http.Cookie{
		Name: SessionCookie, Value: token, Path: "/",
		MaxAge:   int(SessionTTL / time.Second),
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: SecureCookie(r),
	})
}

// ClearSessionCookie removes the session cookie from the browser.
func ClearSessionCookie(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{
		Name: SessionCookie, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: SecureCookie(r),
	})
}

// IsTLS reports whether the client reached us over HTTPS.
func IsTLS(r *http.Request) bool {
	return r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}
