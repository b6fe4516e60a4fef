// Package records keeps subjects' credit files: it is the one way facts
// enter storage. It checks every fact against the catalogue (an item that is
// not in the catalogue cannot enter a credit file), validates codes, seals
// natural persons' ID numbers, and turns a resent document into nothing (same
// content) or a new version (changed content) instead of a duplicate.
package records

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/chinatime"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/pii"
	"github.com/xinyong/xinyong/internal/publish"
	"github.com/xinyong/xinyong/internal/uscc"
)

// Store is what the records service reads and writes: subjects and
// their record chains.
type Store interface {
	credit.SubjectStore
	credit.RecordStore
	// SubjectsByIDHashes finds stored persons by keyed hashes (Persons).
	SubjectsByIDHashes(ctx context.Context, hashes []string) (map[string]*credit.Subject, error)
}

// Service is the credit-file service.
type Service struct {
	Store   Store
	Catalog *catalog.Catalog
	Sealer  *pii.Sealer
	// Now is the clock; tests move it.
	Now func() time.Time
	// SubjectChanged, when set, is called after an organisation is
	// registered or changed (the search index learns of it at once).
	SubjectChanged func(ctx context.Context, s *credit.Subject)
	// codes holds each item's code checks (*Codes), made on first use.
	codes sync.Map
	// Written, when set, is called after facts were written, so that this
	// node's followers of the change feed (the lists decided elsewhere,
	// the hit check) catch up at once; other nodes do at their next poll.
	Written func(ctx context.Context)
}

// written tells the followers of this node that facts were written.
func (s *Service) written(ctx context.Context) {
	if s.Written != nil {
		s.Written(ctx)
	}
}

// Notify tells this node's followers of the change feed that facts were
// written by another path (a bulk import's chunks).
func (s *Service) Notify(ctx context.Context) { s.written(ctx) }

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

// Organisation is what a department or the registry reports about an
// organisation or an individual business.
type Organisation struct {
	Code         string
	Name         string
	FormerNames  []string
	LegalRep     string
	Status       string
	RegisteredOn time.Time
	// By is who registers: an administrator, a department, or (zero) the
	// platform itself (its demo and imports). Registration data is the
	// registration authority's (catalog.Registers): only it, an
	// administrator or the platform sets or changes it.
	By credit.Actor
}

// PutOrganisation validates the USCC and stores the organisation, or
// changes its registration data, keeping every change as a revision. A
// code that fails its check but is a known legacy code is kept with a
// data-quality flag; an invalid code is refused with the reason. A
// department that is not the organisation's registration authority may
// register a new organisation by code and name (as its records would),
// but not set or change its legal representative, status, registration
// date or an existing name. Empty fields keep what is stored.
func (s *Service) PutOrganisation(ctx context.Context, o Organisation) (*credit.Subject, error) {
	sub, _, err := s.putOrganisation(ctx, o)
	return sub, err
}

