package credit

import (
	"context"
	"time"
)

// SubjectName is the part of a subject the name search indexes.
type SubjectName struct {
	ID          string      `json:"id"`
	Kind        SubjectKind `json:"kind"`
	Code        string      `json:"code,omitempty"`
	Name        string      `json:"name"`
	FormerNames []string    `json:"former_names,omitempty"`
	UpdatedAt   time.Time   `json:"updated_at"`
}

// PublishStore holds the queries behind publication: the search index's
// rebuild and refresh, bulk loading of registration data, and the portal's
// list pages.
type PublishStore interface {
	// PutSubjects creates or replaces many subjects in one transaction: all
	// or none. Like PutSubject, a zero CreatedAt or UpdatedAt is set to now
	// and a replaced subject keeps its stored created_at.
	PutSubjects(ctx context.Context, subs []Subject) error
	// SubjectNamesByID returns the names of the subjects with the given IDs
	// (those that exist, in no particular order): what the search index
	// reads for the subjects the change feed says changed.
	SubjectNamesByID(ctx context.Context, ids []string) ([]SubjectName, error)
	// EachSubjectName calls fn for every subject in storage order, in one
	// streaming read (a full load of the search index: no ORDER BY, so the
	// engine reads the table sequentially). It stops at fn's first error.
	EachSubjectName(ctx context.Context, fn func(SubjectName) error) error
	// NewestRecordsByItems returns up to limit facts (100 when limit <= 0,
	// at most 10000) of the given catalogue items with ID less than beforeID
	// (from the newest when beforeID is empty), newest first. IDs are
	// UUIDv7, and corrections and revocations carry their chain's item and
	// come after what they supersede, so a reader has a chain whole once it
	// has read the chain's original fact: a list can be published newest
	// first, a page at a time.
	NewestRecordsByItems(ctx context.Context, items []string, beforeID string, limit int) ([]Record, error)
}
