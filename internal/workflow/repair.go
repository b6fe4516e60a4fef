package workflow

import (
	"context"
	"strings"
	"time"

	"github.com/xinyong/xinyong/internal/chinatime"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/publish"
	"github.com/xinyong/xinyong/internal/records"
)

// FalseCommitmentItem is the catalogue item of the record created when a
// repair's commitment or materials prove false.
const FalseCommitmentItem = "false_commitment"

// RepairCommitmentKind is the kind of commitment (信用修复型) whose text
// is the 信用承诺书 a repair applicant accepts; the text is catalogue data
// (commitments.json).
const RepairCommitmentKind = "repair"

// Commitment is the text of the 信用承诺书 a repair applicant accepts, in
// Chinese and English, from the catalogue.
func (s *Service) Commitment() credit.Text {
	k, err := s.cfg.Catalog.CommitmentKind(RepairCommitmentKind)
	if err != nil {
		return credit.Text{}
	}
	return credit.Text{Zh: k.Text, En: k.TextEn}
}

// Reason is one ground of ineligibility, in a stable code and words, in
// English and Chinese.
type Reason struct {
	Code      string `json:"code"`
	Message   string `json:"message"`
	MessageZh string `json:"message_zh,omitempty"`
}

// Eligibility is whether a record can be repaired now, and if not, why and
// from when.
type Eligibility struct {
	Eligible bool              `json:"eligible"`
	Reasons  []Reason          `json:"reasons,omitempty"`
	From     time.Time         `json:"from,omitempty"` // earliest date to apply; zero if never or now
	Severity credit.Severity   `json:"severity,omitempty"`
	MinEnd   time.Time         `json:"min_end,omitempty"`
	MaxEnd   time.Time         `json:"max_end,omitempty"`
	Needs    []string          `json:"needs"` // what the application must carry
	Record   string            `json:"record"`
	Item     string            `json:"item"`
	Extra    map[string]string `json:"-"`
}

func dateStr(t time.Time) string { return t.In(chinatime.Location).Format(time.DateOnly) }

// Eligibility computes from the record whether it can be repaired at now.
// Obligations and the commitment are declared by the application itself;
// they are listed in Needs.
func (s *Service) Eligibility(ctx context.Context, subjectID, recordID string) (*Eligibility, error) {
	const op = "workflow.Eligibility"
	st, err := s.chain(ctx, op, subjectID, recordID)
	if err != nil {
		return nil, err
	}
	now := s.now()
	cur := st.Current
	it, err := s.cfg.Catalog.Item(cur.Item)
	if err != nil {
		return nil, credit.Wrap(op, credit.Internal, err)
	}
	// The one classification of the record: severity, window and the date
	// it can be repaired from, by its reporting department's domain.
	w := publish.WindowOf(s.cfg.Catalog, it, &cur, nil)
	e := &Eligibility{Record: st.Origin, Item: cur.Item, Severity: w.Severity,
		Needs: []string{"obligations_met", "evidence", "commitment"}}
	no := func(code, zh, en string, args ...any) {
		e.Reasons = append(e.Reasons, reasonOf(code, credit.Says(zh, en, args...)))
	}
	if st.Revoked {
		no("revoked", "该信息已被撤销，不再公示，无需修复", "the record was revoked: it is no longer published and needs no repair")
		return e, nil
	}
	if w.Severity == credit.SeverityNone {
		no("not_dishonesty", "该信息不属于失信信息，无需修复", "the record is not 失信 information: there is nothing to repair")
		return e, nil
	}
	if cur.Item == FalseCommitmentItem {
		no("no_early_end", "虚假承诺信息公示%d年，不得提前停止公示，不能申请信用修复",
			"a record of a false commitment is published for %d years without early end and cannot be repaired", s.rules.LockoutYears)
		return e, nil
	}
	start, minEnd, maxEnd := w.From, w.MinEnd, w.MaxEnd
	e.MinEnd, e.MaxEnd = minEnd, maxEnd
	switch {
	case !w.Published && w.Severity != credit.SeverityMinor:
		no("not_published", "该信息依规定不予公示，无需修复", "the record is not published under the rules: there is nothing to repair")
	case !maxEnd.IsZero() && !now.Before(maxEnd):
		no("ended", "该信息的公示期已于%s届满，已自动停止公示，无需修复", "publication ended on %s by itself: there is nothing to repair", dateStr(maxEnd.AddDate(0, 0, -1)))
	case w.Severity != credit.SeverityMinor && now.Before(minEnd):
		no("min_period", "%s失信信息的最短公示期自%s起至%s止，请于%s起申请",
			"the minimum publication period (%s class) runs from %s until %s: apply from %s",
			w.Severity, dateStr(start), dateStr(minEnd.AddDate(0, 0, -1)), dateStr(minEnd))
		e.From = minEnd
	}
	cs, err := s.cfg.Store.Cases(ctx, credit.CaseFilter{Kind: credit.CaseRepair, RecordIDs: []string{st.Origin}})
	if err != nil {
		return nil, err
	}
	for _, c := range cs {
		switch {
		case c.State == StateRepaired:
			no("repaired", "该信息已完成信用修复（事项%s）", "the record was already repaired (case %s)", c.ID)
		case c.Open:
			no("in_progress", "该信息的信用修复申请正在办理中（事项%s）", "a repair application for this record is already in progress (case %s)", c.ID)
		case !c.Until.IsZero() && now.Before(c.Until):
			no("lockout", "此前的信用修复中被认定虚假承诺，该信息在%s之前不得申请修复",
				"a false commitment was found in an earlier repair: the record cannot be repaired until %s", dateStr(c.Until))
			if c.Until.After(e.From) {
				e.From = c.Until
			}
		}
	}
	if rl, ok := s.cfg.Lists.(RepairLimits); ok {
		reasons, from, err := rl.RepairLimits(ctx, subjectID, st.Origin, now)
		if err != nil {
			return nil, credit.Wrap(op, credit.Other, err)
		}
		e.Reasons = append(e.Reasons, reasons...)
		if from.After(e.From) {
			e.From = from
		}
	}
	e.Eligible = len(e.Reasons) == 0
	if e.Eligible {
		e.From = time.Time{}
	}
	return e, nil
}

