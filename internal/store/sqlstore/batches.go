package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"time"

	"github.com/xinyong/xinyong/internal/credit"
)

const batchCols = `id, dept, item, file_name, format, encoding, header_style, content_hash, header,
	unknown_cols, status, error, chunks, last_row, n_total, n_accepted, n_created, n_versioned,
	n_unchanged, n_rejected, n_timed, n_late, n_codes, n_code_errors, n_filled, n_fillable,
	actor, started_at, finished_at, heartbeat_at, n_rejected_unkept`

// CreateBatch stores a new batch.
func (s *Store) CreateBatch(ctx context.Context, b *credit.Batch) error {
	const op = "store.CreateBatch"
	if b == nil || b.ID == "" || b.Dept == "" || b.Item == "" {
		return credit.E(op, credit.Invalid, "batch ID, department and item are required")
	}
	if b.Status == "" {
		b.Status = credit.BatchRunning
	}
	b.StartedAt = stamp(b.StartedAt)
	if b.Status == credit.BatchRunning && b.HeartbeatAt.IsZero() {
		b.HeartbeatAt = b.StartedAt
	}
	header, err := jsonText(b.Header)
	if err != nil {
		return credit.Wrap(op, credit.Invalid, err)
	}
	unknown, err := jsonText(b.Unknown)
	if err != nil {
		return credit.Wrap(op, credit.Invalid, err)
	}
	c := b.Counts
	_, err = s.w.ExecContext(ctx, `INSERT INTO batches (`+batchCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9,
		$10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $28, $29, $30, $31)`,
		b.ID, b.Dept, b.Item, b.FileName, b.Format, b.Encoding, b.HeaderStyle, b.ContentHash, header,
		unknown, string(b.Status), b.Error, b.Chunks, b.LastRow, c.Total, c.Accepted, c.Created, c.Versioned,
		c.Unchanged, c.Rejected, c.Timed, c.Late, c.CodesChecked, c.CodeErrors, c.Filled, c.Fillable,
		b.Actor, b.StartedAt.UnixMicro(), micros(b.FinishedAt), micros(b.HeartbeatAt), c.RejectedNotKept)
	if err != nil {
		if s.kindOf(err) == credit.Exists {
			return credit.E(op, credit.Exists, "batch %s already exists, or a batch of the same file for %s %s does", b.ID, b.Dept, b.Item)
		}
		return s.fail(op, err)
	}
	return nil
}

func scanBatch(row scanner) (*credit.Batch, error) {
	var (
		b                       credit.Batch
		header, unknown, status string
		started                 int64
		finished, heartbeat     sql.NullInt64
	)
	c := &b.Counts
	err := row.Scan(&b.ID, &b.Dept, &b.Item, &b.FileName, &b.Format, &b.Encoding, &b.HeaderStyle,
		&b.ContentHash, &header, &unknown, &status, &b.Error, &b.Chunks, &b.LastRow, &c.Total,
		&c.Accepted, &c.Created, &c.Versioned, &c.Unchanged, &c.Rejected, &c.Timed, &c.Late,
		&c.CodesChecked, &c.CodeErrors, &c.Filled, &c.Fillable, &b.Actor, &started, &finished, &heartbeat, &c.RejectedNotKept)
	if err != nil {
		return nil, err
	}
	b.Status = credit.BatchStatus(status)
	b.StartedAt = time.UnixMicro(started).UTC()
	b.FinishedAt = fromMicros(finished)
	b.HeartbeatAt = fromMicros(heartbeat)
	if err := json.Unmarshal([]byte(header), &b.Header); err != nil {
		return nil, credit.E("store.scanBatch", credit.Internal, "batch %s: header: %w", b.ID, err)
	}
	if err := json.Unmarshal([]byte(unknown), &b.Unknown); err != nil {
		return nil, credit.E("store.scanBatch", credit.Internal, "batch %s: unknown columns: %w", b.ID, err)
	}
	return &b, nil
}

// Batch returns one batch by ID.
func (s *Store) Batch(ctx context.Context, id string) (*credit.Batch, error) {
	const op = "store.Batch"
	b, err := scanBatch(s.r.QueryRowContext(ctx, `SELECT `+batchCols+` FROM batches WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, credit.E(op, credit.NotFound, "batch %q not found", id)
	}
	if err != nil {
		return nil, s.fail(op, err)
	}
	return b, nil
}

