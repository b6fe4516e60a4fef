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
// flush every few milliseconds at thousands of checks a second).
// Multi-row INSERTs of cached sizes (64, 8, 1 rows) made a flush of a
// hundred checks about ten statements, each a round trip and each argument
// boxed through database/sql, all inside BEGIN ... COMMIT. Here a flush is
// one statement over one array per column, the checks inserted in a
// data-modifying WITH and their measures by the statement itself: one
// round trip, and the statement is atomic without a transaction block.
// The foreign key of a measure on its check holds: PostgreSQL checks it at
// the end of the statement, when the check's row is there.
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
			b.WriteString("$" + strconv.Itoa(first+i) + "::text::" + t + "[]")
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
// one array literal per column, in PostgreSQL's text form ({"a","b"},
// {1,2}, {t,f}), which the statement casts to the column's array type.
// pgx's binary array encoding cost about 4 µs of the node's CPU a check,
// element by element; a literal is one string, and the server parses it.
func columnArrays(vals []any, types []string) ([]any, error) {
	n := len(types)
	rows := len(vals) / n
	out := make([]any, n)
	for j, t := range types {
		b := make([]byte, 0, 2+rows*24)
		b = append(b, '{')
		for i := range rows {
			if i > 0 {
				b = append(b, ',')
			}
			switch v := vals[i*n+j].(type) {
			case string:
				if t != "text" {
					return nil, fmt.Errorf("checks log column %d: text where %s belongs", j, t)
				}
				b = appendArrayText(b, v)
			case int64:
				b = strconv.AppendInt(b, v, 10)
			case int:
				b = strconv.AppendInt(b, int64(v), 10)
			case bool:
				b = append(b, "ft"[btoi(v)])
			default:
				return nil, fmt.Errorf("checks log column %d: no array element for %T", j, v)
			}
		}
		out[j] = string(append(b, '}'))
	}
	return out, nil
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// appendArrayText appends s as a quoted element of an array literal: in
// double quotes, with '"' and '\' escaped by a backslash (so that NULL,
// braces, commas and blanks stay text).
func appendArrayText(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		if s[i] == '"' || s[i] == '\\' {
			b = append(b, '\\')
		}
		b = append(b, s[i])
	}
	return append(b, '"')
}
