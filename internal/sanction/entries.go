package sanction

import (
	"context"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/chinatime"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/publish"
	"github.com/xinyong/xinyong/internal/uscc"
)

// Actor is who acts on a list entry.
type Actor = credit.Actor

// Entry is the current state of one list entry, derived from its events.
type Entry struct {
	ID        string             `json:"id"`
	List      string             `json:"list"`
	SubjectID string             `json:"subject_id"`
	State     credit.ListStep    `json:"state"`
	Detail    credit.EntryDetail `json:"detail"`
	DocNo     string             `json:"decision_doc,omitempty"` // the decision document number
	NoticeDoc string             `json:"notice_doc,omitempty"`
	Seq       int64              `json:"version"` // newest event's data version
	// DecidedDept is the department that recorded the decision.
	DecidedDept string `json:"decided_dept,omitempty"`
	// Unit is the unit the entry belongs to: the deciding department once
	// decided, the proposing one before; "" for the platform's own (the
	// credit office's). Only it, or a unit that oversees it, changes it.
	Unit string `json:"unit,omitempty"`
	// Events is the entry's history, oldest first. Entries from the
	// hit-check index (Entries) leave it empty: Entry reads it.
	Events []credit.ListEvent `json:"events,omitempty"`
}

// Active reports whether the entry lists its subject at t: decided, and
// not past its period. An entry past its period is no longer in force even
// before the removal event is written.
func (e *Entry) Active(t time.Time) bool { return inForce(e.State, e.Detail.Until, t) }

// inForce is Active on an entry's state and end: the one rule for the
// entry, its encoded head (entryHead) and its memberships in the snapshot.
func inForce(state credit.ListStep, until, t time.Time) bool {
	return state == credit.StepDecided && (until.IsZero() || t.Before(until))
}

// Derive folds list events into entries, in order of first event.
func Derive(events []credit.ListEvent) []*Entry {
	sorted := slices.Clone(events)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Seq < sorted[j].Seq })
	byID := make(map[string]*Entry)
	var order []*Entry
	for _, ev := range sorted {
		e := byID[ev.EntryID]
		if e == nil {
			e = &Entry{ID: ev.EntryID, List: ev.List, SubjectID: ev.SubjectID}
			byID[ev.EntryID] = e
			order = append(order, e)
		}
		apply(e, ev)
	}
	return order
}

// apply folds one event into an entry. The first event carries the whole
// detail: a proposal, or the decision of an entry reported from outside.
func apply(e *Entry, ev credit.ListEvent) {
	first := e.State == ""
	e.Events = append(e.Events, ev)
	e.State, e.Seq = ev.Step, ev.Seq
	d := ev.Detail
	if first {
		e.Detail, e.Unit = d, ev.Dept
	}
	switch ev.Step {
	case credit.StepProposed:
		e.Detail = d
	case credit.StepNoticed:
		e.NoticeDoc = ev.DocNo
		e.Detail.Rights, e.Detail.ObjectionDeadline, e.Detail.DeadlineProvisional = d.Rights, d.ObjectionDeadline, d.DeadlineProvisional
	case credit.StepDecided:
		e.DocNo, e.DecidedDept = ev.DocNo, ev.Dept
		if ev.Detail.OnBehalfOf == "" {
			e.Unit = ev.Dept
		}
		e.Detail.Measures, e.Detail.Exit, e.Detail.Remedies = d.Measures, d.Exit, d.Remedies
		e.Detail.Since, e.Detail.Until = d.Since, d.Until
		if d.Grounds != "" {
			e.Detail.Grounds = d.Grounds
		}
	case credit.StepRemoved:
		e.Detail.RemovalReason, e.Detail.Note = d.RemovalReason, d.Note
	}
}

// PersonInput is a responsible person as given by an officer: the ID
// number is sealed into a keyed hash and a masked form at once.
type PersonInput struct {
	Role string `json:"role"`
	Name string `json:"name"`
	IDNo string `json:"id_no,omitempty"`
}

// PersonRoles are the roles measures reach (落实到人).
var PersonRoles = []string{"法定代表人", "主要负责人", "实际控制人"}

// Proposal proposes a subject for a list.
type Proposal struct {
	List         string        `json:"-"`
	SubjectID    string        `json:"subject_id"`
	BasisRecords []string      `json:"basis_records"`
	Grounds      string        `json:"grounds"`
	Persons      []PersonInput `json:"persons,omitempty"`
	Note         string        `json:"note,omitempty"`
}

