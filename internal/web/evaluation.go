package web

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/xinyong/xinyong/internal/chinatime"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/evaluation"
)

// The evaluation section's messages, merged into messages at start-up.
func init() {
	for lang, m := range evMessages {
		for k, v := range m {
			messages[lang][k] = v
		}
	}
}

var evMessages = map[string]map[string]string{
	"zh": {
		"ev_grade":         "信用等级",
		"ev_score":         "综合得分",
		"ev_model":         "评价模型版本",
		"ev_kind":          "评价主体类别",
		"ev_at":            "评价时间",
		"ev_indicator":     "指标",
		"ev_points":        "得分",
		"ev_weight":        "满分",
		"ev_contributions": "逐条记录的影响",
		"ev_record":        "信息",
		"ev_doc":           "文号",
		"ev_date":          "日期",
		"ev_how":           "计分",
		"ev_effect":        "影响",
		"ev_capped":        "（已达上限）",
		"ev_history":       "等级变化",
		"ev_from_to":       "变化",
		"ev_reason":        "原因",
		"ev_not_evaluated": "未参与评价",
		"ev_note":          "评价依据：国办发〔2019〕35号 二（六）（七）；《中共中央办公厅 国务院办公厅关于健全社会信用体系的意见》（十四）。得分等于各指标得分之和，每条记录的影响逐条列明；对评价有异议的，可对所依据的信息提出异议，信息更正后重新评价。",
		"ev_not_public":    "信用评价结果不向社会公开，仅向信用主体本身和政府部门展示。",
	},
	"en": {
		"ev_grade":         "Grade",
		"ev_score":         "Score",
		"ev_model":         "Model version",
		"ev_kind":          "Evaluated as",
		"ev_at":            "Evaluated at",
		"ev_indicator":     "Indicator",
		"ev_points":        "Points",
		"ev_weight":        "Of",
		"ev_contributions": "Effect of each record",
		"ev_record":        "Information",
		"ev_doc":           "Document",
		"ev_date":          "Date",
		"ev_how":           "How scored",
		"ev_effect":        "Effect",
		"ev_capped":        "(cap reached)",
		"ev_history":       "Grade changes",
		"ev_from_to":       "Change",
		"ev_reason":        "Reason",
		"ev_not_evaluated": "Not evaluated",
		"ev_note":          "Basis: 国办发〔2019〕35号 II (6)(7); the 2025 opinion on the social credit system (14). The score is the sum of the indicators' points, each record's effect listed; to contest the evaluation, object to the information it rests on: a corrected record is evaluated again.",
		"ev_not_public":    "Evaluation results are not public: shown to the subject itself and government units only.",
	},
}

// evalView is the evaluation section of a subject page.
type evalView struct {
	Evaluated            bool
	Grade, GradeName     string
	Score, Total         string
	Model, Kind, At, Why string
	Public               bool
	Indicators           []evalIndicator
	History              []evalChange
	T                    map[string]string
}

type evalIndicator struct {
	Code, Name, Points, Weight string
	Leaf                       bool
	Contributions              []evalContribution
}

type evalContribution struct {
	Ref, What, Doc, Date, How, Effect string
	Capped                            bool
}

type evalChange struct {
	At, Change, Model, Reason string
}

// mayReadEvaluation says whether the account sees s's evaluation: the
// subject itself and government roles always, anyone when the model
// publishes grades.
func mayReadEvaluation(a *credit.Account, s *credit.Subject, public bool) bool {
	if public && s.Kind != credit.Person {
		return true
	}
	if a == nil {
		return false
	}
	switch a.Role {
	case credit.RoleAdmin, credit.RoleReviewer, credit.RoleDept, credit.RoleAuditor:
		return true
	case credit.RoleSubject:
		return a.Subject == s.ID
	}
	return false
}

