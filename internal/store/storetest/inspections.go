package storetest

import (
	"bytes"
	"testing"
	"time"

	"github.com/xinyong/xinyong/internal/credit"
)

// testInspections: pools filtered from the register, tasks with their
// feed entries, a draw written once, the avoidance history, results once
// per subject, and the first checkpoint holding a leaf.
func testInspections(t *testing.T, s credit.Store) {
	c := ctx(t)
	put := func(id, region, status string, kind credit.SubjectKind, orgType string) {
		subj := org(id, "抽查对象"+id)
		subj.Region, subj.Status, subj.Kind, subj.OrgType = region, status, kind, orgType
		mustPutSubject(t, s, subj)
	}
	put("91330102MA0000001X", "330102", "存续", credit.Organisation, "91")
	put("91330106MA0000002X", "330106", "存续", credit.Organisation, "91")
	put("92330106MA0000003X", "330106", "存续", credit.IndividualBusiness, "92")
	put("91330106MA0000004X", "330106", "注销", credit.Organisation, "91")
	put("91320100MA0000005X", "320100", "存续", credit.Organisation, "91")
	put("91330_06MA0000006X", "33_106", "存续", credit.Organisation, "91") // a LIKE wildcard in the data
	mustPutSubject(t, s, person("P0000000000000000000000000000001", "hash-1", "张三"))

	pool := func(f credit.PoolFilter) []string {
		t.Helper()
		var ids []string
		if err := s.InspectionPool(c, f, func(p credit.PoolSubject) error {
			if p.Kind == credit.Person {
				t.Errorf("a natural person %s in a pool", p.ID)
			}
			ids = append(ids, p.ID)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		return ids
	}
	if got := pool(credit.PoolFilter{Region: "330106"}); len(got) != 2 || got[0] != "91330106MA0000002X" || got[1] != "92330106MA0000003X" {
		t.Errorf("region 330106: %v, want the two open subjects in ID order", got)
	}
	if got := pool(credit.PoolFilter{Region: "3301", IncludeClosed: true, Kinds: []credit.SubjectKind{credit.Organisation}}); len(got) != 3 {
		t.Errorf("region 3301, organisations, closed too: %v", got)
	}
	if got := pool(credit.PoolFilter{Region: "33_1"}); len(got) != 1 || got[0] != "91330_06MA0000006X" {
		t.Errorf("region prefix with an underscore matched %v: LIKE wildcards must be escaped", got)
	}
	if got := pool(credit.PoolFilter{OrgTypes: []string{"92"}}); len(got) != 1 {
		t.Errorf("org type 92: %v", got)
	}
	if got := pool(credit.PoolFilter{}); len(got) != 5 {
		t.Errorf("everything open: %v", got)
	}
	wantKind(t, "a pool of persons", s.InspectionPool(c, credit.PoolFilter{Kinds: []credit.SubjectKind{credit.Person}}, func(credit.PoolSubject) error { return nil }), credit.Invalid)

	head, err := s.ChangeHead(c)
	if err != nil {
		t.Fatal(err)
	}
	pub := time.Date(2026, 12, 1, 2, 3, 4, 0, time.UTC)
	task := &credit.InspectionTask{Dept: "SAMR-330100", Matter: "daily_supervision", Title: "第四季度抽查", PublishedAt: pub,
		PoolSize: 2, Statement: []byte(`{"format":"xinyong-draw/1"}`), Pool: []byte{0x1f, 0x8b, 0, 1, 2}}
	if err := s.CreateInspection(c, task); err != nil {
		t.Fatal(err)
	}
	if task.PublishedPos != head+1 || task.State != credit.InspectionPublished {
		t.Fatalf("published at position %d (head was %d), state %s", task.PublishedPos, head, task.State)
	}
	cs, err := s.ChangesSince(c, head, 10, credit.ChangeInspection)
	if err != nil || len(cs) != 1 || cs[0].Ref != task.ID || cs[0].Tag != credit.InspectionPublished || cs[0].Pos != task.PublishedPos {
		t.Fatalf("feed after publication: %+v %v", cs, err)
	}
	got, err := s.Inspection(c, task.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Pool, task.Pool) || string(got.Statement) != string(task.Statement) || !got.PublishedAt.Equal(pub) || got.Draw != nil || got.PublishedPos != task.PublishedPos {
		t.Fatalf("read back %+v", got)
	}
	_, err = s.Inspection(c, "nope")
	wantKind(t, "an unknown task", err, credit.NotFound)

	drawnAt := pub.Add(time.Hour)
	got.Draw, got.Drawn, got.DrawnAt = []byte(`{"subjects":[]}`), 1, drawnAt
	as := []credit.InspectionAssignment{{SubjectID: "91330102MA0000001X", Inspector: "E01"}, {SubjectID: "91330102MA0000001X", Inspector: "E02"}}
	if err := s.RecordInspectionDraw(c, got, as); err != nil {
		t.Fatal(err)
	}
	again := *got
	wantKind(t, "a second draw", s.RecordInspectionDraw(c, &again, as), credit.Conflict)
	got2, err := s.Inspection(c, task.ID)
	if err != nil || got2.State != credit.InspectionDrawn || string(got2.Draw) != `{"subjects":[]}` || got2.Drawn != 1 || !got2.DrawnAt.Equal(drawnAt) {
		t.Fatalf("after the draw: %+v %v", got2, err)
	}
	list, err := s.Inspections(c, credit.InspectionFilter{Dept: "SAMR-330100", State: credit.InspectionDrawn})
	if err != nil || len(list) != 1 || list[0].ID != task.ID || list[0].Statement != nil {
		t.Fatalf("list: %+v %v", list, err)
	}
	if list, _ := s.Inspections(c, credit.InspectionFilter{Dept: "other"}); len(list) != 0 {
		t.Fatalf("another department's list: %+v", list)
	}

	hist, err := s.InspectedBy(c, "SAMR-330100", []string{"E02", "E09"}, pub)
	if err != nil || len(hist) != 1 || hist[0].Inspector != "E02" || hist[0].TaskID != task.ID || !hist[0].DrawnAt.Equal(drawnAt) {
		t.Fatalf("history: %+v %v", hist, err)
	}
	if hist, _ := s.InspectedBy(c, "SAMR-330100", []string{"E02"}, drawnAt.Add(time.Second)); len(hist) != 0 {
		t.Fatalf("history after the draw: %+v", hist)
	}

	r := &credit.InspectionResult{TaskID: task.ID, SubjectID: "91330102MA0000001X", SubjectName: "抽查对象", Item: "公示信息", Result: "发现问题",
		Failed: true, Detail: "年报未公示", InspectedOn: time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC), RecordID: "rec-1", Actor: "dept"}
	if err := s.PutInspectionResult(c, r); err != nil {
		t.Fatal(err)
	}
	dup := *r
	wantKind(t, "a second result for the subject", s.PutInspectionResult(c, &dup), credit.Exists)
	rs, err := s.InspectionResults(c, task.ID)
	if err != nil || len(rs) != 1 || !rs[0].Failed || rs[0].Detail != "年报未公示" || !rs[0].InspectedOn.Equal(r.InspectedOn) || rs[0].RecordID != "rec-1" {
		t.Fatalf("results: %+v %v", rs, err)
	}

	_, err = s.CheckpointCovering(c, 0)
	wantKind(t, "no checkpoint yet", err, credit.NotFound)
	for _, size := range []int64{3, 8} {
		if err := s.PutCheckpoint(c, credit.LogCheckpoint{Size: size, Root: []byte{byte(size)}, Note: "note", At: pub}); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct{ index, want int64 }{{0, 3}, {2, 3}, {3, 8}, {7, 8}} {
		cp, err := s.CheckpointCovering(c, tc.index)
		if err != nil || cp.Size != tc.want {
			t.Errorf("checkpoint holding leaf %d: %+v %v, want size %d", tc.index, cp, err, tc.want)
		}
	}
	_, err = s.CheckpointCovering(c, 8)
	wantKind(t, "no checkpoint holds leaf 8", err, credit.NotFound)
}
