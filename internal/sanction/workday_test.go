package sanction_test

import (
	"strings"
	"testing"
	"time"

	"github.com/xinyong/xinyong/internal/chinatime"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/sanction"
)

// TestNoticeDeadline: the objection period of a notice counts working
// days on the one calendar (国庆 skipped, the 调休 Saturday counted) and
// ends at 24:00 China time of its last day: a decision during that day is
// refused, one at midnight is not. A period into a year the calendar lacks
// is refused, naming the year; one counted on provisional data says so.
func TestNoticeDeadline(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	f.clk.t = time.Date(2026, 9, 30, 15, 0, 0, 0, chinatime.Location)
	e, err := f.svc.Propose(ctx, samrDept, sanction.Proposal{List: "samr_serious_illegal", SubjectID: orgA,
		BasisRecords: []string{f.recs["serious"]}, Grounds: "提供虚假材料取得许可"})
	if err != nil {
		t.Fatal(err)
	}
	n, err := f.svc.Notice(ctx, samrDept, e.ID, sanction.NoticeInput{DocNo: "榕市监告〔2026〕9号"})
	if err != nil {
		t.Fatal(err)
	}
	end := time.Date(2026, 10, 16, 0, 0, 0, 0, chinatime.Location)
	if !n.Detail.ObjectionDeadline.Equal(end) || n.Detail.DeadlineProvisional || !strings.Contains(n.Detail.Rights, "截至2026-10-15") {
		t.Fatalf("notice: deadline %s (provisional %v), rights %q; want the end of 2026-10-15",
			n.Detail.ObjectionDeadline.In(chinatime.Location), n.Detail.DeadlineProvisional, n.Detail.Rights)
	}
	f.clk.t = end.Add(-time.Second)
	wantKind(t, "decision on the last promised day", func() error {
		_, err := f.svc.Decide(ctx, samrDept, e.ID, sanction.DecisionInput{DocNo: "榕市监决〔2026〕9号"})
		return err
	}(), credit.Conflict, "2026-10-15")
	f.clk.t = end
	if _, err := f.svc.Decide(ctx, samrDept, e.ID, sanction.DecisionInput{DocNo: "榕市监决〔2026〕9号"}); err != nil {
		t.Fatalf("decision after the period: %v", err)
	}

	// Into the provisional 2027 data, and past it.
	for _, tc := range []struct {
		now         time.Time
		provisional bool
		err         string
	}{
		{time.Date(2026, 12, 28, 9, 0, 0, 0, chinatime.Location), true, ""},
		{time.Date(2027, 12, 28, 9, 0, 0, 0, chinatime.Location), false, "2028"},
	} {
		f.clk.t = tc.now
		p, err := f.svc.Propose(ctx, samrDept, sanction.Proposal{List: "samr_serious_illegal", SubjectID: orgB,
			BasisRecords: []string{f.recs["other"]}, Grounds: "提供虚假材料取得许可"})
		if err != nil {
			t.Fatal(err)
		}
		n, err := f.svc.Notice(ctx, samrDept, p.ID, sanction.NoticeInput{DocNo: "榕市监告〔2026〕10号"})
		if tc.err != "" {
			wantKind(t, "notice into a year without calendar", err, credit.Conflict, tc.err)
			if _, err := f.svc.Remove(ctx, samrDept, p.ID, sanction.RemovalInput{Reason: sanction.RemoveWithdrawn}); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if n.Detail.DeadlineProvisional != tc.provisional || !strings.Contains(n.Detail.Rights, "暂定") {
			t.Fatalf("notice of %s: provisional %v, rights %q", tc.now, n.Detail.DeadlineProvisional, n.Detail.Rights)
		}
		if _, err := f.svc.Remove(ctx, samrDept, p.ID, sanction.RemovalInput{Reason: sanction.RemoveWithdrawn}); err != nil {
			t.Fatal(err)
		}
	}
}
