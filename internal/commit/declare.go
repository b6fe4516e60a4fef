package commit

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"time"

	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/chinatime"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/publish"
	"github.com/xinyong/xinyong/internal/records"
	"github.com/xinyong/xinyong/internal/workflow"
)

// Declaring is information a subject declares about itself.
type Declaring struct {
	SubjectID string `json:"subject_id"`
	Kind      string `json:"kind"`
	// Issuer is the department that issued it (the honour's awarding
	// unit, the licence's authority), which may confirm it.
	Issuer      string    `json:"issuer"`
	Title       string    `json:"title"`
	Number      string    `json:"number"`
	IssuedOn    time.Time `json:"issued_on"`
	ValidUntil  time.Time `json:"valid_until"`
	Description string    `json:"description"`
	// Accepted says the subject accepted the commitment to the truth of
	// what it declares (the catalogue's text).
	Accepted bool `json:"accepted"`
}

// Declare keeps information a subject declares about itself (自主申报),
// with its commitment to its truth: only the subject itself declares.
func (s *Service) Declare(ctx context.Context, a Actor, in Declaring) (*credit.Declaration, error) {
	const op = "commit.Declare"
	if a.Role != credit.RoleSubject || a.Subject != in.SubjectID {
		return nil, refuse(RefusedOtherSubject, credit.Say(op, credit.Permission, "只有信用主体本人可以自主申报本主体的信息", "only the subject itself declares information about itself"))
	}
	k, err := s.cat.DeclarationKind(in.Kind)
	if err != nil {
		return nil, credit.Wrap(op, credit.Invalid, err)
	}
	if _, err := s.cat.Department(in.Issuer); err != nil {
		return nil, credit.Say(op, credit.Invalid, "请选择目录中的颁发单位（“%s”不是），由其核实", "name the issuing department, one of the catalogue (%q is not), which checks it", in.Issuer)
	}
	title := clip(in.Title, 200)
	if title == "" {
		return nil, credit.Say(op, credit.Invalid, "请填写申报信息的名称", "give the declared information's title")
	}
	if !in.Accepted {
		return nil, credit.Say(op, credit.Invalid, "须对所申报信息的真实性作出承诺", "the subject must commit to the truth of what it declares")
	}
	today := chinatime.Date(s.now())
	if !in.IssuedOn.IsZero() && in.IssuedOn.After(today) {
		return nil, credit.Say(op, credit.Invalid, "颁发日期%s晚于今天", "the date of issue %s is after today", dateStr(in.IssuedOn))
	}
	if !in.ValidUntil.IsZero() && !in.IssuedOn.IsZero() && in.ValidUntil.Before(in.IssuedOn) {
		return nil, credit.Say(op, credit.Invalid, "有效期至%s早于颁发日期%s", "valid until %s is before the date of issue %s", dateStr(in.ValidUntil), dateStr(in.IssuedOn))
	}
	if k.Item != "" && (strings.TrimSpace(in.Number) == "" || in.IssuedOn.IsZero()) {
		return nil, credit.Say(op, credit.Invalid, "%[1]s须填写证书或文件编号及颁发日期，以便颁发单位核实", "%[2]s need the number of the certificate or document and the date of issue, for the issuer to check",
			k.Name, k.NameEn)
	}
	if _, err := s.cfg.Store.Subject(ctx, in.SubjectID); err != nil {
		return nil, credit.Wrap(op, credit.Other, err)
	}
	d := &credit.Declaration{SubjectID: in.SubjectID, Kind: k.Code, Issuer: in.Issuer, Title: title, Number: clip(in.Number, 128),
		IssuedOn: in.IssuedOn, ValidUntil: in.ValidUntil, Description: clip(in.Description, 2000), State: DeclPending}
	ev := &credit.TrackEvent{Action: "declare", Actor: a.Name, Role: a.Role, At: s.now(),
		Data: map[string]string{"commitment": s.cat.Commitments.Declarations.Commitment}}
	if err := s.cfg.Store.CreateDeclaration(ctx, d, ev); err != nil {
		return nil, credit.Wrap(op, credit.Other, err)
	}
	return d, nil
}

// Declaration returns one declaration.
func (s *Service) Declaration(ctx context.Context, id string) (*credit.Declaration, error) {
	return s.cfg.Store.Declaration(ctx, id)
}

// Declarations lists declarations: a subject's (subjectID), or those an
// issuer is to check (issuer), in states.
func (s *Service) Declarations(ctx context.Context, subjectID, issuer string, states ...string) ([]credit.Declaration, error) {
	return s.cfg.Store.Declarations(ctx, credit.DeclarationFilter{SubjectID: subjectID, Issuer: issuer, States: states, Limit: 10000})
}