// Propose validates a proposal against the list's criteria and records it.
// A proposal outside the criteria is refused (Invalid) with the reason.
func (s *Service) Propose(ctx context.Context, a Actor, p Proposal) (*Entry, error) {
	const op = "sanction.Propose"
	lt, err := s.Catalog.List(p.List)
	if err != nil {
		return nil, credit.Wrap(op, credit.Invalid, err)
	}
	if err := s.mayDecide(a, lt); err != nil {
		return nil, credit.Wrap(op, credit.Other, err)
	}
	if lt.Reported != nil && lt.Reported.Only {
		return nil, credit.Say(op, credit.Invalid, "%[1]s（%[2]s）由%[3]s在本部门系统中认定：名单条目来自其报送的信息（%[5]s），本平台不受理列入申请",
			"%[1]s（%[2]s）is decided by %[3]s in its own system: its entries come from the records it reports (%[4]s), not from proposals on the platform",
			lt.Name, lt.Code, s.Catalog.DeptKindName(lt.DecidingUnit), strings.Join(lt.Reported.Items, ", "), s.itemsZh(lt.Reported.Items))
	}
	if strings.TrimSpace(p.Grounds) == "" {
		return nil, credit.Say(op, credit.Invalid, "请填写列入事由", "state the grounds (事由) of the listing")
	}
	subj, err := s.Store.Subject(ctx, p.SubjectID)
	if err != nil {
		if credit.Is(credit.NotFound, err) {
			return nil, credit.Say(op, credit.Invalid, "信用主体“%s”未登记", "subject %q is not registered", p.SubjectID)
		}
		return nil, credit.Wrap(op, credit.Other, err)
	}
	if !slices.Contains(lt.SubjectKinds, subj.Kind) {
		return nil, credit.Say(op, credit.Invalid, "%[1]s（%[2]s）不列入%[4]s", "%[1]s (%[2]s) cannot take a subject of kind %[3]s",
			lt.Name, lt.Code, subj.Kind, catalog.SubjectKindLabel(subj.Kind))
	}
	origins, err := s.checkBasis(ctx, op, lt, subj.ID, p.BasisRecords)
	if err != nil {
		return nil, err
	}
	if lt.Bar != nil {
		if why, err := s.barHolds(ctx, subj.ID, lt); err != nil {
			return nil, credit.Wrap(op, credit.Other, err)
		} else if why != nil {
			return nil, credit.Say(op, credit.Conflict, "%[1]s不能列入%[2]s（%[3]s）：%[6]s（%[5]s）", "%[1]s cannot be put on %[2]s（%[3]s）: %[4]s (%[5]s)",
				subj.ID, lt.Name, lt.Code, why.En, lt.Bar.Text, why.Zh)
		}
	}
	persons, err := s.persons(op, p.Persons)
	if err != nil {
		return nil, err
	}
	// One open entry per subject and list.
	events, err := s.Store.SubjectListEvents(ctx, subj.ID)
	if err != nil {
		return nil, credit.Wrap(op, credit.Other, err)
	}
	now := s.now()
	for _, e := range Derive(events) {
		if e.List == lt.Code && (e.State == credit.StepProposed || e.State == credit.StepNoticed || e.Active(now)) {
			return nil, credit.Say(op, credit.Conflict, "%[1]s在%[5]s已有未办结的条目%[2]s（%[6]s）", "subject %[1]s already has an open entry %[2]s on %[3]s (state %[4]s)",
				subj.ID, e.ID, lt.Code, e.State, listZh(lt), stepZh(e.State))
		}
	}
	basis := make([]string, 0, len(lt.Basis))
	for _, b := range lt.Basis {
		basis = append(basis, b.String())
	}
	ev := &credit.ListEvent{
		ID: credit.NewID(), EntryID: credit.NewID(), List: lt.Code, SubjectID: subj.ID,
		Step: credit.StepProposed, Actor: a.Name, Dept: a.Dept, At: now,
		Detail: credit.EntryDetail{
			BasisRecords: origins, Persons: persons, Grounds: strings.TrimSpace(p.Grounds), Basis: basis,
			SubjectName: subj.Name, FormerNames: subj.FormerNames, SubjectKind: subj.Kind, Note: p.Note,
		},
	}
	return s.append(ctx, op, ev, 0)
}

