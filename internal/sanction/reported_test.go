package sanction_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xinyong/xinyong/internal/chinatime"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/records"
	"github.com/xinyong/xinyong/internal/sanction"
)

// courtRecord reports a 失信被执行人 record for orgA as the court.
func (f *fixture) courtRecord(rs *records.Service, n int, decided time.Time, fields credit.Fields) *credit.Record {
	f.t.Helper()
	fs := credit.Fields{
		"sx_bzxr_mc": "福州甲乙科技有限公司", "sx_bzxr_lb": "法人及非法人组织", "sx_shxym": orgA, "sx_fddbr": repName,
		"sx_ah": fmt.Sprintf("（2026）闽01执%d号", n), "sx_zxfy": "福州市中级人民法院", "sx_zxyj": "（2025）闽01民初1号",
		"sx_zxyjdw": "福州市中级人民法院", "sx_yw": "支付货款", "sx_lxqk": "全部未履行", "sx_qx": "违反财产报告制度",
		"sx_fbrq": chinatime.Format(decided),
	}
	for k, v := range fields {
		fs[k] = v
	}
	r, _, err := rs.Append(f.t.Context(), records.Report{Item: "court_defaulter", Dept: "COURT-350100", SubjectID: orgA, Fields: fs})
	if err != nil {
		f.t.Fatal(err)
	}
	return r
}

// TestReportedEntries: a court's 失信被执行人 record is an entry of the
// court's list, in force for the record's window and applied by the hit
// check; a correction that changes the date moves the period, one that
// reports the obligation met ends it, a revocation ends it; the platform
// neither takes proposals for the list nor removes such an entry itself;
// an ended entry does not come back.
func TestReportedEntries(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	rs := &records.Service{Store: f.st, Catalog: f.cat, Sealer: f.sealer, Now: f.clk.now}
	decided := f.clk.now().AddDate(0, -2, 0)
	r := f.courtRecord(rs, 1, decided, nil)
	n, err := f.svc.SyncReported(ctx)
	if err != nil || n != 1 {
		t.Fatalf("SyncReported: %d events, %v; want 1", n, err)
	}
	if err := f.svc.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	e, err := f.svc.Entry(ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	wantUntil := chinatime.Date(decided).AddDate(2, 0, 0) // the item's 24 months, from the publication date
	if e.List != "court_defaulters" || e.State != credit.StepDecided || !e.Detail.Reported || e.DocNo != "（2026）闽01执1号" ||
		!e.Detail.Since.Equal(chinatime.Date(decided)) || !e.Detail.Until.Equal(wantUntil) || e.DecidedDept != "COURT-350100" ||
		e.Detail.Grounds != "违反财产报告制度" || len(e.Detail.Persons) != 1 || e.Detail.Persons[0].Name != repName {
		t.Fatalf("entry: %+v (until %s)", e, e.Detail.Until.In(chinatime.Location))
	}
	hit := func() sanction.Result {
		t.Helper()
		if err := f.svc.Sync(ctx); err != nil {
			t.Fatal(err)
		}
		return f.check(procure, "gov_procurement", sanction.Query{Code: orgA}).Results[0]
	}
	if r := hit(); !r.Listed || !strings.Contains(strings.Join(codes(r.Measures), ","), "restrict_gov_procurement") {
		t.Fatalf("hit check of a court defaulter: %+v", r)
	}
	// Syncing again writes nothing.
	if n, err := f.svc.SyncReported(ctx); n != 0 || err != nil {
		t.Fatalf("second sync: %d, %v", n, err)
	}

	// The platform takes no proposals for the court's list, and leaves
	// its entries to the court.
	_, err = f.svc.Propose(ctx, reviewer, sanction.Proposal{List: "court_defaulters", SubjectID: orgA, BasisRecords: []string{r.ID}, Grounds: "x"})
	wantKind(t, "proposal on a reported list", err, credit.Invalid, "人民法院")
	_, err = f.svc.Remove(ctx, reviewer, e.ID, sanction.RemovalInput{Reason: sanction.RemoveCorrection})
	wantKind(t, "removal of a reported entry", err, credit.Conflict, "revokes or corrects its record")

	// A correction of the publication date moves the period.
	later := decided.AddDate(0, 1, 0)
	c, err := rs.Correct(ctx, r.ID, "COURT-350100", "发布日期录入错误", withField(r.Fields, "sx_fbrq", chinatime.Format(later)))
	if err != nil {
		t.Fatal(err)
	}
	hit()
	if e, _ := f.svc.Entry(ctx, r.ID); !e.Detail.Since.Equal(chinatime.Date(later)) || e.State != credit.StepDecided {
		t.Fatalf("after the correction: since %s, state %s", e.Detail.Since, e.State)
	}
	// The court reports the obligation met: the entry ends.
	if _, err := rs.Correct(ctx, c.ID, "COURT-350100", "已全部履行", withField(c.Fields, "sx_lxqk", "全部履行")); err != nil {
		t.Fatal(err)
	}
	if r := hit(); r.Listed {
		t.Fatalf("still listed after the obligation was reported met: %+v", r)
	}
	if e, _ := f.svc.Entry(ctx, r.ID); e.State != credit.StepRemoved || e.Detail.RemovalReason != sanction.RemoveFulfilled {
		t.Fatalf("entry after fulfilment: %s %s", e.State, e.Detail.RemovalReason)
	}

	// A second record, revoked: its entry ends with the revocation.
	r2 := f.courtRecord(rs, 2, decided, nil)
	if r := hit(); !r.Listed {
		t.Fatal("second defaulter record not listed")
	}
	if _, err := rs.Revoke(ctx, r2.ID, "COURT-350100", "执行依据被撤销"); err != nil {
		t.Fatal(err)
	}
	if r := hit(); r.Listed {
		t.Fatalf("listed after the revocation: %+v", r)
	}
	if e, _ := f.svc.Entry(ctx, r2.ID); e.State != credit.StepRemoved || e.Detail.RemovalReason != sanction.RemoveRevocation {
		t.Fatalf("entry after revocation: %s %s", e.State, e.Detail.RemovalReason)
	}

	// A record whose window has already ended makes no entry.
	old := f.courtRecord(rs, 3, f.clk.now().AddDate(-3, 0, 0), nil)
	hit()
	if _, err := f.svc.Entry(ctx, old.ID); !credit.Is(credit.NotFound, err) {
		t.Fatalf("entry for a record whose period ended: %v", err)
	}
}

func withField(f credit.Fields, k, v string) credit.Fields {
	out := credit.Fields{}
	for a, b := range f {
		out[a] = b
	}
	out[k] = v
	return out
}

// TestReportedBootstrapAndNodes: records written before the follower
// existed are turned into entries by a first sync (no cursor yet), and two
// nodes syncing at once write each entry once.
func TestReportedBootstrapAndNodes(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	rs := &records.Service{Store: f.st, Catalog: f.cat, Sealer: f.sealer, Now: f.clk.now}
	for i := range 5 {
		f.courtRecord(rs, 10+i, f.clk.now().AddDate(0, -1, -i), nil)
	}
	if _, ok, _ := f.st.FeedCursor(ctx, sanction.ReportedCursor); ok {
		t.Fatal("the fixture already has a cursor: the bootstrap is not tested")
	}
	nodes := []*sanction.Service{f.svc, f.service(), f.service()}
	var wg sync.WaitGroup
	errs := make([]error, len(nodes))
	for i, n := range nodes {
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = n.Sync(context.WithoutCancel(ctx)) }()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil && !credit.Is(credit.Exists, err) && !credit.Is(credit.Conflict, err) {
			t.Fatal(err)
		}
	}
	for _, n := range nodes {
		if err := n.Sync(ctx); err != nil {
			t.Fatal(err)
		}
	}
	es, total, err := f.svc.Entries(ctx, "court_defaulters", 0, 100)
	if err != nil || total != 5 {
		t.Fatalf("entries after three nodes synced: %d, %v", total, err)
	}
	for _, e := range es {
		evs, _ := f.st.EntryEvents(ctx, e.ID)
		if len(evs) != 1 {
			t.Errorf("entry %s has %d events, want its one decision", e.ID, len(evs))
		}
	}
	for _, n := range nodes {
		if c := n.ListedCounts(f.clk.now())["court_defaulters"]; c != 5 {
			t.Errorf("a node counts %d court defaulters, want 5", c)
		}
	}
}

