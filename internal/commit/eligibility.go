package commit

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/chinatime"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/publish"
)

// Reason is one ground of an answer: a stable code, its words in English
// and Chinese, and what it rests on (a record, a list entry, a
// commitment).
type Reason struct {
	Code      string `json:"code"`
	Message   string `json:"message"`
	MessageZh string `json:"message_zh"`
	Ref       string `json:"ref,omitempty"`
}

func reasonOf(code, ref string, t *credit.Text) Reason {
	return Reason{Code: code, Message: t.En, MessageZh: t.Zh, Ref: ref}
}

// Answer is whether a subject may be accepted on a commitment for a
// matter (容缺受理), with every reason, as kept under its ID.
type Answer struct {
	ID        string    `json:"id"`
	SubjectID string    `json:"subject_id"`
	Matter    string    `json:"matter"`
	At        time.Time `json:"at"`
	Eligible  bool      `json:"eligible"`
	// Reasons are the grounds of ineligibility, every one found.
	Reasons []Reason `json:"reasons"`
	// Notes are facts that were weighed and not counted: a record under
	// objection (measures based on it are suspended, 国发〔2016〕33号), a
	// repaired breach, a list entry under verification.
	Notes []Reason `json:"notes"`
	// Conditions are the matter's conditions, in words, and their basis.
	Conditions []Reason        `json:"conditions"`
	Basis      []catalog.Basis `json:"basis"`
}

// Summary is the answer's reasons in one line of each language.
func (a *Answer) Summary() *credit.Text {
	zh, en := make([]string, len(a.Reasons)), make([]string, len(a.Reasons))
	for i, r := range a.Reasons {
		zh[i], en[i] = r.MessageZh, r.Message
	}
	return &credit.Text{Zh: strings.Join(zh, "；"), En: strings.Join(en, "; ")}
}

// Eligibility answers whether subjectID may be accepted on a commitment
// for matter now, and keeps the answer under a new ID for whoever asked.
func (s *Service) Eligibility(ctx context.Context, a Actor, subjectID, matter string) (*Answer, error) {
	const op = "commit.Eligibility"
	if a.Role == credit.RoleSubject && a.Subject != subjectID {
		return nil, refuse(RefusedOtherSubject, credit.Say(op, credit.Permission, "信用主体账号只能查询本主体的承诺资格", "a subject account asks only about itself"))
	}
	subj, err := s.cfg.Store.Subject(ctx, subjectID)
	if err != nil {
		if credit.Is(credit.NotFound, err) {
			return nil, credit.Say(op, credit.NotFound, "信用主体%s未登记", "subject %s is not registered", subjectID)
		}
		return nil, credit.Wrap(op, credit.Other, err)
	}
	mc, err := s.cat.MatterCommitments(matter)
	if err != nil {
		return nil, credit.Wrap(op, credit.Invalid, err)
	}
	ans, err := s.judge(ctx, subj, matter, mc)
	if err != nil {
		return nil, err
	}
	ans.ID = credit.NewID()
	body, err := json.Marshal(ans)
	if err != nil {
		return nil, credit.Wrap(op, credit.Internal, err)
	}
	e := &credit.EligibilityCheck{ID: ans.ID, SubjectID: subjectID, Matter: matter, Actor: a.Name, Role: a.Role, Dept: a.Dept, At: ans.At, Eligible: ans.Eligible, Answer: body}
	if err := s.cfg.Store.AppendEligibility(ctx, e); err != nil {
		return nil, credit.Wrap(op, credit.Other, err)
	}
	s.log.Info("commitment eligibility answered", "answer", ans.ID, "subject", subjectID, "matter", matter, "eligible", ans.Eligible, "reasons", len(ans.Reasons))
	return ans, nil
}

