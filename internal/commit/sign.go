package commit

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/chinatime"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/records"
)

// Signing is a commitment to be made: by a subject through the portal (or
// the API under its own account), or registered by a business system or a
// department as signed at its counter.
type Signing struct {
	SubjectID string `json:"subject_id"`
	Matter    string `json:"matter"`
	Kind      string `json:"kind"`
	// Unit is the accepting unit; a department's or business system's
	// account registers for its own department only.
	Unit string `json:"unit"`
	// Signer is who signed, and in what capacity.
	Signer     string `json:"signer"`
	SignerRole string `json:"signer_role"`
	// Document is the number of the signed document (a counter's
	// registration must name it).
	Document string `json:"document"`
	// Materials are the materials missing from the application
	// (容缺受理), one each.
	Materials []string `json:"materials"`
	// DueWorkdays shortens the template's due date (0: the template's).
	DueWorkdays int `json:"due_workdays"`
	// Approval names the approval granted on the commitment.
	Approval string `json:"approval"`
	// CheckID is the eligibility answer the business system was given.
	CheckID string `json:"check_id"`
	// Accepted says the signer read and accepted the text: the portal's
	// box, or the counter's signed document.
	Accepted bool `json:"accepted"`
}

// Draft is the text a signing would have, from the matter's template:
// what the portal shows before the subject signs.
type Draft struct {
	Matter       string          `json:"matter"`
	Kind         string          `json:"kind"`
	KindName     string          `json:"kind_name"`
	Promise      credit.Text     `json:"promise"`
	Consequences credit.Text     `json:"consequences"`
	Due          time.Time       `json:"due,omitzero"`
	Provisional  bool            `json:"provisional,omitempty"`
	Disclosure   string          `json:"disclosure"`
	Revokes      bool            `json:"revokes_approval"`
	Eligibility  bool            `json:"eligibility"`
	Materials    bool            `json:"materials"`
	Basis        []catalog.Basis `json:"basis"`
}

// template finds what a matter takes of a kind, refusing with the reason
// (audited) a matter that takes no commitment.
func (s *Service) template(op, matter, kind string) (*catalog.MatterCommitments, *catalog.CommitmentKind, *catalog.Template, error) {
	mc, err := s.cat.MatterCommitments(matter)
	if err != nil {
		return nil, nil, nil, credit.Wrap(op, credit.Invalid, err)
	}
	mname := s.matterName(matter)
	switch {
	case mc == nil:
		return nil, nil, nil, refuse(RefusedNotListed, credit.Say(op, credit.Invalid, "“%[1]s”未列入信用承诺事项清单，不接受信用承诺", "%[2]s is not among the matters handled by commitment: no commitment is accepted", mname, s.matterEn(matter)))
	case !mc.Allowed:
		return nil, nil, nil, refuse(RefusedNotAllowed, credit.Say(op, credit.Invalid, "“%[1]s”不适用信用承诺，不接受承诺：%[2]s", "%[4]s allows no commitment: %[3]s", mname, mc.Reason, mc.ReasonEn, s.matterEn(matter)))
	}
	k, err := s.cat.CommitmentKind(kind)
	if err != nil {
		return nil, nil, nil, credit.Wrap(op, credit.Invalid, err)
	}
	if !k.Portal {
		return nil, nil, nil, credit.Say(op, credit.Invalid, "%[1]s在其他程序中作出（%[3]s），不单独签署", "a %[2]s commitment is made in another procedure (%[4]s), not on its own", k.Name, k.NameEn, k.Note, k.Note)
	}
	t := mc.Template(kind)
	if t == nil {
		var names, namesEn []string
		for _, x := range mc.Templates {
			if xk, err := s.cat.CommitmentKind(x.Kind); err == nil {
				names, namesEn = append(names, xk.Name), append(namesEn, xk.NameEn)
			}
		}
		return nil, nil, nil, credit.Say(op, credit.Invalid, "“%[1]s”不接受%[2]s承诺（可作：%[3]s）", "%[4]s takes no %[5]s commitment (it takes: %[6]s)",
			mname, k.Name, strings.Join(names, "、"), s.matterEn(matter), k.NameEn, strings.Join(namesEn, "; "))
	}
	return mc, k, t, nil
}

