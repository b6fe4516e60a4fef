package credit

import (
	"context"
	"time"
)

// ListStep is one step in the life of a list entry (名单条目).
type ListStep string

const (
	// StepProposed: the entry is proposed from basis records (拟列入).
	StepProposed ListStep = "proposed"
	// StepNoticed: the subject has been told the grounds, the basis, its
	// rights and the objection deadline (告知).
	StepNoticed ListStep = "noticed"
	// StepDecided: the decision document is issued and the subject is
	// listed for the list's period (认定、列入).
	StepDecided ListStep = "decided"
	// StepRemoved: the entry ends (移出) on expiry, repair, revocation or
	// correction, or a proposal is withdrawn before listing.
	StepRemoved ListStep = "removed"
)

// ResponsiblePerson is a person an entry's measures reach (落实到人): the
// 法定代表人, 主要负责人 or 实际控制人 of a listed organisation. The ID number
// is never kept clear: only its keyed hash (for the hit check), its masked
// form (for display) and the number sealed, from which a key rotation
// recomputes the hash. IDHash and IDCipher never leave the platform.
type ResponsiblePerson struct {
	Role     string `json:"role"` // 法定代表人, 主要负责人, 实际控制人
	Name     string `json:"name"`
	IDHash   string `json:"id_hash,omitempty"`
	IDMasked string `json:"id_masked,omitempty"`
	IDCipher []byte `json:"id_cipher,omitempty"`
}

// EntryDetail is what a list event says beyond its key columns. Each step
// fills its own fields; the derived entry state merges them.
type EntryDetail struct {
	// Proposed.
	BasisRecords []string            `json:"basis_records,omitempty"`
	Persons      []ResponsiblePerson `json:"persons,omitempty"`
	Grounds      string              `json:"grounds,omitempty"` // 事由
	// Basis is the legal basis (依据) as text, from the catalogue list type.
	Basis []string `json:"basis,omitempty"`
	// The subject's names and kind when proposed, so that the hit check
	// can match names without reading the subjects table.
	SubjectName string      `json:"subject_name,omitempty"`
	FormerNames []string    `json:"former_names,omitempty"`
	SubjectKind SubjectKind `json:"subject_kind,omitempty"`
	// Noticed. ObjectionDeadline is the instant the objection period ends
	// (24:00 China time of its last working day); DeadlineProvisional says
	// it was counted on provisional calendar data.
	Rights              string    `json:"rights,omitempty"`
	ObjectionDeadline   time.Time `json:"objection_deadline,omitzero"`
	DeadlineProvisional bool      `json:"deadline_provisional,omitempty"`
	// Decided.
	Measures []string  `json:"measures,omitempty"` // 惩戒措施提示 (or 激励措施) by code
	Exit     string    `json:"exit,omitempty"`     // 移出条件和程序
	Remedies string    `json:"remedies,omitempty"` // 救济措施
	Since    time.Time `json:"since,omitzero"`
	Until    time.Time `json:"until,omitzero"` // zero: until removed
	// Removed.
	RemovalReason string `json:"removal_reason,omitempty"` // expiry, repair, revocation, correction, withdrawn, fulfilled
	Note          string `json:"note,omitempty"`
	// OnBehalfOf names the unit whose entry a superior unit changed with
	// this event (catalog.Oversees): recorded so that the history says on
	// whose decision the superior acted.
	OnBehalfOf string `json:"on_behalf_of,omitempty"`
	// Reported: the entry was decided outside the platform by its deciding
	// unit and reported as the record BasisRecords[0]; it follows that
	// record (catalog.Reported).
	Reported bool `json:"reported,omitempty"`
	// Origin is the platform (exchange node ID) that decided the entry,
	// when it was decided on another platform and applied here through
	// the exchange: the origin is authoritative, nobody here changes it.
	Origin string `json:"origin,omitempty"`
}