// RepairLimits is implemented by a Lists that knows the list exit rules
// (the sanction service): reasons a repair cannot end the entries resting
// on the record now, and the earliest date it could.
type RepairLimits interface {
	RepairLimits(ctx context.Context, subjectID, recordID string, now time.Time) ([]Reason, time.Time, error)
}

// Repair is an application for credit repair.
type Repair struct {
	SubjectID string
	RecordID  string
	Applicant Applicant
	// Statement says how the behaviour was corrected.
	Statement string
	// ObligationsMet declares that every obligation of the decision was
	// fulfilled (fine paid, order complied with); evidence is uploaded.
	ObligationsMet bool
	// CommitmentAccepted is the signed 信用承诺书 (the text of Commitment).
	CommitmentAccepted bool
}

// IneligibleError is returned when an application cannot be filed; it
// carries the reasons and the date from which one can apply.
type IneligibleError struct{ E *Eligibility }

func (e *IneligibleError) Error() string {
	msgs := make([]string, len(e.E.Reasons))
	for i, r := range e.E.Reasons {
		msgs[i] = r.Message
	}
	return "not eligible for repair: " + strings.Join(msgs, "; ")
}

// Chinese is the refusal in Chinese (credit.Chinese reads it).
func (e *IneligibleError) Chinese() string {
	msgs := make([]string, len(e.E.Reasons))
	for i, r := range e.E.Reasons {
		msgs[i] = r.MessageZh
		if msgs[i] == "" {
			msgs[i] = r.Message
		}
	}
	return "不符合申请信用修复的条件：" + strings.Join(msgs, "；")
}

// reasonOf is a ground of ineligibility in both languages.
func reasonOf(code string, t *credit.Text) Reason {
	return Reason{Code: code, Message: t.En, MessageZh: t.Zh}
}

