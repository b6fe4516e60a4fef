package workflow_test

import (
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/records"
	"github.com/xinyong/xinyong/internal/uscc"
	"github.com/xinyong/xinyong/internal/workflow"
)

// refusedByDispatcher reports whether Act itself refused err (an unknown
// step, or an applicant's rule), rather than the step it dispatched to.
func refusedByDispatcher(err error) bool {
	var ce *credit.Error
	return errors.As(err, &ce) && ce.Op == "workflow.Act"
}

// caseIn builds, on the fixture, a case of the kind and in the state a
// step starts from; n keeps the records (and subjects) of cases apart.
type caseIn func(f *fixture, n int) string

func objectionIn(states ...string) caseIn {
	return func(f *fixture, n int) string {
		r := f.penalty(fmt.Sprintf("榕市监罚〔2026〕o%d号", n), "2", "2026-10-08")
		c, _, err := f.wf.FileObjection(f.ctx, f.subjA, workflow.Objection{SubjectID: f.subj.ID, RecordID: r.ID, Reasons: "金额有误"})
		f.must(err)
		for _, st := range states {
			switch st {
			case workflow.StateVerifying:
				f.must(f.wf.AcceptObjection(f.ctx, f.unit, c.ID))
			default:
				f.t.Fatalf("objectionIn: no way to %s", st)
			}
		}
		return c.ID
	}
}

// submittedObjection is an objection to a list entry whose deciding unit
// the applicant did not name: it waits for the credit office to route it.
func submittedObjection(f *fixture, n int) string {
	c, _, err := f.wf.FileObjection(f.ctx, f.subjA, workflow.Objection{SubjectID: f.subj.ID, EntryID: fmt.Sprintf("entry-%d", n), Reasons: "不应列入"})
	f.must(err)
	if c.State != workflow.StateSubmitted {
		f.t.Fatalf("entry objection without a unit is %s", c.State)
	}
	return c.ID
}

func repairIn(states ...string) caseIn {
	return func(f *fixture, n int) string {
		r := f.penalty(fmt.Sprintf("榕市监罚〔2026〕r%d号", n), "20", "2026-10-08")
		c, _, err := f.wf.FileRepair(f.ctx, f.subjA, workflow.Repair{SubjectID: f.subj.ID, RecordID: r.ID, Statement: "已缴纳罚款并整改",
			ObligationsMet: true, CommitmentAccepted: true})
		f.must(err)
		for _, st := range states {
			switch st {
			case workflow.StateAwaiting:
				f.must(f.wf.RequestMaterials(f.ctx, f.unit, c.ID, []string{"缴款凭证"}))
			case workflow.StateReviewing:
				f.must(f.wf.AcceptRepair(f.ctx, f.unit, c.ID))
			case workflow.StateRepaired:
				f.must(f.wf.ApproveRepair(f.ctx, f.unit, c.ID, "准予修复"))
			default:
				f.t.Fatalf("repairIn: no way to %s", st)
			}
		}
		return c.ID
	}
}

func bankruptcyIn(states ...string) caseIn {
	return func(f *fixture, n int) string {
		code := uscc.NewGenerator(int64(100+n)).USCC('9', '1', "350100")
		subj, err := f.rec.PutOrganisation(f.ctx, records.Organisation{Code: code, Name: fmt.Sprintf("重整企业%d", n)})
		f.must(err)
		c, err := f.wf.FileBankruptcy(f.ctx, f.staff, subj.ID, "(2027)闽01破1号", "重整计划已获批准")
		f.must(err)
		for _, st := range states {
			switch st {
			case workflow.StateMasked:
				f.must(f.wf.Mask(f.ctx, f.staff, c.ID))
			default:
				f.t.Fatalf("bankruptcyIn: no way to %s", st)
			}
		}
		return c.ID
	}
}

