package sanction_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xinyong/xinyong/internal/apptest"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/publish"
	"github.com/xinyong/xinyong/internal/sanction"
	"github.com/xinyong/xinyong/internal/uscc"
)

// snapService starts a service from the snapshot in dir, as a node does
// (the workflows' marks set after New).
func (f *fixture) snapService(dir string) *sanction.Service {
	f.t.Helper()
	svc, err := sanction.New(f.t.Context(), sanction.Config{Store: f.st, Catalog: f.cat, Sealer: f.sealer, Now: f.clk.now, SnapshotDir: dir, MarksLater: true})
	if err != nil {
		f.t.Fatal(err)
	}
	f.t.Cleanup(func() { svc.Close(context.Background()) })
	if err := svc.SetMarks(f.t.Context(), nil); err != nil {
		f.t.Fatal(err)
	}
	return svc
}

// sameAnswers fails unless a and b answer every query alike for matters
// of black and red lists (the red ones weigh the bars).
func sameAnswers(t *testing.T, what string, a, b *sanction.Service, queries []sanction.Query) {
	t.Helper()
	for _, matter := range []string{"gov_procurement", "licence_approval", "honours_award"} {
		req := sanction.Request{Matter: matter, Subjects: append(queries, sanction.Query{Code: repID})}
		ra, err1 := a.Check(t.Context(), procure, req)
		rb, err2 := b.Check(t.Context(), procure, req)
		if err1 != nil || err2 != nil {
			t.Fatalf("%s %s: %v / %v", what, matter, err1, err2)
		}
		for i := range ra.Results {
			x, y := ra.Results[i], rb.Results[i]
			if fmt.Sprint(x.SubjectID, x.Listed, x.Hits, x.Candidates) != fmt.Sprint(y.SubjectID, y.Listed, y.Hits, y.Candidates) {
				t.Fatalf("%s %s query %+v:\n from snapshot %+v\n from store    %+v", what, matter, x.Query, x, y)
			}
		}
	}
}