// FileRepair files an application. An ineligible one is refused at once,
// with every reason and the earliest date to apply (no case is opened).
// Repair is free of charge: nothing here asks for or records a fee.
func (s *Service) FileRepair(ctx context.Context, a Actor, in Repair) (*credit.Case, string, error) {
	const op = "workflow.FileRepair"
	if err := mayFile(op, in.SubjectID, a, in.Applicant); err != nil {
		return nil, "", err
	}
	e, err := s.Eligibility(ctx, in.SubjectID, in.RecordID)
	if err != nil {
		return nil, "", err
	}
	if !in.ObligationsMet {
		e.Reasons = append(e.Reasons, reasonOf("obligations", credit.Says("请声明已全部履行处罚决定等法定义务，并上传履行凭证",
			"declare that every obligation of the decision was fulfilled, with evidence")))
	}
	if !in.CommitmentAccepted {
		e.Reasons = append(e.Reasons, reasonOf("commitment", credit.Says("请签署信用承诺书", "sign the credit commitment (信用承诺书)")))
	}
	if strings.TrimSpace(in.Statement) == "" {
		e.Reasons = append(e.Reasons, reasonOf("statement", credit.Says("请说明纠正失信行为的情况", "say how the behaviour was corrected")))
	}
	if len(e.Reasons) > 0 {
		e.Eligible = false
		return nil, "", &credit.Error{Op: op, Kind: credit.Invalid, Err: &IneligibleError{E: e}}
	}
	st, err := s.chain(ctx, op, in.SubjectID, in.RecordID)
	if err != nil {
		return nil, "", err
	}
	now := s.now()
	platformDue, err := s.deadline(now, s.rules.RepairPlatform)
	if err != nil {
		return nil, "", err
	}
	due, err := s.deadline(now, s.rules.ObjectionRoute)
	if err != nil {
		return nil, "", err
	}
	c := &credit.Case{Kind: credit.CaseRepair, SubjectID: in.SubjectID, RecordID: st.Origin, Domain: s.cfg.Catalog.DeptDomain(st.Current.Dept),
		State: StateSubmitted, Due: due}
	data := in.Applicant.data()
	data["obligations_met"] = "yes"
	data["commitment"] = s.Commitment().Zh
	data["platform_due"] = dateStr(platformDue)
	data["fee"] = "none"
	code, err := s.create(ctx, c, a, clip(in.Statement, 4000), data)
	if err != nil {
		return nil, "", err
	}
	if err := s.Route(ctx, Platform, c.ID, st.Current.Dept); err != nil {
		return nil, "", err
	}
	c, err = s.cfg.Store.Case(ctx, c.ID)
	return c, code, err
}

// RequestMaterials asks the applicant, in one notice (一次性告知), for
// every missing material. The acceptance clock restarts when they arrive. A
// second request is refused: everything must be asked for at once.
func (s *Service) RequestMaterials(ctx context.Context, a Actor, id string, missing []string) error {
	const op = "workflow.RequestMaterials"
	var items []string
	for _, m := range missing {
		if m = clip(m, 200); m != "" {
			items = append(items, m)
		}
	}
	if len(items) == 0 {
		return credit.Say(op, credit.Invalid, "请列明需补正的材料", "list the missing materials")
	}
	c, err := s.loadToDecide(ctx, op, a, id, credit.CaseRepair, StateRouted)
	if err != nil {
		return err
	}
	if ev, err := s.firstEvent(ctx, id, actionMaterials); err != nil {
		return err
	} else if ev != nil {
		return credit.Say(op, credit.Conflict, "已于%s告知需补正的材料：补正材料应一次性告知",
			"missing materials were already asked for on %s: they must be asked for in one notice (一次性告知)", dateStr(ev.At))
	}
	return s.advance(ctx, c, a, actionMaterials, StateAwaiting, "", time.Time{}, map[string]string{"missing": strings.Join(items, "\n")})
}

// Supplement records that the applicant sent the materials asked for; the
// unit has its acceptance time again.
func (s *Service) Supplement(ctx context.Context, a Actor, id, note string) error {
	const op = "workflow.Supplement"
	c, err := s.load(ctx, op, id, credit.CaseRepair, StateAwaiting)
	if err != nil {
		return err
	}
	due, err := s.deadline(s.now(), s.rules.RepairAccept)
	if err != nil {
		return err
	}
	return s.advance(ctx, c, a, "supplement", StateRouted, clip(note, 2000), due, nil)
}

// AcceptRepair accepts an application for decision.
func (s *Service) AcceptRepair(ctx context.Context, a Actor, id string) error {
	const op = "workflow.AcceptRepair"
	c, err := s.loadToDecide(ctx, op, a, id, credit.CaseRepair, StateRouted)
	if err != nil {
		return err
	}
	due, err := s.deadline(s.now(), s.rules.RepairDecide)
	if err != nil {
		return err
	}
	return s.advance(ctx, c, a, "accept", StateReviewing, "", due, nil)
}

