package workflow_test

import (
	"testing"
	"time"

	"github.com/xinyong/xinyong/internal/apptest"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/sanction"
	"github.com/xinyong/xinyong/internal/workflow"
)

// TestWithSanction runs an objection and a repair against the real 联合奖惩
// service: while the objection is under verification the hit check returns
// the measures as suspended; a granted repair removes the list entry.
func TestWithSanction(t *testing.T) {
	ctx := t.Context()
	node := apptest.New(t, apptest.Options{Start: time.Date(2026, 3, 2, 2, 0, 0, 0, time.UTC)})
	st, clk := node.Store, node.Clock
	const org = "91350100M000100Y43"
	if err := st.PutSubject(ctx, &credit.Subject{ID: org, Kind: credit.Organisation, Code: org, Name: "福州甲乙科技有限公司"}); err != nil {
		t.Fatal(err)
	}
	rec := credit.Record{ID: credit.NewID(), SubjectID: org, Item: "admin_penalty", Fact: credit.Original, Dept: "SAMR-350100",
		DocNo: "榕市监罚〔2025〕1号", DecidedOn: clk.Now().AddDate(-1, -2, 0), Severity: credit.SeveritySerious, Fields: credit.Fields{"cf_cflb": "吊销许可证", "cf_xdr_lb": "法人及非法人组织"}, Kind: credit.Organisation}
	if err := st.AppendRecords(ctx, []credit.Record{rec}); err != nil {
		t.Fatal(err)
	}
	svc := node.Sanction
	samr := sanction.Actor{Name: "samr", Role: credit.RoleDept, Dept: "SAMR-350100"}
	e, err := svc.Propose(ctx, samr, sanction.Proposal{List: "samr_serious_illegal", SubjectID: org, BasisRecords: []string{rec.ID},
		Grounds: "提供虚假材料取得许可", Persons: []sanction.PersonInput{{Role: "法定代表人", Name: "张三", IDNo: "11010519491231002X"}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Notice(ctx, samr, e.ID, sanction.NoticeInput{DocNo: "榕市监告〔2026〕1号"}); err != nil {
		t.Fatal(err)
	}
	clk.Advance(15 * 24 * time.Hour)
	if _, err := svc.Decide(ctx, samr, e.ID, sanction.DecisionInput{DocNo: "榕市监严〔2026〕1号"}); err != nil {
		t.Fatal(err)
	}
	procure := sanction.Caller{Name: "procurement", Dept: "FIN-350100", Matters: []string{"gov_procurement"}}
	check := func() sanction.Result {
		t.Helper()
		r, err := svc.Check(ctx, procure, sanction.Request{Matter: "gov_procurement", Subjects: []sanction.Query{{Code: org}}})
		if err != nil {
			t.Fatal(err)
		}
		return r.Results[0]
	}
	if r := check(); len(r.Measures) == 0 || len(r.Suspended) != 0 {
		t.Fatalf("listed: %+v", r)
	}

	wf := node.Workflow
	subj := workflow.Actor{Name: "甲乙", Role: credit.RoleSubject, Subject: org}
	unit := workflow.Actor{Name: "samr-officer", Role: credit.RoleDept, Dept: "SAMR-350100"}
	c, _, err := wf.FileObjection(ctx, subj, workflow.Objection{SubjectID: org, RecordID: rec.ID, Reasons: "处罚已被复议撤销"})
	if err != nil {
		t.Fatal(err)
	}
	if err := wf.AcceptObjection(ctx, unit, c.ID); err != nil {
		t.Fatal(err)
	}
	if r := check(); len(r.Measures) != 0 || len(r.Suspended) == 0 {
		t.Fatalf("hit check during verification: %+v", r)
	}
	if err := wf.DismissObjection(ctx, unit, c.ID, "复议维持原决定"); err != nil {
		t.Fatal(err)
	}
	if r := check(); len(r.Measures) == 0 || len(r.Suspended) != 0 {
		t.Fatalf("hit check after dismissal: %+v", r)
	}

	// Repair: refused while the list's own 12-month minimum runs, granted
	// after it; the entry is removed and no measure is returned.
	clk.Advance(30 * 24 * time.Hour)
	el, err := wf.Eligibility(ctx, org, rec.ID)
	if err != nil {
		t.Fatal(err)
	}
	if el.Eligible || el.Reasons[0].Code != "list_min_period" || el.From.Format(time.DateOnly) != "2027-03-17" {
		t.Fatalf("eligibility while the list's minimum runs: %+v", el)
	}
	saysChinese(t, "the list's minimum", el.Reasons)
	// Had it been filed (the list rule is checked again at the decision),
	// the decision is refused and nothing is marked.
	if _, _, err := wf.FileRepair(ctx, subj, workflow.Repair{SubjectID: org, RecordID: rec.ID, Statement: "已整改", ObligationsMet: true, CommitmentAccepted: true}); credit.KindOf(err) != credit.Invalid {
		t.Fatalf("early repair filed: %v", err)
	}
	clk.Set(time.Date(2027, 3, 22, 2, 0, 0, 0, time.UTC))
	rc, _, err := wf.FileRepair(ctx, subj, workflow.Repair{SubjectID: org, RecordID: rec.ID, Statement: "已整改", ObligationsMet: true, CommitmentAccepted: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := wf.AcceptRepair(ctx, unit, rc.ID); err != nil {
		t.Fatal(err)
	}
	if err := wf.ApproveRepair(ctx, unit, rc.ID, "准予修复"); err != nil {
		t.Fatal(err)
	}
	if r := check(); r.Listed || len(r.Measures) != 0 {
		t.Fatalf("hit check after repair: %+v", r)
	}
	got, _ := svc.Entry(ctx, e.ID)
	if got.State != credit.StepRemoved {
		t.Errorf("entry after repair: %s", got.State)
	}
}