// checkBasis checks the basis records: each exists, belongs to the subject,
// is not revoked, and is of an item (and severity) the list's criteria
// allow. It returns the chains' origin IDs, which verification marks name.
func (s *Service) checkBasis(ctx context.Context, op string, lt *catalog.ListType, subjectID string, ids []string) ([]string, error) {
	if len(ids) == 0 {
		return nil, credit.Say(op, credit.Invalid, "列入%[3]s须有至少一条依据信息（%[2]s）", "a listing on %[1]s needs at least one basis record (%[2]s)",
			lt.Code, lt.Criteria.Text, listZh(lt))
	}
	facts, err := s.Store.RecordsBySubject(ctx, subjectID)
	if err != nil {
		return nil, credit.Wrap(op, credit.Other, err)
	}
	chains := credit.Derive(facts)
	var origins []string
	for _, id := range ids {
		var st *credit.State
		for i := range chains {
			for _, f := range chains[i].History {
				if f.ID == id {
					st = &chains[i]
				}
			}
		}
		if st == nil {
			return nil, credit.Say(op, credit.Invalid, "依据信息%s不是信用主体%s的信息", "basis record %s is not a record of subject %s", id, subjectID)
		}
		cur := st.Current
		if st.Revoked {
			return nil, credit.Say(op, credit.Invalid, "依据信息%s已被撤销，不能作为列入依据", "basis record %s has been revoked and cannot ground a listing", id)
		}
		sev := credit.SeverityNone
		if it, err := s.Catalog.Item(cur.Item); err == nil {
			// The record's one classification, never the stored copy.
			sev = publish.WindowOf(s.Catalog, it, &cur, nil).Severity
		}
		if len(lt.Criteria.Items) > 0 && !slices.Contains(lt.Criteria.Items, cur.Item) {
			return nil, credit.Say(op, credit.Invalid, "依据信息%[1]s是%[5]s；%[6]s只接受%[7]s", "basis record %[1]s is a %[2]s record; %[3]s accepts only %[4]s",
				id, cur.Item, lt.Code, strings.Join(lt.Criteria.Items, ", "), s.itemZh(cur.Item), listZh(lt), s.itemsZh(lt.Criteria.Items))
		}
		if sevs := lt.Criteria.SeveritiesFor(cur.Item); len(sevs) > 0 && !slices.Contains(sevs, sev) {
			name, nameZh := string(sev), string(sev)
			if name == "" {
				name, nameZh = "unclassified", "未分级"
			}
			return nil, credit.Say(op, credit.Invalid, "依据信息%[1]s是失信程度为%[7]s的%[6]s；%[8]s要求失信程度为%[9]s",
				"basis record %[1]s is a %[2]s record of severity %[3]s; %[4]s requires %[5]s",
				id, cur.Item, name, lt.Code, severities(sevs), s.itemZh(cur.Item), nameZh, listZh(lt), severitiesZh(sevs))
		}
		if !slices.Contains(origins, st.Origin) {
			origins = append(origins, st.Origin)
		}
	}
	return origins, nil
}

func severities(ss []credit.Severity) string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = string(s)
	}
	return strings.Join(out, " or ")
}

// persons seals responsible persons' ID numbers.
func (s *Service) persons(op string, in []PersonInput) ([]credit.ResponsiblePerson, error) {
	var out []credit.ResponsiblePerson
	for i, p := range in {
		role, name := strings.TrimSpace(p.Role), strings.TrimSpace(p.Name)
		if !slices.Contains(PersonRoles, role) {
			return nil, credit.Say(op, credit.Invalid, "第%[1]d位责任人：身份须为%[4]s之一，不能为“%[3]s”", "person %[1]d: role must be one of %[2]s, not %[3]q",
				i+1, strings.Join(PersonRoles, ", "), role, strings.Join(PersonRoles, "、"))
		}
		if name == "" {
			return nil, credit.Say(op, credit.Invalid, "第%d位责任人（%s）：请填写姓名", "person %d (%s): name is required", i+1, role)
		}
		rp := credit.ResponsiblePerson{Role: role, Name: name}
		if idno := strings.TrimSpace(p.IDNo); idno != "" {
			res := uscc.CheckResidentID(idno)
			if res.Status == uscc.Invalid {
				return nil, credit.Say(op, credit.Invalid, "第%[1]d位责任人（%[2]s）：居民身份证号码无效：%[4]s", "person %[1]d (%[2]s): invalid resident ID number: %[3]s",
					i+1, role, res.Reason(), res.ReasonZh())
			}
			if s.Sealer == nil {
				return nil, credit.E(op, credit.Unavailable, "no data key configured: ID numbers cannot be sealed")
			}
			sealed, err := s.Sealer.Seal(res.Code)
			if err != nil {
				return nil, credit.Wrap(op, credit.Internal, err)
			}
			rp.IDHash, rp.IDMasked, rp.IDCipher = s.Sealer.Hash(res.Code), uscc.MaskResidentID(res.Code), sealed
		}
		out = append(out, rp)
	}
	return out, nil
}