// putOrganisation is PutOrganisation, saying also whether it wrote
// anything (false: the stored organisation already was as o says).
func (s *Service) putOrganisation(ctx context.Context, o Organisation) (*credit.Subject, bool, error) {
	const op = "records.PutOrganisation"
	res := uscc.CheckUSCC(o.Code)
	if res.Status == uscc.Invalid {
		return nil, false, credit.Say(op, credit.Invalid, "统一社会信用代码%[1]s无效：%[3]s", "invalid unified social credit code %[1]s: %[2]s", res.Code, res.Reason(), res.ReasonZh())
	}
	if strings.TrimSpace(o.Name) == "" {
		return nil, false, credit.Say(op, credit.Invalid, "主体%s未填写名称", "subject %s has no name", res.Code)
	}
	kind := credit.OrgKind(res.Authority, res.EntityType)
	now := s.now()
	sub := &credit.Subject{
		ID: res.Code, Kind: kind, Code: res.Code, OrgType: res.Authority + res.EntityType, Region: res.Region,
		CreatedAt: now, UpdatedAt: now,
	}
	if res.Status == uscc.Flagged {
		sub.CodeFlag = res.Reason()
	}
	old, err := s.Store.Subject(ctx, sub.ID)
	switch {
	case err == nil:
		sub.CreatedAt = old.CreatedAt
		sub.Name, sub.LegalRep, sub.Status, sub.RegisteredOn = old.Name, old.LegalRep, old.Status, old.RegisteredOn
	case credit.Is(credit.NotFound, err):
		old = &credit.Subject{}
	default:
		return nil, false, credit.Wrap(op, credit.Other, err)
	}
	var changes []credit.FieldChange
	set := func(field string, cur *string, v string) {
		if v = strings.TrimSpace(v); v != "" && v != *cur {
			changes = append(changes, credit.FieldChange{Field: field, Old: *cur, New: v})
			*cur = v
		}
	}
	set("name", &sub.Name, o.Name)
	set("legal_rep", &sub.LegalRep, o.LegalRep)
	set("status", &sub.Status, o.Status)
	if !o.RegisteredOn.IsZero() && !o.RegisteredOn.Equal(old.RegisteredOn) {
		changes = append(changes, credit.FieldChange{Field: "registered_on", Old: dateOf(old.RegisteredOn), New: dateOf(o.RegisteredOn)})
		sub.RegisteredOn = o.RegisteredOn
	}
	sub.FormerNames = mergeNames(old, sub, o.FormerNames)
	if !s.registers(o.By, res.Code) {
		// A new organisation by code and name is what any department's
		// records create; anything more is the registration authority's.
		for _, c := range changes {
			if c.Field != "name" || old.ID != "" {
				return nil, false, credit.Say(op, credit.Permission, "%[3]s不是%[1]s的登记机关：登记信息（%[4]s）只能由登记机关变更",
					"%[2]s is not the registration authority of %[1]s: its registration data (%[5]s) is changed only by that authority",
					res.Code, o.By.Dept, s.Catalog.DeptZh(o.By.Dept), fieldZh[c.Field], c.Field)
			}
		}
	}
	if len(changes) == 0 && old.ID != "" && len(sub.FormerNames) == len(old.FormerNames) {
		return old, false, nil
	}
	rev := &credit.SubjectRevision{ID: credit.NewID(), At: now, Actor: o.By.Name, Dept: o.By.Dept, Changes: changes}
	if rev.Actor == "" {
		rev.Actor = "platform"
	}
	if len(changes) > 0 {
		err = s.Store.ReviseSubject(ctx, sub, rev)
	} else {
		err = s.Store.PutSubject(ctx, sub)
	}
	if err != nil {
		return nil, false, credit.Wrap(op, credit.Other, err)
	}
	if s.SubjectChanged != nil {
		s.SubjectChanged(ctx, sub)
	}
	return sub, true, nil
}

// fieldZh names the registration fields in Chinese messages.
var fieldZh = map[string]string{"name": "名称", "legal_rep": "法定代表人", "status": "登记状态", "registered_on": "成立日期"}

func dateOf(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return chinatime.Format(t)
}

// registers reports whether by may set an organisation's registration
// data: the platform itself, an administrator, or a department of its
// registration authority.
func (s *Service) registers(by credit.Actor, code string) bool {
	switch by.Role {
	case "", credit.RoleAdmin:
		return true
	case credit.RoleDept:
		return s.Catalog.Registers(by.Dept, code)
	}
	return false
}

