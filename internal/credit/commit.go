package credit

import (
	"context"
	"time"
)

// Commitment is the current state of one credit commitment (信用承诺): a
// projection of its events (append-only), written with them in one
// transaction. The commitment itself is also a record of the catalogue's
// commitment item (RecordID), through which it is published; this row is
// what fulfilment tracking (履约跟踪) reads: queues, overdue sweeps,
// statistics.
type Commitment struct {
	ID string `json:"id"`
	// Code is the 承诺编码: region code (6), date (8), serial (6).
	Code      string `json:"code"`
	SubjectID string `json:"subject_id"`
	Matter    string `json:"matter"`
	Kind      string `json:"kind"`
	// Unit is the accepting unit (承诺受理单位), which follows the
	// commitment and decides whether it was kept.
	Unit string `json:"unit"`
	// RecordID is the origin of the commitment's record chain.
	RecordID string `json:"record_id"`
	// CheckID is the eligibility answer it was accepted on, if any.
	CheckID string `json:"check_id,omitempty"`
	// Approval names the approval granted on the commitment (a licence
	// number, a decision document), which a broken commitment may revoke.
	Approval string `json:"approval,omitempty"`
	State    string `json:"state"`
	// Open is true while the commitment is followed (due, overdue, or in
	// force without a due date).
	Open bool `json:"open"`
	Seq  int  `json:"seq"`
	// SignedOn is the date it was made; Due the date it must be kept by
	// (zero: none); DecideBy, once overdue, the date the accepting unit
	// must decide it by before it is escalated.
	SignedOn time.Time        `json:"signed_on"`
	Due      time.Time        `json:"due,omitzero"`
	DecideBy time.Time        `json:"decide_by,omitzero"`
	Detail   CommitmentDetail `json:"detail"`
	Created  time.Time        `json:"created_at"`
	Updated  time.Time        `json:"updated_at"`
}

// CommitmentDetail is what was signed, kept as signed.
type CommitmentDetail struct {
	// Signer is who signed for the subject, and in what capacity
	// (法定代表人, 委托代理人, 本人).
	Signer     string `json:"signer"`
	SignerRole string `json:"signer_role,omitempty"`
	// Document names the signed commitment document at the counter (its
	// number); a scan may be attached as a file.
	Document string `json:"document,omitempty"`
	// Channel is how it was made: "portal" (the subject signed online) or
	// "counter" (a business system registered one signed at its counter).
	Channel      string   `json:"channel"`
	Materials    []string `json:"materials,omitempty"`
	Promise      string   `json:"promise"`
	Consequences string   `json:"consequences"`
	Disclosure   string   `json:"disclosure"`
	// DueProvisional says the due date was counted on provisional
	// calendar data.
	DueProvisional bool `json:"due_provisional,omitempty"`
	// RevokesApproval: the matter's data says a broken commitment revokes
	// the approval granted on it.
	RevokesApproval bool `json:"revokes_approval,omitempty"`
}

// TrackEvent is one append-only step of a commitment or a self-declared
// piece of information.
type TrackEvent struct {
	ID     string            `json:"id"`
	Of     string            `json:"of"` // the commitment or declaration
	Seq    int               `json:"seq"`
	Action string            `json:"action"`
	State  string            `json:"state"` // the state after the event
	Actor  string            `json:"actor"`
	Role   Role              `json:"role"`
	At     time.Time         `json:"at"`
	Reason string            `json:"reason,omitempty"`
	Data   map[string]string `json:"data,omitempty"`
}

// OwnedFile is a file attached to a commitment (the signed document, a
// decision document) or a declaration (its evidence).
type OwnedFile struct {
	ID          string    `json:"id"`
	Of          string    `json:"of"`
	Name        string    `json:"name"`
	ContentType string    `json:"content_type"`
	Size        int64     `json:"size"`
	SHA256      string    `json:"sha256"`
	Body        []byte    `json:"-"`
	UploadedBy  string    `json:"uploaded_by"`
	At          time.Time `json:"at"`
}

// CommitmentFilter narrows a read of commitments. Empty fields do not
// filter.
type CommitmentFilter struct {
	SubjectID string
	Unit      string
	Matter    string
	States    []string
	OpenOnly  bool
	// DueBy keeps commitments due on or before this date.
	DueBy time.Time
	Limit int // <= 0: 1000
}