// mayDecide: the credit office (reviewer, admin) or a department of the
// list's deciding unit (谁认定).
func (s *Service) mayDecide(a Actor, lt *catalog.ListType) error {
	switch a.Role {
	case credit.RoleAdmin, credit.RoleReviewer:
		return nil
	case credit.RoleDept:
		d, err := s.Catalog.Department(a.Dept)
		if err == nil && d.Kind == lt.DecidingUnit {
			return nil
		}
		return credit.Say("", credit.Permission, "%[4]s不是%[5]s的认定单位（%[6]s）", "department %[1]q is not a deciding unit (%[2]s) of %[3]s",
			a.Dept, lt.DecidingUnit, lt.Code, s.deptZh(a.Dept), listZh(lt), s.Catalog.DeptKindName(lt.DecidingUnit))
	}
	return credit.Say("", credit.Permission, "只有信用办或名单的认定单位可以办理名单认定", "role %s may not decide on lists", a.Role)
}

// Entry returns the current state of an entry.
func (s *Service) Entry(ctx context.Context, id string) (*Entry, error) {
	events, err := s.Store.EntryEvents(ctx, id)
	if err != nil {
		return nil, err
	}
	if len(events) == 0 {
		return nil, credit.Say("sanction.Entry", credit.NotFound, "名单条目“%s”不存在", "list entry %q not found", id)
	}
	return Derive(events)[0], nil
}

// SubjectHistory returns every entry of a subject, in any state, with
// its events.
func (s *Service) SubjectHistory(ctx context.Context, subjectID string) ([]*Entry, error) {
	events, err := s.Store.SubjectListEvents(ctx, subjectID)
	if err != nil {
		return nil, err
	}
	return Derive(events), nil
}

// Entries returns the entries of a list (all lists when list is ""),
// newest change first, from offset, at most limit (default 100), without
// their histories (Entry reads one), and how many the list holds in all.
func (s *Service) Entries(ctx context.Context, list string, offset, limit int) ([]*Entry, int, error) {
	if list != "" {
		if _, err := s.Catalog.List(list); err != nil {
			return nil, 0, err
		}
	}
	if offset < 0 {
		return nil, 0, credit.Say("sanction.Entries", credit.Invalid, "起始位置不能为负数（%d）", "offset %d is negative", offset)
	}
	if limit <= 0 {
		limit = 100
	}
	es, total := s.index.listEntries(list, offset, limit, nil)
	return es, total, nil
}

// ListedCounts counts, by list code, the entries in force at t: the
// console's chart, without decoding every entry.
// A red-list entry whose bar holds is not counted, as it is neither
// published nor rewarded.
func (s *Service) ListedCounts(t time.Time) map[string]int {
	out := s.index.listedCounts(t)
	red := map[string]int{}
	for _, lt := range s.Catalog.Lists {
		if lt.Bar != nil {
			red[lt.Code] = 0
		}
	}
	snap := s.index.load()
	for _, b := range s.index.entryRefs(red, func(h *entryHead) bool { return h.active(t) }) {
		if e := decodeEntry(b); !s.entryApplies(snap, e, t) {
			out[e.List]--
		}
	}
	return out
}

// NoticeInput is the notice to the subject (告知).
type NoticeInput struct {
	DocNo  string `json:"doc_no"`
	Rights string `json:"rights,omitempty"`
}

// Notice records that the subject was told the grounds, the basis, its
// rights and the objection deadline, counted in working days from now.
func (s *Service) Notice(ctx context.Context, a Actor, entryID string, in NoticeInput) (*Entry, error) {
	const op = "sanction.Notice"
	e, lt, err := s.load(ctx, op, a, entryID)
	if err != nil {
		return nil, err
	}
	onBehalf, err := s.mayChange(op, a, e, false)
	if err != nil {
		return nil, err
	}
	if e.State != credit.StepProposed {
		return nil, credit.Say(op, credit.Conflict, "条目%[1]s当前为“%[3]s”：只有拟列入的条目可以告知", "entry %[1]s is %[2]s; only a proposed entry can be noticed",
			e.ID, e.State, stepZh(e.State))
	}
	if strings.TrimSpace(in.DocNo) == "" {
		return nil, credit.Say(op, credit.Invalid, "请填写告知书文号（doc_no）", "give the notice's document number (doc_no)")
	}
	now := s.now()
	// The objection period ends at 24:00 China time of its last working
	// day, on the platform's one calendar; a year it lacks is refused.
	due, err := s.cfg.Calendar.Due(now, lt.ObjectionWorkdays)
	if err != nil {
		return nil, credit.Wrap(op, credit.Other, err)
	}
	rights := strings.TrimSpace(in.Rights)
	if rights == "" {
		rights = "当事人有权自告知之日起" + strconv.Itoa(lt.ObjectionWorkdays) + "个工作日内（截至" + due.String() + "24时）提出异议，进行陈述和申辩。"
	}
	ev := &credit.ListEvent{
		ID: credit.NewID(), EntryID: e.ID, List: e.List, SubjectID: e.SubjectID, Step: credit.StepNoticed,
		Actor: a.Name, Dept: a.Dept, At: now, DocNo: strings.TrimSpace(in.DocNo),
		Detail: credit.EntryDetail{Rights: rights, ObjectionDeadline: due.End(), DeadlineProvisional: due.Provisional, OnBehalfOf: onBehalf},
	}
	return s.append(ctx, op, ev, e.Seq)
}

