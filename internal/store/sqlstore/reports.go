package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/xinyong/xinyong/internal/credit"
)

// --- signing keys ---

// SigningKeys returns the public halves of the signing keys, oldest first.
func (s *Store) SigningKeys(ctx context.Context) ([]credit.SigningKey, error) {
	const op = "store.SigningKeys"
	rows, err := s.r.QueryContext(ctx, `SELECT id, public_key, created_at, retired_at FROM signing_keys ORDER BY created_at, id`)
	if err != nil {
		return nil, s.fail(op, err)
	}
	defer rows.Close()
	var out []credit.SigningKey
	for rows.Next() {
		var k credit.SigningKey
		var created, retired sql.NullInt64
		if err := rows.Scan(&k.ID, &k.Public, &created, &retired); err != nil {
			return nil, s.fail(op, err)
		}
		k.Created, k.Retired = fromMicros(created), fromMicros(retired)
		out = append(out, k)
	}
	return out, s.fail(op, rows.Err())
}

// AddSigningKey registers a key's public half.
func (s *Store) AddSigningKey(ctx context.Context, k credit.SigningKey) error {
	const op = "store.AddSigningKey"
	if k.ID == "" || len(k.Public) == 0 {
		return credit.E(op, credit.Invalid, "a signing key needs an ID and a public key")
	}
	_, err := s.w.ExecContext(ctx, `INSERT INTO signing_keys (id, public_key, created_at, retired_at) VALUES ($1, $2, $3, $4)`,
		k.ID, k.Public, stamp(k.Created).UnixMicro(), micros(k.Retired))
	if s.kindOf(err) == credit.Exists {
		return credit.E(op, credit.Exists, "signing key %s is registered already", k.ID)
	}
	return s.fail(op, err)
}

