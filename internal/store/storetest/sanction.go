package storetest

import (
	"reflect"
	"testing"
	"time"

	"github.com/xinyong/xinyong/internal/chinatime"
	"github.com/xinyong/xinyong/internal/credit"
)

// testSanction covers the SanctionStore: feed positions as versions, optimistic list events,
// verification marks, name decisions, account matters, checks, feedback and
// statistics.
func testSanction(t *testing.T, s credit.Store) {
	c := ctx(t)
	mustPutSubject(t, s, org("91350100M000100Y43", "福州甲公司"))
	// The subject's registration is the feed's first change; list events
	// take the positions after it.
	v0, err := s.ChangeHead(c)
	if err != nil || v0 != 1 {
		t.Fatalf("ChangeHead after one registration = %d, %v; want 1", v0, err)
	}

	entry := credit.NewID()
	ev := func(step credit.ListStep) *credit.ListEvent {
		return &credit.ListEvent{ID: credit.NewID(), EntryID: entry, List: "court_defaulters", SubjectID: "91350100M000100Y43",
			Step: step, Actor: "reviewer", Dept: "COURT-350100", At: time.Date(2026, 1, 5, 9, 0, 0, 0, chinatime.Location),
			Detail: credit.EntryDetail{BasisRecords: []string{"r1"}, Grounds: "拒不履行",
				Persons: []credit.ResponsiblePerson{{Role: "法定代表人", Name: "张三", IDHash: "abc", IDMasked: "110101********1234"}}}}
	}
	p := ev(credit.StepProposed)
	if err := s.AppendListEvent(c, p, 0); err != nil {
		t.Fatalf("AppendListEvent(proposed): %v", err)
	}
	if p.Seq != v0+1 {
		t.Fatalf("first event seq = %d, want %d", p.Seq, v0+1)
	}
	// A second "new entry" with the same ID is refused.
	wantKind(t, "duplicate entry", s.AppendListEvent(c, ev(credit.StepProposed), 0), credit.Exists)
	// A stale predecessor is refused and writes nothing.
	n := ev(credit.StepNoticed)
	if err := s.AppendListEvent(c, n, p.Seq); err != nil {
		t.Fatalf("AppendListEvent(noticed): %v", err)
	}
	wantKind(t, "stale decision", s.AppendListEvent(c, ev(credit.StepDecided), p.Seq), credit.Conflict)
	// Unknown subject.
	bad := ev(credit.StepProposed)
	bad.EntryID, bad.SubjectID = credit.NewID(), "91350100MA00000000"
	wantKind(t, "unknown subject", s.AppendListEvent(c, bad, 0), credit.Invalid)

	got, err := s.EntryEvents(c, entry)
	if err != nil || len(got) != 2 {
		t.Fatalf("EntryEvents = %d events, %v; want 2", len(got), err)
	}
	if got[0].Step != credit.StepProposed || got[1].Step != credit.StepNoticed || got[1].Seq != n.Seq {
		t.Fatalf("EntryEvents order: %+v", got)
	}
	if !reflect.DeepEqual(got[0].Detail, p.Detail) || !got[0].At.Equal(p.At) || got[0].At.Location() != time.UTC {
		t.Fatalf("event round trip:\n got %+v\nwant %+v", got[0], *p)
	}
	sub, _ := s.SubjectListEvents(c, "91350100M000100Y43")
	if len(sub) != 2 {
		t.Fatalf("SubjectListEvents = %d events, want 2", len(sub))
	}
	by, err := s.ListEventsBySubjects(c, []string{"91350100M000100Y43", "91350100MA00000000"})
	if err != nil || len(by) != 1 || !reflect.DeepEqual(by["91350100M000100Y43"], sub) {
		t.Fatalf("ListEventsBySubjects = %+v, %v; want the subject's %d events alone", by, err, len(sub))
	}

	m := &credit.VerificationMark{ID: credit.NewID(), TargetKind: credit.VerifyRecord, TargetID: "r1", SubjectID: "91350100M000100Y43", Active: true, Actor: "reviewer", Reason: "异议"}
	if err := s.AppendVerification(c, m); err != nil {
		t.Fatalf("AppendVerification: %v", err)
	}
	wantKind(t, "bad target kind", s.AppendVerification(c, &credit.VerificationMark{ID: credit.NewID(), TargetKind: "x", TargetID: "r1"}), credit.Invalid)
	d := &credit.NameDecision{ID: credit.NewID(), NameKey: "福州甲公司", SubjectID: "91350100M000100Y43", Actor: "reviewer"}
	if err := s.AppendNameDecision(c, d); err != nil {
		t.Fatalf("AppendNameDecision: %v", err)
	}
	if v, _ := s.ChangeHead(c); v != d.Seq || d.Seq != m.Seq+1 || m.Seq != n.Seq+1 {
		t.Fatalf("versions: current %d, events %d %d, mark %d, decision %d", v, p.Seq, n.Seq, m.Seq, d.Seq)
	}
	if evs, _ := s.ListEvents(c, p.Seq, 0); len(evs) != 1 || evs[0].ID != n.ID {
		t.Fatalf("ListEvents(after %d) = %+v", p.Seq, evs)
	}
	if ms, _ := s.Verifications(c, 0, 10); len(ms) != 1 || !ms[0].Active || ms[0].TargetID != "r1" {
		t.Fatalf("Verifications = %+v", ms)
	}
	if ms, _ := s.Verifications(c, m.Seq, 0); len(ms) != 0 {
		t.Fatalf("Verifications after its own seq = %+v", ms)
	}
	if ds, _ := s.NameDecisions(c, 0, 0); len(ds) != 1 || ds[0].NameKey != "福州甲公司" {
		t.Fatalf("NameDecisions = %+v", ds)
	}

	acc := &credit.Account{ID: credit.NewID(), Name: "procurement", Role: credit.RoleBusiness, Dept: "FIN-350100"}
	if err := s.PutAccount(c, acc); err != nil {
		t.Fatal(err)
	}
	if err := s.SetAccountMatters(c, acc.ID, []string{"gov_procurement", "bidding", "bidding"}); err != nil {
		t.Fatalf("SetAccountMatters: %v", err)
	}
	if ms, _ := s.AccountMatters(c, acc.ID); !reflect.DeepEqual(ms, []string{"bidding", "gov_procurement"}) {
		t.Fatalf("AccountMatters = %v", ms)
	}
	wantKind(t, "matters of unknown account", s.SetAccountMatters(c, "nobody", []string{"bidding"}), credit.NotFound)

	now := time.Now()
	checks := []credit.CheckLog{
		{ID: credit.NewID(), At: now.Add(-10 * 24 * time.Hour), Caller: "procurement", Dept: "FIN-350100", Matter: "gov_procurement", Subjects: 3, Version: 4,
			Measures: []credit.CheckMeasure{
				{SubjectID: "91350100M000100Y43", Measure: "restrict_gov_procurement", List: "court_defaulters", EntryID: entry},
				{SubjectID: "S2", Measure: "restrict_gov_procurement", List: "court_defaulters", EntryID: "e2", Suspended: true},
				{SubjectID: "S3", Measure: "restrict_gov_procurement", List: "court_defaulters", EntryID: "e3", Candidate: true},
			}},
		{ID: credit.NewID(), At: now, Caller: "procurement", Dept: "FIN-350100", Matter: "gov_procurement", Subjects: 1, Version: 4,
			Measures: []credit.CheckMeasure{{SubjectID: "91350100M000100Y43", Measure: "restrict_gov_procurement", List: "court_defaulters", EntryID: entry}}},
		{ID: credit.NewID(), At: now, Caller: "procurement", Dept: "FIN-350100", Matter: "bidding", Subjects: 1000, Version: 4},
	}
	if err := s.AppendChecks(c, checks); err != nil {
		t.Fatalf("AppendChecks: %v", err)
	}
	wantKind(t, "check logged twice", s.AppendChecks(c, checks[2:]), credit.Exists)
	// A flush is written whole or not at all: a new check beside one
	// logged before, or beside a check naming a measure twice for one
	// subject, is not written either.
	fresh := credit.CheckLog{ID: credit.NewID(), At: now, Caller: "procurement", Dept: "FIN-350100", Matter: "bidding", Subjects: 1, Version: 4,
		Measures: []credit.CheckMeasure{{SubjectID: "S9", Measure: "restrict_gov_procurement", List: "court_defaulters", EntryID: "e9"}}}
	twice := credit.CheckLog{ID: credit.NewID(), At: now, Caller: "procurement", Dept: "FIN-350100", Matter: "bidding", Subjects: 1, Version: 4,
		Measures: []credit.CheckMeasure{
			{SubjectID: "S8", Measure: "restrict_gov_procurement", List: "court_defaulters", EntryID: "e8"},
			{SubjectID: "S8", Measure: "restrict_gov_procurement", List: "court_defaulters", EntryID: "e8"},
		}}
	wantKind(t, "new check beside a logged one", s.AppendChecks(c, []credit.CheckLog{fresh, checks[1]}), credit.Exists)
	wantKind(t, "measure named twice", s.AppendChecks(c, []credit.CheckLog{fresh, twice}), credit.Exists)
	wantKind(t, "check without ID", s.AppendChecks(c, []credit.CheckLog{fresh, {At: now, Subjects: 1}}), credit.Invalid)
	for _, id := range []string{fresh.ID, twice.ID} {
		_, err := s.Check(c, id)
		wantKind(t, "check of a refused flush", err, credit.NotFound)
	}
	// A flush of checks that returned no measure at all (the common case).
	// A caller's name with quotes, a backslash, braces, a comma and the
	// word NULL is stored as given.
	const oddCaller = `采购"系统" \ {a,b} NULL`
	plain := []credit.CheckLog{
		{ID: credit.NewID(), At: now, Caller: oddCaller, Dept: "FIN-350100", Matter: "bidding", Subjects: 1, Version: 5},
		{ID: credit.NewID(), At: now, Caller: "procurement", Dept: "FIN-350100", Matter: "bidding", Subjects: 2, Version: 5},
	}
	if err := s.AppendChecks(c, plain); err != nil {
		t.Fatalf("AppendChecks without measures: %v", err)
	}
	if cl, err := s.Check(c, plain[1].ID); err != nil || cl.Subjects != 2 || cl.Version != 5 || len(cl.Measures) != 0 {
		t.Fatalf("Check of a check without measures = %+v, %v", cl, err)
	}
	if cl, err := s.Check(c, plain[0].ID); err != nil || cl.Caller != oddCaller {
		t.Fatalf("Check of a check by %q = %+v, %v", oddCaller, cl, err)
	}
	cl, err := s.Check(c, checks[0].ID)
	if err != nil {
		t.Fatalf("Check: %v", err)
	}
	if cl.Version != 4 || cl.Subjects != 3 || len(cl.Measures) != 3 || !cl.Measures[1].Suspended || !cl.Measures[2].Candidate {
		t.Fatalf("Check = %+v", cl)
	}
	_, err = s.Check(c, "nope")
	wantKind(t, "unknown check", err, credit.NotFound)

	fb := credit.Feedback{ID: credit.NewID(), CheckID: checks[1].ID, SubjectID: "91350100M000100Y43", Measure: "restrict_gov_procurement",
		Outcome: credit.OutcomePunished, Amount: "12.5", ActedAt: now, Actor: "procurement", Dept: "FIN-350100"}
	if err := s.AppendFeedback(c, []credit.Feedback{fb}); err != nil {
		t.Fatalf("AppendFeedback: %v", err)
	}
	again := fb
	again.ID = credit.NewID()
	wantKind(t, "feedback twice", s.AppendFeedback(c, []credit.Feedback{again}), credit.Exists)
	other := fb
	other.ID, other.Measure = credit.NewID(), "restrict_bond_issue"
	wantKind(t, "feedback on a measure not returned", s.AppendFeedback(c, []credit.Feedback{other}), credit.Invalid)
	if got, _ := s.FeedbackByCheck(c, checks[1].ID); len(got) != 1 || got[0].Amount != "12.5" || got[0].Outcome != credit.OutcomePunished {
		t.Fatalf("FeedbackByCheck = %+v", got)
	}

	stats, err := s.CheckStats(c, credit.StatsFilter{DueBefore: now.Add(-7 * 24 * time.Hour)})
	if err != nil {
		t.Fatalf("CheckStats: %v", err)
	}
	want := []credit.CheckStat{{Dept: "FIN-350100", Matter: "gov_procurement", Measure: "restrict_gov_procurement", Triggers: 2, Feedback: 1, Overdue: 1}}
	if !reflect.DeepEqual(stats, want) {
		t.Fatalf("CheckStats = %+v, want %+v", stats, want)
	}
	if stats, _ := s.CheckStats(c, credit.StatsFilter{Matter: "bidding"}); len(stats) != 0 {
		t.Fatalf("CheckStats(bidding) = %+v, want none", stats)
	}
}

