package storetest

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/xinyong/xinyong/internal/chinatime"
	"github.com/xinyong/xinyong/internal/credit"
)

// testChanges checks that every write of a fact adds its change-feed
// entries in the same transaction, and only then.
func testChanges(t *testing.T, s credit.Store) {
	c := ctx(t)
	if h, err := s.ChangeHead(c); err != nil || h != 0 {
		t.Fatalf("ChangeHead on an empty store = %d, %v; want 0", h, err)
	}
	if cs, err := s.ChangesSince(c, 0, 0); err != nil || len(cs) != 0 {
		t.Fatalf("ChangesSince on an empty store = %v, %v", cs, err)
	}
	var want []credit.Change // Pos, Kind, Ref, SubjectID, Tag
	add := func(kind credit.ChangeKind, ref, subj, tag string) {
		want = append(want, credit.Change{Pos: int64(len(want) + 1), Kind: kind, Ref: ref, SubjectID: subj, Tag: tag})
	}

	mustPutSubject(t, s, org("91350100M000100Y43", "福州甲公司"))
	add(credit.ChangeSubject, "91350100M000100Y43", "91350100M000100Y43", "")
	r1, r2 := rec("91350100M000100Y43", "d1"), rec("91350100M000100Y43", "d2")
	if err := s.AppendRecords(c, []credit.Record{r1, r2}); err != nil {
		t.Fatal(err)
	}
	add(credit.ChangeRecord, r1.ID, r1.SubjectID, r1.Item)
	add(credit.ChangeRecord, r2.ID, r2.SubjectID, r2.Item)
	// A refused write adds nothing.
	bad := rec("91350100MA00000000", "d3")
	wantKind(t, "unknown subject", s.AppendRecords(c, []credit.Record{bad}), credit.Invalid)
	corr := follow(r1, credit.Correction, "更正")
	if err := s.AppendRecords(c, []credit.Record{corr}); err != nil {
		t.Fatal(err)
	}
	add(credit.ChangeRecord, corr.ID, corr.SubjectID, corr.Item)
	if err := s.PutSubjects(c, []credit.Subject{*org("91350100MA2XN0CQ7K", "福州乙公司"), *org("91350100MA2XN0CQ8X", "福州丙公司")}); err != nil {
		t.Fatal(err)
	}
	add(credit.ChangeSubject, "91350100MA2XN0CQ7K", "91350100MA2XN0CQ7K", "")
	add(credit.ChangeSubject, "91350100MA2XN0CQ8X", "91350100MA2XN0CQ8X", "")

	ev := &credit.ListEvent{ID: credit.NewID(), EntryID: credit.NewID(), List: "court_defaulters", SubjectID: "91350100M000100Y43",
		Step: credit.StepProposed, Actor: "reviewer", At: time.Date(2026, 1, 5, 9, 0, 0, 0, chinatime.Location)}
	if err := s.AppendListEvent(c, ev, 0); err != nil {
		t.Fatal(err)
	}
	add(credit.ChangeListEvent, ev.ID, ev.SubjectID, ev.List)
	if ev.Seq != int64(len(want)) {
		t.Fatalf("list event seq %d, want its feed position %d", ev.Seq, len(want))
	}
	// A refused list event (stale) adds nothing visible either.
	wantKind(t, "stale", s.AppendListEvent(c, &credit.ListEvent{ID: credit.NewID(), EntryID: ev.EntryID, List: ev.List,
		SubjectID: ev.SubjectID, Step: credit.StepNoticed, Actor: "x"}, ev.Seq-1), credit.Conflict)
	m := &credit.VerificationMark{ID: credit.NewID(), TargetKind: credit.VerifyEntry, TargetID: ev.EntryID, SubjectID: ev.SubjectID, Active: true, Actor: "x"}
	if err := s.AppendVerification(c, m); err != nil {
		t.Fatal(err)
	}
	add(credit.ChangeVerification, m.ID, m.SubjectID, credit.VerifyEntry)
	cs := &credit.Case{Kind: credit.CaseObjection, SubjectID: "91350100M000100Y43", RecordID: r1.ID, Unit: "SAMR-350100", TrackHash: "feed-h", State: "submitted", Open: true}
	if err := s.CreateCase(c, cs, &credit.CaseEvent{Action: "file", Actor: "x", At: time.Now()}); err != nil {
		t.Fatal(err)
	}
	add(credit.ChangeCase, cs.ID, cs.SubjectID, string(credit.CaseObjection))
	cs.State = "routed"
	if err := s.AdvanceCase(c, cs, &credit.CaseEvent{Action: "route", Actor: "x", At: time.Now()}); err != nil {
		t.Fatal(err)
	}
	add(credit.ChangeCase, cs.ID, cs.SubjectID, string(credit.CaseObjection))
	acc := &credit.Account{ID: credit.NewID(), Name: "feed-acc", Role: credit.RoleBusiness, Dept: "FIN-350100"}
	if err := s.PutAccount(c, acc); err != nil {
		t.Fatal(err)
	}
	add(credit.ChangeAccount, acc.ID, "", "")
	if err := s.SetAccountMatters(c, acc.ID, []string{"gov_subsidy"}); err != nil {
		t.Fatal(err)
	}
	add(credit.ChangeAccount, acc.ID, "", "matters")

	b := newBatch(t, s, "feed-batch")
	sub := org("91350100MA2XN0CQ7K", "福州乙公司（更名）")
	cr := rec("91350100MA2XN0CQ7K", "chunk-1")
	cr.BatchID = b.ID
	if err := s.CommitChunk(c, &credit.Chunk{BatchID: b.ID, Seq: 1, LastRow: 1, Subjects: []credit.Subject{*sub}, Records: []credit.Record{cr},
		Counts: credit.BatchCounts{Total: 1, Accepted: 1, Created: 1}}); err != nil {
		t.Fatal(err)
	}
	add(credit.ChangeSubject, sub.ID, sub.ID, "")
	add(credit.ChangeRecord, cr.ID, cr.SubjectID, cr.Item)

	if h, err := s.ChangeHead(c); err != nil || h != int64(len(want)) {
		t.Fatalf("ChangeHead = %d, %v; want %d (gaps are allowed only for rolled-back writes, which take no position on this path)", h, err, len(want))
	}
	got, err := s.ChangesSince(c, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("ChangesSince(0) = %d changes, want %d:\n%+v", len(got), len(want), got)
	}
	for i := range got {
		g := got[i]
		g.At = time.Time{}
		if g != want[i] {
			t.Errorf("change %d = %+v, want %+v", i, g, want[i])
		}
		if got[i].At.IsZero() || got[i].At.Location() != time.UTC {
			t.Errorf("change %d: time %v", i, got[i].At)
		}
	}
	// Paging and filtering.
	page, err := s.ChangesSince(c, 2, 3)
	if err != nil || len(page) != 3 || page[0].Pos != 3 || page[2].Pos != 5 {
		t.Fatalf("ChangesSince(2, 3) = %+v, %v", page, err)
	}
	recs, err := s.ChangesSince(c, 0, 0, credit.ChangeRecord, credit.ChangeCase)
	if err != nil || len(recs) != 6 {
		t.Fatalf("ChangesSince(records, cases) = %d, %v; want 6", len(recs), err)
	}
	for _, x := range recs {
		if x.Kind != credit.ChangeRecord && x.Kind != credit.ChangeCase {
			t.Errorf("filtered change of kind %s", x.Kind)
		}
	}

	// Cursors.
	if _, ok, err := s.FeedCursor(c, "f"); ok || err != nil {
		t.Fatalf("FeedCursor of a new follower: %v %v", ok, err)
	}
	if err := s.MoveFeedCursor(c, "f", -1, 3); err != nil {
		t.Fatal(err)
	}
	wantKind(t, "cursor created twice", s.MoveFeedCursor(c, "f", -1, 4), credit.Exists)
	wantKind(t, "stale cursor", s.MoveFeedCursor(c, "f", 2, 5), credit.Conflict)
	if err := s.MoveFeedCursor(c, "f", 3, 7); err != nil {
		t.Fatal(err)
	}
	if pos, ok, err := s.FeedCursor(c, "f"); pos != 7 || !ok || err != nil {
		t.Fatalf("FeedCursor = %d %v %v; want 7", pos, ok, err)
	}
}