// TestActDispatchesEveryStep: every step either front door offers (the
// API's action names, the console's buttons; both are workflow.Actions)
// reaches the step it names through Act, from a case where it applies, and
// lands the case in the step's state with the step's event. A name Act
// does not know is refused as Invalid and changes nothing.
func TestActDispatchesEveryStep(t *testing.T) {
	f := newFixture(t, at("2027-10-11")) // a fine of 2026-10-08 may be repaired from 2027-10-08
	// Whoever holds a case's tracking code acts as the applicant.
	holder := workflow.Actor{Name: "tracking", Role: credit.RolePublic}
	steps := []struct {
		what      string
		from      caseIn
		actor     func(*fixture) workflow.Actor
		in        workflow.Action
		state     string
		event     string
		outcome   string // the event's data["outcome"], when the step says one
		failedEnd bool
	}{
		{what: "route an objection without a unit", from: submittedObjection, actor: staffOf,
			in: workflow.Action{Name: "route", Unit: unitDept}, state: workflow.StateRouted, event: "route"},
		{what: "accept an objection", from: objectionIn(), actor: unitOf,
			in: workflow.Action{Name: "accept"}, state: workflow.StateVerifying, event: "accept"},
		{what: "accept a repair", from: repairIn(), actor: unitOf,
			in: workflow.Action{Name: "accept"}, state: workflow.StateReviewing, event: "accept"},
		{what: "refuse an objection", from: objectionIn(), actor: unitOf,
			in: workflow.Action{Name: "refuse", Reason: "非本单位认定"}, state: workflow.StateRefused, event: "refuse"},
		{what: "refuse a repair under review", from: repairIn(workflow.StateReviewing), actor: unitOf,
			in: workflow.Action{Name: "refuse", Reason: "整改未完成"}, state: workflow.StateRefused, event: "refuse"},
		{what: "extend a verification", from: objectionIn(workflow.StateVerifying), actor: unitOf,
			in: workflow.Action{Name: "extend", Reason: "需调取卷宗"}, state: workflow.StateVerifying, event: "extend"},
		{what: "uphold with a correction", from: objectionIn(workflow.StateVerifying), actor: unitOf,
			in:    workflow.Action{Name: "uphold", Fields: credit.Fields{"cf_nr_fk": "0.2"}, Reason: "金额录入错误"},
			state: workflow.StateUpheld, event: "uphold", outcome: "corrected"},
		{what: "uphold with revoke", from: objectionIn(workflow.StateVerifying), actor: unitOf,
			in:    workflow.Action{Name: "uphold", Revoke: true, Reason: "不应公示"},
			state: workflow.StateUpheld, event: "uphold", outcome: "revoked"},
		{what: "revoke", from: objectionIn(workflow.StateVerifying), actor: unitOf,
			in:    workflow.Action{Name: "revoke", Reason: "不应公示"},
			state: workflow.StateUpheld, event: "uphold", outcome: "revoked"},
		{what: "dismiss", from: objectionIn(workflow.StateVerifying), actor: unitOf,
			in: workflow.Action{Name: "dismiss", Reason: "信息准确"}, state: workflow.StateDismissed, event: "dismiss"},
		{what: "request materials", from: repairIn(), actor: unitOf,
			in: workflow.Action{Name: "request_materials", Missing: []string{"缴款凭证", "整改报告"}}, state: workflow.StateAwaiting, event: "request_materials"},
		{what: "the subject supplements its own case", from: repairIn(workflow.StateAwaiting), actor: subjectOf,
			in: workflow.Action{Name: "supplement", Reason: "已补交"}, state: workflow.StateRouted, event: "supplement"},
		{what: "a tracking-code holder supplements", from: repairIn(workflow.StateAwaiting), actor: func(*fixture) workflow.Actor { return holder },
			in: workflow.Action{Name: "supplement", Reason: "已补交"}, state: workflow.StateRouted, event: "supplement"},
		{what: "approve", from: repairIn(workflow.StateReviewing), actor: unitOf,
			in: workflow.Action{Name: "approve", Reason: "准予修复"}, state: workflow.StateRepaired, event: "approve"},
		{what: "false commitment after a repair", from: repairIn(workflow.StateReviewing, workflow.StateRepaired), actor: unitOf,
			in: workflow.Action{Name: "false_commitment", DocNo: "榕市监认〔2027〕1号", Reason: "整改报告系伪造"}, state: workflow.StateRevoked, event: "false_commitment"},
		{what: "mask", from: bankruptcyIn(), actor: staffOf,
			in: workflow.Action{Name: "mask"}, state: workflow.StateMasked, event: "mask"},
		{what: "end, failed", from: bankruptcyIn(workflow.StateMasked), actor: staffOf,
			in: workflow.Action{Name: "end", Failed: true, Reason: "重整计划执行失败"}, state: workflow.StateRestored, event: "end"},
		{what: "end, carried out", from: bankruptcyIn(workflow.StateMasked), actor: staffOf,
			in: workflow.Action{Name: "end", Reason: "重整计划执行完毕"}, state: workflow.StateCompleted, event: "end"},
		{what: "end_failed", from: bankruptcyIn(), actor: staffOf,
			in: workflow.Action{Name: "end_failed", Reason: "重整计划执行失败"}, state: workflow.StateRestored, event: "end"},
		{what: "end_completed (failed is the name's to say)", from: bankruptcyIn(workflow.StateMasked), actor: staffOf,
			in: workflow.Action{Name: "end_completed", Failed: true, Reason: "重整计划执行完毕"}, state: workflow.StateCompleted, event: "end"},
	}
	covered := map[string]bool{}
	for n, st := range steps {
		t.Run(st.what, func(t *testing.T) {
			f.t = t
			id := st.from(f, n)
			if err := f.wf.Act(f.ctx, st.actor(f), id, st.in); err != nil {
				t.Fatalf("Act(%+v): %v", st.in, err)
			}
			c, err := f.wf.Case(f.ctx, id)
			f.must(err)
			evs, err := f.wf.Events(f.ctx, id)
			f.must(err)
			last := evs[len(evs)-1]
			if c.State != st.state || last.Action != st.event || last.State != st.state || last.Data["outcome"] != st.outcome {
				t.Errorf("after %s: case %s, last event %s/%s outcome %q; want %s, %s/%s outcome %q",
					st.in.Name, c.State, last.Action, last.State, last.Data["outcome"], st.state, st.event, st.state, st.outcome)
			}
		})
		covered[st.in.Name] = true
	}
	f.t = t
	for _, name := range workflow.Actions() {
		if !covered[name] {
			t.Errorf("step %q has no row here: add one that takes it through Act", name)
		}
	}

	// Every known name reaches a step: whatever the step then says (wrong
	// state, a reason missing), Act itself never refuses it.
	for n, name := range workflow.Actions() {
		id := objectionIn()(f, 100+n)
		if err := f.wf.Act(f.ctx, f.staff, id, workflow.Action{Name: name}); refusedByDispatcher(err) {
			t.Errorf("%s: refused by the dispatcher: %v", name, err)
		}
	}

	// A name Act does not know is refused as Invalid, in both languages,
	// and the case does not move.
	id := objectionIn()(f, 200)
	for _, name := range []string{"", "bogus", "Accept", " accept", "end-failed", "withdraw", "escalate", "file", "end_"} {
		err := f.wf.Act(f.ctx, f.staff, id, workflow.Action{Name: name, Reason: "x"})
		if !credit.Is(credit.Invalid, err) || !refusedByDispatcher(err) || credit.Chinese(err) == "" {
			t.Errorf("unknown action %q: %v", name, err)
		}
	}
	if evs, _ := f.wf.Events(f.ctx, id); len(evs) != 2 { // file, route
		t.Errorf("unknown actions moved the case: %d events", len(evs))
	}
}

