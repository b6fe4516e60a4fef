package cli_test

import (
	"context"
	"database/sql"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/xinyong/xinyong/internal/store/sqlite"
)

// TestImportKilled builds the binary, imports a large generated file in a
// subprocess, kills it with SIGKILL once some chunks are committed (seen by
// polling the database), then runs the same command again: the database
// never holds part of a chunk, and the rerun completes the import with no
// duplicate.
func TestImportKilled(t *testing.T) {
	bin := binary(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "penalties.csv")
	const rows = 40000
	if out, err := exec.Command(bin, "gen", "--item", "admin_penalty", "--rows", "40000", "--seed", "3", "--subjects", "5000", "-o", file).CombinedOutput(); err != nil {
		t.Fatalf("gen: %v\n%s", err, out)
	}
	db := filepath.Join(dir, "x.db")
	args := []string{"import", "--db", db, "--dept", "SAMR-350100", "--item", "admin_penalty", "--chunk", "500", "--quiet", file}

	cmd := exec.Command(bin, args...)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()

	// Poll until at least three chunks are committed, then kill.
	var st *sqlite.Store
	for st == nil {
		if _, err := os.Stat(db); err == nil {
			s, err := sqlite.Open(context.Background(), db)
			if err == nil {
				st = s
				break
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	defer st.Close()
	r := st.ReadDB()
	for {
		var chunks int
		err := r.QueryRow(`SELECT COALESCE(max(chunks), 0) FROM batches`).Scan(&chunks)
		if err == nil && chunks >= 3 {
			break
		}
		select {
		case err := <-exited:
			if err != nil {
				t.Fatalf("import failed before it could be killed: %v (its stderr is above)", err)
			}
			t.Fatal("import finished before it could be killed: make the file larger")
		default:
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-exited

	var status string
	var chunks, lastRow, accepted int
	if err := r.QueryRow(`SELECT status, chunks, last_row, n_accepted FROM batches`).Scan(&status, &chunks, &lastRow, &accepted); err != nil {
		t.Fatal(err)
	}
	if status != "running" || lastRow >= rows || lastRow != chunks*500 {
		t.Fatalf("after kill: status %s, %d chunks, last row %d", status, chunks, lastRow)
	}
	// No partial chunk: the records are exactly those of the committed chunks.
	if n := count(t, r, `SELECT count(*) FROM records`); n != accepted || n != count(t, r, `SELECT COALESCE(sum(records), 0) FROM batch_chunks`) {
		t.Fatalf("after kill: %d records, batch says %d accepted", n, accepted)
	}

	out, err := exec.Command(bin, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("rerun: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "resumed") {
		t.Errorf("rerun output does not say it resumed: %s", out)
	}
	if n := count(t, r, `SELECT count(*) FROM records`); n != rows {
		t.Errorf("after rerun: %d records, want %d", n, rows)
	}
	if n := count(t, r, `SELECT count(*) FROM (SELECT doc_no FROM records GROUP BY dept, item, doc_no HAVING count(*) > 1) d`); n != 0 {
		t.Errorf("after rerun: %d duplicated document numbers", n)
	}
	if s := scalar(t, r, `SELECT status FROM batches`); s != "done" {
		t.Errorf("after rerun: status %s", s)
	}
	if n := count(t, r, `SELECT count(*) FROM batches`); n != 1 {
		t.Errorf("after rerun: %d batches, want the same one resumed", n)
	}
	// A third run of the same file does nothing.
	out, err = exec.Command(bin, args...).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "already imported") {
		t.Errorf("third run: %v %s", err, out)
	}
}

func count(t *testing.T, db *sql.DB, q string) int {
	t.Helper()
	var n int
	if err := db.QueryRow(q).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

func scalar(t *testing.T, db *sql.DB, q string) string {
	t.Helper()
	var s string
	if err := db.QueryRow(q).Scan(&s); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return s
}
