// Package workflow runs the subject's remedies: objections (异议), credit
// repair (信用修复) under 《信用修复管理办法》, and the masking of entries
// during a court-approved bankruptcy reorganisation or settlement.
//
// Every step is an append-only case event with its actor and time; the case
// row is the current state derived from them, written in the same
// transaction (credit.WorkflowStore). Every deadline is counted in working
// days by internal/workday. Corrections and revocations of records that an
// upheld objection calls for go through records.Service as new facts.
//
// What a case means for the rest of the platform is said in one place,
// Marks: a record under objection (measures suspended, pages marked), under
// repair (marked), repaired (publication and sharing end), masked
// (bankruptcy). The list and measure store (sanction) and the publication
// engine are told through the narrow interfaces Suspender and Lists, and read
// Marks.
package workflow

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/chinatime"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/records"
	"github.com/xinyong/xinyong/internal/workday"
)

// Suspender is told when a record or a list entry goes under verification
// and when the verification ends, so that the hit check stops returning the
// measures based on it meanwhile (国发〔2016〕33号). The sanction store
// implements it with its verification marks.
type Suspender interface {
	MarkUnderVerification(ctx context.Context, t Target, actor, reason, ref string) error
	ClearVerification(ctx context.Context, t Target, actor, reason, ref string) error
}

// Lists ends, masks and restores the list entries based on a record or
// held by a subject. The sanction store implements it.
type Lists interface {
	// RemoveForRepair ends the entries based on the record (repair: list
	// membership ends and measures are lifted).
	RemoveForRepair(ctx context.Context, subjectID, recordID, actor, ref string) error
	// RestoreAfterRepair undoes RemoveForRepair (a false commitment).
	RestoreAfterRepair(ctx context.Context, subjectID, recordID, actor, ref string) error
	// Mask hides every entry of the subject (bankruptcy reorganisation).
	Mask(ctx context.Context, subjectID, actor, ref string) error
	// Unmask restores them (the plan failed).
	Unmask(ctx context.Context, subjectID, actor, ref string) error
}

// Target is what a verification mark applies to.
type Target struct {
	Kind      string `json:"kind"` // "record" or "entry"
	ID        string `json:"id"`
	SubjectID string `json:"subject_id"`
}

// Rules are the time limits, in working days. Zero values take the
// defaults of rules.md §2–3.
type Rules struct {
	ObjectionRoute  int            // platform routes to the deciding unit: 1
	ObjectionAccept int            // unit accepts or refuses: 2 (a city example)
	ObjectionVerify int            // unit verifies after accepting: 7
	VerifyByDomain  map[string]int // per-domain verification limits
	ObjectionExtend int            // one extension, told to the applicant: 7
	RepairAccept    int            // unit accepts, refuses or asks for material once: 3
	RepairDecide    int            // unit decides after accepting: 7
	RepairExtend    int            // complex cases, once: 10
	RepairPlatform  int            // the platform returns a result: 10
	BankruptcyMask  int            // entries masked after the court's approval: 10
	// LockoutYears is how long a record cannot be repaired after a false
	// commitment, and how long the new record is published: 3.
	LockoutYears int
	// MaxFileBytes bounds one evidence file: 10 MiB.
	MaxFileBytes int64
	// MaxFiles bounds the files of one case: 20.
	MaxFiles int
}

func (r Rules) withDefaults() Rules {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&r.ObjectionRoute, 1)
	def(&r.ObjectionAccept, 2)
	def(&r.ObjectionVerify, 7)
	def(&r.ObjectionExtend, 7)
	def(&r.RepairAccept, 3)
	def(&r.RepairDecide, 7)
	def(&r.RepairExtend, 10)
	def(&r.RepairPlatform, 10)
	def(&r.BankruptcyMask, 10)
	def(&r.LockoutYears, 3)
	def(&r.MaxFiles, 20)
	if r.MaxFileBytes <= 0 {
		r.MaxFileBytes = 10 << 20
	}
	return r
}

