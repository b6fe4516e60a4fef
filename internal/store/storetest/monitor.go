package storetest

import (
	"reflect"
	"testing"
	"time"

	"github.com/xinyong/xinyong/internal/credit"
)

// testMonitor checks the monitoring's counts by period (credit.MonitorStore):
// facts and subjects before each bound, batches' quality per period.
func testMonitor(t *testing.T, s credit.Store) {
	day := func(m, d int) time.Time { return time.Date(2025, time.Month(m), d, 4, 0, 0, 0, time.UTC) }
	for i, id := range []string{"91350100M000100Y43", "91350100MA2XN0CQ7K", "91350100MA2XN0CQ8X"} {
		sub := org(id, "监测主体"+id[14:])
		sub.CreatedAt = day(1+2*i, 10) // Jan, Mar, May
		mustPutSubject(t, s, sub)
	}
	a, b, c := rec("91350100M000100Y43", "A1"), rec("91350100M000100Y43", "A2"), rec("91350100MA2XN0CQ7K", "B1")
	a.Received, b.Received, c.Received = day(1, 20), day(3, 5), day(3, 6)
	c.Dept = "350100-SW"
	mustAppend(t, s, a, b, c)
	bounds := []time.Time{day(2, 1), day(4, 1), day(6, 1)}
	subs, err := s.SubjectsBefore(ctx(t), bounds)
	if err != nil || !reflect.DeepEqual(subs, []int{1, 2, 3}) {
		t.Fatalf("SubjectsBefore = %v, %v; want [1 2 3]", subs, err)
	}
	recs, err := s.RecordsBefore(ctx(t), bounds)
	want := map[string][]int{"110000-SCJG": {1, 2, 2}, "350100-SW": {0, 1, 1}}
	if err != nil || !reflect.DeepEqual(recs, want) {
		t.Fatalf("RecordsBefore = %v, %v; want %v", recs, err, want)
	}
	// Batches: two in February, one in April, one before the first bound.
	for i, at := range []time.Time{day(2, 3), day(2, 20), day(4, 2), day(1, 1)} {
		bt := &credit.Batch{ID: credit.NewID(), Dept: "SAMR-350100", Item: "admin_penalty", FileName: "f.csv", Format: "csv",
			Encoding: "utf-8", HeaderStyle: "codes", ContentHash: "h" + string(rune('a'+i)), Actor: "cli", StartedAt: at}
		if err := s.CreateBatch(ctx(t), bt); err != nil {
			t.Fatal(err)
		}
		cnt := credit.BatchCounts{Total: 10, Accepted: 9, Created: 9, Rejected: 1, Timed: 9, Late: i, Filled: 5, Fillable: 10}
		if err := s.CommitChunk(ctx(t), &credit.Chunk{BatchID: bt.ID, Seq: 1, LastRow: 10, Counts: cnt}); err != nil {
			t.Fatal(err)
		}
	}
	q, err := s.QualityByPeriod(ctx(t), []time.Time{day(2, 1), day(3, 1), day(4, 1), day(5, 1)})
	if err != nil || len(q) != 3 {
		t.Fatalf("QualityByPeriod = %+v, %v", q, err)
	}
	if len(q[0]) != 1 || q[0][0].Dept != "SAMR-350100" || q[0][0].Batches != 2 || q[0][0].Counts.Total != 20 || q[0][0].Counts.Late != 1 || q[0][0].Counts.Timed != 18 {
		t.Errorf("February = %+v", q[0])
	}
	if len(q[1]) != 0 {
		t.Errorf("March = %+v, want none", q[1])
	}
	if len(q[2]) != 1 || q[2][0].Batches != 1 || q[2][0].Counts.Late != 2 || q[2][0].Counts.Filled != 5 {
		t.Errorf("April = %+v", q[2])
	}
}