// DecisionInput is the decision document (认定决定书).
type DecisionInput struct {
	DocNo    string    `json:"doc_no"`
	Grounds  string    `json:"grounds,omitempty"`  // 事由; defaults to the proposal's
	Remedies string    `json:"remedies,omitempty"` // 救济措施; a default is given
	Since    time.Time `json:"since,omitempty"`    // start of the period; default now
}

// Decide issues the decision and lists the subject for the list's period.
// The document states 事由, 依据, 惩戒(激励)措施提示, 移出条件和程序 and 救济措施.
func (s *Service) Decide(ctx context.Context, a Actor, entryID string, in DecisionInput) (*Entry, error) {
	const op = "sanction.Decide"
	e, lt, err := s.load(ctx, op, a, entryID)
	if err != nil {
		return nil, err
	}
	onBehalf, err := s.mayChange(op, a, e, false)
	if err != nil {
		return nil, err
	}
	now := s.now()
	switch {
	case e.State == credit.StepNoticed:
		if now.Before(e.Detail.ObjectionDeadline) {
			return nil, credit.Say(op, credit.Conflict, "条目%s的异议期至%s24时届满：请在届满后作出认定", "the objection period of entry %s runs until the end of %s: decide after it",
				e.ID, chinatime.Format(e.Detail.ObjectionDeadline.Add(-time.Nanosecond)))
		}
	case e.State == credit.StepProposed && !lt.NoticeRequired:
	case e.State == credit.StepProposed:
		return nil, credit.Say(op, credit.Conflict, "列入%[3]s前须告知当事人（国办发〔2020〕49号）：请先告知条目%[2]s", "%[1]s requires notice to the subject before listing (国办发〔2020〕49号): notice entry %[2]s first",
			lt.Code, e.ID, listZh(lt))
	default:
		return nil, credit.Say(op, credit.Conflict, "条目%[1]s当前为“%[3]s”，不能作出认定", "entry %[1]s is %[2]s and cannot be decided", e.ID, e.State, stepZh(e.State))
	}
	if strings.TrimSpace(in.DocNo) == "" {
		return nil, credit.Say(op, credit.Invalid, "请填写认定决定书文号（doc_no）", "give the decision document number (doc_no)")
	}
	if why := s.index.underVerification(e); why != "" {
		return nil, credit.Say(op, credit.Conflict, "%[2]s正在核实中，条目%[1]s暂不能作出认定", "entry %[1]s cannot be decided while %[3]s is under verification",
			e.ID, suspensionZh(why), why)
	}
	// The basis must still stand.
	if _, err := s.checkBasis(ctx, op, lt, e.SubjectID, e.Detail.BasisRecords); err != nil {
		return nil, err
	}
	since := in.Since
	if since.IsZero() {
		since = now
	}
	var until time.Time
	if lt.PeriodMonths > 0 {
		until = since.AddDate(0, lt.PeriodMonths, 0)
	}
	var measures []string
	for _, m := range s.Catalog.MeasuresFor(lt.Code, "") {
		measures = append(measures, m.Code)
	}
	remedies := strings.TrimSpace(in.Remedies)
	if remedies == "" {
		remedies = "对本决定不服的，可以自收到决定书之日起六十日内依法申请行政复议，或者六个月内依法提起行政诉讼；认为信息有误的，可以提出异议；符合条件的，可以申请信用修复。"
	}
	ev := &credit.ListEvent{
		ID: credit.NewID(), EntryID: e.ID, List: e.List, SubjectID: e.SubjectID, Step: credit.StepDecided,
		Actor: a.Name, Dept: a.Dept, At: now, DocNo: strings.TrimSpace(in.DocNo),
		Detail: credit.EntryDetail{
			Grounds: strings.TrimSpace(in.Grounds), Measures: measures, Exit: lt.Exit.Text,
			Remedies: remedies, Since: since.UTC(), Until: until.UTC(), OnBehalfOf: onBehalf,
		},
	}
	if until.IsZero() {
		ev.Detail.Until = time.Time{}
	}
	return s.append(ctx, op, ev, e.Seq)
}

// Removal reasons.
const (
	RemoveExpiry     = "expiry"     // the period ended
	RemoveRepair     = "repair"     // 信用修复
	RemoveRevocation = "revocation" // the decision or its basis was revoked
	RemoveCorrection = "correction" // the listing was wrong
	RemoveWithdrawn  = "withdrawn"  // a proposal dropped before listing
)