func staffOf(f *fixture) workflow.Actor   { return f.staff }
func unitOf(f *fixture) workflow.Actor    { return f.unit }
func subjectOf(f *fixture) workflow.Actor { return f.subjA }

// TestActApplicantRules: an applicant (a subject account, or whoever holds
// the tracking code) may only supplement, and a subject account only on
// its own case.
func TestActApplicantRules(t *testing.T) {
	f := newFixture(t, at("2027-10-11"))
	awaiting := repairIn(workflow.StateAwaiting)(f, 1)
	routed := objectionIn()(f, 2)
	other := workflow.Actor{Name: "other", Role: credit.RoleSubject, Subject: "91350100M000100Y43"}
	holder := workflow.Actor{Name: "tracking", Role: credit.RolePublic}
	for _, c := range []struct {
		what  string
		actor workflow.Actor
		id    string
		name  string
		kind  credit.Kind
	}{
		{"the subject accepts its own objection", f.subjA, routed, "accept", credit.Permission},
		{"the subject approves its own repair", f.subjA, awaiting, "approve", credit.Permission},
		{"the subject names an unknown step", f.subjA, routed, "bogus", credit.Permission},
		{"a tracking-code holder refuses", holder, awaiting, "refuse", credit.Permission},
		{"another subject supplements", other, awaiting, "supplement", credit.NotFound},
		{"a step on no case", f.staff, "no-such-case", "accept", credit.NotFound},
	} {
		err := f.wf.Act(f.ctx, c.actor, c.id, workflow.Action{Name: c.name, Reason: "x"})
		if !credit.Is(c.kind, err) {
			t.Errorf("%s: %v, want %s", c.what, err, c.kind)
		}
	}
	for _, id := range []string{awaiting, routed} {
		c, err := f.wf.Case(f.ctx, id)
		f.must(err)
		if c.State != workflow.StateAwaiting && c.State != workflow.StateRouted {
			t.Errorf("refused steps moved case %s to %s", id, c.State)
		}
	}
}

// TestOfferedStepsAreActions: every button the console offers, for any
// case, state and role, is a step Act takes.
func TestOfferedStepsAreActions(t *testing.T) {
	known := workflow.Actions()
	for kind := range workflow.KindNames {
		for state := range workflow.StateNames {
			for _, role := range credit.Roles {
				for _, name := range workflow.Offered(&credit.Case{Kind: kind, State: state}, role) {
					if !slices.Contains(known, name) {
						t.Errorf("%s %s, %s: the console offers %q, which Act does not take", kind, state, role, name)
					}
				}
			}
		}
	}
}
