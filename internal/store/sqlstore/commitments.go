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

// Commitments, their eligibility answers, and self-declared information.
// Commitments and declarations are projections of their events in
// cm_events, written in one transaction with them and their feed entry,
// like workflow cases.

const commitmentCols = `id, code, subject_id, matter, kind, unit, record_id, check_id, approval, state, is_open, seq, signed_on, due, decide_by, detail, created_at, updated_at`

func (s *Store) insertTrackEvent(ctx context.Context, tx *sql.Tx, ev *credit.TrackEvent) error {
	data, err := jsonText(ev.Data)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO cm_events (id, owner_id, seq, action, state, actor, role, at, reason, data)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		ev.ID, ev.Of, ev.Seq, ev.Action, ev.State, ev.Actor, string(ev.Role), ev.At.UnixMicro(), ev.Reason, data)
	return err
}

// prepTrack stamps an event of owner id at state and returns its time.
func prepTrack(id, state string, seq int, ev *credit.TrackEvent) time.Time {
	if ev.ID == "" {
		ev.ID = credit.NewID()
	}
	ev.At = stamp(ev.At)
	ev.Of, ev.State, ev.Seq = id, state, seq
	return ev.At
}

// CreateCommitment writes a commitment with its first event.
func (s *Store) CreateCommitment(ctx context.Context, c *credit.Commitment, first *credit.TrackEvent) error {
	const op = "store.CreateCommitment"
	if c == nil || first == nil || c.SubjectID == "" || c.Code == "" || c.Matter == "" || c.Kind == "" || c.Unit == "" || c.State == "" || c.SignedOn.IsZero() {
		return credit.E(op, credit.Invalid, "a commitment needs a code, a subject, a matter, a kind, a unit, a state, a signing date and a first event")
	}
	if c.ID == "" {
		c.ID = credit.NewID()
	}
	c.Seq = 1
	c.Created = prepTrack(c.ID, c.State, 1, first)
	c.Updated = c.Created
	detail, err := jsonText(c.Detail)
	if err != nil {
		return credit.Wrap(op, credit.Internal, err)
	}
	_, err = s.inFeedTx(ctx, 1, func(tx *sql.Tx) ([]change, error) {
		_, err := tx.ExecContext(ctx, `INSERT INTO cm_commitments (`+commitmentCols+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)`,
			c.ID, c.Code, c.SubjectID, c.Matter, c.Kind, c.Unit, c.RecordID, c.CheckID, c.Approval, c.State, c.Open, c.Seq,
			c.SignedOn.UnixMicro(), micros(c.Due), micros(c.DecideBy), detail, c.Created.UnixMicro(), c.Updated.UnixMicro())
		if err != nil {
			if s.kindOf(err) == credit.Exists {
				return nil, credit.E(op, credit.Exists, "commitment %s or code %s exists already", c.ID, c.Code)
			}
			return nil, err
		}
		return commitmentChanges(c), s.insertTrackEvent(ctx, tx, first)
	})
	return s.fail(op, err)
}

// AdvanceCommitment appends an event and stores the commitment's new
// state, refusing if it moved on since the caller read it.
func (s *Store) AdvanceCommitment(ctx context.Context, c *credit.Commitment, ev *credit.TrackEvent) error {
	const op = "store.AdvanceCommitment"
	if c == nil || ev == nil || c.ID == "" || c.State == "" {
		return credit.E(op, credit.Invalid, "a commitment and an event are required")
	}
	prev := c.Seq
	next := *c
	next.Seq = prev + 1
	next.Updated = prepTrack(c.ID, c.State, next.Seq, ev)
	detail, err := jsonText(next.Detail)
	if err != nil {
		return credit.Wrap(op, credit.Internal, err)
	}
	_, err = s.inFeedTx(ctx, 1, func(tx *sql.Tx) ([]change, error) {
		res, err := tx.ExecContext(ctx, `UPDATE cm_commitments SET state = $1, is_open = $2, seq = $3, due = $4, decide_by = $5, record_id = $6,
			approval = $7, detail = $8, updated_at = $9 WHERE id = $10 AND seq = $11`,
			next.State, next.Open, next.Seq, micros(next.Due), micros(next.DecideBy), next.RecordID, next.Approval, detail,
			next.Updated.UnixMicro(), next.ID, prev)
		if err != nil {
			return nil, err
		}
		if err := s.moved(ctx, tx, res, op, "cm_commitments", c.ID, prev, "承诺", "commitment"); err != nil {
			return nil, err
		}
		return commitmentChanges(&next), s.insertTrackEvent(ctx, tx, ev)
	})
	if err != nil {
		return s.fail(op, err)
	}
	*c = next
	return nil
}

// moved checks that an optimistic update hit its row: NotFound when the
// row is not there, Conflict when another step was written since seq.
func (s *Store) moved(ctx context.Context, tx *sql.Tx, res sql.Result, op, table, id string, seq int, zh, en string) error {
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 1 {
		return nil
	}
	var one int
	if err := tx.QueryRowContext(ctx, `SELECT 1 FROM `+table+` WHERE id = $1`, id).Scan(&one); errors.Is(err, sql.ErrNoRows) {
		return credit.Say(op, credit.NotFound, "没有%[3]s%[2]s", "%[1]s %[2]s not found", en, id, zh)
	}
	return credit.Say(op, credit.Conflict, "%[4]s%[2]s在您打开后已有变化（第%[3]d步）：请刷新后重试", "%[1]s %[2]s changed since it was read (step %[3]d): reload it and try again", en, id, seq, zh)
}

func commitmentChanges(c *credit.Commitment) []change {
	return []change{{kind: credit.ChangeCommitment, ref: c.ID, subj: c.SubjectID, tg: c.State}}
}

func scanCommitment(sc interface{ Scan(...any) error }) (*credit.Commitment, error) {
	var (
		c                             credit.Commitment
		signed, due, decide, cre, upd sql.NullInt64
		detail                        string
	)
	if err := sc.Scan(&c.ID, &c.Code, &c.SubjectID, &c.Matter, &c.Kind, &c.Unit, &c.RecordID, &c.CheckID, &c.Approval, &c.State, &c.Open, &c.Seq,
		&signed, &due, &decide, &detail, &cre, &upd); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(detail), &c.Detail); err != nil {
		return nil, err
	}
	c.SignedOn, c.Due, c.DecideBy, c.Created, c.Updated = fromMicros(signed), fromMicros(due), fromMicros(decide), fromMicros(cre), fromMicros(upd)
	return &c, nil
}

// Commitment returns one commitment.
func (s *Store) Commitment(ctx context.Context, id string) (*credit.Commitment, error) {
	const op = "store.Commitment"
	c, err := scanCommitment(s.r.QueryRowContext(ctx, `SELECT `+commitmentCols+` FROM cm_commitments WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, credit.Say(op, credit.NotFound, "没有承诺%s", "commitment %s not found", id)
	}
	if err != nil {
		return nil, s.fail(op, err)
	}
	return c, nil
}

// where builds a WHERE clause from conditions, numbering parameters.
type where struct {
	conds []string
	args  []any
}

func (w *where) add(cond string, v any) {
	w.args = append(w.args, v)
	w.conds = append(w.conds, fmt.Sprintf(cond, len(w.args)))
}

func (w *where) in(col string, vs []string) {
	ph := make([]string, len(vs))
	for i, v := range vs {
		w.args = append(w.args, v)
		ph[i] = fmt.Sprintf("$%d", len(w.args))
	}
	w.conds = append(w.conds, col+" IN ("+strings.Join(ph, ",")+")")
}

func (w *where) String() string {
	if len(w.conds) == 0 {
		return ""
	}
	return ` WHERE ` + strings.Join(w.conds, ` AND `)
}

func (w *where) limit(n int) string {
	if n <= 0 {
		n = 1000
	}
	w.args = append(w.args, n)
	return fmt.Sprintf(` LIMIT $%d`, len(w.args))
}

// Commitments lists commitments by due date.
func (s *Store) Commitments(ctx context.Context, f credit.CommitmentFilter) ([]credit.Commitment, error) {
	const op = "store.Commitments"
	var w where
	if f.SubjectID != "" {
		w.add("subject_id = $%d", f.SubjectID)
	}
	if f.Unit != "" {
		w.add("unit = $%d", f.Unit)
	}
	if f.Matter != "" {
		w.add("matter = $%d", f.Matter)
	}
	if f.OpenOnly {
		w.add("is_open = $%d", true)
	}
	if len(f.States) > 0 {
		w.in("state", f.States)
	}
	if !f.DueBy.IsZero() {
		w.add("due <= $%d", f.DueBy.UnixMicro())
	}
	q := `SELECT ` + commitmentCols + ` FROM cm_commitments` + w.String() +
		` ORDER BY CASE WHEN due IS NULL THEN 1 ELSE 0 END, due, id` + w.limit(f.Limit)
	rows, err := s.r.QueryContext(ctx, q, w.args...)
	if err != nil {
		return nil, s.fail(op, err)
	}
	defer rows.Close()
	var out []credit.Commitment
	for rows.Next() {
		c, err := scanCommitment(rows)
		if err != nil {
			return nil, s.fail(op, err)
		}
		out = append(out, *c)
	}
	return out, s.fail(op, rows.Err())
}

// CommitmentCounts counts commitments by matter, unit and state.
func (s *Store) CommitmentCounts(ctx context.Context, since time.Time) ([]credit.CommitmentCount, error) {
	const op = "store.CommitmentCounts"
	var from int64
	if !since.IsZero() {
		from = since.UnixMicro()
	}
	rows, err := s.r.QueryContext(ctx, `SELECT matter, unit, state, COUNT(*) FROM cm_commitments WHERE signed_on >= $1
		GROUP BY matter, unit, state ORDER BY matter, unit, state`, from)
	if err != nil {
		return nil, s.fail(op, err)
	}
	defer rows.Close()
	var out []credit.CommitmentCount
	for rows.Next() {
		var c credit.CommitmentCount
		if err := rows.Scan(&c.Matter, &c.Unit, &c.State, &c.N); err != nil {
			return nil, s.fail(op, err)
		}
		out = append(out, c)
	}
	return out, s.fail(op, rows.Err())
}

// AppendEligibility keeps an eligibility answer.
func (s *Store) AppendEligibility(ctx context.Context, e *credit.EligibilityCheck) error {
	const op = "store.AppendEligibility"
	if e == nil || e.SubjectID == "" || e.Matter == "" || len(e.Answer) == 0 {
		return credit.E(op, credit.Invalid, "an eligibility answer needs a subject, a matter and the answer")
	}
	if e.ID == "" {
		e.ID = credit.NewID()
	}
	e.At = stamp(e.At)
	_, err := s.w.ExecContext(ctx, `INSERT INTO cm_checks (id, subject_id, matter, actor, role, dept, at, eligible, answer)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		e.ID, e.SubjectID, e.Matter, e.Actor, string(e.Role), e.Dept, e.At.UnixMicro(), e.Eligible, string(e.Answer))
	return s.fail(op, err)
}

// Eligibility returns a kept answer.
func (s *Store) Eligibility(ctx context.Context, id string) (*credit.EligibilityCheck, error) {
	const op = "store.Eligibility"
	var (
		e      credit.EligibilityCheck
		role   string
		at     sql.NullInt64
		answer string
	)
	err := s.r.QueryRowContext(ctx, `SELECT id, subject_id, matter, actor, role, dept, at, eligible, answer FROM cm_checks WHERE id = $1`, id).
		Scan(&e.ID, &e.SubjectID, &e.Matter, &e.Actor, &role, &e.Dept, &at, &e.Eligible, &answer)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, credit.Say(op, credit.NotFound, "没有编号为%s的资格核查答复", "no eligibility answer %s", id)
	}
	if err != nil {
		return nil, s.fail(op, err)
	}
	e.Role, e.At, e.Answer = credit.Role(role), fromMicros(at), []byte(answer)
	return &e, nil
}

const declarationCols = `id, subject_id, kind, issuer, title, number, issued_on, valid_until, description, state, seq, record_id, reason, created_at, updated_at`

// CreateDeclaration writes a declaration with its first event.
func (s *Store) CreateDeclaration(ctx context.Context, d *credit.Declaration, first *credit.TrackEvent) error {
	const op = "store.CreateDeclaration"
	if d == nil || first == nil || d.SubjectID == "" || d.Kind == "" || d.Issuer == "" || d.Title == "" || d.State == "" {
		return credit.E(op, credit.Invalid, "a declaration needs a subject, a kind, an issuer, a title, a state and a first event")
	}
	if d.ID == "" {
		d.ID = credit.NewID()
	}
	d.Seq = 1
	d.Created = prepTrack(d.ID, d.State, 1, first)
	d.Updated = d.Created
	_, err := s.inFeedTx(ctx, 1, func(tx *sql.Tx) ([]change, error) {
		_, err := tx.ExecContext(ctx, `INSERT INTO cm_declarations (`+declarationCols+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
			d.ID, d.SubjectID, d.Kind, d.Issuer, d.Title, d.Number, micros(d.IssuedOn), micros(d.ValidUntil), d.Description,
			d.State, d.Seq, d.RecordID, d.Reason, d.Created.UnixMicro(), d.Updated.UnixMicro())
		if err != nil {
			if s.kindOf(err) == credit.Exists {
				return nil, credit.E(op, credit.Exists, "declaration %s exists already", d.ID)
			}
			return nil, err
		}
		return declarationChanges(d), s.insertTrackEvent(ctx, tx, first)
	})
	return s.fail(op, err)
}

// AdvanceDeclaration appends an event and stores the declaration's new
// state.
func (s *Store) AdvanceDeclaration(ctx context.Context, d *credit.Declaration, ev *credit.TrackEvent) error {
	const op = "store.AdvanceDeclaration"
	if d == nil || ev == nil || d.ID == "" || d.State == "" {
		return credit.E(op, credit.Invalid, "a declaration and an event are required")
	}
	prev := d.Seq
	next := *d
	next.Seq = prev + 1
	next.Updated = prepTrack(d.ID, d.State, next.Seq, ev)
	_, err := s.inFeedTx(ctx, 1, func(tx *sql.Tx) ([]change, error) {
		res, err := tx.ExecContext(ctx, `UPDATE cm_declarations SET state = $1, seq = $2, record_id = $3, reason = $4, updated_at = $5
			WHERE id = $6 AND seq = $7`, next.State, next.Seq, next.RecordID, next.Reason, next.Updated.UnixMicro(), next.ID, prev)
		if err != nil {
			return nil, err
		}
		if err := s.moved(ctx, tx, res, op, "cm_declarations", d.ID, prev, "自主申报信息", "declaration"); err != nil {
			return nil, err
		}
		return declarationChanges(&next), s.insertTrackEvent(ctx, tx, ev)
	})
	if err != nil {
		return s.fail(op, err)
	}
	*d = next
	return nil
}

func declarationChanges(d *credit.Declaration) []change {
	return []change{{kind: credit.ChangeDeclaration, ref: d.ID, subj: d.SubjectID, tg: d.State}}
}

func scanDeclaration(sc interface{ Scan(...any) error }) (*credit.Declaration, error) {
	var (
		d                       credit.Declaration
		issued, until, cre, upd sql.NullInt64
	)
	if err := sc.Scan(&d.ID, &d.SubjectID, &d.Kind, &d.Issuer, &d.Title, &d.Number, &issued, &until, &d.Description,
		&d.State, &d.Seq, &d.RecordID, &d.Reason, &cre, &upd); err != nil {
		return nil, err
	}
	d.IssuedOn, d.ValidUntil, d.Created, d.Updated = fromMicros(issued), fromMicros(until), fromMicros(cre), fromMicros(upd)
	return &d, nil
}

// Declaration returns one declaration.
func (s *Store) Declaration(ctx context.Context, id string) (*credit.Declaration, error) {
	const op = "store.Declaration"
	d, err := scanDeclaration(s.r.QueryRowContext(ctx, `SELECT `+declarationCols+` FROM cm_declarations WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, credit.Say(op, credit.NotFound, "没有自主申报信息%s", "declaration %s not found", id)
	}
	if err != nil {
		return nil, s.fail(op, err)
	}
	return d, nil
}

// Declarations lists declarations, oldest first.
func (s *Store) Declarations(ctx context.Context, f credit.DeclarationFilter) ([]credit.Declaration, error) {
	const op = "store.Declarations"
	var w where
	if f.SubjectID != "" {
		w.add("subject_id = $%d", f.SubjectID)
	}
	if f.Issuer != "" {
		w.add("issuer = $%d", f.Issuer)
	}
	if len(f.States) > 0 {
		w.in("state", f.States)
	}
	rows, err := s.r.QueryContext(ctx, `SELECT `+declarationCols+` FROM cm_declarations`+w.String()+` ORDER BY id`+w.limit(f.Limit), w.args...)
	if err != nil {
		return nil, s.fail(op, err)
	}
	defer rows.Close()
	var out []credit.Declaration
	for rows.Next() {
		d, err := scanDeclaration(rows)
		if err != nil {
			return nil, s.fail(op, err)
		}
		out = append(out, *d)
	}
	return out, s.fail(op, rows.Err())
}

// TrackEvents returns the events of a commitment or declaration in order.
func (s *Store) TrackEvents(ctx context.Context, of string) ([]credit.TrackEvent, error) {
	const op = "store.TrackEvents"
	rows, err := s.r.QueryContext(ctx, `SELECT id, owner_id, seq, action, state, actor, role, at, reason, data
		FROM cm_events WHERE owner_id = $1 ORDER BY seq`, of)
	if err != nil {
		return nil, s.fail(op, err)
	}
	defer rows.Close()
	var out []credit.TrackEvent
	for rows.Next() {
		var (
			ev   credit.TrackEvent
			role string
			at   sql.NullInt64
			data string
		)
		if err := rows.Scan(&ev.ID, &ev.Of, &ev.Seq, &ev.Action, &ev.State, &ev.Actor, &role, &at, &ev.Reason, &data); err != nil {
			return nil, s.fail(op, err)
		}
		ev.Role, ev.At = credit.Role(role), fromMicros(at)
		if err := json.Unmarshal([]byte(data), &ev.Data); err != nil {
			return nil, s.fail(op, err)
		}
		out = append(out, ev)
	}
	return out, s.fail(op, rows.Err())
}

const ownedFileCols = `id, owner_id, name, content_type, size, sha256, uploaded_by, at`

// PutOwnedFile stores a file of a commitment or declaration, which must
// exist.
func (s *Store) PutOwnedFile(ctx context.Context, f *credit.OwnedFile) error {
	const op = "store.PutOwnedFile"
	if f == nil || f.Of == "" || f.SHA256 == "" {
		return credit.E(op, credit.Invalid, "a file needs its owner and its sha256")
	}
	if f.ID == "" {
		f.ID = credit.NewID()
	}
	f.At = stamp(f.At)
	f.Size = int64(len(f.Body))
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM cm_commitments WHERE id = $1) + (SELECT COUNT(*) FROM cm_declarations WHERE id = $1)`, f.Of).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return credit.E(op, credit.NotFound, "no commitment or declaration %s", f.Of)
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO cm_files (id, owner_id, name, content_type, size, sha256, body, uploaded_by, at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
			f.ID, f.Of, f.Name, f.ContentType, f.Size, f.SHA256, f.Body, f.UploadedBy, f.At.UnixMicro())
		return err
	})
	return s.fail(op, err)
}

func scanOwnedFile(sc interface{ Scan(...any) error }, body *[]byte) (*credit.OwnedFile, error) {
	var (
		f  credit.OwnedFile
		at sql.NullInt64
	)
	dst := []any{&f.ID, &f.Of, &f.Name, &f.ContentType, &f.Size, &f.SHA256, &f.UploadedBy, &at}
	if body != nil {
		dst = append(dst, body)
	}
	if err := sc.Scan(dst...); err != nil {
		return nil, err
	}
	f.At = fromMicros(at)
	return &f, nil
}

// OwnedFiles lists an owner's files without bodies.
func (s *Store) OwnedFiles(ctx context.Context, of string) ([]credit.OwnedFile, error) {
	const op = "store.OwnedFiles"
	rows, err := s.r.QueryContext(ctx, `SELECT `+ownedFileCols+` FROM cm_files WHERE owner_id = $1 ORDER BY id`, of)
	if err != nil {
		return nil, s.fail(op, err)
	}
	defer rows.Close()
	var out []credit.OwnedFile
	for rows.Next() {
		f, err := scanOwnedFile(rows, nil)
		if err != nil {
			return nil, s.fail(op, err)
		}
		out = append(out, *f)
	}
	return out, s.fail(op, rows.Err())
}

// OwnedFile returns one file with its body.
func (s *Store) OwnedFile(ctx context.Context, id string) (*credit.OwnedFile, error) {
	const op = "store.OwnedFile"
	var body []byte
	f, err := scanOwnedFile(s.r.QueryRowContext(ctx, `SELECT `+ownedFileCols+`, body FROM cm_files WHERE id = $1`, id), &body)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, credit.Say(op, credit.NotFound, "没有文件%s", "file %s not found", id)
	}
	if err != nil {
		return nil, s.fail(op, err)
	}
	f.Body = body
	return f, nil
}