// RefuseRepair refuses an application (at acceptance or after review),
// with reasons.
func (s *Service) RefuseRepair(ctx context.Context, a Actor, id, reason string) error {
	return s.refuse(ctx, "workflow.RefuseRepair", a, id, reason, credit.CaseRepair, StateRouted, StateReviewing, StateAwaiting)
}

// ApproveRepair grants the repair. From then on Marks says Repaired:
// publication ends everywhere and sharing stops; the list entries based on
// the record are removed (measures lifted) and the subject's evaluation is
// marked for recompute.
func (s *Service) ApproveRepair(ctx context.Context, a Actor, id, note string) error {
	const op = "workflow.ApproveRepair"
	c, err := s.loadToDecide(ctx, op, a, id, credit.CaseRepair, StateReviewing)
	if err != nil {
		return err
	}
	if s.cfg.Lists != nil {
		// A list's own rule (e.g. at least 12 months listed before a repair
		// exit) refuses here, before the case moves: the refusal reaches
		// the unit with the list's reason and date.
		if err := s.cfg.Lists.RemoveForRepair(ctx, c.SubjectID, c.RecordID, a.Name, c.ID); err != nil {
			return credit.Wrap(op, credit.Other, err)
		}
	}
	if err := s.advance(ctx, c, a, "approve", StateRepaired, clip(note, 2000), time.Time{}, nil); err != nil {
		return err
	}
	// The case stays Open=false; Repaired is a lasting state.
	if err := s.cfg.Store.MarkRecompute(ctx, credit.RecomputeMark{SubjectID: c.SubjectID, Since: s.now(), Reason: "repair " + c.ID}); err != nil {
		s.log.Error("workflow: could not mark the evaluation for recompute", "subject", c.SubjectID, "err", err)
	}
	return nil
}

// FalseCommitment records that a repair's commitment or materials were
// false: the repair is revoked (publication resumes and the list entries
// are restored), a new record of the false commitment is published for
// three years, and the original cannot be repaired for three years.
func (s *Service) FalseCommitment(ctx context.Context, a Actor, id, docNo, reason string) (*credit.Record, error) {
	const op = "workflow.FalseCommitment"
	if strings.TrimSpace(reason) == "" || strings.TrimSpace(docNo) == "" {
		return nil, credit.Say(op, credit.Invalid, "请填写认定文书号和认定理由", "give the finding's document number and its grounds")
	}
	c, err := s.loadToDecide(ctx, op, a, id, credit.CaseRepair, StateRepaired, StateReviewing, StateRouted)
	if err != nil {
		return nil, err
	}
	now := s.now()
	today := chinatime.Date(now)
	rec, err := s.RecordFalseCommitment(ctx, FalseFinding{SubjectID: c.SubjectID, Unit: c.Unit, DocNo: docNo, Reason: reason, Case: c.ID})
	if err != nil {
		return nil, credit.Wrap(op, credit.Other, err)
	}
	wasRepaired := c.State == StateRepaired
	c.Until = today.AddDate(s.rules.LockoutYears, 0, 0)
	if err := s.advance(ctx, c, a, "false_commitment", StateRevoked, clip(reason, 4000), time.Time{},
		map[string]string{"new_record": rec.ID, "lockout_until": dateStr(c.Until)}); err != nil {
		return nil, err
	}
	if wasRepaired && s.cfg.Lists != nil {
		if err := s.cfg.Lists.RestoreAfterRepair(ctx, c.SubjectID, c.RecordID, a.Name, c.ID); err != nil {
			s.log.Error("workflow: could not restore list entries after a false commitment", "case", c.ID, "err", err)
		}
	}
	_ = s.cfg.Store.MarkRecompute(ctx, credit.RecomputeMark{SubjectID: c.SubjectID, Since: now, Reason: "false commitment " + c.ID})
	return rec, nil
}

// FalseFinding is a unit's finding that a commitment, or the materials
// given with it, was false.
type FalseFinding struct {
	SubjectID string
	// Unit is the unit that found it (认定单位), which reports the record.
	Unit   string
	DocNo  string // the finding's document number
	Reason string
	// Case is the repair application concerned (原修复申请), if any;
	// Commitment the commitment's code (原承诺编码), if any.
	Case       string
	Commitment string
}

