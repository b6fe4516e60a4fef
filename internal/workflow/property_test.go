package workflow_test

import (
	"fmt"
	"math/rand"
	"strings"
	"testing"
	"time"

	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/workday"
	"github.com/xinyong/xinyong/internal/workflow"
)

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
	f := newFixture(t, at("2027-01-15"))
	var recs []string
	for i := 0; i < 4; i++ {
		r := f.penalty(fmt.Sprintf("榕市监罚〔2026〕%d号", 100+i), []string{"2", "0.5", "150", "3"}[i], "2026-10-08")
		recs = append(recs, r.ID)
	}
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
				fail("case %s is due on %s, a day off (%s)", c.ID, c.Due.In(workday.Location).Format(time.DateOnly), cal.DayName(c.Due))
			}
		}
		evs, err := f.st.CaseEvents(f.ctx, c.ID)
		f.must(err)
		for _, ev := range evs {
			if ev.Due.IsZero() {
				continue
			}
			if ok, err := cal.IsWorkday(ev.Due); !ok || err != nil {
				fail("event %s of case %s has its deadline on %s, a day off", ev.Action, c.ID, ev.Due.In(workday.Location).Format(time.DateOnly))
			}
		}
	}
}
