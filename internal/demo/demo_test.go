package demo_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xinyong/xinyong/internal/apptest"
	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/demo"
	"github.com/xinyong/xinyong/internal/inspection"
	"github.com/xinyong/xinyong/internal/publish"
	"github.com/xinyong/xinyong/internal/sanction"
)

func init() { auth.HashParams = auth.LightParams }

// TestSeed: the demo data goes in through the import pipeline (batches
// with their counts, a few rejected rows), the fixed names are searchable
// and the subject account points at 宁德恒信新能源科技有限公司.
func TestSeed(t *testing.T) {
	node := apptest.New(t, apptest.Options{})
	st, cat, clk := node.Store, node.Catalog, node.Clock
	logins, err := demo.Seed(t.Context(), node.App, demo.Options{Subjects: 100})
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"宁德", "华为"} {
		if subs, _ := st.SubjectsByName(t.Context(), q, 5); len(subs) == 0 {
			t.Errorf("search %s finds nothing", q)
		}
	}
	bs, err := st.Batches(t.Context(), credit.BatchFilter{})
	if err != nil || len(bs) != 7 {
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
	sanc := node.Sanction
	eng := publish.New(cat, clk.Now)
	eng.Entries = sanc
	black, err := eng.List(t.Context(), "black", publish.Public, nil, 0, 0)
	if err != nil || len(black.Entries) == 0 {
		t.Errorf("public black list after the demo seed: %d entries, %v", len(black.Entries), err)
	}
	checkPlausible(t, st, cat, sanc, eng)
	// Seeding again adds nothing.
	n, _ := st.CountRecords(t.Context())
	if _, err := demo.Seed(t.Context(), node.App, demo.Options{Subjects: 100}); err != nil {
		t.Fatal(err)
	}
	if m, _ := st.CountRecords(t.Context()); m != n {
		t.Errorf("second seed: %d records, was %d", m, n)
	}
}

// checkPlausible: the demo data reads like a city's: the red lists hold
// clean files only (no black-list entry, no serious record in force),
// building permits come from housing and nothing else does, companies
// named after Fuzhou are registered there, and no natural person is on a
// public list.
func checkPlausible(t *testing.T, st credit.Store, cat *catalog.Catalog, sanc *sanction.Service, eng *publish.Engine) {
	t.Helper()
	ctx := t.Context()
	red, err := eng.List(ctx, "red", publish.Public, nil, 0, 0)
	if err != nil || len(red.Entries) < 2 {
		t.Fatalf("public red list: %d entries, %v", len(red.Entries), err)
	}
	lists := map[string]bool{}
	for _, le := range red.Entries {
		lists[le.Decision.Item] = true
		facts, err := st.RecordsBySubject(ctx, le.SubjectID)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range credit.Derive(facts) {
			if w, ok := eng.InForce(s, nil, publish.Marks{}); ok && w.Severity == credit.SeveritySerious && !eng.Now().Before(w.From) && (w.MaxEnd.IsZero() || eng.Now().Before(w.MaxEnd)) {
				t.Errorf("red-listed %s (%s) has a serious %s record in force", le.Name, le.SubjectID, s.Current.Item)
			}
		}
		es, err := sanc.SubjectEntries(ctx, le.SubjectID, eng.Now())
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range es {
			if lt, _ := cat.List(e.List); lt.Kind == catalog.ListBlack {
				t.Errorf("red-listed %s is on black list %s", le.Name, e.List)
			}
		}
	}
	if !lists["tax_a_grade"] || !lists["honest_typical"] {
		t.Errorf("red list holds %v; want the tax bureau's A-grade taxpayers and the credit office's 诚信典型", lists)
	}
	for _, kind := range []string{"black", "red"} {
		page, _ := eng.List(ctx, kind, publish.Public, nil, 0, 0)
		for _, le := range page.Entries {
			if le.Decision.Entry == nil || le.Decision.Entry.SubjectKind == credit.Person {
				t.Errorf("%s list shows a natural person or no entry: %+v", kind, le)
			}
		}
	}
	recs, err := st.NewestRecordsByItems(ctx, []string{"admin_licence"}, "", 10000)
	if err != nil || len(recs) == 0 {
		t.Fatalf("licences: %d, %v", len(recs), err)
	}
	for _, r := range recs {
		building := strings.Contains(r.Fields["xk_xkws"], "建筑")
		if building != (r.Dept == "HOUSING-350100") {
			t.Errorf("licence %q issued by %s (%s)", r.Fields["xk_xkws"], r.Dept, r.Fields["xk_xkjg"])
		}
		if name := r.Fields["xk_xdr_mc"]; strings.HasPrefix(name, "福州") && !strings.HasPrefix(r.SubjectID[2:], "3501") {
			t.Errorf("%s is registered in %s, not Fuzhou", name, r.SubjectID[2:8])
		}
	}
}

