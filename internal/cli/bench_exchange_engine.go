package cli

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/csv"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/xinyong/xinyong/internal/store/postgres"
	"github.com/xinyong/xinyong/internal/store/sqlite"
)

// appliedTables are the tables a node writes when it applies facts of
// another origin: the facts' rows (subjects, records), their change-feed
// entries and their keys by origin. The engine's own bulk path loading
// the same rows into the same schema is what no apply can beat on the
// machine: the ceiling beside which the catch-up rate is read.
var appliedTables = []string{"subjects", "records", "changes", "exchange_facts"}

// engineCeiling loads the rows of appliedTables that the node whose store
// is src holds into an empty store of the same backend and schema, with
// the engine's own bulk path in one transaction: COPY on PostgreSQL (pg
// is the server for the temporary schema), the sqlite3 shell's .import on
// SQLite. It returns how long the load took and how many facts of origin
// it carried; or a note saying why it was not measured.
func engineCeiling(ctx context.Context, src *sql.DB, backend, pg, dir, origin string) (time.Duration, int, string, error) {
	var facts int
	if err := src.QueryRowContext(ctx, `SELECT COUNT(*) FROM exchange_facts WHERE origin = $1`, origin).Scan(&facts); err != nil {
		return 0, 0, "", err
	}
	if backend == "postgres" {
		d, err := copyCeiling(ctx, src, pg)
		return d, facts, "", err
	}
	shell, err := exec.LookPath("sqlite3")
	if err != nil {
		return 0, facts, "sqlite3 shell not installed: not measured", nil
	}
	d, err := importCeiling(ctx, src, shell, dir)
	return d, facts, "", err
}

