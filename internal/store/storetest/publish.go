package storetest

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/xinyong/xinyong/internal/credit"
)

// testPublish covers the PublishStore queries: bulk upsert, the keyset scan
// of changed subjects and records by item.
func testPublish(t *testing.T, s credit.Store) {
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var subs []credit.Subject
	for i := range 600 { // more than one multi-row statement
		o := org(fmt.Sprintf("B%04d", i), fmt.Sprintf("批量%04d有限公司", i))
		o.UpdatedAt = base.Add(time.Duration(i%7) * time.Second)
		subs = append(subs, *o)
	}
	subs[3].FormerNames = []string{"旧名甲", "旧名乙"}
	if err := s.PutSubjects(ctx(t), subs); err != nil {
		t.Fatalf("PutSubjects: %v", err)
	}
	if n, _ := s.CountSubjects(ctx(t)); n != 600 {
		t.Fatalf("CountSubjects = %d, want 600", n)
	}
	got, err := s.Subject(ctx(t), "B0003")
	if err != nil || got.Name != "批量0003有限公司" || !slices.Equal(got.FormerNames, []string{"旧名甲", "旧名乙"}) {
		t.Fatalf("Subject(B0003) = %+v, %v", got, err)
	}

	// A batch with a bad subject writes nothing.
	bad := []credit.Subject{*org("C1", "好"), {ID: "C2", Kind: "robot", Name: "坏"}}
	wantKind(t, "PutSubjects(bad kind)", s.PutSubjects(ctx(t), bad), credit.Invalid)
	dup := []credit.Subject{*org("C3", "甲"), *org("C3", "乙")}
	wantKind(t, "PutSubjects(duplicate)", s.PutSubjects(ctx(t), dup), credit.Invalid)
	if _, err := s.Subject(ctx(t), "C1"); credit.KindOf(err) != credit.NotFound {
		t.Fatalf("C1 was written by a refused batch: %v", err)
	}

	// Names by ID: those that exist, former names with them; many IDs
	// at once (more than one chunk of parameters).
	var byID []string
	for i := range 600 {
		byID = append(byID, fmt.Sprintf("B%04d", i))
	}
	byID = append(byID, "NOPE")
	all, err := s.SubjectNamesByID(ctx(t), byID)
	if err != nil || len(all) != 600 {
		t.Fatalf("SubjectNamesByID: %d, %v", len(all), err)
	}
	for _, n := range all {
		if n.ID == "B0003" && !slices.Equal(n.FormerNames, []string{"旧名甲", "旧名乙"}) {
			t.Fatalf("former names of B0003 = %v", n.FormerNames)
		}
	}
	if none, err := s.SubjectNamesByID(ctx(t), nil); err != nil || len(none) != 0 {
		t.Fatalf("SubjectNamesByID(nil) = %v, %v", none, err)
	}

	// The streaming read visits the same subjects, and stops at an error.
	streamed := map[string]bool{}
	if err := s.EachSubjectName(ctx(t), func(n credit.SubjectName) error { streamed[n.ID] = true; return nil }); err != nil || len(streamed) != 600 {
		t.Fatalf("EachSubjectName visited %d, %v", len(streamed), err)
	}
	stop := errors.New("stop")
	calls := 0
	if err := s.EachSubjectName(ctx(t), func(credit.SubjectName) error { calls++; return stop }); !errors.Is(err, stop) || calls != 1 {
		t.Fatalf("EachSubjectName after an error: %v, %d calls", err, calls)
	}

	// A rename is a change in the feed, and the new name is read by ID.
	head, err := s.ChangeHead(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	renamed := *org("B0010", "改名后有限公司", "批量0010有限公司")
	renamed.UpdatedAt = base.Add(time.Hour)
	if err := s.PutSubjects(ctx(t), []credit.Subject{renamed}); err != nil {
		t.Fatal(err)
	}
	cs, err := s.ChangesSince(ctx(t), head, 0, credit.ChangeSubject)
	if err != nil || len(cs) != 1 || cs[0].Ref != "B0010" {
		t.Fatalf("changes after the rename = %+v, %v", cs, err)
	}
	changed, err := s.SubjectNamesByID(ctx(t), []string{cs[0].Ref})
	if err != nil || len(changed) != 1 || changed[0].Name != "改名后有限公司" {
		t.Fatalf("the renamed subject = %+v, %v", changed, err)
	}

	// Records by item, newest first, before a cursor; the items' runs are
	// merged in ID order.
	r1, r2, r3 := rec("B0001", "D1"), rec("B0002", "D2"), rec("B0001", "D3")
	r2.Item = "HONOUR"
	fix := follow(r1, credit.Correction, "金额更正")
	mustAppend(t, s, r1, r2, r3, fix)
	ids := func(recs []credit.Record, err error) []string {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, r := range recs {
			out = append(out, r.ID)
		}
		return out
	}
	if got, want := ids(s.NewestRecordsByItems(ctx(t), []string{"XZCF"}, "", 0)), []string{fix.ID, r3.ID, r1.ID}; !slices.Equal(got, want) {
		t.Fatalf("NewestRecordsByItems(XZCF) = %v, want %v", got, want)
	}
	if got, want := ids(s.NewestRecordsByItems(ctx(t), []string{"XZCF", "HONOUR"}, "", 3)), []string{fix.ID, r3.ID, r2.ID}; !slices.Equal(got, want) {
		t.Fatalf("NewestRecordsByItems(XZCF, HONOUR), limit 3 = %v, want %v", got, want)
	}
	if got, want := ids(s.NewestRecordsByItems(ctx(t), []string{"HONOUR", "XZCF"}, r3.ID, 2)), []string{r2.ID, r1.ID}; !slices.Equal(got, want) {
		t.Fatalf("NewestRecordsByItems before r3, limit 2 = %v, want %v", got, want)
	}
	if got := ids(s.NewestRecordsByItems(ctx(t), nil, "", 0)); len(got) != 0 {
		t.Fatalf("NewestRecordsByItems(no items) = %d records", len(got))
	}
}