// racingStore is a store where another node appends the first event of
// the first batch of list events just before the batch: the batch is
// refused whole.
type racingStore struct {
	credit.Store
	raced bool
}

func (r *racingStore) AppendListEvents(ctx context.Context, es []*credit.ListEvent, prevs []int64) error {
	if !r.raced && len(es) > 1 {
		r.raced = true
		other := *es[0]
		other.ID = credit.NewID()
		if err := r.Store.AppendListEvent(ctx, &other, prevs[0]); err != nil {
			return err
		}
	}
	return r.Store.AppendListEvents(ctx, es, prevs)
}

// TestReportedBatchRaced: the follower writes a chunk's entries in one
// batch; when another node wrote one of them meanwhile, the batch is
// refused whole and the follower writes the rest one by one, so that each
// entry is made once and none is lost.
func TestReportedBatchRaced(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	rs := &records.Service{Store: f.st, Catalog: f.cat, Sealer: f.sealer, Now: f.clk.now}
	for i := range 4 {
		f.courtRecord(rs, 20+i, f.clk.now().AddDate(0, -1, -i), nil)
	}
	st := &racingStore{Store: f.st}
	svc, err := sanction.New(ctx, sanction.Config{Store: st, Catalog: f.cat, Sealer: f.sealer, Now: f.clk.now})
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close(context.Background())
	n, err := svc.SyncReported(ctx)
	if err != nil || !st.raced {
		t.Fatalf("SyncReported: %d, %v (raced %v)", n, err, st.raced)
	}
	if n != 3 {
		t.Errorf("the follower wrote %d events, want the 3 the other node had not", n)
	}
	es, total, err := svc.Entries(ctx, "court_defaulters", 0, 100)
	if err != nil || total != 4 {
		t.Fatalf("entries: %d, %v; want 4", total, err)
	}
	for _, e := range es {
		if evs, _ := f.st.EntryEvents(ctx, e.ID); len(evs) != 1 {
			t.Errorf("entry %s has %d events, want one", e.ID, len(evs))
		}
	}
}
