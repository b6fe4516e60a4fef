package workflow

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/xinyong/xinyong/internal/chinatime"
	"github.com/xinyong/xinyong/internal/credit"
)

// Objection is an objection as filed.
type Objection struct {
	SubjectID string
	RecordID  string // any fact of the record chain objected to
	EntryID   string // or a list entry
	Unit      string // deciding unit of a list entry (records: the reporting department)
	Applicant Applicant
	Reasons   string
}

// FileObjection files an objection and routes it to the deciding unit. It
// returns the case and its 查询码, shown to the applicant once.
func (s *Service) FileObjection(ctx context.Context, a Actor, in Objection) (*credit.Case, string, error) {
	const op = "workflow.FileObjection"
	if err := mayFile(op, in.SubjectID, a, in.Applicant); err != nil {
		return nil, "", err
	}
	if strings.TrimSpace(in.Reasons) == "" {
		return nil, "", credit.Say(op, credit.Invalid, "请填写异议理由", "state the reasons for the objection")
	}
	c := &credit.Case{Kind: credit.CaseObjection, SubjectID: in.SubjectID, State: StateSubmitted}
	switch {
	case in.RecordID != "":
		st, err := s.chain(ctx, op, in.SubjectID, in.RecordID)
		if err != nil {
			return nil, "", err
		}
		if st.Revoked {
			return nil, "", credit.Say(op, credit.Conflict, "该信息（%s）已被撤销，无需提出异议", "record %s was revoked: there is nothing to object to", in.RecordID)
		}
		c.RecordID, c.Unit = st.Origin, st.Current.Dept
	case in.EntryID != "":
		c.RecordID, c.EntryID, c.Unit = "entry:"+in.EntryID, in.EntryID, strings.TrimSpace(in.Unit)
	default:
		return nil, "", credit.Say(op, credit.Invalid, "请指明对哪条信息或哪个名单条目提出异议", "name the record or the list entry objected to")
	}
	// The deciding unit's domain sets its verification time limit.
	c.Domain = s.cfg.Catalog.DeptDomain(c.Unit)
	if open, err := s.openCase(ctx, credit.CaseObjection, c.RecordID); err != nil {
		return nil, "", err
	} else if open != nil {
		return nil, "", credit.Say(op, credit.Conflict, "对该信息提出的异议正在办理中（%s提交），请凭查询码查询办理进度",
			"an objection to this record is already being handled (filed %s): follow it with its tracking code", chinatime.Format(open.Created))
	}
	due, err := s.deadline(s.now(), s.rules.ObjectionRoute)
	if err != nil {
		return nil, "", err
	}
	c.Due = due
	data := in.Applicant.data()
	code, err := s.create(ctx, c, a, clip(in.Reasons, 4000), data)
	if err != nil {
		return nil, "", err
	}
	if c.Unit != "" {
		if err := s.Route(ctx, Platform, c.ID, c.Unit); err != nil {
			return nil, "", err
		}
		c, _ = s.cfg.Store.Case(ctx, c.ID)
	}
	return c, code, nil
}

// Route sends a submitted case to its deciding unit. The platform does it
// at once when the unit is known; the credit office does it otherwise.
func (s *Service) Route(ctx context.Context, a Actor, id, unit string) error {
	const op = "workflow.Route"
	if !staff(a) {
		return credit.Say(op, credit.Permission, "只有信用办可以将事项转交认定单位", "only the credit office routes cases")
	}
	c, err := s.cfg.Store.Case(ctx, id)
	if err != nil {
		return err
	}
	if c.State != StateSubmitted {
		return credit.Say(op, credit.Conflict, "事项%[1]s当前状态为“%[3]s”，不是“已提交”，不能转交", "case %[1]s is %[2]s, not submitted", id, c.State, stateZh(c.State))
	}
	if strings.TrimSpace(unit) == "" {
		return credit.Say(op, credit.Invalid, "请填写认定单位", "name the deciding unit")
	}
	days := s.rules.ObjectionAccept
	if c.Kind == credit.CaseRepair {
		days = s.rules.RepairAccept
	}
	due, err := s.deadline(s.now(), days)
	if err != nil {
		return err
	}
	c.Unit = unit
	return s.advance(ctx, c, a, "route", StateRouted, "", due, map[string]string{"unit": unit})
}

