package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/xinyong/xinyong/internal/credit"
)

// AppendAudit writes an audit entry. An empty ID gets a new UUIDv7 and a
// zero At gets now; both are written back so the caller can cite the entry.
func (s *Store) AppendAudit(ctx context.Context, e *credit.AuditEntry) error {
	const op = "store.AppendAudit"
	if e == nil {
		return credit.E(op, credit.Invalid, "audit entry is required")
	}
	if e.ID == "" {
		e.ID = credit.NewID()
	}
	e.At = stamp(e.At)
	_, err := s.w.ExecContext(ctx, `INSERT INTO audit (id, at, actor, role, action, target, purpose, outcome, remote, subject_id, grant_id, basis)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
		e.ID, e.At.UnixMicro(), e.Actor, string(e.Role), e.Action, e.Target, e.Purpose, e.Outcome, e.Remote, e.Subject, e.Grant, e.Basis)
	if err != nil {
		if s.kindOf(err) == credit.Exists {
			return credit.E(op, credit.Exists, "audit entry %s already exists", e.ID)
		}
		return s.fail(op, err)
	}
	return nil
}

// Audit returns the newest entries first (by time, then ID), filtered by
// actor, target and Since when set. Limit <= 0 means 1000: the log grows
// without bound, so an unbounded read is never what a caller wants.
func (s *Store) Audit(ctx context.Context, f credit.AuditFilter) ([]credit.AuditEntry, error) {
	const op = "store.Audit"
	var where []string
	var args []any
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, fmt.Sprintf(cond, len(args)))
	}
	if f.Actor != "" {
		add("actor = $%d", f.Actor)
	}
	if f.Target != "" {
		add("target = $%d", f.Target)
	}
	if f.Subject != "" {
		// Either column: entries written before reads named their subject
		// name it as their target.
		args = append(args, f.Subject)
		where = append(where, fmt.Sprintf("(subject_id = $%[1]d OR target = $%[1]d)", len(args)))
	}
	if !f.Since.IsZero() {
		add("at >= $%d", f.Since.UnixMicro())
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 1000
	}
	q := `SELECT id, at, actor, role, action, target, purpose, outcome, remote, subject_id, grant_id, basis FROM audit`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, ` AND `)
	}
	args = append(args, limit)
	q += fmt.Sprintf(` ORDER BY at DESC, id DESC LIMIT $%d`, len(args))

	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, s.fail(op, err)
	}
	defer rows.Close()
	var out []credit.AuditEntry
	for rows.Next() {
		var (
			e    credit.AuditEntry
			at   sql.NullInt64
			role string
		)
		if err := rows.Scan(&e.ID, &at, &e.Actor, &role, &e.Action, &e.Target, &e.Purpose, &e.Outcome, &e.Remote, &e.Subject, &e.Grant, &e.Basis); err != nil {
			return nil, s.fail(op, err)
		}
		e.At, e.Role = fromMicros(at), credit.Role(role)
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, s.fail(op, err)
	}
	return out, nil
}