// TestSnapshotMatchesFullLoad: a node started from the hit-check snapshot
// and caught up through the feed answers exactly as one that loaded
// everything from the store, through random list events, verification
// marks, name decisions and records that start and end red-list bars
// after the snapshot was written.
func TestSnapshotMatchesFullLoad(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	rng := rand.New(rand.NewPCG(7, 8))
	g := uscc.NewGenerator(31)
	codes := []string{orgA}
	for i := 0; i < 10; i++ {
		c := g.USCC('9', '1', "350100")
		if err := f.st.PutSubject(ctx, &credit.Subject{ID: c, Kind: credit.Organisation, Code: c, Name: fmt.Sprintf("福州快照%d有限公司", i%5)}); err != nil {
			t.Fatal(err)
		}
		codes = append(codes, c)
	}
	queries := []sanction.Query{{Name: "福州快照1有限公司"}, {Name: "快照2有限"}}
	for _, c := range codes {
		queries = append(queries, sanction.Query{Code: c})
	}
	type open struct {
		entry, subject string
		seq            int64
		decided        bool
	}
	var opens []open
	var penalties []string // serious penalties in force (they bar red lists)
	step := func() {
		switch op := rng.IntN(7); {
		case op <= 1 || len(opens) == 0:
			c := codes[rng.IntN(len(codes))]
			list := []string{"court_defaulters", "honest_typical", "samr_serious_illegal", "honest_typical"}[rng.IntN(4)]
			p := &credit.ListEvent{ID: credit.NewID(), EntryID: credit.NewID(), List: list, SubjectID: c, Step: credit.StepProposed, Actor: "t",
				Detail: credit.EntryDetail{BasisRecords: []string{credit.NewID()}, SubjectKind: credit.Organisation, SubjectName: "福州快照1有限公司",
					Persons: []credit.ResponsiblePerson{{Role: "法定代表人", Name: "某", IDHash: []string{"h1", "h2"}[rng.IntN(2)]}}}}
			if err := f.st.AppendListEvent(ctx, p, 0); err != nil {
				t.Fatal(err)
			}
			opens = append(opens, open{p.EntryID, c, p.Seq, false})
		case op == 2:
			i := rng.IntN(len(opens))
			o := &opens[i]
			st := credit.StepDecided
			if o.decided {
				st = credit.StepRemoved
			}
			evs, _ := f.st.EntryEvents(ctx, o.entry)
			ev := &credit.ListEvent{ID: credit.NewID(), EntryID: o.entry, List: evs[0].List, SubjectID: o.subject, Step: st, Actor: "t",
				Detail: credit.EntryDetail{Since: f.clk.now().Add(-time.Hour), RemovalReason: "revocation"}}
			if err := f.st.AppendListEvent(ctx, ev, o.seq); err != nil {
				t.Fatal(err)
			}
			if st == credit.StepRemoved {
				opens = append(opens[:i], opens[i+1:]...)
			} else {
				o.seq, o.decided = ev.Seq, true
			}
		case op == 3:
			o := opens[rng.IntN(len(opens))]
			if err := f.st.AppendVerification(ctx, &credit.VerificationMark{ID: credit.NewID(), TargetKind: credit.VerifyEntry, TargetID: o.entry, Active: rng.IntN(2) == 0}); err != nil {
				t.Fatal(err)
			}
		case op == 4:
			if err := f.st.AppendNameDecision(ctx, &credit.NameDecision{ID: credit.NewID(), NameKey: sanction.NameKey("福州快照1有限公司"), SubjectID: codes[rng.IntN(len(codes))]}); err != nil {
				t.Fatal(err)
			}
		case op == 5 || len(penalties) == 0:
			// A serious penalty: bars its subject from red lists.
			c := codes[rng.IntN(len(codes))]
			r := credit.Record{ID: credit.NewID(), SubjectID: c, Item: "admin_penalty", Fact: credit.Original, Dept: "SAMR-350100",
				DocNo: "快照罚" + credit.NewID()[:8], DecidedOn: f.clk.now().AddDate(0, -1, 0), Kind: credit.Organisation,
				Fields: credit.Fields{"cf_cflb": "吊销许可证", "cf_xdr_lb": "法人及非法人组织"}}
			if err := f.st.AppendRecords(ctx, []credit.Record{r}); err != nil {
				t.Fatal(err)
			}
			penalties = append(penalties, r.ID)
		default:
			// A revocation: the bar it made ends.
			i := rng.IntN(len(penalties))
			r, err := f.st.Record(ctx, penalties[i])
			if err != nil {
				t.Fatal(err)
			}
			r.ID, r.Fact, r.Supersedes, r.Reason = credit.NewID(), credit.Revocation, penalties[i], "撤销"
			if err := f.st.AppendRecords(ctx, []credit.Record{*r}); err != nil {
				t.Fatal(err)
			}
			penalties = append(penalties[:i], penalties[i+1:]...)
		}
		if err := f.svc.Refresh(ctx); err != nil {
			t.Fatal(err)
		}
	}
	// Two subjects on the red list for sure: orgA, barred by its serious
	// penalty from before the snapshot, and a clean one, barred by a
	// penalty written after it (weighed in the catch-up).
	for _, c := range codes[:2] {
		p := &credit.ListEvent{ID: credit.NewID(), EntryID: credit.NewID(), List: "honest_typical", SubjectID: c, Step: credit.StepProposed, Actor: "t",
			Detail: credit.EntryDetail{BasisRecords: []string{credit.NewID()}, SubjectKind: credit.Organisation}}
		if err := f.st.AppendListEvent(ctx, p, 0); err != nil {
			t.Fatal(err)
		}
		d := &credit.ListEvent{ID: credit.NewID(), EntryID: p.EntryID, List: "honest_typical", SubjectID: c, Step: credit.StepDecided, Actor: "t",
			Detail: credit.EntryDetail{Since: f.clk.now().Add(-time.Hour)}}
		if err := f.st.AppendListEvent(ctx, d, p.Seq); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.svc.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	incentives := func(svc *sanction.Service, code string) int {
		r, err := svc.Check(ctx, procure, sanction.Request{Matter: "licence_approval", Subjects: []sanction.Query{{Code: code}}})
		if err != nil {
			t.Fatal(err)
		}
		return len(r.Results[0].Incentives)
	}
	if incentives(f.svc, orgA) != 0 || incentives(f.svc, codes[1]) == 0 {
		t.Fatalf("set-up: barred orgA has %d incentives, clean %s %d", incentives(f.svc, orgA), codes[1], incentives(f.svc, codes[1]))
	}
	dir := t.TempDir()
	if err := f.svc.SaveSnapshot(ctx, dir); err == nil {
		t.Fatal("a snapshot was written before the workflows' marks were set")
	}
	if err := f.svc.SetMarks(ctx, publish.NoMarks{}); err != nil {
		t.Fatal(err)
	}
	for round := 0; round < 8; round++ {
		for range 12 {
			step()
		}
		if err := f.svc.SaveSnapshot(ctx, dir); err != nil {
			t.Fatal(err)
		}
		if round == 0 {
			r := credit.Record{ID: credit.NewID(), SubjectID: codes[1], Item: "admin_penalty", Fact: credit.Original, Dept: "SAMR-350100",
				DocNo: "快照罚后", DecidedOn: f.clk.now().AddDate(0, -1, 0), Kind: credit.Organisation,
				Fields: credit.Fields{"cf_cflb": "吊销许可证", "cf_xdr_lb": "法人及非法人组织"}}
			if err := f.st.AppendRecords(ctx, []credit.Record{r}); err != nil {
				t.Fatal(err)
			}
		}
		for range rng.IntN(6) { // written after the snapshot: caught up through the feed
			step()
		}
		snap := f.snapService(dir)
		if ok, err := snap.FromSnapshot(); !ok || err != nil {
			t.Fatalf("round %d: not started from the snapshot (%v)", round, err)
		}
		fresh := f.service()
		if round == 0 && (incentives(fresh, orgA) != 0 || incentives(fresh, codes[1]) != 0) {
			t.Fatalf("round 0: a red subject with a serious penalty in force is rewarded")
		}
		sameAnswers(t, fmt.Sprintf("round %d", round), snap, fresh, queries)
		if snap.Version() != fresh.Version() {
			t.Fatalf("round %d: snapshot node at %d, full load at %d", round, snap.Version(), fresh.Version())
		}
	}
}

// TestSnapshotRefused: a corrupt snapshot, one of another store and one
// taken under another catalogue are not used; the node loads from the
// store and says why.
func TestSnapshotRefused(t *testing.T) {
	f := newFixture(t)
	f.listed()
	if err := f.svc.SetMarks(t.Context(), publish.NoMarks{}); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := f.svc.SaveSnapshot(t.Context(), dir); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, sanction.SnapshotFile)
	good, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// The listed entry names its legal representative by ID number: the
	// snapshot keeps the hash and the masked form, never the number.
	if strings.Contains(string(good), repID) || !strings.Contains(string(good), repID[:6]) {
		t.Fatalf("the snapshot holds the representative's ID number in clear, or no trace of the person at all")
	}
	queries := []sanction.Query{{Code: orgA}, {Name: "福州甲乙科技有限公司"}}
	refused := func(what string, svc *sanction.Service) {
		t.Helper()
		if ok, err := svc.FromSnapshot(); ok || err == nil {
			t.Fatalf("%s: started from the snapshot (%v, %v)", what, ok, err)
		}
		sameAnswers(t, what, svc, f.service(), queries)
	}

	bad := append([]byte(nil), good...)
	bad[len(bad)/2] ^= 0x40
	if err := os.WriteFile(path, bad, 0o600); err != nil {
		t.Fatal(err)
	}
	refused("corrupt", f.snapService(dir))
	if err := os.WriteFile(path, good[:len(good)-3], 0o600); err != nil {
		t.Fatal(err)
	}
	refused("truncated", f.snapService(dir))

	if err := os.WriteFile(path, good, 0o600); err != nil {
		t.Fatal(err)
	}
	// Another catalogue: a department's domain changed (it chooses the
	// severity rules that weigh the bars).
	other := apptest.OtherCatalog(t)
	svc, err := sanction.New(t.Context(), sanction.Config{Store: f.st, Catalog: other, Sealer: f.sealer, Now: f.clk.now, SnapshotDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close(context.Background())
	if ok, err := svc.FromSnapshot(); ok || err == nil {
		t.Fatalf("another catalogue: started from the snapshot (%v)", err)
	}

	g := newFixture(t) // another store, whose feed has other entries at the snapshot's position
	svc, err = sanction.New(t.Context(), sanction.Config{Store: g.st, Catalog: g.cat, Sealer: g.sealer, Now: g.clk.now, SnapshotDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close(context.Background())
	if ok, err := svc.FromSnapshot(); ok || err == nil {
		t.Fatalf("another store: started from the snapshot (%v)", err)
	}
	sameAnswers(t, "another store", svc, g.service(), queries)
}