// RecordFalseCommitment writes the false_commitment record of a finding,
// published for three years by the item's rules: the one path by which a
// false commitment enters a credit file, whether it was found in a repair
// or by the unit that accepted a commitment (internal/commit).
func (s *Service) RecordFalseCommitment(ctx context.Context, ff FalseFinding) (*credit.Record, error) {
	const op = "workflow.RecordFalseCommitment"
	if strings.TrimSpace(ff.Reason) == "" || strings.TrimSpace(ff.DocNo) == "" {
		return nil, credit.Say(op, credit.Invalid, "请填写认定文书号和认定理由", "give the finding's document number and its grounds")
	}
	subj, err := s.cfg.Store.Subject(ctx, ff.SubjectID)
	if err != nil {
		return nil, err
	}
	it, err := s.cfg.Catalog.Item(FalseCommitmentItem)
	if err != nil {
		return nil, credit.Wrap(op, credit.Internal, err)
	}
	f, err := s.cfg.Records.SubjectFields(it, subj)
	if err != nil {
		return nil, credit.Wrap(op, credit.Other, err)
	}
	f["xj_wsh"], f["xj_sy"] = strings.TrimSpace(ff.DocNo), clip(ff.Reason, 2000)
	f["xj_rdrq"], f["xj_rdjg"] = chinatime.Date(s.now()).Format(time.DateOnly), ff.Unit
	if d, err := s.cfg.Catalog.Department(ff.Unit); err == nil {
		f["xj_rdjg"] = d.Name // 认定单位 names the unit, as the public reads it
	}
	if ff.Case != "" {
		f["xj_xfsx"] = ff.Case
	}
	if ff.Commitment != "" {
		f["xj_cnbm"] = ff.Commitment
	}
	if subj.Kind == credit.Person {
		f["xj_zjlx"] = "身份证"
	}
	rec, _, err := s.cfg.Records.Append(ctx, records.Report{Item: FalseCommitmentItem, Dept: ff.Unit, SubjectID: ff.SubjectID, Fields: f})
	if err != nil {
		return nil, credit.Wrap(op, credit.Other, err)
	}
	return rec, nil
}

// --- bankruptcy ---

// FileBankruptcy registers a court's approval of a reorganisation or
// settlement plan: the subject's entries must be masked within 10 working
// days. Only the credit office files it.
func (s *Service) FileBankruptcy(ctx context.Context, a Actor, subjectID, courtDoc, note string) (*credit.Case, error) {
	const op = "workflow.FileBankruptcy"
	if !staff(a) {
		return nil, credit.Say(op, credit.Permission, "只有信用办可以登记破产重整", "only the credit office registers a bankruptcy reorganisation")
	}
	if strings.TrimSpace(courtDoc) == "" {
		return nil, credit.Say(op, credit.Invalid, "请填写法院裁定书文号", "give the court's ruling number")
	}
	if _, err := s.cfg.Store.Subject(ctx, subjectID); err != nil {
		return nil, err
	}
	cs, err := s.cfg.Store.Cases(ctx, credit.CaseFilter{Kind: credit.CaseBankruptcy, SubjectID: subjectID, OpenOnly: true})
	if err != nil {
		return nil, err
	}
	if len(cs) > 0 {
		return nil, credit.Say(op, credit.Conflict, "%s的破产重整已经登记（事项%s）", "a bankruptcy reorganisation of %s is already registered (case %s)", subjectID, cs[0].ID)
	}
	due, err := s.deadline(s.now(), s.rules.BankruptcyMask)
	if err != nil {
		return nil, err
	}
	c := &credit.Case{Kind: credit.CaseBankruptcy, SubjectID: subjectID, RecordID: "", Unit: CreditOffice, State: StateMasking, Due: due}
	if _, err := s.create(ctx, c, a, clip(note, 2000), map[string]string{"court_doc": clip(courtDoc, 128)}); err != nil {
		return nil, err
	}
	return c, nil
}

