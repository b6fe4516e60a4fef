package sqlstore

import (
	"context"
	"database/sql"
	"strconv"
	"time"

	"github.com/xinyong/xinyong/internal/credit"
)

// changeCols is the insert column order of the changes table.
var changeCols = []string{"pos", "kind", "ref", "subject_id", "tag", "at"}

// change is one feed entry before it has a position.
type change struct {
	kind          credit.ChangeKind
	ref, subj, tg string
}

// feedTx is what writing feed entries needs of a transaction: both
// *sql.Tx (through sqlFeedTx) and an import chunk's transaction provide it.
type feedTx interface {
	// QueryInt runs a query returning one integer.
	QueryInt(ctx context.Context, q string, args ...any) (int64, error)
	// InsertChanges inserts rows of changeCols values.
	InsertChanges(ctx context.Context, args []any) error
}

// takePositions allocates n positions from the feed's head and returns the
// first. It must be the last statement but the inserts of the feed entries
// before commit: the head row stays locked until the transaction ends, and
// every other writer of facts waits on it.
func takePositions(ctx context.Context, tx feedTx, n int) (int64, error) {
	last, err := tx.QueryInt(ctx, `UPDATE change_head SET pos = pos + $1 WHERE id = 1 RETURNING pos`, n)
	if err != nil {
		return 0, err
	}
	return last - int64(n) + 1, nil
}

// writeChanges gives cs their positions and inserts them; it returns the
// first position. Call it last in the transaction (see takePositions).
func writeChanges(ctx context.Context, tx feedTx, cs []change, at time.Time) (int64, error) {
	if len(cs) == 0 {
		return 0, nil
	}
	first, err := takePositions(ctx, tx, len(cs))
	if err != nil {
		return 0, err
	}
	args := make([]any, 0, len(cs)*len(changeCols))
	us := stamp(at).UnixMicro()
	for i, c := range cs {
		args = append(args, first+int64(i), string(c.kind), c.ref, c.subj, c.tg, us)
	}
	return first, tx.InsertChanges(ctx, args)
}

// sqlFeedTx writes feed entries inside a database/sql transaction with the
// store's cached multi-row INSERTs, which must be prepared before the
// transaction starts (SQLite's transaction holds its only write
// connection): see Store.feedStmts.
type sqlFeedTx struct {
	tx    *sql.Tx
	s     *Store
	stmts map[int]*sql.Stmt
}

func (t sqlFeedTx) QueryInt(ctx context.Context, q string, args ...any) (int64, error) {
	var n int64
	err := t.tx.QueryRowContext(ctx, q, args...).Scan(&n)
	return n, err
}

func (t sqlFeedTx) InsertChanges(ctx context.Context, args []any) error {
	return t.s.execRows(ctx, t.tx, t.stmts, changeCols, args)
}

// feedStmts prepares, before a write transaction, the statements that
// writing n feed entries takes.
func (s *Store) feedStmts(ctx context.Context, n int) (map[int]*sql.Stmt, error) {
	return s.prepareRows(ctx, "changes", changeCols, n)
}

// inFeedTx is inTx for a write of facts: fn runs first, then the n feed
// entries that fn returns are written with their positions, last. It
// returns the first position taken.
func (s *Store) inFeedTx(ctx context.Context, n int, fn func(tx *sql.Tx) ([]change, error)) (int64, error) {
	stmts, err := s.feedStmts(ctx, n)
	if err != nil {
		return 0, err
	}
	var first int64
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		cs, err := fn(tx)
		if err != nil {
			return err
		}
		first, err = writeChanges(ctx, sqlFeedTx{tx: tx, s: s, stmts: stmts}, cs, time.Now())
		return err
	})
	return first, err
}

// ChangeHead returns the newest committed position.
func (s *Store) ChangeHead(ctx context.Context) (int64, error) {
	var v int64
	if err := s.r.QueryRowContext(ctx, `SELECT pos FROM change_head WHERE id = 1`).Scan(&v); err != nil {
		return 0, s.fail("store.ChangeHead", err)
	}
	return v, nil
}

// ChangesSince reads the feed after a position.
func (s *Store) ChangesSince(ctx context.Context, after int64, limit int, kinds ...credit.ChangeKind) ([]credit.Change, error) {
	const op = "store.ChangesSince"
	if limit <= 0 {
		limit = 1000
	}
	limit = min(limit, 10000)
	q := `SELECT pos, kind, ref, subject_id, tag, at FROM changes WHERE pos > $1`
	args := []any{after}
	if len(kinds) > 0 {
		q += ` AND kind IN (`
		for i, k := range kinds {
			if i > 0 {
				q += `, `
			}
			args = append(args, string(k))
			q += `$` + strconv.Itoa(len(args))
		}
		q += `)`
	}
	args = append(args, limit)
	q += ` ORDER BY pos LIMIT $` + strconv.Itoa(len(args))
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, s.fail(op, err)
	}
	defer rows.Close()
	var out []credit.Change
	for rows.Next() {
		var (
			c    credit.Change
			kind string
			at   int64
		)
		if err := rows.Scan(&c.Pos, &kind, &c.Ref, &c.SubjectID, &c.Tag, &at); err != nil {
			return nil, s.fail(op, err)
		}
		c.Kind = credit.ChangeKind(kind)
		c.At = time.UnixMicro(at).UTC()
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, s.fail(op, err)
	}
	return out, nil
}

// FeedCursor reads a follower's shared position.
func (s *Store) FeedCursor(ctx context.Context, name string) (int64, bool, error) {
	var pos int64
	err := s.r.QueryRowContext(ctx, `SELECT pos FROM feed_cursors WHERE name = $1`, name).Scan(&pos)
	switch {
	case err == sql.ErrNoRows:
		return 0, false, nil
	case err != nil:
		return 0, false, s.fail("store.FeedCursor", err)
	}
	return pos, true, nil
}

// MoveFeedCursor moves a follower's shared position if nobody moved it
// meanwhile.
func (s *Store) MoveFeedCursor(ctx context.Context, name string, from, to int64) error {
	const op = "store.MoveFeedCursor"
	if from < 0 {
		_, err := s.w.ExecContext(ctx, `INSERT INTO feed_cursors (name, pos) VALUES ($1, $2)`, name, to)
		if err != nil && s.kindOf(err) == credit.Exists {
			return credit.E(op, credit.Exists, "feed cursor %s exists already", name)
		}
		return s.fail(op, err)
	}
	res, err := s.w.ExecContext(ctx, `UPDATE feed_cursors SET pos = $1 WHERE name = $2 AND pos = $3`, to, name, from)
	if err != nil {
		return s.fail(op, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return s.fail(op, err)
	} else if n != 1 {
		return credit.E(op, credit.Conflict, "feed cursor %s is no longer at %d", name, from)
	}
	return nil
}
