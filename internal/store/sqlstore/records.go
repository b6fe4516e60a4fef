package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"slices"

	"github.com/xinyong/xinyong/internal/credit"
)

// recordCols is the insert column order; recordArgs must follow it.
var recordCols = []string{
	"id", "subject_id", "item", "catalog_version", "fact", "supersedes", "dept", "batch_id",
	"doc_no", "decided_on", "received_at", "severity", "fields", "reason", "hash", "subject_kind",
}

const recordSelect = `SELECT id, subject_id, item, catalog_version, fact, COALESCE(supersedes, ''), dept,
	batch_id, doc_no, decided_on, received_at, severity, fields, reason, hash, subject_kind FROM records `

func (s *Store) insertRecordsSQL(rows int) string {
	return s.multiInsert("records", recordCols, rows)
}

// insertStmt returns the prepared INSERT for rows records, preparing it on
// first use.
func (s *Store) insertStmt(ctx context.Context, rows int) (*sql.Stmt, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if st, ok := s.inserts[rows]; ok {
		return st, nil
	}
	st, err := s.w.PrepareContext(ctx, s.insertRecordsSQL(rows))
	if err != nil {
		return nil, err
	}
	s.inserts[rows] = st
	return st, nil
}

func recordArgs(args []any, r *credit.Record) ([]any, error) {
	fields, err := jsonText(r.Fields)
	if err != nil {
		return nil, err
	}
	return append(args, r.ID, r.SubjectID, r.Item, r.Catalog, string(r.Fact), nullText(r.Supersedes),
		r.Dept, r.BatchID, r.DocNo, micros(r.DecidedOn), micros(r.Received), string(r.Severity),
		fields, r.Reason, r.Hash, string(r.Kind)), nil
}

// AppendRecords writes facts atomically: all or none.
//
// Checks, all inside the write transaction so they see what the insert will
// see: every record has an ID, a subject and an item; the subject exists
// (Invalid otherwise); a correction or revocation names a record of the same
// subject that is already stored or comes earlier in recs (Conflict
// otherwise). A correction must also sort after the fact it supersedes,
// because credit.Derive applies facts in ID order and would silently drop
// one that sorts first.
//
// Rows go in with multi-row INSERTs of a few hundred rows each, which is
// what makes bulk import fast on both backends.
func (s *Store) AppendRecords(ctx context.Context, recs []credit.Record) error {
	const op = "store.AppendRecords"
	if len(recs) == 0 {
		return nil
	}
	index := make(map[string]int, len(recs)) // record ID -> position in recs
	var subjects, targets []string
	seenSubject := make(map[string]bool)
	seenTarget := make(map[string]bool)
	for i := range recs {
		r := &recs[i]
		if r.ID == "" || r.SubjectID == "" || r.Item == "" {
			return credit.E(op, credit.Invalid, "record %d (%q): ID, subject ID and item are required", i, r.ID)
		}
		if _, dup := index[r.ID]; dup {
			return credit.E(op, credit.Exists, "record %s appears twice in the batch", r.ID)
		}
		switch r.Fact {
		case credit.Original, "":
			if r.Supersedes != "" {
				return credit.E(op, credit.Invalid, "record %s: an original fact cannot supersede %s", r.ID, r.Supersedes)
			}
		case credit.Correction, credit.Revocation:
			if r.Supersedes == "" {
				return credit.E(op, credit.Conflict, "record %s: a %s must name the record it supersedes", r.ID, r.Fact)
			}
			if r.Supersedes >= r.ID {
				return credit.E(op, credit.Conflict, "record %s: a %s must be newer than the record %s it supersedes", r.ID, r.Fact, r.Supersedes)
			}
			if j, ok := index[r.Supersedes]; ok {
				if recs[j].SubjectID != r.SubjectID {
					return credit.E(op, credit.Conflict, "record %s supersedes %s, which belongs to another subject", r.ID, r.Supersedes)
				}
			} else if !seenTarget[r.Supersedes] {
				seenTarget[r.Supersedes] = true
				targets = append(targets, r.Supersedes)
			}
		default:
			return credit.E(op, credit.Invalid, "record %s: unknown fact kind %q", r.ID, r.Fact)
		}
		index[r.ID] = i
		if !seenSubject[r.SubjectID] {
			seenSubject[r.SubjectID] = true
			subjects = append(subjects, r.SubjectID)
		}
	}
	// A target named by a later record in the slice is not "earlier in the
	// slice": it was recorded as an outside target above. Catch it here,
	// where the whole slice is known, so the message says what is wrong.
	for _, t := range targets {
		if j, ok := index[t]; ok {
			return credit.E(op, credit.Conflict, "record %s is superseded by a record that comes before it in the batch", recs[j].ID)
		}
	}

	// Encode outside the transaction: SQLite has one writer, so time spent
	// holding it should be time spent writing.
	args := make([]any, 0, len(recs)*len(recordCols))
	for i := range recs {
		var err error
		if args, err = recordArgs(args, &recs[i]); err != nil {
			return credit.E(op, credit.Invalid, "record %s: fields: %w", recs[i].ID, err)
		}
	}

	stmts, err := s.prepareInserts(ctx, len(recs))
	if err != nil {
		return s.fail(op, err)
	}
	_, err = s.inFeedTx(ctx, len(recs), func(tx *sql.Tx) ([]change, error) {
		if err := s.checkSubjects(ctx, tx, op, subjects, ""); err != nil {
			return nil, err
		}
		if err := s.checkTargets(ctx, tx, op, recs, index, targets); err != nil {
			return nil, err
		}
		return recordChanges(recs), s.insertRecords(ctx, tx, args, stmts)
	})
	if err == nil {
		return nil
	}
	if s.kindOf(err) == credit.Exists {
		return s.duplicateRecord(ctx, op, recs, err)
	}
	return s.fail(op, err)
}