// Store is what the workflows read and write: cases and their events,
// and the subjects and records they are about.
type Store interface {
	credit.WorkflowStore
	credit.SubjectStore
	credit.RecordStore
}

// Config is what the service needs.
type Config struct {
	Store    Store
	Records  *records.Service
	Catalog  *catalog.Catalog
	Calendar *workday.Calendar // nil: workday.Default()
	Rules    Rules
	// Suspender and Lists are the sanction store; nil until it is wired,
	// in which case Marks alone carries the suspension.
	Suspender Suspender
	Lists     Lists
	Logger    *slog.Logger
	Now       func() time.Time
}

// Service runs the workflows.
type Service struct {
	cfg   Config
	rules Rules
	cal   *workday.Calendar
	log   *slog.Logger
}

// New builds the service.
func New(cfg Config) (*Service, error) {
	if cfg.Store == nil || cfg.Records == nil || cfg.Catalog == nil {
		return nil, fmt.Errorf("workflow: Store, Records and Catalog are required")
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
	return &Service{cfg: cfg, rules: cfg.Rules.withDefaults(), cal: cfg.Calendar, log: cfg.Logger}, nil
}

// Calendar is the working-day calendar in use.
func (s *Service) Calendar() *workday.Calendar { return s.cal }

// Rules are the time limits in force.
func (s *Service) Rules() Rules { return s.rules }

func (s *Service) now() time.Time { return s.cfg.Now().UTC() }

// Actor is who acts: an account, or the platform itself.
type Actor = credit.Actor

// Platform is the platform acting on its own (routing, timers).
var Platform = Actor{Name: "platform", Role: credit.RoleAdmin}

func staff(a Actor) bool { return a.Role == credit.RoleAdmin || a.Role == credit.RoleReviewer }

// States.
const (
	StateSubmitted  = "submitted" // filed, waiting for routing
	StateRouted     = "routed"    // with the deciding unit, waiting for acceptance
	StateRefused    = "refused"   // not accepted, or repair refused (final)
	StateVerifying  = "verifying" // objection accepted, under verification
	StateUpheld     = "upheld"    // objection upheld: record corrected or revoked (final)
	StateDismissed  = "dismissed" // objection dismissed with reasons (final)
	StateAwaiting   = "awaiting_materials"
	StateReviewing  = "reviewing" // repair accepted, being decided
	StateRepaired   = "repaired"  // repair granted
	StateRevoked    = "revoked"   // repair revoked for a false commitment (final)
	StateMasking    = "masking"   // bankruptcy: court approval registered
	StateMasked     = "masked"    // bankruptcy: entries masked
	StateRestored   = "restored"  // bankruptcy plan failed: entries restored (final)
	StateCompleted  = "completed" // bankruptcy plan carried out (final; entries stay masked)
	StateWithdrawn  = "withdrawn" // withdrawn by the applicant (final)
	actionEscalate  = "escalate"
	actionExtend    = "extend"
	actionMaterials = "request_materials"
)

// final reports whether a state ends the case's steps.
func final(state string) bool {
	switch state {
	case StateRefused, StateUpheld, StateDismissed, StateRevoked, StateRestored, StateCompleted, StateWithdrawn,
		// A granted repair leaves every queue: nothing is due from anyone.
		// A false commitment found later still acts on it (FalseCommitment
		// loads it by its state, not by Open).
		StateRepaired:
		return true
	}
	return false
}

// --- tracking codes ---

const codeAlphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789" // no I O 0 1

// newTrackCode returns a random 查询码 of 16 characters (80 bits), shown in
// groups of four.
func newTrackCode() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	var sb strings.Builder
	for i, v := range b {
		if i > 0 && i%4 == 0 {
			sb.WriteByte('-')
		}
		sb.WriteByte(codeAlphabet[int(v)%len(codeAlphabet)])
	}
	return sb.String(), nil
}

