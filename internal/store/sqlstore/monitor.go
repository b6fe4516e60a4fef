package sqlstore

import (
	"context"
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

// beforeSums is "sum(CASE WHEN col < $i THEN 1 ELSE 0 END)" for each bound.
func beforeSums(col string, n int) string {
	parts := make([]string, n)
	for i := range parts {
		parts[i] = fmt.Sprintf("COALESCE(sum(CASE WHEN %s < $%d THEN 1 ELSE 0 END), 0)", col, i+1)
	}
	return strings.Join(parts, ", ")
}

// RecordsBefore counts the facts received before each bound, per
// reporting department.
func (s *Store) RecordsBefore(ctx context.Context, bounds []time.Time) (map[string][]int, error) {
	const op = "store.RecordsBefore"
	out := make(map[string][]int)
	if len(bounds) == 0 {
		return out, nil
	}
	rows, err := s.r.QueryContext(ctx, `SELECT dept, `+beforeSums("received_at", len(bounds))+` FROM records GROUP BY dept`, boundArgs(bounds)...)
	if err != nil {
		return nil, s.fail(op, err)
	}
	defer rows.Close()
	for rows.Next() {
		var dept string
		ns := make([]int, len(bounds))
		dst := []any{&dept}
		for i := range ns {
			dst = append(dst, &ns[i])
		}
		if err := rows.Scan(dst...); err != nil {
			return nil, s.fail(op, err)
		}
		out[dept] = ns
	}
	if err := rows.Err(); err != nil {
		return nil, s.fail(op, err)
	}
	return out, nil
}

// SubjectsBefore counts the subjects created before each bound.
func (s *Store) SubjectsBefore(ctx context.Context, bounds []time.Time) ([]int, error) {
	const op = "store.SubjectsBefore"
	ns := make([]int, len(bounds))
	if len(bounds) == 0 {
		return ns, nil
	}
	dst := make([]any, len(ns))
	for i := range ns {
		dst[i] = &ns[i]
	}
	if err := s.r.QueryRowContext(ctx, `SELECT `+beforeSums("created_at", len(bounds))+` FROM subjects`, boundArgs(bounds)...).Scan(dst...); err != nil {
		return nil, s.fail(op, err)
	}
	return ns, nil
}
