package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/xinyong/xinyong/internal/credit"
)

const caseCols = `id, kind, subject_id, record_id, entry_id, unit, domain, track_hash, state, is_open, seq, due, until_at, created_at, updated_at`

func (s *Store) insertEvent(ctx context.Context, tx *sql.Tx, ev *credit.CaseEvent) error {
	data, err := jsonText(ev.Data)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO wf_events (id, case_id, seq, action, state, actor, role, at, due, reason, data)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		ev.ID, ev.CaseID, ev.Seq, ev.Action, ev.State, ev.Actor, string(ev.Role), ev.At.UnixMicro(), micros(ev.Due), ev.Reason, data)
	return err
}

func prepEvent(c *credit.Case, ev *credit.CaseEvent) {
	if ev.ID == "" {
		ev.ID = credit.NewID()
	}
	ev.At = stamp(ev.At)
	ev.CaseID = c.ID
	ev.State = c.State
	if !ev.Due.IsZero() {
		ev.Due = ev.Due.Truncate(0)
	}
	c.Updated = ev.At
}

// CreateCase writes a case with its first event.
func (s *Store) CreateCase(ctx context.Context, c *credit.Case, first *credit.CaseEvent) error {
	const op = "store.CreateCase"
	if c == nil || first == nil || c.SubjectID == "" || c.Kind == "" || c.State == "" || c.TrackHash == "" {
		return credit.E(op, credit.Invalid, "a case needs a kind, a subject, a state, a tracking hash and a first event")
	}
	if c.ID == "" {
		c.ID = credit.NewID()
	}
	c.Seq = 1
	first.Seq = 1
	prepEvent(c, first)
	c.Created = first.At
	_, err := s.inFeedTx(ctx, 1, func(tx *sql.Tx) ([]change, error) {
		_, err := tx.ExecContext(ctx, `INSERT INTO wf_cases (`+caseCols+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
			c.ID, string(c.Kind), c.SubjectID, c.RecordID, c.EntryID, c.Unit, c.Domain, c.TrackHash, c.State, c.Open, c.Seq,
			micros(c.Due), micros(c.Until), c.Created.UnixMicro(), c.Updated.UnixMicro())
		if err != nil {
			if s.kindOf(err) == credit.Exists {
				return nil, credit.E(op, credit.Exists, "case %s already exists", c.ID)
			}
			return nil, err
		}
		return caseChanges(c, first), s.insertEvent(ctx, tx, first)
	})
	return s.fail(op, err)
}

// AdvanceCase appends an event and stores the case's new state, refusing
// if the case moved on since the caller read it.
func (s *Store) AdvanceCase(ctx context.Context, c *credit.Case, ev *credit.CaseEvent) error {
	const op = "store.AdvanceCase"
	if c == nil || ev == nil || c.ID == "" || c.State == "" {
		return credit.E(op, credit.Invalid, "a case and an event are required")
	}
	prev := c.Seq
	next := *c
	next.Seq = prev + 1
	ev.Seq = next.Seq
	prepEvent(&next, ev)
	_, err := s.inFeedTx(ctx, 1, func(tx *sql.Tx) ([]change, error) {
		res, err := tx.ExecContext(ctx, `UPDATE wf_cases SET state = $1, is_open = $2, seq = $3, due = $4, until_at = $5, updated_at = $6, unit = $7, entry_id = $8
			WHERE id = $9 AND seq = $10`,
			next.State, next.Open, next.Seq, micros(next.Due), micros(next.Until), next.Updated.UnixMicro(), next.Unit, next.EntryID, next.ID, prev)
		if err != nil {
			return nil, err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return nil, err
		}
		if n != 1 {
			var one int
			if err := tx.QueryRowContext(ctx, `SELECT 1 FROM wf_cases WHERE id = $1`, c.ID).Scan(&one); errors.Is(err, sql.ErrNoRows) {
				return nil, credit.E(op, credit.NotFound, "case %s not found", c.ID)
			}
			return nil, credit.Say(op, credit.Conflict, "事项%s在您打开后已有变化（第%d步）：请刷新后重试", "case %s changed since it was read (step %d): reload it and try again", c.ID, prev)
		}
		return caseChanges(&next, ev), s.insertEvent(ctx, tx, ev)
	})
	if err != nil {
		return s.fail(op, err)
	}
	*c = next
	return nil
}