// BatchByContent returns the newest batch of dept and item with the hash.
func (s *Store) BatchByContent(ctx context.Context, dept, item, hash string) (*credit.Batch, error) {
	const op = "store.BatchByContent"
	b, err := scanBatch(s.r.QueryRowContext(ctx, `SELECT `+batchCols+` FROM batches
		WHERE dept = $1 AND item = $2 AND content_hash = $3 ORDER BY id DESC LIMIT 1`, dept, item, hash))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, credit.E(op, credit.NotFound, "no batch of %s for item %s with content %s", dept, item, hash)
	}
	if err != nil {
		return nil, s.fail(op, err)
	}
	return b, nil
}

// Batches lists batches, newest first (at most 1000; 100 by default).
func (s *Store) Batches(ctx context.Context, f credit.BatchFilter) ([]credit.Batch, error) {
	const op = "store.Batches"
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	limit = min(limit, 1000)
	var (
		rows *sql.Rows
		err  error
	)
	if f.Dept != "" {
		rows, err = s.r.QueryContext(ctx, `SELECT `+batchCols+` FROM batches WHERE dept = $1 ORDER BY id DESC LIMIT $2`, f.Dept, limit)
	} else {
		rows, err = s.r.QueryContext(ctx, `SELECT `+batchCols+` FROM batches ORDER BY id DESC LIMIT $1`, limit)
	}
	if err != nil {
		return nil, s.fail(op, err)
	}
	defer rows.Close()
	var out []credit.Batch
	for rows.Next() {
		b, err := scanBatch(rows)
		if err != nil {
			return nil, s.fail(op, err)
		}
		out = append(out, *b)
	}
	if err := rows.Err(); err != nil {
		return nil, s.fail(op, err)
	}
	return out, nil
}

