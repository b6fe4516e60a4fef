package credit

import (
	"context"
	"time"
)

// BatchStatus is where a batch import stands.
type BatchStatus string

const (
	BatchRunning BatchStatus = "running" // being imported, or interrupted and resumable
	BatchDone    BatchStatus = "done"    // every row was read; rejects are kept
	BatchFailed  BatchStatus = "failed"  // stopped on an error that is not a row's fault
)

// BatchCounts are a batch's row counts. Accepted = Created + Versioned +
// Unchanged; Total = Accepted + Rejected once the batch is done.
type BatchCounts struct {
	Total     int `json:"total"`
	Accepted  int `json:"accepted"`
	Created   int `json:"created"`
	Versioned int `json:"versioned"`
	Unchanged int `json:"unchanged"`
	Rejected  int `json:"rejected"`
	// RejectedNotKept counts the rejected rows past the batch's cap on
	// stored rejects (ingest.DefaultMaxRejectRows): counted in Rejected,
	// but neither their cells nor their reasons are stored, so the rejects
	// download lacks them.
	RejectedNotKept int `json:"rejected_not_kept"`

	// Data-quality figures gathered while importing.
	// Timed counts accepted rows whose item has a reporting deadline, Late
	// those received after it (双公示: 7 working days after the decision).
	Timed int `json:"timed"`
	Late  int `json:"late"`
	// CodesChecked counts rows that carried a subject USCC; CodeErrors
	// those whose code failed its checks (rejected, or flagged legacy
	// codes that were kept): the 重错码率 numerator.
	CodesChecked int `json:"codes_checked"`
	CodeErrors   int `json:"code_errors"`
	// Filled and Fillable count the optional fields of accepted rows that
	// were filled, out of all optional fields: completeness.
	Filled   int `json:"filled"`
	Fillable int `json:"fillable"`
}

// Add adds o to c.
func (c *BatchCounts) Add(o BatchCounts) {
	c.Total += o.Total
	c.Accepted += o.Accepted
	c.Created += o.Created
	c.Versioned += o.Versioned
	c.Unchanged += o.Unchanged
	c.Rejected += o.Rejected
	c.RejectedNotKept += o.RejectedNotKept
	c.Timed += o.Timed
	c.Late += o.Late
	c.CodesChecked += o.CodesChecked
	c.CodeErrors += o.CodeErrors
	c.Filled += o.Filled
	c.Fillable += o.Fillable
}

// Batch is one file (or API upload) a department sent for one catalogue
// item. A batch is identified for resumption by (Dept, Item, ContentHash):
// sending the same bytes again continues or repeats the same batch.
type Batch struct {
	ID          string      `json:"id"`
	Dept        string      `json:"dept"`
	Item        string      `json:"item"`
	FileName    string      `json:"file_name"`
	Format      string      `json:"format"`       // csv, xlsx, jsonl
	Encoding    string      `json:"encoding"`     // utf-8, utf-8-bom, gb18030
	HeaderStyle string      `json:"header_style"` // codes, labels, legacy, mixed
	ContentHash string      `json:"content_hash"` // sha256 hex of the file's bytes
	Header      []string    `json:"header"`       // the file's own column headers, in order
	Unknown     []string    `json:"unknown_columns,omitempty"`
	Status      BatchStatus `json:"status"`
	Error       string      `json:"error,omitempty"`
	// Chunks is how many chunks are committed; LastRow the data row
	// number (1-based, header excluded) the last committed chunk ended at.
	Chunks     int         `json:"chunks"`
	LastRow    int         `json:"last_row"`
	Counts     BatchCounts `json:"counts"`
	Actor      string      `json:"actor,omitempty"` // account or "cli"
	StartedAt  time.Time   `json:"started_at"`
	FinishedAt time.Time   `json:"finished_at,omitempty"`
	// HeartbeatAt is when the importing process last showed it was alive
	// (every chunk, and every BatchHeartbeat in between); zero on batches
	// from before it was kept.
	HeartbeatAt time.Time `json:"heartbeat_at,omitzero"`
	// Interrupted is set by readers (Stalled) on a running batch whose
	// importer has gone silent: nothing will finish it until its file is
	// sent again, which resumes it after its last committed chunk.
	Interrupted bool `json:"interrupted,omitempty"`
}

// BatchHeartbeat is how often an importer says it is alive; a running
// batch silent for BatchStallAfter is taken as interrupted.
const (
	BatchHeartbeat  = 30 * time.Second
	BatchStallAfter = 5 * BatchHeartbeat
)

// Stalled reports whether b is running but its importer has been silent
// for BatchStallAfter at now (its start time standing in for a heartbeat
// on batches from before heartbeats were kept).
func (b *Batch) Stalled(now time.Time) bool {
	if b.Status != BatchRunning {
		return false
	}
	last := b.HeartbeatAt
	if last.IsZero() {
		last = b.StartedAt
	}
	return now.Sub(last) > BatchStallAfter
}

