package monitor_test

import (
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/xinyong/xinyong/internal/apptest"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/monitor"
)

// BenchmarkMonitorPage computes what the monitoring page shows (every
// indicator over 12 months and the ranking) over a city-sized store and
// reports it against one count(*) of the records in the same run (the
// floor: every figure over facts needs at least that scan). The size is
// XINYONG_MONITOR_RECORDS (default 100,000 facts, a tenth as many
// subjects, 1,000 batches, 1,000 closed cases).
func BenchmarkMonitorPage(b *testing.B) {
	n := 100_000
	if v, err := strconv.Atoi(os.Getenv("XINYONG_MONITOR_RECORDS")); err == nil && v > 0 {
		n = v
	}
	for _, backend := range []string{apptest.SQLite, apptest.Postgres} {
		b.Run(fmt.Sprintf("%s/%d", backend, n), func(b *testing.B) {
			node := benchNode(b, backend, n)
			ctx := b.Context()
			st := node.Store
			q := monitor.Query{Period: monitor.Month, N: 12}
			var base, page time.Duration
			for b.Loop() {
				t0 := time.Now()
				if _, err := st.CountRecords(ctx); err != nil {
					b.Fatal(err)
				}
				t1 := time.Now()
				if _, err := node.Monitor.All(ctx, q); err != nil {
					b.Fatal(err)
				}
				if _, err := node.Monitor.Ranking(ctx, q); err != nil {
					b.Fatal(err)
				}
				base += t1.Sub(t0)
				page += time.Since(t1)
			}
			b.ReportMetric(float64(page)/float64(base), "x-count-scan")
			b.ReportMetric(page.Seconds()*1000/float64(b.N), "ms/page")
		})
	}
}

// benchNode is a node with n facts, a tenth as many subjects, 1,000
// batches and 1,000 closed objections over the year before the clock.
func benchNode(tb testing.TB, backend string, n int) *apptest.Env {
	node := apptest.New(tb, apptest.Options{Backend: backend, NoSearchIndex: true})
	ctx := tb.Context()
	st := node.Store
	now := node.Clock.Now()
	depts := []string{"SAMR-350100", "NDRC-350100", "TAX-350100", "ECO-350100", "COURT-350100"}
	subs := max(n/10, 1)
	for i := range subs {
		when := now.Add(-time.Duration(i%360) * 24 * time.Hour)
		id := fmt.Sprintf("bench-%07d", i)
		if err := st.PutSubject(ctx, &credit.Subject{ID: id, Kind: credit.Organisation, Code: id, Name: id, CreatedAt: when, UpdatedAt: when}); err != nil {
			tb.Fatal(err)
		}
	}
	recs := make([]credit.Record, 0, 1000)
	flush := func() {
		if err := st.AppendRecords(ctx, recs); err != nil {
			tb.Fatal(err)
		}
		recs = recs[:0]
	}
	for i := range n {
		when := now.Add(-time.Duration(i%360) * 24 * time.Hour)
		recs = append(recs, credit.Record{ID: credit.NewID(), SubjectID: fmt.Sprintf("bench-%07d", i%subs), Item: "admin_penalty", Catalog: "t",
			Fact: credit.Original, Dept: depts[i%len(depts)], DocNo: "d" + strconv.Itoa(i), DecidedOn: when, Received: when,
			Fields: credit.Fields{"x": "y"}, Hash: "h", Kind: credit.Organisation})
		if len(recs) == cap(recs) {
			flush()
		}
	}
	if len(recs) > 0 {
		flush()
	}
	for i := range 1000 {
		when := now.Add(-time.Duration(i%360) * 24 * time.Hour)
		bt := &credit.Batch{ID: credit.NewID(), Dept: depts[i%len(depts)], Item: "admin_penalty", FileName: "f", Format: "csv", Encoding: "utf-8",
			HeaderStyle: "codes", ContentHash: strconv.Itoa(i), Actor: "cli", StartedAt: when}
		if err := st.CreateBatch(ctx, bt); err != nil {
			tb.Fatal(err)
		}
		c := credit.BatchCounts{Total: 100, Accepted: 98, Created: 98, Rejected: 2, Timed: 98, Late: i % 5, Filled: 50, Fillable: 80}
		if err := st.CommitChunk(ctx, &credit.Chunk{BatchID: bt.ID, Seq: 1, LastRow: 100, Counts: c}); err != nil {
			tb.Fatal(err)
		}
		when2 := when.Add(time.Hour)
		cs := &credit.Case{ID: credit.NewID(), Kind: credit.CaseObjection, SubjectID: "bench-0000000", Unit: depts[i%len(depts)], TrackHash: credit.NewID(),
			State: "submitted", Open: true, Due: when.AddDate(0, 0, 2), Created: when, Updated: when}
		if err := st.CreateCase(ctx, cs, &credit.CaseEvent{Action: "file", State: "submitted", Actor: "t", Role: credit.RoleReviewer, At: when, Due: cs.Due}); err != nil {
			tb.Fatal(err)
		}
		cs.State, cs.Open, cs.Due, cs.Updated = "dismissed", false, time.Time{}, when2
		if err := st.AdvanceCase(ctx, cs, &credit.CaseEvent{Action: "dismiss", State: "dismissed", Actor: "t", Role: credit.RoleReviewer, At: when2}); err != nil {
			tb.Fatal(err)
		}
	}
	return node
}
