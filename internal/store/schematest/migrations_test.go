package schematest

import (
	"database/sql"
	"fmt"
	"io/fs"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/xinyong/xinyong/internal/store/postgres"
	"github.com/xinyong/xinyong/internal/store/postgres/pgtest"
	"github.com/xinyong/xinyong/internal/store/sqlite"
)

// schema is what a database's catalogue says about the tables the
// migrations made, in words both backends can be compared in.
type schema map[string]*table

type table struct {
	columns map[string]column
	order   []string // column names, in the table's order
	pk      []string // primary key columns, in key order
	indexes map[string]index
	uniques []string // UNIQUE constraints, each as "(a, b)"; sorted
	fkeys   []string // foreign keys, each as "(a) -> t (b) on delete x on update y"; sorted
}

type column struct {
	typ     string // "integer", "boolean", "text", "bytes", "real", or the database's own word
	notNull bool
	def     string // normalised default; "" for none
}

type index struct {
	columns []string
	unique  bool
	where   string // normalised partial-index predicate; "" for none
}

func (ix index) String() string {
	s := "(" + strings.Join(ix.columns, ", ") + ")"
	if ix.unique {
		s = "unique " + s
	}
	if ix.where != "" {
		s += " where " + ix.where
	}
	return s
}

func newTable() *table { return &table{columns: map[string]column{}, indexes: map[string]index{}} }

// casts matches PostgreSQL's explicit casts in defaults and predicates
// ('x'::text, 0::bigint, ”::character varying).
var casts = regexp.MustCompile(`::[a-z_ ]+(\[\])?`)

// normExpr normalises a default or a predicate: casts, parentheses, case
// and runs of spaces are each database's spelling, not its meaning.
func normExpr(s string) string {
	s = casts.ReplaceAllString(s, "")
	s = strings.NewReplacer("(", "", ")", "").Replace(s)
	return strings.Join(strings.Fields(strings.ToLower(s)), " ")
}

// sqliteType names a declared SQLite type in the words of the comparison.
func sqliteType(decl string) string {
	switch d := strings.ToUpper(strings.TrimSpace(decl)); d {
	case "INTEGER", "INT", "BIGINT":
		return "integer"
	case "TEXT":
		return "text"
	case "BLOB":
		return "bytes"
	case "REAL", "DOUBLE", "DOUBLE PRECISION":
		return "real"
	case "BOOLEAN":
		return "boolean"
	default:
		return "sqlite " + d
	}
}

// postgresType names a PostgreSQL type in the words of the comparison.
// Both bigint and integer are SQLite's INTEGER. SQLite's holds 64 bits
// where PostgreSQL's integer holds 32: the few integer columns
// (wf_cases.seq, wf_events.seq, data_key_progress.pass) count steps of one
// case or passes of one rotation, far below 2^31; a time or a position
// kept in a 32-bit column would fail the storage conformance suite at
// once.
func postgresType(dataType string) string {
	switch dataType {
	case "bigint", "integer":
		return "integer"
	case "boolean":
		return "boolean"
	case "text":
		return "text"
	case "bytea":
		return "bytes"
	case "double precision":
		return "real"
	default:
		return "postgres " + dataType
	}
}

// sameType: SQLite has no boolean type; the platform keeps a flag there
// as INTEGER 0 or 1, and as BOOLEAN on PostgreSQL.
func sameType(lite, pg string) bool {
	return lite == pg || (lite == "integer" && pg == "boolean")
}

// sameDefault compares defaults of a column whose PostgreSQL type is pgType.
func sameDefault(lite, pg, pgType string) bool {
	if pgType == "boolean" {
		switch lite {
		case "0":
			lite = "false"
		case "1":
			lite = "true"
		}
	}
	return lite == pg
}

