package postgres_test

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/store/postgres"
	"github.com/xinyong/xinyong/internal/store/postgres/pgtest"
	"github.com/xinyong/xinyong/internal/store/storetest"
)

func open(t testing.TB) *postgres.Store {
	t.Helper()
	dsn := pgtest.TestDSN(t)
	s, err := postgres.Open(t.Context(), dsn)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) credit.Store { return open(t) })
}

func TestUnreachable(t *testing.T) {
	// Port 1 on loopback: nothing listens, the connection is refused at once.
	_, err := postgres.Open(t.Context(), "postgres://u:s3cret@127.0.0.1:1/db?sslmode=disable")
	if !credit.Is(credit.Unavailable, err) {
		t.Fatalf("Open = %v, want Unavailable", err)
	}
	msg := err.Error()
	if !strings.Contains(msg, "cannot reach PostgreSQL at 127.0.0.1:1: connection refused") {
		t.Errorf("message = %q", msg)
	}
	if strings.Contains(msg, "s3cret") || strings.Contains(msg, "\n") {
		t.Errorf("message leaks the password or spans lines: %q", msg)
	}
}

func TestBadDSN(t *testing.T) {
	_, err := postgres.Open(t.Context(), "postgres://u:s3cret@127.0.0.1:notaport/db")
	if !credit.Is(credit.Invalid, err) {
		t.Fatalf("Open = %v, want Invalid", err)
	}
	if strings.Contains(err.Error(), "s3cret") {
		t.Errorf("message leaks the password: %q", err)
	}
}

func TestMigrationStatus(t *testing.T) {
	s := open(t)
	ms, err := s.MigrationStatus(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) == 0 {
		t.Fatal("no migrations")
	}
	for _, m := range ms {
		if !m.Applied || m.AppliedAt.IsZero() || m.Unknown {
			t.Errorf("migration %+v not applied", m)
		}
	}
}

func TestConcurrentOpen(t *testing.T) {
	// Several nodes starting at once against an empty schema all migrate
	// without error, and the migration is applied once.
	dsn := pgtest.TestDSN(t)
	errs := make(chan error, 4)
	for range 4 {
		go func() {
			s, err := postgres.Open(t.Context(), dsn)
			if err == nil {
				s.Close()
			}
			errs <- err
		}()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Errorf("concurrent Open: %v", err)
		}
	}
}

func BenchmarkAppendRecords(b *testing.B) {
	storetest.BenchmarkAppendRecords(b, open(b))
}

func BenchmarkAppendChecks(b *testing.B) {
	storetest.BenchmarkAppendChecks(b, open(b))
}

// TestStatisticsFollowGrowth: records appended in bulk refresh the
// planner's statistics once they reach 10,000 (this machine's server runs
// without autovacuum, as a bulk fill outruns it anyway).
func TestStatisticsFollowGrowth(t *testing.T) {
	s := open(t)
	ctx := t.Context()
	analysed := func() bool {
		var ok bool
		if err := s.DB().QueryRowContext(ctx, `SELECT last_analyze IS NOT NULL FROM pg_stat_user_tables WHERE relname = 'records' AND schemaname = current_schema()`).Scan(&ok); err != nil {
			t.Fatal(err)
		}
		return ok
	}
	if err := s.PutSubject(ctx, &credit.Subject{ID: "91350100M000100Y43", Kind: credit.Organisation, Code: "91350100M000100Y43", Name: "统计公司"}); err != nil {
		t.Fatal(err)
	}
	appendN := func(n int) {
		recs := make([]credit.Record, n)
		for i := range recs {
			recs[i] = credit.Record{ID: credit.NewID(), SubjectID: "91350100M000100Y43", Item: "honour", Catalog: "2024.1", Fact: credit.Original,
				Dept: "SAMR-350100", DocNo: "统计" + strconv.Itoa(i), Kind: credit.Organisation, Hash: "t"}
		}
		if err := s.AppendRecords(ctx, recs); err != nil {
			t.Fatal(err)
		}
	}
	appendN(9_000)
	if analysed() {
		t.Fatal("statistics refreshed before 10,000 records")
	}
	appendN(1_000)
	if !analysed() {
		t.Fatal("statistics not refreshed at 10,000 records")
	}
}

