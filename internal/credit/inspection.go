package credit

import (
	"context"
	"time"
)

// ChangeInspection is the change-feed kind of an inspection task's
// events (双随机、一公开): Ref is the task, Tag "published", "drawn" or
// "result". A publication enters the transparency log like every fact,
// which is what fixes a draw's randomness after it (internal/inspection).
const ChangeInspection ChangeKind = "inspection"

// Inspection task states.
const (
	InspectionPublished = "published" // task, pool hash and ratios published; not drawn
	InspectionDrawn     = "drawn"     // subjects and inspectors drawn
)

// InspectionTask is a department's random inspection task (双随机抽查
// 任务). Statement is the published statement as JSON (the task, the pool
// snapshot's hash, the ratios, the inspectors and the avoidance rules:
// internal/inspection.Statement); Pool the snapshot itself (gzipped
// JSON lines); Draw, once drawn, the randomness and the lists
// (internal/inspection.Draw as JSON). The store keeps them as given: the
// rules of the draw live in internal/inspection.
type InspectionTask struct {
	ID     string `json:"id"`
	Dept   string `json:"dept"`
	Matter string `json:"matter"`
	Title  string `json:"title"`
	State  string `json:"state"`
	// PublishedPos is the change-feed position of the publication: the
	// transparency log's leaf of it fixes which checkpoint is the draw's
	// randomness.
	PublishedPos int64     `json:"published_pos"`
	PublishedAt  time.Time `json:"published_at"`
	DrawnAt      time.Time `json:"drawn_at,omitzero"`
	PoolSize     int       `json:"pool_size"`
	Drawn        int       `json:"drawn"`
	Statement    []byte    `json:"-"`
	Pool         []byte    `json:"-"`
	Draw         []byte    `json:"-"`
	Seq          int       `json:"-"`
}

// InspectionAssignment is one inspector sent to one subject by a draw:
// the history that the avoidance rule "not one they inspected in the last
// N months" reads.
type InspectionAssignment struct {
	TaskID    string    `json:"task_id"`
	Dept      string    `json:"dept"`
	SubjectID string    `json:"subject_id"`
	Inspector string    `json:"inspector"`
	DrawnAt   time.Time `json:"drawn_at"`
}

// InspectionResult is the published outcome of inspecting one drawn
// subject (一公开): the inspection item, the result, the date. A failed
// inspection is also a record of the catalogue's inspection item
// (RecordID).
type InspectionResult struct {
	TaskID      string    `json:"task_id"`
	SubjectID   string    `json:"subject_id"`
	SubjectName string    `json:"subject_name,omitempty"`
	Item        string    `json:"item"`
	Result      string    `json:"result"`
	Failed      bool      `json:"failed"`
	Detail      string    `json:"detail,omitempty"`
	InspectedOn time.Time `json:"inspected_on"`
	RecordID    string    `json:"record_id,omitempty"`
	Actor       string    `json:"actor,omitempty"`
	At          time.Time `json:"at"`
}

// PoolFilter selects an inspection task's subject pool from the register:
// organisations and individual businesses (never natural persons) whose
// region code starts with Region (GB/T 2260, "" any), of the kinds Kinds
// (empty: both), whose entity type (the code's first two characters,
// e.g. "91" enterprises) is one of OrgTypes (empty: any), and whose
// status is not one of the closed ones (注销, 吊销) unless
// IncludeClosed.
type PoolFilter struct {
	Region        string        `json:"region,omitempty"`
	Kinds         []SubjectKind `json:"kinds,omitempty"`
	OrgTypes      []string      `json:"org_types,omitempty"`
	IncludeClosed bool          `json:"include_closed,omitempty"`
}

// PoolSubject is one subject of a pool as the register has it.
type PoolSubject struct {
	ID     string
	Kind   SubjectKind
	Region string
}

// InspectionFilter narrows a list of tasks.
type InspectionFilter struct {
	Dept  string
	State string
	Limit int
}

// InspectionStore keeps inspection tasks, their draws, the inspectors'
// assignments and the published results. Every write adds its
// ChangeInspection entry in the same transaction.
type InspectionStore interface {
	// InspectionPool calls fn with each subject the filter selects, in ID
	// order as the database collates it (callers that need byte order
	// sort; a streaming read of the register; fn's error ends it).
	InspectionPool(ctx context.Context, f PoolFilter, fn func(PoolSubject) error) error
	// CreateInspection writes a published task and sets its
	// PublishedPos to the position of its feed entry.
	CreateInspection(ctx context.Context, t *InspectionTask) error
	// Inspection returns a task with its statement, pool and draw.
	Inspection(ctx context.Context, id string) (*InspectionTask, error)
	// Inspections returns tasks (without statement, pool and draw),
	// newest first.
	Inspections(ctx context.Context, f InspectionFilter) ([]InspectionTask, error)
	// RecordInspectionDraw stores a task's draw and its assignments, once:
	// Conflict if the task was drawn already.
	RecordInspectionDraw(ctx context.Context, t *InspectionTask, as []InspectionAssignment) error
	// InspectedBy returns the assignments of dept's inspectors (those
	// named) drawn at or after since.
	InspectedBy(ctx context.Context, dept string, inspectors []string, since time.Time) ([]InspectionAssignment, error)
	// PutInspectionResult keeps the result of one drawn subject; Exists
	// if the subject's result is kept already.
	PutInspectionResult(ctx context.Context, r *InspectionResult) error
	// InspectionResults returns a task's results in subject order.
	InspectionResults(ctx context.Context, taskID string) ([]InspectionResult, error)
	// CheckpointCovering returns the first kept checkpoint of the
	// transparency log whose tree holds leaf index (size > index);
	// NotFound if none yet.
	CheckpointCovering(ctx context.Context, index int64) (*LogCheckpoint, error)
}
