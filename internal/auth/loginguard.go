package auth

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/xinyong/xinyong/internal/credit"
)

// LoginGuard slows password guessing. It counts failed logins per account
// name and per client address over a sliding window; once either count
// reaches its limit, further logins for that name (or from that address)
// are refused without checking the password until the oldest failure in
// the window has aged out. A successful login clears the name's count.
//
// Behind a reverse proxy the address is the client's only when the proxy
// is configured as trusted (serve --trusted-proxies); otherwise every
// client shares the proxy's address and its limit.
//
// With Store set (serve sets the platform's store) the failures are kept
// in the database, so the limits hold across every node of a cluster and
// over restarts. Without it they live in this process's memory: behind a
// load balancer a guesser then gets the limit on every node. Refusing by
// name lets anyone hold an account's password logins back for a window
// (API keys keep working); the per-address limit alone would not stop a
// guesser with many addresses, so both are kept.
type LoginGuard struct {
	// MaxPerAccount and MaxPerClient are the failures allowed within
	// Window (defaults 5 and 20); Window defaults to 15 minutes.
	MaxPerAccount, MaxPerClient int
	Window                      time.Duration
	Now                         func() time.Time
	// Store, when set, keeps the failures where every node sees them.
	Store credit.LoginFailureStore

	mu        sync.Mutex
	fails     map[string][]time.Time // in memory: "a:" + name or "c:" + address → failure times, oldest first
	lastPrune time.Time              // with Store: when old failures were last deleted
}

// Defaults of LoginGuard.
const (
	DefaultLoginFailuresPerAccount = 5
	DefaultLoginFailuresPerClient  = 20
	DefaultLoginWindow             = 15 * time.Minute
	loginGuardKeys                 = 100_000 // past this, a sweep drops expired keys, or all
)

// LockedOut is the error a refused login carries: when to try again.
type LockedOut struct {
	Wait time.Duration
	By   string // "account" or "client"
}

func (e *LockedOut) Error() string {
	mins := int(math.Ceil(e.Wait.Minutes()))
	if e.By == "client" {
		return fmt.Sprintf("too many failed logins from this address; try again in %d min", mins)
	}
	return fmt.Sprintf("too many failed logins for this account; try again in %d min", mins)
}

// RetryAfter is how long the caller should wait (the Retry-After header).
func (e *LockedOut) RetryAfter() time.Duration { return e.Wait }

func (g *LoginGuard) limits() (perAccount, perClient int, window time.Duration, now time.Time) {
	perAccount, perClient, window = g.MaxPerAccount, g.MaxPerClient, g.Window
	if perAccount <= 0 {
		perAccount = DefaultLoginFailuresPerAccount
	}
	if perClient <= 0 {
		perClient = DefaultLoginFailuresPerClient
	}
	if window <= 0 {
		window = DefaultLoginWindow
	}
	if g.Now != nil {
		now = g.Now()
	} else {
		now = time.Now()
	}
	return perAccount, perClient, window, now
}

// guardName folds the name the way Login looks it up, and bounds the key.
func guardName(name string) string {
	name = strings.TrimSpace(name)
	if len(name) > 128 {
		name = name[:128]
	}
	return "a:" + name
}

// Check returns a *LockedOut if a login for name from client must be
// refused now, or nil; with Store, an error if the store cannot say. A
// nil guard allows everything.
func (g *LoginGuard) Check(ctx context.Context, name, client string) error {
	if g == nil {
		return nil
	}
	perAccount, perClient, window, now := g.limits()
	type limit struct {
		key, by string
		max     int
	}
	limits := []limit{{guardName(name), "account", perAccount}}
	if client != "" {
		limits = append(limits, limit{"c:" + client, "client", perClient})
	}
	for _, l := range limits {
		var w time.Duration
		if g.Store != nil {
			ts, err := g.Store.LoginFailures(ctx, l.key, now.Add(-window), l.max)
			if err != nil {
				return credit.Wrap("auth.LoginGuard", credit.Unavailable, err)
			}
			if len(ts) >= l.max { // newest first: the max-th newest must age out
				w = ts[l.max-1].Add(window).Sub(now)
			}
		} else {
			g.mu.Lock()
			w = g.blocked(l.key, l.max, window, now)
			g.mu.Unlock()
		}
		if w > 0 {
			return &LockedOut{Wait: w, By: l.by}
		}
	}
	return nil
}

// blocked prunes key's failures to the window and returns how long until
// it is under max again (0: it is).
func (g *LoginGuard) blocked(key string, max int, window time.Duration, now time.Time) time.Duration {
	ts := g.prune(key, window, now)
	if len(ts) < max {
		return 0
	}
	return ts[len(ts)-max].Add(window).Sub(now)
}

func (g *LoginGuard) prune(key string, window time.Duration, now time.Time) []time.Time {
	ts := g.fails[key]
	i := 0
	for i < len(ts) && !ts[i].Add(window).After(now) {
		i++
	}
	if i == len(ts) {
		delete(g.fails, key)
		return nil
	}
	ts = ts[i:]
	g.fails[key] = ts
	return ts
}

