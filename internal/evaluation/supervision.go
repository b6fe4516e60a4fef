package evaluation

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/credit"
)

// ClassAnswer is a subject's supervision class for a department's matter
// (分级分类监管), with every reason it rests on.
type ClassAnswer struct {
	SubjectID string `json:"subject_id"`
	Dept      string `json:"dept"`
	Matter    string `json:"matter"`
	Class     string `json:"class"`
	Name      string `json:"name"`
	NameEn    string `json:"name_en"`
	// Ratio is the share of the class inspected in 双随机 draws (0..1);
	// PerYear how often.
	Ratio     float64 `json:"ratio"`
	PerYear   int     `json:"per_year"`
	KeyTarget bool    `json:"key_target"`
	// The evaluation the class rests on.
	Model       string    `json:"model_version"`
	Score       float64   `json:"score"`
	Grade       string    `json:"grade"`
	GradeName   string    `json:"grade_name"`
	GradeNameEn string    `json:"grade_name_en"`
	At          time.Time `json:"at"`
	Reasons     []Reason  `json:"reasons"`
	Basis       []Basis   `json:"basis"`
	// Evaluation is the full explanation of the score.
	Evaluation *Result `json:"evaluation"`
}

// Reason is one ground of a class answer.
type Reason struct {
	Code      string `json:"code"`
	Message   string `json:"message"`
	MessageZh string `json:"message_zh"`
	Ref       string `json:"ref,omitempty"`
}

// Class answers a department's systems: the supervision class of
// subjectID for dept's matter, from the department's mapping in the
// active model, the subject's evaluation now, its list entries (key
// targets) and its industry evaluation records. NotFound when the
// department maps nothing for the matter or the subject is unknown.
func (s *Service) Class(ctx context.Context, dept, matter, subjectID string) (*ClassAnswer, error) {
	const op = "evaluation.Class"
	m := s.Model()
	if m == nil {
		return nil, s.errNoModel(op)
	}
	sup := m.SupervisionFor(dept, matter)
	if sup == nil {
		return nil, credit.Say(op, credit.NotFound, "部门%[1]s未就事项%[2]s设定分级分类监管规则", "department %[1]s sets no graded supervision for matter %[2]s", dept, matter)
	}
	subj, err := s.cfg.Store.Subject(ctx, subjectID)
	if err != nil {
		return nil, err
	}
	in, err := s.input(ctx, subj)
	if err != nil {
		return nil, credit.Wrap(op, credit.Other, err)
	}
	sc := s.current()
	if sc == nil {
		return nil, s.errNoModel(op)
	}
	res := sc.Evaluate(in)
	a := classify(sup, s.cfg.Catalog, in, res)
	a.Matter = matter
	return a, nil
}

func classify(sup *Supervision, cat *catalog.Catalog, in Input, res *Result) *ClassAnswer {
	a := &ClassAnswer{SubjectID: in.Subject.ID, Dept: sup.Dept, Matter: "", Model: res.Model, Score: res.Score, Grade: res.Grade,
		GradeName: res.GradeName, GradeNameEn: res.GradeNameEn, At: res.At, Basis: sup.Basis, Evaluation: res, Reasons: []Reason{}}
	say := func(code, ref, zh, en string) {
		a.Reasons = append(a.Reasons, Reason{Code: code, Ref: ref, MessageZh: zh, Message: en})
	}
	if res.Evaluated {
		say("grade", "", "公共信用综合评价"+res.Grade+"（"+res.GradeName+"），得分"+trimFloat(res.Score)+"，模型版本"+res.Model,
			"public credit evaluation "+res.Grade+" ("+res.GradeNameEn+"), score "+trimFloat(res.Score)+", model version "+res.Model)
	} else {
		say("not_evaluated", "", res.Why, res.WhyEn)
	}
	if kt := sup.KeyTargets; kt != nil {
		for _, e := range in.Entries {
			lt, err := cat.List(e.List)
			if err != nil || e.UnderVerification {
				continue
			}
			if !slices.Contains(kt.Lists, e.List) && !slices.Contains(kt.Lists, string(lt.Kind)) {
				continue
			}
			a.Class, a.Name, a.NameEn, a.Ratio, a.PerYear, a.KeyTarget = kt.Code, kt.Name, kt.NameEn, kt.Ratio, kt.PerYear, true
			say("key_target", e.EntryID, "列入"+lt.Name+"（决定书"+e.DocNo+"），列为"+kt.Name, "on "+lt.NameEn+" (decision "+e.DocNo+"): "+kt.NameEn)
			return a
		}
	}
	latest := map[string]*credit.State{}
	for i := range in.File {
		st := &in.File[i]
		if st.Current.Item != IndustryItem || st.Revoked {
			continue
		}
		k := strings.TrimSpace(st.Current.Fields[IndustryKindField])
		if p := latest[k]; p == nil || st.Current.DecidedOn.After(p.Current.DecidedOn) {
			latest[k] = st
		}
	}
	for _, c := range sup.Classes {
		if c.Industry != nil {
			st := latest[c.Industry.Kind]
			if st == nil {
				continue
			}
			v := strings.TrimSpace(st.Current.Fields[IndustryResultField])
			if !slices.Contains(c.Industry.Results, v) {
				continue
			}
			a.Class, a.Name, a.NameEn, a.Ratio, a.PerYear = c.Code, c.Name, c.NameEn, c.Ratio, c.PerYear
			say("industry", st.Origin, c.Industry.Kind+"为"+v+"（"+st.Current.DocNo+"），列为"+c.Name, c.Industry.Kind+" is "+v+" ("+st.Current.DocNo+"): "+c.NameEn)
			return a
		}
		if res.Evaluated && slices.Contains(c.Grades, res.Grade) {
			a.Class, a.Name, a.NameEn, a.Ratio, a.PerYear = c.Code, c.Name, c.NameEn, c.Ratio, c.PerYear
			say("class", "", "评价等级"+res.Grade+"对应"+c.Name+"，抽查比例"+pct(c.Ratio), "grade "+res.Grade+" maps to "+c.NameEn+", inspection ratio "+pct(c.Ratio))
			return a
		}
	}
	say("no_class", "", "没有适用的监管类别", "no class applies")
	return a
}

func trimFloat(f float64) string {
	return strings.TrimRight(strings.TrimRight(strconvF(f), "0"), ".")
}

func strconvF(f float64) string { return strconv.FormatFloat(f, 'f', 2, 64) }

func pct(r float64) string { return strconv.FormatFloat(r*100, 'f', -1, 64) + "%" }