func (s *Service) verifyDays(domain string) int {
	if n := s.rules.VerifyByDomain[domain]; n > 0 {
		return n
	}
	return s.rules.ObjectionVerify
}

func (s *Service) target(c *credit.Case) Target {
	if c.EntryID != "" {
		return Target{Kind: "entry", ID: c.EntryID, SubjectID: c.SubjectID}
	}
	return Target{Kind: "record", ID: c.RecordID, SubjectID: c.SubjectID}
}

// AcceptObjection accepts an objection: verification starts, the record is
// marked and the measures based on it are suspended.
func (s *Service) AcceptObjection(ctx context.Context, a Actor, id string) error {
	const op = "workflow.AcceptObjection"
	c, err := s.loadToDecide(ctx, op, a, id, credit.CaseObjection, StateRouted)
	if err != nil {
		return err
	}
	due, err := s.deadline(s.now(), s.verifyDays(c.Domain))
	if err != nil {
		return err
	}
	// Suspend first: if the sanction store cannot be told, the case does
	// not claim a suspension that the hit check would not honour.
	if s.cfg.Suspender != nil {
		if err := s.cfg.Suspender.MarkUnderVerification(ctx, s.target(c), a.Name, "objection accepted", c.ID); err != nil {
			return credit.Wrap(op, credit.Unavailable, err)
		}
	}
	return s.advance(ctx, c, a, "accept", StateVerifying, "", due, nil)
}

// RefuseObjection refuses to accept an objection, with reasons.
func (s *Service) RefuseObjection(ctx context.Context, a Actor, id, reason string) error {
	return s.refuse(ctx, "workflow.RefuseObjection", a, id, reason, credit.CaseObjection, StateRouted)
}

// refuse ends a case of kind in one of the states from as refused, by the
// deciding unit, with the reasons the applicant is told.
func (s *Service) refuse(ctx context.Context, op string, a Actor, id, reason string, kind credit.CaseKind, from ...string) error {
	if strings.TrimSpace(reason) == "" {
		return credit.Say(op, credit.Invalid, "不予受理或不予修复须说明理由", "a refusal must state its reasons")
	}
	c, err := s.loadToDecide(ctx, op, a, id, kind, from...)
	if err != nil {
		return err
	}
	return s.advance(ctx, c, a, "refuse", StateRefused, clip(reason, 4000), time.Time{}, nil)
}

// Extend gives a verifying objection or a reviewing repair more time, once;
// the applicant sees the extension and its reason on the tracking page.
func (s *Service) Extend(ctx context.Context, a Actor, id, reason string) error {
	const op = "workflow.Extend"
	if strings.TrimSpace(reason) == "" {
		return credit.Say(op, credit.Invalid, "延期须说明理由，理由将告知申请人", "an extension must state its reason, which the applicant is told")
	}
	c, err := s.cfg.Store.Case(ctx, id)
	if err != nil {
		return err
	}
	days := 0
	switch {
	case c.Kind == credit.CaseObjection && c.State == StateVerifying:
		days = s.rules.ObjectionExtend
	case c.Kind == credit.CaseRepair && c.State == StateReviewing:
		days = s.rules.RepairExtend
	default:
		return credit.Say(op, credit.Conflict, "事项%[1]s当前状态为“%[3]s”：只有异议核实和信用修复审核可以延期",
			"case %[1]s is %[2]s: only a verification or a repair decision can be extended", id, c.State, stateZh(c.State))
	}
	if err := s.mayDecide(op, c, a); err != nil {
		return err
	}
	if ev, err := s.firstEvent(ctx, id, actionExtend); err != nil {
		return err
	} else if ev != nil {
		return credit.Say(op, credit.Conflict, "事项%s已延期一次，不能再次延期", "case %s was already extended once", id)
	}
	due, err := s.cal.Add(c.Due, days)
	if err != nil {
		return credit.E(op, credit.Unavailable, "cannot extend: %v", err)
	}
	return s.advance(ctx, c, a, actionExtend, c.State, clip(reason, 2000), due, map[string]string{"days": fmt.Sprint(days), "applicant_told": "yes"})
}