// inChunks runs fn over ids in pieces small enough for one IN (...) list,
// each ID once: an ID named in two pieces would have its rows read, and
// gathered by the callers, twice.
func (s *Store) inChunks(ids []string, fn func(sqlList string, args []any) error) error {
	size := min(s.d.MaxParams, 500)
	if len(ids) > 1 {
		seen := make(map[string]bool, len(ids))
		unique := make([]string, 0, len(ids))
		for _, id := range ids {
			if !seen[id] {
				seen[id] = true
				unique = append(unique, id)
			}
		}
		ids = unique
	}
	for len(ids) > 0 {
		n := min(len(ids), size)
		args := make([]any, n)
		for i, id := range ids[:n] {
			args[i] = id
		}
		if err := fn(string(s.placeholders(nil, 1, n)), args); err != nil {
			return err
		}
		ids = ids[n:]
	}
	return nil
}

// checkSubjects refuses (Invalid) when a subject of ids does not exist.
// lock is appended to the query (the dialect's ForKeyShare, or "").
func (s *Store) checkSubjects(ctx context.Context, tx *sql.Tx, op string, ids []string, lock string) error {
	found := make(map[string]bool, len(ids))
	err := s.inChunks(ids, func(list string, args []any) error {
		rows, err := tx.QueryContext(ctx, `SELECT id FROM subjects WHERE id IN (`+list+`)`+lock, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				return err
			}
			found[id] = true
		}
		return rows.Err()
	})
	if err != nil {
		return err
	}
	for _, id := range ids {
		if !found[id] {
			return credit.E(op, credit.Invalid, "subject %q does not exist", id)
		}
	}
	return nil
}

func (s *Store) checkTargets(ctx context.Context, tx *sql.Tx, op string, recs []credit.Record, index map[string]int, targets []string) error {
	if len(targets) == 0 {
		return nil
	}
	owner := make(map[string]string, len(targets)) // target ID -> subject ID
	err := s.inChunks(targets, func(list string, args []any) error {
		rows, err := tx.QueryContext(ctx, `SELECT id, subject_id FROM records WHERE id IN (`+list+`)`, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id, subj string
			if err := rows.Scan(&id, &subj); err != nil {
				return err
			}
			owner[id] = subj
		}
		return rows.Err()
	})
	if err != nil {
		return err
	}
	for i := range recs {
		r := &recs[i]
		if r.Supersedes == "" {
			continue
		}
		if _, inBatch := index[r.Supersedes]; inBatch {
			continue // checked before the transaction
		}
		subj, ok := owner[r.Supersedes]
		if !ok {
			return credit.E(op, credit.Conflict, "record %s supersedes %s, which does not exist", r.ID, r.Supersedes)
		}
		if subj != r.SubjectID {
			return credit.E(op, credit.Conflict, "record %s supersedes %s, which belongs to another subject", r.ID, r.Supersedes)
		}
	}
	return nil
}

