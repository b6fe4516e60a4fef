// Package apptest is the tests' shared environment: a store on either
// backend (a fresh SQLite file, or a private PostgreSQL schema), the real
// catalogue, a fixed data key, a settable clock, and a node built by the
// composition root (internal/app) over them, with accounts on demand.
// Every package's tests build their node here instead of wiring their own,
// so that tests run the services exactly as `serve` wires them.
package apptest

import (
	"bytes"
	"context"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/xinyong/xinyong/internal/app"
	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/pii"
	"github.com/xinyong/xinyong/internal/sanction"
	"github.com/xinyong/xinyong/internal/store/postgres"
	"github.com/xinyong/xinyong/internal/store/postgres/pgtest"
	"github.com/xinyong/xinyong/internal/store/sqlite"
	"github.com/xinyong/xinyong/internal/testenv"
	"github.com/xinyong/xinyong/internal/workday"
)

// Backends a test may ask for.
const (
	SQLite   = "sqlite"
	Postgres = "postgres"
)

// Options shape an environment; the zero value is a SQLite node with its
// clock at testenv.DefaultNow.
type Options struct {
	// Backend is SQLite (default) or Postgres (skipped when no server is
	// reachable, unless XINYONG_REQUIRE_POSTGRES=1).
	Backend string
	// Start is where the clock starts; zero is testenv.DefaultNow.
	Start time.Time
	// Logger receives the node's logs; nil discards them.
	Logger *slog.Logger
	// NoSearchIndex builds the node without the name index.
	NoSearchIndex bool
	// Sanction tunes the hit-check service (intervals).
	Sanction sanction.Config
	// Store, when set, is the store to build the node on (another node
	// of the same installation); else a fresh one.
	Store credit.Store
	// Exchange is the node's exchange identity and transports.
	Exchange app.ExchangeParts
	// Catalog is the node's catalogue; nil: the embedded one.
	Catalog *catalog.Catalog
	// Sealer is the node's data key; nil: Sealer(t), the tests' key.
	Sealer *pii.Sealer
}

// Env is one node under test.
type Env struct {
	*app.App
	T     testing.TB
	Clock *testenv.Clock
	// Accounts creates accounts and keys in the node's store.
	Accounts *auth.Accounts
}

// New builds a node as o says, closed when the test ends.
func New(t testing.TB, o Options) *Env {
	t.Helper()
	ctx := context.Background()
	st := o.Store
	if st == nil {
		st = Store(t, o.Backend)
	}
	start := o.Start
	if start.IsZero() {
		start = testenv.DefaultNow
	}
	clk := testenv.NewClock(start)
	logger := o.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	cat := o.Catalog
	if cat == nil {
		cat = Catalog(t)
	}
	seal := o.Sealer
	if seal == nil {
		seal = Sealer(t)
	}
	node, err := app.New(ctx, app.Parts{Store: st, Catalog: cat, Sealer: seal, Calendar: Calendar(t),
		CalendarDir: t.TempDir(), Logger: logger, Now: clk.Now, NoSearchIndex: o.NoSearchIndex, Sanction: o.Sanction, Exchange: o.Exchange})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := node.Close(context.Background()); err != nil {
			t.Errorf("closing the node: %v", err)
		}
	})
	return &Env{App: node, T: t, Clock: clk, Accounts: &auth.Accounts{Store: st, Now: clk.Now}}
}

// Store opens a fresh, migrated store on backend ("" is SQLite), closed
// when the test ends.
func Store(t testing.TB, backend string) credit.Store {
	t.Helper()
	ctx := context.Background()
	var (
		st  credit.Store
		err error
	)
	switch backend {
	case "", SQLite:
		st, err = sqlite.Open(ctx, filepath.Join(t.TempDir(), "x.db"), sqlite.Logger(slog.New(slog.DiscardHandler)))
	case Postgres:
		st, err = postgres.Open(ctx, pgtest.TestDSN(t))
	default:
		t.Fatalf("apptest: unknown backend %q", backend)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// Catalog is the embedded catalogue.
func Catalog(t testing.TB) *catalog.Catalog {
	t.Helper()
	cat, err := catalog.Default()
	if err != nil {
		t.Fatal(err)
	}
	return cat
}

// OtherCatalog is the embedded catalogue with one change that classifies
// records differently: the market regulator's department kind moved to
// the tax domain (whose severity and publication rules then apply to its
// records), as an administrator would upload it.
func OtherCatalog(t testing.TB) *catalog.Catalog {
	t.Helper()
	base := Catalog(t)
	depts := base.Raw("departments.json")
	changed := bytes.Replace(depts, []byte(`"domain": "market_regulation"`), []byte(`"domain": "tax"`), 1)
	if bytes.Equal(changed, depts) {
		t.Fatal("apptest: no department kind of the market regulation domain to move")
	}
	other, err := catalog.Replace(base, "departments.json", changed)
	if err != nil {
		t.Fatal(err)
	}
	return other
}

// Key is the tests' data key.
var Key = bytes.Repeat([]byte{7}, 32)

// Sealer seals with Key.
func Sealer(t testing.TB) *pii.Sealer {
	t.Helper()
	s, err := pii.New(Key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// Calendar is a copy of the embedded calendar of the test's own, so that
// a test may add years to it.
func Calendar(t testing.TB) *workday.Calendar {
	t.Helper()
	cal, err := workday.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	return cal
}

// Account creates an account and returns a new API key's secret for it.
func (e *Env) Account(name string, role credit.Role, dept, subject, password string) string {
	e.T.Helper()
	ctx := context.Background()
	if _, err := e.Accounts.CreateAccount(ctx, name, "", role, dept, subject, password); err != nil {
		e.T.Fatal(err)
	}
	secret, _, err := e.Accounts.NewKey(ctx, name)
	if err != nil {
		e.T.Fatal(err)
	}
	return secret
}