// RemovalInput ends an entry.
type RemovalInput struct {
	Reason string `json:"reason"`
	DocNo  string `json:"doc_no,omitempty"`
	Note   string `json:"note,omitempty"`
}

// Remove ends an entry: a listed one on expiry, repair, revocation or
// correction; a proposed or noticed one by withdrawal, revocation or
// correction.
func (s *Service) Remove(ctx context.Context, a Actor, entryID string, in RemovalInput) (*Entry, error) {
	const op = "sanction.Remove"
	e, lt, err := s.load(ctx, op, a, entryID)
	if err != nil {
		return nil, err
	}
	now := s.now()
	if e.Detail.Reported && in.Reason != RemoveRepair && in.Reason != RemoveExpiry {
		rec := ""
		if len(e.Detail.BasisRecords) > 0 {
			rec = e.Detail.BasisRecords[0]
		}
		return nil, credit.Say(op, credit.Conflict, "条目%[1]s由%[4]s报送：该部门撤销或更正其信息%[3]s时条目即终止，不在本平台移出",
			"entry %[1]s was reported by %[2]s: it ends when that department revokes or corrects its record %[3]s, not by removal on the platform",
			e.ID, e.DecidedDept, rec, s.deptZh(e.DecidedDept))
	}
	onBehalf, err := s.mayChange(op, a, e, in.Reason == RemoveRepair || in.Reason == RemoveExpiry)
	if err != nil {
		return nil, err
	}
	switch e.State {
	case credit.StepRemoved:
		return nil, credit.Say(op, credit.Conflict, "条目%s已移出", "entry %s is already removed", e.ID)
	case credit.StepDecided:
		switch in.Reason {
		case RemoveExpiry:
			if e.Detail.Until.IsZero() || now.Before(e.Detail.Until) {
				return nil, credit.Say(op, credit.Conflict, "条目%s尚未届满", "entry %s has not expired", e.ID)
			}
		case RemoveRepair:
			if !lt.Exit.Repairable {
				return nil, credit.Say(op, credit.Invalid, "%[3]s不能通过信用修复移出：%[2]s", "%[1]s cannot be left by repair: %[2]s", lt.Code, lt.Exit.Text, listZh(lt))
			}
			if min := e.Detail.Since.AddDate(0, lt.Exit.MinMonths, 0); now.Before(min) {
				return nil, credit.Say(op, credit.Conflict, "列入%[4]s满%[2]d个月后方可通过信用修复移出，即%[3]s起", "%[1]s can be left by repair only after %[2]d months, from %[3]s",
					lt.Code, lt.Exit.MinMonths, chinatime.Format(min), listZh(lt))
			}
		case RemoveRevocation, RemoveCorrection:
		default:
			return nil, credit.Say(op, credit.Invalid, "移出原因须为%[6]s之一，不能为“%[5]s”", "removal reason must be %[1]s, %[2]s, %[3]s or %[4]s, not %[5]q",
				RemoveExpiry, RemoveRepair, RemoveRevocation, RemoveCorrection, in.Reason, removalsZh(RemoveExpiry, RemoveRepair, RemoveRevocation, RemoveCorrection))
		}
	default:
		switch in.Reason {
		case RemoveWithdrawn, RemoveRevocation, RemoveCorrection:
		default:
			return nil, credit.Say(op, credit.Invalid, "尚未列入的条目，移出原因须为%[5]s之一，不能为“%[4]s”", "an entry not yet listed is removed as %[1]s, %[2]s or %[3]s, not %[4]q",
				RemoveWithdrawn, RemoveRevocation, RemoveCorrection, in.Reason, removalsZh(RemoveWithdrawn, RemoveRevocation, RemoveCorrection))
		}
	}
	ev := &credit.ListEvent{
		ID: credit.NewID(), EntryID: e.ID, List: e.List, SubjectID: e.SubjectID, Step: credit.StepRemoved,
		Actor: a.Name, Dept: a.Dept, At: now, DocNo: strings.TrimSpace(in.DocNo),
		Detail: credit.EntryDetail{RemovalReason: in.Reason, Note: strings.TrimSpace(in.Note), OnBehalfOf: onBehalf},
	}
	return s.append(ctx, op, ev, e.Seq)
}

// ExpiryActor is the actor named on removals written by RemoveExpired.
const ExpiryActor = "system:expiry"