// CommitmentCount is how many commitments of a matter, accepted by a
// unit and signed on or after a date, are in a state.
type CommitmentCount struct {
	Matter string `json:"matter"`
	Unit   string `json:"unit"`
	State  string `json:"state"`
	N      int    `json:"n"`
}

// EligibilityCheck is one answer to the question whether a subject may
// be accepted on a commitment for a matter (容缺受理), kept under its ID
// for the business system that asked.
type EligibilityCheck struct {
	ID        string    `json:"id"`
	SubjectID string    `json:"subject_id"`
	Matter    string    `json:"matter"`
	Actor     string    `json:"actor"`
	Role      Role      `json:"role"`
	Dept      string    `json:"dept,omitempty"`
	At        time.Time `json:"at"`
	Eligible  bool      `json:"eligible"`
	// Answer is the whole answer as given (reasons, notes, conditions), as
	// JSON.
	Answer []byte `json:"-"`
}

// Declaration is one piece of information a subject declared about
// itself (自主申报): never an official record. The department it names as
// issuer may confirm it (then RecordID is the official record it became)
// or reject it with a reason.
type Declaration struct {
	ID          string    `json:"id"`
	SubjectID   string    `json:"subject_id"`
	Kind        string    `json:"kind"`
	Issuer      string    `json:"issuer"`
	Title       string    `json:"title"`
	Number      string    `json:"number,omitempty"`
	IssuedOn    time.Time `json:"issued_on,omitzero"`
	ValidUntil  time.Time `json:"valid_until,omitzero"`
	Description string    `json:"description,omitempty"`
	State       string    `json:"state"`
	Seq         int       `json:"seq"`
	RecordID    string    `json:"record_id,omitempty"`
	Reason      string    `json:"reason,omitempty"`
	Created     time.Time `json:"created_at"`
	Updated     time.Time `json:"updated_at"`
}

// DeclarationFilter narrows a read of declarations.
type DeclarationFilter struct {
	SubjectID string
	Issuer    string
	States    []string
	Limit     int // <= 0: 1000
}

// CommitmentStore keeps commitments, their eligibility answers, and
// self-declared information, with their events and files.
type CommitmentStore interface {
	// CreateCommitment writes a new commitment with its first event
	// (Seq 1); Exists if its code is taken.
	CreateCommitment(ctx context.Context, c *Commitment, first *TrackEvent) error
	// AdvanceCommitment appends ev and stores c's new state. c.Seq must be
	// the number of events the caller saw; Conflict if another event was
	// written since.
	AdvanceCommitment(ctx context.Context, c *Commitment, ev *TrackEvent) error
	// Commitment returns one commitment; NotFound if absent.
	Commitment(ctx context.Context, id string) (*Commitment, error)
	// Commitments lists commitments, earliest due date first (those
	// without one last), then oldest first.
	Commitments(ctx context.Context, f CommitmentFilter) ([]Commitment, error)
	// CommitmentCounts counts the commitments signed on or after since by
	// matter, unit and state.
	CommitmentCounts(ctx context.Context, since time.Time) ([]CommitmentCount, error)
	// AppendEligibility keeps an eligibility answer.
	AppendEligibility(ctx context.Context, e *EligibilityCheck) error
	// Eligibility returns a kept answer; NotFound if absent.
	Eligibility(ctx context.Context, id string) (*EligibilityCheck, error)
	// CreateDeclaration writes a new declaration with its first event.
	CreateDeclaration(ctx context.Context, d *Declaration, first *TrackEvent) error
	// AdvanceDeclaration appends ev and stores d's new state (as
	// AdvanceCommitment).
	AdvanceDeclaration(ctx context.Context, d *Declaration, ev *TrackEvent) error
	// Declaration returns one declaration; NotFound if absent.
	Declaration(ctx context.Context, id string) (*Declaration, error)
	// Declarations lists declarations, oldest first.
	Declarations(ctx context.Context, f DeclarationFilter) ([]Declaration, error)
	// TrackEvents returns the events of a commitment or declaration in
	// order.
	TrackEvents(ctx context.Context, of string) ([]TrackEvent, error)
	// PutOwnedFile stores a file of a commitment or declaration.
	PutOwnedFile(ctx context.Context, f *OwnedFile) error
	// OwnedFiles lists the files of a commitment or declaration without
	// their bodies.
	OwnedFiles(ctx context.Context, of string) ([]OwnedFile, error)
	// OwnedFile returns one file with its body.
	OwnedFile(ctx context.Context, id string) (*OwnedFile, error)
}