// Mask masks the subject's entries.
func (s *Service) Mask(ctx context.Context, a Actor, id string) error {
	const op = "workflow.Mask"
	if !staff(a) {
		return credit.Say(op, credit.Permission, "只有信用办可以屏蔽名单条目", "only the credit office masks entries")
	}
	c, err := s.load(ctx, op, id, credit.CaseBankruptcy, StateMasking)
	if err != nil {
		return err
	}
	if s.cfg.Lists != nil {
		if err := s.cfg.Lists.Mask(ctx, c.SubjectID, a.Name, c.ID); err != nil {
			return credit.Wrap(op, credit.Unavailable, err)
		}
	}
	if err := s.advance(ctx, c, a, "mask", StateMasked, "", time.Time{}, nil); err != nil {
		return err
	}
	_ = s.cfg.Store.MarkRecompute(ctx, credit.RecomputeMark{SubjectID: c.SubjectID, Since: s.now(), Reason: "bankruptcy masking " + c.ID})
	return nil
}

// EndBankruptcy closes a masking: failed restores the entries (the plan
// failed); otherwise the plan was carried out and they stay masked.
func (s *Service) EndBankruptcy(ctx context.Context, a Actor, id string, failed bool, reason string) error {
	const op = "workflow.EndBankruptcy"
	if !staff(a) {
		return credit.Say(op, credit.Permission, "只有信用办可以结束屏蔽", "only the credit office ends a masking")
	}
	if strings.TrimSpace(reason) == "" {
		return credit.Say(op, credit.Invalid, "请填写法院的裁定结论", "state the court's finding")
	}
	c, err := s.load(ctx, op, id, credit.CaseBankruptcy, StateMasking, StateMasked)
	if err != nil {
		return err
	}
	state := StateCompleted
	if failed {
		state = StateRestored
		// Another reorganisation of the subject may still mask it (one
		// carried out earlier keeps its masking): then the entries stay
		// masked.
		others, err := s.cfg.Store.Cases(ctx, credit.CaseFilter{Kind: credit.CaseBankruptcy, SubjectID: c.SubjectID})
		if err != nil {
			return credit.Wrap(op, credit.Other, err)
		}
		still := false
		for _, o := range others {
			still = still || (o.ID != c.ID && (o.State == StateMasked || o.State == StateCompleted))
		}
		if s.cfg.Lists != nil && c.State == StateMasked && !still {
			if err := s.cfg.Lists.Unmask(ctx, c.SubjectID, a.Name, c.ID); err != nil {
				return credit.Wrap(op, credit.Unavailable, err)
			}
		}
	}
	if err := s.advance(ctx, c, a, "end", state, clip(reason, 2000), time.Time{}, nil); err != nil {
		return err
	}
	if err := s.cfg.Store.MarkRecompute(ctx, credit.RecomputeMark{SubjectID: c.SubjectID, Since: s.now(), Reason: "bankruptcy ended " + c.ID}); err != nil {
		// The case has ended; the evaluation will catch up from the feed.
		s.log.Warn("marking a subject for re-evaluation failed", "subject", c.SubjectID, "case", c.ID, "err", err)
	}
	return nil
}

// --- marks: the one place that says what cases mean elsewhere ---

// Marks are what cases mean for one record chain. The publication engine
// reads them (same fields as publish.Marks); the hit check must not return
// measures based on a record for which Suspended is true.
type Marks struct {
	UnderObjection   bool `json:"under_objection,omitempty"`   // 异议处理中 (under verification)
	UnderRepair      bool `json:"under_repair,omitempty"`      // 信用修复中
	Repaired         bool `json:"repaired,omitempty"`          // 已修复: publication and sharing end
	BankruptcyMasked bool `json:"bankruptcy_masked,omitempty"` // 破产重整/和解屏蔽
}

// Suspended reports whether measures based on the record must not be
// executed: under verification, repaired, or masked.
func (m Marks) Suspended() bool { return m.UnderObjection || m.Repaired || m.BankruptcyMasked }

// Published reports whether the marks allow the record to be published
// (under objection or repair it stays published, marked).
func (m Marks) Published() bool { return !m.Repaired && !m.BankruptcyMasked }

