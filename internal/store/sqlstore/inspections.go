package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/xinyong/xinyong/internal/credit"
)

// Random inspection tasks (双随机、一公开): see credit.InspectionStore.

// InspectionPool streams the subjects a pool filter selects, in ID order.
func (s *Store) InspectionPool(ctx context.Context, f credit.PoolFilter, fn func(credit.PoolSubject) error) error {
	const op = "store.InspectionPool"
	var (
		where []string
		args  []any
	)
	arg := func(v any) string {
		args = append(args, v)
		return s.d.Placeholder(len(args))
	}
	kinds := f.Kinds
	if len(kinds) == 0 {
		kinds = []credit.SubjectKind{credit.Organisation, credit.IndividualBusiness}
	}
	var ks []string
	for _, k := range kinds {
		if k != credit.Organisation && k != credit.IndividualBusiness {
			return credit.Say(op, credit.Invalid, "抽查对象只能是组织或个体工商户，不能是%q", "a pool holds organisations and individual businesses, not %q", string(k))
		}
		ks = append(ks, arg(string(k)))
	}
	where = append(where, "kind IN ("+strings.Join(ks, ",")+")")
	if f.Region != "" {
		where = append(where, "region LIKE "+arg(escapeLike(f.Region)+"%")+" ESCAPE '\\'")
	}
	if len(f.OrgTypes) > 0 {
		var ts []string
		for _, t := range f.OrgTypes {
			ts = append(ts, arg(t))
		}
		where = append(where, "org_type IN ("+strings.Join(ts, ",")+")")
	}
	if !f.IncludeClosed {
		where = append(where, "status NOT IN ("+arg("注销")+","+arg("吊销")+")")
	}
	rows, err := s.r.QueryContext(ctx, `SELECT id, kind, region FROM subjects WHERE `+strings.Join(where, " AND ")+` ORDER BY id`, args...)
	if err != nil {
		return s.fail(op, err)
	}
	defer rows.Close()
	for rows.Next() {
		var p credit.PoolSubject
		var kind string
		if err := rows.Scan(&p.ID, &kind, &p.Region); err != nil {
			return s.fail(op, err)
		}
		p.Kind = credit.SubjectKind(kind)
		if err := fn(p); err != nil {
			return err
		}
	}
	return s.fail(op, rows.Err())
}

// escapeLike escapes LIKE's wildcards in a prefix.
func escapeLike(v string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(v)
}

const inspectionCols = `id, dept, matter, title, state, published_pos, published_at, drawn_at, pool_size, drawn, seq`

// CreateInspection writes a published task with its feed entry.
func (s *Store) CreateInspection(ctx context.Context, t *credit.InspectionTask) error {
	const op = "store.CreateInspection"
	if t == nil || t.Dept == "" || t.Matter == "" || len(t.Statement) == 0 || t.Pool == nil {
		return credit.E(op, credit.Invalid, "a task needs a department, a matter, a statement and a pool")
	}
	if t.ID == "" {
		t.ID = credit.NewID()
	}
	t.State, t.Seq = credit.InspectionPublished, 1
	t.PublishedAt = stamp(t.PublishedAt)
	stmts, err := s.feedStmts(ctx, 1)
	if err != nil {
		return s.fail(op, err)
	}
	var pos int64
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO insp_tasks (id, dept, matter, title, state, published_pos, published_at, pool_size, drawn, statement, pool, draw, seq)
			VALUES ($1, $2, $3, $4, $5, 0, $6, $7, 0, $8, $9, '', $10)`,
			t.ID, t.Dept, t.Matter, t.Title, t.State, t.PublishedAt.UnixMicro(), t.PoolSize, string(t.Statement), t.Pool, t.Seq)
		if err != nil {
			if s.kindOf(err) == credit.Exists {
				return credit.E(op, credit.Exists, "inspection task %s exists already", t.ID)
			}
			return err
		}
		pos, err = writeChanges(ctx, sqlFeedTx{tx: tx, s: s, stmts: stmts},
			[]change{{kind: credit.ChangeInspection, ref: t.ID, tg: credit.InspectionPublished}}, time.Now())
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE insp_tasks SET published_pos = $1 WHERE id = $2`, pos, t.ID)
		return err
	})
	if err != nil {
		return s.fail(op, err)
	}
	t.PublishedPos = pos
	return nil
}

