package auth_test

import (
	"errors"
	"testing"
	"time"

	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/credit"
)

// TestLoginGuard runs the same guesses against a guard counting in
// memory and one counting in the store.
func TestLoginGuard(t *testing.T) {
	for _, shared := range []bool{false, true} {
		t.Run(map[bool]string{false: "memory", true: "store"}[shared], func(t *testing.T) {
			now := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
			g := &auth.LoginGuard{Now: func() time.Time { return now }}
			if shared {
				g.Store = openStore(t)
			}
			testLoginGuard(t, g, &now)
		})
	}
}

func testLoginGuard(t *testing.T, g *auth.LoginGuard, now *time.Time) {
	ctx := t.Context()
	locked := func(name, client string) *auth.LockedOut {
		t.Helper()
		err := g.Check(ctx, name, client)
		if err == nil {
			return nil
		}
		var lo *auth.LockedOut
		if !errors.As(err, &lo) {
			t.Fatalf("Check: %v is not a *LockedOut", err)
		}
		return lo
	}
	fail := func(name, client string) {
		t.Helper()
		if err := g.Failed(ctx, name, client); err != nil {
			t.Fatalf("Failed: %v", err)
		}
	}
	for i := 0; i < 4; i++ {
		fail("rev", "192.0.2.1")
		*now = now.Add(time.Minute)
	}
	if lo := locked("rev", "192.0.2.1"); lo != nil {
		t.Fatalf("locked after 4 failures: %v", lo)
	}
	fail("  rev ", "192.0.2.1") // the name as Login looks it up
	lo := locked("rev", "192.0.2.9")
	if lo == nil || lo.By != "account" || lo.Wait != 11*time.Minute {
		t.Fatalf("after 5 failures: %+v, want locked by account for 11 min (15 from the first failure, 4 min ago)", lo)
	}
	if lo := locked("other", "192.0.2.1"); lo != nil {
		t.Fatalf("another account from the same address: %v", lo)
	}
	*now = now.Add(11 * time.Minute)
	if lo := locked("rev", "192.0.2.1"); lo != nil {
		t.Fatalf("the first failure aged out: %v", lo)
	}
	fail("rev", "192.0.2.1")
	if lo := locked("rev", "192.0.2.1"); lo == nil {
		t.Fatal("5 failures in the window again: not locked")
	}
	if err := g.Succeeded(ctx, "rev"); err != nil {
		t.Fatal(err)
	}
	if lo := locked("rev", "192.0.2.1"); lo != nil {
		t.Fatalf("after a success: %v", lo)
	}

	// One address guessing many accounts.
	for i := 0; i < 20; i++ {
		fail("user"+string(rune('a'+i)), "198.51.100.7")
	}
	if lo := locked("fresh", "198.51.100.7"); lo == nil || lo.By != "client" {
		t.Fatalf("20 failures from one address: %+v, want locked by client", lo)
	}
	if lo := locked("fresh", "198.51.100.8"); lo != nil {
		t.Fatalf("another address: %v", lo)
	}
	var nilGuard *auth.LoginGuard
	if err := nilGuard.Failed(ctx, "x", "y"); err != nil {
		t.Fatalf("nil guard: %v", err)
	}
	if err := nilGuard.Check(ctx, "x", "y"); err != nil {
		t.Fatalf("nil guard: %v", err)
	}
}