func scanCase(sc interface{ Scan(...any) error }) (*credit.Case, error) {
	var (
		c                        credit.Case
		kind                     string
		due, until, created, upd sql.NullInt64
	)
	if err := sc.Scan(&c.ID, &kind, &c.SubjectID, &c.RecordID, &c.EntryID, &c.Unit, &c.Domain, &c.TrackHash, &c.State, &c.Open, &c.Seq,
		&due, &until, &created, &upd); err != nil {
		return nil, err
	}
	c.Kind = credit.CaseKind(kind)
	c.Due, c.Until, c.Created, c.Updated = fromMicros(due), fromMicros(until), fromMicros(created), fromMicros(upd)
	return &c, nil
}

func (s *Store) oneCase(ctx context.Context, op, where string, arg any, what string) (*credit.Case, error) {
	c, err := scanCase(s.r.QueryRowContext(ctx, `SELECT `+caseCols+` FROM wf_cases WHERE `+where+` = $1`, arg))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, credit.E(op, credit.NotFound, "%s not found", what)
	}
	if err != nil {
		return nil, s.fail(op, err)
	}
	return c, nil
}

// Case returns one case.
func (s *Store) Case(ctx context.Context, id string) (*credit.Case, error) {
	return s.oneCase(ctx, "store.Case", "id", id, fmt.Sprintf("case %q", id))
}

// CaseByTrackHash finds a case by the hash of its tracking code.
func (s *Store) CaseByTrackHash(ctx context.Context, hash string) (*credit.Case, error) {
	return s.oneCase(ctx, "store.CaseByTrackHash", "track_hash", hash, "no case with this tracking code")
}

// Cases lists cases by due date.
func (s *Store) Cases(ctx context.Context, f credit.CaseFilter) ([]credit.Case, error) {
	const op = "store.Cases"
	var where []string
	var args []any
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, fmt.Sprintf(cond, len(args)))
	}
	if f.Kind != "" {
		add("kind = $%d", string(f.Kind))
	}
	if f.SubjectID != "" {
		add("subject_id = $%d", f.SubjectID)
	}
	if f.Unit != "" {
		add("unit = $%d", f.Unit)
	}
	if f.OpenOnly {
		add("is_open = $%d", true)
	}
	if f.RecordIDs != nil {
		if len(f.RecordIDs) == 0 {
			return nil, nil
		}
		if len(f.RecordIDs) > 1000 {
			return nil, credit.E(op, credit.Invalid, "at most 1000 record IDs at a time, not %d", len(f.RecordIDs))
		}
		ph := make([]string, len(f.RecordIDs))
		for i, id := range f.RecordIDs {
			args = append(args, id)
			ph[i] = fmt.Sprintf("$%d", len(args))
		}
		where = append(where, "record_id IN ("+strings.Join(ph, ",")+")")
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 1000
	}
	q := `SELECT ` + caseCols + ` FROM wf_cases`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, ` AND `)
	}
	args = append(args, limit)
	q += fmt.Sprintf(` ORDER BY CASE WHEN due IS NULL THEN 1 ELSE 0 END, due, id LIMIT $%d`, len(args))
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, s.fail(op, err)
	}
	defer rows.Close()
	var out []credit.Case
	for rows.Next() {
		c, err := scanCase(rows)
		if err != nil {
			return nil, s.fail(op, err)
		}
		out = append(out, *c)
	}
	return out, s.fail(op, rows.Err())
}

// CaseEvents returns a case's events in order.
func (s *Store) CaseEvents(ctx context.Context, caseID string) ([]credit.CaseEvent, error) {
	const op = "store.CaseEvents"
	rows, err := s.r.QueryContext(ctx, `SELECT id, case_id, seq, action, state, actor, role, at, due, reason, data
		FROM wf_events WHERE case_id = $1 ORDER BY seq`, caseID)
	if err != nil {
		return nil, s.fail(op, err)
	}
	defer rows.Close()
	var out []credit.CaseEvent
	for rows.Next() {
		var (
			ev      credit.CaseEvent
			role    string
			at, due sql.NullInt64
			data    string
		)
		if err := rows.Scan(&ev.ID, &ev.CaseID, &ev.Seq, &ev.Action, &ev.State, &ev.Actor, &role, &at, &due, &ev.Reason, &data); err != nil {
			return nil, s.fail(op, err)
		}
		ev.Role, ev.At, ev.Due = credit.Role(role), fromMicros(at), fromMicros(due)
		if err := json.Unmarshal([]byte(data), &ev.Data); err != nil {
			return nil, s.fail(op, err)
		}
		out = append(out, ev)
	}
	return out, s.fail(op, rows.Err())
}

