package publish

import (
	"context"

	"github.com/xinyong/xinyong/internal/credit"
)

// Section is one tab of a subject's public page (and section of a credit
// report), in the order of the national public credit report.
type Section struct {
	Code   string   `json:"code"`
	Name   string   `json:"name"`
	NameEn string   `json:"name_en"`
	Items  []string `json:"items"`
	// Placeholder marks a section whose feature is not built yet.
	Placeholder bool `json:"placeholder,omitempty"`
}

// Sections lists the subject page's tabs after 基本信息, which shows the
// subject's registration data. Items not named here are not shown on the
// portal.
var Sections = []Section{
	{Code: "licences", Name: "行政许可", NameEn: "Licences", Items: []string{"admin_licence"}},
	{Code: "penalties", Name: "行政处罚", NameEn: "Penalties", Items: []string{"admin_penalty", "admin_compulsion"}},
	{Code: "honesty", Name: "诚实守信", NameEn: "Honesty", Items: []string{"honour", "contract_performance"}},
	{Code: "abnormal", Name: "经营异常", NameEn: "Abnormal operation", Items: []string{"abnormal_operation"}},
	{Code: "blacklist", Name: "严重失信主体名单", NameEn: "Serious dishonesty lists", Items: []string{"serious_dishonest_list", "court_defaulter"}},
	{Code: "commitments", Name: "信用承诺", NameEn: "Credit commitments", Items: []string{"credit_commitment"}},
	{Code: "evaluation", Name: "信用评价", NameEn: "Credit evaluation", Placeholder: true},
}

// SectionOf returns the code of the section an item is shown in, or "".
func SectionOf(item string) string {
	for _, s := range Sections {
		for _, it := range s.Items {
			if it == item {
				return s.Code
			}
		}
	}
	return ""
}

// MarkSource tells the engine which records carry workflow marks. The
// objection and repair workflows will provide one backed by storage.
type MarkSource interface {
	Marks(ctx context.Context, recordIDs []string) (map[string]Marks, error)
}

// NoMarks is the mark source while no workflow exists: nothing is marked.
type NoMarks struct{}

// Marks returns no marks.
func (NoMarks) Marks(context.Context, []string) (map[string]Marks, error) { return nil, nil }

// File decides every record chain of a subject for aud and returns the
// visible ones, newest decision first.
func (e *Engine) File(ctx context.Context, states []credit.State, subj *credit.Subject, aud Audience, ms MarkSource) ([]Decision, error) {
	if ms == nil {
		ms = NoMarks{}
	}
	ids := make([]string, 0, len(states))
	for _, st := range states {
		ids = append(ids, st.Origin)
	}
	marks, err := ms.Marks(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make([]Decision, 0, len(states))
	for i := len(states) - 1; i >= 0; i-- {
		d := e.Decide(states[i], subj, aud, marks[states[i].Origin])
		if d.Visible {
			out = append(out, d)
		}
	}
	return out, nil
}
