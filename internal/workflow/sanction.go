package workflow

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/sanction"
)

// SanctionGate connects the workflows to the 联合奖惩 service: objections
// mark verification there (the hit check returns the measures as
// suspended), a repair removes the list entries based on the repaired
// record (measures lifted), and a bankruptcy masking suspends every entry
// of the subject through the same verification marks until the plan fails.
type SanctionGate struct{ S *sanction.Service }

var (
	_ Suspender    = SanctionGate{}
	_ Lists        = SanctionGate{}
	_ RepairLimits = SanctionGate{}
)

// RepairLimits implements the workflow's eligibility check against the
// list exit rules: an entry resting on the record whose list cannot be left
// by repair, or not before a minimum listing period.
func (g SanctionGate) RepairLimits(ctx context.Context, subjectID, recordID string, now time.Time) ([]Reason, time.Time, error) {
	es, err := g.entriesOn(ctx, subjectID, recordID)
	if err != nil {
		return nil, time.Time{}, err
	}
	var reasons []Reason
	var from time.Time
	for _, e := range es {
		if e.State != credit.StepDecided {
			continue
		}
		lt, err := g.S.Catalog.List(e.List)
		if err != nil {
			return nil, time.Time{}, err
		}
		if !lt.Exit.Repairable {
			reasons = append(reasons, reasonOf("list_not_repairable", credit.Says("该信息是列入%s的依据，该名单不能通过信用修复移出：%s",
				"the record grounds an entry on %s, which cannot be left by repair: %s", lt.Name, lt.Exit.Text)))
			continue
		}
		if min := e.Detail.Since.AddDate(0, lt.Exit.MinMonths, 0); now.Before(min) {
			reasons = append(reasons, reasonOf("list_min_period", credit.Says("列入%s满%d个月后方可通过信用修复移出，请于%s起申请",
				"the entry on %s can be left by repair only after %d months listed: apply from %s", lt.Name, lt.Exit.MinMonths, dateStr(min))))
			if min.After(from) {
				from = min
			}
		}
	}
	return reasons, from, nil
}

func (g SanctionGate) kind(t Target) string {
	if t.Kind == "entry" {
		return credit.VerifyEntry
	}
	return credit.VerifyRecord
}

// MarkUnderVerification implements Suspender.
func (g SanctionGate) MarkUnderVerification(ctx context.Context, t Target, actor, reason, ref string) error {
	return g.S.MarkUnderVerification(ctx, g.kind(t), t.ID, t.SubjectID, actor, reason, ref)
}

// ClearVerification implements Suspender.
func (g SanctionGate) ClearVerification(ctx context.Context, t Target, actor, reason, ref string) error {
	return g.S.ClearVerification(ctx, g.kind(t), t.ID, t.SubjectID, actor, reason, ref)
}

// entriesOn returns the subject's entries in force or in progress that
// rest on the record (all of them when recordID is "").
func (g SanctionGate) entriesOn(ctx context.Context, subjectID, recordID string) ([]*sanction.Entry, error) {
	es, err := g.S.SubjectHistory(ctx, subjectID)
	if err != nil {
		return nil, err
	}
	var out []*sanction.Entry
	for _, e := range es {
		if e.State == credit.StepRemoved {
			continue
		}
		if recordID == "" || slices.Contains(e.Detail.BasisRecords, recordID) {
			out = append(out, e)
		}
	}
	return out, nil
}

// RemoveForRepair implements Lists: entries resting on the repaired record
// end with the removal reason "repair". The repair decision is the ground,
// so the platform acts (not the list's deciding unit).
func (g SanctionGate) RemoveForRepair(ctx context.Context, subjectID, recordID, actor, ref string) error {
	es, err := g.entriesOn(ctx, subjectID, recordID)
	if err != nil {
		return err
	}
	var errs []error
	for _, e := range es {
		if _, err := g.S.Remove(ctx, sanction.Actor{Name: actor, Role: credit.RoleAdmin}, e.ID,
			sanction.RemovalInput{Reason: sanction.RemoveRepair, DocNo: ref, Note: "信用修复 " + ref}); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// RestoreAfterRepair implements Lists. A removed entry is not revived: the
// false commitment is a new 严重 record on which the deciding unit may list
// the subject again through the list's own procedure (notice, decision).
func (g SanctionGate) RestoreAfterRepair(ctx context.Context, subjectID, recordID, actor, ref string) error {
	return nil
}

// Mask implements Lists: every entry of the subject is put under a
// verification mark, so the hit check returns its measures as suspended.
func (g SanctionGate) Mask(ctx context.Context, subjectID, actor, ref string) error {
	es, err := g.entriesOn(ctx, subjectID, "")
	if err != nil {
		return err
	}
	for _, e := range es {
		if err := g.S.MarkUnderVerification(ctx, credit.VerifyEntry, e.ID, subjectID, actor, "破产重整/和解屏蔽", ref); err != nil {
			return err
		}
	}
	return nil
}

// Unmask implements Lists: the masks are lifted (the plan failed).
func (g SanctionGate) Unmask(ctx context.Context, subjectID, actor, ref string) error {
	es, err := g.entriesOn(ctx, subjectID, "")
	if err != nil {
		return err
	}
	for _, e := range es {
		if err := g.S.ClearVerification(ctx, credit.VerifyEntry, e.ID, subjectID, actor, "重整计划失败，恢复", ref); err != nil {
			return err
		}
	}
	return nil
}