// RemoveExpired writes the removal (reason expiry) of every listed entry
// whose period has ended, and returns how many it wrote. Checks and pages
// stop applying an entry at the end of its period by the clock alone; this
// writes the lifecycle's last step, so that the entry's history, the
// console and the data version say that it left the list, when and why.
// Several nodes may sweep at once: an entry that changed meanwhile (another
// node removed it first, or an officer acted on it) is left alone.
func (s *Service) RemoveExpired(ctx context.Context) (int, error) {
	const op = "sanction.RemoveExpired"
	now := s.now()
	due, _ := s.index.listEntries("", 0, math.MaxInt, func(h *entryHead) bool {
		return h.state == credit.StepDecided && !h.active(now)
	})
	sort.Slice(due, func(i, j int) bool { return due[i].Seq < due[j].Seq })
	n := 0
	for _, e := range due {
		ev := &credit.ListEvent{
			ID: credit.NewID(), EntryID: e.ID, List: e.List, SubjectID: e.SubjectID, Step: credit.StepRemoved,
			Actor: ExpiryActor, At: now,
			Detail: credit.EntryDetail{RemovalReason: RemoveExpiry,
				Note: "有效期届满（" + chinatime.Format(e.Detail.Until.Add(-time.Nanosecond)) + "），自动移出"},
		}
		err := s.Store.AppendListEvent(ctx, ev, e.Seq)
		if credit.Is(credit.Conflict, err) {
			continue
		}
		if err != nil {
			return n, credit.Wrap(op, credit.Other, err)
		}
		n++
	}
	if n > 0 {
		if err := s.Refresh(ctx); err != nil {
			return n, err
		}
	}
	return n, nil
}

// sweepExpired is RemoveExpired for Run: failures are logged and retried
// at the next sweep.
func (s *Service) sweepExpired(ctx context.Context) {
	n, err := s.RemoveExpired(ctx)
	if n > 0 {
		s.logger().Info("expired list entries removed", "entries", n)
	}
	if err != nil && ctx.Err() == nil {
		s.logger().Warn("removing expired list entries failed; the next sweep retries", "removed", n, "err", err)
	}
}

func (s *Service) load(ctx context.Context, op string, a Actor, entryID string) (*Entry, *catalog.ListType, error) {
	e, err := s.Entry(ctx, entryID)
	if err != nil {
		return nil, nil, credit.Wrap(op, credit.Other, err)
	}
	lt, err := s.Catalog.List(e.List)
	if err != nil {
		return nil, nil, credit.Wrap(op, credit.Internal, err)
	}
	if err := s.mayDecide(a, lt); err != nil {
		return nil, nil, credit.Wrap(op, credit.Other, err)
	}
	return e, lt, nil
}

// mayChange says whether a may change entry e: an entry belongs to its
// unit (Entry.Unit), and only that unit or a unit the catalogue names as
// its superior changes it; a superior's change is recorded as made on
// behalf of the unit (the returned code). The platform (administrator,
// credit office) changes its own entries, and a department's only where
// platformMay: a removal on the platform's own ground (a repair decided
// on the platform, an ended period).
func (s *Service) mayChange(op string, a Actor, e *Entry, platformMay bool) (string, error) {
	if e.Detail.Origin != "" {
		// Decided on another platform (internal/exchange): only its
		// origin changes it, and its changes arrive through the exchange.
		return "", credit.Say(op, credit.Permission, "条目%[1]s由平台%[2]s认定，经交换共享至本平台：只有认定平台可以变更",
			"entry %[1]s was decided on platform %[2]s and shared here through the exchange: only that platform changes it", e.ID, e.Detail.Origin)
	}
	switch {
	case e.Unit == "" && a.Role != credit.RoleDept:
		return "", nil
	case a.Role == credit.RoleDept && a.Dept == e.Unit:
		return "", nil
	case a.Role == credit.RoleDept && e.Unit != "" && s.Catalog.Oversees(a.Dept, e.Unit):
		return e.Unit, nil
	case a.Role != credit.RoleDept && platformMay:
		return "", nil
	}
	owner := e.Unit
	if owner == "" {
		owner = "信用办"
	}
	return "", credit.Say(op, credit.Permission, "条目%[1]s属于%[4]s：只有该单位或其上级单位可以变更，%[5]s不能",
		"entry %[1]s belongs to %[2]s: only that unit or its superior may change it, not %[3]s",
		e.ID, owner, actorEn(a), s.deptZh(owner), s.actorZh(a))
}

// actorEn names an actor in an English message.
func actorEn(a Actor) string {
	if a.Role == credit.RoleDept {
		return a.Dept
	}
	return "the platform (" + string(a.Role) + ")"
}

// actorZh names an actor in a Chinese message.
func (s *Service) actorZh(a Actor) string {
	if a.Role == credit.RoleDept {
		return s.deptZh(a.Dept)
	}
	return "平台（" + string(a.Role) + "）"
}

// append writes an event and makes it visible to this node's checks at
// once; other nodes see it at their next poll.
func (s *Service) append(ctx context.Context, op string, ev *credit.ListEvent, prev int64) (*Entry, error) {
	if err := s.Store.AppendListEvent(ctx, ev, prev); err != nil {
		return nil, credit.Wrap(op, credit.Other, err)
	}
	if err := s.Refresh(ctx); err != nil {
		s.logger().Warn("hit-check index refresh after a list change failed; the poller will retry", "err", err)
	}
	return s.Entry(ctx, ev.EntryID)
}