// RetireSigningKey marks a key retired.
func (s *Store) RetireSigningKey(ctx context.Context, id string, at time.Time) error {
	const op = "store.RetireSigningKey"
	res, err := s.w.ExecContext(ctx, `UPDATE signing_keys SET retired_at = COALESCE(retired_at, $1) WHERE id = $2`, stamp(at).UnixMicro(), id)
	if err != nil {
		return s.fail(op, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return s.fail(op, err)
	} else if n == 0 {
		return credit.E(op, credit.NotFound, "no signing key %s", id)
	}
	return nil
}

// --- reports ---

const reportCols = `r.id, r.kind, r.subject_id, r.requester, r.role, r.grant_id, r.purpose, r.issued_at, r.valid_until,
	r.key_id, r.digest, r.statement, r.signature, r.leaf_index`

// IssueReport stores a report and appends its leaf to the log at once.
func (s *Store) IssueReport(ctx context.Context, r *credit.Report, fn credit.LogAppendFunc) error {
	const op = "store.IssueReport"
	if r == nil || r.No == "" || r.Kind == "" || r.SubjectID == "" || r.Statement == "" || r.Signature == "" || r.Envelope == "" || fn == nil {
		return credit.E(op, credit.Invalid, "a report needs a number, kind, subject, signed statement, envelope and its log leaf")
	}
	r.IssuedAt, r.ValidUntil = stamp(r.IssuedAt), stamp(r.ValidUntil)
	_, err := s.inFeedTx(ctx, 1, func(tx *sql.Tx) ([]change, error) {
		var idx int64 = -1
		err := s.appendLogTx(ctx, tx, func(head credit.LogState) (*credit.LogAppend, error) {
			idx = head.Size
			return fn(head)
		})
		if err != nil {
			return nil, err
		}
		r.LeafIndex = idx
		_, err = tx.ExecContext(ctx, `INSERT INTO reports (id, kind, subject_id, requester, role, grant_id, purpose, issued_at, valid_until,
			key_id, digest, statement, signature, leaf_index, envelope)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
			r.No, r.Kind, r.SubjectID, r.Requester, string(r.Role), r.GrantID, r.Purpose, r.IssuedAt.UnixMicro(), r.ValidUntil.UnixMicro(),
			r.KeyID, r.Digest, r.Statement, r.Signature, r.LeafIndex, r.Envelope)
		return []change{{kind: credit.ChangeReport, ref: r.No, subj: r.SubjectID, tg: "issued"}}, err
	})
	switch s.kindOf(err) {
	case credit.Exists:
		return credit.E(op, credit.Exists, "report %s exists already", r.No)
	case credit.Invalid:
		return credit.E(op, credit.NotFound, "report %s: no subject %s", r.No, r.SubjectID)
	}
	return s.fail(op, err)
}

// Report returns one report with its envelope and revocation.
func (s *Store) Report(ctx context.Context, no string) (*credit.Report, error) {
	const op = "store.Report"
	row := s.r.QueryRowContext(ctx, `SELECT `+reportCols+`, r.envelope, v.id, v.at, v.actor, v.reason
		FROM reports r LEFT JOIN report_revocations v ON v.report_id = r.id WHERE r.id = $1`, no)
	var (
		r                  credit.Report
		vid, actor, reason sql.NullString
		vat                sql.NullInt64
	)
	dest := append(reportDest(&r), &r.Envelope, &vid, &vat, &actor, &reason)
	if err := row.Scan(dest...); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, credit.Say(op, credit.NotFound, "没有编号为%s的信用报告", "no report numbered %s", no)
		}
		return nil, s.fail(op, err)
	}
	if vid.Valid {
		r.Revocation = &credit.ReportRevocation{ID: vid.String, ReportNo: r.No, At: fromMicros(vat), Actor: actor.String, Reason: reason.String}
	}
	return &r, nil
}

func reportDest(r *credit.Report) []any {
	return []any{&r.No, &r.Kind, &r.SubjectID, &r.Requester, (*string)(&r.Role), &r.GrantID, &r.Purpose,
		microsDest{&r.IssuedAt}, microsDest{&r.ValidUntil}, &r.KeyID, &r.Digest, &r.Statement, &r.Signature, &r.LeafIndex}
}

// microsDest scans stored microseconds into a time.
type microsDest struct{ t *time.Time }

func (d microsDest) Scan(v any) error {
	var n sql.NullInt64
	if err := n.Scan(v); err != nil {
		return err
	}
	*d.t = fromMicros(n)
	return nil
}

// Reports lists reports newest first.
func (s *Store) Reports(ctx context.Context, f credit.ReportFilter) ([]credit.Report, error) {
	const op = "store.Reports"
	col, v := "r.subject_id", f.SubjectID
	if v == "" {
		col, v = "r.requester", f.Requester
	}
	if v == "" {
		return nil, credit.E(op, credit.Invalid, "reports are listed by subject or by requester")
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	rows, err := s.r.QueryContext(ctx, `SELECT `+reportCols+`, v.id, v.at, v.actor, v.reason
		FROM reports r LEFT JOIN report_revocations v ON v.report_id = r.id
		WHERE `+col+` = $1 ORDER BY r.issued_at DESC, r.id DESC LIMIT $2`, v, limit)
	if err != nil {
		return nil, s.fail(op, err)
	}
	defer rows.Close()
	var out []credit.Report
	for rows.Next() {
		var (
			r                  credit.Report
			vid, actor, reason sql.NullString
			vat                sql.NullInt64
		)
		if err := rows.Scan(append(reportDest(&r), &vid, &vat, &actor, &reason)...); err != nil {
			return nil, s.fail(op, err)
		}
		if vid.Valid {
			r.Revocation = &credit.ReportRevocation{ID: vid.String, ReportNo: r.No, At: fromMicros(vat), Actor: actor.String, Reason: reason.String}
		}
		out = append(out, r)
	}
	return out, s.fail(op, rows.Err())
}

// RevokeReport revokes a report.
func (s *Store) RevokeReport(ctx context.Context, rv *credit.ReportRevocation) error {
	const op = "store.RevokeReport"
	if rv == nil || rv.ReportNo == "" || strings.TrimSpace(rv.Reason) == "" || rv.Actor == "" {
		return credit.E(op, credit.Invalid, "a revocation needs the report, the actor and a reason")
	}
	if rv.ID == "" {
		rv.ID = credit.NewID()
	}
	rv.At = stamp(rv.At)
	_, err := s.inFeedTx(ctx, 1, func(tx *sql.Tx) ([]change, error) {
		var subj string
		if err := tx.QueryRowContext(ctx, `SELECT subject_id FROM reports WHERE id = $1`, rv.ReportNo).Scan(&subj); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return nil, credit.Say(op, credit.NotFound, "没有编号为%s的信用报告", "no report numbered %s", rv.ReportNo)
			}
			return nil, err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO report_revocations (id, report_id, at, actor, reason) VALUES ($1, $2, $3, $4, $5)`,
			rv.ID, rv.ReportNo, rv.At.UnixMicro(), rv.Actor, rv.Reason)
		return []change{{kind: credit.ChangeReport, ref: rv.ReportNo, subj: subj, tg: "revoked"}}, err
	})
	if err != nil && s.kindOf(err) == credit.Exists {
		return credit.Say(op, credit.Exists, "信用报告%s已被撤销", "report %s is revoked already", rv.ReportNo)
	}
	return s.fail(op, err)
}

// --- grants ---

const grantCols = `g.id, g.subject_id, g.recipient, COALESCE(a.name, ''), g.purpose, g.scope_kind, g.scope, g.valid_from, g.valid_until,
	g.max_uses, g.uses, g.created_at, g.created_by, g.revoked_at, g.revoked_by, g.revoke_reason`

func scanGrant(sc interface{ Scan(...any) error }) (*credit.Grant, error) {
	var (
		g       credit.Grant
		scope   string
		revoked sql.NullInt64
	)
	if err := sc.Scan(&g.ID, &g.SubjectID, &g.Recipient, &g.RecipientName, &g.Purpose, &g.ScopeKind, &scope,
		microsDest{&g.ValidFrom}, microsDest{&g.ValidUntil}, &g.MaxUses, &g.Uses, microsDest{&g.Created}, &g.CreatedBy,
		&revoked, &g.RevokedBy, &g.RevokeReason); err != nil {
		return nil, err
	}
	g.RevokedAt = fromMicros(revoked)
	if err := json.Unmarshal([]byte(scope), &g.Scope); err != nil {
		return nil, fmt.Errorf("grant %s: scope: %w", g.ID, err)
	}
	return &g, nil
}

// PutGrant stores a new grant.
func (s *Store) PutGrant(ctx context.Context, g *credit.Grant) error {
	const op = "store.PutGrant"
	if g == nil || g.ID == "" || g.SubjectID == "" || g.Recipient == "" || g.Purpose == "" || g.ScopeKind == "" || len(g.Scope) == 0 || g.MaxUses <= 0 {
		return credit.E(op, credit.Invalid, "a grant needs an ID, subject, recipient, purpose, scope and a number of uses")
	}
	scope, err := jsonText(g.Scope)
	if err != nil {
		return credit.E(op, credit.Invalid, "grant %s: %w", g.ID, err)
	}
	g.Created, g.ValidFrom, g.ValidUntil = stamp(g.Created), stamp(g.ValidFrom), stamp(g.ValidUntil)
	_, err = s.inFeedTx(ctx, 1, func(tx *sql.Tx) ([]change, error) {
		_, err := tx.ExecContext(ctx, `INSERT INTO grants (id, subject_id, recipient, purpose, scope_kind, scope, valid_from, valid_until,
			max_uses, uses, created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 0, $10, $11)`,
			g.ID, g.SubjectID, g.Recipient, g.Purpose, g.ScopeKind, scope, g.ValidFrom.UnixMicro(), g.ValidUntil.UnixMicro(),
			g.MaxUses, g.Created.UnixMicro(), g.CreatedBy)
		return []change{{kind: credit.ChangeGrant, ref: g.ID, subj: g.SubjectID, tg: "given"}}, err
	})
	switch s.kindOf(err) {
	case credit.Exists:
		return credit.E(op, credit.Exists, "grant %s exists already", g.ID)
	case credit.Invalid:
		return credit.E(op, credit.NotFound, "grant %s: unknown subject or recipient", g.ID)
	}
	g.Uses = 0
	return s.fail(op, err)
}

// Grant returns one grant.
func (s *Store) Grant(ctx context.Context, id string) (*credit.Grant, error) {
	const op = "store.Grant"
	g, err := scanGrant(s.r.QueryRowContext(ctx, `SELECT `+grantCols+` FROM grants g LEFT JOIN accounts a ON a.id = g.recipient WHERE g.id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, credit.Say(op, credit.NotFound, "没有编号为%s的授权", "no grant %s", id)
	}
	if err != nil {
		return nil, s.fail(op, err)
	}
	return g, nil
}

// Grants lists grants newest first.
func (s *Store) Grants(ctx context.Context, f credit.GrantFilter) ([]credit.Grant, error) {
	const op = "store.Grants"
	col, v := "g.subject_id", f.SubjectID
	if v == "" {
		col, v = "g.recipient", f.Recipient
	}
	if v == "" {
		return nil, credit.E(op, credit.Invalid, "grants are listed by subject or by recipient")
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 200
	}
	rows, err := s.r.QueryContext(ctx, `SELECT `+grantCols+` FROM grants g LEFT JOIN accounts a ON a.id = g.recipient
		WHERE `+col+` = $1 ORDER BY g.created_at DESC, g.id DESC LIMIT $2`, v, limit)
	if err != nil {
		return nil, s.fail(op, err)
	}
	defer rows.Close()
	var out []credit.Grant
	for rows.Next() {
		g, err := scanGrant(rows)
		if err != nil {
			return nil, s.fail(op, err)
		}
		out = append(out, *g)
	}
	return out, s.fail(op, rows.Err())
}

// RevokeGrant revokes a grant.
func (s *Store) RevokeGrant(ctx context.Context, id, by, reason string, at time.Time) error {
	const op = "store.RevokeGrant"
	_, err := s.inFeedTx(ctx, 1, func(tx *sql.Tx) ([]change, error) {
		var subj string
		var revoked sql.NullInt64
		if err := tx.QueryRowContext(ctx, `SELECT subject_id, revoked_at FROM grants WHERE id = $1`, id).Scan(&subj, &revoked); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return nil, credit.Say(op, credit.NotFound, "没有编号为%s的授权", "no grant %s", id)
			}
			return nil, err
		}
		res, err := tx.ExecContext(ctx, `UPDATE grants SET revoked_at = $1, revoked_by = $2, revoke_reason = $3 WHERE id = $4 AND revoked_at IS NULL`,
			stamp(at).UnixMicro(), by, reason, id)
		if err != nil {
			return nil, err
		}
		if n, err := res.RowsAffected(); err != nil {
			return nil, err
		} else if n == 0 {
			return nil, credit.Say(op, credit.Conflict, "授权%s已撤销", "grant %s is revoked already", id)
		}
		return []change{{kind: credit.ChangeGrant, ref: id, subj: subj, tg: "revoked"}}, nil
	})
	return s.fail(op, err)
}

// UseGrant counts one use of a grant that may still be used at at.
func (s *Store) UseGrant(ctx context.Context, id string, at time.Time) (*credit.Grant, error) {
	const op = "store.UseGrant"
	t := stamp(at).UnixMicro()
	res, err := s.w.ExecContext(ctx, `UPDATE grants SET uses = uses + 1
		WHERE id = $1 AND revoked_at IS NULL AND valid_from <= $2 AND valid_until > $2 AND uses < max_uses`, id, t)
	if err != nil {
		return nil, s.fail(op, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return nil, s.fail(op, err)
	}
	g, gerr := s.Grant(ctx, id)
	if gerr != nil {
		return nil, gerr
	}
	if n == 0 {
		return g, credit.E(op, credit.Conflict, "grant %s may not be used now", id)
	}
	return g, nil
}
