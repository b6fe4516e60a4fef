package workflow_test

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand"
	"strings"
	"testing"
	"time"

	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/chinatime"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/sanction"
	"github.com/xinyong/xinyong/internal/workflow"
)

// multiGate tells both the stand-in and the real sanction service.
type multiGate struct {
	a *sanctionStandIn
	b workflow.SanctionGate
}

func (m multiGate) MarkUnderVerification(ctx context.Context, t workflow.Target, actor, reason, ref string) error {
	m.a.MarkUnderVerification(ctx, t, actor, reason, ref)
	return m.b.MarkUnderVerification(ctx, t, actor, reason, ref)
}
func (m multiGate) ClearVerification(ctx context.Context, t workflow.Target, actor, reason, ref string) error {
	m.a.ClearVerification(ctx, t, actor, reason, ref)
	return m.b.ClearVerification(ctx, t, actor, reason, ref)
}
func (m multiGate) RemoveForRepair(ctx context.Context, s, r, actor, ref string) error {
	if err := m.b.RemoveForRepair(ctx, s, r, actor, ref); err != nil {
		return err
	}
	return m.a.RemoveForRepair(ctx, s, r, actor, ref)
}
func (m multiGate) RestoreAfterRepair(ctx context.Context, s, r, actor, ref string) error {
	m.a.RestoreAfterRepair(ctx, s, r, actor, ref)
	return m.b.RestoreAfterRepair(ctx, s, r, actor, ref)
}
func (m multiGate) Mask(ctx context.Context, s, actor, ref string) error {
	m.a.Mask(ctx, s, actor, ref)
	return m.b.Mask(ctx, s, actor, ref)
}
func (m multiGate) Unmask(ctx context.Context, s, actor, ref string) error {
	m.a.Unmask(ctx, s, actor, ref)
	return m.b.Unmask(ctx, s, actor, ref)
}
func (m multiGate) RepairLimits(ctx context.Context, s, r string, now time.Time) ([]workflow.Reason, time.Time, error) {
	return m.b.RepairLimits(ctx, s, r, now)
}

// listOnSerious lists the fixture's subject on the market-regulation
// serious list on the record, with the real sanction service, and rebuilds
// the fixture's workflow to tell both it and the stand-in.
func listOnSerious(t *testing.T, f *fixture, recordID string) *sanction.Service {
	t.Helper()
	cat, _ := catalog.Default()
	svc, err := sanction.New(f.ctx, sanction.Config{Store: f.st, Catalog: cat, Now: f.clock.Now, Logger: slog.New(slog.DiscardHandler)})
	f.must(err)
	t.Cleanup(func() { svc.Close(context.Background()) })
	samr := sanction.Actor{Name: "samr", Role: credit.RoleDept, Dept: unitDept}
	e, err := svc.Propose(f.ctx, samr, sanction.Proposal{List: "samr_serious_illegal", SubjectID: f.subj.ID, BasisRecords: []string{recordID}, Grounds: "严重违法"})
	f.must(err)
	_, err = svc.Notice(f.ctx, samr, e.ID, sanction.NoticeInput{DocNo: "榕市监告〔2026〕9号"})
	f.must(err)
	f.clock.Set(at("2027-01-12"))
	_, err = svc.Decide(f.ctx, samr, e.ID, sanction.DecisionInput{DocNo: "榕市监严〔2027〕1号"})
	f.must(err)
	f.sanc.mu.Lock()
	f.sanc.entries = map[string]string{recordID: e.ID} // the stand-in models the same single entry
	f.sanc.mu.Unlock()
	gate := multiGate{a: f.sanc, b: workflow.SanctionGate{S: svc}}
	wf, err := workflow.New(workflow.Config{Store: f.st, Records: f.rec, Catalog: cat, Now: f.clock.Now, Suspender: gate, Lists: gate, Logger: slog.New(slog.DiscardHandler)})
	f.must(err)
	f.wf = wf
	return svc
}

// checkRealHitCheck asserts on the real hit check: no measure is returned
// while the record is under verification, repaired or masked.
func checkRealHitCheck(t *testing.T, f *fixture, svc *sanction.Service, recordID string, log []string) {
	t.Helper()
	marks, masked, err := f.wf.SubjectMarks(f.ctx, f.subj.ID)
	f.must(err)
	m := marks[recordID]
	if !(m.UnderObjection || m.Repaired || masked) {
		return
	}
	caller := sanction.Caller{Name: "procurement", Dept: "FIN-350100", Matters: []string{"gov_procurement"}}
	r, err := svc.Check(f.ctx, caller, sanction.Request{Matter: "gov_procurement", Subjects: []sanction.Query{{Code: f.subj.Code}}})
	f.must(err)
	if res := r.Results[0]; len(res.Measures) != 0 {
		t.Fatalf("real hit check returns %d measures for a record under verification/repaired/masked (marks %+v, masked %v)\nhistory:\n%s",
			len(res.Measures), m, masked, strings.Join(log, "\n"))
	}
}

