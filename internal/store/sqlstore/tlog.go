package sqlstore

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/xinyong/xinyong/internal/credit"
)

// The transparency log's storage. The Merkle tree's hashing is the tlog
// package's: the store keeps the head, the leaves and the complete nodes
// at every fourth level, and serialises appends on the head's row.

const hashSize = 32

var logLeafCols = []string{"idx", "kind", "ref", "hash", "data", "salt", "at"}

// AppendLog appends to the log, moving a feed cursor in the same
// transaction when move is set.
func (s *Store) AppendLog(ctx context.Context, move *credit.FeedMove, fn credit.LogAppendFunc) error {
	const op = "store.AppendLog"
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if move != nil {
			if err := moveCursorTx(ctx, tx, move); err != nil {
				return err
			}
		}
		return s.appendLogTx(ctx, tx, fn)
	})
	if err != nil && s.kindOf(err) == credit.Exists && move != nil && move.From < 0 {
		return credit.E(op, credit.Conflict, "feed cursor %s exists already", move.Name)
	}
	return s.fail(op, err)
}

// moveCursorTx moves a feed cursor inside tx; Conflict if it moved.
func moveCursorTx(ctx context.Context, tx *sql.Tx, m *credit.FeedMove) error {
	if m.From < 0 {
		_, err := tx.ExecContext(ctx, `INSERT INTO feed_cursors (name, pos) VALUES ($1, $2)`, m.Name, m.To)
		return err
	}
	res, err := tx.ExecContext(ctx, `UPDATE feed_cursors SET pos = $1 WHERE name = $2 AND pos = $3`, m.To, m.Name, m.From)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n != 1 {
		return credit.E("store.AppendLog", credit.Conflict, "feed cursor %s is no longer at %d", m.Name, m.From)
	}
	return nil
}