// TestLoginGuardShared: with the failures in the store, guesses made
// through one node count on another and survive a restart, and failures
// older than the window are deleted.
func TestLoginGuardShared(t *testing.T) {
	st := openStore(t)
	ctx := t.Context()
	now := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	nodeA := &auth.LoginGuard{Now: clock, Store: st}
	nodeB := &auth.LoginGuard{Now: clock, Store: st}
	for i := 0; i < 3; i++ {
		if err := nodeA.Failed(ctx, "rev", "192.0.2.1"); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < 2; i++ {
		if err := nodeB.Failed(ctx, "rev", "192.0.2.2"); err != nil {
			t.Fatal(err)
		}
	}
	restarted := &auth.LoginGuard{Now: clock, Store: st}
	var lo *auth.LockedOut
	if err := restarted.Check(ctx, "rev", "192.0.2.3"); !errors.As(err, &lo) || lo.By != "account" {
		t.Fatalf("5 failures over two nodes, checked on a restarted node: %v, want locked by account", err)
	}
	// A window later the next failure prunes the old ones.
	now = now.Add(16 * time.Minute)
	if err := nodeA.Failed(ctx, "someone", "192.0.2.9"); err != nil {
		t.Fatal(err)
	}
	if ts, err := st.LoginFailures(ctx, "a:rev", time.Time{}, 100); err != nil || len(ts) != 0 {
		t.Fatalf("failures left after the window: %v, %v", ts, err)
	}
	if err := nodeB.Check(ctx, "rev", "192.0.2.1"); err != nil {
		t.Fatalf("after the window: %v", err)
	}
}

// TestLoginLockout: while locked out, even the right password is refused
// without being checked, as RateLimited with a wait.
func TestLoginLockout(t *testing.T) {
	st := openStore(t)
	ctx := t.Context()
	now := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	accs := &auth.Accounts{Store: st, Now: clock, Guard: &auth.LoginGuard{Now: clock}}
	if _, err := accs.CreateAccount(ctx, "rev", "", credit.RoleReviewer, "", "", "0123456789"); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 5; i++ {
		if _, _, _, err := accs.Login(ctx, "rev", "guess", "192.0.2.1"); !credit.Is(credit.Unauthenticated, err) {
			t.Fatalf("guess %d: %v", i, err)
		}
	}
	_, _, _, err := accs.Login(ctx, "rev", "0123456789", "192.0.2.2")
	var lo *auth.LockedOut
	if !credit.Is(credit.RateLimited, err) || !errors.As(err, &lo) || lo.RetryAfter() != 15*time.Minute {
		t.Fatalf("right password while locked out: %v", err)
	}
	now = now.Add(15 * time.Minute)
	if _, _, _, err := accs.Login(ctx, "rev", "0123456789", "192.0.2.2"); err != nil {
		t.Fatalf("after the window: %v", err)
	}
}

// TestLoginGuardUnlock: the guard lists the accounts its per-account limit
// refuses, with when the refusal ends, and an unlock lifts it at once
// while the guesser's address stays limited.
func TestLoginGuardUnlock(t *testing.T) {
	for _, shared := range []bool{false, true} {
		t.Run(map[bool]string{false: "memory", true: "store"}[shared], func(t *testing.T) {
			ctx := t.Context()
			now := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
			g := &auth.LoginGuard{Now: func() time.Time { return now }, MaxPerClient: 8}
			if shared {
				g.Store = openStore(t)
			}
			for i := range 5 {
				if err := g.Failed(ctx, "rev", "192.0.2.1"); err != nil {
					t.Fatal(err)
				}
				if i < 3 {
					if err := g.Failed(ctx, "aud", "192.0.2.1"); err != nil {
						t.Fatal(err)
					}
				}
				now = now.Add(time.Minute)
			}
			ls, err := g.LockedOut(ctx)
			if err != nil || len(ls) != 1 || ls[0].Name != "rev" || ls[0].Wait != 10*time.Minute || !ls[0].Until.Equal(now.Add(10*time.Minute)) {
				t.Fatalf("LockedOut = %+v, %v; want rev for 10 more minutes", ls, err)
			}
			if w, locked, err := g.Locked(ctx, "aud"); err != nil || locked || w != 0 {
				t.Fatalf("Locked(aud) = %v %v %v; 3 failures lock nothing", w, locked, err)
			}
			if err := g.Unlock(ctx, "rev"); err != nil {
				t.Fatal(err)
			}
			if ls, err := g.LockedOut(ctx); err != nil || len(ls) != 0 {
				t.Fatalf("after unlocking: %+v, %v", ls, err)
			}
			if err := g.Check(ctx, "rev", "192.0.2.2"); err != nil {
				t.Fatalf("rev from another address after unlocking: %v", err)
			}
			var lo *auth.LockedOut
			if err := g.Check(ctx, "rev", "192.0.2.1"); !errors.As(err, &lo) || lo.By != "client" {
				t.Fatalf("the guesser's address after unlocking: %v, want still limited", err)
			}
		})
	}
}