// insertSizes are the statement sizes, in records, that a slice of n
// records is cut into: full batches, then 16s, then singles. Every
// statement is thus one of at most three cached prepared ones, whatever
// the length of the slice.
func (s *Store) insertSizes(n int) []int {
	var sizes []int
	for _, size := range []int{s.recordRows, 16, 1} {
		if size <= s.recordRows && n >= size && !slices.Contains(sizes, size) {
			sizes = append(sizes, size)
			n %= size
		}
	}
	return sizes
}

// prepareInserts gets the prepared statements for n records. It must run
// before the write transaction starts: on SQLite the transaction holds the
// only write connection, which preparing on the pool would wait for.
func (s *Store) prepareInserts(ctx context.Context, n int) (map[int]*sql.Stmt, error) {
	out := make(map[int]*sql.Stmt)
	for _, size := range s.insertSizes(n) {
		st, err := s.insertStmt(ctx, size)
		if err != nil {
			return nil, err
		}
		out[size] = st
	}
	return out, nil
}

func (s *Store) insertRecords(ctx context.Context, tx *sql.Tx, args []any, stmts map[int]*sql.Stmt) error {
	cols := len(recordCols)
	for _, size := range s.insertSizes(len(args) / cols) {
		txst := tx.StmtContext(ctx, stmts[size])
		for len(args) >= size*cols {
			if _, err := txst.ExecContext(ctx, args[:size*cols]...); err != nil {
				txst.Close()
				return err
			}
			args = args[size*cols:]
		}
		if err := txst.Close(); err != nil {
			return err
		}
	}
	return nil
}

// duplicateRecord names a record of recs that is already stored, after a
// unique violation rolled the batch back. The lookup runs outside the
// failed transaction, which PostgreSQL has aborted.
func (s *Store) duplicateRecord(ctx context.Context, op string, recs []credit.Record, cause error) error {
	ids := make([]string, len(recs))
	for i := range recs {
		ids[i] = recs[i].ID
	}
	var dup string
	errFound := errors.New("found")
	err := s.inChunks(ids, func(list string, args []any) error {
		err := s.r.QueryRowContext(ctx, `SELECT id FROM records WHERE id IN (`+list+`) LIMIT 1`, args...).Scan(&dup)
		if err == nil {
			return errFound
		}
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		return err
	})
	if errors.Is(err, errFound) {
		return credit.E(op, credit.Exists, "record %s already exists", dup)
	}
	return s.fail(op, cause)
}