// ListEvent is one append-only fact about a list entry.
type ListEvent struct {
	ID        string      `json:"id"`
	Seq       int64       `json:"seq"` // the data version it created
	EntryID   string      `json:"entry_id"`
	List      string      `json:"list"`
	SubjectID string      `json:"subject_id"`
	Step      ListStep    `json:"step"`
	Actor     string      `json:"actor"`
	Dept      string      `json:"dept,omitempty"`
	At        time.Time   `json:"at"`
	DocNo     string      `json:"doc_no,omitempty"`
	Detail    EntryDetail `json:"detail"`
}

// Verification target kinds.
const (
	VerifyRecord = "record" // a credit record (the basis of an entry)
	VerifyEntry  = "entry"  // a list entry
)

// VerificationMark says that a record or a list entry is (Active) or is no
// longer under verification, e.g. because an objection was filed against
// it. While it is, the measures based on it are not executed (核实期间暂不执行,
// 国发〔2016〕33号). Marks are append-only; a target's newest mark decides.
type VerificationMark struct {
	ID         string    `json:"id"`
	Seq        int64     `json:"seq"`
	TargetKind string    `json:"target_kind"`
	TargetID   string    `json:"target_id"`
	SubjectID  string    `json:"subject_id,omitempty"`
	Active     bool      `json:"active"`
	At         time.Time `json:"at"`
	Actor      string    `json:"actor"`
	Reason     string    `json:"reason,omitempty"`
	Ref        string    `json:"ref,omitempty"` // e.g. the objection's ID
}

// NameDecision records an officer's finding that a name candidate of a hit
// check is not the subject that was asked about, so later checks of the same
// name drop that candidate.
type NameDecision struct {
	ID        string    `json:"id"`
	Seq       int64     `json:"seq"`
	NameKey   string    `json:"name_key"` // the normalised name
	SubjectID string    `json:"subject_id"`
	Actor     string    `json:"actor"`
	Dept      string    `json:"dept,omitempty"`
	At        time.Time `json:"at"`
	Reason    string    `json:"reason,omitempty"`
}

// CheckLog is one hit check as logged: who asked, for which matter, how
// many subjects, the data version it saw, and every measure it returned.
type CheckLog struct {
	ID       string         `json:"id"`
	At       time.Time      `json:"at"`
	Caller   string         `json:"caller"`
	Dept     string         `json:"dept"`
	Matter   string         `json:"matter"`
	Subjects int            `json:"subjects"`
	Version  int64          `json:"data_version"`
	Measures []CheckMeasure `json:"measures,omitempty"`
}

// Hits counts the distinct subjects with a returned measure.
func (c *CheckLog) Hits() int {
	seen := make(map[string]bool)
	for _, m := range c.Measures {
		seen[m.SubjectID] = true
	}
	return len(seen)
}

// CheckMeasure is one measure a check returned for one subject.
type CheckMeasure struct {
	SubjectID string `json:"subject_id"`
	Measure   string `json:"measure"`
	List      string `json:"list"`
	EntryID   string `json:"entry_id"`
	Suspended bool   `json:"suspended,omitempty"`
	Incentive bool   `json:"incentive,omitempty"`
	Candidate bool   `json:"candidate,omitempty"` // returned for a name candidate
}

// Feedback outcomes (反馈).
const (
	OutcomePunished   = "已惩戒"
	OutcomeRewarded   = "已激励"
	OutcomeNotAdopted = "未采纳"
)

// Feedback is what a business system did about one measure a check
// returned.
type Feedback struct {
	ID        string    `json:"id"`
	CheckID   string    `json:"check_id"`
	SubjectID string    `json:"subject_id"`
	Measure   string    `json:"measure"`
	Outcome   string    `json:"outcome"`
	Reason    string    `json:"reason,omitempty"`
	Amount    string    `json:"amount,omitempty"` // decimal, 万元
	ActedAt   time.Time `json:"acted_at"`
	At        time.Time `json:"at"`
	Actor     string    `json:"actor"`
	Dept      string    `json:"dept"`
}