func (p *Portal) evaluationView(ctx context.Context, s *credit.Subject, v *view) (*evalView, error) {
	ev := p.cfg.Evaluation
	if ev == nil || ev.Model() == nil || !mayReadEvaluation(v.Account, s, ev.Public()) {
		return nil, nil
	}
	res, err := ev.Evaluate(ctx, s.ID)
	if err != nil {
		return nil, err
	}
	en := v.Lang == "en"
	pick := func(zh, e string) string {
		if en && e != "" {
			return e
		}
		return zh
	}
	out := &evalView{Evaluated: res.Evaluated, Grade: res.Grade, GradeName: pick(res.GradeName, res.GradeNameEn),
		Score: pts(res.Score), Total: pts(res.Total), Model: res.Model, Kind: pick(res.KindName, res.KindNameEn),
		At: res.At.In(chinatime.Location).Format("2006-01-02 15:04"), Why: pick(res.Why, res.WhyEn), Public: ev.Public(), T: v.T}
	for _, is := range res.Indicators {
		ei := evalIndicator{Code: is.Code, Name: pick(is.Name, is.NameEn), Points: pts(is.Points), Weight: pts(is.Weight), Leaf: is.Leaf}
		for _, c := range is.Contributions {
			what := ""
			if c.Item != "" {
				what = v.N.Item(c.Item)
			} else {
				what = v.N.List(c.List)
			}
			ec := evalContribution{Ref: c.Ref, What: what, Doc: c.DocNo, How: pick(c.Why, c.WhyEn), Effect: signedPts(c.Points), Capped: c.Capped}
			if !c.DecidedOn.IsZero() {
				ec.Date = c.DecidedOn.In(chinatime.Location).Format(time.DateOnly)
			}
			ei.Contributions = append(ei.Contributions, ec)
		}
		out.Indicators = append(out.Indicators, ei)
	}
	hist, err := ev.History(ctx, s.ID)
	if err != nil {
		return nil, err
	}
	for _, h := range hist {
		from := h.FromGrade
		if from == "" {
			from = "—"
		}
		out.History = append(out.History, evalChange{At: h.At.In(chinatime.Location).Format("2006-01-02 15:04"),
			Change: from + " → " + h.ToGrade + "（" + pts(evaluation.Points(h.ToScore)) + "）", Model: h.Model, Reason: evalReason(h.Reason, v.Lang == "en")})
	}
	return out, nil
}

// evalReasonKinds names the kinds of change that re-evaluate a subject,
// as the evaluation's follower records them ("<kind> <ID>").
var evalReasonKinds = map[credit.ChangeKind][2]string{
	credit.ChangeRecord:       {"信用信息报送、更正或撤销", "a record reported, corrected or revoked"},
	credit.ChangeSubject:      {"主体登记信息变化", "registration data changed"},
	credit.ChangeListEvent:    {"名单列入、移出或变更", "a list entry added, removed or changed"},
	credit.ChangeVerification: {"信息核查标注", "a verification mark"},
	credit.ChangeCase:         {"异议或信用修复办理", "an objection or repair decided"},
	credit.ChangeCommitment:   {"信用承诺状态变化", "a commitment's state changed"},
	credit.ChangeDeclaration:  {"自主申报信息变化", "self-declared information changed"},
}

// evalReason says in the page's language why a grade changed: the
// evaluation keeps its reasons as plain codes (the first evaluation, a
// change of the feed, a time step, a model version activated).
func evalReason(r string, en bool) string {
	pick := func(zh, e string) string {
		if en {
			return e
		}
		return zh
	}
	switch {
	case r == "initial evaluation":
		return pick("首次评价", "first evaluation")
	case strings.HasPrefix(r, "time:"):
		return pick("期限届满（公示期、分值衰减或名单期限）", "a period ended (publication window, decay step or list period)")
	case strings.HasPrefix(r, "model version "):
		v, by, _ := strings.Cut(strings.TrimPrefix(r, "model version "), " activated by ")
		return pick("评价模型"+v+"启用（"+by+"）", "model version "+v+" activated by "+by)
	}
	kind, _, _ := strings.Cut(r, " ")
	if n, ok := evalReasonKinds[credit.ChangeKind(kind)]; ok {
		return pick(n[0], n[1])
	}
	return r
}

func pts(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

func signedPts(f float64) string {
	if f > 0 {
		return "+" + pts(f)
	}
	return pts(f)
}