// Answer returns a kept answer as it was given.
func (s *Service) Answer(ctx context.Context, id string) (*Answer, *credit.EligibilityCheck, error) {
	e, err := s.cfg.Store.Eligibility(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	var ans Answer
	if err := json.Unmarshal(e.Answer, &ans); err != nil {
		return nil, nil, credit.Wrap("commit.Answer", credit.Internal, err)
	}
	ans.ID = e.ID
	return &ans, e, nil
}

// judge weighs the matter's conditions against the subject's file now.
func (s *Service) judge(ctx context.Context, subj *credit.Subject, matter string, mc *catalog.MatterCommitments) (*Answer, error) {
	const op = "commit.judge"
	now := s.now()
	ans := &Answer{SubjectID: subj.ID, Matter: matter, At: now, Reasons: []Reason{}, Notes: []Reason{}, Conditions: []Reason{}, Basis: []catalog.Basis{}}
	no := func(code, ref string, t *credit.Text) { ans.Reasons = append(ans.Reasons, reasonOf(code, ref, t)) }
	note := func(code, ref string, t *credit.Text) { ans.Notes = append(ans.Notes, reasonOf(code, ref, t)) }
	cond := func(code string, t *credit.Text) { ans.Conditions = append(ans.Conditions, reasonOf(code, "", t)) }
	mname := s.matterName(matter)
	switch {
	case mc == nil:
		no(RefusedNotListed, "", credit.Says("“%[1]s”未列入信用承诺事项清单，不适用信用承诺", "%[2]s is not among the matters handled by commitment", mname, s.matterEn(matter)))
		return ans, nil
	case !mc.Allowed:
		no(RefusedNotAllowed, "", credit.Says("“%[1]s”不适用信用承诺：%[2]s", "%[4]s allows no commitment: %[3]s", mname, mc.Reason, mc.ReasonEn, s.matterEn(matter)))
		ans.Basis = mc.Basis
		return ans, nil
	}
	e := mc.Eligibility
	if e == nil {
		cond("none", credit.Says("该事项未设容缺受理条件", "the matter sets no conditions"))
		ans.Eligible = true
		ans.Basis = mc.Basis
		return ans, nil
	}
	ans.Basis = e.Basis
	if len(e.SubjectKinds) > 0 {
		labels := make([]string, len(e.SubjectKinds))
		for i, k := range e.SubjectKinds {
			labels[i] = catalog.SubjectKindLabel(k)
		}
		cond("subject_kinds", credit.Says("适用于%[1]s", "for %[2]s only", strings.Join(labels, "、"), kindsEn(e.SubjectKinds)))
		ok := false
		for _, k := range e.SubjectKinds {
			ok = ok || k == subj.Kind
		}
		if !ok {
			no("subject_kind", "", credit.Says("该事项的信用承诺仅适用于%[1]s，该主体为%[2]s", "commitments for this matter are for %[3]s only; the subject is %[4]s",
				strings.Join(labels, "、"), catalog.SubjectKindLabel(subj.Kind), kindsEn(e.SubjectKinds), subj.Kind))
		}
	}
	var file []credit.State
	var marks map[string]publishMarks
	if e.NoSeriousRecord || e.BreachYears > 0 {
		var err error
		if file, err = s.cfg.Records.File(ctx, subj.ID); err != nil {
			return nil, credit.Wrap(op, credit.Other, err)
		}
		if marks, err = s.marks(ctx, file); err != nil {
			return nil, err
		}
	}
	if e.NoSeriousRecord {
		cond("no_serious_record", credit.Says("无尚在公示期内的严重失信信息", "no 严重 (serious) 失信 record in force"))
		for _, st := range file {
			m := marks[st.Origin]
			w, ok := s.cfg.Publish.InForce(st, subj, m)
			if !ok || w.Severity != credit.SeveritySerious || now.Before(w.From) || (!w.MaxEnd.IsZero() && !now.Before(w.MaxEnd)) {
				continue
			}
			cur := &st.Current
			until := "长期"
			untilEn := "no fixed end"
			if !w.MaxEnd.IsZero() {
				until = dateStr(w.MaxEnd.AddDate(0, 0, -1))
				untilEn = until
			}
			item := s.itemName(cur.Item)
			if m.UnderObjection {
				note("serious_record_under_objection", st.Origin, credit.Says("%[1]s（%[2]s）正在异议核实中，核实期间不作为不予容缺受理的依据",
					"%[5]s %[2]s is under objection: while it is verified it does not count", item, cur.DocNo, "", "", s.itemEn(cur.Item)))
				continue
			}
			no("serious_record", st.Origin, credit.Says("有严重失信信息尚在公示期内：%[1]s（%[2]s，%[3]s），公示至%[4]s",
				"a 严重 (serious) 失信 record is in force: %[6]s %[2]s of %[5]s, published until %[7]s",
				item, cur.DocNo, s.deptName(cur.Dept), until, s.deptEn(cur.Dept), s.itemEn(cur.Item), untilEn))
		}
	}
	if len(e.NoListKinds) > 0 {
		var kz, ke []string
		for _, k := range e.NoListKinds {
			kz, ke = append(kz, listKindZh[k]), append(ke, string(k))
		}
		cond("no_list", credit.Says("未被列入%[1]s", "on no %[2]s list", strings.Join(kz, "、"), strings.Join(ke, " or ")))
		entries, err := s.cfg.Lists.SubjectEntries(ctx, subj.ID, now)
		if err != nil {
			return nil, credit.Wrap(op, credit.Other, err)
		}
		for _, le := range entries {
			lt, err := s.cat.List(le.List)
			if err != nil || !contains(e.NoListKinds, lt.Kind) {
				continue
			}
			if le.UnderVerification {
				note("listed_under_verification", le.EntryID, credit.Says("在%[1]s中的列入正在核实，核实期间不作为不予容缺受理的依据",
					"the entry on %[2]s is under verification: meanwhile it does not count", lt.Name, lt.NameEn))
				continue
			}
			until, untilEn := "移出之日", "until removed"
			if !le.Until.IsZero() {
				until = dateStr(le.Until.AddDate(0, 0, -1))
				untilEn = until
			}
			no("listed", le.EntryID, credit.Says("被列入%[1]s（%[2]s起，至%[3]s，决定书%[4]s）", "on %[5]s since %[2]s, until %[6]s (decision %[4]s)",
				lt.Name, dateStr(le.Since), until, le.DocNo, lt.NameEn, untilEn))
		}
	}
	if e.BreachYears > 0 {
		since := chinatime.Date(now).AddDate(-e.BreachYears, 0, 0)
		cond("no_breach", credit.Says("近%d年内无违背信用承诺的记录", "no broken commitment in the last %d years", e.BreachYears))
		for _, st := range file {
			if st.Revoked {
				continue
			}
			cur := &st.Current
			for _, b := range s.cat.Commitments.Breaches {
				if b.Item != cur.Item || !b.Holds(cur.Fields) {
					continue
				}
				on, err := catalog.ParseDate(cur.Fields[b.DateField])
				if err != nil {
					on = cur.DecidedOn
				}
				if on.Before(since) {
					continue
				}
				m := marks[st.Origin]
				switch {
				case m.Repaired:
					note("breach_repaired", st.Origin, credit.Says("违诺信息%[1]s已完成信用修复，不再使用", "the breach %[1]s was repaired and is no longer used", cur.DocNo))
				case m.UnderObjection:
					note("breach_under_objection", st.Origin, credit.Says("违诺信息%[1]s正在异议核实中，核实期间不作为依据", "the breach %[1]s is under objection: meanwhile it does not count", cur.DocNo))
				default:
					no("breach", st.Origin, credit.Says("%[1]s曾违背信用承诺（%[2]s，%[3]s认定），未满%[4]d年", "broke a commitment on %[1]s (%[2]s, found by %[5]s), less than %[4]d years ago",
						dateStr(on), cur.DocNo, s.deptName(cur.Dept), e.BreachYears, s.deptEn(cur.Dept)))
				}
			}
		}
	}
	if e.NoOverdue {
		cond("no_overdue", credit.Says("无逾期未履行的信用承诺", "no overdue commitment"))
		od, err := s.cfg.Store.Commitments(ctx, credit.CommitmentFilter{SubjectID: subj.ID, States: []string{StateOverdue}})
		if err != nil {
			return nil, credit.Wrap(op, credit.Other, err)
		}
		for _, c := range od {
			no("overdue", c.ID, credit.Says("信用承诺%[1]s（%[2]s）已于%[3]s逾期，尚未履行", "commitment %[1]s (%[4]s) has been overdue since %[3]s",
				c.Code, s.matterName(c.Matter), dateStr(c.Due), s.matterEn(c.Matter)))
		}
	}
	ans.Eligible = len(ans.Reasons) == 0
	return ans, nil
}

// publishMarks are the workflows' marks as the publication engine reads
// them.
type publishMarks = publish.Marks

func (s *Service) marks(ctx context.Context, file []credit.State) (map[string]publishMarks, error) {
	ids := make([]string, len(file))
	for i, st := range file {
		ids[i] = st.Origin
	}
	m, err := s.cfg.Marks.Marks(ctx, ids)
	if err != nil {
		return nil, credit.Wrap("commit.marks", credit.Other, err)
	}
	if m == nil {
		m = map[string]publishMarks{}
	}
	return m, nil
}

func (s *Service) itemName(code string) string {
	if it, err := s.cat.Item(code); err == nil {
		return it.Name
	}
	return code
}

var listKindZh = map[catalog.ListKind]string{
	catalog.ListBlack:    "严重失信主体名单",
	catalog.ListWatch:    "重点关注名单",
	catalog.ListAbnormal: "经营异常名录",
	catalog.ListRed:      "诚信典型名单",
}

func kindsEn(ks []credit.SubjectKind) string {
	out := make([]string, len(ks))
	for i, k := range ks {
		switch k {
		case credit.Organisation:
			out[i] = "organisations"
		case credit.IndividualBusiness:
			out[i] = "individual businesses"
		case credit.Person:
			out[i] = "natural persons"
		default:
			out[i] = string(k)
		}
	}
	return strings.Join(out, ", ")
}

func contains[T comparable](xs []T, x T) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}
