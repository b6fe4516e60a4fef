// Package commit runs credit commitments (信用承诺): signing, 容缺受理
// eligibility, fulfilment tracking (履约跟踪), and self-declared information
// (自主申报).
//
// Everything a commitment may be comes from the catalogue
// (commitments.json): the kinds, per matter whether the law allows
// commitment and its templates (what is promised, by when, the
// consequences), the conditions of 容缺受理, what counts as a broken
// commitment. The package decides no rule that has a home elsewhere:
//
//   - A signed commitment is a record of the catalogue's commitment item,
//     written through records.Service, so its publication, severity and
//     sealing are the records' and the publication engine's. Fulfilment
//     and breach are corrections of that record (履行状态, 状态认定日期 and
//     单位, 违诺认定文书号): a broken commitment becomes a 失信 record by the
//     item's own severity rule, published from its determination, and
//     grounds list proposals by the lists' criteria.
//   - A false commitment is recorded by workflow's one path
//     (RecordFalseCommitment), as a false commitment found in a repair is.
//   - Eligibility asks the publication engine whether a record is in force
//     and how severe (publish.Engine.InForce), the sanction service which
//     lists a subject is on, and the workflows' marks what is under
//     objection or repaired.
//   - Every due date is counted by the one calendar (workday.Calendar.Due).
//
// The state of each commitment (due, fulfilled, overdue, broken) is a
// projection of its append-only events (credit.CommitmentStore), which
// the sweep moves on when a due date passes and escalates as workflow
// escalates cases.
//
// Self-declared information is kept apart from records (its own table),
// labelled 自主申报 wherever it is shown: nothing that reads records
// (publication, lists, the hit check, reports) can take it for an official
// record. A confirmation by the department it names makes it one, through
// records.Service; the declaration keeps its history.
package commit

import (
	"context"
	"crypto/rand"
	"errors"
	"log/slog"
	"strings"
	"time"

	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/chinatime"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/publish"
	"github.com/xinyong/xinyong/internal/records"
	"github.com/xinyong/xinyong/internal/workday"
	"github.com/xinyong/xinyong/internal/workflow"
)

// Store is what the service reads and writes.
type Store interface {
	credit.CommitmentStore
	credit.SubjectStore
	credit.RecordStore
	// MarkRecompute asks for a subject's evaluation to be recomputed.
	MarkRecompute(ctx context.Context, m credit.RecomputeMark) error
}

// Lists gives the list entries that apply to a subject now: the sanction
// service, the one source of list membership.
type Lists interface {
	SubjectEntries(ctx context.Context, subjectID string, now time.Time) ([]publish.ListedEntry, error)
}

// FalseCommitments writes the record of a false commitment: the
// workflow service, whose one path a repair's false commitment takes too.
type FalseCommitments interface {
	RecordFalseCommitment(ctx context.Context, f workflow.FalseFinding) (*credit.Record, error)
}

// Config is what the service needs.
type Config struct {
	Store   Store
	Records *records.Service
	Catalog *catalog.Catalog
	// Publish classifies records (in force, severity); Marks are the
	// workflows' marks (under objection, repaired, masked).
	Publish *publish.Engine
	Marks   publish.MarkSource
	Lists   Lists
	False   FalseCommitments
	// Calendar counts every due date; nil is workday.Default().
	Calendar *workday.Calendar
	Logger   *slog.Logger
	Now      func() time.Time
	// MaxFileBytes bounds one attached file (10 MiB); MaxFiles the files
	// of one commitment or declaration (20).
	MaxFileBytes int64
	MaxFiles     int
}

// Service runs commitments and declarations.
type Service struct {
	cfg Config
	cat *catalog.Catalog
	cal *workday.Calendar
	log *slog.Logger
}

