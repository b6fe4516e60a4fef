package sqlite_test

import (
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/store/sqlite"
	"github.com/xinyong/xinyong/internal/store/storetest"
)

func open(t testing.TB) *sqlite.Store {
	t.Helper()
	// A nested path checks that Open creates the parent directory.
	s, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "data", "xinyong.db"))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) credit.Store { return open(t) })
}

func TestMemoryRefused(t *testing.T) {
	for _, p := range []string{":memory:", "", "file::memory:?cache=shared"} {
		_, err := sqlite.Open(t.Context(), p)
		if !credit.Is(credit.Invalid, err) {
			t.Errorf("Open(%q) = %v, want Invalid", p, err)
		}
	}
}

func TestUnavailable(t *testing.T) {
	// A directory where the file should be: SQLite cannot open it.
	dir := t.TempDir()
	_, err := sqlite.Open(t.Context(), dir)
	if !credit.Is(credit.Unavailable, err) {
		t.Fatalf("Open(directory) = %v, want Unavailable", err)
	}
	if strings.Contains(err.Error(), "\n") {
		t.Errorf("message is not one line: %q", err)
	}
}

func TestMigrationStatus(t *testing.T) {
	s := open(t)
	ms, err := s.MigrationStatus(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) == 0 {
		t.Fatal("no migrations")
	}
	for _, m := range ms {
		if !m.Applied || m.AppliedAt.IsZero() || m.Unknown {
			t.Errorf("migration %+v not applied", m)
		}
	}

	// A fresh file opened without migrations reports them pending.
	raw, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "raw.db"), sqlite.SkipMigrations())
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	ms, err = raw.MigrationStatus(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		if m.Applied {
			t.Errorf("migration %+v applied on a skipped open", m)
		}
	}
}

func TestReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.db")
	s, err := sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.PutSubject(t.Context(), &credit.Subject{ID: "A", Kind: credit.Organisation, Name: "甲"}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, err = sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if n, err := s.CountSubjects(t.Context()); err != nil || n != 1 {
		t.Fatalf("after reopen: %d, %v", n, err)
	}
	var mode string
	if err := s.WriteDB().QueryRow(`PRAGMA journal_mode`).Scan(&mode); err != nil || mode != "wal" {
		t.Errorf("journal_mode = %q, %v", mode, err)
	}
	var fk int
	if err := s.ReadDB().QueryRow(`PRAGMA foreign_keys`).Scan(&fk); err != nil || fk != 1 {
		t.Errorf("reader foreign_keys = %d, %v", fk, err)
	}
	if _, err := s.ReadDB().Exec(`DELETE FROM subjects`); err == nil {
		t.Error("the read pool accepted a write")
	}
}

// TestOpenConcurrentNewFile opens one new file from several stores at once,
// as an import started beside a server on a fresh file does. Each store has
// its own connections and locks, as a second process would. Before Open
// retried, switching the file to WAL answered SQLITE_BUSY at once to the
// store that lost the race, in about one round in four.
func TestOpenConcurrentNewFile(t *testing.T) {
	const rounds, openers = 12, 3
	for round := range rounds {
		path := filepath.Join(t.TempDir(), fmt.Sprintf("new%d.db", round))
		stores := make([]*sqlite.Store, openers)
		errs := make([]error, openers)
		var wg sync.WaitGroup
		for i := range openers {
			wg.Go(func() { stores[i], errs[i] = sqlite.Open(t.Context(), path) })
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Fatalf("round %d, store %d: %v", round, i, err)
			}
			defer stores[i].Close()
		}
		ms, err := stores[0].MigrationStatus(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range ms {
			if !m.Applied {
				t.Fatalf("round %d: migration %d not applied", round, m.Version)
			}
		}
		var n int
		if err := stores[openers-1].ReadDB().QueryRow(`SELECT count(*) FROM schema_migrations`).Scan(&n); err != nil || n != len(ms) {
			t.Fatalf("round %d: %d migrations recorded, want %d (%v)", round, n, len(ms), err)
		}
	}
}

func BenchmarkAppendRecords(b *testing.B) {
	storetest.BenchmarkAppendRecords(b, open(b))
}

// TestCloseTwice: closing a store twice (a test's cleanup after the code
// under test closed it) is harmless.
func TestCloseTwice(t *testing.T) {
	s, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "x.db"))
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	s.Close()
}

func BenchmarkAppendChecks(b *testing.B) {
	storetest.BenchmarkAppendChecks(b, open(b))
}

// TestConnectionSettings: the sizes Open is given reach SQLite on the
// connections they are meant for (the writer's WAL limit and page cache,
// the readers' quarter of it), and the defaults are the documented ones.
func TestConnectionSettings(t *testing.T) {
	pragma := func(t *testing.T, q interface {
		QueryRow(string, ...any) *sql.Row
	}, name string) int64 {
		t.Helper()
		var v int64
		if err := q.QueryRow("PRAGMA " + name).Scan(&v); err != nil {
			t.Fatalf("PRAGMA %s: %v", name, err)
		}
		return v
	}
	for _, tc := range []struct {
		name  string
		opts  []sqlite.Option
		wal   int64 // pages
		cache int64 // KiB of the writer's cache
	}{
		{"defaults", nil, sqlite.DefaultWALLimit / 4096, sqlite.DefaultCache >> 10},
		{"given", []sqlite.Option{sqlite.WALLimit(8 << 20), sqlite.Cache(32 << 20)}, 2048, 32 << 10},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "x.db"), tc.opts...)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			w := s.WriteDB()
			if got := pragma(t, w, "wal_autocheckpoint"); got != tc.wal {
				t.Errorf("writer wal_autocheckpoint = %d pages, want %d", got, tc.wal)
			}
			if got := pragma(t, w, "cache_size"); got != -tc.cache {
				t.Errorf("writer cache_size = %d, want %d", got, -tc.cache)
			}
			if got := pragma(t, w, "journal_size_limit"); got <= 0 || got > tc.wal*4096 {
				t.Errorf("writer journal_size_limit = %d: the WAL file would keep its largest size after a bulk import", got)
			}
			if got := pragma(t, s.ReadDB(), "cache_size"); got != -tc.cache/4 {
				t.Errorf("reader cache_size = %d, want %d", got, -tc.cache/4)
			}
		})
	}
}