// PublicDeclarations are what the public sees of a subject's
// self-declared information: pending and verified declarations of an
// organisation, labelled as self-declared by every page that shows them.
// A confirmed one is an official record, shown as such; rejected and
// withdrawn ones are the subject's own business; natural persons are
// never public.
func (s *Service) PublicDeclarations(ctx context.Context, subj *credit.Subject) ([]credit.Declaration, error) {
	if !publish.PublicSubject(subj.Kind) {
		return nil, nil
	}
	return s.Declarations(ctx, subj.ID, "", DeclPending, DeclVerified)
}

// mayCheck checks that a acts for the declaration's issuer: its officers,
// or the platform's administrator.
func (s *Service) mayCheck(op string, d *credit.Declaration, a Actor) error {
	if a.Role == credit.RoleAdmin || (a.Role == credit.RoleDept && a.Dept == d.Issuer) {
		return nil
	}
	return refuse(RefusedNotIssuer, credit.Say(op, credit.Permission, "自主申报信息由申报人所称的颁发单位%[2]s核实，其他单位不能确认或驳回", "a declaration is checked by the issuer it names, %[1]s; no other unit may confirm or reject it",
		s.deptEn(d.Issuer), s.cat.DeptZh(d.Issuer)))
}

func (s *Service) loadDecl(ctx context.Context, op, id string) (*credit.Declaration, error) {
	d, err := s.cfg.Store.Declaration(ctx, id)
	if err != nil {
		return nil, credit.Wrap(op, credit.Other, err)
	}
	if d.State != DeclPending {
		return nil, credit.Say(op, credit.Conflict, "自主申报信息%[1]s当前为“%[3]s”，只有待核实的信息可以办理", "declaration %[1]s is %[2]s; only a pending one can be acted on",
			id, nameEn(StateNames, d.State), nameZh(StateNames, d.State))
	}
	return d, nil
}

func (s *Service) advanceDecl(ctx context.Context, d *credit.Declaration, a Actor, action, state, reason string, data map[string]string) error {
	d.State = state
	ev := &credit.TrackEvent{Action: action, Actor: a.Name, Role: a.Role, At: s.now(), Reason: reason, Data: data}
	if err := s.cfg.Store.AdvanceDeclaration(ctx, d, ev); err != nil {
		return credit.Wrap("commit."+action, credit.Other, err)
	}
	return nil
}

// Confirm is the issuer's confirmation of a declaration. A kind the
// catalogue holds an item for becomes an official record of that item,
// reported by the issuer through the records service (authorityCode is
// the issuer's unified social credit code, where the item asks for it);
// the declaration keeps its history and names the record. Any other kind
// is verified, and stays self-declared.
func (s *Service) Confirm(ctx context.Context, a Actor, id, authorityCode, note string) (*credit.Declaration, error) {
	const op = "commit.Confirm"
	d, err := s.loadDecl(ctx, op, id)
	if err != nil {
		return nil, err
	}
	if err := s.mayCheck(op, d, a); err != nil {
		return nil, err
	}
	k, err := s.cat.DeclarationKind(d.Kind)
	if err != nil {
		return nil, credit.Wrap(op, credit.Internal, err)
	}
	if k.Item == "" {
		if err := s.advanceDecl(ctx, d, a, "verify", DeclVerified, clip(note, 2000), nil); err != nil {
			return nil, err
		}
		return d, nil
	}
	subj, err := s.cfg.Store.Subject(ctx, d.SubjectID)
	if err != nil {
		return nil, credit.Wrap(op, credit.Other, err)
	}
	it, err := s.cat.Item(k.Item)
	if err != nil {
		return nil, credit.Wrap(op, credit.Internal, err)
	}
	f, err := s.cfg.Records.SubjectFields(it, subj)
	if err != nil {
		return nil, credit.Wrap(op, credit.Other, err)
	}
	src := map[string]string{"title": d.Title, "number": d.Number, "issued_on": dateStr(d.IssuedOn), "valid_until": dateStr(d.ValidUntil), "description": d.Description}
	put := func(m map[string]string) {
		for field, from := range m {
			v := src[from]
			if strings.HasPrefix(from, "=") {
				v = from[1:]
			}
			if v != "" {
				f[field] = v
			}
		}
	}
	put(k.Map)
	if subj.Kind == credit.Person {
		put(k.PersonMap)
	}
	for _, field := range k.Authority {
		f[field] = s.deptName(d.Issuer)
	}
	if code := strings.TrimSpace(authorityCode); code != "" {
		for _, field := range k.AuthorityCode {
			f[field] = code
		}
	}
	rec, outcome, err := s.cfg.Records.Append(ctx, records.Report{Item: k.Item, Dept: d.Issuer, SubjectID: d.SubjectID, Fields: f})
	if err != nil {
		return nil, credit.Wrap(op, credit.Other, err)
	}
	d.RecordID = rec.ID
	data := map[string]string{"record": rec.ID, "item": k.Item}
	if outcome == records.Unchanged {
		data["already_reported"] = "yes"
	}
	if err := s.advanceDecl(ctx, d, a, "confirm", DeclConfirmed, clip(note, 2000), data); err != nil {
		return nil, err
	}
	return d, nil
}

