package sqlite_test

import (
	"database/sql"
	"io/fs"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/store/sqlite"
)

// TestChecksWithoutRowidMigration: migration 0026 rebuilds the checks log's
// tables WITHOUT ROWID on a database that already holds checks, measures
// and feedback, and keeps every row and every reference.
func TestChecksWithoutRowidMigration(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "old.db")
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=foreign_keys(1)")
	if err != nil {
		t.Fatal(err)
	}
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := db.ExecContext(ctx, q, args...); err != nil {
			t.Fatalf("%.60s: %v", q, err)
		}
	}
	// The database as the version before 0026 left it.
	exec(`CREATE TABLE schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`)
	names, err := fs.Glob(sqlite.Migrations(), "*.sql")
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(names)
	for _, n := range names {
		v, err := strconv.Atoi(n[:4])
		if err != nil {
			t.Fatal(err)
		}
		if v >= 26 {
			break
		}
		b, err := fs.ReadFile(sqlite.Migrations(), n)
		if err != nil {
			t.Fatal(err)
		}
		exec(string(b))
		exec(`INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, 0)`, v, strings.TrimSuffix(n[5:], ".sql"))
	}
	at := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC).UnixMicro()
	c1, c2 := credit.NewID(), credit.NewID()
	exec(`INSERT INTO checks (id, at, caller, dept, matter, subjects, hits, version) VALUES ($1, $2, '采购系统', 'FIN-350100', 'government_procurement', 2, 1, 7), ($3, $2, '采购系统', 'FIN-350100', 'government_procurement', 1, 0, 7)`, c1, at, c2)
	for _, m := range []string{"restrict_gov_procurement", "abnormal_consideration"} {
		exec(`INSERT INTO check_measures (check_id, subject_id, measure, list_code, entry_id, suspended, incentive, candidate, dept, matter, at)
			VALUES ($1, '91350100M000100Y43', $2, 'court_defaulters', 'e1', 0, 0, 0, 'FIN-350100', 'government_procurement', $3)`, c1, m, at)
	}
	exec(`INSERT INTO check_feedback (check_id, subject_id, measure, id, outcome, reason, amount, acted_at, at, actor, dept)
		VALUES ($1, '91350100M000100Y43', 'restrict_gov_procurement', 'f1', 'applied', '', '', $2, $2, 'clerk', 'FIN-350100')`, c1, at)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	s, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatalf("open (migrating 0026): %v", err)
	}
	defer s.Close()
	got, err := s.Check(ctx, c1)
	if err != nil || len(got.Measures) != 2 || got.Caller != "采购系统" || got.Subjects != 2 || got.Version != 7 {
		t.Fatalf("Check after the migration = %+v, %v", got, err)
	}
	if got, err := s.Check(ctx, c2); err != nil || len(got.Measures) != 0 {
		t.Fatalf("Check(c2) after the migration = %+v, %v", got, err)
	}
	if fb, err := s.FeedbackByCheck(ctx, c1); err != nil || len(fb) != 1 || fb[0].ID != "f1" {
		t.Fatalf("FeedbackByCheck after the migration = %+v, %v", fb, err)
	}
	r := s.ReadDB()
	for _, tbl := range []string{"checks", "check_measures"} {
		var ddl string
		if err := r.QueryRowContext(ctx, `SELECT sql FROM sqlite_master WHERE type = 'table' AND name = $1`, tbl).Scan(&ddl); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(ddl, "WITHOUT ROWID") || strings.Contains(ddl, "_new") {
			t.Errorf("%s after the migration: %s", tbl, ddl)
		}
	}
	var feedbackDDL string
	if err := r.QueryRowContext(ctx, `SELECT sql FROM sqlite_master WHERE name = 'check_feedback'`).Scan(&feedbackDDL); err != nil || strings.Contains(feedbackDDL, "_new") {
		t.Errorf("check_feedback after the migration: %s, %v", feedbackDDL, err)
	}
	var tables int
	if err := r.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE name LIKE '%\_new' ESCAPE '\'`).Scan(&tables); err != nil || tables != 0 {
		t.Errorf("%d objects named *_new left, %v", tables, err)
	}
	// The references hold: a measure of an unknown check and feedback on
	// an unknown measure are refused; known ones are taken.
	if err := s.AppendChecks(ctx, []credit.CheckLog{{ID: credit.NewID(), At: time.Now(), Subjects: 1,
		Measures: []credit.CheckMeasure{{SubjectID: "91350100M000100Y43", Measure: "restrict_gov_procurement", List: "court_defaulters", EntryID: "e1"}}}}); err != nil {
		t.Fatalf("AppendChecks after the migration: %v", err)
	}
	err = s.AppendFeedback(ctx, []credit.Feedback{{ID: credit.NewID(), CheckID: c2, SubjectID: "91350100M000100Y43", Measure: "restrict_gov_procurement",
		Outcome: "applied", ActedAt: time.Now(), At: time.Now(), Actor: "clerk", Dept: "FIN-350100"}})
	if err == nil {
		t.Error("feedback on a measure the check did not return was taken")
	}
	if err := s.AppendFeedback(ctx, []credit.Feedback{{ID: credit.NewID(), CheckID: c1, SubjectID: "91350100M000100Y43", Measure: "abnormal_consideration",
		Outcome: "applied", ActedAt: time.Now(), At: time.Now(), Actor: "clerk", Dept: "FIN-350100"}}); err != nil {
		t.Errorf("feedback on a returned measure: %v", err)
	}
	var bad int
	if err := r.QueryRowContext(ctx, `SELECT count(*) FROM pragma_foreign_key_check`).Scan(&bad); err != nil || bad != 0 {
		t.Errorf("foreign_key_check: %d violations, %v", bad, err)
	}
}
