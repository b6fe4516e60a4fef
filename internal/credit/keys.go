package credit

import (
	"context"
	"time"
)

// DataKeyState is where a data key stands.
type DataKeyState string

// Data key states.
const (
	// KeyCurrent seals everything new; at most one key is current.
	KeyCurrent DataKeyState = "current"
	// KeyNext is the target of a key rotation under way: nodes given it
	// (with the current key as the previous one) seal with it already.
	KeyNext DataKeyState = "next"
	// KeyRetired was current before a finished rotation: refused.
	KeyRetired DataKeyState = "retired"
)

// DataKey is a data key as the store knows it: never the key itself, only
// its ID and check value (pii.Sealer.KeyID, CheckValue).
type DataKey struct {
	ID      string
	Check   string
	State   DataKeyState
	Created time.Time
	Changed time.Time // when the state last changed
}

// SealedColumn names where a table keeps values sealed or hashed with the
// data key, for a key rotation to re-seal them (pii's registry). Table,
// Key, Fields and Where are SQL identifiers and a condition written in
// code, never taken from input.
type SealedColumn struct {
	// Name identifies the registration, e.g. "subjects.id_number"; the
	// rotation's progress is kept under it.
	Name  string
	Table string
	// Key is a unique text column that orders the rows: the rotation's
	// cursor.
	Key string
	// Fields are the columns read and rewritten together.
	Fields []SealedField
	// Where selects the rows that may hold sealed data (e.g. "id_cipher IS
	// NOT NULL"); empty for all.
	Where string
}

// SealedField is one column of a SealedColumn.
type SealedField struct {
	Name string
	// Binary columns are BLOB / BYTEA; the others are text.
	Binary bool
}

// ResealFunc re-seals one row: given its key and its fields' values (nil
// for NULL) it returns the new values, or nil when the row needs nothing.
type ResealFunc func(key string, values [][]byte) ([][]byte, error)

// ResealProgress is how far a rotation has come through one sealed column.
type ResealProgress struct {
	Target string // the key rotated to
	Column string // SealedColumn.Name
	// Pass counts passes over the table: a column is done when a whole
	// pass found nothing left to re-seal (the first pass re-seals; a
	// second finds what nodes still sealing with the old key wrote behind
	// the cursor meanwhile).
	Pass     int
	LastKey  string // the cursor: the last key of the pass handled
	Changed  int64  // rows re-sealed in this pass so far
	Resealed int64  // rows re-sealed in all passes
	Done     bool
	Updated  time.Time
}

// KeyStore keeps the data keys' check values and the progress of key
// rotations.
type KeyStore interface {
	// DataKeys returns the keys the store knows, oldest first.
	DataKeys(ctx context.Context) ([]DataKey, error)
	// AddDataKey registers a key as current (the first) or next (a
	// rotation begins). Exists if the ID is known or a key already holds
	// that state.
	AddDataKey(ctx context.Context, k DataKey) error
	// FinishRotation makes the next key, next, current and retires the
	// current one, in one transaction. Conflict unless next is the next key
	// and every column named has a finished ResealProgress toward it.
	FinishRotation(ctx context.Context, next string, columns []string, at time.Time) error
	// HasSealed reports whether a row of any of the columns holds sealed
	// data (matches its Where).
	HasSealed(ctx context.Context, cols []SealedColumn) (bool, error)
	// SampleSealed returns the fields of one row of col holding sealed
	// data, nil if none does: a key can be tried on it.
	SampleSealed(ctx context.Context, col SealedColumn) ([][]byte, error)
	// Reseal re-seals toward target the next rows (at most limit) of col
	// after its cursor, with fn, and moves the cursor, in one transaction:
	// a rotation killed at any point resumes where its last batch
	// committed. A row changed by another writer since it was read is left
	// for the next pass. When the pass ends, a pass that changed nothing
	// marks the column done; otherwise a new pass begins.
	Reseal(ctx context.Context, col SealedColumn, target string, limit int, fn ResealFunc) (*ResealProgress, error)
	// RotationProgress returns the progress of the rotation to target, by
	// column.
	RotationProgress(ctx context.Context, target string) ([]ResealProgress, error)
}