// TrackHash is the stored form of a 查询码: sha256 of the code with case
// and separators removed, so "abcd efgh" finds "ABCD-EFGH".
func TrackHash(code string) string {
	var sb strings.Builder
	for _, r := range strings.ToUpper(code) {
		if strings.ContainsRune(codeAlphabet, r) {
			sb.WriteRune(r)
		}
	}
	h := sha256.Sum256([]byte("xinyong-track\x00" + sb.String()))
	return hex.EncodeToString(h[:])
}

// --- common steps ---

func (s *Service) deadline(from time.Time, n int) (time.Time, error) {
	d, err := s.cal.Deadline(from, n)
	if err != nil {
		return time.Time{}, credit.Wrap("workflow.deadline", credit.Other, err)
	}
	return d, nil
}

// advance appends one event and moves the case.
func (s *Service) advance(ctx context.Context, c *credit.Case, a Actor, action, state, reason string, due time.Time, data map[string]string) error {
	c.State = state
	c.Open = !final(state)
	c.Due = due
	ev := &credit.CaseEvent{Action: action, Actor: a.Name, Role: a.Role, At: s.now(), Due: due, Reason: reason, Data: data}
	if err := s.cfg.Store.AdvanceCase(ctx, c, ev); err != nil {
		return credit.Wrap("workflow."+action, credit.Other, err)
	}
	s.log.Info("workflow step", "case", c.ID, "kind", c.Kind, "action", action, "state", state, "actor", a.Name)
	return nil
}

// load reads a case and checks that it is of kind and in one of states.
func (s *Service) load(ctx context.Context, op, id string, kind credit.CaseKind, states ...string) (*credit.Case, error) {
	c, err := s.cfg.Store.Case(ctx, id)
	if err != nil {
		return nil, credit.Wrap(op, credit.Other, err)
	}
	if c.Kind != kind {
		return nil, credit.Say(op, credit.NotFound, "事项%[1]s不是%[3]s事项", "case %[1]s is not a %[2]s case", id, kind, KindNames[kind].Zh)
	}
	for _, st := range states {
		if c.State == st {
			return c, nil
		}
	}
	return nil, credit.Say(op, credit.Conflict, "事项%[1]s当前状态为“%[4]s”，本环节须在%[5]s状态下办理", "case %[1]s is %[2]s; this step needs it to be %[3]s",
		id, c.State, strings.Join(states, " or "), stateZh(c.State), statesZh(states))
}

// loadToDecide is load for a step that only the deciding unit (or the
// credit office) may take.
func (s *Service) loadToDecide(ctx context.Context, op string, a Actor, id string, kind credit.CaseKind, states ...string) (*credit.Case, error) {
	c, err := s.load(ctx, op, id, kind, states...)
	if err != nil {
		return nil, err
	}
	if err := s.mayDecide(op, c, a); err != nil {
		return nil, err
	}
	return c, nil
}

// firstEvent returns the case's first event with action (for steps that
// may be taken once), or nil.
func (s *Service) firstEvent(ctx context.Context, id, action string) (*credit.CaseEvent, error) {
	evs, err := s.cfg.Store.CaseEvents(ctx, id)
	if err != nil {
		return nil, err
	}
	for i := range evs {
		if evs[i].Action == action {
			return &evs[i], nil
		}
	}
	return nil, nil
}

// mayDecide checks that the actor is the deciding unit (or the credit office).
func (s *Service) mayDecide(op string, c *credit.Case, a Actor) error {
	if staff(a) || (a.Role == credit.RoleDept && a.Dept != "" && a.Dept == c.Unit) {
		return nil
	}
	return credit.Say(op, credit.Permission, "事项%[2]s只能由认定单位%[3]s或信用办办理", "only the deciding unit %[1]s or the credit office may decide case %[2]s",
		c.Unit, c.ID, s.deptName(c.Unit))
}