// testChangeOrder has writers of every kind of fact commit concurrently
// while a reader follows the feed: the reader must never be handed a
// position smaller than one it has already read (which would mean it had
// skipped it), and in the end it has read every position exactly once.
func testChangeOrder(t *testing.T, s credit.Store) {
	c := ctx(t)
	const writers, perWriter = 6, 25
	mustPutSubject(t, s, org("91350100M000100Y43", "福州甲公司"))
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perWriter {
				var err error
				switch (w + i) % 3 {
				case 0:
					err = s.AppendRecords(c, []credit.Record{rec("91350100M000100Y43", fmt.Sprintf("w%d-%d", w, i))})
				case 1:
					err = s.AppendListEvent(c, &credit.ListEvent{ID: credit.NewID(), EntryID: credit.NewID(), List: "key_watch",
						SubjectID: "91350100M000100Y43", Step: credit.StepProposed, Actor: "w" + strconv.Itoa(w)}, 0)
				case 2:
					sub := org("91350100M000100Y43", "福州甲公司"+strconv.Itoa(w))
					err = s.PutSubject(c, sub)
				}
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()

	var last int64
	seen := map[int64]bool{}
	read := func() {
		for {
			cs, err := s.ChangesSince(context.WithoutCancel(c), last, 7)
			if err != nil {
				t.Fatal(err)
			}
			for _, x := range cs {
				if x.Pos <= last {
					t.Fatalf("position %d handed out after %d", x.Pos, last)
				}
				if x.Pos != last+1 {
					// Nothing here rolls back after taking a position, so
					// a hole is a position that commits later: a skip.
					t.Fatalf("read position %d after %d: %d..%d were skipped", x.Pos, last, last+1, x.Pos-1)
				}
				seen[x.Pos] = true
				last = x.Pos
			}
			if len(cs) < 7 {
				return
			}
		}
	}
	for running := true; running; {
		select {
		case <-done:
			running = false
		case err := <-errs:
			t.Fatal(err)
		default:
		}
		read()
	}
	read()
	head, err := s.ChangeHead(c)
	if err != nil {
		t.Fatal(err)
	}
	if want := int64(1 + writers*perWriter); head != want || last != head || len(seen) != int(head) {
		t.Fatalf("head %d, last read %d, read %d positions; want %d of each", head, last, len(seen), want)
	}
}