// ListedEntries gives the entries of every list of kind ("black", "red",
// "watch", "abnormal") that apply at now (applies: in force, and not barred
// for a red list), for the publication engine's list pages: the lists in
// catalogue order, each newest change first. An entry is decoded when the
// engine looks at it, so a page costs the entries it shows, not the whole
// list. The deciding department is the one that recorded the decision.
func (s *Service) ListedEntries(ctx context.Context, kind string, now time.Time) (publish.ListedEntries, error) {
	rank := map[string]int{}
	for i, lt := range s.Catalog.Lists {
		if string(lt.Kind) == kind {
			rank[lt.Code] = i
		}
	}
	if len(rank) == 0 {
		return listedEntries{}, nil
	}
	snap := s.index.load()
	keep := func(h *entryHead) bool { return h.active(now) }
	refs := s.index.entryRefs(rank, keep)
	if kind == string(catalog.ListRed) {
		refs = slices.DeleteFunc(refs, func(b []byte) bool { return !s.entryApplies(snap, decodeEntry(b), now) })
	}
	return listedEntries{s: s, refs: refs}, nil
}

// SubjectEntries gives the entries of a subject that apply at now, in
// catalogue order of their lists: what its page shows and the hit check
// answers.
func (s *Service) SubjectEntries(ctx context.Context, subjectID string, now time.Time) ([]publish.ListedEntry, error) {
	snap := s.index.load()
	var out []publish.ListedEntry
	for _, id := range s.index.subjectEntryIDs(subjectID) {
		e := s.index.entry(id)
		if e == nil || !s.entryApplies(snap, e, now) {
			continue
		}
		out = append(out, s.listed(e))
	}
	rank := map[string]int{}
	for i, lt := range s.Catalog.Lists {
		rank[lt.Code] = i
	}
	sort.SliceStable(out, func(i, j int) bool { return rank[out[i].List] < rank[out[j].List] })
	return out, nil
}

// entryApplies reports whether e lists its subject at now, by the same
// rule as the hit check (applies): in force, and for a red list its bar
// does not hold, judged on the subject's memberships in snap.
func (s *Service) entryApplies(snap *snapshot, e *Entry, now time.Time) bool {
	if !e.Active(now) {
		return false
	}
	lt, err := s.Catalog.List(e.List)
	if err != nil {
		return false
	}
	if lt.Bar == nil {
		return true
	}
	b, _ := snap.bySubject.get(e.SubjectID)
	return !barred(snap, e.SubjectID, lt, decodeMemberships(s.Catalog, b), now)
}

// barHolds says why red list lt's bar keeps subjectID off it now ("" when
// it does not): a proposal is refused then.
func (s *Service) barHolds(ctx context.Context, subjectID string, lt *catalog.ListType) (*credit.Text, error) {
	now := s.now()
	snap := s.index.load()
	b, _ := snap.bySubject.get(subjectID)
	for _, m := range decodeMemberships(s.Catalog, b) {
		if m.via == "" && m.active(now) && slices.Contains(lt.Bar.ListKinds, m.lt.Kind) {
			return credit.Says("该主体在%s中", "the subject is on %s", listZh(m.lt)), nil
		}
	}
	until, err := s.barUntil(ctx, subjectID, lt)
	if err != nil {
		return nil, err
	}
	if until > now.UnixMicro() {
		return credit.Says("该主体有失信程度为%[1]s的信息尚在有效期内", "the subject has a record in force of severity %[2]s",
			severitiesZh(lt.Bar.Severities), severities(lt.Bar.Severities)), nil
	}
	return nil, nil
}

// listedEntries is the sequence ListedEntries gives.
type listedEntries struct {
	s    *Service
	refs [][]byte
}

func (l listedEntries) Len() int { return len(l.refs) }

func (l listedEntries) At(i int) publish.ListedEntry { return l.s.listed(decodeEntry(l.refs[i])) }

// listed is an entry as the publication engine takes it.
func (s *Service) listed(e *Entry) publish.ListedEntry {
	return publish.ListedEntry{
		EntryID: e.ID, List: e.List, SubjectID: e.SubjectID, SubjectKind: e.Detail.SubjectKind,
		Name: e.Detail.SubjectName, Dept: e.DecidedDept, DocNo: e.DocNo, Grounds: e.Detail.Grounds,
		Since: e.Detail.Since, Until: e.Detail.Until,
		UnderVerification: s.UnderVerification(e), BasisRecords: e.Detail.BasisRecords, Reported: e.Detail.Reported,
	}
}