// TestImportStatistics: an import refreshes, as it grows, the statistics of
// the columns its look-ups filter on, and once it is finished those of
// every column (pages and reports read the others).
func TestImportStatistics(t *testing.T) {
	s := open(t)
	ctx := t.Context()
	has := func(col string) bool {
		var n int
		if err := s.DB().QueryRowContext(ctx, `SELECT count(*) FROM pg_stats WHERE schemaname = current_schema()
			AND tablename = 'records' AND attname = $1`, col).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n > 0
	}
	// batch imports chunks of rows records each, the nth batch's subjects
	// and document numbers its own.
	batch := func(n, chunks, rows int, severity credit.Severity) *credit.Batch {
		t.Helper()
		b := &credit.Batch{ID: credit.NewID(), Dept: "SAMR-350100", Item: "honour", FileName: "h.csv", Format: "csv",
			Encoding: "utf-8", HeaderStyle: "codes", ContentHash: "statistics" + strconv.Itoa(n), Actor: "cli", StartedAt: time.Now()}
		if err := s.CreateBatch(ctx, b); err != nil {
			t.Fatal(err)
		}
		for seq := 1; seq <= chunks; seq++ {
			subj := credit.Subject{ID: fmt.Sprintf("91350100M%05d%dY4", n*10+seq, seq%10), Kind: credit.Organisation, Name: "统计公司" + strconv.Itoa(seq)}
			c := &credit.Chunk{BatchID: b.ID, Seq: seq, LastRow: seq * rows, Subjects: []credit.Subject{subj}}
			for i := range rows {
				c.Records = append(c.Records, credit.Record{ID: credit.NewID(), SubjectID: subj.ID, Item: "honour", Catalog: "2024.1",
					Fact: credit.Original, Dept: "SAMR-350100", BatchID: b.ID, DocNo: fmt.Sprintf("%d-%d-%d", n, seq, i),
					Severity: severity, Kind: credit.Organisation, Hash: "t"})
			}
			c.Counts.Total, c.Counts.Accepted = rows, rows
			if err := s.CommitChunk(ctx, c); err != nil {
				t.Fatalf("batch %d chunk %d: %v", n, seq, err)
			}
		}
		return b
	}
	counted := func() float64 {
		var n float64
		if err := s.DB().QueryRowContext(ctx, `SELECT reltuples FROM pg_class WHERE oid = 'records'::regclass`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	// severities is how many distinct severities the statistics of every
	// column know (the look-ups' refresh does not sample that column).
	severities := func() float64 {
		var n float64
		if err := s.DB().QueryRowContext(ctx, `SELECT n_distinct FROM pg_stats WHERE schemaname = current_schema()
			AND tablename = 'records' AND attname = 'severity'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	b := batch(1, 3, 100, "一般")
	if !has("doc_no") {
		t.Error("no statistics of records.doc_no during the import")
	}
	if has("severity") {
		t.Error("statistics of records.severity during the import: the import analysed every column")
	}
	if err := s.FinishBatch(ctx, b.ID, credit.BatchDone, "", time.Now()); err != nil {
		t.Fatal(err)
	}
	if !has("severity") {
		t.Error("no statistics of records.severity after the import")
	}
	if got := counted(); got != 300 {
		t.Fatalf("statistics count %v records after the import, want 300", got)
	}
	if got := severities(); got != 1 {
		t.Fatalf("statistics know %v severities after the first import, want 1", got)
	}
	// A small batch beside what the statistics count still refreshes the
	// look-ups' columns at chunks 1 and 2: a new item or document range
	// would otherwise look empty to the planner, and the look-ups would
	// walk every record of the item. It does not refresh every column.
	small := batch(2, 2, 10, "严重")
	if got := counted(); got != 320 {
		t.Errorf("the look-ups' statistics count %v records after a 20-row batch into 300, want 320", got)
	}
	if err := s.FinishBatch(ctx, small.ID, credit.BatchDone, "", time.Now()); err != nil {
		t.Fatal(err)
	}
	if got := severities(); got != 1 {
		t.Errorf("a 20-row batch into 300 records refreshed the statistics of every column (%v severities)", got)
	}
	// One that is a tenth of them does.
	big := batch(3, 2, 40, "严重")
	if err := s.FinishBatch(ctx, big.ID, credit.BatchDone, "", time.Now()); err != nil {
		t.Fatal(err)
	}
	if got := severities(); got != 2 {
		t.Errorf("statistics know %v severities after an 80-row batch into 320, want 2", got)
	}
}