func query(t *testing.T, db *sql.DB, q string, args []any, scan func(*sql.Rows) error) {
	t.Helper()
	rows, err := db.QueryContext(t.Context(), q, args...)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

// whereClause is the predicate of a CREATE INDEX statement, if any.
var whereClause = regexp.MustCompile(`(?is)\)\s*WHERE\s+(.*?)\s*;?\s*$`)

// readSQLite reads the schema from SQLite's catalogue: sqlite_master and
// the table_info, index_list, index_xinfo and foreign_key_list pragmas.
func readSQLite(t *testing.T, db *sql.DB) schema {
	t.Helper()
	s := schema{}
	query(t, db, `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\_%' ESCAPE '\'`, nil, func(r *sql.Rows) error {
		var name string
		err := r.Scan(&name)
		s[name] = newTable()
		return err
	})
	for name, tb := range s {
		type pkcol struct {
			name string
			n    int
		}
		var pk []pkcol
		query(t, db, `SELECT name, type, "notnull", dflt_value, pk FROM pragma_table_info(?) ORDER BY cid`, []any{name}, func(r *sql.Rows) error {
			var col, typ string
			var notNull bool
			var def sql.NullString
			var n int
			if err := r.Scan(&col, &typ, &notNull, &def, &n); err != nil {
				return err
			}
			// A PRIMARY KEY column is never NULL on PostgreSQL; on SQLite
			// only an INTEGER PRIMARY KEY is (a long-standing SQLite
			// quirk, which the platform never relies on: every key is
			// written). The comparison speaks of the key, not the quirk.
			tb.columns[col] = column{typ: sqliteType(typ), notNull: notNull || n > 0, def: normExpr(def.String)}
			tb.order = append(tb.order, col)
			if n > 0 {
				pk = append(pk, pkcol{col, n})
			}
			return nil
		})
		sort.Slice(pk, func(i, j int) bool { return pk[i].n < pk[j].n })
		for _, c := range pk {
			tb.pk = append(tb.pk, c.name)
		}

		type idx struct {
			name, origin string
			unique       bool
		}
		var idxs []idx
		query(t, db, `SELECT name, "unique", origin FROM pragma_index_list(?)`, []any{name}, func(r *sql.Rows) error {
			var x idx
			err := r.Scan(&x.name, &x.unique, &x.origin)
			idxs = append(idxs, x)
			return err
		})
		for _, x := range idxs {
			var ix index
			ix.unique = x.unique
			query(t, db, `SELECT coalesce(name, '?expr'), "desc" FROM pragma_index_xinfo(?) WHERE key = 1 ORDER BY seqno`, []any{x.name}, func(r *sql.Rows) error {
				var col string
				var desc bool
				if err := r.Scan(&col, &desc); err != nil {
					return err
				}
				if desc {
					col += " desc"
				}
				ix.columns = append(ix.columns, col)
				return nil
			})
			switch x.origin {
			case "pk":
				continue // the primary key, compared as such
			case "u":
				tb.uniques = append(tb.uniques, "("+strings.Join(ix.columns, ", ")+")")
				continue
			}
			var stmt sql.NullString
			query(t, db, `SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?`, []any{x.name}, func(r *sql.Rows) error { return r.Scan(&stmt) })
			if m := whereClause.FindStringSubmatch(stmt.String); m != nil {
				ix.where = normExpr(m[1])
			}
			tb.indexes[x.name] = ix
		}
		sort.Strings(tb.uniques)

		type fk struct {
			from, to []string
			table    string
			del, upd string
		}
		fks := map[int]*fk{}
		query(t, db, `SELECT id, "table", "from", coalesce("to", ''), on_update, on_delete FROM pragma_foreign_key_list(?) ORDER BY id, seq`, []any{name}, func(r *sql.Rows) error {
			var id int
			var ref, from, to, upd, del string
			if err := r.Scan(&id, &ref, &from, &to, &upd, &del); err != nil {
				return err
			}
			f := fks[id]
			if f == nil {
				f = &fk{table: ref, del: strings.ToLower(del), upd: strings.ToLower(upd)}
				fks[id] = f
			}
			f.from, f.to = append(f.from, from), append(f.to, to)
			return nil
		})
		for _, f := range fks {
			tb.fkeys = append(tb.fkeys, fkString(f.from, f.table, f.to, f.del, f.upd))
		}
		sort.Strings(tb.fkeys)
	}
	// A reference without columns names the referenced table's key.
	for _, tb := range s {
		for i, f := range tb.fkeys {
			if m := implicitRef.FindStringSubmatch(f); m != nil && s[m[1]] != nil {
				tb.fkeys[i] = strings.Replace(f, m[0], "-> "+m[1]+" ("+strings.Join(s[m[1]].pk, ", ")+")", 1)
			}
		}
		sort.Strings(tb.fkeys)
	}
	return s
}

var implicitRef = regexp.MustCompile(`-> (\S+) \(\s*(, )*\)`)

func fkString(from []string, ref string, to []string, del, upd string) string {
	return fmt.Sprintf("(%s) -> %s (%s) on delete %s on update %s", strings.Join(from, ", "), ref, strings.Join(to, ", "), del, upd)
}

// pgAction spells a pg_constraint referential action as SQLite does.
var pgAction = map[string]string{"a": "no action", "r": "restrict", "c": "cascade", "n": "set null", "d": "set default"}

// readPostgres reads the schema from PostgreSQL's catalogue in the
// current schema: information_schema.tables and .columns, pg_index and
// pg_constraint.
func readPostgres(t *testing.T, db *sql.DB) schema {
	t.Helper()
	s := schema{}
	query(t, db, `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`, nil, func(r *sql.Rows) error {
		var name string
		err := r.Scan(&name)
		s[name] = newTable()
		return err
	})
	query(t, db, `SELECT table_name, column_name, data_type, is_nullable = 'NO', coalesce(column_default, '')
		FROM information_schema.columns WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position`, nil, func(r *sql.Rows) error {
		var tname, col, typ, def string
		var notNull bool
		if err := r.Scan(&tname, &col, &typ, &notNull, &def); err != nil {
			return err
		}
		if tb := s[tname]; tb != nil {
			tb.columns[col] = column{typ: postgresType(typ), notNull: notNull, def: normExpr(def)}
			tb.order = append(tb.order, col)
		}
		return nil
	})
	// Indexes: the primary key's and a UNIQUE constraint's are compared as
	// the key and the constraint; the others by name.
	query(t, db, `SELECT c.relname, i.relname, x.indisunique, x.indisprimary,
			EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = x.indexrelid AND k.contype = 'u'),
			coalesce(pg_get_expr(x.indpred, x.indrelid), ''),
			array_to_string(ARRAY(SELECT pg_get_indexdef(x.indexrelid, n, true) FROM generate_series(1, x.indnkeyatts) AS n), '|')
		FROM pg_index x
		JOIN pg_class i ON i.oid = x.indexrelid
		JOIN pg_class c ON c.oid = x.indrelid
		WHERE c.relnamespace = current_schema()::regnamespace`, nil, func(r *sql.Rows) error {
		var tname, iname, pred, cols string
		var unique, primary, constraint bool
		if err := r.Scan(&tname, &iname, &unique, &primary, &constraint, &pred, &cols); err != nil {
			return err
		}
		tb := s[tname]
		if tb == nil {
			return nil
		}
		ix := index{columns: strings.Split(strings.ToLower(cols), "|"), unique: unique, where: normExpr(pred)}
		switch {
		case primary:
		case constraint:
			tb.uniques = append(tb.uniques, "("+strings.Join(ix.columns, ", ")+")")
		default:
			tb.indexes[iname] = ix
		}
		return nil
	})
	query(t, db, `SELECT c.relname, k.contype,
			array_to_string(ARRAY(SELECT a.attname FROM unnest(k.conkey) WITH ORDINALITY AS u(n, o)
				JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.n ORDER BY u.o), '|'),
			coalesce(f.relname, ''),
			coalesce(array_to_string(ARRAY(SELECT a.attname FROM unnest(k.confkey) WITH ORDINALITY AS u(n, o)
				JOIN pg_attribute a ON a.attrelid = k.confrelid AND a.attnum = u.n ORDER BY u.o), '|'), ''),
			k.confdeltype, k.confupdtype
		FROM pg_constraint k
		JOIN pg_class c ON c.oid = k.conrelid
		LEFT JOIN pg_class f ON f.oid = k.confrelid
		WHERE c.relnamespace = current_schema()::regnamespace AND k.contype IN ('p', 'f')`, nil, func(r *sql.Rows) error {
		var tname, typ, from, ref, to, del, upd string
		if err := r.Scan(&tname, &typ, &from, &ref, &to, &del, &upd); err != nil {
			return err
		}
		tb := s[tname]
		if tb == nil {
			return nil
		}
		if typ == "p" {
			tb.pk = strings.Split(from, "|")
		} else {
			tb.fkeys = append(tb.fkeys, fkString(strings.Split(from, "|"), ref, strings.Split(to, "|"), pgAction[del], pgAction[upd]))
		}
		return nil
	})
	for _, tb := range s {
		sort.Strings(tb.uniques)
		sort.Strings(tb.fkeys)
	}
	return s
}

// diff lists every difference between the two schemas, one a line, in
// the words "table.column: sqlite says X, postgres says Y".
func diff(lite, pg schema) []string {
	var out []string
	say := func(where, what string, l, p any) {
		out = append(out, fmt.Sprintf("%s: %s: sqlite says %v, postgres says %v", where, what, l, p))
	}
	for _, name := range union(keys(lite), keys(pg)) {
		lt, pt := lite[name], pg[name]
		switch {
		case lt == nil:
			say(name, "table", "no such table", "a table")
			continue
		case pt == nil:
			say(name, "table", "a table", "no such table")
			continue
		}
		for _, col := range union(keys(lt.columns), keys(pt.columns)) {
			lc, lok := lt.columns[col]
			pc, pok := pt.columns[col]
			where := name + "." + col
			switch {
			case !lok:
				say(where, "column", "no such column", "a column")
				continue
			case !pok:
				say(where, "column", "a column", "no such column")
				continue
			}
			if !sameType(lc.typ, pc.typ) {
				say(where, "type", lc.typ, pc.typ)
			}
			if lc.notNull != pc.notNull {
				say(where, "NOT NULL", lc.notNull, pc.notNull)
			}
			if !sameDefault(lc.def, pc.def, pc.typ) {
				say(where, "default", quote(lc.def), quote(pc.def))
			}
		}
		if !slices.Equal(lt.order, pt.order) {
			say(name, "column order", lt.order, pt.order)
		}
		if !slices.Equal(lt.pk, pt.pk) {
			say(name, "primary key", lt.pk, pt.pk)
		}
		for _, ix := range union(keys(lt.indexes), keys(pt.indexes)) {
			li, lok := lt.indexes[ix]
			pi, pok := pt.indexes[ix]
			where := name + " index " + ix
			switch {
			case !lok:
				say(where, "index", "no such index", pi)
			case !pok:
				say(where, "index", li, "no such index")
			case li.String() != pi.String():
				say(where, "index", li, pi)
			}
		}
		if !slices.Equal(lt.uniques, pt.uniques) {
			say(name, "UNIQUE constraints", lt.uniques, pt.uniques)
		}
		if !slices.Equal(lt.fkeys, pt.fkeys) {
			say(name, "foreign keys", lt.fkeys, pt.fkeys)
		}
	}
	return out
}

func quote(s string) string {
	if s == "" {
		return "no default"
	}
	return "DEFAULT " + s
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

func union(a, b []string) []string {
	out := slices.Concat(a, b)
	slices.Sort(out)
	return slices.Compact(out)
}

func fileNames(t *testing.T, fsys fs.FS) []string {
	t.Helper()
	es, err := fs.ReadDir(fsys, ".")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		out = append(out, e.Name())
	}
	return out
}

// TestSameMigrationFiles: the two directories hold the same migration
// files, so that a version means the same change on both backends.
func TestSameMigrationFiles(t *testing.T) {
	lite, pg := fileNames(t, sqlite.Migrations()), fileNames(t, postgres.Migrations())
	for _, name := range union(lite, pg) {
		switch {
		case !slices.Contains(lite, name):
			t.Errorf("%s: postgres/migrations has it, sqlite/migrations does not", name)
		case !slices.Contains(pg, name):
			t.Errorf("%s: sqlite/migrations has it, postgres/migrations does not", name)
		}
	}
}

var checkClause = regexp.MustCompile(`(?i)\bcheck\s*\(`)

// TestMigrationsDefineTheSameSchema applies every migration of each
// backend to a fresh database (a SQLite file; a private PostgreSQL schema
// from pgtest) and compares what the two catalogues then say: tables,
// columns (type modulo the backends' words for it, nullability, default
// modulo spelling), primary keys, indexes (columns, uniqueness, partial
// predicate), UNIQUE constraints and foreign keys.
func TestMigrationsDefineTheSameSchema(t *testing.T) {
	ctx := t.Context()
	ls, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "schema.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer ls.Close()
	lite := readSQLite(t, ls.WriteDB())

	ps, err := postgres.Open(ctx, pgtest.TestDSN(t))
	if err != nil {
		t.Fatal(err)
	}
	defer ps.Close()
	pg := readPostgres(t, ps.DB())

	// CHECK constraints are not compared; none is defined today. Should
	// one be, this test must learn to read them first.
	query(t, ls.WriteDB(), `SELECT name, coalesce(sql, '') FROM sqlite_master WHERE type = 'table'`, nil, func(r *sql.Rows) error {
		var name, stmt string
		err := r.Scan(&name, &stmt)
		if checkClause.MatchString(stmt) {
			t.Errorf("%s has a CHECK constraint (sqlite), which this test does not compare yet", name)
		}
		return err
	})
	query(t, ps.DB(), `SELECT c.relname FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid
		WHERE c.relnamespace = current_schema()::regnamespace AND k.contype NOT IN ('p', 'f', 'u')`, nil, func(r *sql.Rows) error {
		var name string
		err := r.Scan(&name)
		t.Errorf("%s has a CHECK or EXCLUDE constraint (postgres), which this test does not compare yet", name)
		return err
	})
	if len(lite) < 10 || len(pg) < 10 {
		t.Fatalf("the catalogues were not read: %d tables on sqlite, %d on postgres", len(lite), len(pg))
	}
	if d := diff(lite, pg); len(d) > 0 {
		t.Errorf("the migrations define different schemas (%d differences):\n%s", len(d), strings.Join(d, "\n"))
	}
}
