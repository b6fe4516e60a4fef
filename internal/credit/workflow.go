package credit

import (
	"context"
	"time"
)

// CaseKind names a workflow: an objection (异议), a credit repair (信用修复),
// or a bankruptcy reorganisation masking (破产重整/和解屏蔽).
type CaseKind string

const (
	CaseObjection  CaseKind = "objection"
	CaseRepair     CaseKind = "repair"
	CaseBankruptcy CaseKind = "bankruptcy"
)

// Case is the current state of one workflow case, a projection of its
// events: the events are the history (append-only), the case row is what
// queues and marks are read from. Both are written in one transaction.
type Case struct {
	ID        string   `json:"id"`
	Kind      CaseKind `json:"kind"`
	SubjectID string   `json:"subject_id"`
	// RecordID is the origin ID of the record chain concerned ("" for a
	// subject-level case such as bankruptcy masking).
	RecordID string `json:"record_id,omitempty"`
	// EntryID is the list entry concerned, if any.
	EntryID string `json:"entry_id,omitempty"`
	// Unit is the deciding unit (认定单位): the department that reported
	// the record or decided the entry ("谁认定、谁修复").
	Unit   string `json:"unit"`
	Domain string `json:"domain,omitempty"`
	// TrackHash is the sha256 of the 查询码; the code itself is never stored.
	TrackHash string `json:"-"`
	State     string `json:"state"`
	// Open is false once the case reached a final state.
	Open bool `json:"open"`
	// Seq is the number of events written.
	Seq int `json:"seq"`
	// Due is the date the current step must be done by (zero: no timer).
	Due time.Time `json:"due,omitzero"`
	// Until is when an effect of the case ends (a repair lockout after a
	// false commitment); zero when none.
	Until   time.Time `json:"until,omitzero"`
	Created time.Time `json:"created_at"`
	Updated time.Time `json:"updated_at"`
}

// CaseEvent is one append-only state change of a case.
type CaseEvent struct {
	ID     string    `json:"id"`
	CaseID string    `json:"case_id"`
	Seq    int       `json:"seq"`
	Action string    `json:"action"`
	State  string    `json:"state"` // the state after the event
	Actor  string    `json:"actor"`
	Role   Role      `json:"role"`
	At     time.Time `json:"at"`
	Due    time.Time `json:"due,omitzero"`
	Reason string    `json:"reason,omitempty"`
	// Data holds the event's details (materials asked for, the new
	// record's ID, the earliest date to apply again...).
	Data map[string]string `json:"data,omitempty"`
}

// CaseFile is an evidence or material file attached to a case.
type CaseFile struct {
	ID          string    `json:"id"`
	CaseID      string    `json:"case_id"`
	Name        string    `json:"name"`
	ContentType string    `json:"content_type"`
	Size        int64     `json:"size"`
	SHA256      string    `json:"sha256"`
	Body        []byte    `json:"-"`
	UploadedBy  string    `json:"uploaded_by"`
	At          time.Time `json:"at"`
}

// CaseFilter narrows a case read. Empty fields do not filter.
type CaseFilter struct {
	Kind      CaseKind
	SubjectID string
	RecordIDs []string
	Unit      string
	OpenOnly  bool
	Limit     int // <= 0: 1000
}

// RecomputeMark asks the evaluation to recompute a subject.
type RecomputeMark struct {
	SubjectID string    `json:"subject_id"`
	Since     time.Time `json:"since"`
	Reason    string    `json:"reason"`
}

// WorkflowStore keeps objection, repair and bankruptcy cases.
type WorkflowStore interface {
	// CreateCase writes a new case with its first event (Seq 1).
	CreateCase(ctx context.Context, c *Case, first *CaseEvent) error
	// AdvanceCase appends ev to case c and stores c's new state. c.Seq must
	// be the number of events the caller saw; Conflict if another event was
	// written since (two officers acting at once), so no step is lost.
	AdvanceCase(ctx context.Context, c *Case, ev *CaseEvent) error
	// Case returns one case; NotFound if absent.
	Case(ctx context.Context, id string) (*Case, error)
	// CaseByTrackHash finds a case by the hash of its 查询码.
	CaseByTrackHash(ctx context.Context, hash string) (*Case, error)
	// Cases lists cases, earliest due date first (cases without a due date
	// last), then oldest first.
	Cases(ctx context.Context, f CaseFilter) ([]Case, error)
	// CaseEvents returns a case's events in order.
	CaseEvents(ctx context.Context, caseID string) ([]CaseEvent, error)
	// PutCaseFile stores a file of a case.
	PutCaseFile(ctx context.Context, f *CaseFile) error
	// CaseFiles lists a case's files without their bodies.
	CaseFiles(ctx context.Context, caseID string) ([]CaseFile, error)
	// CaseFile returns one file with its body.
	CaseFile(ctx context.Context, id string) (*CaseFile, error)
	// MarkRecompute asks for a subject's evaluation to be recomputed.
	MarkRecompute(ctx context.Context, m RecomputeMark) error
	// PendingRecompute lists subjects waiting for a recompute, oldest first.
	PendingRecompute(ctx context.Context, limit int) ([]RecomputeMark, error)
}