// TestSeedCommitments: the demo registers commitments at the market
// regulator's counter (due, fulfilled, found false) and a self-declared
// contribution of the demo subject.
func TestSeedCommitments(t *testing.T) {
	node := apptest.New(t, apptest.Options{})
	if _, err := demo.Seed(t.Context(), node.App, demo.Options{Subjects: 100}); err != nil {
		t.Fatal(err)
	}
	stats, err := node.Commit.Stats(t.Context(), time.Time{}, "")
	if err != nil || len(stats) != 1 || stats[0].Signed < 3 || stats[0].Fulfilled != 1 || stats[0].Broken != 1 {
		t.Errorf("demo commitments: %+v %v", stats, err)
	}
	a, err := node.Store.Account(t.Context(), "subject")
	if err != nil {
		t.Fatal(err)
	}
	if ds, err := node.Commit.Declarations(t.Context(), a.Subject, ""); err != nil || len(ds) != 1 {
		t.Errorf("demo declarations: %+v %v", ds, err)
	}
}

// TestDemoSignIns: every demo sign-in works (each password account signs
// in with the printed password, the business system's key
// authenticates), and a restart keeps the business key (written to the
// key file) and the subject account's subject.
func TestDemoSignIns(t *testing.T) {
	node := apptest.New(t, apptest.Options{})
	ctx := t.Context()
	keyFile := filepath.Join(t.TempDir(), "demo-procurement.key")
	first, err := demo.Seed(ctx, node.App, demo.Options{Subjects: 60, KeyFile: keyFile})
	if err != nil {
		t.Fatal(err)
	}
	acc := &auth.Accounts{Store: node.Store, Now: node.Clock.Now}
	authn := &auth.Authenticator{Store: node.Store, Now: node.Clock.Now}
	var key string
	for _, l := range first {
		if strings.Contains(l.Name, "(API)") {
			key = l.Password
			p, err := authn.APIKey(ctx, l.Password)
			if err != nil || p.Account.Name != "procurement" {
				t.Errorf("the business key: %v, %+v", err, p)
			}
			continue
		}
		if _, _, a, err := acc.Login(ctx, l.Name, l.Password, "192.0.2.1"); err != nil || a.Role != l.Role {
			t.Errorf("sign-in %s: %v", l.Name, err)
		}
	}
	if key == "" {
		t.Fatal("no business key printed")
	}
	subj, err := node.Store.Account(ctx, "subject")
	if err != nil {
		t.Fatal(err)
	}
	again, err := demo.Seed(ctx, node.App, demo.Options{Subjects: 60, KeyFile: keyFile})
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range again {
		if strings.Contains(l.Name, "(API)") && l.Password != key {
			t.Errorf("the business key changed on restart")
		}
		if l.Name == "subject" && !strings.Contains(l.Note, subj.Subject) {
			t.Errorf("restart names subject %q, the account acts for %s", l.Note, subj.Subject)
		}
	}
	if fi, err := os.Stat(keyFile); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("key file: %v %v", fi, err)
	}
	var table bytes.Buffer
	demo.PrintLogins(&table, again)
	if !strings.Contains(table.String(), "LOGIN") || !strings.Contains(table.String(), "ROLE") {
		t.Errorf("the sign-in table has no header:\n%s", table.String())
	}
}

// TestSeedInspection: the demo publishes a drawn 双随机 task with results,
// and its file verifies.
func TestSeedInspection(t *testing.T) {
	node := apptest.New(t, apptest.Options{})
	if _, err := demo.Seed(t.Context(), node.App, demo.Options{Subjects: 100}); err != nil {
		t.Fatal(err)
	}
	ts, err := node.Store.Inspections(t.Context(), credit.InspectionFilter{State: credit.InspectionDrawn})
	if err != nil || len(ts) != 1 || ts[0].Drawn == 0 {
		t.Fatalf("demo tasks: %+v %v", ts, err)
	}
	f, err := node.Inspection.File(t.Context(), ts[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := inspection.Verify(f, nil); err != nil || len(f.Results) != 2 {
		t.Fatalf("the demo draw: %v, %d results", err, len(f.Results))
	}
}