// Failed counts a failed login for name from client.
func (g *LoginGuard) Failed(ctx context.Context, name, client string) error {
	if g == nil {
		return nil
	}
	perAccount, perClient, window, now := g.limits()
	if g.Store != nil {
		keys := []string{guardName(name)}
		if client != "" {
			keys = append(keys, "c:"+client)
		}
		if err := g.Store.AddLoginFailures(ctx, now, keys...); err != nil {
			return credit.Wrap("auth.LoginGuard", credit.Unavailable, err)
		}
		// Failures older than the window count for nothing: delete them
		// once a window, from whichever node fails a login.
		g.mu.Lock()
		due := now.Sub(g.lastPrune) >= window
		if due {
			g.lastPrune = now
		}
		g.mu.Unlock()
		if due {
			if _, err := g.Store.PruneLoginFailures(ctx, now.Add(-window)); err != nil {
				return credit.Wrap("auth.LoginGuard", credit.Unavailable, err)
			}
		}
		return nil
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.fails == nil {
		g.fails = make(map[string][]time.Time)
	}
	if len(g.fails) >= loginGuardKeys {
		for k := range g.fails {
			g.prune(k, window, now)
		}
		// Still full: someone is failing logins under a great many names
		// or addresses. Start afresh rather than sweep on every attempt;
		// each attempt still costs the guesser a password hash.
		if len(g.fails) >= loginGuardKeys {
			clear(g.fails)
		}
	}
	g.add(guardName(name), perAccount, window, now)
	if client != "" {
		g.add("c:"+client, perClient, window, now)
	}
	return nil
}

// add records a failure, keeping at most max times (older ones cannot
// change when the key is under max again).
func (g *LoginGuard) add(key string, max int, window time.Duration, now time.Time) {
	ts := append(g.prune(key, window, now), now)
	if len(ts) > max {
		ts = ts[len(ts)-max:]
	}
	g.fails[key] = ts
}

// Succeeded clears name's failures; the address's stay counted.
func (g *LoginGuard) Succeeded(ctx context.Context, name string) error {
	if g == nil {
		return nil
	}
	if g.Store != nil {
		if err := g.Store.ClearLoginFailures(ctx, guardName(name)); err != nil {
			return credit.Wrap("auth.LoginGuard", credit.Unavailable, err)
		}
		return nil
	}
	g.mu.Lock()
	delete(g.fails, guardName(name))
	g.mu.Unlock()
	return nil
}

// Lockout is an account name whose password logins the per-account limit
// refuses now, and for how long.
type Lockout struct {
	Name  string        `json:"name"`
	Wait  time.Duration `json:"-"`
	Until time.Time     `json:"until"`
}

// Locked returns how long password logins for name stay refused by the
// per-account limit (the per-address limit is not the account's and is
// not reported), and false when they are not.
func (g *LoginGuard) Locked(ctx context.Context, name string) (time.Duration, bool, error) {
	if g == nil {
		return 0, false, nil
	}
	perAccount, _, window, now := g.limits()
	key := guardName(name)
	var w time.Duration
	if g.Store != nil {
		ts, err := g.Store.LoginFailures(ctx, key, now.Add(-window), perAccount)
		if err != nil {
			return 0, false, credit.Wrap("auth.LoginGuard", credit.Unavailable, err)
		}
		if len(ts) >= perAccount {
			w = ts[perAccount-1].Add(window).Sub(now)
		}
	} else {
		g.mu.Lock()
		if g.fails != nil {
			w = g.blocked(key, perAccount, window, now)
		}
		g.mu.Unlock()
	}
	return w, w > 0, nil
}

// LockedOut lists the account names the per-account limit refuses now,
// by name.
func (g *LoginGuard) LockedOut(ctx context.Context) ([]Lockout, error) {
	if g == nil {
		return nil, nil
	}
	perAccount, _, window, now := g.limits()
	var names []string
	if g.Store != nil {
		keys, err := g.Store.LoginFailureKeys(ctx, "a:", now.Add(-window), perAccount)
		if err != nil {
			return nil, credit.Wrap("auth.LoginGuard", credit.Unavailable, err)
		}
		for _, k := range keys {
			names = append(names, strings.TrimPrefix(k, "a:"))
		}
	} else {
		g.mu.Lock()
		for k := range g.fails {
			if strings.HasPrefix(k, "a:") {
				names = append(names, strings.TrimPrefix(k, "a:"))
			}
		}
		g.mu.Unlock()
		slices.Sort(names)
	}
	var out []Lockout
	for _, n := range names {
		w, locked, err := g.Locked(ctx, n)
		if err != nil {
			return nil, err
		}
		if locked {
			out = append(out, Lockout{Name: n, Wait: w, Until: now.Add(w).UTC()})
		}
	}
	return out, nil
}

// Unlock lifts the per-account limit on name at once, as a successful
// login does: its failures are forgotten. An administrator uses it for
// an account someone locked out by guessing; the per-address limit of the
// guesser stays.
func (g *LoginGuard) Unlock(ctx context.Context, name string) error {
	return g.Succeeded(ctx, name)
}