// testListEventBatch covers AppendListEvents: consecutive Seqs and feed
// entries in the order given, and nothing written when any event is refused.
func testListEventBatch(t *testing.T, s credit.Store) {
	c := ctx(t)
	mustPutSubject(t, s, org("91350100M000100Y43", "福州甲公司"))
	mustPutSubject(t, s, org("91350100M000200Y43", "福州乙公司"))
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, chinatime.Location)
	ev := func(entry, subject string, step credit.ListStep) *credit.ListEvent {
		return &credit.ListEvent{ID: credit.NewID(), EntryID: entry, List: "court_defaulters", SubjectID: subject,
			Step: step, Actor: "COURT-350100", Dept: "COURT-350100", At: at, DocNo: "（2026）闽0102执1号",
			Detail: credit.EntryDetail{BasisRecords: []string{"r-" + entry}, Reported: true}}
	}
	a, b := credit.NewID(), credit.NewID()
	first := []*credit.ListEvent{ev(a, "91350100M000100Y43", credit.StepDecided), ev(b, "91350100M000200Y43", credit.StepDecided)}
	head, _ := s.ChangeHead(c)
	if err := s.AppendListEvents(c, first, []int64{0, 0}); err != nil {
		t.Fatalf("AppendListEvents: %v", err)
	}
	if first[0].Seq != head+1 || first[1].Seq != head+2 {
		t.Fatalf("seqs %d, %d; want %d, %d", first[0].Seq, first[1].Seq, head+1, head+2)
	}
	cs, err := s.ChangesSince(c, head, 10)
	if err != nil || len(cs) != 2 || cs[0].Pos != first[0].Seq || cs[0].Kind != credit.ChangeListEvent || cs[0].Ref != first[0].ID ||
		cs[1].Ref != first[1].ID || cs[1].SubjectID != "91350100M000200Y43" || cs[1].Tag != "court_defaulters" {
		t.Fatalf("feed after the batch = %+v, %v", cs, err)
	}
	got, err := s.EntryEvents(c, b)
	if err != nil || len(got) != 1 || got[0].Seq != first[1].Seq || !got[0].At.Equal(at) || !reflect.DeepEqual(got[0].Detail, first[1].Detail) {
		t.Fatalf("EntryEvents(b) = %+v, %v", got, err)
	}

	// Each refusal writes nothing, the good events beside it included.
	newEntry := credit.NewID()
	bad := []struct {
		name string
		es   []*credit.ListEvent
		prev []int64
		kind credit.Kind
	}{
		{"stale predecessor", []*credit.ListEvent{ev(newEntry, "91350100M000100Y43", credit.StepDecided), ev(a, "91350100M000100Y43", credit.StepRemoved)},
			[]int64{0, first[0].Seq - 1}, credit.Conflict},
		{"entry exists", []*credit.ListEvent{ev(newEntry, "91350100M000100Y43", credit.StepDecided), ev(b, "91350100M000200Y43", credit.StepDecided)},
			[]int64{0, 0}, credit.Exists},
		{"unknown subject", []*credit.ListEvent{ev(newEntry, "91350100M000100Y43", credit.StepDecided), ev(credit.NewID(), "91350100MA00000000", credit.StepDecided)},
			[]int64{0, 0}, credit.Invalid},
		{"one entry twice", []*credit.ListEvent{ev(newEntry, "91350100M000100Y43", credit.StepDecided), ev(newEntry, "91350100M000100Y43", credit.StepRemoved)},
			[]int64{0, 0}, credit.Invalid},
		{"predecessors missing", []*credit.ListEvent{ev(newEntry, "91350100M000100Y43", credit.StepDecided)}, nil, credit.Invalid},
	}
	for _, tc := range bad {
		wantKind(t, tc.name, s.AppendListEvents(c, tc.es, tc.prev), tc.kind)
		if h, _ := s.ChangeHead(c); h != first[1].Seq {
			t.Fatalf("%s: feed head %d after a refused batch, want %d", tc.name, h, first[1].Seq)
		}
		if evs, _ := s.EntryEvents(c, newEntry); len(evs) != 0 {
			t.Fatalf("%s: the refused batch's good event was written: %+v", tc.name, evs)
		}
	}
	// The entries move on from their batch-written versions one by one.
	r := ev(a, "91350100M000100Y43", credit.StepRemoved)
	if err := s.AppendListEvent(c, r, first[0].Seq); err != nil {
		t.Fatalf("AppendListEvent after the batch: %v", err)
	}
	if err := s.AppendListEvents(c, nil, nil); err != nil {
		t.Fatalf("empty batch: %v", err)
	}
}