// mayFile checks that the actor may act for subjectID: the subject itself,
// or the credit office recording an application made by an authorised agent.
func mayFile(op, subjectID string, a Actor, in Applicant) error {
	switch {
	case a.Role == credit.RoleSubject && a.Subject == subjectID:
		return nil
	case staff(a):
		if strings.TrimSpace(in.Name) == "" {
			return credit.Say(op, credit.Invalid, "请填写申请人", "name the applicant")
		}
		if in.Agent && strings.TrimSpace(in.Authorisation) == "" {
			return credit.Say(op, credit.Invalid, "代理人须出具信用主体的授权委托书：请填写委托书编号", "an agent must show the subject's authorisation: give its reference")
		}
		return nil
	}
	return credit.Say(op, credit.Permission, "只有信用主体本人，或由信用办为经授权的代理人登记，方可为%s提出申请",
		"only the subject itself, or the credit office for an authorised agent, may apply for %s", subjectID)
}

// Applicant is who applies and how to reach them.
type Applicant struct {
	Name          string `json:"name"`
	Contact       string `json:"contact,omitempty"`
	Agent         bool   `json:"agent,omitempty"`         // an authorised agent, not the subject itself
	Authorisation string `json:"authorisation,omitempty"` // reference of the power of attorney (委托书)
}

func (ap Applicant) data() map[string]string {
	d := map[string]string{"applicant": clip(ap.Name, 100), "contact": clip(ap.Contact, 100)}
	if ap.Agent {
		d["agent"] = "yes"
		d["authorisation"] = clip(ap.Authorisation, 200)
	}
	return d
}

func clip(s string, n int) string {
	s = strings.TrimSpace(s)
	if r := []rune(s); len(r) > n {
		return string(r[:n])
	}
	return s
}

// chain finds the record chain recordID belongs to (any fact of it) and
// checks that it is the subject's.
func (s *Service) chain(ctx context.Context, op, subjectID, recordID string) (*credit.State, error) {
	file, err := s.cfg.Records.File(ctx, subjectID)
	if err != nil {
		return nil, credit.Wrap(op, credit.Other, err)
	}
	for i := range file {
		for _, f := range file[i].History {
			if f.ID == recordID {
				return &file[i], nil
			}
		}
	}
	return nil, credit.Say(op, credit.NotFound, "信用主体%[2]s的信用档案中没有信息记录%[1]s", "record %[1]s is not in the credit file of %[2]s", recordID, subjectID)
}

// openCase returns an open case of kind on the record, if any.
func (s *Service) openCase(ctx context.Context, kind credit.CaseKind, recordID string) (*credit.Case, error) {
	cs, err := s.cfg.Store.Cases(ctx, credit.CaseFilter{Kind: kind, RecordIDs: []string{recordID}, OpenOnly: true})
	if err != nil || len(cs) == 0 {
		return nil, err
	}
	return &cs[0], nil
}

func (s *Service) create(ctx context.Context, c *credit.Case, a Actor, reason string, data map[string]string) (string, error) {
	code, err := newTrackCode()
	if err != nil {
		return "", credit.Wrap("workflow.create", credit.Internal, err)
	}
	c.TrackHash = TrackHash(code)
	c.Open = true
	ev := &credit.CaseEvent{Action: "file", Actor: a.Name, Role: a.Role, At: s.now(), Due: c.Due, Reason: reason, Data: data}
	if err := s.cfg.Store.CreateCase(ctx, c, ev); err != nil {
		return "", credit.Wrap("workflow.create", credit.Other, err)
	}
	s.log.Info("workflow case filed", "case", c.ID, "kind", c.Kind, "subject", c.SubjectID, "record", c.RecordID)
	return code, nil
}

// ByTrackCode finds a case by its 查询码.
func (s *Service) ByTrackCode(ctx context.Context, code string) (*credit.Case, error) {
	if len(strings.TrimSpace(code)) < 16 {
		return nil, credit.Say("workflow.track", credit.Invalid, "查询码为16位字符，如 ABCD-EFGH-JKLM-NPQR", "a tracking code has 16 characters, e.g. ABCD-EFGH-JKLM-NPQR")
	}
	c, err := s.cfg.Store.CaseByTrackHash(ctx, TrackHash(code))
	if err != nil {
		return nil, credit.Wrap("workflow.track", credit.Other, err)
	}
	return c, nil
}

