package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/xinyong/xinyong/internal/credit"
)

// DataKeys returns the keys the store knows, oldest first.
func (s *Store) DataKeys(ctx context.Context) ([]credit.DataKey, error) {
	const op = "store.DataKeys"
	rows, err := s.r.QueryContext(ctx, `SELECT id, check_value, state, created_at, changed_at FROM data_keys ORDER BY created_at, id`)
	if err != nil {
		return nil, s.fail(op, err)
	}
	defer rows.Close()
	var out []credit.DataKey
	for rows.Next() {
		var k credit.DataKey
		var created, changed sql.NullInt64
		if err := rows.Scan(&k.ID, &k.Check, &k.State, &created, &changed); err != nil {
			return nil, s.fail(op, err)
		}
		k.Created, k.Changed = fromMicros(created), fromMicros(changed)
		out = append(out, k)
	}
	if err := rows.Err(); err != nil {
		return nil, s.fail(op, err)
	}
	return out, nil
}

// AddDataKey registers a key as current or next.
func (s *Store) AddDataKey(ctx context.Context, k credit.DataKey) error {
	const op = "store.AddDataKey"
	if k.ID == "" || k.Check == "" || (k.State != credit.KeyCurrent && k.State != credit.KeyNext) {
		return credit.E(op, credit.Invalid, "a data key needs an ID, a check value and the state current or next, not %+v", k)
	}
	at := stamp(k.Created)
	_, err := s.w.ExecContext(ctx, `INSERT INTO data_keys (id, check_value, state, created_at, changed_at) VALUES ($1, $2, $3, $4, $4)`,
		k.ID, k.Check, string(k.State), at.UnixMicro())
	if s.kindOf(err) == credit.Exists {
		return credit.E(op, credit.Exists, "data key %s: the key is known already, or another key is %s", k.ID, k.State)
	}
	return s.fail(op, err)
}

