package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/xinyong/xinyong/internal/credit"
)

// The city credit monitoring's counts (credit.MonitorStore): each is one
// scan of its table, the periods told apart by CASE over the bounds.

// boundArgs turns bounds into query arguments (microseconds, as stored).
func boundArgs(bounds []time.Time) []any {
	args := make([]any, len(bounds))
	for i, b := range bounds {
		args[i] = stamp(b).UnixMicro()
	}
	return args
}

// QualityByPeriod sums the batches' counts per department and period.
func (s *Store) QualityByPeriod(ctx context.Context, bounds []time.Time) ([][]credit.DeptQuality, error) {
	const op = "store.QualityByPeriod"
	if len(bounds) < 2 {
		return nil, nil
	}
	var bucket strings.Builder
	bucket.WriteString("CASE")
	for i := 1; i < len(bounds); i++ {
		fmt.Fprintf(&bucket, " WHEN started_at < $%d THEN %d", i+1, i-1)
	}
	bucket.WriteString(" END")
	q := `SELECT dept, b, count(*), sum(n_total), sum(n_accepted), sum(n_created), sum(n_versioned), sum(n_unchanged),
		sum(n_rejected), sum(n_timed), sum(n_late), sum(n_codes), sum(n_code_errors), sum(n_filled), sum(n_fillable),
		sum(n_rejected_unkept)
		FROM (SELECT batches.*, ` + bucket.String() + ` AS b FROM batches WHERE started_at >= $1 AND started_at < $` +
		fmt.Sprint(len(bounds)) + `) x GROUP BY dept, b ORDER BY dept, b`
	rows, err := s.r.QueryContext(ctx, q, boundArgs(bounds)...)
	if err != nil {
		return nil, s.fail(op, err)
	}
	defer rows.Close()
	out := make([][]credit.DeptQuality, len(bounds)-1)
	for rows.Next() {
		var (
			q credit.DeptQuality
			b int
		)
		c := &q.Counts
		if err := rows.Scan(&q.Dept, &b, &q.Batches, &c.Total, &c.Accepted, &c.Created, &c.Versioned, &c.Unchanged,
			&c.Rejected, &c.Timed, &c.Late, &c.CodesChecked, &c.CodeErrors, &c.Filled, &c.Fillable, &c.RejectedNotKept); err != nil {
			return nil, s.fail(op, err)
		}
		if b >= 0 && b < len(out) {
			out[b] = append(out[b], q)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, s.fail(op, err)
	}
	return out, nil
}

// bucketOf is "CASE WHEN col < $1 THEN 0 WHEN col < $2 THEN 1 … ELSE n
// END": the index of the first bound a row is before (n: none), so that a
// row is looked at once, not once per bound.
func bucketOf(col string, n int) string {
	var b strings.Builder
	b.WriteString("CASE")
	for i := range n {
		fmt.Fprintf(&b, " WHEN %s < $%d THEN %d", col, i+1, i)
	}
	fmt.Fprintf(&b, " ELSE %d END", n)
	return b.String()
}

// before counts rows per key before each bound from the rows' bucket
// counts: a row in bucket i is before bounds i, i+1, ….
func before(rows *sql.Rows, n int) (map[string][]int, error) {
	out := make(map[string][]int)
	for rows.Next() {
		var (
			key  string
			b, c int
		)
		if err := rows.Scan(&key, &b, &c); err != nil {
			return nil, err
		}
		ns := out[key]
		if ns == nil {
			ns = make([]int, n)
			out[key] = ns
		}
		for i := b; i < n; i++ {
			ns[i] += c
		}
	}
	return out, rows.Err()
}

// RecordsBefore counts the facts received before each bound, per
// reporting department.
func (s *Store) RecordsBefore(ctx context.Context, bounds []time.Time) (map[string][]int, error) {
	const op = "store.RecordsBefore"
	if len(bounds) == 0 {
		return map[string][]int{}, nil
	}
	rows, err := s.r.QueryContext(ctx, `SELECT dept, b, count(*) FROM (SELECT dept, `+bucketOf("received_at", len(bounds))+
		` AS b FROM records) x GROUP BY dept, b`, boundArgs(bounds)...)
	if err != nil {
		return nil, s.fail(op, err)
	}
	defer rows.Close()
	out, err := before(rows, len(bounds))
	if err != nil {
		return nil, s.fail(op, err)
	}
	return out, nil
}

// SubjectsBefore counts the subjects created before each bound.
func (s *Store) SubjectsBefore(ctx context.Context, bounds []time.Time) ([]int, error) {
	const op = "store.SubjectsBefore"
	if len(bounds) == 0 {
		return nil, nil
	}
	rows, err := s.r.QueryContext(ctx, `SELECT '', b, count(*) FROM (SELECT `+bucketOf("created_at", len(bounds))+
		` AS b FROM subjects) x GROUP BY b`, boundArgs(bounds)...)
	if err != nil {
		return nil, s.fail(op, err)
	}
	defer rows.Close()
	out, err := before(rows, len(bounds))
	if err != nil {
		return nil, s.fail(op, err)
	}
	if ns, ok := out[""]; ok {
		return ns, nil
	}
	return make([]int, len(bounds)), nil
}