// PutCaseFile stores a file.
func (s *Store) PutCaseFile(ctx context.Context, f *credit.CaseFile) error {
	const op = "store.PutCaseFile"
	if f == nil || f.CaseID == "" || f.SHA256 == "" {
		return credit.E(op, credit.Invalid, "a file needs its case and its sha256")
	}
	if f.ID == "" {
		f.ID = credit.NewID()
	}
	f.At = stamp(f.At)
	f.Size = int64(len(f.Body))
	_, err := s.w.ExecContext(ctx, `INSERT INTO wf_files (id, case_id, name, content_type, size, sha256, body, uploaded_by, at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		f.ID, f.CaseID, f.Name, f.ContentType, f.Size, f.SHA256, f.Body, f.UploadedBy, f.At.UnixMicro())
	if k := s.kindOf(err); err != nil && (k == credit.Invalid || k == credit.Conflict) {
		return credit.E(op, credit.NotFound, "case %s not found", f.CaseID)
	}
	return s.fail(op, err)
}

const fileCols = `id, case_id, name, content_type, size, sha256, uploaded_by, at`

func scanFile(sc interface{ Scan(...any) error }, body *[]byte) (*credit.CaseFile, error) {
	var (
		f  credit.CaseFile
		at sql.NullInt64
	)
	dst := []any{&f.ID, &f.CaseID, &f.Name, &f.ContentType, &f.Size, &f.SHA256, &f.UploadedBy, &at}
	if body != nil {
		dst = append(dst, body)
	}
	if err := sc.Scan(dst...); err != nil {
		return nil, err
	}
	f.At = fromMicros(at)
	return &f, nil
}

// CaseFiles lists a case's files without bodies.
func (s *Store) CaseFiles(ctx context.Context, caseID string) ([]credit.CaseFile, error) {
	const op = "store.CaseFiles"
	rows, err := s.r.QueryContext(ctx, `SELECT `+fileCols+` FROM wf_files WHERE case_id = $1 ORDER BY id`, caseID)
	if err != nil {
		return nil, s.fail(op, err)
	}
	defer rows.Close()
	var out []credit.CaseFile
	for rows.Next() {
		f, err := scanFile(rows, nil)
		if err != nil {
			return nil, s.fail(op, err)
		}
		out = append(out, *f)
	}
	return out, s.fail(op, rows.Err())
}

// CaseFile returns one file with its body.
func (s *Store) CaseFile(ctx context.Context, id string) (*credit.CaseFile, error) {
	const op = "store.CaseFile"
	var body []byte
	f, err := scanFile(s.r.QueryRowContext(ctx, `SELECT `+fileCols+`, body FROM wf_files WHERE id = $1`, id), &body)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, credit.E(op, credit.NotFound, "file %q not found", id)
	}
	if err != nil {
		return nil, s.fail(op, err)
	}
	f.Body = body
	return f, nil
}

// MarkRecompute records that a subject's evaluation must be recomputed;
// an older pending mark is kept (its time is when the need arose).
func (s *Store) MarkRecompute(ctx context.Context, m credit.RecomputeMark) error {
	const op = "store.MarkRecompute"
	m.Since = stamp(m.Since)
	_, err := s.w.ExecContext(ctx, `INSERT INTO wf_recompute (subject_id, since, reason) VALUES ($1, $2, $3)
		ON CONFLICT (subject_id) DO NOTHING`, m.SubjectID, m.Since.UnixMicro(), m.Reason)
	return s.fail(op, err)
}

// PendingRecompute lists subjects waiting for a recompute.
func (s *Store) PendingRecompute(ctx context.Context, limit int) ([]credit.RecomputeMark, error) {
	const op = "store.PendingRecompute"
	if limit <= 0 {
		limit = 1000
	}
	rows, err := s.r.QueryContext(ctx, `SELECT subject_id, since, reason FROM wf_recompute ORDER BY since, subject_id LIMIT $1`, limit)
	if err != nil {
		return nil, s.fail(op, err)
	}
	defer rows.Close()
	var out []credit.RecomputeMark
	for rows.Next() {
		var (
			m     credit.RecomputeMark
			since sql.NullInt64
		)
		if err := rows.Scan(&m.SubjectID, &since, &m.Reason); err != nil {
			return nil, s.fail(op, err)
		}
		m.Since = fromMicros(since)
		out = append(out, m)
	}
	return out, s.fail(op, rows.Err())
}

// caseChanges is the feed entry of a case event: Ref is the case, Tag its
// kind, so followers (marks, evaluation) learn which subject's file a
// workflow changed.
func caseChanges(c *credit.Case, ev *credit.CaseEvent) []change {
	return []change{{kind: credit.ChangeCase, ref: c.ID, subj: c.SubjectID, tg: string(c.Kind)}}
}