// copyCeiling copies the tables out of src with COPY TO and into a new
// schema with COPY FROM, timing the loads and their commit only.
func copyCeiling(ctx context.Context, src *sql.DB, pg string) (time.Duration, error) {
	dsn, drop, err := tempSchema(ctx, pg)
	if err != nil {
		return 0, err
	}
	defer drop()
	st, err := postgres.Open(ctx, dsn) // the platform's schema, by its migrations
	if err != nil {
		return 0, err
	}
	st.Close()
	conn, err := src.Conn(ctx)
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	data := make([]bytes.Buffer, len(appliedTables))
	err = conn.Raw(func(dc any) error {
		pc, ok := dc.(interface{ Conn() *pgx.Conn })
		if !ok {
			return fmt.Errorf("the PostgreSQL store's connection is a %T, not pgx's", dc)
		}
		for i, t := range appliedTables {
			if _, err := pc.Conn().PgConn().CopyTo(ctx, &data[i], "COPY "+t+" TO STDOUT (FORMAT csv)"); err != nil {
				return fmt.Errorf("COPY %s TO: %w", t, err)
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	dst, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return 0, err
	}
	defer dst.Close(ctx)
	start := time.Now()
	tx, err := dst.Begin(ctx)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback(ctx)
	for i, t := range appliedTables {
		if _, err := tx.Conn().PgConn().CopyFrom(ctx, &data[i], "COPY "+t+" FROM STDIN (FORMAT csv)"); err != nil {
			return 0, fmt.Errorf("COPY %s FROM: %w", t, err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return 0, err
	}
	return time.Since(start), nil
}

// importCeiling loads the tables of src into a new SQLite file of the
// platform's schema: the sqlite3 shell first imports them from CSV into
// a staging file of plain columns (not timed: the shell's CSV has no
// NULL), then, timed, copies them into the schema with INSERT … SELECT in
// one transaction, the engine's fastest way in, with the store's own
// settings (journal, sync, page cache) but without its foreign-key
// checks: if anything the ceiling is too high.
func importCeiling(ctx context.Context, src *sql.DB, shell, dir string) (time.Duration, error) {
	db, staging := filepath.Join(dir, "engine-ceiling.db"), filepath.Join(dir, "engine-staging.db")
	for _, p := range []string{db, staging} {
		removeSQLite(p)
		defer removeSQLite(p)
	}
	st, err := sqlite.Open(ctx, db) // the platform's schema, by its migrations
	if err != nil {
		return 0, err
	}
	var stage, load strings.Builder
	stage.WriteString("BEGIN;\n")
	fmt.Fprintf(&load, "PRAGMA journal_mode=WAL;\nPRAGMA synchronous=NORMAL;\nPRAGMA cache_size=-%d;\nATTACH '%s' AS staging;\nBEGIN;\n",
		sqlite.DefaultCache>>10, strings.ReplaceAll(staging, "'", "''"))
	for _, t := range appliedTables {
		cols, nullable, err := tableColumns(ctx, st.ReadDB(), t)
		if err != nil {
			st.Close()
			return 0, err
		}
		f := filepath.Join(dir, "engine-ceiling-"+t+".csv")
		if err := dumpCSV(ctx, src, t, f); err != nil {
			st.Close()
			return 0, err
		}
		defer os.Remove(f)
		sel := make([]string, len(cols))
		for i, c := range cols {
			sel[i] = c
			if nullable[i] {
				sel[i] = "NULLIF(" + c + ", '')"
			}
		}
		fmt.Fprintf(&stage, "CREATE TABLE %s (%s);\n.import --csv '%s' %s\n", t, strings.Join(cols, ", "), strings.ReplaceAll(f, "'", "''"), t)
		fmt.Fprintf(&load, "INSERT INTO main.%s (%s) SELECT %s FROM staging.%s;\n", t, strings.Join(cols, ", "), strings.Join(sel, ", "), t)
	}
	st.Close()
	stage.WriteString("COMMIT;\n")
	load.WriteString("COMMIT;\n")
	if _, err := runShell(ctx, shell, staging, stage.String()); err != nil {
		return 0, err
	}
	return runShell(ctx, shell, db, load.String())
}

// tableColumns lists a table's columns and which may be NULL.
func tableColumns(ctx context.Context, db *sql.DB, table string) ([]string, []bool, error) {
	rows, err := db.QueryContext(ctx, "SELECT name, \"notnull\" FROM pragma_table_info('"+table+"') ORDER BY cid")
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	var cols []string
	var nullable []bool
	for rows.Next() {
		var name string
		var notNull int
		if err := rows.Scan(&name, &notNull); err != nil {
			return nil, nil, err
		}
		cols, nullable = append(cols, name), append(nullable, notNull == 0)
	}
	return cols, nullable, rows.Err()
}

// runShell runs script with the sqlite3 shell on db and times it.
func runShell(ctx context.Context, shell, db, script string) (time.Duration, error) {
	cmd := exec.CommandContext(ctx, shell, "-bail", db)
	cmd.Stdin = strings.NewReader(script)
	var errb strings.Builder
	cmd.Stderr = &errb
	start := time.Now()
	err := cmd.Run()
	d := time.Since(start)
	msg := strings.TrimSpace(errb.String())
	if len(msg) > 400 {
		msg = msg[:400] + "…"
	}
	if err != nil || msg != "" {
		return 0, fmt.Errorf("sqlite3 shell: %v: %s", err, msg)
	}
	return d, nil
}

// dumpCSV writes every row of table, without a header, as the shell's
// .import reads it; a NULL is an empty field (see importCeiling).
func dumpCSV(ctx context.Context, src *sql.DB, table, path string) error {
	rows, err := src.QueryContext(ctx, "SELECT * FROM "+table)
	if err != nil {
		return err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	w := csv.NewWriter(f)
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	rec := make([]string, len(cols))
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
		for i, v := range vals {
			switch x := v.(type) {
			case nil:
				rec[i] = ""
			case []byte:
				rec[i] = string(x)
			case string:
				rec[i] = x
			case int64:
				rec[i] = strconv.FormatInt(x, 10)
			case bool:
				rec[i] = map[bool]string{true: "1", false: "0"}[x]
			default:
				rec[i] = fmt.Sprint(x)
			}
		}
		if err := w.Write(rec); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return err
	}
	return f.Close()
}
