package credit

import (
	"context"
	"time"
)

// States of an evaluation model version.
const (
	EvalCandidate = "candidate" // uploaded, compared, waiting for an administrator
	EvalActive    = "active"    // the version every score is computed with
	EvalRetired   = "retired"   // replaced by a later version
)

// EvalModel is one version of the evaluation model as uploaded: the file
// as given, its state, who uploaded and activated it, and the comparison
// of its grades with the active version's (JSON) made before activation.
type EvalModel struct {
	Version     string    `json:"version"`
	Body        []byte    `json:"-"`
	State       string    `json:"state"`
	UploadedBy  string    `json:"uploaded_by"`
	UploadedAt  time.Time `json:"uploaded_at"`
	ActivatedBy string    `json:"activated_by,omitempty"`
	ActivatedAt time.Time `json:"activated_at,omitzero"`
	Comparison  []byte    `json:"-"`
}

// EvalScore is a subject's current evaluation as kept: score in
// centipoints, grade, the model version and when it next changes with
// time alone (zero: not by time).
type EvalScore struct {
	SubjectID  string    `json:"subject_id"`
	Model      string    `json:"model_version"`
	Kind       string    `json:"kind"`
	Score      int64     `json:"centipoints"`
	Grade      string    `json:"grade"`
	At         time.Time `json:"at"`
	NextChange time.Time `json:"next_change,omitzero"`
}

// GradeChange is one change of a subject's grade: when, under which model
// version, from what to what, and why (the change that caused it).
type GradeChange struct {
	ID        string    `json:"id"`
	SubjectID string    `json:"subject_id"`
	At        time.Time `json:"at"`
	Model     string    `json:"model_version"`
	FromGrade string    `json:"from_grade"`
	ToGrade   string    `json:"to_grade"`
	FromScore int64     `json:"from_centipoints"`
	ToScore   int64     `json:"to_centipoints"`
	Reason    string    `json:"reason"`
}

// CursorMove moves a change-feed follower's shared cursor in the same
// transaction as what it wrote: From < 0 creates it.
type CursorMove struct {
	Name     string
	From, To int64
}

// EvaluationStore keeps the evaluation: model versions, each subject's
// current score, the history of grade changes, and the bulk read of
// credit files a full recompute needs.
type EvaluationStore interface {
	// PutEvalModel stores a new model version; Exists if the version is
	// there already.
	PutEvalModel(ctx context.Context, m *EvalModel) error
	// EvalModel returns one version; NotFound if absent.
	EvalModel(ctx context.Context, version string) (*EvalModel, error)
	// EvalModels lists every version, newest upload first, without bodies.
	EvalModels(ctx context.Context) ([]EvalModel, error)
	// SetEvalComparison keeps a candidate's comparison.
	SetEvalComparison(ctx context.Context, version string, cmp []byte) error
	// ActivateEvalModel makes a candidate the active version and retires
	// the one before; Conflict if the version is not a candidate.
	ActivateEvalModel(ctx context.Context, version, by string, at time.Time) error
	// PutEvalScores replaces the given subjects' scores and kept file
	// copies and appends the grade changes in one transaction; with mv,
	// the follower's cursor moves in it too (Conflict if it was moved
	// meanwhile).
	PutEvalScores(ctx context.Context, scores []EvalScore, changes []GradeChange, files []EvalFile, mv *CursorMove) error
	// PutEvalFiles keeps copies of files for subjects that have none yet
	// (a copy already kept is newer than the caller's).
	PutEvalFiles(ctx context.Context, files []EvalFile) error
	// EvalScore returns a subject's score; NotFound if it has none.
	EvalScore(ctx context.Context, subjectID string) (*EvalScore, error)
	// EvalScoresFor returns the scores of the given subjects that have one.
	EvalScoresFor(ctx context.Context, subjectIDs []string) (map[string]EvalScore, error)
	// ScanEvalScores calls fn for every score in subject order.
	ScanEvalScores(ctx context.Context, fn func(EvalScore) error) error
	// EvalScoresDue lists up to limit subjects whose score changes with
	// time at or before at.
	EvalScoresDue(ctx context.Context, at time.Time, limit int) ([]string, error)
	// GradeChanges lists a subject's grade changes, newest first.
	GradeChanges(ctx context.Context, subjectID string, limit int) ([]GradeChange, error)
	// EvalRanges cuts the subjects, in ID order, into at most n ranges of
	// about as many subjects each, so that a full recompute can read them
	// on n connections at once.
	EvalRanges(ctx context.Context, n int) ([]SubjectRange, error)
	// ScanEvalFiles calls fn for every subject of r, in ID order, with its
	// facts of the given items (every item when none is given), oldest
	// first: the bulk read of a full recompute, two ordered streams merged.
	// The subjects and records carry what evaluation reads: a subject its
	// ID, kind, code, name, organisation type, region, status and
	// registration date; a record all but its batch, reason and content
	// hash.
	ScanEvalFiles(ctx context.Context, items []string, r SubjectRange, fn func(*Subject, []Record) error) error
	// ScanEvalFileCopies is ScanEvalFiles from the copies PutEvalScores
	// and PutEvalFiles kept: a short run of rows per subject in key order
	// instead of a walk through the records. It visits the subjects that
	// have a copy; a copy is as fresh as its last write; the evaluation
	// service says which copies it trusts.
	// The memo kept with a copy comes with it, aligned with the records
	// given. The records slice, their Fields maps and the memo's entries
	// are reused once fn returns (a pass decodes ten million records):
	// fn clones what it keeps, maps included.
	ScanEvalFileCopies(ctx context.Context, items []string, r SubjectRange, fn func(*Subject, []Record, EvalMemo) error) error
}

// EvalFile is a subject with its records, every item, as the evaluation
// keeps a copy of them for its full passes (of the subject, what
// ScanEvalFiles gives).
type EvalFile struct {
	Subject *Subject
	Records []Record
	// Memo is kept with the copy and given back with it.
	Memo EvalMemo
}

// EvalMemo is what evaluation derived from a file when it kept the copy,
// kept beside it so that a full pass need not derive it again: opaque to
// the store. Records holds one entry per record, aligned with the file's
// records ("" for none); Key says what the entries were derived under
// (the evaluation refuses entries of another key).
type EvalMemo struct {
	Key     string
	Records []string
}

// SubjectRange is the subjects whose ID is at least From and less than To;
// an empty bound is open.
type SubjectRange struct {
	From, To string
}

// Holds reports whether id falls in r.
func (r SubjectRange) Holds(id string) bool {
	return id >= r.From && (r.To == "" || id < r.To)
}