// FinishBatch sets the final status of a batch.
func (s *Store) FinishBatch(ctx context.Context, id string, status credit.BatchStatus, msg string, at time.Time) error {
	const op = "store.FinishBatch"
	q, args := `UPDATE batches SET status = $1, error = $2, finished_at = $3 WHERE id = $4`,
		[]any{string(status), msg, stamp(at).UnixMicro(), id}
	if status == credit.BatchRunning { // a resumed batch is unfinished again, and alive
		q, args = `UPDATE batches SET status = $1, error = $2, finished_at = NULL, heartbeat_at = $3 WHERE id = $4`,
			[]any{string(status), msg, time.Now().UnixMicro(), id}
	}
	res, err := s.w.ExecContext(ctx, q, args...)
	if err != nil {
		return s.fail(op, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return credit.E(op, credit.NotFound, "batch %q not found", id)
	}
	return nil
}

// BatchAlive sets a running batch's heartbeat.
func (s *Store) BatchAlive(ctx context.Context, id string, at time.Time) error {
	const op = "store.BatchAlive"
	res, err := s.w.ExecContext(ctx, `UPDATE batches SET heartbeat_at = $1 WHERE id = $2 AND status = 'running'`, stamp(at).UnixMicro(), id)
	if err != nil {
		return s.fail(op, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return credit.E(op, credit.NotFound, "no running batch %q", id)
	}
	return nil
}

// SetBatchUnknown replaces the unknown columns recorded on a batch.
func (s *Store) SetBatchUnknown(ctx context.Context, id string, unknown []string) error {
	const op = "store.SetBatchUnknown"
	text, err := jsonText(unknown)
	if err != nil {
		return credit.Wrap(op, credit.Invalid, err)
	}
	res, err := s.w.ExecContext(ctx, `UPDATE batches SET unknown_cols = $1 WHERE id = $2`, text, id)
	if err != nil {
		return s.fail(op, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return credit.E(op, credit.NotFound, "batch %q not found", id)
	}
	return nil
}

// Rejects returns a batch's rejects in row order.
func (s *Store) Rejects(ctx context.Context, batchID string) ([]credit.Reject, error) {
	const op = "store.Rejects"
	rows, err := s.r.QueryContext(ctx, `SELECT r.row_no, r.field, r.reason, r.reason_zh, COALESCE(w.raw, '')
		FROM batch_rejects r LEFT JOIN batch_reject_rows w ON w.batch_id = r.batch_id AND w.row_no = r.row_no
		WHERE r.batch_id = $1 ORDER BY r.row_no, r.seq`, batchID)
	if err != nil {
		return nil, s.fail(op, err)
	}
	defer rows.Close()
	var out []credit.Reject
	for rows.Next() {
		r := credit.Reject{BatchID: batchID}
		if err := rows.Scan(&r.Row, &r.Field, &r.Reason, &r.ReasonZh, &r.Sealed); err != nil {
			return nil, s.fail(op, err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, s.fail(op, err)
	}
	return out, nil
}

// LatestByDocs returns, per document number, the newest fact dept reported
// for item under that number. Ingest keeps a document's number on every
// version it writes, so the newest fact with the number is the chain's end.
func (s *Store) LatestByDocs(ctx context.Context, dept, item string, docNos []string) (map[string]*credit.Record, error) {
	return s.LatestByDocsVia(ctx, s.r.QueryContext, dept, item, docNos)
}

// Query runs a read query; backends pass their own to the ...Via methods
// (PostgreSQL plans these IN-list reads afresh each time: a cached generic
// plan made while the table was empty would scan it whole ever after).
type Query func(ctx context.Context, query string, args ...any) (*sql.Rows, error)

// LatestByDocsVia is LatestByDocs with reads through query.
func (s *Store) LatestByDocsVia(ctx context.Context, query Query, dept, item string, docNos []string) (map[string]*credit.Record, error) {
	const op = "store.LatestByDocs"
	out := make(map[string]*credit.Record)
	size := min(s.d.MaxParams-2, 500)
	for len(docNos) > 0 {
		n := min(len(docNos), size)
		args := make([]any, 0, n+2)
		args = append(args, dept, item)
		for _, d := range docNos[:n] {
			args = append(args, d)
		}
		q := recordSelect + `WHERE dept = ` + s.d.Placeholder(1) + ` AND item = ` + s.d.Placeholder(2) +
			` AND doc_no IN (` + string(s.placeholders(nil, 3, n)) + `)`
		recs, err := s.queryRecordsVia(ctx, query, q, args...)
		if err != nil {
			return nil, s.fail(op, err)
		}
		for i := range recs {
			r := &recs[i]
			if old, ok := out[r.DocNo]; !ok || old.ID < r.ID {
				out[r.DocNo] = r
			}
		}
		docNos = docNos[n:]
	}
	return out, nil
}

// SubjectsByIDs returns the stored subjects among ids.
func (s *Store) SubjectsByIDs(ctx context.Context, ids []string) (map[string]*credit.Subject, error) {
	return s.SubjectsByIDsVia(ctx, s.r.QueryContext, ids)
}

// SubjectsByIDsVia is SubjectsByIDs with reads through query.
func (s *Store) SubjectsByIDsVia(ctx context.Context, query Query, ids []string) (map[string]*credit.Subject, error) {
	return s.subjectsIn(ctx, query, "store.SubjectsByIDs", "id", ids, func(x *credit.Subject) string { return x.ID })
}

// SubjectsByIDHashes returns the stored persons among hashes, by hash.
func (s *Store) SubjectsByIDHashes(ctx context.Context, hashes []string) (map[string]*credit.Subject, error) {
	return s.SubjectsByIDHashesVia(ctx, s.r.QueryContext, hashes)
}

// SubjectsByIDHashesVia is SubjectsByIDHashes with reads through query.
func (s *Store) SubjectsByIDHashesVia(ctx context.Context, query Query, hashes []string) (map[string]*credit.Subject, error) {
	return s.subjectsIn(ctx, query, "store.SubjectsByIDHashes", "id_hash", hashes, func(x *credit.Subject) string { return x.IDHash })
}

func (s *Store) subjectsIn(ctx context.Context, query Query, op, col string, keys []string, key func(*credit.Subject) string) (map[string]*credit.Subject, error) {
	out := make(map[string]*credit.Subject, len(keys))
	err := s.inChunks(keys, func(list string, args []any) error {
		rows, err := query(ctx, `SELECT `+subjectCols+` FROM subjects WHERE `+col+` IN (`+list+`)`, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			subj, err := scanSubject(rows)
			if err != nil {
				return err
			}
			out[key(subj)] = subj
		}
		return rows.Err()
	})
	if err != nil {
		return nil, s.fail(op, err)
	}
	return out, nil
}

// Quality sums every batch's counts per department.
func (s *Store) Quality(ctx context.Context) ([]credit.DeptQuality, error) {
	const op = "store.Quality"
	rows, err := s.r.QueryContext(ctx, `SELECT dept, count(*), sum(n_total), sum(n_accepted), sum(n_created),
		sum(n_versioned), sum(n_unchanged), sum(n_rejected), sum(n_timed), sum(n_late), sum(n_codes),
		sum(n_code_errors), sum(n_filled), sum(n_fillable), sum(n_rejected_unkept) FROM batches GROUP BY dept ORDER BY dept`)
	if err != nil {
		return nil, s.fail(op, err)
	}
	defer rows.Close()
	var out []credit.DeptQuality
	for rows.Next() {
		var q credit.DeptQuality
		c := &q.Counts
		if err := rows.Scan(&q.Dept, &q.Batches, &c.Total, &c.Accepted, &c.Created, &c.Versioned, &c.Unchanged,
			&c.Rejected, &c.Timed, &c.Late, &c.CodesChecked, &c.CodeErrors, &c.Filled, &c.Fillable, &c.RejectedNotKept); err != nil {
			return nil, s.fail(op, err)
		}
		out = append(out, q)
	}
	if err := rows.Err(); err != nil {
		return nil, s.fail(op, err)
	}
	return out, nil
}

// ChunkTx is the part of a write transaction CommitChunk needs. The
// default runs on database/sql; a backend may supply its own (PostgreSQL
// uses COPY for the records) through CommitChunkWith.
type ChunkTx interface {
	// Exec runs one statement and returns the rows it affected.
	Exec(ctx context.Context, query string, args ...any) (int64, error)
	// ExecMany runs one statement once per argument list.
	ExecMany(ctx context.Context, query string, argLists [][]any) error
	// InsertRecords writes records whose arguments, recordCols per record,
	// are in args.
	InsertRecords(ctx context.Context, args []any) error
	// The chunk's change-feed entries are written through it, last.
	feedTx
}

// ChangeColumns returns the changes table's insert columns, in the order
// ChunkTx.InsertChanges receives them.
func ChangeColumns() []string { return append([]string(nil), changeCols...) }

// RecordColumns returns the records table's insert columns, in the order
// RecordArgs encodes them.
func RecordColumns() []string { return append([]string(nil), recordCols...) }

// RecordArgs appends the insert arguments of r (see RecordColumns).
func RecordArgs(args []any, r *credit.Record) ([]any, error) { return recordArgs(args, r) }

const upsertSubjectSQL = `INSERT INTO subjects (id, kind, code, name, former_names, org_type, region, legal_rep, status,
			registered_on, code_flag, id_cipher, id_hash, id_masked, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
		ON CONFLICT (id) DO UPDATE SET
			kind = excluded.kind, code = excluded.code, name = excluded.name,
			former_names = excluded.former_names, org_type = excluded.org_type,
			region = excluded.region, legal_rep = excluded.legal_rep, status = excluded.status,
			registered_on = excluded.registered_on, code_flag = excluded.code_flag,
			id_cipher = excluded.id_cipher, id_hash = excluded.id_hash,
			id_masked = excluded.id_masked, updated_at = excluded.updated_at`

const (
	insertRejectSQL    = `INSERT INTO batch_rejects (batch_id, row_no, seq, field, reason, reason_zh) VALUES ($1, $2, $3, $4, $5, $6)`
	insertRejectRowSQL = `INSERT INTO batch_reject_rows (id, batch_id, row_no, raw) VALUES ($1, $2, $3, $4)`
)

// CommitChunk writes a chunk in one database/sql transaction.
func (s *Store) CommitChunk(ctx context.Context, c *credit.Chunk) error {
	args, err := s.chunkRecordArgs(c)
	if err != nil {
		return err
	}
	stmts, err := s.prepareInserts(ctx, len(c.Records))
	if err != nil {
		return s.fail("store.CommitChunk", err)
	}
	feed, err := s.feedStmts(ctx, len(c.Records)+len(c.Subjects))
	if err != nil {
		return s.fail("store.CommitChunk", err)
	}
	return s.CommitChunkWith(ctx, c, args, func(ctx context.Context, fn func(ChunkTx) error) error {
		return s.inTx(ctx, func(tx *sql.Tx) error {
			return fn(&sqlChunkTx{s: s, tx: tx, stmts: stmts, sqlFeedTx: sqlFeedTx{tx: tx, s: s, stmts: feed}})
		})
	})
}

// EncodeFields encodes a record's fields as the store keeps them, for
// Chunk.FieldsJSON.
func EncodeFields(f credit.Fields) (string, error) { return string(appendFieldsJSON(nil, f)), nil }

// fieldsCol is the position of the fields column in recordCols.
var fieldsCol = slices.Index(recordCols, "fields")

func (s *Store) chunkRecordArgs(c *credit.Chunk) ([]any, error) {
	pre := len(c.FieldsJSON) == len(c.Records) && fieldsCol >= 0
	if len(c.FieldsJSON) != 0 && !pre {
		return nil, credit.E("store.CommitChunk", credit.Invalid, "chunk has %d encoded field sets for %d records", len(c.FieldsJSON), len(c.Records))
	}
	args := make([]any, 0, len(c.Records)*len(recordCols))
	for i := range c.Records {
		r := &c.Records[i]
		if r.ID == "" || r.SubjectID == "" || r.Item == "" {
			return nil, credit.E("store.CommitChunk", credit.Invalid, "record %d (%q): ID, subject ID and item are required", i, r.ID)
		}
		var err error
		if pre {
			rr := *r
			rr.Fields = nil
			n := len(args)
			if args, err = recordArgs(args, &rr); err == nil {
				args[n+fieldsCol] = c.FieldsJSON[i]
			}
		} else {
			args, err = recordArgs(args, r)
		}
		if err != nil {
			return nil, credit.E("store.CommitChunk", credit.Invalid, "record %s: fields: %w", r.ID, err)
		}
	}
	return args, nil
}

// ChunkRecordArgs encodes a chunk's records for CommitChunkWith.
func (s *Store) ChunkRecordArgs(c *credit.Chunk) ([]any, error) { return s.chunkRecordArgs(c) }

// CommitChunkWith writes a chunk through run, which must run fn in one
// transaction and commit only if fn returns nil. recordArgs are the
// chunk's records encoded by ChunkRecordArgs.
func (s *Store) CommitChunkWith(ctx context.Context, c *credit.Chunk, recordArgs []any, run func(ctx context.Context, fn func(ChunkTx) error) error) error {
	const op = "store.CommitChunk"
	if c == nil || c.BatchID == "" || c.Seq < 1 {
		return credit.E(op, credit.Invalid, "chunk: batch ID and a sequence number ≥ 1 are required")
	}
	subjArgs := make([][]any, 0, len(c.Subjects))
	for i := range c.Subjects {
		subj := &c.Subjects[i]
		if subj.ID == "" || !subj.Kind.Valid() {
			return credit.E(op, credit.Invalid, "chunk subject %q: ID and a known kind are required", subj.ID)
		}
		former, err := jsonText(subj.FormerNames)
		if err != nil {
			return credit.Wrap(op, credit.Invalid, err)
		}
		created, updated := stamp(subj.CreatedAt), stamp(subj.UpdatedAt)
		subjArgs = append(subjArgs, []any{subj.ID, string(subj.Kind), subj.Code, subj.Name, former, subj.OrgType, subj.Region,
			subj.LegalRep, subj.Status, micros(subj.RegisteredOn), subj.CodeFlag,
			nullBytes(subj.IDCipher), nullText(subj.IDHash), subj.IDMasked,
			created.UnixMicro(), updated.UnixMicro()})
	}
	rejArgs := make([][]any, 0, len(c.Rejects))
	var rowArgs [][]any
	seq := map[int]int{}
	for _, r := range c.Rejects {
		if seq[r.Row] == 0 {
			raw := r.Sealed
			if raw == "" {
				var err error
				if raw, err = jsonText(r.Raw); err != nil {
					return credit.Wrap(op, credit.Invalid, err)
				}
			}
			rowArgs = append(rowArgs, []any{c.BatchID + ":" + strconv.Itoa(r.Row), c.BatchID, r.Row, raw})
		}
		rejArgs = append(rejArgs, []any{c.BatchID, r.Row, seq[r.Row], r.Field, r.Reason, r.ReasonZh})
		seq[r.Row]++
	}
	k := c.Counts
	now := time.Now().UnixMicro()
	err := run(ctx, func(tx ChunkTx) error {
		n, err := tx.Exec(ctx, `UPDATE batches SET chunks = $1, last_row = $2,
			n_total = n_total + $3, n_accepted = n_accepted + $4, n_created = n_created + $5,
			n_versioned = n_versioned + $6, n_unchanged = n_unchanged + $7, n_rejected = n_rejected + $8,
			n_timed = n_timed + $9, n_late = n_late + $10, n_codes = n_codes + $11,
			n_code_errors = n_code_errors + $12, n_filled = n_filled + $13, n_fillable = n_fillable + $14,
			heartbeat_at = $17, n_rejected_unkept = n_rejected_unkept + $18
			WHERE id = $15 AND chunks = $16 AND status = 'running'`,
			c.Seq, c.LastRow, k.Total, k.Accepted, k.Created, k.Versioned, k.Unchanged, k.Rejected,
			k.Timed, k.Late, k.CodesChecked, k.CodeErrors, k.Filled, k.Fillable, c.BatchID, c.Seq-1, now, k.RejectedNotKept)
		if err != nil {
			return err
		}
		if n != 1 {
			return credit.E(op, credit.Conflict, "batch %s: chunk %d is not the next chunk of a running batch (committed elsewhere, or the batch is finished)", c.BatchID, c.Seq)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO batch_chunks (batch_id, seq, last_row, records, rejects, committed_at)
			VALUES ($1, $2, $3, $4, $5, $6)`, c.BatchID, c.Seq, c.LastRow, len(c.Records), len(c.Rejects), now); err != nil {
			return err
		}
		if len(subjArgs) > 0 {
			if err := tx.ExecMany(ctx, upsertSubjectSQL, subjArgs); err != nil {
				return err
			}
		}
		if len(recordArgs) > 0 {
			if err := tx.InsertRecords(ctx, recordArgs); err != nil {
				return err
			}
		}
		if len(rejArgs) > 0 {
			if err := tx.ExecMany(ctx, insertRejectSQL, rejArgs); err != nil {
				return err
			}
			if err := tx.ExecMany(ctx, insertRejectRowSQL, rowArgs); err != nil {
				return err
			}
		}
		cs := make([]change, 0, len(c.Subjects)+len(c.Records))
		for i := range c.Subjects {
			cs = append(cs, change{kind: credit.ChangeSubject, ref: c.Subjects[i].ID, subj: c.Subjects[i].ID})
		}
		cs = append(cs, recordChanges(c.Records)...)
		_, err = writeChanges(ctx, tx, cs, time.UnixMicro(now))
		return err
	})
	return s.fail(op, err)
}

type sqlChunkTx struct {
	s     *Store
	tx    *sql.Tx
	stmts map[int]*sql.Stmt
	sqlFeedTx
}

func (t *sqlChunkTx) Exec(ctx context.Context, q string, args ...any) (int64, error) {
	res, err := t.tx.ExecContext(ctx, q, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

func (t *sqlChunkTx) ExecMany(ctx context.Context, q string, argLists [][]any) error {
	st, err := t.tx.PrepareContext(ctx, q)
	if err != nil {
		return err
	}
	defer st.Close()
	for _, a := range argLists {
		if _, err := st.ExecContext(ctx, a...); err != nil {
			return err
		}
	}
	return nil
}

func (t *sqlChunkTx) InsertRecords(ctx context.Context, args []any) error {
	return t.s.insertRecords(ctx, t.tx, args, t.stmts)
}

func (s *Store) queryRecordsVia(ctx context.Context, query Query, q string, args ...any) ([]credit.Record, error) {
	rows, err := query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []credit.Record
	for rows.Next() {
		r, err := scanRecord(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *r)
	}
	return out, rows.Err()
}