// TestProperties runs random sequences of actions and clock moves and
// checks after every step that:
//   - a repaired (or masked) record is never published, and the list entry
//     based on it returns no measure;
//   - a record under verification returns no measure from the hit check;
//   - no deadline of any case or event falls on a day off.
//
// It also checks the marks against a model kept by the test from the
// actions that succeeded, so a mark that the service forgot to set fails.
func TestProperties(t *testing.T) {
	seeds := []int64{1, 2, 3, 20260401, 987654321}
	steps := 250
	if testing.Short() {
		seeds, steps = seeds[:2], 80
	}
	for _, seed := range seeds {
		t.Run(fmt.Sprint(seed), func(t *testing.T) { runProperty(t, seed, steps) })
	}
}

func runProperty(t *testing.T, seed int64, steps int) {
	rng := rand.New(rand.NewSource(seed))
	f := newFixture(t, at("2026-12-21"))
	var recs []string
	for i := 0; i < 4; i++ {
		r := f.penalty(fmt.Sprintf("榕市监罚〔2026〕%d号", 100+i), []string{"2", "0.5", "150", "3"}[i], "2026-10-08")
		recs = append(recs, r.ID)
	}
	// The serious record (150万元) grounds a real listing; the real hit
	// check is asserted next to the stand-in's.
	real := listOnSerious(t, f, recs[2])
	f.clock.Set(at("2027-01-15"))
	end := at("2027-11-20") // stay within the calendar's years
	actors := []workflow.Actor{f.unit, f.staff, f.subjA}
	var log []string
	done := map[string]int{}
	defer func() { t.Logf("successful actions: %v", done) }()

	pick := func(states ...string) *credit.Case {
		cs, err := f.st.Cases(f.ctx, credit.CaseFilter{SubjectID: f.subj.ID})
		f.must(err)
		var cand []credit.Case
		for _, c := range cs {
			for _, s := range states {
				if c.State == s {
					cand = append(cand, c)
				}
			}
		}
		if len(cand) == 0 {
			return nil
		}
		c := cand[rng.Intn(len(cand))]
		return &c
	}
	for step := 0; step < steps; step++ {
		a := actors[rng.Intn(len(actors))]
		rec := recs[rng.Intn(len(recs))]
		var act string
		var err error
		switch rng.Intn(16) {
		case 0, 1:
			act = "object"
			_, _, err = f.wf.FileObjection(f.ctx, f.subjA, workflow.Objection{SubjectID: f.subj.ID, RecordID: rec, Reasons: "有误"})
		case 2:
			if c := pick(workflow.StateRouted); c != nil && c.Kind == credit.CaseObjection {
				act = "accept-objection"
				err = f.wf.AcceptObjection(f.ctx, a, c.ID)
			}
		case 3:
			if c := pick(workflow.StateVerifying); c != nil {
				act = "uphold"
				d := workflow.Decision{Reason: "核实有误", Revoke: rng.Intn(3) == 0}
				if !d.Revoke {
					d.Fields = credit.Fields{"cf_nr_fk": []string{"0.5", "2", "200"}[rng.Intn(3)]}
				}
				err = f.wf.UpholdObjection(f.ctx, a, c.ID, d)
			}
		case 4:
			if c := pick(workflow.StateVerifying, workflow.StateRouted); c != nil && c.Kind == credit.CaseObjection {
				act = "dismiss/refuse"
				if c.State == workflow.StateVerifying {
					err = f.wf.DismissObjection(f.ctx, a, c.ID, "信息准确")
				} else {
					err = f.wf.RefuseObjection(f.ctx, a, c.ID, "不予受理")
				}
			}
		case 5, 6:
			act = "repair"
			_, _, err = f.wf.FileRepair(f.ctx, f.subjA, workflow.Repair{SubjectID: f.subj.ID, RecordID: rec, Statement: "已整改",
				ObligationsMet: true, CommitmentAccepted: rng.Intn(5) > 0})
		case 7:
			if c := pick(workflow.StateRouted); c != nil && c.Kind == credit.CaseRepair {
				switch rng.Intn(3) {
				case 0:
					act = "request-materials"
					err = f.wf.RequestMaterials(f.ctx, a, c.ID, []string{"缴款凭证"})
				case 1:
					act = "accept-repair"
					err = f.wf.AcceptRepair(f.ctx, a, c.ID)
				default:
					act = "refuse-repair"
					err = f.wf.RefuseRepair(f.ctx, a, c.ID, "材料不符")
				}
			}
		case 8:
			if c := pick(workflow.StateAwaiting); c != nil {
				act = "supplement"
				err = f.wf.Supplement(f.ctx, f.subjA, c.ID, "补交")
			}
		case 9:
			if c := pick(workflow.StateReviewing); c != nil {
				act = "approve"
				err = f.wf.ApproveRepair(f.ctx, a, c.ID, "准予")
			}
		case 10:
			if c := pick(workflow.StateReviewing, workflow.StateVerifying); c != nil {
				act = "extend"
				err = f.wf.Extend(f.ctx, a, c.ID, "复杂")
			}
		case 11:
			if c := pick(workflow.StateRepaired); c != nil && rng.Intn(3) == 0 {
				act = "false-commitment"
				_, err = f.wf.FalseCommitment(f.ctx, a, c.ID, fmt.Sprintf("认〔2027〕%d号", step), "虚假")
			}
		case 12:
			if rng.Intn(4) == 0 {
				if c := pick(workflow.StateMasking, workflow.StateMasked); c == nil {
					act = "bankruptcy"
					_, err = f.wf.FileBankruptcy(f.ctx, f.staff, f.subj.ID, "(2027)闽01破1号", "")
				} else if c.State == workflow.StateMasking {
					act = "mask"
					err = f.wf.Mask(f.ctx, f.staff, c.ID)
				} else {
					act = "end-bankruptcy"
					err = f.wf.EndBankruptcy(f.ctx, f.staff, c.ID, rng.Intn(2) == 0, "法院裁定")
				}
			}
		case 13:
			act = "sweep"
			_, err = f.wf.Sweep(f.ctx)
		default:
			if f.clock.Now().Before(end) {
				act = "clock"
				f.clock.Move(time.Duration(rng.Int63n(int64(9 * 24 * time.Hour))))
			}
		}
		if act == "" {
			continue
		}
		// Refusals of the rules (wrong unit, wrong state, ineligible) are
		// expected; anything else is a bug.
		if err != nil {
			switch credit.KindOf(err) {
			case credit.Invalid, credit.Conflict, credit.Permission:
			default:
				t.Fatalf("seed step %d %s: unexpected error %v\n%s", step, act, err, strings.Join(log, "\n"))
			}
		}
		log = append(log, fmt.Sprintf("%d %s %s err=%v", step, act, f.clock.Now().Format(time.DateTime), err))
		if err == nil {
			done[act]++
		}
		checkInvariants(t, f, recs, log)
		checkRealHitCheck(t, f, real, recs[2], log)
	}
}