// FinishRotation makes next current and retires the current key.
func (s *Store) FinishRotation(ctx context.Context, next string, columns []string, at time.Time) error {
	const op = "store.FinishRotation"
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var state string
		err := tx.QueryRowContext(ctx, `SELECT state FROM data_keys WHERE id = $1`, next).Scan(&state)
		if errors.Is(err, sql.ErrNoRows) || (err == nil && state != string(credit.KeyNext)) {
			return credit.E(op, credit.Conflict, "data key %s is not the target of a rotation under way", next)
		}
		if err != nil {
			return err
		}
		for _, c := range columns {
			var done bool
			err := tx.QueryRowContext(ctx, `SELECT done FROM data_key_progress WHERE key_id = $1 AND name = $2`, next, c).Scan(&done)
			if errors.Is(err, sql.ErrNoRows) || (err == nil && !done) {
				return credit.E(op, credit.Conflict, "the rotation to data key %s has not re-sealed %s yet", next, c)
			}
			if err != nil {
				return err
			}
		}
		// Retire first: at most one key may be current at any moment.
		t := stamp(at).UnixMicro()
		if _, err := tx.ExecContext(ctx, `UPDATE data_keys SET state = $1, changed_at = $2 WHERE state = $3`,
			string(credit.KeyRetired), t, string(credit.KeyCurrent)); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE data_keys SET state = $1, changed_at = $2 WHERE id = $3`, string(credit.KeyCurrent), t, next)
		return err
	})
	return s.fail(op, err)
}

// identifier guards the SQL names of a sealed column: they come from code,
// and this keeps a typo from becoming SQL.
var identifier = regexp.MustCompile(`^[a-z_][a-z0-9_]*$`)

func checkColumn(op string, col credit.SealedColumn) error {
	names := []string{col.Table, col.Key}
	for _, f := range col.Fields {
		names = append(names, f.Name)
	}
	for _, n := range names {
		if !identifier.MatchString(n) {
			return credit.E(op, credit.Internal, "sealed column %s: %q is not a plain SQL name", col.Name, n)
		}
	}
	if col.Name == "" || len(col.Fields) == 0 {
		return credit.E(op, credit.Internal, "sealed column %q names no fields", col.Name)
	}
	return nil
}

// where returns " AND (cond)" or "".
func (col sealedSQL) where() string {
	if col.Where == "" {
		return ""
	}
	return " AND (" + col.Where + ")"
}

type sealedSQL credit.SealedColumn

func (col sealedSQL) fieldList() string {
	names := make([]string, len(col.Fields))
	for i, f := range col.Fields {
		names[i] = f.Name
	}
	return strings.Join(names, ", ")
}

// HasSealed reports whether any column has a row holding sealed data.
func (s *Store) HasSealed(ctx context.Context, cols []credit.SealedColumn) (bool, error) {
	const op = "store.HasSealed"
	for _, c := range cols {
		v, err := s.SampleSealed(ctx, c)
		if err != nil {
			return false, credit.Wrap(op, credit.Other, err)
		}
		if v != nil {
			return true, nil
		}
	}
	return false, nil
}

// SampleSealed returns the fields of one row of col holding sealed data.
func (s *Store) SampleSealed(ctx context.Context, col credit.SealedColumn) ([][]byte, error) {
	const op = "store.SampleSealed"
	if err := checkColumn(op, col); err != nil {
		return nil, err
	}
	c := sealedSQL(col)
	vals := make([][]byte, len(c.Fields))
	dest := make([]any, len(vals))
	for i := range vals {
		dest[i] = &vals[i]
	}
	err := s.r.QueryRowContext(ctx, `SELECT `+c.fieldList()+` FROM `+c.Table+` WHERE 1 = 1`+c.where()+` LIMIT 1`).Scan(dest...)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, s.fail(op, err)
	}
	return vals, nil
}

// Reseal re-seals the next batch of col toward target.
func (s *Store) Reseal(ctx context.Context, col credit.SealedColumn, target string, limit int, fn credit.ResealFunc) (*credit.ResealProgress, error) {
	const op = "store.Reseal"
	if err := checkColumn(op, col); err != nil {
		return nil, err
	}
	if limit <= 0 {
		limit = 500
	}
	c := sealedSQL(col)
	var p *credit.ResealProgress
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		if p, err = progress(ctx, tx, target, col.Name); err != nil {
			return err
		}
		if p.Done {
			return nil
		}
		type row struct {
			key  string
			vals [][]byte
		}
		rows, err := tx.QueryContext(ctx, `SELECT `+c.Key+`, `+c.fieldList()+` FROM `+c.Table+
			` WHERE `+c.Key+` > $1`+c.where()+` ORDER BY `+c.Key+` LIMIT `+fmt.Sprint(limit), p.LastKey)
		if err != nil {
			return err
		}
		var batch []row
		for rows.Next() {
			r := row{vals: make([][]byte, len(c.Fields))}
			dest := []any{&r.key}
			for i := range r.vals {
				dest = append(dest, &r.vals[i])
			}
			if err := rows.Scan(dest...); err != nil {
				rows.Close()
				return err
			}
			batch = append(batch, r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, r := range batch {
			out, err := fn(r.key, r.vals)
			if err != nil {
				return credit.Wrap(op, credit.Other, fmt.Errorf("%s %s: %w", c.Table, r.key, err))
			}
			if out == nil {
				continue
			}
			if len(out) != len(c.Fields) {
				return credit.E(op, credit.Internal, "sealed column %s: %d values for %d fields", c.Name, len(out), len(c.Fields))
			}
			// Compare-and-set: a row another node rewrote since it was
			// read is left alone, and the pass counts as having changed
			// something, so that the next pass looks at it again.
			var set, cond []string
			var args []any
			for i, f := range c.Fields {
				args = append(args, value(f, out[i]))
				set = append(set, fmt.Sprintf("%s = $%d", f.Name, len(args)))
			}
			args = append(args, r.key)
			cond = append(cond, fmt.Sprintf("%s = $%d", c.Key, len(args)))
			for i, f := range c.Fields {
				if r.vals[i] == nil {
					cond = append(cond, f.Name+" IS NULL")
					continue
				}
				args = append(args, value(f, r.vals[i]))
				cond = append(cond, fmt.Sprintf("%s = $%d", f.Name, len(args)))
			}
			res, err := tx.ExecContext(ctx, `UPDATE `+c.Table+` SET `+strings.Join(set, ", ")+` WHERE `+strings.Join(cond, " AND "), args...)
			if err != nil {
				return fmt.Errorf("%s %s: %w", c.Table, r.key, err)
			}
			n, err := res.RowsAffected()
			if err != nil {
				return err
			}
			// Whether or not the row was still as read, the pass has found
			// something to do.
			p.Changed++
			p.Resealed += n
		}
		if len(batch) > 0 {
			p.LastKey = batch[len(batch)-1].key
		}
		if len(batch) < limit { // the pass has reached the end of the table
			if p.Changed == 0 {
				p.Done = true
			} else {
				p.Pass, p.LastKey, p.Changed = p.Pass+1, "", 0
			}
		}
		p.Updated = stamp(time.Time{})
		_, err = tx.ExecContext(ctx, `INSERT INTO data_key_progress (key_id, name, pass, last_key, changed, resealed, done, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
			ON CONFLICT (key_id, name) DO UPDATE SET pass = excluded.pass, last_key = excluded.last_key,
				changed = excluded.changed, resealed = excluded.resealed, done = excluded.done, updated_at = excluded.updated_at`,
			target, col.Name, p.Pass, p.LastKey, p.Changed, p.Resealed, p.Done, p.Updated.UnixMicro())
		return err
	})
	if err != nil {
		return nil, s.fail(op, err)
	}
	return p, nil
}

// value is a field's value as a statement parameter.
func value(f credit.SealedField, b []byte) any {
	switch {
	case b == nil:
		return nil
	case f.Binary:
		return b
	}
	return string(b)
}

// progress reads a column's progress toward target; a column not started
// is on its first pass.
func progress(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}, target, name string) (*credit.ResealProgress, error) {
	p := &credit.ResealProgress{Target: target, Column: name, Pass: 1}
	var updated sql.NullInt64
	err := q.QueryRowContext(ctx, `SELECT pass, last_key, changed, resealed, done, updated_at FROM data_key_progress WHERE key_id = $1 AND name = $2`,
		target, name).Scan(&p.Pass, &p.LastKey, &p.Changed, &p.Resealed, &p.Done, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return p, nil
	}
	p.Updated = fromMicros(updated)
	return p, err
}

// RotationProgress returns the progress of the rotation to target.
func (s *Store) RotationProgress(ctx context.Context, target string) ([]credit.ResealProgress, error) {
	const op = "store.RotationProgress"
	rows, err := s.r.QueryContext(ctx, `SELECT name, pass, last_key, changed, resealed, done, updated_at FROM data_key_progress WHERE key_id = $1 ORDER BY name`, target)
	if err != nil {
		return nil, s.fail(op, err)
	}
	defer rows.Close()
	var out []credit.ResealProgress
	for rows.Next() {
		p := credit.ResealProgress{Target: target}
		var updated sql.NullInt64
		if err := rows.Scan(&p.Column, &p.Pass, &p.LastKey, &p.Changed, &p.Resealed, &p.Done, &updated); err != nil {
			return nil, s.fail(op, err)
		}
		p.Updated = fromMicros(updated)
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, s.fail(op, err)
	}
	return out, nil
}