// Case returns one case.
func (s *Service) Case(ctx context.Context, id string) (*credit.Case, error) {
	return s.cfg.Store.Case(ctx, id)
}

// RecordsFile is the subject's credit file (the record chains a case can
// concern).
func (s *Service) RecordsFile(ctx context.Context, subjectID string) ([]credit.State, error) {
	return s.cfg.Records.File(ctx, subjectID)
}

// Events returns a case's history.
func (s *Service) Events(ctx context.Context, id string) ([]credit.CaseEvent, error) {
	return s.cfg.Store.CaseEvents(ctx, id)
}

// Files lists a case's files.
func (s *Service) Files(ctx context.Context, id string) ([]credit.CaseFile, error) {
	return s.cfg.Store.CaseFiles(ctx, id)
}

// CaseHistory is one case with its events.
type CaseHistory struct {
	Case   credit.Case        `json:"case"`
	Events []credit.CaseEvent `json:"events"`
}

// History is every case of a subject with every event: the subject's whole
// history of objections, repairs and masking.
func (s *Service) History(ctx context.Context, subjectID string) ([]CaseHistory, error) {
	cs, err := s.cfg.Store.Cases(ctx, credit.CaseFilter{SubjectID: subjectID})
	if err != nil {
		return nil, err
	}
	out := make([]CaseHistory, 0, len(cs))
	for _, c := range cs {
		evs, err := s.cfg.Store.CaseEvents(ctx, c.ID)
		if err != nil {
			return nil, err
		}
		out = append(out, CaseHistory{Case: c, Events: evs})
	}
	return out, nil
}

// Queue lists open cases of kind for a unit ("" for all), earliest due
// first, with whether each is overdue.
func (s *Service) Queue(ctx context.Context, kind credit.CaseKind, unit string) ([]QueueItem, error) {
	cs, err := s.cfg.Store.Cases(ctx, credit.CaseFilter{Kind: kind, Unit: unit, OpenOnly: true})
	if err != nil {
		return nil, err
	}
	now := s.now()
	out := make([]QueueItem, 0, len(cs))
	for _, c := range cs {
		out = append(out, QueueItem{Case: c, Overdue: workday.Overdue(c.Due, now)})
	}
	return out, nil
}

// QueueItem is a case in a console queue.
type QueueItem struct {
	credit.Case
	Overdue bool `json:"overdue"`
}

// Sweep escalates (催办) every open case whose step is overdue: one
// escalation event per missed deadline, naming the days overdue. It is run
// periodically by the server and may be run at any time.
func (s *Service) Sweep(ctx context.Context) (int, error) {
	cs, err := s.cfg.Store.Cases(ctx, credit.CaseFilter{OpenOnly: true, Limit: 100000})
	if err != nil {
		return 0, err
	}
	now := s.now()
	n := 0
	for i := range cs {
		c := &cs[i]
		if !workday.Overdue(c.Due, now) {
			continue
		}
		evs, err := s.cfg.Store.CaseEvents(ctx, c.ID)
		if err != nil {
			return n, err
		}
		if last := evs[len(evs)-1]; last.Action == actionEscalate && last.Due.Equal(c.Due) {
			continue // already escalated for this deadline
		}
		late, _ := s.cal.Between(c.Due, now)
		data := map[string]string{"days_overdue": fmt.Sprint(late), "to": c.Unit}
		ev := &credit.CaseEvent{Action: actionEscalate, Actor: Platform.Name, Role: Platform.Role, At: now, Due: c.Due,
			Reason: fmt.Sprintf("overdue since %s", c.Due.In(chinatime.Location).Format(time.DateOnly)), Data: data}
		if err := s.cfg.Store.AdvanceCase(ctx, c, ev); err != nil {
			if credit.Is(credit.Conflict, err) {
				continue // someone acted meanwhile
			}
			return n, err
		}
		s.log.Warn("workflow case overdue: escalated", "case", c.ID, "kind", c.Kind, "unit", c.Unit, "due", c.Due)
		n++
	}
	return n, nil
}
