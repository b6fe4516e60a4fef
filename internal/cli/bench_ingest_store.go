package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// The second engine column: the engine's own bulk path writing the records
// exactly as the pipeline stored them into a plain table with the store's
// records columns and indexes (no foreign keys, no subjects, no change
// feed). Against the first column (the file's 30 columns and 3 indexes) it
// says what the store's layout costs the engine itself; against the
// pipeline, what the pipeline adds on top of writing that layout.

// foreignKey matches a column's REFERENCES clause in SQLite's DDL.
var foreignKey = regexp.MustCompile(`(?i)\s+REFERENCES\s+\w+\s*\(\s*\w+\s*\)`)

// benchStoreTable exports the records table of the database the pipeline
// just filled (a SQLite file, or a PostgreSQL DSN whose search_path is the
// pipeline's schema) as CSV into dir and times the engine's own bulk path
// loading it into a plain table of the same columns and indexes; or returns
// a note saying why it was not measured.
func benchStoreTable(ctx context.Context, backend, db, dir string) (time.Duration, string, error) {
	csvFile := filepath.Join(dir, "records.csv")
	defer os.Remove(csvFile)
	if backend == "postgres" {
		return pgStoreTable(ctx, db, csvFile)
	}
	shell, err := exec.LookPath("sqlite3")
	if err != nil {
		return 0, noShell, nil
	}
	ddl, err := shellOutput(ctx, shell, db, `SELECT sql || ';' FROM sqlite_master WHERE tbl_name = 'records' AND sql IS NOT NULL`)
	if err != nil {
		return 0, "", err
	}
	if !strings.Contains(ddl, "CREATE TABLE") {
		return 0, "", fmt.Errorf("no records table in %s", db)
	}
	f, err := os.Create(csvFile)
	if err != nil {
		return 0, "", err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	cmd := exec.CommandContext(ctx, shell, "-readonly", "-csv", db, "SELECT * FROM records")
	var errb strings.Builder
	cmd.Stdout, cmd.Stderr = w, &errb
	err = cmd.Run()
	if ferr := w.Flush(); err == nil {
		err = ferr
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return 0, "", fmt.Errorf("sqlite3 export of records: %v: %s", err, strings.TrimSpace(errb.String()))
	}
	plain := filepath.Join(dir, "bench-store-table.db")
	defer removeSQLite(plain)
	d, err := sqliteShellLoad(ctx, shell, plain, foreignKey.ReplaceAllString(ddl, ""), csvFile, "records", false)
	return d, "", err
}

func shellOutput(ctx context.Context, shell, db, query string) (string, error) {
	var outb, errb strings.Builder
	cmd := exec.CommandContext(ctx, shell, "-readonly", db, query)
	cmd.Stdout, cmd.Stderr = &outb, &errb
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("sqlite3 %q: %v: %s", query, err, strings.TrimSpace(errb.String()))
	}
	return outb.String(), nil
}

// pgStoreTable copies the pipeline's records out as CSV and times COPY of
// them into plain_records, a table LIKE records with its defaults and
// indexes (LIKE copies no foreign key), in the same schema.
func pgStoreTable(ctx context.Context, dsn, csvFile string) (time.Duration, string, error) {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return 0, "", err
	}
	defer conn.Close(ctx)
	f, err := os.Create(csvFile)
	if err != nil {
		return 0, "", err
	}
	defer f.Close()
	w := bufio.NewWriterSize(f, 1<<20)
	if _, err := conn.PgConn().CopyTo(ctx, w, "COPY records TO STDOUT (FORMAT csv)"); err != nil {
		return 0, "", fmt.Errorf("COPY records TO STDOUT: %w", err)
	}
	if err := w.Flush(); err != nil {
		return 0, "", err
	}
	if _, err := conn.Exec(ctx, "CREATE TABLE plain_records (LIKE records INCLUDING DEFAULTS INCLUDING INDEXES)"); err != nil {
		return 0, "", err
	}
	if _, err := f.Seek(0, 0); err != nil {
		return 0, "", err
	}
	start := time.Now()
	tag, err := conn.PgConn().CopyFrom(ctx, bufio.NewReaderSize(f, 1<<20), "COPY plain_records FROM STDIN (FORMAT csv)")
	if err != nil {
		return 0, "", fmt.Errorf("COPY plain_records: %w", err)
	}
	d := time.Since(start)
	if tag.RowsAffected() == 0 {
		return 0, "", errors.New("COPY plain_records loaded no rows")
	}
	return d, "", nil
}