func scanInspection(sc interface{ Scan(...any) error }, more ...any) (*credit.InspectionTask, error) {
	var t credit.InspectionTask
	dest := append([]any{&t.ID, &t.Dept, &t.Matter, &t.Title, &t.State, &t.PublishedPos, microsDest{&t.PublishedAt}, microsDest{&t.DrawnAt},
		&t.PoolSize, &t.Drawn, &t.Seq}, more...)
	if err := sc.Scan(dest...); err != nil {
		return nil, err
	}
	return &t, nil
}

// Inspection returns a task whole.
func (s *Store) Inspection(ctx context.Context, id string) (*credit.InspectionTask, error) {
	const op = "store.Inspection"
	var stmt, draw string
	var pool []byte
	t, err := scanInspection(s.r.QueryRowContext(ctx, `SELECT `+inspectionCols+`, statement, pool, draw FROM insp_tasks WHERE id = $1`, id), &stmt, &pool, &draw)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, credit.Say(op, credit.NotFound, "没有抽查任务%s", "no inspection task %s", id)
	}
	if err != nil {
		return nil, s.fail(op, err)
	}
	t.Statement, t.Pool = []byte(stmt), pool
	if draw != "" {
		t.Draw = []byte(draw)
	}
	return t, nil
}

// Inspections lists tasks newest first.
func (s *Store) Inspections(ctx context.Context, f credit.InspectionFilter) ([]credit.InspectionTask, error) {
	const op = "store.Inspections"
	q := `SELECT ` + inspectionCols + ` FROM insp_tasks WHERE 1 = 1`
	var args []any
	if f.Dept != "" {
		args = append(args, f.Dept)
		q += ` AND dept = ` + s.d.Placeholder(len(args))
	}
	if f.State != "" {
		args = append(args, f.State)
		q += ` AND state = ` + s.d.Placeholder(len(args))
	}
	limit := f.Limit
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	q += ` ORDER BY published_at DESC, id DESC LIMIT ` + strconv.Itoa(limit)
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, s.fail(op, err)
	}
	defer rows.Close()
	var out []credit.InspectionTask
	for rows.Next() {
		t, err := scanInspection(rows)
		if err != nil {
			return nil, s.fail(op, err)
		}
		out = append(out, *t)
	}
	return out, s.fail(op, rows.Err())
}

// RecordInspectionDraw stores a draw once, with its assignments.
func (s *Store) RecordInspectionDraw(ctx context.Context, t *credit.InspectionTask, as []credit.InspectionAssignment) error {
	const op = "store.RecordInspectionDraw"
	if t == nil || t.ID == "" || len(t.Draw) == 0 {
		return credit.E(op, credit.Invalid, "a task and its draw are required")
	}
	at := stamp(t.DrawnAt)
	_, err := s.inFeedTx(ctx, 1, func(tx *sql.Tx) ([]change, error) {
		res, err := tx.ExecContext(ctx, `UPDATE insp_tasks SET state = $1, drawn_at = $2, drawn = $3, draw = $4, seq = seq + 1
			WHERE id = $5 AND state = $6`, credit.InspectionDrawn, at.UnixMicro(), t.Drawn, string(t.Draw), t.ID, credit.InspectionPublished)
		if err != nil {
			return nil, err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return nil, err
		}
		if n != 1 {
			var state string
			err := tx.QueryRowContext(ctx, `SELECT state FROM insp_tasks WHERE id = $1`, t.ID).Scan(&state)
			if errors.Is(err, sql.ErrNoRows) {
				return nil, credit.Say(op, credit.NotFound, "没有抽查任务%s", "no inspection task %s", t.ID)
			}
			return nil, credit.Say(op, credit.Conflict, "抽查任务%s已经抽取", "inspection task %s is drawn already", t.ID)
		}
		for _, a := range as {
			if _, err := tx.ExecContext(ctx, `INSERT INTO insp_assignments (task_id, dept, subject_id, inspector, drawn_at) VALUES ($1, $2, $3, $4, $5)`,
				t.ID, t.Dept, a.SubjectID, a.Inspector, at.UnixMicro()); err != nil {
				return nil, err
			}
		}
		return []change{{kind: credit.ChangeInspection, ref: t.ID, tg: credit.InspectionDrawn}}, nil
	})
	if err != nil {
		return s.fail(op, err)
	}
	t.State, t.DrawnAt = credit.InspectionDrawn, at
	t.Seq++
	return nil
}