// Decision is a unit's finding on an objection that is upheld.
type Decision struct {
	// Revoke withdraws the record; otherwise Fields correct it.
	Revoke bool
	Fields credit.Fields
	Reason string
}

// UpholdObjection finds the objection right: the record is corrected or
// revoked through a new fact, verification ends.
func (s *Service) UpholdObjection(ctx context.Context, a Actor, id string, d Decision) error {
	const op = "workflow.UpholdObjection"
	if strings.TrimSpace(d.Reason) == "" {
		return credit.Say(op, credit.Invalid, "请填写核实结论", "state the finding")
	}
	c, err := s.loadToDecide(ctx, op, a, id, credit.CaseObjection, StateVerifying)
	if err != nil {
		return err
	}
	data := map[string]string{}
	if c.EntryID == "" {
		st, err := s.chain(ctx, op, c.SubjectID, c.RecordID)
		if err != nil {
			return err
		}
		latest := st.History[len(st.History)-1]
		dept := c.Unit
		var rec *credit.Record
		if d.Revoke {
			rec, err = s.cfg.Records.Revoke(ctx, latest.ID, dept, "异议核实更正: "+d.Reason)
			data["outcome"] = "revoked"
		} else {
			if len(d.Fields) == 0 {
				return credit.Say(op, credit.Invalid, "请填写更正后的字段，或撤销该信息", "give the corrected fields, or revoke the record")
			}
			fields := credit.Fields{}
			for k, v := range st.Current.Fields {
				fields[k] = v
			}
			for k, v := range d.Fields {
				fields[k] = v
			}
			rec, err = s.cfg.Records.Correct(ctx, latest.ID, dept, "异议核实更正: "+d.Reason, fields)
			data["outcome"] = "corrected"
		}
		if err != nil {
			return credit.Wrap(op, credit.Other, err)
		}
		data["new_fact"] = rec.ID
	}
	if err := s.advance(ctx, c, a, "uphold", StateUpheld, clip(d.Reason, 4000), time.Time{}, data); err != nil {
		return err
	}
	s.clearVerification(ctx, c, a, "objection upheld")
	return nil
}

// DismissObjection finds the record right, with reasons; verification ends
// and the measures apply again.
func (s *Service) DismissObjection(ctx context.Context, a Actor, id, reason string) error {
	const op = "workflow.DismissObjection"
	if strings.TrimSpace(reason) == "" {
		return credit.Say(op, credit.Invalid, "异议不成立须说明理由", "a dismissal must state its reasons")
	}
	c, err := s.loadToDecide(ctx, op, a, id, credit.CaseObjection, StateVerifying)
	if err != nil {
		return err
	}
	if err := s.advance(ctx, c, a, "dismiss", StateDismissed, clip(reason, 4000), time.Time{}, nil); err != nil {
		return err
	}
	s.clearVerification(ctx, c, a, "objection dismissed")
	return nil
}

// clearVerification tells the sanction store that verification ended. The
// case is already final, so Marks no longer suspends; a failure here is
// logged for the operator (the sanction store's mark would keep a measure
// suspended, which errs on the subject's side).
func (s *Service) clearVerification(ctx context.Context, c *credit.Case, a Actor, reason string) {
	if s.cfg.Suspender == nil {
		return
	}
	if err := s.cfg.Suspender.ClearVerification(ctx, s.target(c), a.Name, reason, c.ID); err != nil {
		s.log.Error("workflow: could not clear the verification mark; clear it by hand", "case", c.ID, "err", err)
	}
}
