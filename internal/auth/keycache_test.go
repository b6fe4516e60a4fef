package auth_test

import (
	"net/http/httptest"
	"testing"
	"time"

	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/credit"
)

// A revoked key keeps working for at most the cache TTL, and a key the
// cache has never seen is always checked against the store.
func TestKeyCacheBoundsRevocation(t *testing.T) {
	st := openStore(t)
	now := time.Date(2026, 5, 1, 8, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	accs := &auth.Accounts{Store: st, Now: clock}
	if _, err := accs.CreateAccount(t.Context(), "sys", "", credit.RoleBusiness, "FIN-350100", "", ""); err != nil {
		t.Fatal(err)
	}
	secret, key, err := accs.NewKey(t.Context(), "sys")
	if err != nil {
		t.Fatal(err)
	}
	a := &auth.Authenticator{Store: st, Now: clock, Keys: &auth.KeyCache{TTL: time.Second}}
	call := func() error {
		r := httptest.NewRequest("GET", "/api/v1/me", nil)
		r.Header.Set("Authorization", "Bearer "+secret)
		_, err := a.Authenticate(r)
		return err
	}
	if err := call(); err != nil {
		t.Fatalf("fresh key: %v", err)
	}
	key.Revoked = true
	if err := st.PutAPIKey(t.Context(), key); err != nil {
		t.Fatal(err)
	}
	now = now.Add(500 * time.Millisecond)
	if err := call(); err != nil {
		t.Fatalf("within the TTL the cached key still works: %v", err)
	}
	now = now.Add(600 * time.Millisecond)
	if err := call(); !credit.Is(credit.Unauthenticated, err) {
		t.Fatalf("after the TTL a revoked key must be refused, got %v", err)
	}
	// Without a cache, revocation is immediate.
	plain := &auth.Authenticator{Store: st, Now: clock}
	r := httptest.NewRequest("GET", "/api/v1/me", nil)
	r.Header.Set("Authorization", "Bearer "+secret)
	if _, err := plain.Authenticate(r); !credit.Is(credit.Unauthenticated, err) {
		t.Fatalf("uncached revoked key: %v", err)
	}
}