// Templates lists the commitments a subject may sign on its own: every
// matter's templates of kinds signed on their own.
func (s *Service) Templates() []*catalog.MatterCommitments {
	var out []*catalog.MatterCommitments
	for _, m := range s.cat.Commitments.Matters {
		if m.Allowed {
			out = append(out, m)
		}
	}
	return out
}

// Units are the departments that may accept a template's commitments.
func (s *Service) Units(t *catalog.Template) []*catalog.Department {
	var out []*catalog.Department
	for _, d := range s.cat.Departments {
		if len(t.Units) == 0 || contains(t.Units, d.Kind) {
			out = append(out, d)
		}
	}
	return out
}

// Draft fills a matter's template for the subject, unit and materials,
// with the due date it would have if signed now.
func (s *Service) Draft(ctx context.Context, in Signing) (*Draft, error) {
	const op = "commit.Draft"
	mc, k, t, err := s.template(op, in.Matter, in.Kind)
	if err != nil {
		return nil, err
	}
	subj, err := s.cfg.Store.Subject(ctx, in.SubjectID)
	if err != nil {
		return nil, credit.Wrap(op, credit.Other, err)
	}
	due, prov, err := s.due(op, k, t, in.DueWorkdays)
	if err != nil {
		return nil, err
	}
	if k.Materials && len(in.Materials) == 0 {
		// The text as it will read, with the place the materials go.
		in.Materials = []string{"……"}
	}
	zh, en := s.fill(t, subj, in, due)
	var basis []catalog.Basis
	for _, b := range append(append([]catalog.Basis{}, k.Basis...), mc.Basis...) {
		if !slices.ContainsFunc(basis, func(x catalog.Basis) bool { return x.Title == b.Title && x.Ref == b.Ref }) {
			basis = append(basis, b)
		}
	}
	d := &Draft{Matter: in.Matter, Kind: in.Kind, KindName: k.Name, Promise: credit.Text{Zh: zh[0], En: en[0]},
		Consequences: credit.Text{Zh: zh[1], En: en[1]}, Due: due, Provisional: prov, Disclosure: t.Disclosure,
		Revokes: t.RevokesApproval, Eligibility: k.Eligibility, Materials: k.Materials, Basis: basis}
	return d, nil
}

// due counts the due date of a commitment of kind k on template t signed
// now: the template's working days, or fewer when asked.
func (s *Service) due(op string, k *catalog.CommitmentKind, t *catalog.Template, asked int) (time.Time, bool, error) {
	n := t.DueWorkdays
	switch {
	case asked < 0:
		return time.Time{}, false, credit.Say(op, credit.Invalid, "履行期限不能为负数", "the due date cannot be negative working days")
	case asked > 0 && k.Due == catalog.DueNone:
		return time.Time{}, false, credit.Say(op, credit.Invalid, "%[1]s没有履行期限", "a %[2]s commitment has no due date", k.Name, k.NameEn)
	case asked > 0 && t.DueWorkdays > 0 && asked > t.DueWorkdays:
		return time.Time{}, false, credit.Say(op, credit.Invalid, "履行期限最长为%[1]d个工作日，不能为%[2]d个", "the due date is at most %[1]d working days, not %[2]d", t.DueWorkdays, asked)
	case asked > 0:
		n = asked
	}
	if n == 0 {
		return time.Time{}, false, nil
	}
	d, err := s.cal.Due(s.now(), n)
	if err != nil {
		return time.Time{}, false, credit.Wrap(op, credit.Conflict, err)
	}
	return d.Date, d.Provisional, nil
}

