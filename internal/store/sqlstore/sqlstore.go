// Package sqlstore is the one SQL implementation of credit.Store, shared by
// the SQLite and PostgreSQL backends so that both behave identically and a
// fix lands in one place.
//
// The SQL is a portable subset chosen so that it also runs on the
// PostgreSQL-wire distributed engines (CockroachDB, YugabyteDB): no
// sequences, no triggers, no engine-specific functions; keys are UUIDv7 text
// or natural keys; "ON CONFLICT ... DO UPDATE/NOTHING" and "RETURNING",
// which SQLite (3.35+) and every PostgreSQL-wire engine accept verbatim.
//
// Representation choices, applied everywhere:
//   - timestamps are BIGINT Unix microseconds in UTC: an integer orders and
//     indexes the same on every engine, needs no time-zone or text-format
//     handling, and microseconds is PostgreSQL's own precision. The zero
//     time.Time is stored as NULL so "unknown" stays distinguishable.
//   - Fields and former names are JSON text (not JSONB), so the column type
//     is the same on both backends and no JSON functions are needed.
//   - optional keys (supersedes, id_hash) are NULL when empty, so that
//     foreign keys and unique-when-present indexes work.
package sqlstore

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"io/fs"
	"strconv"
	"sync"
	"time"

	"github.com/xinyong/xinyong/internal/credit"
)

// Dialect is what differs between backends. The SQL text itself does not:
// modernc.org/sqlite and pgx both accept $1, $2 ... numbered parameters, and
// both accept the same upsert syntax, so one text serves both. Column types
// (BLOB/BYTEA, INTEGER/BIGINT/BOOLEAN) differ only in the DDL, which lives
// in each backend's migration files.
type Dialect struct {
	// Name is what Backend reports ("sqlite", "postgres").
	Name string
	// Migrations holds the backend's NNNN_name.sql files at its root.
	Migrations fs.FS
	// MaxParams is the most bind parameters one statement may carry
	// (SQLite 32766, PostgreSQL 65535); batch sizes are derived from it.
	MaxParams int
	// Classify maps a driver error to a kind and a one-line message that
	// names no secret (no DSN, no password). It returns credit.Other when it
	// does not recognise the error.
	Classify func(err error) (credit.Kind, string)
	// Placeholder is the parameter marker for the i-th (1-based) parameter
	// in generated statements with many parameters (multi-row INSERT, IN
	// lists), which always number their parameters in order. Nil means
	// "$i". SQLite wants "?": it resolves a numbered or named parameter by
	// a linear search, which makes a 4000-parameter statement quadratic
	// to parse and to bind, while plain "?" costs nothing. Hand-written
	// statements with a handful of parameters keep $N on every backend.
	Placeholder func(i int) string
	// ForKeyShare is the row-lock clause that keeps a referenced row from
	// changing its key until the transaction ends (PostgreSQL's
	// " FOR KEY SHARE"); "" where the engine has a single writer.
	ForKeyShare string
}

// Store implements credit.Store over database/sql. Reads go to one pool and
// writes to another: SQLite needs a single writer connection next to a pool
// of readers; on PostgreSQL both may be the same pool.
type Store struct {
	d Dialect
	r *sql.DB
	w *sql.DB

	// recordRows is how many records the largest INSERT carries.
	recordRows int

	// inserts caches prepared multi-row INSERTs by row count. Parsing a
	// statement of thousands of parameters costs more than executing it on
	// SQLite, so each size is prepared once per store and reused through
	// Tx.StmtContext.
	mu      sync.Mutex
	inserts map[int]*sql.Stmt
}

// New returns a store over the given pools. It does not run migrations; the
// backends do that on open.
func New(d Dialect, read, write *sql.DB) *Store {
	if d.MaxParams <= 0 {
		d.MaxParams = 999 // SQLite's historical limit, the lowest anyone has
	}
	if d.Classify == nil {
		d.Classify = func(error) (credit.Kind, string) { return credit.Other, "" }
	}
	if d.Placeholder == nil {
		d.Placeholder = func(i int) string { return "$" + strconv.Itoa(i) }
	}
	s := &Store{d: d, r: read, w: write, inserts: make(map[int]*sql.Stmt)}
	// A few hundred rows per statement already amortise the round trip;
	// larger statements only cost memory.
	s.recordRows = min(d.MaxParams/len(recordCols), 250)
	return s
}

