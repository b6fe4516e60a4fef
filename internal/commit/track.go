package commit

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/chinatime"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/workday"
	"github.com/xinyong/xinyong/internal/workflow"
)

// load reads a commitment in one of states.
func (s *Service) load(ctx context.Context, op, id string, states ...string) (*credit.Commitment, error) {
	c, err := s.cfg.Store.Commitment(ctx, id)
	if err != nil {
		return nil, credit.Wrap(op, credit.Other, err)
	}
	for _, st := range states {
		if c.State == st {
			return c, nil
		}
	}
	names, namesEn := make([]string, len(states)), make([]string, len(states))
	for i, st := range states {
		names[i], namesEn[i] = "“"+nameZh(StateNames, st)+"”", nameEn(StateNames, st)
	}
	return nil, credit.Say(op, credit.Conflict, "承诺%[1]s当前为“%[4]s”，本环节须在%[5]s状态下办理", "commitment %[1]s is %[2]s; this step needs it to be %[3]s",
		c.Code, nameEn(StateNames, c.State), strings.Join(namesEn, " or "), nameZh(StateNames, c.State), strings.Join(names, "或"))
}

// restate corrects the commitment's record with its performance as
// determined by its unit today: the record shows the commitment's state,
// and a breach is a 失信 record by the item's own rule.
func (s *Service) restate(ctx context.Context, op string, c *credit.Commitment, set credit.Fields, reason string) (*credit.Record, error) {
	latest, err := s.cfg.Store.LatestByDoc(ctx, c.Unit, catalog.CommitmentItem, c.Code)
	if err != nil {
		return nil, credit.Wrap(op, credit.Other, err)
	}
	// A copy of the stored fields, personal ones sealed: Correct opens
	// them to check them and seals them again.
	f := credit.Fields{}
	for k, v := range latest.Fields {
		f[k] = v
	}
	for k, v := range set {
		if v == "" {
			delete(f, k)
		} else {
			f[k] = v
		}
	}
	f["cn_ztrdrq"] = chinatime.Date(s.now()).Format(time.DateOnly)
	f["cn_ztrddw"] = s.deptName(c.Unit)
	rec, err := s.cfg.Records.Correct(ctx, latest.ID, c.Unit, reason, f)
	if err != nil {
		return nil, credit.Wrap(op, credit.Other, err)
	}
	return rec, nil
}

// Fulfil records that a commitment was kept (materials supplied, the
// conditions met): by its accepting unit (an officer or its business
// system) or the credit office, on time or late.
func (s *Service) Fulfil(ctx context.Context, a Actor, id, note string) (*credit.Commitment, error) {
	const op = "commit.Fulfil"
	c, err := s.load(ctx, op, id, StateDue, StateOverdue)
	if err != nil {
		return nil, err
	}
	if err := s.mayDecide(op, c, a, true); err != nil {
		return nil, err
	}
	late := c.State == StateOverdue
	rec, err := s.restate(ctx, op, c, credit.Fields{"cn_lxzt": "全部履行", "cn_wlxnr": ""}, "履约状态认定：全部履行")
	if err != nil {
		return nil, err
	}
	data := map[string]string{"record": rec.ID}
	if late {
		data["late"] = "yes"
	}
	if err := s.advance(ctx, c, a, "fulfil", StateFulfilled, clip(note, 2000), data); err != nil {
		return nil, err
	}
	return c, nil
}

// Breach is a unit's decision that a commitment was broken.
type Breach struct {
	// DocNo is the decision document's number; Reason its grounds.
	DocNo  string `json:"doc_no"`
	Reason string `json:"reason"`
	// Finding is unperformed (全部未履行), partial (部分履行) or false
	// (虚假承诺).
	Finding string `json:"finding"`
	// Unperformed says what was not done (the missing materials, by
	// default).
	Unperformed string `json:"unperformed"`
}

// Broken is what a breach decision wrote.
type Broken struct {
	Commitment *credit.Commitment `json:"commitment"`
	// Record is the correction of the commitment's record that states
	// the breach (履行状态); FalseRecord the false commitment's record,
	// for a false commitment.
	Record      *credit.Record `json:"record"`
	FalseRecord *credit.Record `json:"false_record,omitempty"`
	// Approval is the approval revoked, and Revocation the revocation of
	// its record when the unit had reported it.
	ApprovalRevoked string         `json:"approval_revoked,omitempty"`
	Revocation      *credit.Record `json:"approval_record_revoked,omitempty"`
}