// New builds the service.
func New(cfg Config) (*Service, error) {
	if cfg.Store == nil || cfg.Records == nil || cfg.Catalog == nil || cfg.Publish == nil || cfg.Marks == nil || cfg.Lists == nil || cfg.False == nil {
		return nil, errors.New("commit: Store, Records, Catalog, Publish, Marks, Lists and False are required (internal/app builds them)")
	}
	if cfg.Calendar == nil {
		cfg.Calendar = workday.Default()
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.MaxFileBytes <= 0 {
		cfg.MaxFileBytes = 10 << 20
	}
	if cfg.MaxFiles <= 0 {
		cfg.MaxFiles = 20
	}
	return &Service{cfg: cfg, cat: cfg.Catalog, cal: cfg.Calendar, log: cfg.Logger}, nil
}

func (s *Service) now() time.Time { return s.cfg.Now().UTC() }

// Calendar is the calendar due dates are counted on.
func (s *Service) Calendar() *workday.Calendar { return s.cal }

// Actor is who acts.
type Actor = credit.Actor

// Platform is the platform acting on its own (the sweep).
var Platform = Actor{Name: "platform", Role: credit.RoleAdmin}

// States of a commitment.
const (
	StateActive    = "active"    // in force, without a due date
	StateDue       = "due"       // to be kept by its due date
	StateOverdue   = "overdue"   // the due date passed; the accepting unit decides
	StateFulfilled = "fulfilled" // kept (全部履行), as the accepting unit recorded
	StateBroken    = "broken"    // broken or false, as the accepting unit decided with a document
)

// States of a declaration.
const (
	DeclPending   = "pending"   // declared, not yet checked by its issuer
	DeclConfirmed = "confirmed" // confirmed by the issuer: an official record now
	DeclVerified  = "verified"  // confirmed by the issuer, of a kind no catalogue item holds: stays self-declared
	DeclRejected  = "rejected"  // the issuer says it is not so
	DeclWithdrawn = "withdrawn" // withdrawn by the subject
)

// Findings of a broken commitment.
const (
	FindingUnperformed = "unperformed" // 全部未履行
	FindingPartial     = "partial"     // 部分履行
	FindingFalse       = "false"       // 虚假承诺
)

// open reports whether a commitment in state is still followed.
func open(state string) bool {
	return state == StateActive || state == StateDue || state == StateOverdue
}

// StateNames name the states of commitments and declarations, in Chinese
// and English.
var StateNames = map[string]credit.Text{
	StateActive:    {Zh: "承诺有效", En: "In force"},
	StateDue:       {Zh: "待履行", En: "Due"},
	StateOverdue:   {Zh: "已逾期", En: "Overdue"},
	StateFulfilled: {Zh: "已履行", En: "Fulfilled"},
	StateBroken:    {Zh: "已违诺", En: "Broken"},
	DeclPending:    {Zh: "待核实", En: "Awaiting confirmation"},
	DeclConfirmed:  {Zh: "已确认，转为部门信息", En: "Confirmed: an official record now"},
	DeclVerified:   {Zh: "已核实", En: "Verified"},
	DeclRejected:   {Zh: "不予确认", En: "Rejected"},
	DeclWithdrawn:  {Zh: "已撤回", En: "Withdrawn"},
}

// ActionNames name the steps.
var ActionNames = map[string]credit.Text{
	"sign":            {Zh: "签署承诺", En: "Signed"},
	"fulfil":          {Zh: "认定已履行", En: "Recorded as fulfilled"},
	"overdue":         {Zh: "逾期未履行", En: "Became overdue"},
	"escalate":        {Zh: "超期催办", En: "Escalated"},
	"break":           {Zh: "认定违诺", En: "Found broken"},
	"revoke_approval": {Zh: "撤销审批", En: "Approval revoked"},
	"file":            {Zh: "上传文件", En: "File attached"},
	"declare":         {Zh: "自主申报", En: "Declared"},
	"confirm":         {Zh: "确认", En: "Confirmed"},
	"verify":          {Zh: "核实", En: "Verified"},
	"reject":          {Zh: "不予确认", En: "Rejected"},
	"withdraw":        {Zh: "撤回", En: "Withdrawn"},
}

// FindingNames name the findings of a broken commitment.
var FindingNames = map[string]credit.Text{
	FindingUnperformed: {Zh: "全部未履行", En: "Not performed"},
	FindingPartial:     {Zh: "部分履行", En: "Partly performed"},
	FindingFalse:       {Zh: "虚假承诺", En: "False commitment"},
}

func nameEn(m map[string]credit.Text, code string) string {
	if t, ok := m[code]; ok {
		return t.En
	}
	return code
}

func nameZh(m map[string]credit.Text, code string) string {
	if t, ok := m[code]; ok {
		return t.Zh
	}
	return code
}

// --- refusals ---

// Refusal codes: the refusals the issue of commitments makes that are
// audited wherever they are made (API and portal).
const (
	RefusedNotAllowed   = "matter_not_allowed" // the law allows no commitment for the matter
	RefusedNotListed    = "matter_not_listed"  // the matter is not on the list of matters handled by commitment
	RefusedIneligible   = "ineligible"         // the subject does not meet the matter's conditions
	RefusedOtherSubject = "other_subject"      // a commitment for another subject
	RefusedOtherUnit    = "other_unit"         // a unit acting on another unit's commitment
	RefusedNotIssuer    = "not_issuing_department"
)

type refusal struct {
	code string
	err  error
}

func (r *refusal) Error() string { return r.err.Error() }
func (r *refusal) Unwrap() error { return r.err }

// refuse marks err as a refusal to audit.
func refuse(code string, err error) error { return &refusal{code: code, err: err} }

// Refused reports whether err is one of the refusals that must be
// audited, and which.
func Refused(err error) (string, bool) {
	var r *refusal
	if errors.As(err, &r) {
		return r.code, true
	}
	return "", false
}

// --- helpers ---

func clip(s string, n int) string {
	s = strings.TrimSpace(s)
	if r := []rune(s); len(r) > n {
		return string(r[:n])
	}
	return s
}

func dateStr(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return chinatime.Format(t)
}

// deptName is a department's name, or its code.
func (s *Service) deptName(code string) string {
	if d, err := s.cat.Department(code); err == nil {
		return d.Name
	}
	return code
}

// deptEn is a department's English name, or its code.
func (s *Service) deptEn(code string) string {
	if d, err := s.cat.Department(code); err == nil && d.NameEn != "" {
		return d.NameEn
	}
	return code
}

// kindEn is a kind of department's English name, or its code.
func (s *Service) kindEn(code string) string {
	for _, k := range s.cat.DeptKinds {
		if k.Code == code && k.NameEn != "" {
			return k.NameEn
		}
	}
	return code
}

// matterEn is a matter's English name, or its code.
func (s *Service) matterEn(code string) string {
	if m, err := s.cat.Matter(code); err == nil && m.NameEn != "" {
		return m.NameEn
	}
	return code
}

// itemEn is a catalogue item's English name, or its code.
func (s *Service) itemEn(code string) string {
	if it, err := s.cat.Item(code); err == nil && it.NameEn != "" {
		return it.NameEn
	}
	return code
}

func (s *Service) matterName(code string) string {
	if m, err := s.cat.Matter(code); err == nil {
		return m.Name
	}
	return code
}

func staff(a Actor) bool { return a.Role == credit.RoleAdmin || a.Role == credit.RoleReviewer }

// mayDecide checks that a acts for the commitment's accepting unit: an
// account of that department (its officers, or its business system when
// business is set), or the credit office.
func (s *Service) mayDecide(op string, c *credit.Commitment, a Actor, business bool) error {
	switch {
	case staff(a):
		return nil
	case a.Role == credit.RoleDept && a.Dept != "" && a.Dept == c.Unit:
		return nil
	case business && a.Role == credit.RoleBusiness && a.Dept != "" && a.Dept == c.Unit:
		return nil
	}
	return refuse(RefusedOtherUnit, credit.Say(op, credit.Permission, "承诺%[2]s由%[3]s受理，只能由该单位或信用办办理", "commitment %[2]s was accepted by %[1]s: only that unit or the credit office may act on it",
		s.deptEn(c.Unit), c.Code, s.cat.DeptZh(c.Unit)))
}

// codeAlphabet is the serial part of a 承诺编码 (the item's pattern
// allows 0-9 and A-Z).
const codeAlphabet = "0123456789ABCDEFGHIJKLMNPQRSTUVWXYZ"

// newCode makes a 承诺编码: the accepting unit's region (6), the date
// (8), and a random serial (6). No sequence: a distributed store has no
// hot spot, and a collision (one in two billion a day per region) is
// refused by the store and tried again.
func (s *Service) newCode(unit string, on time.Time) (string, error) {
	region := "000000"
	if d, err := s.cat.Department(unit); err == nil && len(d.Region) == 6 {
		region = d.Region
	}
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	for i := range b {
		b[i] = codeAlphabet[int(b[i])%len(codeAlphabet)]
	}
	return region + on.In(chinatime.Location).Format("20060102") + string(b), nil
}

// Commitment returns one commitment.
func (s *Service) Commitment(ctx context.Context, id string) (*credit.Commitment, error) {
	return s.cfg.Store.Commitment(ctx, id)
}

// Events returns the history of a commitment or declaration.
func (s *Service) Events(ctx context.Context, id string) ([]credit.TrackEvent, error) {
	return s.cfg.Store.TrackEvents(ctx, id)
}

// Files lists the files of a commitment or declaration.
func (s *Service) Files(ctx context.Context, id string) ([]credit.OwnedFile, error) {
	return s.cfg.Store.OwnedFiles(ctx, id)
}

// File returns one file of a commitment or declaration with its body.
func (s *Service) File(ctx context.Context, of, fileID string) (*credit.OwnedFile, error) {
	f, err := s.cfg.Store.OwnedFile(ctx, fileID)
	if err != nil {
		return nil, err
	}
	if f.Of != of {
		return nil, credit.Say("commit.File", credit.NotFound, "文件%s不属于%s", "file %s is not one of %s", fileID, of)
	}
	return f, nil
}

// SubjectCommitments lists a subject's commitments, earliest due first.
func (s *Service) SubjectCommitments(ctx context.Context, subjectID string) ([]credit.Commitment, error) {
	return s.cfg.Store.Commitments(ctx, credit.CommitmentFilter{SubjectID: subjectID, Limit: 10000})
}

// advance appends one step and moves the commitment.
func (s *Service) advance(ctx context.Context, c *credit.Commitment, a Actor, action, state, reason string, data map[string]string) error {
	c.State = state
	c.Open = open(state)
	ev := &credit.TrackEvent{Action: action, Actor: a.Name, Role: a.Role, At: s.now(), Reason: reason, Data: data}
	if err := s.cfg.Store.AdvanceCommitment(ctx, c, ev); err != nil {
		return credit.Wrap("commit."+action, credit.Other, err)
	}
	s.log.Info("commitment step", "commitment", c.ID, "code", c.Code, "action", action, "state", state, "actor", a.Name)
	return nil
}