// fill puts the signing's values into the template's texts: the promise
// and the consequences, in Chinese and English.
func (s *Service) fill(t *catalog.Template, subj *credit.Subject, in Signing, due time.Time) (zh, en [2]string) {
	unitZh, unitEn := s.deptName(in.Unit), in.Unit
	if d, err := s.cat.Department(in.Unit); err == nil {
		unitEn = d.NameEn
	}
	matterEn := in.Matter
	if m, err := s.cat.Matter(in.Matter); err == nil {
		matterEn = m.NameEn
	}
	var mats []string
	for _, m := range in.Materials {
		if m = clip(m, 200); m != "" {
			mats = append(mats, m)
		}
	}
	v := map[string]string{"subject": subj.Name, "matter": s.matterName(in.Matter), "unit": unitZh, "due": dateStr(due),
		"materials": strings.Join(mats, "、"), "approval": clip(in.Approval, 128)}
	zh = [2]string{catalog.Fill(t.Promise, v), catalog.Fill(t.Consequences, v)}
	v["matter"], v["unit"], v["materials"] = matterEn, unitEn, strings.Join(mats, "; ")
	en = [2]string{catalog.Fill(t.PromiseEn, v), catalog.Fill(t.ConsequencesEn, v)}
	return zh, en
}

// Sign makes a commitment: checked against the matter's data (refused,
// and audited by the caller, when the matter takes no commitment, when
// the subject is not eligible, or when an account signs for another
// subject), written as a record of the commitment item through the
// records service, and followed from then on.
func (s *Service) Sign(ctx context.Context, a Actor, in Signing) (*credit.Commitment, *Answer, error) {
	const op = "commit.Sign"
	channel := "counter"
	switch a.Role {
	case credit.RoleSubject:
		if a.Subject != in.SubjectID {
			return nil, nil, refuse(RefusedOtherSubject, credit.Say(op, credit.Permission, "信用主体账号只能为本主体作出承诺，不能为%s作出承诺",
				"a subject account makes commitments for itself only, not for %s", in.SubjectID))
		}
		channel = "portal"
	case credit.RoleDept, credit.RoleBusiness:
		if in.Unit == "" {
			in.Unit = a.Dept
		}
		if in.Unit != a.Dept {
			return nil, nil, refuse(RefusedOtherUnit, credit.Say(op, credit.Permission, "%[2]s的账号只能登记本单位受理的承诺，不能登记%[3]s受理的承诺",
				"an account of %[1]s registers commitments its own unit accepts, not %[4]s's", s.deptEn(a.Dept), s.cat.DeptZh(a.Dept), s.cat.DeptZh(in.Unit), s.deptEn(in.Unit)))
		}
	case credit.RoleAdmin, credit.RoleReviewer:
	default:
		return nil, nil, credit.Say(op, credit.Permission, "该账号不能作出或登记信用承诺", "this account may not make or register commitments")
	}
	_, k, t, err := s.template(op, in.Matter, in.Kind)
	if err != nil {
		return nil, nil, err
	}
	unit, err := s.cat.Department(in.Unit)
	if err != nil {
		return nil, nil, credit.Say(op, credit.Invalid, "请选择目录中的承诺受理单位（“%s”不是）", "name the accepting unit, a department of the catalogue (%q is not)", in.Unit)
	}
	if len(t.Units) > 0 && !contains(t.Units, unit.Kind) {
		var names, namesEn []string
		for _, u := range t.Units {
			names = append(names, s.cat.DeptKindName(u))
			namesEn = append(namesEn, s.kindEn(u))
		}
		return nil, nil, credit.Say(op, credit.Invalid, "%[1]s的承诺由%[2]s受理，%[3]s不受理", "%[4]s commitments are accepted by %[5]s; %[6]s does not accept them",
			s.matterName(in.Matter), strings.Join(names, "、"), unit.Name, s.matterEn(in.Matter), strings.Join(namesEn, "; "), unit.NameEn)
	}
	if !in.Accepted {
		return nil, nil, credit.Say(op, credit.Invalid, "须阅读并同意承诺书内容后方可签署", "the signer must read and accept the commitment's text")
	}
	if channel == "counter" {
		if strings.TrimSpace(in.Signer) == "" || strings.TrimSpace(in.Document) == "" {
			return nil, nil, credit.Say(op, credit.Invalid, "窗口登记的承诺须写明签署人和承诺书编号", "a commitment registered at a counter names its signer and the signed document")
		}
	}
	var materials []string
	for _, m := range in.Materials {
		if m = clip(m, 200); m != "" {
			materials = append(materials, m)
		}
	}
	if k.Materials && len(materials) == 0 {
		return nil, nil, credit.Say(op, credit.Invalid, "%[1]s须列明缺少的材料", "a %[2]s commitment lists the missing materials", k.Name, k.NameEn)
	}
	if !k.Materials && len(materials) > 0 {
		return nil, nil, credit.Say(op, credit.Invalid, "%[1]s不列补交材料", "a %[2]s commitment lists no missing materials", k.Name, k.NameEn)
	}
	if len(materials) > 50 {
		return nil, nil, credit.Say(op, credit.Invalid, "缺少的材料最多列50项", "list at most 50 missing materials")
	}
	subj, err := s.cfg.Store.Subject(ctx, in.SubjectID)
	if err != nil {
		if credit.Is(credit.NotFound, err) {
			return nil, nil, credit.Say(op, credit.NotFound, "信用主体%s未登记", "subject %s is not registered", in.SubjectID)
		}
		return nil, nil, credit.Wrap(op, credit.Other, err)
	}
	if in.Signer == "" {
		in.Signer = subj.Name
	}
	// 容缺受理: the subject's eligibility, judged now, whatever an earlier
	// answer said; the answer is kept and the commitment names it.
	var ans *Answer
	if k.Eligibility {
		if in.CheckID != "" {
			_, e, err := s.Answer(ctx, in.CheckID)
			if err != nil {
				return nil, nil, credit.Wrap(op, credit.Invalid, err)
			}
			if e.SubjectID != in.SubjectID || e.Matter != in.Matter {
				return nil, nil, credit.Say(op, credit.Invalid, "资格核查答复%[1]s是关于%[2]s和“%[3]s”的，不是本次承诺的主体或事项", "eligibility answer %[1]s is about %[2]s and %[4]s, not this subject or matter",
					in.CheckID, e.SubjectID, s.matterName(e.Matter), e.Matter)
			}
		}
		if ans, err = s.Eligibility(ctx, a, in.SubjectID, in.Matter); err != nil {
			return nil, nil, err
		}
		if !ans.Eligible {
			sum := ans.Summary()
			return nil, ans, refuse(RefusedIneligible, credit.Say(op, credit.Conflict, "%[1]s不符合“%[2]s”容缺受理条件（核查答复%[3]s）：%[4]s",
				"%[1]s does not meet the conditions of %[5]s for acceptance on a commitment (answer %[3]s): %[6]s",
				subj.Name, s.matterName(in.Matter), ans.ID, sum.Zh, s.matterEn(in.Matter), sum.En))
		}
	}
	due, prov, err := s.due(op, k, t, in.DueWorkdays)
	if err != nil {
		return nil, nil, err
	}
	if k.Due == catalog.DueRequired && due.IsZero() {
		return nil, nil, credit.E(op, credit.Internal, "kind %s needs a due date and template of %s gives none", k.Code, in.Matter)
	}
	in.Materials = materials
	zh, _ := s.fill(t, subj, in, due)
	now := s.now()
	today := chinatime.Date(now)
	it, err := s.cat.Item(catalog.CommitmentItem)
	if err != nil {
		return nil, nil, credit.Wrap(op, credit.Internal, err)
	}
	code, err := s.freeCode(ctx, unit.Code, now)
	if err != nil {
		return nil, nil, err
	}
	f, err := s.cfg.Records.SubjectFields(it, subj)
	if err != nil {
		return nil, nil, credit.Wrap(op, credit.Other, err)
	}
	occasion := s.matterName(in.Matter) + "（" + k.Name + "）"
	if in.Approval != "" {
		occasion += "，审批文号" + clip(in.Approval, 128)
	}
	f["cn_bm"], f["cn_lx"], f["cn_sy"] = code, k.Name, clip(occasion, 500)
	f["cn_nr"], f["cn_wnzr"] = clip(zh[0], 4000), clip(zh[1], 2000)
	f["cn_zcrq"], f["cn_sldw"], f["cn_gklx"] = today.Format(time.DateOnly), unit.Name, t.Disclosure
	if !due.IsZero() {
		f["cn_yxq"] = due.In(chinatime.Location).Format(time.DateOnly)
	}
	rec, _, err := s.cfg.Records.Append(ctx, records.Report{Item: catalog.CommitmentItem, Dept: unit.Code, SubjectID: subj.ID, Fields: f})
	if err != nil {
		return nil, nil, credit.Wrap(op, credit.Other, err)
	}
	state := StateActive
	if !due.IsZero() {
		state = StateDue
	}
	c := &credit.Commitment{Code: code, SubjectID: subj.ID, Matter: in.Matter, Kind: in.Kind, Unit: unit.Code, RecordID: rec.ID,
		Approval: clip(in.Approval, 128), State: state, Open: true, SignedOn: today, Due: due,
		Detail: credit.CommitmentDetail{Signer: clip(in.Signer, 100), SignerRole: clip(in.SignerRole, 50), Document: clip(in.Document, 128),
			Channel: channel, Materials: materials, Promise: zh[0], Consequences: zh[1], Disclosure: t.Disclosure, DueProvisional: prov,
			RevokesApproval: t.RevokesApproval}}
	data := map[string]string{"channel": channel, "record": rec.ID}
	if ans != nil {
		c.CheckID = ans.ID
		data["check_id"] = ans.ID
		if in.CheckID != "" && in.CheckID != ans.ID {
			data["asked_check_id"] = in.CheckID
		}
	}
	if !due.IsZero() {
		data["due"] = dateStr(due)
	}
	ev := &credit.TrackEvent{Action: "sign", Actor: a.Name, Role: a.Role, At: now, Data: data}
	if err := s.cfg.Store.CreateCommitment(ctx, c, ev); err != nil {
		// The record must not stand for a commitment nobody follows.
		if _, rerr := s.cfg.Records.Revoke(ctx, rec.ID, unit.Code, "承诺登记未完成，撤回承诺信息"); rerr != nil {
			s.log.Error("commit: a commitment record without its commitment could not be revoked", "record", rec.ID, "err", rerr)
		}
		return nil, nil, credit.Wrap(op, credit.Other, err)
	}
	s.log.Info("commitment signed", "commitment", c.ID, "code", code, "subject", subj.ID, "matter", in.Matter, "kind", in.Kind, "unit", unit.Code, "due", dateStr(due))
	return c, ans, nil
}

// freeCode makes a 承诺编码 no record of the unit has yet.
func (s *Service) freeCode(ctx context.Context, unit string, now time.Time) (string, error) {
	for range 5 {
		code, err := s.newCode(unit, now)
		if err != nil {
			return "", credit.Wrap("commit.code", credit.Internal, err)
		}
		_, err = s.cfg.Store.LatestByDoc(ctx, unit, catalog.CommitmentItem, code)
		switch {
		case credit.Is(credit.NotFound, err):
			return code, nil
		case err != nil:
			return "", credit.Wrap("commit.code", credit.Other, err)
		}
	}
	return "", credit.E("commit.code", credit.Internal, "no free commitment code after 5 tries")
}
