package sanction

import (
	"context"
	"regexp"
	"strings"
	"time"

	"github.com/xinyong/xinyong/internal/chinatime"
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
		return nil, credit.Say(op, credit.Invalid, "请至少反馈一项", "give at least one feedback item")
	}
	if len(items) > MaxSubjects*4 {
		return nil, credit.Say(op, credit.Invalid, "每次最多反馈%d项", "at most %d feedback items per request", MaxSubjects*4)
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
		return nil, credit.Say(op, credit.Permission, "核查%[1]s由%[4]s发起，不是%[5]s", "check %[1]s was made by department %[2]s, not %[3]s",
			checkID, chk.Dept, c.Dept, s.deptZh(chk.Dept), s.deptZh(c.Dept))
	}
	returned := make(map[[2]string]credit.CheckMeasure)
	for _, m := range chk.Measures {
		returned[[2]string{m.SubjectID, m.Measure}] = m
	}
	now := s.now()
	out := make([]credit.Feedback, 0, len(items))
	for i, it := range items {
		if _, err := s.Catalog.Measure(it.Measure); err != nil {
			return nil, credit.Say(op, credit.Invalid, "第%d项：措施“%s”不在措施清单中，任何部门不得实施清单以外的措施（国办发〔2020〕49号）",
				"item %d: measure %q is not on the measure list: no department may apply a measure that is not (国办发〔2020〕49号)", i+1, it.Measure)
		}
		m, ok := returned[[2]string{it.SubjectID, it.Measure}]
		if !ok {
			return nil, credit.Say(op, credit.Invalid, "第%[1]d项：核查%[2]s未对%[4]s返回措施%[5]s", "item %[1]d: check %[2]s did not return measure %[3]s for subject %[4]s",
				i+1, checkID, it.Measure, it.SubjectID, s.measureZh(it.Measure))
		}
		reason := strings.TrimSpace(it.Reason)
		switch it.Outcome {
		case credit.OutcomePunished:
			if m.Incentive {
				return nil, credit.Say(op, credit.Invalid, "第%[1]d项：%[3]s是激励措施，应反馈“已激励”或“未采纳”，不能反馈“已惩戒”",
					"item %[1]d: %[2]s is an incentive: report 已激励 or 未采纳, not 已惩戒", i+1, it.Measure, s.measureZh(it.Measure))
			}
		case credit.OutcomeRewarded:
			if !m.Incentive {
				return nil, credit.Say(op, credit.Invalid, "第%[1]d项：%[3]s是惩戒措施，应反馈“已惩戒”或“未采纳”，不能反馈“已激励”",
					"item %[1]d: %[2]s is a punishment measure: report 已惩戒 or 未采纳, not 已激励", i+1, it.Measure, s.measureZh(it.Measure))
			}
		case credit.OutcomeNotAdopted:
			if reason == "" {
				return nil, credit.Say(op, credit.Invalid, "第%d项：反馈“未采纳”须说明理由", "item %d: 未采纳 needs the reason", i+1)
			}
		default:
			return nil, credit.Say(op, credit.Invalid, "第%d项：反馈结果须为“已惩戒”“已激励”或“未采纳”，不能为“%s”", "item %d: outcome must be 已惩戒, 已激励 or 未采纳, not %q", i+1, it.Outcome)
		}
		if m.Suspended && it.Outcome == credit.OutcomePunished {
			return nil, credit.Say(op, credit.Invalid, "第%[1]d项：核查%[4]s时措施%[5]s处于“%[3]s”状态，不可能已实施",
				"item %[1]d: measure %[2]s was suspended (%[3]s) in check %[4]s and cannot have been applied", i+1, it.Measure, SuspendedNote, checkID, s.measureZh(it.Measure))
		}
		amt := strings.TrimSpace(it.Amount)
		if amt != "" && !amountRE.MatchString(amt) {
			return nil, credit.Say(op, credit.Invalid, "第%d项：金额“%s”须为以万元为单位的数字，如 12.5", "item %d: amount %q must be a decimal number of 万元, e.g. 12.5", i+1, it.Amount)
		}
		acted := it.ActedAt
		if acted.IsZero() {
			acted = now
		}
		if acted.Before(chk.At.Add(-time.Minute)) || acted.After(now.Add(5*time.Minute)) {
			return nil, credit.Say(op, credit.Invalid, "第%[1]d项：实施时间（acted_at）须在核查时间（%[3]s）与当前时间之间", "item %[1]d: acted_at must lie between the check (%[2]s) and now",
				i+1, chk.At.Format(time.RFC3339), chinatime.Format(chk.At))
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