// SubjectMarks returns the marks of every record chain of a subject that
// has any, keyed by origin ID, and whether the subject's entries are masked.
func (s *Service) SubjectMarks(ctx context.Context, subjectID string) (map[string]Marks, bool, error) {
	cs, err := s.cfg.Store.Cases(ctx, credit.CaseFilter{SubjectID: subjectID, Limit: 100000})
	if err != nil {
		return nil, false, err
	}
	out := map[string]Marks{}
	masked := false
	for _, c := range cs {
		if c.Kind == credit.CaseBankruptcy {
			masked = masked || c.State == StateMasked || c.State == StateCompleted
			continue
		}
		markCase(out, c)
	}
	if masked {
		file, err := s.cfg.Records.File(ctx, subjectID)
		if err != nil {
			return nil, false, err
		}
		for _, st := range file {
			if it, err := s.cfg.Catalog.Item(st.Current.Item); err == nil && publish.WindowOf(s.cfg.Catalog, it, &st.Current, nil).Severity != credit.SeverityNone {
				m := out[st.Origin]
				m.BankruptcyMasked = true
				out[st.Origin] = m
			}
		}
	}
	return out, masked, nil
}

// markCase adds what an objection or repair case means for its record to
// out: the one rule SubjectMarks and MarksFor both apply.
func markCase(out map[string]Marks, c credit.Case) {
	m := out[c.RecordID]
	switch {
	case c.Kind == credit.CaseObjection && c.State == StateVerifying:
		m.UnderObjection = true
	case c.Kind == credit.CaseRepair && c.State == StateRepaired:
		m.Repaired = true
	case c.Kind == credit.CaseRepair && c.Open:
		m.UnderRepair = true
	default:
		return
	}
	out[c.RecordID] = m
}

// RecordMarks returns the marks of one record chain (any fact of it).
func (s *Service) RecordMarks(ctx context.Context, subjectID, recordID string) (Marks, error) {
	st, err := s.chain(ctx, "workflow.RecordMarks", subjectID, recordID)
	if err != nil {
		return Marks{}, err
	}
	all, _, err := s.SubjectMarks(ctx, subjectID)
	if err != nil {
		return Marks{}, err
	}
	return all[st.Origin], nil
}

// MarksFor implements the publication engine's mark source: marks by
// origin record ID. It is on every subject page and list page, so it costs
// one query per thousand IDs for the cases on those records, one for
// bankruptcy cases, and, only while some subject is masked, one per masked
// subject or per ID, whichever is fewer.
func (s *Service) MarksFor(ctx context.Context, originIDs []string) (map[string]Marks, error) {
	out := map[string]Marks{}
	if len(originIDs) == 0 {
		return out, nil
	}
	for i := 0; i < len(originIDs); i += 1000 {
		chunk := originIDs[i:min(i+1000, len(originIDs))]
		cs, err := s.cfg.Store.Cases(ctx, credit.CaseFilter{RecordIDs: chunk, Limit: 100000})
		if err != nil {
			return nil, err
		}
		for _, c := range cs {
			markCase(out, c)
		}
	}
	bk, err := s.cfg.Store.Cases(ctx, credit.CaseFilter{Kind: credit.CaseBankruptcy, Limit: 100000})
	if err != nil {
		return nil, err
	}
	masked := map[string]bool{}
	for _, c := range bk {
		if c.State == StateMasked || c.State == StateCompleted {
			masked[c.SubjectID] = true
		}
	}
	if len(masked) == 0 {
		return out, nil
	}
	maskRecord := func(r *credit.Record) {
		if masked[r.SubjectID] && r.Severity != credit.SeverityNone {
			m := out[r.ID]
			m.BankruptcyMasked = true
			out[r.ID] = m
		}
	}
	// One query per masked subject or one per ID, whichever is fewer: a
	// public list page asks about hundreds of IDs, while bankruptcy cases
	// are few.
	if len(masked) < len(originIDs) {
		want := make(map[string]bool, len(originIDs))
		for _, id := range originIDs {
			want[id] = true
		}
		for subj := range masked {
			rs, err := s.cfg.Store.RecordsBySubject(ctx, subj)
			if err != nil {
				return nil, err
			}
			for i := range rs {
				if want[rs[i].ID] {
					maskRecord(&rs[i])
				}
			}
		}
		return out, nil
	}
	for _, id := range originIDs {
		r, err := s.cfg.Store.Record(ctx, id)
		if err != nil {
			if credit.Is(credit.NotFound, err) {
				continue
			}
			return nil, err
		}
		maskRecord(r)
	}
	return out, nil
}