// InspectedBy returns recent assignments of the named inspectors.
func (s *Store) InspectedBy(ctx context.Context, dept string, inspectors []string, since time.Time) ([]credit.InspectionAssignment, error) {
	const op = "store.InspectedBy"
	var out []credit.InspectionAssignment
	for start := 0; start < len(inspectors); start += 500 {
		part := inspectors[start:min(start+500, len(inspectors))]
		args := []any{dept, since.UnixMicro()}
		var ph []string
		for _, id := range part {
			args = append(args, id)
			ph = append(ph, s.d.Placeholder(len(args)))
		}
		rows, err := s.r.QueryContext(ctx, `SELECT task_id, dept, subject_id, inspector, drawn_at FROM insp_assignments
			WHERE dept = $1 AND drawn_at >= $2 AND inspector IN (`+strings.Join(ph, ",")+`) ORDER BY inspector, subject_id, drawn_at`, args...)
		if err != nil {
			return nil, s.fail(op, err)
		}
		for rows.Next() {
			var a credit.InspectionAssignment
			if err := rows.Scan(&a.TaskID, &a.Dept, &a.SubjectID, &a.Inspector, microsDest{&a.DrawnAt}); err != nil {
				rows.Close()
				return nil, s.fail(op, err)
			}
			out = append(out, a)
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, s.fail(op, err)
		}
	}
	return out, nil
}

// PutInspectionResult keeps one subject's result with its feed entry.
func (s *Store) PutInspectionResult(ctx context.Context, r *credit.InspectionResult) error {
	const op = "store.PutInspectionResult"
	if r == nil || r.TaskID == "" || r.SubjectID == "" || r.Item == "" || r.Result == "" || r.InspectedOn.IsZero() {
		return credit.E(op, credit.Invalid, "a result needs a task, a subject, an item, a result and a date")
	}
	r.At = stamp(r.At)
	_, err := s.inFeedTx(ctx, 1, func(tx *sql.Tx) ([]change, error) {
		_, err := tx.ExecContext(ctx, `INSERT INTO insp_results (task_id, subject_id, subject_name, item, result, failed, detail, inspected_on, record_id, actor, at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
			r.TaskID, r.SubjectID, r.SubjectName, r.Item, r.Result, r.Failed, r.Detail, r.InspectedOn.UnixMicro(), r.RecordID, r.Actor, r.At.UnixMicro())
		if err != nil {
			if s.kindOf(err) == credit.Exists {
				return nil, credit.Say(op, credit.Exists, "抽查任务%s已有%s的检查结果", "inspection task %s has a result for %s already", r.TaskID, r.SubjectID)
			}
			return nil, err
		}
		return []change{{kind: credit.ChangeInspection, ref: r.TaskID, subj: r.SubjectID, tg: "result"}}, nil
	})
	return s.fail(op, err)
}

// InspectionResults returns a task's results in subject order.
func (s *Store) InspectionResults(ctx context.Context, taskID string) ([]credit.InspectionResult, error) {
	const op = "store.InspectionResults"
	rows, err := s.r.QueryContext(ctx, `SELECT task_id, subject_id, subject_name, item, result, failed, detail, inspected_on, record_id, actor, at
		FROM insp_results WHERE task_id = $1 ORDER BY subject_id`, taskID)
	if err != nil {
		return nil, s.fail(op, err)
	}
	defer rows.Close()
	var out []credit.InspectionResult
	for rows.Next() {
		var r credit.InspectionResult
		if err := rows.Scan(&r.TaskID, &r.SubjectID, &r.SubjectName, &r.Item, &r.Result, &r.Failed, &r.Detail, microsDest{&r.InspectedOn},
			&r.RecordID, &r.Actor, microsDest{&r.At}); err != nil {
			return nil, s.fail(op, err)
		}
		out = append(out, r)
	}
	return out, s.fail(op, rows.Err())
}

// CheckpointCovering returns the first checkpoint whose tree holds leaf
// index.
func (s *Store) CheckpointCovering(ctx context.Context, index int64) (*credit.LogCheckpoint, error) {
	const op = "store.CheckpointCovering"
	var c credit.LogCheckpoint
	err := s.r.QueryRowContext(ctx, `SELECT size, root, note, at FROM log_checkpoints WHERE size > $1 ORDER BY size LIMIT 1`, index).
		Scan(&c.Size, &c.Root, &c.Note, microsDest{&c.At})
	if errors.Is(err, sql.ErrNoRows) {
		return nil, credit.Say(op, credit.NotFound, "日志尚无包含第%d个叶子的检查点", "no checkpoint of the log holds leaf %d yet", index)
	}
	if err != nil {
		return nil, s.fail(op, err)
	}
	return &c, nil
}
