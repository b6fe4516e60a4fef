package demo_test

import (
	"bytes"
	"path/filepath"
	"testing"

	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/demo"
	"github.com/xinyong/xinyong/internal/pii"
	"github.com/xinyong/xinyong/internal/publish"
	"github.com/xinyong/xinyong/internal/records"
	"github.com/xinyong/xinyong/internal/sanction"
	"github.com/xinyong/xinyong/internal/store/sqlite"
	"github.com/xinyong/xinyong/internal/testenv"
)

func init() { auth.HashParams = auth.LightParams }

// TestSeed: the demo data goes in through the import pipeline (batches
// with their counts, a few rejected rows), the fixed names are searchable
// and the subject account points at 宁德恒信新能源科技有限公司.
func TestSeed(t *testing.T) {
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "x.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	cat, _ := catalog.Default()
	seal, _ := pii.New(bytes.Repeat([]byte{1}, 32))
	clk := testenv.NewClock(testenv.DefaultNow)
	svc := &records.Service{Store: st, Catalog: cat, Sealer: seal, Now: clk.Now}
	logins, err := demo.Seed(t.Context(), svc, demo.Options{Subjects: 100})
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"宁德", "华为"} {
		if subs, _ := st.SubjectsByName(t.Context(), q, 5); len(subs) == 0 {
			t.Errorf("search %s finds nothing", q)
		}
	}
	bs, err := st.Batches(t.Context(), credit.BatchFilter{})
	if err != nil || len(bs) != 5 {
		t.Fatalf("batches = %d, %v", len(bs), err)
	}
	rejected := 0
	for _, b := range bs {
		if b.Status != credit.BatchDone || b.Counts.Accepted == 0 {
			t.Errorf("batch %s: %s, %+v", b.Item, b.Status, b.Counts)
		}
		rejected += b.Counts.Rejected
	}
	if rejected == 0 {
		t.Error("no rejected rows to show in the demo")
	}
	var subj string
	for _, l := range logins {
		if l.Role == credit.RoleSubject {
			subj = l.Note
		}
	}
	a, err := st.Account(t.Context(), "subject")
	if err != nil {
		t.Fatal(err)
	}
	s, err := st.Subject(t.Context(), a.Subject)
	if err != nil || s.Name != "宁德恒信新能源科技有限公司" {
		t.Errorf("subject account %q (%s) -> %v, %v", a.Subject, subj, s, err)
	}
	// The court's 失信被执行人 records are entries of its list, which the
	// public black list shows.
	sanc, err := sanction.New(t.Context(), sanction.Config{Store: st, Catalog: cat, Sealer: seal, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer sanc.Close(t.Context())
	if err := sanc.Sync(t.Context()); err != nil {
		t.Fatal(err)
	}
	eng := publish.New(cat, clk.Now)
	eng.Entries = sanc
	black, err := eng.List(t.Context(), "black", publish.Public, nil, 0, 0)
	if err != nil || len(black.Entries) == 0 {
		t.Errorf("public black list after the demo seed: %d entries, %v", len(black.Entries), err)
	}
	// Seeding again adds nothing.
	n, _ := st.CountRecords(t.Context())
	if _, err := demo.Seed(t.Context(), svc, demo.Options{Subjects: 100}); err != nil {
		t.Fatal(err)
	}
	if m, _ := st.CountRecords(t.Context()); m != n {
		t.Errorf("second seed: %d records, was %d", m, n)
	}
}