// ReadDB returns the pool used for reads.
func (s *Store) ReadDB() *sql.DB { return s.r }

// WriteDB returns the pool used for writes (a single connection on SQLite).
func (s *Store) WriteDB() *sql.DB { return s.w }

// Backend names the implementation.
func (s *Store) Backend() string { return s.d.Name }

// Ping checks that both pools answer.
func (s *Store) Ping(ctx context.Context) error {
	const op = "store.Ping"
	if err := s.w.PingContext(ctx); err != nil {
		return s.fail(op, err)
	}
	if s.r != s.w {
		if err := s.r.PingContext(ctx); err != nil {
			return s.fail(op, err)
		}
	}
	return nil
}

// Close releases both pools.
func (s *Store) Close() error {
	s.mu.Lock()
	var err error
	for n, st := range s.inserts {
		err = errors.Join(err, st.Close())
		delete(s.inserts, n)
	}
	s.mu.Unlock()
	err = errors.Join(err, s.closeLogStmts())
	err = errors.Join(err, s.w.Close())
	if s.r != s.w {
		err = errors.Join(err, s.r.Close())
	}
	return err
}

// fail turns a driver error into a credit error. Errors that already carry
// a kind keep it. Anything the dialect does not recognise is a bug in the
// platform (bad SQL, schema drift) and is reported as Internal.
func (s *Store) fail(op string, err error) error {
	if err == nil {
		return nil
	}
	var ce *credit.Error
	if errors.As(err, &ce) {
		return err
	}
	switch {
	case errors.Is(err, context.Canceled):
		return credit.Wrap(op, credit.Other, err)
	case errors.Is(err, context.DeadlineExceeded):
		return credit.E(op, credit.Unavailable, "%s database did not answer in time: %w", s.d.Name, err)
	}
	kind, msg := s.d.Classify(err)
	switch kind {
	case credit.Other:
		return credit.Wrap(op, credit.Internal, err)
	case credit.Unavailable:
		// The message was built to be shown as is; the driver error is
		// dropped because it may carry connection details.
		return &credit.Error{Op: op, Kind: kind, Err: errors.New(msg)}
	}
	if msg == "" {
		msg = err.Error()
	}
	return &credit.Error{Op: op, Kind: kind, Err: errors.New(msg)}
}

// kindOf classifies a driver error without wrapping it, so callers can turn
// an expected constraint violation into a message that names the object.
func (s *Store) kindOf(err error) credit.Kind {
	if err == nil {
		return credit.Other
	}
	k, _ := s.d.Classify(err)
	return k
}

// inTx runs fn in a write transaction and commits if fn returns nil.
func (s *Store) inTx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback() // the error from fn is the one worth reporting
		return err
	}
	return tx.Commit()
}

// micros converts a time to the stored form: Unix microseconds, or NULL for
// the zero time.
func micros(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMicro()
}

// fromMicros is the inverse of micros; it always returns UTC.
func fromMicros(n sql.NullInt64) time.Time {
	if !n.Valid {
		return time.Time{}
	}
	return time.UnixMicro(n.Int64).UTC()
}

// stamp returns t, or now when t is zero, at the stored precision, so the
// caller's copy equals what a later read returns.
func stamp(t time.Time) time.Time {
	if t.IsZero() {
		t = time.Now()
	}
	return t.Truncate(time.Microsecond).UTC()
}

// nullText stores an empty optional key as NULL.
func nullText(v string) any {
	if v == "" {
		return nil
	}
	return v
}

// nullBytes stores an empty byte slice as NULL.
func nullBytes(b []byte) any {
	if len(b) == 0 {
		return nil
	}
	return b
}

// jsonText encodes v without HTML escaping, so that names containing & < >
// are stored as written and a substring search finds them.
func jsonText(v any) (string, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "", err
	}
	return string(bytes.TrimSuffix(b.Bytes(), []byte("\n"))), nil
}

// placeholders appends n parameter markers numbered from "from", in the
// dialect's style, separated by commas.
func (s *Store) placeholders(b []byte, from, n int) []byte {
	for i := range n {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, s.d.Placeholder(from+i)...)
	}
	return b
}

var _ credit.Store = (*Store)(nil)