// Reject is the issuer's finding that a declaration is not so, with the
// reason, which the subject sees.
func (s *Service) Reject(ctx context.Context, a Actor, id, reason string) (*credit.Declaration, error) {
	const op = "commit.Reject"
	if strings.TrimSpace(reason) == "" {
		return nil, credit.Say(op, credit.Invalid, "不予确认须说明理由", "a rejection states its reason")
	}
	d, err := s.loadDecl(ctx, op, id)
	if err != nil {
		return nil, err
	}
	if err := s.mayCheck(op, d, a); err != nil {
		return nil, err
	}
	d.Reason = clip(reason, 2000)
	if err := s.advanceDecl(ctx, d, a, "reject", DeclRejected, d.Reason, nil); err != nil {
		return nil, err
	}
	return d, nil
}

// Withdraw is the subject withdrawing a declaration not yet checked.
func (s *Service) Withdraw(ctx context.Context, a Actor, id string) (*credit.Declaration, error) {
	const op = "commit.Withdraw"
	d, err := s.loadDecl(ctx, op, id)
	if err != nil {
		return nil, err
	}
	if a.Role != credit.RoleSubject || a.Subject != d.SubjectID {
		return nil, refuse(RefusedOtherSubject, credit.Say(op, credit.Permission, "只有申报主体本人可以撤回", "only the subject that declared it may withdraw it"))
	}
	if err := s.advanceDecl(ctx, d, a, "withdraw", DeclWithdrawn, "", nil); err != nil {
		return nil, err
	}
	return d, nil
}

// AddFile attaches a file (workflow.CheckFile's rule: PDF, JPEG or PNG,
// bounded) to a commitment, by its subject, its accepting unit or the
// credit office while it is followed or when deciding it; or to a pending
// declaration, by its subject.
func (s *Service) AddFile(ctx context.Context, a Actor, of, name, declared string, body []byte) (*credit.OwnedFile, error) {
	const op = "commit.AddFile"
	if c, err := s.cfg.Store.Commitment(ctx, of); err == nil {
		if a.Role == credit.RoleSubject {
			if a.Subject != c.SubjectID {
				return nil, refuse(RefusedOtherSubject, credit.Say(op, credit.Permission, "不能为其他主体的承诺上传文件", "a subject may not add files to another subject's commitment"))
			}
		} else if err := s.mayDecide(op, c, a, true); err != nil {
			return nil, err
		}
		if !c.Open && a.Role == credit.RoleSubject {
			return nil, credit.Say(op, credit.Conflict, "承诺%s已办结，不能再上传文件", "commitment %s is settled: no more files", c.Code)
		}
	} else if !credit.Is(credit.NotFound, err) {
		return nil, err
	} else {
		d, err := s.cfg.Store.Declaration(ctx, of)
		if err != nil {
			return nil, credit.Wrap(op, credit.Other, err)
		}
		if a.Role != credit.RoleSubject || a.Subject != d.SubjectID {
			return nil, refuse(RefusedOtherSubject, credit.Say(op, credit.Permission, "只有申报主体本人可以上传申报材料", "only the subject that declared it adds its files"))
		}
		if d.State != DeclPending {
			return nil, credit.Say(op, credit.Conflict, "该申报已办结，不能再上传文件", "the declaration is settled: no more files")
		}
	}
	sniffed, err := workflow.CheckFile(name, declared, body, s.cfg.MaxFileBytes)
	if err != nil {
		return nil, credit.Wrap(op, credit.Other, err)
	}
	files, err := s.cfg.Store.OwnedFiles(ctx, of)
	if err != nil {
		return nil, err
	}
	if len(files) >= s.cfg.MaxFiles {
		return nil, credit.Say(op, credit.Invalid, "已有%d个文件，已达上限", "there are %d files already, the most allowed", len(files))
	}
	sum := sha256.Sum256(body)
	f := &credit.OwnedFile{Of: of, Name: workflow.FileName(name), ContentType: sniffed, SHA256: hex.EncodeToString(sum[:]), Body: body, UploadedBy: a.Name}
	if err := s.cfg.Store.PutOwnedFile(ctx, f); err != nil {
		return nil, err
	}
	return f, nil
}

// Kinds of declaration, for the forms.
func (s *Service) DeclarationKinds() []*catalog.DeclarationKind {
	return s.cat.Commitments.Declarations.Kinds
}
