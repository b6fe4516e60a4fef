package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/xinyong/xinyong/internal/credit"
)

// PutEvalModel stores a new model version.
func (s *Store) PutEvalModel(ctx context.Context, m *credit.EvalModel) error {
	const op = "store.PutEvalModel"
	_, err := s.w.ExecContext(ctx, `INSERT INTO ev_models (version, body, state, uploaded_by, uploaded_at, activated_by, activated_at, comparison)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		m.Version, string(m.Body), m.State, m.UploadedBy, micros(m.UploadedAt), m.ActivatedBy, micros(m.ActivatedAt), string(m.Comparison))
	if err != nil && s.kindOf(err) == credit.Exists {
		return credit.E(op, credit.Exists, "evaluation model version %s exists already", m.Version)
	}
	return s.fail(op, err)
}

const evModelCols = `version, state, uploaded_by, uploaded_at, activated_by, activated_at`

func scanEvModel(row scanner, extra ...any) (*credit.EvalModel, error) {
	var (
		m        credit.EvalModel
		up, act  sql.NullInt64
		dest     = []any{&m.Version, &m.State, &m.UploadedBy, &up, &m.ActivatedBy, &act}
		body, cm string
	)
	if len(extra) > 0 {
		dest = append(dest, &body, &cm)
	}
	if err := row.Scan(dest...); err != nil {
		return nil, err
	}
	m.UploadedAt, m.ActivatedAt = fromMicros(up), fromMicros(act)
	if len(extra) > 0 {
		m.Body = []byte(body)
		if cm != "" {
			m.Comparison = []byte(cm)
		}
	}
	return &m, nil
}

// EvalModel returns one version with its body and comparison.
func (s *Store) EvalModel(ctx context.Context, version string) (*credit.EvalModel, error) {
	const op = "store.EvalModel"
	m, err := scanEvModel(s.r.QueryRowContext(ctx, `SELECT `+evModelCols+`, body, comparison FROM ev_models WHERE version = $1`, version), true)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, credit.E(op, credit.NotFound, "evaluation model version %q not found", version)
	}
	if err != nil {
		return nil, s.fail(op, err)
	}
	return m, nil
}

// EvalModels lists every version, newest upload first.
func (s *Store) EvalModels(ctx context.Context) ([]credit.EvalModel, error) {
	const op = "store.EvalModels"
	rows, err := s.r.QueryContext(ctx, `SELECT `+evModelCols+` FROM ev_models ORDER BY uploaded_at DESC, version DESC`)
	if err != nil {
		return nil, s.fail(op, err)
	}
	defer rows.Close()
	var out []credit.EvalModel
	for rows.Next() {
		m, err := scanEvModel(rows)
		if err != nil {
			return nil, s.fail(op, err)
		}
		out = append(out, *m)
	}
	return out, s.fail(op, rows.Err())
}

// SetEvalComparison keeps a candidate's comparison.
func (s *Store) SetEvalComparison(ctx context.Context, version string, cmp []byte) error {
	const op = "store.SetEvalComparison"
	res, err := s.w.ExecContext(ctx, `UPDATE ev_models SET comparison = $1 WHERE version = $2`, string(cmp), version)
	if err != nil {
		return s.fail(op, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return credit.E(op, credit.NotFound, "evaluation model version %q not found", version)
	}
	return nil
}

// ActivateEvalModel makes a candidate active and retires the active one.
func (s *Store) ActivateEvalModel(ctx context.Context, version, by string, at time.Time) error {
	const op = "store.ActivateEvalModel"
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var state string
		err := tx.QueryRowContext(ctx, `SELECT state FROM ev_models WHERE version = $1`, version).Scan(&state)
		if errors.Is(err, sql.ErrNoRows) {
			return credit.E(op, credit.NotFound, "evaluation model version %q not found", version)
		}
		if err != nil {
			return err
		}
		if state != credit.EvalCandidate {
			return credit.E(op, credit.Conflict, "evaluation model version %s is %s, not a candidate", version, state)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE ev_models SET state = $1 WHERE state = $2`, credit.EvalRetired, credit.EvalActive); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE ev_models SET state = $1, activated_by = $2, activated_at = $3 WHERE version = $4`,
			credit.EvalActive, by, micros(at), version)
		return err
	})
	var ce *credit.Error
	if errors.As(err, &ce) {
		return err
	}
	return s.fail(op, err)
}

// PutEvalScores replaces scores and appends grade changes, moving the
// follower's cursor in the same transaction when mv is given.
func (s *Store) PutEvalScores(ctx context.Context, scores []credit.EvalScore, changes []credit.GradeChange, files []credit.EvalFile, mv *credit.CursorMove) error {
	const op = "store.PutEvalScores"
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if err := s.putEvalFiles(ctx, tx, files, true); err != nil {
			return err
		}
		if len(scores) > 0 {
			st, err := tx.PrepareContext(ctx, `INSERT INTO ev_scores (subject_id, model_version, kind, score, grade, at, next_change)
				VALUES ($1, $2, $3, $4, $5, $6, $7)
				ON CONFLICT (subject_id) DO UPDATE SET model_version = excluded.model_version, kind = excluded.kind,
					score = excluded.score, grade = excluded.grade, at = excluded.at, next_change = excluded.next_change`)
			if err != nil {
				return err
			}
			defer st.Close()
			for _, sc := range scores {
				if _, err := st.ExecContext(ctx, sc.SubjectID, sc.Model, sc.Kind, sc.Score, sc.Grade, micros(sc.At), micros(sc.NextChange)); err != nil {
					return err
				}
			}
		}
		if len(changes) > 0 {
			st, err := tx.PrepareContext(ctx, `INSERT INTO ev_history (id, subject_id, at, model_version, from_grade, to_grade, from_score, to_score, reason)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`)
			if err != nil {
				return err
			}
			defer st.Close()
			for _, c := range changes {
				if _, err := st.ExecContext(ctx, c.ID, c.SubjectID, micros(c.At), c.Model, c.FromGrade, c.ToGrade, c.FromScore, c.ToScore, c.Reason); err != nil {
					return err
				}
			}
		}
		if mv != nil {
			if mv.From < 0 {
				_, err := tx.ExecContext(ctx, `INSERT INTO feed_cursors (name, pos) VALUES ($1, $2)`, mv.Name, mv.To)
				return err
			}
			res, err := tx.ExecContext(ctx, `UPDATE feed_cursors SET pos = $1 WHERE name = $2 AND pos = $3`, mv.To, mv.Name, mv.From)
			if err != nil {
				return err
			}
			if n, err := res.RowsAffected(); err != nil {
				return err
			} else if n != 1 {
				return credit.E(op, credit.Conflict, "feed cursor %s is no longer at %d", mv.Name, mv.From)
			}
		}
		return nil
	})
	var ce *credit.Error
	if errors.As(err, &ce) {
		return err
	}
	return s.fail(op, err)
}

// putEvalFiles writes the copies of files, in parts; with replace, a copy
// already kept is replaced, else left as it is. Rows go in statements of
// a few hundred (a statement a row cost BuildFiles minutes on
// PostgreSQL). Without replace, first parts go in first, and only the
// copies whose first part went in get their other parts: a copy kept
// meanwhile by the follower (newer) is never mixed with this one.
func (s *Store) putEvalFiles(ctx context.Context, tx *sql.Tx, files []credit.EvalFile, replace bool) error {
	type row struct {
		id   string
		part int
		body []byte
	}
	var (
		heads, tails []row
		ids          []string
		buf          []byte
	)
	seen := make(map[string]bool, len(files))
	for i := range files {
		f := &files[i]
		if replace { // the last copy of a subject is the one kept
			f = &files[len(files)-1-i]
		}
		if f.Subject == nil {
			return credit.E("store.putEvalFiles", credit.Invalid, "a file copy without its subject")
		}
		if seen[f.Subject.ID] {
			continue
		}
		seen[f.Subject.ID] = true
		ids = append(ids, f.Subject.ID)
		start := len(buf)
		buf = encodeEvalFile(buf, f.Subject, f.Records, f.Memo)
		body := buf[start:len(buf):len(buf)] // earlier bodies stay as they are when buf grows
		for part := 0; part*evalFilePart < len(body); part++ {
			r := row{f.Subject.ID, part, body[part*evalFilePart : min(len(body), (part+1)*evalFilePart)]}
			if part == 0 {
				heads = append(heads, r)
			} else {
				tails = append(tails, r)
			}
		}
	}
	evFileCols := []string{"subject_id", "part", "body"}
	per := s.rowsPerInsert(len(evFileCols))
	if replace {
		err := s.inChunks(ids, func(list string, args []any) error {
			_, err := tx.ExecContext(ctx, `DELETE FROM ev_files WHERE subject_id IN (`+list+`)`, args...)
			return err
		})
		if err != nil {
			return err
		}
	}
	// insert writes rows; with returning, it gives the subjects whose
	// first part went in.
	insert := func(rows []row, returning bool) (map[string]bool, error) {
		in := map[string]bool{}
		for i := 0; i < len(rows); i += per {
			chunk := rows[i:min(i+per, len(rows))]
			args := make([]any, 0, len(evFileCols)*len(chunk))
			for _, r := range chunk {
				args = append(args, r.id, r.part, r.body)
			}
			q := s.multiInsert("ev_files", evFileCols, len(chunk)) + ` ON CONFLICT (subject_id, part) DO NOTHING`
			if !returning {
				if _, err := tx.ExecContext(ctx, q, args...); err != nil {
					return nil, err
				}
				continue
			}
			rs, err := tx.QueryContext(ctx, q+` RETURNING subject_id`, args...)
			if err != nil {
				return nil, err
			}
			for rs.Next() {
				var id string
				if err := rs.Scan(&id); err != nil {
					rs.Close()
					return nil, err
				}
				in[id] = true
			}
			err = rs.Err()
			rs.Close()
			if err != nil {
				return nil, err
			}
		}
		return in, nil
	}
	in, err := insert(heads, !replace)
	if err != nil {
		return err
	}
	if !replace {
		tails = slices.DeleteFunc(tails, func(r row) bool { return !in[r.id] })
	}
	_, err = insert(tails, false)
	return err
}

// PutEvalFiles writes the copies of files that are not held yet: a copy
// the follower wrote meanwhile is newer than the caller's.
func (s *Store) PutEvalFiles(ctx context.Context, files []credit.EvalFile) error {
	return s.fail("store.PutEvalFiles", s.inTx(ctx, func(tx *sql.Tx) error {
		return s.putEvalFiles(ctx, tx, files, false)
	}))
}

const evScoreCols = `subject_id, model_version, kind, score, grade, at, next_change`

func scanEvScore(row scanner) (*credit.EvalScore, error) {
	var (
		e        credit.EvalScore
		at, next sql.NullInt64
	)
	if err := row.Scan(&e.SubjectID, &e.Model, &e.Kind, &e.Score, &e.Grade, &at, &next); err != nil {
		return nil, err
	}
	e.At, e.NextChange = fromMicros(at), fromMicros(next)
	return &e, nil
}

// EvalScore returns a subject's score.
func (s *Store) EvalScore(ctx context.Context, subjectID string) (*credit.EvalScore, error) {
	const op = "store.EvalScore"
	e, err := scanEvScore(s.r.QueryRowContext(ctx, `SELECT `+evScoreCols+` FROM ev_scores WHERE subject_id = $1`, subjectID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, credit.E(op, credit.NotFound, "subject %q has no evaluation", subjectID)
	}
	if err != nil {
		return nil, s.fail(op, err)
	}
	return e, nil
}

// EvalScoresFor returns the scores of the given subjects that have one.
func (s *Store) EvalScoresFor(ctx context.Context, ids []string) (map[string]credit.EvalScore, error) {
	const op = "store.EvalScoresFor"
	out := make(map[string]credit.EvalScore, len(ids))
	step := min(s.d.MaxParams, 500)
	for i := 0; i < len(ids); i += step {
		chunk := ids[i:min(i+step, len(ids))]
		args := make([]any, len(chunk))
		for j, id := range chunk {
			args[j] = id
		}
		q := `SELECT ` + evScoreCols + ` FROM ev_scores WHERE subject_id IN (` + string(s.placeholders(nil, 1, len(chunk))) + `)`
		rows, err := s.r.QueryContext(ctx, q, args...)
		if err != nil {
			return nil, s.fail(op, err)
		}
		for rows.Next() {
			e, err := scanEvScore(rows)
			if err != nil {
				rows.Close()
				return nil, s.fail(op, err)
			}
			out[e.SubjectID] = *e
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, s.fail(op, err)
		}
	}
	return out, nil
}

// ScanEvalScores calls fn for every score in subject order.
func (s *Store) ScanEvalScores(ctx context.Context, fn func(credit.EvalScore) error) error {
	const op = "store.ScanEvalScores"
	rows, err := s.r.QueryContext(ctx, `SELECT `+evScoreCols+` FROM ev_scores ORDER BY subject_id`)
	if err != nil {
		return s.fail(op, err)
	}
	defer rows.Close()
	for rows.Next() {
		e, err := scanEvScore(rows)
		if err != nil {
			return s.fail(op, err)
		}
		if err := fn(*e); err != nil {
			return err
		}
	}
	return s.fail(op, rows.Err())
}

// EvalScoresDue lists subjects whose score changes with time by at.
func (s *Store) EvalScoresDue(ctx context.Context, at time.Time, limit int) ([]string, error) {
	const op = "store.EvalScoresDue"
	if limit <= 0 {
		limit = 1000
	}
	rows, err := s.r.QueryContext(ctx, `SELECT subject_id FROM ev_scores WHERE next_change IS NOT NULL AND next_change <= $1 ORDER BY next_change LIMIT $2`, micros(at), limit)
	if err != nil {
		return nil, s.fail(op, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, s.fail(op, err)
		}
		out = append(out, id)
	}
	return out, s.fail(op, rows.Err())
}

// GradeChanges lists a subject's grade changes, newest first.
func (s *Store) GradeChanges(ctx context.Context, subjectID string, limit int) ([]credit.GradeChange, error) {
	const op = "store.GradeChanges"
	if limit <= 0 {
		limit = 100
	}
	rows, err := s.r.QueryContext(ctx, `SELECT id, subject_id, at, model_version, from_grade, to_grade, from_score, to_score, reason
		FROM ev_history WHERE subject_id = $1 ORDER BY at DESC, id DESC LIMIT $2`, subjectID, limit)
	if err != nil {
		return nil, s.fail(op, err)
	}
	defer rows.Close()
	var out []credit.GradeChange
	for rows.Next() {
		var (
			c  credit.GradeChange
			at sql.NullInt64
		)
		if err := rows.Scan(&c.ID, &c.SubjectID, &at, &c.Model, &c.FromGrade, &c.ToGrade, &c.FromScore, &c.ToScore, &c.Reason); err != nil {
			return nil, s.fail(op, err)
		}
		c.At = fromMicros(at)
		out = append(out, c)
	}
	return out, s.fail(op, rows.Err())
}

// EvalRanges cuts the subjects into at most n ranges of about equal size:
// the count, then the ID at each cut, found by stepping the primary key's
// index inside the engine (OFFSET) rather than reading every ID out.
func (s *Store) EvalRanges(ctx context.Context, n int) ([]credit.SubjectRange, error) {
	const op = "store.EvalRanges"
	total, err := s.CountSubjects(ctx)
	if err != nil {
		return nil, err
	}
	n = max(1, min(n, total))
	cuts := []string{""}
	for k := 1; k < n; k++ {
		var id string
		err := s.r.QueryRowContext(ctx, `SELECT id FROM subjects ORDER BY id LIMIT 1 OFFSET $1`, k*total/n).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			break // subjects were deleted meanwhile: fewer ranges
		}
		if err != nil {
			return nil, s.fail(op, err)
		}
		if id > cuts[len(cuts)-1] {
			cuts = append(cuts, id)
		}
	}
	out := make([]credit.SubjectRange, len(cuts))
	for i, c := range cuts {
		out[i].From = c
		if i+1 < len(cuts) {
			out[i].To = cuts[i+1]
		}
	}
	return out, nil
}

// evalRecordSelect is recordSelect without what evaluation never reads
// (batch, reason, content hash): a full recompute reads every record, and
// each column costs.
const evalRecordSelect = `SELECT id, subject_id, item, catalog_version, fact, COALESCE(supersedes, ''), dept,
	doc_no, decided_on, received_at, severity, fields, subject_kind FROM records `

// rangeWhere is the condition on col for r, with its arguments numbered
// from $n.
func rangeWhere(col string, r credit.SubjectRange, n int) (string, []any) {
	var conds []string
	var args []any
	if r.From != "" {
		args = append(args, r.From)
		conds = append(conds, col+" >= $"+strconv.Itoa(n+len(args)-1))
	}
	if r.To != "" {
		args = append(args, r.To)
		conds = append(conds, col+" < $"+strconv.Itoa(n+len(args)-1))
	}
	return strings.Join(conds, " AND "), args
}

// ScanEvalFiles reads every subject of r with its facts of items, in
// subject order: the range's subjects first (so that the records then
// stream on the only read connection the scan holds: the evaluation's own
// look-ups need the others), then one ordered scan of the range's records
// (the records_subject index) merged with them.
func (s *Store) ScanEvalFiles(ctx context.Context, items []string, r credit.SubjectRange, fn func(*credit.Subject, []credit.Record) error) error {
	const op = "store.ScanEvalFiles"
	subjects, err := s.rangeSubjects(ctx, r)
	if err != nil || len(subjects) == 0 {
		return s.fail(op, err)
	}
	cond, args := rangeWhere("subject_id", r, 1)
	if len(items) > 0 {
		// (item || '') keeps SQLite from choosing an item index and
		// sorting every record by subject instead of walking
		// records_subject in order.
		ph := make([]string, len(items))
		for i, it := range items {
			args = append(args, it)
			ph[i] = "$" + strconv.Itoa(len(args))
		}
		if cond != "" {
			cond += " AND "
		}
		cond += "(item || '') IN (" + strings.Join(ph, ", ") + ")"
	}
	q := evalRecordSelect
	if cond != "" {
		q += `WHERE ` + cond + ` `
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	recs, err := s.r.QueryContext(ctx, q+`ORDER BY subject_id, id`, args...)
	if err != nil {
		return s.fail(op, err)
	}
	defer recs.Close()
	var (
		pending credit.Record
		have    bool
		facts   []credit.Record
	)
	next := func() error {
		have = false
		if !recs.Next() {
			return recs.Err()
		}
		if err := scanEvalRecord(recs, &pending); err != nil {
			return err
		}
		have = true
		return nil
	}
	if err := next(); err != nil {
		return s.fail(op, err)
	}
	for _, subj := range subjects {
		// Records of subjects that sort before this one have no subject
		// row (the store refuses them); skip them.
		for have && pending.SubjectID < subj.ID {
			if err := next(); err != nil {
				return s.fail(op, err)
			}
		}
		facts = facts[:0]
		for have && pending.SubjectID == subj.ID {
			facts = append(facts, pending)
			if err := next(); err != nil {
				return s.fail(op, err)
			}
		}
		if err := fn(subj, facts); err != nil {
			return err
		}
	}
	return nil
}

// evalSubjectCols are the subject columns evaluation reads: a full pass
// reads a million subjects, and former names (JSON), sealed ID numbers and
// timestamps are neither scored nor shown by it.
const evalSubjectCols = `id, kind, code, name, org_type, region, status, registered_on`

// rangeSubjects reads the subjects of r in ID order (evalSubjectCols),
// whole before the caller's next query: a scan then streams on the only
// read connection it holds (the evaluation's own look-ups need the others).
func (s *Store) rangeSubjects(ctx context.Context, r credit.SubjectRange) ([]*credit.Subject, error) {
	cond, args := rangeWhere("id", r, 1)
	q := `SELECT ` + evalSubjectCols + ` FROM subjects`
	if cond != "" {
		q += ` WHERE ` + cond
	}
	rows, err := s.r.QueryContext(ctx, q+` ORDER BY id`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var subjects []*credit.Subject
	for rows.Next() {
		var (
			subj       credit.Subject
			kind       string
			registered sql.NullInt64
		)
		if err := rows.Scan(&subj.ID, &kind, &subj.Code, &subj.Name, &subj.OrgType, &subj.Region, &subj.Status, &registered); err != nil {
			return nil, err
		}
		subj.Kind, subj.RegisteredOn = credit.SubjectKind(kind), fromMicros(registered)
		subjects = append(subjects, &subj)
	}
	return subjects, rows.Err()
}

// evalCopyPage is how many parts one query of ScanEvalFileCopies reads
// (a variable for the paging test).
var evalCopyPage = 5000

// ScanEvalFileCopies is ScanEvalFiles from the kept copies (ev_files):
// the range's parts in key order, a page of them at a time, each
// subject's parts joined and decoded. A page is a LIMIT query, which
// both engines answer by walking the key in order (PostgreSQL plans a
// range without it as a scan and sort of the whole table), and a subject
// is read whole within one query, so a copy rewritten meanwhile is never
// read half old, half new: a page ends at the last subject it holds
// whole, and the next one starts after it.
func (s *Store) ScanEvalFileCopies(ctx context.Context, items []string, r credit.SubjectRange, fn func(*credit.Subject, []credit.Record, credit.EvalMemo) error) error {
	return s.ScanEvalFileCopiesVia(ctx, s.copyParts, items, r, fn)
}

// CopyParts are the rows (subject_id, part, body) of a read of ev_files.
// Part's subject and body stay valid until the next call of Next: a full
// pass reads millions, so neither is copied unless kept.
type CopyParts interface {
	Next() bool
	Part() (subject []byte, part int, body []byte, err error)
	Err() error
	Close()
}

// CopyQuery runs a read of ev_files; backends pass their own to
// ScanEvalFileCopiesVia (PostgreSQL reads through its driver's own rows,
// without database/sql's copy of each value).
type CopyQuery func(ctx context.Context, query string, args ...any) (CopyParts, error)

// copyParts is the CopyQuery of database/sql.
func (s *Store) copyParts(ctx context.Context, q string, args ...any) (CopyParts, error) {
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	return &sqlCopyParts{rows: rows}, nil
}

type sqlCopyParts struct {
	rows     *sql.Rows
	id, body sql.RawBytes
	part     int
}

func (p *sqlCopyParts) Next() bool { return p.rows.Next() }
func (p *sqlCopyParts) Err() error { return p.rows.Err() }
func (p *sqlCopyParts) Close()     { _ = p.rows.Close() } // Err reports what failed
func (p *sqlCopyParts) Part() ([]byte, int, []byte, error) {
	err := p.rows.Scan(&p.id, &p.part, &p.body)
	return p.id, p.part, p.body, err
}

// ScanEvalFileCopiesVia is ScanEvalFileCopies with reads through query.
func (s *Store) ScanEvalFileCopiesVia(ctx context.Context, query CopyQuery, items []string, r credit.SubjectRange, fn func(*credit.Subject, []credit.Record, credit.EvalMemo) error) error {
	const op = "store.ScanEvalFileCopies"
	var want func(string) bool
	if len(items) > 0 {
		set := make(map[string]bool, len(items))
		for _, it := range items {
			set[it] = true
		}
		want = func(item string) bool { return set[item] }
	}
	var (
		body   []byte
		facts  []credit.Record
		dec    evalFileDecoder
		cur    string
		done   string // the last subject given to fn
		isDone bool
	)
	flush := func() error {
		subj, out, memo, err := dec.decode(cur, body, want, facts[:0])
		if err != nil {
			return credit.E(op, credit.Internal, "subject %s: %w", cur, err)
		}
		facts, done, isDone = out, cur, true
		return fn(subj, facts, memo)
	}
	// read runs q and feeds its parts, in order, to the subjects; it
	// returns how many parts it read.
	read := func(q string, args ...any) (int, error) {
		rows, err := query(ctx, q, args...)
		if err != nil {
			return 0, s.fail(op, err)
		}
		defer rows.Close()
		n := 0
		for rows.Next() {
			id, part, piece, err := rows.Part()
			if err != nil {
				return n, s.fail(op, err)
			}
			n++
			if string(id) != cur || n == 1 {
				if n > 1 {
					if err := flush(); err != nil {
						return n, err
					}
				}
				if part != 0 {
					return n, credit.E(op, credit.Internal, "subject %s: file copy without its first part", id)
				}
				cur, body = string(id), append(body[:0], piece...)
				continue
			}
			body = append(body, piece...)
		}
		return n, s.fail(op, rows.Err())
	}
	for first := true; ; first = false {
		var conds []string
		var args []any
		rest := r // after the first page: from the last subject given on
		if !first {
			rest.From = ""
			args = append(args, done)
			conds = append(conds, "subject_id > $1")
		}
		if c, a := rangeWhere("subject_id", rest, len(args)+1); c != "" {
			conds, args = append(conds, c), append(args, a...)
		}
		q := `SELECT subject_id, part, body FROM ev_files `
		if len(conds) > 0 {
			q += `WHERE ` + strings.Join(conds, " AND ") + ` `
		}
		isDone = false
		n, err := read(q+`ORDER BY subject_id, part LIMIT `+strconv.Itoa(evalCopyPage), args...)
		if err != nil {
			return err
		}
		if n == 0 {
			return nil
		}
		if n < evalCopyPage {
			return flush() // the page held the range's last subject whole
		}
		if !isDone {
			// One subject filled the page: read it whole on its own.
			if _, err := read(`SELECT subject_id, part, body FROM ev_files WHERE subject_id = $1 ORDER BY part`, cur); err != nil {
				return err
			}
			if err := flush(); err != nil {
				return err
			}
		}
		// The page's last subject may go on in the next: read again there.
	}
}

// scanEvalRecord scans a row of evalRecordSelect into r.
func scanEvalRecord(row scanner, r *credit.Record) error {
	var (
		fact, severity, kind string
		fields               []byte
		decided, received    sql.NullInt64
	)
	*r = credit.Record{}
	err := row.Scan(&r.ID, &r.SubjectID, &r.Item, &r.Catalog, &fact, &r.Supersedes, &r.Dept,
		&r.DocNo, &decided, &received, &severity, &fields, &kind)
	if err != nil {
		return err
	}
	r.Fact, r.Severity, r.Kind = credit.FactKind(fact), credit.Severity(severity), credit.SubjectKind(kind)
	r.DecidedOn, r.Received = fromMicros(decided), fromMicros(received)
	if r.Fields, err = decodeFields(fields); err != nil {
		return credit.E("store.scanEvalRecord", credit.Internal, "record %s: fields: %w", r.ID, err)
	}
	return nil
}