func checkInvariants(t *testing.T, f *fixture, recs []string, log []string) {
	t.Helper()
	fail := func(format string, args ...any) {
		t.Helper()
		t.Fatalf(format+"\nhistory:\n%s", append(args, strings.Join(log, "\n"))...)
	}
	marks, masked, err := f.wf.SubjectMarks(f.ctx, f.subj.ID)
	f.must(err)
	active := f.sanc.activeMeasures(f.subj.ID)
	cases, err := f.st.Cases(f.ctx, credit.CaseFilter{SubjectID: f.subj.ID})
	f.must(err)
	// Model: what the case states say, independently of Marks.
	verifying, repaired := map[string]bool{}, map[string]bool{}
	for _, c := range cases {
		if c.Kind == credit.CaseObjection && c.State == workflow.StateVerifying {
			verifying[c.RecordID] = true
		}
		if c.Kind == credit.CaseRepair && c.State == workflow.StateRepaired {
			repaired[c.RecordID] = true
		}
	}
	for _, id := range recs {
		m := marks[id]
		if repaired[id] && (!m.Repaired || m.Published()) {
			fail("record %s is repaired but published (marks %+v)", id, m)
		}
		if (repaired[id] || masked) && active[id] {
			fail("record %s is repaired or masked but its measure is active", id)
		}
		if verifying[id] && (!m.UnderObjection || active[id]) {
			fail("record %s is under verification but its measure is active (marks %+v)", id, m)
		}
		if m.Suspended() && active[id] {
			fail("record %s: marks say suspended (%+v) but the hit check returns its measure", id, m)
		}
	}
	cal := f.wf.Calendar()
	for _, c := range cases {
		if !c.Due.IsZero() {
			if ok, err := cal.IsWorkday(c.Due); !ok || err != nil {
				fail("case %s is due on %s, a day off (%s)", c.ID, c.Due.In(chinatime.Location).Format(time.DateOnly), cal.DayName(c.Due))
			}
		}
		evs, err := f.st.CaseEvents(f.ctx, c.ID)
		f.must(err)
		for _, ev := range evs {
			if ev.Due.IsZero() {
				continue
			}
			if ok, err := cal.IsWorkday(ev.Due); !ok || err != nil {
				fail("event %s of case %s has its deadline on %s, a day off", ev.Action, c.ID, ev.Due.In(chinatime.Location).Format(time.DateOnly))
			}
		}
	}
}