// Record returns one fact by ID.
func (s *Store) Record(ctx context.Context, id string) (*credit.Record, error) {
	const op = "store.Record"
	r, err := scanRecord(s.r.QueryRowContext(ctx, recordSelect+`WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, credit.E(op, credit.NotFound, "record %q not found", id)
	}
	if err != nil {
		return nil, s.fail(op, err)
	}
	return r, nil
}

// RecordsByIDs returns the stored facts among ids, by ID.
func (s *Store) RecordsByIDs(ctx context.Context, ids []string) (map[string]*credit.Record, error) {
	const op = "store.RecordsByIDs"
	out := make(map[string]*credit.Record, len(ids))
	err := s.inChunks(ids, func(list string, args []any) error {
		recs, err := s.queryRecords(ctx, recordSelect+`WHERE id IN (`+list+`)`, args...)
		for i := range recs {
			out[recs[i].ID] = &recs[i]
		}
		return err
	})
	if err != nil {
		return nil, s.fail(op, err)
	}
	return out, nil
}

// RecordsBySubjects returns the facts of many subjects, each subject's
// oldest first.
func (s *Store) RecordsBySubjects(ctx context.Context, subjectIDs []string) (map[string][]credit.Record, error) {
	const op = "store.RecordsBySubjects"
	out := make(map[string][]credit.Record, len(subjectIDs))
	err := s.inChunks(subjectIDs, func(list string, args []any) error {
		recs, err := s.queryRecords(ctx, recordSelect+`WHERE subject_id IN (`+list+`) ORDER BY subject_id, id`, args...)
		for _, r := range recs {
			out[r.SubjectID] = append(out[r.SubjectID], r)
		}
		return err
	})
	if err != nil {
		return nil, s.fail(op, err)
	}
	return out, nil
}

// RecordsBySubject returns every fact of a subject, oldest first (ID order,
// which is time order for UUIDv7). An unknown subject has no facts.
func (s *Store) RecordsBySubject(ctx context.Context, subjectID string) ([]credit.Record, error) {
	const op = "store.RecordsBySubject"
	out, err := s.queryRecords(ctx, recordSelect+`WHERE subject_id = $1 ORDER BY id`, subjectID)
	if err != nil {
		return nil, s.fail(op, err)
	}
	return out, nil
}

// LatestByDoc returns the newest fact of the chain that dept reported for
// item under docNo. A correction or revocation may carry a different
// document number (the revoking decision's own), so the chain is not found
// by document number alone: the newest fact with that number locates the
// chain, and the subject's facts, folded by credit.Derive, give its end.
func (s *Store) LatestByDoc(ctx context.Context, dept, item, docNo string) (*credit.Record, error) {
	const op = "store.LatestByDoc"
	hit, err := scanRecord(s.r.QueryRowContext(ctx,
		recordSelect+`WHERE dept = $1 AND item = $2 AND doc_no = $3 ORDER BY id DESC LIMIT 1`, dept, item, docNo))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, credit.E(op, credit.NotFound, "no record from department %q for item %q with document number %q", dept, item, docNo)
	}
	if err != nil {
		return nil, s.fail(op, err)
	}
	facts, err := s.queryRecords(ctx, recordSelect+`WHERE subject_id = $1 ORDER BY id`, hit.SubjectID)
	if err != nil {
		return nil, s.fail(op, err)
	}
	for _, st := range credit.Derive(facts) {
		for _, f := range st.History {
			if f.ID == hit.ID {
				last := st.History[len(st.History)-1]
				return &last, nil
			}
		}
	}
	// Only reachable if the chain was cut, which the store never writes.
	return hit, nil
}

// CountRecords returns how many facts are stored.
func (s *Store) CountRecords(ctx context.Context) (int, error) {
	var n int
	if err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM records`).Scan(&n); err != nil {
		return 0, s.fail("store.CountRecords", err)
	}
	return n, nil
}

func (s *Store) queryRecords(ctx context.Context, query string, args ...any) ([]credit.Record, error) {
	return s.queryRecordsVia(ctx, s.r.QueryContext, query, args...)
}

func scanRecord(row scanner) (*credit.Record, error) {
	var (
		r                    credit.Record
		fact, severity, kind string
		fields               string
		decided, received    sql.NullInt64
	)
	err := row.Scan(&r.ID, &r.SubjectID, &r.Item, &r.Catalog, &fact, &r.Supersedes, &r.Dept,
		&r.BatchID, &r.DocNo, &decided, &received, &severity, &fields, &r.Reason, &r.Hash, &kind)
	if err != nil {
		return nil, err
	}
	r.Fact, r.Severity, r.Kind = credit.FactKind(fact), credit.Severity(severity), credit.SubjectKind(kind)
	r.DecidedOn, r.Received = fromMicros(decided), fromMicros(received)
	if err := json.Unmarshal([]byte(fields), &r.Fields); err != nil {
		return nil, credit.E("store.scanRecord", credit.Internal, "record %s: fields: %w", r.ID, err)
	}
	return &r, nil
}

// recordChanges are the feed entries of recs.
func recordChanges(recs []credit.Record) []change {
	cs := make([]change, len(recs))
	for i := range recs {
		cs[i] = change{kind: credit.ChangeRecord, ref: recs[i].ID, subj: recs[i].SubjectID, tg: recs[i].Item}
	}
	return cs
}