// appendLogTx locks the head, asks fn what to write, and writes it.
func (s *Store) appendLogTx(ctx context.Context, tx *sql.Tx, fn credit.LogAppendFunc) error {
	const op = "store.AppendLog"
	// The no-op update takes the row's lock until the transaction ends:
	// appends from every node are serialised on it. The row is made by
	// the first append.
	var head credit.LogState
	var rng []byte
	lock := func() error {
		return tx.QueryRowContext(ctx, `UPDATE log_head SET size = size WHERE id = 1 RETURNING size, root, compact_range`).Scan(&head.Size, &head.Root, &rng)
	}
	if err := lock(); errors.Is(err, sql.ErrNoRows) {
		if _, err := tx.ExecContext(ctx, `INSERT INTO log_head (id, size, root, compact_range) VALUES (1, 0, $1, $2) ON CONFLICT (id) DO NOTHING`,
			[]byte{}, []byte{}); err != nil {
			return err
		}
		if err := lock(); err != nil {
			return err
		}
	} else if err != nil {
		return err
	}
	var err error
	if head.Range, err = splitHashes(rng); err != nil {
		return credit.E(op, credit.Internal, "log head: %w", err)
	}
	if len(head.Root) == 0 {
		head.Root = nil
	}
	a, err := fn(head)
	if err != nil {
		return err
	}
	if a == nil || len(a.Leaves) == 0 {
		return nil
	}
	for i, l := range a.Leaves {
		if l.Index != head.Size+int64(i) || len(l.Hash) != hashSize {
			return credit.E(op, credit.Invalid, "leaf %d of the append has index %d, want %d (and a %d-byte hash)", i, l.Index, head.Size+int64(i), hashSize)
		}
	}
	if a.State.Size != head.Size+int64(len(a.Leaves)) || len(a.State.Root) != hashSize {
		return credit.E(op, credit.Invalid, "the append's new size %d is not %d + %d leaves", a.State.Size, head.Size, len(a.Leaves))
	}
	if err := s.insertLeaves(ctx, tx, a.Leaves); err != nil {
		return err
	}
	if err := s.insertNodes(ctx, tx, a.Nodes); err != nil {
		return err
	}
	if _, err = tx.ExecContext(ctx, `UPDATE log_head SET size = $1, root = $2, compact_range = $3 WHERE id = 1`,
		a.State.Size, a.State.Root, bytes.Join(a.State.Range, nil)); err != nil {
		return err
	}
	if c := a.Checkpoint; c != nil {
		if c.Size != a.State.Size || !bytes.Equal(c.Root, a.State.Root) {
			return credit.E(op, credit.Invalid, "the append's checkpoint is not of its new head")
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO log_checkpoints (size, root, note, at) VALUES ($1, $2, $3, $4) ON CONFLICT (size) DO NOTHING`,
			c.Size, c.Root, c.Note, stamp(c.At).UnixMicro())
	}
	return err
}

func splitHashes(b []byte) ([][]byte, error) {
	if len(b)%hashSize != 0 {
		return nil, errors.New("compact range is not a whole number of hashes")
	}
	out := make([][]byte, 0, len(b)/hashSize)
	for i := 0; i < len(b); i += hashSize {
		out = append(out, b[i:i+hashSize:i+hashSize])
	}
	return out, nil
}

// logChunk is how many rows one INSERT of leaves or nodes carries.
const logChunk = 400

func (s *Store) insertLeaves(ctx context.Context, tx *sql.Tx, ls []credit.LogLeaf) error {
	for start := 0; start < len(ls); start += logChunk {
		part := ls[start:min(start+logChunk, len(ls))]
		args := make([]any, 0, len(part)*len(logLeafCols))
		for _, l := range part {
			var salt any
			if len(l.Salt) > 0 {
				salt = l.Salt
			}
			args = append(args, l.Index, l.Kind, l.Ref, l.Hash, nonNil(l.Data), salt, stamp(l.At).UnixMicro())
		}
		if _, err := tx.ExecContext(ctx, s.multiInsert("log_leaves", logLeafCols, len(part)), args...); err != nil {
			return err
		}
	}
	return nil
}

func (s *Store) insertNodes(ctx context.Context, tx *sql.Tx, ns []credit.LogNode) error {
	cols := []string{"level", "idx", "hash"}
	for start := 0; start < len(ns); start += logChunk {
		part := ns[start:min(start+logChunk, len(ns))]
		args := make([]any, 0, len(part)*3)
		for _, n := range part {
			args = append(args, n.Level, n.Index, n.Hash)
		}
		if _, err := tx.ExecContext(ctx, s.multiInsert("log_nodes", cols, len(part)), args...); err != nil {
			return err
		}
	}
	return nil
}

func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// LogHead returns the log's head.
func (s *Store) LogHead(ctx context.Context) (credit.LogState, error) {
	const op = "store.LogHead"
	var head credit.LogState
	var rng []byte
	err := s.r.QueryRowContext(ctx, `SELECT size, root, compact_range FROM log_head WHERE id = 1`).Scan(&head.Size, &head.Root, &rng)
	if errors.Is(err, sql.ErrNoRows) {
		return credit.LogState{}, nil
	}
	if err != nil {
		return credit.LogState{}, s.fail(op, err)
	}
	if len(head.Root) == 0 {
		head.Root = nil
	}
	if head.Range, err = splitHashes(rng); err != nil {
		return credit.LogState{}, credit.E(op, credit.Internal, "log head: %w", err)
	}
	return head, nil
}

// LogLeafHashes returns the leaf hashes of [from, to).
func (s *Store) LogLeafHashes(ctx context.Context, from, to int64) ([][]byte, error) {
	return s.hashRange(ctx, "store.LogLeafHashes", `SELECT idx, hash FROM log_leaves WHERE idx >= $1 AND idx < $2 ORDER BY idx`, from, to, from, to)
}

// LogNodes returns the stored nodes of level in [from, to).
func (s *Store) LogNodes(ctx context.Context, level int, from, to int64) ([][]byte, error) {
	return s.hashRange(ctx, "store.LogNodes", `SELECT idx, hash FROM log_nodes WHERE level = $3 AND idx >= $1 AND idx < $2 ORDER BY idx`, from, to, from, to, level)
}

// hashRange reads consecutive hashes from from on, stopping at a gap.
func (s *Store) hashRange(ctx context.Context, op, q string, from, to int64, args ...any) ([][]byte, error) {
	if to <= from {
		return nil, nil
	}
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, s.fail(op, err)
	}
	defer rows.Close()
	out := make([][]byte, 0, to-from)
	for rows.Next() {
		var idx int64
		var h []byte
		if err := rows.Scan(&idx, &h); err != nil {
			return nil, s.fail(op, err)
		}
		if idx != from+int64(len(out)) {
			break
		}
		out = append(out, h)
	}
	return out, s.fail(op, rows.Err())
}

// LogRanges reads several ranges in one statement.
func (s *Store) LogRanges(ctx context.Context, rs []credit.LogRange) ([][][]byte, error) {
	const op = "store.LogRanges"
	out := make([][][]byte, len(rs))
	if len(rs) == 0 {
		return out, nil
	}
	var q strings.Builder
	var args []any
	for i, r := range rs {
		if i > 0 {
			q.WriteString(" UNION ALL ")
		}
		args = append(args, r.From, r.To)
		n := len(args)
		if r.Level == 0 {
			fmt.Fprintf(&q, "SELECT %d AS r, idx, hash FROM log_leaves WHERE idx >= $%d AND idx < $%d", i, n-1, n)
		} else {
			args = append(args, r.Level)
			fmt.Fprintf(&q, "SELECT %d AS r, idx, hash FROM log_nodes WHERE level = $%d AND idx >= $%d AND idx < $%d", i, n+1, n-1, n)
		}
	}
	q.WriteString(" ORDER BY r, idx")
	rows, err := s.r.QueryContext(ctx, q.String(), args...)
	if err != nil {
		return nil, s.fail(op, err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			r   int
			idx int64
			h   []byte
		)
		if err := rows.Scan(&r, &idx, &h); err != nil {
			return nil, s.fail(op, err)
		}
		// Consecutive from the range's start; a gap ends the range.
		if r >= 0 && r < len(rs) && idx == rs[r].From+int64(len(out[r])) {
			out[r] = append(out[r], h)
		}
	}
	return out, s.fail(op, rows.Err())
}

const logLeafSelect = `SELECT idx, kind, ref, hash, data, salt, at FROM log_leaves`

func scanLeaf(row *sql.Row) (*credit.LogLeaf, error) {
	var l credit.LogLeaf
	if err := row.Scan(&l.Index, &l.Kind, &l.Ref, &l.Hash, &l.Data, &l.Salt, microsDest{&l.At}); err != nil {
		return nil, err
	}
	return &l, nil
}

// LogLeaf returns one leaf.
func (s *Store) LogLeaf(ctx context.Context, index int64) (*credit.LogLeaf, error) {
	const op = "store.LogLeaf"
	l, err := scanLeaf(s.r.QueryRowContext(ctx, logLeafSelect+` WHERE idx = $1`, index))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, credit.Say(op, credit.NotFound, "日志中没有第%d条", "the log has no leaf %d", index)
	}
	return l, s.fail(op, err)
}

// LogLeafByRef returns the first leaf of kind with ref.
func (s *Store) LogLeafByRef(ctx context.Context, kind, ref string) (*credit.LogLeaf, error) {
	const op = "store.LogLeafByRef"
	l, err := scanLeaf(s.r.QueryRowContext(ctx, logLeafSelect+` WHERE ref = $1 AND kind = $2 ORDER BY idx LIMIT 1`, ref, kind))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, credit.Say(op, credit.NotFound, "日志中没有%s“%s”", "the log holds no %s %q", kind, ref)
	}
	return l, s.fail(op, err)
}

// PutCheckpoint keeps a signed checkpoint.
func (s *Store) PutCheckpoint(ctx context.Context, c credit.LogCheckpoint) error {
	const op = "store.PutCheckpoint"
	if c.Size < 0 || len(c.Root) == 0 || c.Note == "" {
		return credit.E(op, credit.Invalid, "a checkpoint needs a size, a root and its signed note")
	}
	_, err := s.w.ExecContext(ctx, `INSERT INTO log_checkpoints (size, root, note, at) VALUES ($1, $2, $3, $4) ON CONFLICT (size) DO NOTHING`,
		c.Size, c.Root, c.Note, stamp(c.At).UnixMicro())
	return s.fail(op, err)
}

// Checkpoint returns the checkpoint of a size, or the newest.
func (s *Store) Checkpoint(ctx context.Context, size int64) (*credit.LogCheckpoint, error) {
	const op = "store.Checkpoint"
	q, args := `SELECT size, root, note, at FROM log_checkpoints WHERE size = $1`, []any{size}
	if size < 0 {
		q, args = `SELECT size, root, note, at FROM log_checkpoints ORDER BY size DESC LIMIT 1`, nil
	}
	var c credit.LogCheckpoint
	err := s.r.QueryRowContext(ctx, q, args...).Scan(&c.Size, &c.Root, &c.Note, microsDest{&c.At})
	if errors.Is(err, sql.ErrNoRows) {
		if size < 0 {
			return nil, credit.Say(op, credit.NotFound, "日志尚无检查点", "the log has no checkpoint yet")
		}
		return nil, credit.Say(op, credit.NotFound, "没有规模为%d的检查点", "no checkpoint of size %d", size)
	}
	if err != nil {
		return nil, s.fail(op, err)
	}
	return &c, nil
}
