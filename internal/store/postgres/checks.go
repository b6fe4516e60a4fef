package postgres

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/store/sqlstore"
)

// The checks log is the busiest write of a node serving hit checks (a
// flush every 20 ms at thousands of checks a second). Multi-row INSERTs of
// cached sizes (64, 8, 1 rows) made a flush of a hundred checks about ten
// statements, each a round trip and each argument boxed through
// database/sql, all inside BEGIN ... COMMIT. Here a flush is one statement
// over one array per column, the checks inserted in a data-modifying WITH
// and their measures by the statement itself: one round trip, and the
// statement is atomic without a transaction block. The foreign key of a
// measure on its check holds: PostgreSQL checks it at the end of the
// statement, when the check's row is there.
var (
	checkTypes   = []string{"text", "bigint", "text", "text", "text", "bigint", "bigint", "bigint"}
	measureTypes = []string{"text", "text", "text", "text", "text", "boolean", "boolean", "boolean", "text", "text", "bigint"}
	checksSQL    = appendChecksSQL()
)

func appendChecksSQL() string {
	cc, mc := sqlstore.CheckColumns(), sqlstore.CheckMeasureColumns()
	if len(cc) != len(checkTypes) || len(mc) != len(measureTypes) {
		panic("postgres: the checks log's column types do not match sqlstore's columns")
	}
	unnest := func(types []string, first int) string {
		var b strings.Builder
		b.WriteString("SELECT * FROM unnest(")
		for i, t := range types {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString("$" + strconv.Itoa(first+i) + "::" + t + "[]")
		}
		b.WriteString(")")
		return b.String()
	}
	return "WITH c AS (INSERT INTO checks (" + strings.Join(cc, ", ") + ") " + unnest(checkTypes, 1) + ") " +
		"INSERT INTO check_measures (" + strings.Join(mc, ", ") + ") " + unnest(measureTypes, len(cc)+1)
}

// AppendChecks writes a flush of the checks log in one statement (above).
func (s *Store) AppendChecks(ctx context.Context, checks []credit.CheckLog) error {
	return s.AppendChecksWith(ctx, checks, func(ctx context.Context, cargs, margs []any) error {
		args, err := columnArrays(cargs, checkTypes)
		if err != nil {
			return err
		}
		margArrays, err := columnArrays(margs, measureTypes)
		if err != nil {
			return err
		}
		args = append(args, margArrays...)
		return s.WithConn(ctx, func(conn *pgx.Conn) error {
			_, err := conn.Exec(ctx, checksSQL, args...)
			return err
		})
	})
}

// columnArrays turns values given row after row (len(types) a row) into
// one slice per column, of the Go type pgx sends as an array of the
// column's type.
func columnArrays(vals []any, types []string) ([]any, error) {
	n := len(types)
	out := make([]any, n)
	var err error
	for j, t := range types {
		switch t {
		case "text":
			out[j], err = column(vals, n, j, func(v any) (string, bool) { s, ok := v.(string); return s, ok })
		case "bigint":
			out[j], err = column(vals, n, j, func(v any) (int64, bool) {
				switch v := v.(type) {
				case int64:
					return v, true
				case int:
					return int64(v), true
				}
				return 0, false
			})
		case "boolean":
			out[j], err = column(vals, n, j, func(v any) (bool, bool) { b, ok := v.(bool); return b, ok })
		default:
			err = fmt.Errorf("no array for type %s", t)
		}
		if err != nil {
			return nil, fmt.Errorf("checks log column %d: %w", j, err)
		}
	}
	return out, nil
}

// column is column j of vals (n values a row) as a []T.
func column[T any](vals []any, n, j int, as func(any) (T, bool)) ([]T, error) {
	col := make([]T, len(vals)/n)
	for i := range col {
		v, ok := as(vals[i*n+j])
		if !ok {
			return nil, fmt.Errorf("row %d: a %T where a %T belongs", i, vals[i*n+j], v)
		}
		col[i] = v
	}
	return col, nil
}