// Break decides, with a decision document, that a commitment was broken
// or false: the commitment's record states the breach (a 失信 record by the
// item's rule, published from today), a false commitment is recorded by
// workflow's one path, and the approval granted on the commitment is
// revoked where the matter's data says so. Only the accepting unit's
// officers or the credit office decide.
func (s *Service) Break(ctx context.Context, a Actor, id string, b Breach) (*Broken, error) {
	const op = "commit.Break"
	if strings.TrimSpace(b.DocNo) == "" || strings.TrimSpace(b.Reason) == "" {
		return nil, credit.Say(op, credit.Invalid, "认定违诺须写明决定书文号和认定理由", "a breach is decided with a document: give its number and the grounds")
	}
	if b.Finding == "" {
		b.Finding = FindingUnperformed
	}
	if _, ok := FindingNames[b.Finding]; !ok {
		return nil, credit.Say(op, credit.Invalid, "认定结论须为全部未履行、部分履行或虚假承诺（%s）", "the finding is unperformed, partial or false, not %q", b.Finding)
	}
	states := []string{StateDue, StateOverdue, StateActive}
	if b.Finding == FindingFalse {
		// A commitment recorded as kept may still prove false.
		states = append(states, StateFulfilled)
	}
	c, err := s.load(ctx, op, id, states...)
	if err != nil {
		return nil, err
	}
	if err := s.mayDecide(op, c, a, false); err != nil {
		return nil, err
	}
	unperformed := clip(b.Unperformed, 2000)
	if unperformed == "" {
		unperformed = strings.Join(c.Detail.Materials, "、")
	}
	if unperformed == "" {
		unperformed = clip(b.Reason, 2000)
	}
	lxzt := "全部未履行"
	if b.Finding == FindingPartial {
		lxzt = "部分履行"
	}
	if b.Finding == FindingFalse {
		unperformed = "虚假承诺：" + unperformed
	}
	out := &Broken{Commitment: c}
	out.Record, err = s.restate(ctx, op, c, credit.Fields{"cn_lxzt": lxzt, "cn_wlxnr": clip(unperformed, 2000), "cn_rdwsh": clip(b.DocNo, 128)},
		"违诺认定："+nameZh(FindingNames, b.Finding)+"（"+clip(b.DocNo, 128)+"）")
	if err != nil {
		return nil, err
	}
	data := map[string]string{"doc_no": clip(b.DocNo, 128), "finding": b.Finding, "record": out.Record.ID}
	if b.Finding == FindingFalse {
		out.FalseRecord, err = s.cfg.False.RecordFalseCommitment(ctx, workflow.FalseFinding{SubjectID: c.SubjectID, Unit: c.Unit,
			DocNo: b.DocNo, Reason: b.Reason, Commitment: c.Code})
		if err != nil {
			return nil, credit.Wrap(op, credit.Other, err)
		}
		data["false_record"] = out.FalseRecord.ID
	}
	if err := s.advance(ctx, c, a, "break", StateBroken, clip(b.Reason, 4000), data); err != nil {
		return nil, err
	}
	if c.Detail.RevokesApproval && c.Approval != "" {
		if err := s.revokeApproval(ctx, a, c, b, out); err != nil {
			s.log.Error("commit: the approval granted on a broken commitment could not be revoked", "commitment", c.ID, "approval", c.Approval, "err", err)
		}
	}
	if err := s.cfg.Store.MarkRecompute(ctx, credit.RecomputeMark{SubjectID: c.SubjectID, Since: s.now(), Reason: "commitment broken " + c.Code}); err != nil {
		s.log.Warn("commit: could not mark the evaluation for recompute", "subject", c.SubjectID, "err", err)
	}
	return out, nil
}

