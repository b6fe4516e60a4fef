package storetest

import (
	"bytes"
	"sync"
	"testing"
	"time"

	"github.com/xinyong/xinyong/internal/chinatime"
	"github.com/xinyong/xinyong/internal/credit"
)

// testWorkflow covers cases, their events and files, and recompute marks.
func testWorkflow(t *testing.T, s credit.Store) {
	c := ctx(t)
	t0 := time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC)
	due1 := time.Date(2026, 3, 3, 0, 0, 0, 0, chinatime.Location)
	due2 := time.Date(2026, 3, 10, 0, 0, 0, 0, chinatime.Location)

	mk := func(kind credit.CaseKind, subj, rec, unit, hash string, due time.Time) *credit.Case {
		cs := &credit.Case{Kind: kind, SubjectID: subj, RecordID: rec, Unit: unit, TrackHash: hash, State: "submitted", Open: true, Due: due}
		ev := &credit.CaseEvent{Action: "file", Actor: "申请人", Role: credit.RolePublic, At: t0, Due: due, Reason: "记录有误", Data: map[string]string{"contact": "138"}}
		if err := s.CreateCase(c, cs, ev); err != nil {
			t.Fatalf("CreateCase: %v", err)
		}
		if cs.Seq != 1 || ev.Seq != 1 || ev.CaseID != cs.ID || cs.ID == "" {
			t.Fatalf("after create: case %+v event %+v", cs, ev)
		}
		return cs
	}
	a := mk(credit.CaseObjection, "S1", "R1", "samr", "h-a", due2)
	b := mk(credit.CaseRepair, "S1", "R2", "samr", "h-b", due1)
	_ = mk(credit.CaseObjection, "S2", "R3", "tax", "h-c", time.Time{})

	// A tracking hash is unique.
	dup := &credit.Case{Kind: credit.CaseObjection, SubjectID: "S1", TrackHash: "h-a", State: "submitted", Open: true}
	if err := s.CreateCase(c, dup, &credit.CaseEvent{Action: "file", Actor: "x", At: t0}); !credit.Is(credit.Exists, err) {
		t.Errorf("duplicate tracking hash: %v", err)
	}

	got, err := s.CaseByTrackHash(c, "h-b")
	if err != nil || got.ID != b.ID || got.Kind != credit.CaseRepair || !got.Due.Equal(due1) || !got.Open || got.Created.IsZero() {
		t.Fatalf("CaseByTrackHash: %+v %v", got, err)
	}
	if _, err := s.CaseByTrackHash(c, "nope"); !credit.Is(credit.NotFound, err) {
		t.Errorf("unknown hash: %v", err)
	}

	// Advance: the event is appended and the projection updated.
	stale := *a
	a.State, a.Due = "verifying", due1
	if err := s.AdvanceCase(c, a, &credit.CaseEvent{Action: "accept", Actor: "officer", Role: credit.RoleDept, At: t0.Add(time.Hour), Due: due1}); err != nil {
		t.Fatal(err)
	}
	if a.Seq != 2 {
		t.Errorf("seq after advance = %d", a.Seq)
	}
	// A second officer acting on the stale copy is refused: nothing lost.
	stale.State, stale.Open = "refused", false
	if err := s.AdvanceCase(c, &stale, &credit.CaseEvent{Action: "refuse", Actor: "other", At: t0.Add(2 * time.Hour)}); !credit.Is(credit.Conflict, err) {
		t.Errorf("stale advance: %v", err)
	}
	missing := credit.Case{ID: "absent", State: "x", Seq: 1}
	if err := s.AdvanceCase(c, &missing, &credit.CaseEvent{Action: "x", Actor: "x"}); !credit.Is(credit.NotFound, err) {
		t.Errorf("advance of unknown case: %v", err)
	}
	a.State, a.Open, a.Due, a.Until = "upheld", false, time.Time{}, time.Date(2029, 1, 1, 0, 0, 0, 0, time.UTC)
	if err := s.AdvanceCase(c, a, &credit.CaseEvent{Action: "uphold", Actor: "officer", At: t0.Add(3 * time.Hour), Data: map[string]string{"new_record": "R9"}}); err != nil {
		t.Fatal(err)
	}
	evs, err := s.CaseEvents(c, a.ID)
	if err != nil || len(evs) != 3 {
		t.Fatalf("events: %d %v", len(evs), err)
	}
	want := []string{"submitted", "verifying", "upheld"}
	for i, ev := range evs {
		if ev.Seq != i+1 || ev.State != want[i] {
			t.Errorf("event %d: seq %d state %s", i, ev.Seq, ev.State)
		}
	}
	if evs[0].Data["contact"] != "138" || evs[2].Data["new_record"] != "R9" || evs[0].Reason != "记录有误" || evs[0].Role != credit.RolePublic || !evs[1].Due.Equal(due1) {
		t.Errorf("event details lost: %+v", evs)
	}
	if got, _ := s.Case(c, a.ID); got.Open || got.State != "upheld" || !got.Due.IsZero() || !got.Until.Equal(a.Until) || got.Seq != 3 {
		t.Errorf("projection: %+v", got)
	}

	// Queues: open only, by due date, undated last.
	open, err := s.Cases(c, credit.CaseFilter{OpenOnly: true})
	if err != nil || len(open) != 2 || open[0].ID != b.ID || !open[1].Due.IsZero() {
		t.Errorf("open queue: %+v %v", open, err)
	}
	if l, _ := s.Cases(c, credit.CaseFilter{Unit: "samr", Kind: credit.CaseObjection}); len(l) != 1 || l[0].ID != a.ID {
		t.Errorf("by unit and kind: %+v", l)
	}
	if l, _ := s.Cases(c, credit.CaseFilter{RecordIDs: []string{"R2", "R3"}}); len(l) != 2 {
		t.Errorf("by records: %+v", l)
	}
	if l, _ := s.Cases(c, credit.CaseFilter{RecordIDs: []string{}}); len(l) != 0 {
		t.Errorf("empty record list: %+v", l)
	}
	if l, _ := s.Cases(c, credit.CaseFilter{SubjectID: "S1"}); len(l) != 2 {
		t.Errorf("by subject: %+v", l)
	}

	// Files keep their bytes exactly.
	body := []byte{0x25, 0x50, 0x44, 0x46, 0x00, 0xff, '\n'}
	f := &credit.CaseFile{CaseID: b.ID, Name: "证明.pdf", ContentType: "application/pdf", SHA256: "abc", Body: body, UploadedBy: "申请人"}
	if err := s.PutCaseFile(c, f); err != nil {
		t.Fatal(err)
	}
	if err := s.PutCaseFile(c, &credit.CaseFile{CaseID: "absent", SHA256: "x", Body: body}); !credit.Is(credit.NotFound, err) {
		t.Errorf("file of unknown case: %v", err)
	}
	fs, err := s.CaseFiles(c, b.ID)
	if err != nil || len(fs) != 1 || fs[0].Body != nil || fs[0].Size != int64(len(body)) || fs[0].Name != "证明.pdf" {
		t.Errorf("CaseFiles: %+v %v", fs, err)
	}
	one, err := s.CaseFile(c, f.ID)
	if err != nil || !bytes.Equal(one.Body, body) || one.SHA256 != "abc" {
		t.Errorf("CaseFile: %+v %v", one, err)
	}

	// Recompute marks: first reason kept.
	if err := s.MarkRecompute(c, credit.RecomputeMark{SubjectID: "S1", Since: t0, Reason: "repaired"}); err != nil {
		t.Fatal(err)
	}
	_ = s.MarkRecompute(c, credit.RecomputeMark{SubjectID: "S1", Since: t0.Add(time.Hour), Reason: "again"})
	_ = s.MarkRecompute(c, credit.RecomputeMark{SubjectID: "S0", Since: t0.Add(-time.Hour), Reason: "x"})
	pend, err := s.PendingRecompute(c, 10)
	if err != nil || len(pend) != 2 || pend[0].SubjectID != "S0" || pend[1].Reason != "repaired" || !pend[1].Since.Equal(t0) {
		t.Errorf("PendingRecompute: %+v %v", pend, err)
	}

	// Concurrent advances of one case: exactly one wins each step.
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins := 0
	base, _ := s.Case(c, b.ID)
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cp := *base
			cp.State = "accepted"
			if err := s.AdvanceCase(c, &cp, &credit.CaseEvent{Action: "accept", Actor: "o"}); err == nil {
				mu.Lock()
				wins++
				mu.Unlock()
			} else if !credit.Is(credit.Conflict, err) {
				t.Errorf("concurrent advance: %v", err)
			}
		}()
	}
	wg.Wait()
	if wins != 1 {
		t.Errorf("%d concurrent advances of the same step succeeded, want 1", wins)
	}
}