// CheckStat counts, for one department, matter and measure, how often
// checks triggered the measure, how many of those got feedback, and how
// many are overdue (no feedback by the due time).
type CheckStat struct {
	Dept     string `json:"dept"`
	Matter   string `json:"matter"`
	Measure  string `json:"measure"`
	Triggers int    `json:"triggers"`
	Feedback int    `json:"feedback"`
	Overdue  int    `json:"overdue"`
}

// StatsFilter narrows CheckStats. Zero fields do not filter.
type StatsFilter struct {
	Dept   string
	Matter string
	Since  time.Time
	// Until keeps the triggers logged before it (zero: no end).
	Until time.Time
	// DueBefore: a trigger logged before this time without feedback is
	// overdue.
	DueBefore time.Time
}

// SanctionStore keeps lists, verification marks, name decisions, the
// checks log and feedback (联合奖惩).
//
// Every write that changes what a hit check returns (list events,
// verification marks, name decisions) is a change-feed entry, and the row's
// Seq is its position in the feed: the data version of the hit check is
// the feed position its index has read up to.
type SanctionStore interface {
	// AppendListEvent writes one list event and sets e.Seq. prevSeq is the
	// Seq of the entry's newest event the caller derived its state from (0
	// for a new entry): if the entry has moved on since, nothing is written
	// and the error is Conflict, so two officers cannot both decide.
	AppendListEvent(ctx context.Context, e *ListEvent, prevSeq int64) error
	// AppendListEvents writes events of distinct entries in one
	// transaction, each as AppendListEvent would with prevSeqs[i], at
	// consecutive Seqs in the order given. If any would be refused, none is
	// written and the error is the first refusal's (Conflict, Exists,
	// Invalid).
	AppendListEvents(ctx context.Context, es []*ListEvent, prevSeqs []int64) error
	// ListEvents returns events with Seq > after, in Seq order, at most
	// limit (all when limit <= 0).
	ListEvents(ctx context.Context, after int64, limit int) ([]ListEvent, error)
	// EntryEvents returns one entry's events in Seq order.
	EntryEvents(ctx context.Context, entryID string) ([]ListEvent, error)
	// SubjectListEvents returns the events of every entry of a subject, in
	// Seq order.
	SubjectListEvents(ctx context.Context, subjectID string) ([]ListEvent, error)
	// ListEventsBySubjects is SubjectListEvents for many subjects in a
	// few queries, by subject (one without events is absent).
	ListEventsBySubjects(ctx context.Context, subjectIDs []string) (map[string][]ListEvent, error)

	// AppendVerification writes a verification mark and sets m.Seq.
	AppendVerification(ctx context.Context, m *VerificationMark) error
	// Verifications returns marks with Seq > after, in Seq order.
	Verifications(ctx context.Context, after int64, limit int) ([]VerificationMark, error)

	// AppendNameDecision writes a name decision and sets d.Seq.
	AppendNameDecision(ctx context.Context, d *NameDecision) error
	// NameDecisions returns decisions with Seq > after, in Seq order.
	NameDecisions(ctx context.Context, after int64, limit int) ([]NameDecision, error)

	// SetAccountMatters replaces the matters an account may check.
	SetAccountMatters(ctx context.Context, accountID string, matters []string) error
	// AccountMatters returns the matters an account may check, sorted.
	AccountMatters(ctx context.Context, accountID string) ([]string, error)

	// AppendChecks writes checks and their measures atomically.
	AppendChecks(ctx context.Context, checks []CheckLog) error
	// Check returns one logged check with its measures; NotFound if absent.
	Check(ctx context.Context, id string) (*CheckLog, error)
	// AppendFeedback writes feedback atomically. Each must name a measure
	// its check returned for that subject (Invalid otherwise); feedback
	// already given for it is Exists.
	AppendFeedback(ctx context.Context, fb []Feedback) error
	// FeedbackByCheck returns a check's feedback.
	FeedbackByCheck(ctx context.Context, checkID string) ([]Feedback, error)
	// CheckStats counts triggers (measures returned for a matched subject
	// and not suspended), feedback and overdue feedback by department,
	// matter and measure.
	CheckStats(ctx context.Context, f StatsFilter) ([]CheckStat, error)
}
