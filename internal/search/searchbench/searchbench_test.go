package searchbench

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xinyong/xinyong/internal/store/postgres"
	"github.com/xinyong/xinyong/internal/store/postgres/pgtest"
	"github.com/xinyong/xinyong/internal/store/sqlite"
)

// TestRun runs the benchmark driver at a small size on both backends: it
// must fill, index, measure every query length and be idempotent on a
// filled store.
func TestRun(t *testing.T) {
	stores := map[string]func(t *testing.T) Store{
		"sqlite": func(t *testing.T) Store {
			s, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "b.db"))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		},
		"postgres": func(t *testing.T) Store {
			s, err := postgres.Open(t.Context(), pgtest.TestDSN(t))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		},
	}
	for name, open := range stores {
		t.Run(name, func(t *testing.T) {
			st := open(t)
			o := Options{Subjects: 3000, Seed: 1, IndexQueries: 50, ScanQueries: 3}
			var progress bytes.Buffer
			rep, err := Run(t.Context(), st, o, &progress)
			if err != nil {
				t.Fatal(err)
			}
			if rep.Inserted != 3000 || len(rep.Rows) != 4 {
				t.Fatalf("inserted %d, rows %d", rep.Inserted, len(rep.Rows))
			}
			for _, r := range rep.Rows {
				if r.IndexMeanHits == 0 || r.IndexP99 < r.IndexP50 || r.ScanP99 == 0 {
					t.Fatalf("row %+v", r)
				}
			}
			if n, _ := st.CountSubjects(t.Context()); n != 3000 {
				t.Fatalf("store holds %d subjects", n)
			}
			rep, err = Run(t.Context(), st, o, &progress)
			if err != nil || rep.Inserted != 0 {
				t.Fatalf("second run inserted %d, %v", rep.Inserted, err)
			}
			var out bytes.Buffer
			rep.Write(&out)
			if !strings.Contains(out.String(), "| 2 |") {
				t.Fatalf("report:\n%s", out.String())
			}
		})
	}
}