// revokeApproval records, as a step of the commitment, that the approval
// granted on it is revoked, and revokes the approval's record where the
// unit reported it to the platform (a revoked decision is withdrawn).
func (s *Service) revokeApproval(ctx context.Context, a Actor, c *credit.Commitment, b Breach, out *Broken) error {
	const op = "commit.revokeApproval"
	data := map[string]string{"approval": c.Approval, "doc_no": clip(b.DocNo, 128)}
	file, err := s.cfg.Records.File(ctx, c.SubjectID)
	if err != nil {
		return credit.Wrap(op, credit.Other, err)
	}
	for _, st := range file {
		cur := &st.Current
		if st.Revoked || cur.Dept != c.Unit || cur.DocNo != c.Approval || cur.Item == catalog.CommitmentItem {
			continue
		}
		rev, err := s.cfg.Records.Revoke(ctx, cur.ID, c.Unit, "违背信用承诺"+c.Code+"，依承诺撤销审批决定（"+clip(b.DocNo, 128)+"）")
		if err != nil {
			return credit.Wrap(op, credit.Other, err)
		}
		out.Revocation = rev
		data["record_revoked"] = st.Origin
		break
	}
	out.ApprovalRevoked = c.Approval
	return s.advance(ctx, c, a, "revoke_approval", StateBroken, "", data)
}

// QueueItem is a commitment in a unit's queue.
type QueueItem struct {
	credit.Commitment
	// Late says the due date passed; Escalated that the unit's time to
	// decide passed too.
	Late      bool `json:"late"`
	Escalated bool `json:"escalated"`
}

// Queue lists the open commitments a unit follows ("" for every unit),
// earliest due date first; states narrows it (overdue only, say).
func (s *Service) Queue(ctx context.Context, unit string, states ...string) ([]QueueItem, error) {
	cs, err := s.cfg.Store.Commitments(ctx, credit.CommitmentFilter{Unit: unit, OpenOnly: true, States: states, Limit: 10000})
	if err != nil {
		return nil, err
	}
	now := s.now()
	out := make([]QueueItem, 0, len(cs))
	for _, c := range cs {
		out = append(out, QueueItem{Commitment: c, Late: workday.Overdue(c.Due, now), Escalated: c.State == StateOverdue && workday.Overdue(c.DecideBy, now)})
	}
	return out, nil
}

// Sweep follows every open commitment with a due date: one whose due date
// passed becomes overdue (the accepting unit has the tracking data's
// working days to decide it), and one whose unit's time to decide passed
// is escalated to the credit office, once per deadline, as workflow
// escalates cases. It is run periodically and may be run at any time.
func (s *Service) Sweep(ctx context.Context) (int, error) {
	cs, err := s.cfg.Store.Commitments(ctx, credit.CommitmentFilter{OpenOnly: true, States: []string{StateDue, StateOverdue}, DueBy: s.now(), Limit: 100000})
	if err != nil {
		return 0, err
	}
	now := s.now()
	n := 0
	for i := range cs {
		c := &cs[i]
		switch {
		case c.State == StateDue && workday.Overdue(c.Due, now):
			by, err := s.cal.Deadline(c.Due, s.cat.Commitments.Tracking.DecideWorkdays)
			if err != nil {
				s.log.Warn("commit: no deadline to decide an overdue commitment", "commitment", c.ID, "err", err)
			}
			c.DecideBy = by
			late, _ := s.cal.Between(c.Due, now)
			data := map[string]string{"due": dateStr(c.Due), "days_overdue": fmt.Sprint(late), "to": c.Unit, "decide_by": dateStr(by)}
			if err := s.advance(ctx, c, Platform, "overdue", StateOverdue, fmt.Sprintf("overdue since %s", dateStr(c.Due)), data); err != nil {
				if credit.Is(credit.Conflict, err) {
					continue // the unit acted meanwhile
				}
				return n, err
			}
			n++
		case c.State == StateOverdue && workday.Overdue(c.DecideBy, now):
			evs, err := s.cfg.Store.TrackEvents(ctx, c.ID)
			if err != nil {
				return n, err
			}
			if last := evs[len(evs)-1]; last.Action == "escalate" && last.Data["decide_by"] == dateStr(c.DecideBy) {
				continue // escalated for this deadline already
			}
			late, _ := s.cal.Between(c.DecideBy, now)
			data := map[string]string{"decide_by": dateStr(c.DecideBy), "days_overdue": fmt.Sprint(late), "to": workflow.CreditOffice, "unit": c.Unit}
			if err := s.advance(ctx, c, Platform, "escalate", StateOverdue, fmt.Sprintf("undecided since %s", dateStr(c.DecideBy)), data); err != nil {
				if credit.Is(credit.Conflict, err) {
					continue
				}
				return n, err
			}
			s.log.Warn("commitment undecided after it became overdue: escalated", "commitment", c.ID, "unit", c.Unit, "decide_by", dateStr(c.DecideBy))
			n++
		}
	}
	return n, nil
}