// mergeNames keeps every name a subject has borne: a renamed subject must
// still be found by its former name.
func mergeNames(old, cur *credit.Subject, more []string) []string {
	seen := map[string]bool{cur.Name: true}
	var out []string
	for _, n := range append(append([]string{old.Name}, old.FormerNames...), more...) {
		if n != "" && !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	return out
}

// PutPerson stores a natural person keyed by the keyed hash of the ID
// number; the number itself is sealed and only a masked form is kept clear.
func (s *Service) PutPerson(ctx context.Context, name, idno string) (*credit.Subject, error) {
	const op = "records.PutPerson"
	sub, stored, err := s.Person(ctx, name, idno)
	if err != nil || stored {
		return sub, err
	}
	if err := s.Store.PutSubject(ctx, sub); err != nil {
		return nil, credit.Wrap(op, credit.Other, err)
	}
	return sub, nil
}

// NamedID is a natural person as given: a name and a resident ID number.
type NamedID struct{ Name, IDNo string }

// Persons is Person for many people in one look-up (the exchange applies
// a batch's persons at once): out[i] is people[i]'s subject, stored[i]
// whether it is stored already. An invalid number fails the whole call.
func (s *Service) Persons(ctx context.Context, people []NamedID) (out []*credit.Subject, stored []bool, err error) {
	const op = "records.PutPerson"
	if s.Sealer == nil {
		return nil, nil, credit.E(op, credit.Internal, "no data key configured: natural persons cannot be stored")
	}
	codes := make([]string, len(people))
	var hashes []string
	for i, p := range people {
		res := uscc.CheckResidentID(p.IDNo)
		if res.Status == uscc.Invalid {
			return nil, nil, credit.Say(op, credit.Invalid, "居民身份证号码无效：%[2]s", "invalid resident ID number: %[1]s", res.Reason(), res.ReasonZh())
		}
		codes[i] = res.Code
		hashes = append(hashes, s.Sealer.Hashes(res.Code)...)
	}
	found, err := s.Store.SubjectsByIDHashes(ctx, hashes)
	if err != nil {
		return nil, nil, credit.Wrap(op, credit.Other, err)
	}
	out, stored = make([]*credit.Subject, len(people)), make([]bool, len(people))
	for i, p := range people {
		for _, h := range s.Sealer.Hashes(codes[i]) {
			if sub := found[h]; sub != nil {
				out[i], stored[i] = sub, true
				break
			}
		}
		if out[i] == nil {
			if out[i], err = s.newPerson(p.Name, codes[i]); err != nil {
				return nil, nil, err
			}
		}
	}
	return out, stored, nil
}

// Person returns this node's subject for the natural person with
// resident ID number idno: the one stored (stored true; found under any
// key's hash), or a new one, sealed and keyed with this node's data key,
// not stored yet (the exchange writes it with the facts it applies).
func (s *Service) Person(ctx context.Context, name, idno string) (sub *credit.Subject, stored bool, err error) {
	const op = "records.PutPerson"
	res := uscc.CheckResidentID(idno)
	if res.Status == uscc.Invalid {
		return nil, false, credit.Say(op, credit.Invalid, "居民身份证号码无效：%[2]s", "invalid resident ID number: %[1]s", res.Reason(), res.ReasonZh())
	}
	if s.Sealer == nil {
		return nil, false, credit.E(op, credit.Internal, "no data key configured: natural persons cannot be stored")
	}
	if old, err := s.personByHash(ctx, res.Code); err == nil {
		return old, true, nil
	} else if !credit.Is(credit.NotFound, err) {
		return nil, false, credit.Wrap(op, credit.Other, err)
	}
	sub, err = s.newPerson(name, res.Code)
	return sub, false, err
}

// newPerson is a new subject for the person with the checked number
// code, sealed and keyed with this node's data key.
func (s *Service) newPerson(name, code string) (*credit.Subject, error) {
	hash := s.Sealer.Hash(code)
	sealed, err := s.Sealer.Seal(code)
	if err != nil {
		return nil, credit.Wrap("records.PutPerson", credit.Internal, err)
	}
	now := s.now()
	return &credit.Subject{
		ID: credit.PersonID(hash), Kind: credit.Person, Name: strings.TrimSpace(name),
		Region: uscc.CheckResidentID(code).Region, IDCipher: sealed, IDHash: hash, IDMasked: uscc.MaskResidentID(code),
		CreatedAt: now, UpdatedAt: now,
	}, nil
}

// PersonByID finds the natural person registered with a resident ID
// number; NotFound if none. It is the one look-up of a person by number:
// callers decide who may ask (a purpose, an entitled role, an audit entry).
func (s *Service) PersonByID(ctx context.Context, idno string) (*credit.Subject, error) {
	const op = "records.PersonByID"
	res := uscc.CheckResidentID(idno)
	if res.Status == uscc.Invalid {
		return nil, credit.Say(op, credit.Invalid, "居民身份证号码无效：%[2]s", "invalid resident ID number: %[1]s", res.Reason(), res.ReasonZh())
	}
	if s.Sealer == nil {
		return nil, credit.E(op, credit.Unavailable, "no data key configured: natural persons cannot be found")
	}
	sub, err := s.personByHash(ctx, res.Code)
	if err != nil {
		return nil, credit.Wrap(op, credit.Other, err)
	}
	return sub, nil
}

// personByHash looks a person up under every key's hash: during a key
// rotation a person's stored hash may be the previous key's, and the same
// person must never be created twice nor missed.
func (s *Service) personByHash(ctx context.Context, code string) (*credit.Subject, error) {
	for _, h := range s.Sealer.Hashes(code) {
		if old, err := s.Store.SubjectByIDHash(ctx, h); err == nil || !credit.Is(credit.NotFound, err) {
			return old, err
		}
	}
	return nil, credit.Say("records.PersonByID", credit.NotFound, "没有登记该身份证号码的自然人", "no natural person registered with this ID number")
}

// SubjectFields are the fields of a record of item it that name subj,
// by the item's keys: its name, its kind, and its code (an organisation)
// or its ID number (a natural person: opened here only to be sealed again
// with the record, which seals every personal field). Records the platform
// makes itself (a false commitment, a commitment signed online, a
// confirmed self-declaration) name their subject through it.
func (s *Service) SubjectFields(it *catalog.Item, subj *credit.Subject) (credit.Fields, error) {
	const op = "records.SubjectFields"
	f := credit.Fields{}
	k := it.Keys
	if k.SubjectName != "" {
		f[k.SubjectName] = subj.Name
	}
	if k.SubjectKind != "" {
		f[k.SubjectKind] = catalog.SubjectKindLabel(subj.Kind)
	}
	if subj.Kind != credit.Person {
		if k.SubjectCode != "" {
			f[k.SubjectCode] = subj.Code
		}
		return f, nil
	}
	if k.SubjectIDNo != "" && len(subj.IDCipher) > 0 {
		if s.Sealer == nil {
			return nil, credit.Say(op, credit.Unavailable, "平台未配置数据密钥，无法读取自然人的证件号码", "no data key is configured: a natural person's ID number cannot be read")
		}
		idno, err := s.Sealer.Open(subj.IDCipher)
		if err != nil {
			return nil, credit.Wrap(op, credit.Internal, err)
		}
		f[k.SubjectIDNo] = idno
	}
	return f, nil
}

// OpenFields is a copy of a stored record's fields with its sealed
// personal fields opened: Correct takes a new version built from them
// (a correction that changes other fields) this way, so that Prepare
// validates the clear values and seals them again.
func (s *Service) OpenFields(f credit.Fields) (credit.Fields, error) {
	out := make(credit.Fields, len(f))
	for k, v := range f {
		if pii.IsSealedField(v) {
			if s.Sealer == nil {
				return nil, credit.Say("records.OpenFields", credit.Unavailable, "平台未配置数据密钥，无法读取证件号码（%s）", "no data key is configured: the identity number in %s cannot be read", k)
			}
			clear, err := s.Sealer.OpenField(v)
			if err != nil {
				return nil, credit.Wrap("records.OpenFields", credit.Internal, err)
			}
			v = clear
		}
		out[k] = v
	}
	return out, nil
}

// Report is one fact a department reports.
type Report struct {
	Item      string
	Dept      string
	BatchID   string
	SubjectID string
	Fields    credit.Fields
	// Codes is the result of the code checks (Codes) when the caller ran
	// them on these fields already (an import does, on every row, for
	// the subject's kind and code); nil: Prepare runs them.
	Codes *CodeResult
}

// Outcome says what Append did with a report.
type Outcome string

const (
	Created   Outcome = "created"   // a new record chain
	Versioned Outcome = "versioned" // a new version (correction) of a resent document
	Unchanged Outcome = "unchanged" // the same document with the same content: nothing written
)

// Prepare validates a report against the catalogue and builds the fact
// that Append would write, without writing it. latest is the newest fact of
// the same document, if any (nil otherwise). Bulk import uses Prepare and
// writes many facts in one transaction.
func (s *Service) Prepare(rep Report, latest *credit.Record) (*credit.Record, Outcome, error) {
	const op = "records.Prepare"
	it, err := s.Catalog.Item(rep.Item)
	if err != nil {
		return nil, "", credit.Wrap(op, credit.Invalid, err)
	}
	if rep.Dept == "" {
		return nil, "", credit.Say(op, credit.Invalid, "未指明报送部门", "no reporting department")
	}
	// Only departments of the kinds the catalogue names may report an
	// item (a court's 失信被执行人, say): checked here, where every fact
	// enters a file.
	if err := s.Catalog.MayReport(rep.Dept, it.Code); err != nil {
		return nil, "", credit.Wrap(op, credit.Other, err)
	}
	now := s.now()
	if errs := it.Validate(rep.Fields, now); len(errs) > 0 {
		msgs, zh := make([]string, len(errs)), make([]string, len(errs))
		for i, e := range errs {
			msgs[i], zh[i] = e.Error(), e.Chinese()
		}
		return nil, "", credit.Say(op, credit.Invalid, "%[3]s（%[1]s）：%[4]s", "item %[1]s: %[2]s", it.Code, strings.Join(msgs, "; "), it.Name, strings.Join(zh, "；"))
	}
	if err := s.checkCodes(op, it, rep); err != nil {
		return nil, "", err
	}
	if err := s.namesSubject(op, it, rep); err != nil {
		return nil, "", err
	}
	// A record of a list decided elsewhere must name a list of the
	// catalogue that its department decides.
	if _, err := s.Catalog.ReportedList(it.Code, rep.Fields, rep.Dept); err != nil {
		return nil, "", credit.Wrap(op, credit.Other, err)
	}
	docNo := docNumber(it, rep)
	if docNo == "" {
		return nil, "", credit.Say(op, credit.Invalid, "%[3]s（%[1]s）：文书号（%[2]s）为必填项", "item %[1]s: field %[2]s: document number is required", it.Code, it.Keys.DocNo, it.Name)
	}
	var decided time.Time
	if it.Keys.DecidedOn != "" && rep.Fields[it.Keys.DecidedOn] != "" {
		decided, err = catalog.ParseDate(rep.Fields[it.Keys.DecidedOn])
		if err != nil {
			return nil, "", credit.Say(op, credit.Invalid, "%[4]s（%[1]s）字段%[2]s：%[3]v", "item %[1]s: field %[2]s: %[3]v", it.Code, it.Keys.DecidedOn, err, it.Name)
		}
	}
	rec := &credit.Record{
		ID: credit.NewID(), SubjectID: rep.SubjectID, Item: it.Code, Catalog: s.Catalog.Version,
		Fact: credit.Original, Dept: rep.Dept, BatchID: rep.BatchID, DocNo: docNo,
		DecidedOn: decided, Received: now, Fields: rep.Fields,
	}
	// The severity stored with the fact is the one classification of it
	// (publish.WindowOf), by its reporting department's domain.
	rec.Severity = publish.WindowOf(s.Catalog, it, rec, nil).Severity
	if rec.Fields, err = s.seal(it, rep.Fields); err != nil {
		return nil, "", credit.Wrap(op, credit.Other, err)
	}
	rec.Hash = ContentHash(rec)
	if latest != nil {
		if latest.SubjectID != rec.SubjectID {
			return nil, "", credit.Say(op, credit.Conflict, "%[5]s的文书%[1]s此前报送的主体是%[3]s，不是%[4]s：请先撤销再重新报送",
				"document %[1]s of %[2]s was reported for subject %[3]s, not %[4]s: revoke it and report it again", docNo, rep.Dept, latest.SubjectID, rec.SubjectID, s.Catalog.DeptZh(rep.Dept))
		}
		if latest.Fact != credit.Revocation && latest.Hash == rec.Hash {
			return latest, Unchanged, nil
		}
		rec.Fact = credit.Correction
		rec.Supersedes = latest.ID
		rec.Reason = "resent with changed content"
		return rec, Versioned, nil
	}
	return rec, Created, nil
}

// checkCodes refuses a record with every problem the code checks an
// import runs on every row (Codes) find in its fields: the caller's
// result when it ran them (rep.Codes), else Prepare's own.
func (s *Service) checkCodes(op string, it *catalog.Item, rep Report) error {
	res := rep.Codes
	if res == nil {
		c, ok := s.codes.Load(it)
		if !ok {
			c, _ = s.codes.LoadOrStore(it, NewCodes(it, uscc.NewChecker(uscc.DefaultLegacy(), s.now)))
		}
		r := c.(*Codes).Check(rep.Fields, nil)
		res = &r
	}
	if len(res.Problems) == 0 {
		return nil
	}
	zh, en := make([]string, len(res.Problems)), make([]string, len(res.Problems))
	for i, p := range res.Problems {
		label := p.Field
		if fd := it.Field(p.Field); fd != nil {
			label = fd.Label
		}
		zh[i] = fmt.Sprintf("字段“%s”（%s）：%s", label, p.Field, p.Zh)
		en[i] = fmt.Sprintf("field %s: %s", p.Field, p.En)
	}
	return credit.Say(op, credit.Invalid, "%[3]s（%[1]s）：%[4]s", "item %[1]s: %[2]s", it.Code, strings.Join(en, "; "), it.Name, strings.Join(zh, "；"))
}

// namesSubject checks that a record's own fields name the subject it is
// filed under, by the item's keys: an organisation's code, a person's ID
// number. Without it a record whose content names another company (or no
// valid company at all) could be put in a subject's credit file by the
// single-record API, which takes the subject as stated; an import derives
// the subject from the fields, so it always agrees.
func (s *Service) namesSubject(op string, it *catalog.Item, rep Report) error {
	f, k := rep.Fields, it.Keys
	switch it.SubjectKindOf(f) {
	case credit.Person:
		idno := strings.ToUpper(strings.TrimSpace(f[k.SubjectIDNo]))
		if idno == "" || s.Sealer == nil {
			return nil
		}
		for _, h := range s.Sealer.Hashes(idno) {
			if credit.PersonID(h) == rep.SubjectID {
				return nil
			}
		}
		return credit.Say(op, credit.Invalid, "%[2]s（%[1]s）：记录中的身份证号码%[3]s不是主体%[4]s的号码：记录应报送到它所记载的主体名下",
			"item %[1]s: the ID number %[3]s in the record is not subject %[4]s's: a record goes to the subject it names", it.Code, it.Name, uscc.MaskResidentID(idno), rep.SubjectID)
	default:
		code := strings.ToUpper(strings.TrimSpace(f[k.SubjectCode]))
		if code == "" || k.SubjectCode == "" || code == rep.SubjectID {
			return nil
		}
		fd := it.Field(k.SubjectCode)
		return credit.Say(op, credit.Invalid, "%[2]s（%[1]s）：记录中的%[5]s为%[3]s，与报送的主体%[4]s不一致：记录应报送到它所记载的主体名下",
			"item %[1]s: the record's %[6]s (%[7]s) is %[3]s, not the subject %[4]s it is reported for: a record goes to the subject it names", it.Code, it.Name, code, rep.SubjectID, fd.Label, fd.Code, fd.Label)
	}
}

// seal returns a copy of f with the item's personal fields sealed
// (internal/pii): no clear identity number reaches storage.
func (s *Service) seal(it *catalog.Item, f credit.Fields) (credit.Fields, error) {
	personal := it.PersonalFields()
	out := make(credit.Fields, len(f))
	for k, v := range f {
		out[k] = v
	}
	for _, code := range personal {
		v := strings.TrimSpace(out[code])
		if v == "" || pii.IsSealedField(v) {
			continue
		}
		if s.Sealer == nil {
			return nil, credit.Say("records.seal", credit.Unavailable, "平台未配置数据密钥，无法保存证件号码（%s）", "no data key is configured: the identity number in %s cannot be stored", code)
		}
		sealed, err := s.Sealer.SealField(v)
		if err != nil {
			return nil, credit.Wrap("records.seal", credit.Internal, err)
		}
		out[code] = sealed
	}
	return out, nil
}

// docNumber is the identity of a reported document within its department
// and item. Items without a decision document (registration data) have one
// current fact per subject, so the subject ID stands in for the number.
func docNumber(it *catalog.Item, rep Report) string {
	if it.Keys.DocNo == "" {
		return rep.SubjectID
	}
	return strings.TrimSpace(rep.Fields[it.Keys.DocNo])
}

// Append validates and writes one report.
func (s *Service) Append(ctx context.Context, rep Report) (*credit.Record, Outcome, error) {
	const op = "records.Append"
	if _, err := s.Store.Subject(ctx, rep.SubjectID); err != nil {
		return nil, "", credit.Wrap(op, credit.Other, err)
	}
	it, err := s.Catalog.Item(rep.Item)
	if err != nil {
		return nil, "", credit.Wrap(op, credit.Invalid, err)
	}
	var latest *credit.Record
	if doc := docNumber(it, rep); doc != "" {
		latest, err = s.Store.LatestByDoc(ctx, rep.Dept, it.Code, doc)
		if err != nil && !credit.Is(credit.NotFound, err) {
			return nil, "", credit.Wrap(op, credit.Other, err)
		}
	}
	rec, outcome, err := s.Prepare(rep, latest)
	if err != nil || outcome == Unchanged {
		return rec, outcome, err
	}
	if err := s.Store.AppendRecords(ctx, []credit.Record{*rec}); err != nil {
		return nil, "", credit.Wrap(op, credit.Other, err)
	}
	s.written(ctx)
	return rec, outcome, nil
}

// Revoke appends a revocation of the chain that recordID belongs to.
func (s *Service) Revoke(ctx context.Context, recordID, dept, reason string) (*credit.Record, error) {
	const op = "records.Revoke"
	if strings.TrimSpace(reason) == "" {
		return nil, credit.Say(op, credit.Invalid, "撤销须说明理由", "a revocation must state its reason")
	}
	old, err := s.Store.Record(ctx, recordID)
	if err != nil {
		return nil, credit.Wrap(op, credit.Other, err)
	}
	rec := *old
	rec.ID = credit.NewID()
	rec.Fact = credit.Revocation
	rec.Supersedes = old.ID
	rec.Dept = dept
	rec.BatchID = ""
	rec.Reason = reason
	rec.Received = s.now()
	rec.Hash = ContentHash(&rec)
	if err := s.Store.AppendRecords(ctx, []credit.Record{rec}); err != nil {
		return nil, credit.Wrap(op, credit.Other, err)
	}
	s.written(ctx)
	return &rec, nil
}

// Correct appends a correction with new field values for the record.
func (s *Service) Correct(ctx context.Context, recordID, dept, reason string, fields credit.Fields) (*credit.Record, error) {
	const op = "records.Correct"
	if strings.TrimSpace(reason) == "" {
		return nil, credit.Say(op, credit.Invalid, "更正须说明理由", "a correction must state its reason")
	}
	old, err := s.Store.Record(ctx, recordID)
	if err != nil {
		return nil, credit.Wrap(op, credit.Other, err)
	}
	// Fields built from a stored record (an upheld objection changing one
	// field, a commitment's breach) carry its personal fields sealed: they
	// are checked clear and sealed again like any other.
	if fields, err = s.OpenFields(fields); err != nil {
		return nil, credit.Wrap(op, credit.Other, err)
	}
	rec, _, err := s.Prepare(Report{Item: old.Item, Dept: dept, SubjectID: old.SubjectID, Fields: fields}, nil)
	if err != nil {
		return nil, credit.Wrap(op, credit.Other, err)
	}
	rec.Fact = credit.Correction
	rec.Supersedes = old.ID
	rec.Reason = reason
	rec.Hash = ContentHash(rec)
	if err := s.Store.AppendRecords(ctx, []credit.Record{*rec}); err != nil {
		return nil, credit.Wrap(op, credit.Other, err)
	}
	s.written(ctx)
	return rec, nil
}

// File returns the derived current state of every record chain of a subject.
func (s *Service) File(ctx context.Context, subjectID string) ([]credit.State, error) {
	facts, err := s.Store.RecordsBySubject(ctx, subjectID)
	if err != nil {
		return nil, credit.Wrap("records.File", credit.Other, err)
	}
	return credit.Derive(facts), nil
}

// ContentHash is the hash of what a fact says: subject, item, document,
// and fields in a canonical order. Provenance (batch, time received) and the
// fact kind are left out so that a resent unchanged document hashes equal to
// its latest version, whether that is the original or a correction.
func ContentHash(r *credit.Record) string {
	keys := make([]string, 0, len(r.Fields))
	n := len(r.SubjectID) + len(r.Item) + len(r.DocNo) + 3
	for k, v := range r.Fields {
		keys = append(keys, k)
		n += len(k) + len(v) + 2
	}
	sort.Strings(keys)
	// One buffer and one Write: an import hashes every row, and writing
	// each field through fmt into the hash was a tenth of a worker's CPU.
	b := make([]byte, 0, n)
	b = append(append(append(append(append(append(b, r.SubjectID...), 0), r.Item...), 0), r.DocNo...), 0)
	for _, k := range keys {
		v := strings.TrimSpace(r.Fields[k])
		if pii.IsSealedField(v) {
			// A sealed number counts by its keyed hash: sealing the same
			// number twice gives two ciphertexts, never two hashes.
			v = "sealed:" + pii.FieldHash(v)
		}
		b = append(append(append(append(b, k...), '='), v...), 0)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// SealedFields is the key registry's entry (internal/pii) for the personal
// fields of records (the catalogue's Personal fields): a key rotation
// re-seals them, and a start seals any a record of an older installation
// holds in clear. The content hash, which counts a sealed number by its
// keyed hash, is computed again with them.
func SealedFields(cat *catalog.Catalog) pii.Column {
	return pii.Column{
		Clear: true,
		SealedColumn: credit.SealedColumn{Name: "records.fields", Table: "records", Key: "id",
			Fields: []credit.SealedField{{Name: "item"}, {Name: "subject_id"}, {Name: "doc_no"}, {Name: "fields"}, {Name: "hash"}},
			Where:  personalItemsWhere(cat)},
		Reseal: func(r *pii.Rekey, _ string, v [][]byte) ([][]byte, error) {
			it, err := cat.Item(string(v[0]))
			if err != nil {
				return nil, nil // an item the catalogue no longer has: left as it is
			}
			var f credit.Fields
			if err := json.Unmarshal(v[3], &f); err != nil {
				return nil, fmt.Errorf("fields: %w", err)
			}
			changed := false
			for _, code := range it.PersonalFields() {
				val := strings.TrimSpace(f[code])
				if val == "" || (pii.IsSealedField(val) && r.To.FieldSealedWith(val)) {
					continue
				}
				clear, err := r.From.OpenField(val)
				if err != nil {
					return nil, fmt.Errorf("field %s: %w", code, err)
				}
				if f[code], err = r.To.SealField(clear); err != nil {
					return nil, err
				}
				changed = true
			}
			if !changed {
				return nil, nil
			}
			rec := &credit.Record{SubjectID: string(v[1]), Item: it.Code, DocNo: string(v[2]), Fields: f}
			var out bytes.Buffer
			enc := json.NewEncoder(&out)
			enc.SetEscapeHTML(false) // as the store writes fields
			if err := enc.Encode(f); err != nil {
				return nil, err
			}
			return [][]byte{v[0], v[1], v[2], bytes.TrimSuffix(out.Bytes(), []byte("\n")), []byte(ContentHash(rec))}, nil
		},
		Opens: func(s *pii.Sealer, v [][]byte) (bool, bool) {
			var f credit.Fields
			if json.Unmarshal(v[3], &f) != nil {
				return false, false
			}
			for _, val := range f {
				if pii.IsSealedField(val) {
					_, err := s.OpenField(val)
					return err == nil, true
				}
			}
			return false, false
		},
	}
}

// personalItemsWhere selects the records of items with personal fields.
func personalItemsWhere(cat *catalog.Catalog) string {
	var items []string
	for _, it := range cat.Items {
		if len(it.PersonalFields()) > 0 {
			items = append(items, "'"+strings.ReplaceAll(it.Code, "'", "")+"'")
		}
	}
	if len(items) == 0 {
		return "1 = 0"
	}
	return "item IN (" + strings.Join(items, ", ") + ")"
}

// Foreign checks a fact that another platform recorded (its origin is
// authoritative: its ID, department, document, dates and severity are
// kept) against this node's catalogue, as every fact entering a file is:
// the item must be in the catalogue, its department one the catalogue
// knows and lets report it, its fields valid, and a reported list it names
// one the catalogue has. open turns a field sealed for the journey back
// into clear text, which is sealed here with this node's data key; the
// content hash is computed again (it counts a sealed number by this node's
// keyed hash). A refusal is NotFound (the catalogue lacks the item or the
// department) or Invalid: the exchange holds the fact until the catalogue
// has what it needs.
func (s *Service) Foreign(rec *credit.Record, open func(string) (string, error)) (*credit.Record, error) {
	const op = "records.Foreign"
	it, err := s.Catalog.Item(rec.Item)
	if err != nil {
		return nil, credit.Wrap(op, credit.NotFound, err)
	}
	if _, err := s.Catalog.Department(rec.Dept); err != nil {
		return nil, credit.Wrap(op, credit.NotFound, err)
	}
	if err := s.Catalog.MayReport(rec.Dept, it.Code); err != nil {
		return nil, credit.Wrap(op, credit.Invalid, err)
	}
	out := *rec
	out.Fields = make(credit.Fields, len(rec.Fields))
	for k, v := range rec.Fields {
		if pii.IsSealedField(v) {
			if open == nil {
				return nil, credit.Say(op, credit.Invalid, "字段%s的证件号码无法打开：未配置交换密钥", "field %s: the identity number cannot be opened: no exchange key", k)
			}
			if v, err = open(v); err != nil {
				return nil, credit.Wrap(op, credit.Invalid, err)
			}
		}
		out.Fields[k] = v
	}
	if rec.Fact != credit.Revocation {
		// A decision date in the future is the origin's clock, not the
		// fact: checked against the later of the two.
		now := s.now()
		if rec.Received.After(now) {
			now = rec.Received
		}
		if errs := it.Validate(out.Fields, now); len(errs) > 0 {
			msgs, zh := make([]string, len(errs)), make([]string, len(errs))
			for i, e := range errs {
				msgs[i], zh[i] = e.Error(), e.Chinese()
			}
			return nil, credit.Say(op, credit.Invalid, "%[3]s（%[1]s）：%[4]s", "item %[1]s: %[2]s", it.Code, strings.Join(msgs, "; "), it.Name, strings.Join(zh, "；"))
		}
		if _, err := s.Catalog.ReportedList(it.Code, out.Fields, rec.Dept); err != nil {
			return nil, credit.Wrap(op, credit.Invalid, err)
		}
	}
	if out.Fields, err = s.seal(it, out.Fields); err != nil {
		return nil, credit.Wrap(op, credit.Other, err)
	}
	out.BatchID = ""
	out.Hash = ContentHash(&out)
	return &out, nil
}

// Exportable returns a copy of rec for another platform: each sealed
// personal field opened with this node's data key and sealed again with
// seal (the exchange key of the federation), so that no clear number is
// on the wire; an error when a field cannot be (no exchange key).
func (s *Service) Exportable(rec *credit.Record, seal func(string) (string, error)) (*credit.Record, error) {
	out := *rec
	out.Fields = make(credit.Fields, len(rec.Fields))
	for k, v := range rec.Fields {
		if pii.IsSealedField(v) {
			if seal == nil || s.Sealer == nil {
				return nil, credit.Say("records.Exportable", credit.Unavailable, "字段%s含证件号码：未配置交换密钥，不予交换", "field %s holds an identity number: without an exchange key it is not exchanged", k)
			}
			clear, err := s.Sealer.OpenField(v)
			if err != nil {
				return nil, credit.Wrap("records.Exportable", credit.Internal, err)
			}
			if v, err = seal(clear); err != nil {
				return nil, credit.Wrap("records.Exportable", credit.Internal, err)
			}
		}
		out.Fields[k] = v
	}
	return &out, nil
}
