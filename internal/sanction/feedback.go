package sanction

import (
	"context"
	"regexp"
	"strings"
	"time"

	"github.com/xinyong/xinyong/internal/credit"
)

// FeedbackItem is what a business system did about one returned measure.
type FeedbackItem struct {
	SubjectID string    `json:"subject_id"`
	Measure   string    `json:"measure"`
	Outcome   string    `json:"outcome"` // 已惩戒, 已激励, 未采纳
	Reason    string    `json:"reason,omitempty"`
	Amount    string    `json:"amount,omitempty"` // 万元, decimal
	ActedAt   time.Time `json:"acted_at"`
}

var amountRE = regexp.MustCompile(`^[0-9]{1,12}(\.[0-9]{1,6})?$`)

// Feedback records a business system's feedback on a check. Only the
// account that made the check (or its department) may give it, only on
// measures that check returned, once per measure.
func (s *Service) Feedback(ctx context.Context, c Caller, checkID string, items []FeedbackItem) ([]credit.Feedback, error) {
	const op = "sanction.Feedback"
	if len(items) == 0 {
		return nil, credit.E(op, credit.Invalid, "give at least one feedback item")
	}
	if len(items) > MaxSubjects*4 {
		return nil, credit.E(op, credit.Invalid, "at most %d feedback items per request", MaxSubjects*4)
	}
	chk, err := s.Store.Check(ctx, checkID)
	if credit.Is(credit.NotFound, err) {
		// It may still be in this node's write queue.
		if ferr := s.Flush(ctx); ferr == nil {
			chk, err = s.Store.Check(ctx, checkID)
		}
	}
	if err != nil {
		return nil, credit.Wrap(op, credit.Other, err)
	}
	if chk.Dept != c.Dept {
		return nil, credit.E(op, credit.Permission, "check %s was made by department %s, not %s", checkID, chk.Dept, c.Dept)
	}
	returned := make(map[[2]string]credit.CheckMeasure)
	for _, m := range chk.Measures {
		returned[[2]string{m.SubjectID, m.Measure}] = m
	}
	now := s.now()
	out := make([]credit.Feedback, 0, len(items))
	for i, it := range items {
		if _, err := s.Catalog.Measure(it.Measure); err != nil {
			return nil, credit.E(op, credit.Invalid, "item %d: measure %q is not on the measure list: no department may apply a measure that is not (国办发〔2020〕49号)", i+1, it.Measure)
		}
		m, ok := returned[[2]string{it.SubjectID, it.Measure}]
		if !ok {
			return nil, credit.E(op, credit.Invalid, "item %d: check %s did not return measure %s for subject %s", i+1, checkID, it.Measure, it.SubjectID)
		}
		reason := strings.TrimSpace(it.Reason)
		switch it.Outcome {
		case credit.OutcomePunished:
			if m.Incentive {
				return nil, credit.E(op, credit.Invalid, "item %d: %s is an incentive: report 已激励 or 未采纳, not 已惩戒", i+1, it.Measure)
			}
		case credit.OutcomeRewarded:
			if !m.Incentive {
				return nil, credit.E(op, credit.Invalid, "item %d: %s is a punishment measure: report 已惩戒 or 未采纳, not 已激励", i+1, it.Measure)
			}
		case credit.OutcomeNotAdopted:
			if reason == "" {
				return nil, credit.E(op, credit.Invalid, "item %d: 未采纳 needs the reason", i+1)
			}
		default:
			return nil, credit.E(op, credit.Invalid, "item %d: outcome must be 已惩戒, 已激励 or 未采纳, not %q", i+1, it.Outcome)
		}
		if m.Suspended && it.Outcome == credit.OutcomePunished {
			return nil, credit.E(op, credit.Invalid, "item %d: measure %s was suspended (%s) in check %s and cannot have been applied", i+1, it.Measure, SuspendedNote, checkID)
		}
		amt := strings.TrimSpace(it.Amount)
		if amt != "" && !amountRE.MatchString(amt) {
			return nil, credit.E(op, credit.Invalid, "item %d: amount %q must be a decimal number of 万元, e.g. 12.5", i+1, it.Amount)
		}
		acted := it.ActedAt
		if acted.IsZero() {
			acted = now
		}
		if acted.Before(chk.At.Add(-time.Minute)) || acted.After(now.Add(5*time.Minute)) {
			return nil, credit.E(op, credit.Invalid, "item %d: acted_at must lie between the check (%s) and now", i+1, chk.At.Format(time.RFC3339))
		}
		out = append(out, credit.Feedback{ID: credit.NewID(), CheckID: checkID, SubjectID: it.SubjectID, Measure: it.Measure,
			Outcome: it.Outcome, Reason: reason, Amount: amt, ActedAt: acted, At: now, Actor: c.Name, Dept: c.Dept})
	}
	if err := s.Store.AppendFeedback(ctx, out); err != nil {
		return nil, credit.Wrap(op, credit.Other, err)
	}
	return out, nil
}

// Stat is a CheckStat with names and the feedback rate.
type Stat struct {
	credit.CheckStat
	DeptName     string  `json:"dept_name"`
	MatterName   string  `json:"matter_name"`
	MeasureName  string  `json:"measure_name"`
	FeedbackRate float64 `json:"feedback_rate"` // feedback / triggers
}

// Stats returns trigger counts, feedback rates and overdue feedback by
// department, matter and measure.
func (s *Service) Stats(ctx context.Context, dept, matter string, since time.Time) ([]Stat, error) {
	raw, err := s.Store.CheckStats(ctx, credit.StatsFilter{Dept: dept, Matter: matter, Since: since, DueBefore: s.now().Add(-s.cfg.FeedbackDue)})
	if err != nil {
		return nil, err
	}
	out := make([]Stat, len(raw))
	for i, r := range raw {
		st := Stat{CheckStat: r}
		if d, err := s.Catalog.Department(r.Dept); err == nil {
			st.DeptName = d.Name
		}
		if m, err := s.Catalog.Matter(r.Matter); err == nil {
			st.MatterName = m.Name
		}
		if m, err := s.Catalog.Measure(r.Measure); err == nil {
			st.MeasureName = m.Name
		}
		if r.Triggers > 0 {
			st.FeedbackRate = float64(r.Feedback) / float64(r.Triggers)
		}
		out[i] = st
	}
	return out, nil
}

// FeedbackDue is how long a business system has to give feedback.
func (s *Service) FeedbackDue() time.Duration { return s.cfg.FeedbackDue }
