package postgres

import (
	"context"
	"database/sql"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/store/sqlstore"
)

// CommitChunk writes an import chunk in one transaction on one pgx
// connection, with the records sent by COPY (several times faster than
// multi-row INSERTs for bulk import) and the other statements pipelined.
func (s *Store) CommitChunk(ctx context.Context, c *credit.Chunk) error {
	args, err := s.ChunkRecordArgs(c)
	if err != nil {
		return err
	}
	err = s.CommitChunkWith(ctx, c, args, func(ctx context.Context, fn func(sqlstore.ChunkTx) error) error {
		return s.WithConn(ctx, func(conn *pgx.Conn) error {
			return pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error { return fn(pgChunkTx{tx}) })
		})
	})
	if err == nil && c.Seq&(c.Seq-1) == 0 {
		// A bulk import grows the tables faster than autovacuum refreshes
		// their statistics; planned with the statistics of a near-empty
		// table, the per-chunk look-ups by document number filter the
		// whole (dept, item) range instead of seeking. Refreshing them at
		// chunks 1, 2, 4, 8 ... costs a few sampled reads per doubling.
		// Only the columns those look-ups filter on, from a tenth of the
		// usual sample: the plans need the tables' sizes and a rough
		// count of distinct values, and sorting a full sample of every
		// column (fields, hashes, reasons) was a sixth of the server's
		// CPU in a 100k-row import.
		//
		// This refresh stays however large the table: an item new to a
		// city's millions of records is rare in the statistics until they
		// are refreshed, and the look-ups then walk every record of the
		// item (a penalty file into 5.5M licences ran at a tenth of its
		// rate until this was restored). The full refresh in FinishBatch is
		// for a batch that is a material share of the table.
		material := s.statisticsBehind(ctx, c.LastRow)
		s.analyzeLookups(ctx)
		if c.Seq > 1 && material {
			s.bulk.Store(c.BatchID, true)
		}
	}
	return err
}

// materialGrowth is the share of the records the statistics last counted
// that a batch must have written before FinishBatch refreshes the
// statistics of every column.
const materialGrowth = 0.1

// statisticsBehind reports whether rows written by a batch so far are a
// material share of the records table as its statistics last counted it
// (or the table was never analysed). Advisory like the refresh itself: when
// the count cannot be read, it says yes.
func (s *Store) statisticsBehind(ctx context.Context, rows int) bool {
	var counted float64
	if err := s.DB().QueryRowContext(ctx, `SELECT reltuples FROM pg_class WHERE oid = 'records'::regclass`).Scan(&counted); err != nil {
		return true
	}
	return counted < 0 || float64(rows) >= materialGrowth*counted
}

// analyzeLookups: see CommitChunk. Advisory: a failure plans with the
// statistics there were.
func (s *Store) analyzeLookups(ctx context.Context) {
	tx, err := s.DB().BeginTx(ctx, nil)
	if err != nil {
		return
	}
	defer tx.Rollback() // after Commit, a no-op
	if _, err := tx.ExecContext(ctx, `SET LOCAL default_statistics_target = 10`); err != nil {
		return
	}
	if _, err := tx.ExecContext(ctx, `ANALYZE records (dept, item, doc_no, subject_id), subjects (id, code, id_hash)`); err != nil {
		return
	}
	_ = tx.Commit()
}

// FinishBatch finishes the batch and, after an import of more than one
// chunk that was a material share of the records (materialGrowth),
// refreshes the statistics of every column of the tables it grew,
// which the import itself refreshed only for its look-ups (CommitChunk):
// the pages, lists and reports that read them next are planned with them.
func (s *Store) FinishBatch(ctx context.Context, id string, status credit.BatchStatus, msg string, at time.Time) error {
	if err := s.Store.FinishBatch(ctx, id, status, msg, at); err != nil {
		return err
	}
	if status == credit.BatchRunning { // resumed: its import goes on
		return nil
	}
	if _, grew := s.bulk.LoadAndDelete(id); grew {
		_, _ = s.DB().ExecContext(ctx, `ANALYZE records, subjects`) // advisory, as above
	}
	return nil
}

// oneShot runs a read with an unnamed statement, planned for its actual
// arguments. The bulk reads of an import (IN lists over a table that grows
// from empty while they run) must not reuse a cached generic plan: one made
// while the table was small scans the whole table for ever after.
func (s *Store) oneShot(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	return s.DB().QueryContext(ctx, q, append([]any{pgx.QueryExecModeExec}, args...)...)
}

// LatestByDocs: see oneShot.
func (s *Store) LatestByDocs(ctx context.Context, dept, item string, docNos []string) (map[string]*credit.Record, error) {
	return s.LatestByDocsVia(ctx, s.oneShot, dept, item, docNos)
}

// SubjectsByIDs: see oneShot.
func (s *Store) SubjectsByIDs(ctx context.Context, ids []string) (map[string]*credit.Subject, error) {
	return s.SubjectsByIDsVia(ctx, s.oneShot, ids)
}

// SubjectsByIDHashes: see oneShot.
func (s *Store) SubjectsByIDHashes(ctx context.Context, hashes []string) (map[string]*credit.Subject, error) {
	return s.SubjectsByIDHashesVia(ctx, s.oneShot, hashes)
}

type pgChunkTx struct{ tx pgx.Tx }

func (t pgChunkTx) QueryInt(ctx context.Context, q string, args ...any) (int64, error) {
	var n int64
	err := t.tx.QueryRow(ctx, q, args...).Scan(&n)
	return n, err
}

// InsertChanges sends a chunk's feed entries by COPY, as its records.
func (t pgChunkTx) InsertChanges(ctx context.Context, args []any) error {
	return copyRows(ctx, t.tx, "changes", sqlstore.ChangeColumns(), args)
}

func (t pgChunkTx) Exec(ctx context.Context, q string, args ...any) (int64, error) {
	tag, err := t.tx.Exec(ctx, q, args...)
	if err != nil {
		return 0, err
	}
	return tag.RowsAffected(), nil
}

func (t pgChunkTx) ExecMany(ctx context.Context, q string, argLists [][]any) error {
	var b pgx.Batch
	for _, a := range argLists {
		b.Queue(q, a...)
	}
	return t.tx.SendBatch(ctx, &b).Close()
}

func (t pgChunkTx) InsertRecords(ctx context.Context, args []any) error {
	return copyRows(ctx, t.tx, "records", sqlstore.RecordColumns(), args)
}

// copyRows sends args, len(cols) values per row, into table by COPY.
func copyRows(ctx context.Context, tx pgx.Tx, table string, cols []string, args []any) error {
	n := len(cols)
	rows := make([][]any, 0, len(args)/n)
	for i := 0; i+n <= len(args); i += n {
		rows = append(rows, args[i:i+n])
	}
	_, err := tx.CopyFrom(ctx, pgx.Identifier{table}, cols, pgx.CopyFromRows(rows))
	return err
}

// AppliedFacts: see oneShot (the exchange's keys grow from empty while a
// node catches up).
func (s *Store) AppliedFacts(ctx context.Context, origin string, ids []string) (map[string]bool, error) {
	return s.AppliedFactsVia(ctx, s.oneShot, origin, ids)
}

// AppliedPositions: see oneShot.
func (s *Store) AppliedPositions(ctx context.Context, positions []int64) (map[int64]bool, error) {
	return s.AppliedPositionsVia(ctx, s.oneShot, positions)
}