// Reject is one problem with one row of a batch. A row with several
// problems has several rejects with the same Row.
type Reject struct {
	BatchID string `json:"batch_id"`
	Row     int    `json:"row"`   // data row number, 1-based, header excluded
	Field   string `json:"field"` // field code, or the column header when unmapped, or "" for the row
	Reason  string `json:"reason"`
	// ReasonZh is the reason in Chinese, which the rejects file gives.
	ReasonZh string   `json:"reason_zh,omitempty"`
	Raw      []string `json:"raw,omitempty"` // the row's cells as sent, in header order
	// Sealed is the row's cells as stored: sealed as a whole with the data
	// key (they may hold a person's ID number anywhere), or, from a store
	// without a key, their JSON. The store keeps and returns only this;
	// the importer fills it from Raw, readers open it into Raw.
	Sealed string `json:"-"`
}

// Chunk is what one import step commits, all or nothing: the subjects to
// create or update, the records, the rejects and the batch's progress.
type Chunk struct {
	BatchID string
	// Seq is the chunk's number (1-based); it must be the batch's Chunks+1,
	// so a chunk can never be committed twice.
	Seq      int
	LastRow  int
	Subjects []Subject
	Records  []Record
	Rejects  []Reject
	Counts   BatchCounts // added to the batch's counts
	// FieldsJSON optionally holds each record's Fields already encoded
	// (by the store's own encoder), so that the encoding can run in
	// parallel workers instead of in the single writer. Nil or one entry
	// per record.
	FieldsJSON []string
}

// BatchFilter narrows a batch listing.
type BatchFilter struct {
	Dept  string
	Limit int
}

// DeptQuality is the data-quality totals of one department's batches.
type DeptQuality struct {
	Dept    string      `json:"dept"`
	Batches int         `json:"batches"`
	Counts  BatchCounts `json:"counts"`
}

// BatchStore keeps import batches, their rejects and their chunk progress.
type BatchStore interface {
	// CreateBatch stores a new batch (status running); Exists if the ID is taken.
	CreateBatch(ctx context.Context, b *Batch) error
	// Batch returns one batch by ID; NotFound if absent.
	Batch(ctx context.Context, id string) (*Batch, error)
	// BatchByContent returns the newest batch of dept and item with the
	// given content hash; NotFound if none.
	BatchByContent(ctx context.Context, dept, item, hash string) (*Batch, error)
	// Batches lists batches, newest first.
	Batches(ctx context.Context, f BatchFilter) ([]Batch, error)
	// CommitChunk writes the chunk's subjects (upsert), records, rejects and
	// the batch's progress in one transaction. Conflict if c.Seq is not the
	// batch's next chunk (another process committed it, or it was replayed).
	CommitChunk(ctx context.Context, c *Chunk) error
	// FinishBatch sets the final status (and error message) of a batch.
	FinishBatch(ctx context.Context, id string, status BatchStatus, msg string, at time.Time) error
	// BatchAlive records that the importer of a running batch is alive at
	// at (its heartbeat); NotFound if no running batch has the ID.
	BatchAlive(ctx context.Context, id string, at time.Time) error
	// SetBatchUnknown replaces the unknown columns recorded on a batch
	// (JSON Lines files can name new keys on any line); NotFound if absent.
	SetBatchUnknown(ctx context.Context, id string, unknown []string) error
	// Rejects returns a batch's rejects in row order.
	Rejects(ctx context.Context, batchID string) ([]Reject, error)
	// LatestByDocs is LatestByDoc for many document numbers at once: the
	// newest fact per document number found (absent ones are left out).
	LatestByDocs(ctx context.Context, dept, item string, docNos []string) (map[string]*Record, error)
	// SubjectsByIDs returns the stored subjects among ids.
	SubjectsByIDs(ctx context.Context, ids []string) (map[string]*Subject, error)
	// RecordsByIDs returns the stored facts among ids, by ID (absent ones
	// are left out): a follower of the change feed reads a page's facts
	// at once instead of one by one.
	RecordsByIDs(ctx context.Context, ids []string) (map[string]*Record, error)
	// RecordsBySubjects is RecordsBySubject for many subjects at once: each
	// subject's facts oldest first, by subject ID (subjects without facts
	// are left out).
	RecordsBySubjects(ctx context.Context, subjectIDs []string) (map[string][]Record, error)
	// SubjectRevisionsBySubjects is SubjectRevisions for many subjects at
	// once, each subject's oldest first, by subject ID (subjects without
	// revisions are left out).
	SubjectRevisionsBySubjects(ctx context.Context, subjectIDs []string) (map[string][]SubjectRevision, error)
	// SubjectsByIDHashes returns the stored persons among the ID-number
	// hashes, keyed by hash.
	SubjectsByIDHashes(ctx context.Context, hashes []string) (map[string]*Subject, error)
	// Quality sums the counts of every batch per department, by dept code.
	Quality(ctx context.Context) ([]DeptQuality, error)
}
