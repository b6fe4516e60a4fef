package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/xinyong/xinyong/internal/credit"
)

// inSeqTx runs fn in a write transaction for a row that carries its
// feed position as its seq (verification marks, name decisions; list
// events take theirs the same way in appendListEvents): the position is
// taken first, which also serialises every check fn makes against
// concurrent writers (the head row stays locked until the transaction
// ends), then fn writes the row, then the feed entry.
//
// Every other writer of facts takes the head last, after its row locks;
// this one takes it before fn's writes, so fn must not wait on a row lock
// another writer may hold while that writer waits for the head (list
// events, whose insert references a subject, lock it first: see
// appendListEvents).
func (s *Store) inSeqTx(ctx context.Context, c change, at time.Time, fn func(tx *sql.Tx, pos int64) error) (int64, error) {
	stmts, err := s.feedStmts(ctx, 1)
	if err != nil {
		return 0, err
	}
	var pos int64
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		ftx := sqlFeedTx{tx: tx, s: s, stmts: stmts}
		var err error
		if pos, err = takePositions(ctx, ftx, 1); err != nil {
			return err
		}
		if err := fn(tx, pos); err != nil {
			return err
		}
		return ftx.InsertChanges(ctx, []any{pos, string(c.kind), c.ref, c.subj, c.tg, stamp(at).UnixMicro()})
	})
	return pos, err
}

const listEventCols = `id, seq, entry_id, list_code, subject_id, step, actor, dept, at, doc_no, detail`

// listEventColumns are listEventCols one by one, for multiInsert.
var listEventColumns = strings.Split(listEventCols, ", ")

// AppendListEvent writes one list event if the entry has not moved on
// since prevSeq: AppendListEvents of one.
func (s *Store) AppendListEvent(ctx context.Context, e *credit.ListEvent, prevSeq int64) error {
	return s.appendListEvents(ctx, "store.AppendListEvent", []*credit.ListEvent{e}, []int64{prevSeq})
}

// AppendListEvents writes events in one transaction, each as
// AppendListEvent would with prevSeqs[i], at consecutive feed positions in
// the order given: nothing is written if any entry has moved on (Conflict;
// Exists for a new entry that exists), any subject is unknown (Invalid), or
// two events are of one entry.
func (s *Store) AppendListEvents(ctx context.Context, es []*credit.ListEvent, prevSeqs []int64) error {
	return s.appendListEvents(ctx, "store.AppendListEvents", es, prevSeqs)
}

func (s *Store) appendListEvents(ctx context.Context, op string, es []*credit.ListEvent, prevSeqs []int64) error {
	if len(es) != len(prevSeqs) {
		return credit.E(op, credit.Invalid, "%d list events with %d predecessors", len(es), len(prevSeqs))
	}
	if len(es) == 0 {
		return nil
	}
	entries := make([]string, 0, len(es))
	var subjects []string
	entrySeen, subjSeen := make(map[string]bool, len(es)), make(map[string]bool, len(es))
	details := make([]string, len(es))
	ats := make([]time.Time, len(es))
	for i, e := range es {
		if e == nil || e.ID == "" || e.EntryID == "" || e.List == "" || e.SubjectID == "" || e.Step == "" {
			return credit.E(op, credit.Invalid, "list event %d: ID, entry, list, subject and step are required", i)
		}
		if entrySeen[e.EntryID] {
			return credit.E(op, credit.Invalid, "list entry %s has two events in one append", e.EntryID)
		}
		entrySeen[e.EntryID] = true
		entries = append(entries, e.EntryID)
		if !subjSeen[e.SubjectID] {
			subjSeen[e.SubjectID] = true
			subjects = append(subjects, e.SubjectID)
		}
		d, err := jsonText(e.Detail)
		if err != nil {
			return credit.E(op, credit.Invalid, "list event %s: %w", e.ID, err)
		}
		details[i], ats[i] = d, stamp(e.At)
	}
	stmts, err := s.feedStmts(ctx, len(es))
	if err != nil {
		return s.fail(op, err)
	}
	var first int64
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		// The subjects are locked before the feed position is taken (see
		// inSeqTx).
		if err := s.checkSubjects(ctx, tx, op, subjects, s.d.ForKeyShare); err != nil {
			return err
		}
		last := make(map[string]int64, len(entries))
		err := s.inChunks(entries, func(list string, args []any) error {
			rows, err := tx.QueryContext(ctx, `SELECT entry_id, max(seq) FROM list_events WHERE entry_id IN (`+list+`) GROUP BY entry_id`, args...)
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				var id string
				var seq int64
				if err := rows.Scan(&id, &seq); err != nil {
					return err
				}
				last[id] = seq
			}
			return rows.Err()
		})
		if err != nil {
			return err
		}
		for i, e := range es {
			if got := last[e.EntryID]; got != prevSeqs[i] {
				if prevSeqs[i] == 0 {
					return credit.E(op, credit.Exists, "list entry %s already exists", e.EntryID)
				}
				return credit.Say(op, credit.Conflict, "名单条目%s已有变化（版本%d，应为%d）：请刷新后重试", "list entry %s changed meanwhile (version %d, expected %d): reload it and try again", e.EntryID, got, prevSeqs[i])
			}
		}
		ftx := sqlFeedTx{tx: tx, s: s, stmts: stmts}
		if first, err = takePositions(ctx, ftx, len(es)); err != nil {
			return err
		}
		cols := listEventColumns
		per := s.rowsPerInsert(len(cols))
		changes := make([]any, 0, len(es)*len(changeCols))
		for start := 0; start < len(es); start += per {
			part := es[start:min(start+per, len(es))]
			args := make([]any, 0, len(part)*len(cols))
			for j, e := range part {
				i := start + j
				seq := first + int64(i)
				args = append(args, e.ID, seq, e.EntryID, e.List, e.SubjectID, string(e.Step), e.Actor, e.Dept, ats[i].UnixMicro(), e.DocNo, details[i])
				changes = append(changes, seq, string(credit.ChangeListEvent), e.ID, e.SubjectID, e.List, ats[i].UnixMicro())
			}
			if _, err := tx.ExecContext(ctx, s.multiInsert("list_events", cols, len(part)), args...); err != nil {
				return err
			}
		}
		return ftx.InsertChanges(ctx, changes)
	})
	if err != nil {
		return s.fail(op, err)
	}
	for i, e := range es {
		e.Seq, e.At = first+int64(i), ats[i]
	}
	return nil
}

// ListEvents returns events after a data version.
func (s *Store) ListEvents(ctx context.Context, after int64, limit int) ([]credit.ListEvent, error) {
	q := `SELECT ` + listEventCols + ` FROM list_events WHERE seq > $1 ORDER BY seq`
	args := []any{after}
	if limit > 0 {
		q += ` LIMIT $2`
		args = append(args, limit)
	}
	return s.queryListEvents(ctx, "store.ListEvents", q, args...)
}

// EntryEvents returns one entry's events.
func (s *Store) EntryEvents(ctx context.Context, entryID string) ([]credit.ListEvent, error) {
	return s.queryListEvents(ctx, "store.EntryEvents", `SELECT `+listEventCols+` FROM list_events WHERE entry_id = $1 ORDER BY seq`, entryID)
}

// SubjectListEvents returns a subject's list events.
func (s *Store) SubjectListEvents(ctx context.Context, subjectID string) ([]credit.ListEvent, error) {
	return s.queryListEvents(ctx, "store.SubjectListEvents", `SELECT `+listEventCols+` FROM list_events WHERE subject_id = $1 ORDER BY seq`, subjectID)
}

// ListEventsBySubjects returns the list events of subjects, by subject,
// each subject's in seq order.
func (s *Store) ListEventsBySubjects(ctx context.Context, subjectIDs []string) (map[string][]credit.ListEvent, error) {
	const op = "store.ListEventsBySubjects"
	out := make(map[string][]credit.ListEvent, len(subjectIDs))
	err := s.inChunks(subjectIDs, func(list string, args []any) error {
		evs, err := s.queryListEvents(ctx, op, `SELECT `+listEventCols+` FROM list_events WHERE subject_id IN (`+list+`) ORDER BY seq`, args...)
		for _, e := range evs {
			out[e.SubjectID] = append(out[e.SubjectID], e)
		}
		return err
	})
	if err != nil {
		return nil, s.fail(op, err)
	}
	return out, nil
}

func (s *Store) queryListEvents(ctx context.Context, op, q string, args ...any) ([]credit.ListEvent, error) {
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, s.fail(op, err)
	}
	defer rows.Close()
	var out []credit.ListEvent
	for rows.Next() {
		var (
			e      credit.ListEvent
			step   string
			at     int64
			detail string
		)
		if err := rows.Scan(&e.ID, &e.Seq, &e.EntryID, &e.List, &e.SubjectID, &step, &e.Actor, &e.Dept, &at, &e.DocNo, &detail); err != nil {
			return nil, s.fail(op, err)
		}
		e.Step = credit.ListStep(step)
		e.At = fromMicros(sql.NullInt64{Int64: at, Valid: true})
		if err := json.Unmarshal([]byte(detail), &e.Detail); err != nil {
			return nil, credit.E(op, credit.Internal, "list event %s: detail: %w", e.ID, err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, s.fail(op, err)
	}
	return out, nil
}

// AppendVerification writes a verification mark.
func (s *Store) AppendVerification(ctx context.Context, m *credit.VerificationMark) error {
	const op = "store.AppendVerification"
	if m == nil || m.ID == "" || m.TargetID == "" {
		return credit.E(op, credit.Invalid, "verification mark: ID and target are required")
	}
	if m.TargetKind != credit.VerifyRecord && m.TargetKind != credit.VerifyEntry {
		return credit.E(op, credit.Invalid, "verification mark: target kind must be %q or %q, not %q", credit.VerifyRecord, credit.VerifyEntry, m.TargetKind)
	}
	at := stamp(m.At)
	seq, err := s.inSeqTx(ctx, change{kind: credit.ChangeVerification, ref: m.ID, subj: m.SubjectID, tg: m.TargetKind}, at, func(tx *sql.Tx, seq int64) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO verification_marks
			(id, seq, target_kind, target_id, subject_id, active, at, actor, reason, ref)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
			m.ID, seq, m.TargetKind, m.TargetID, m.SubjectID, m.Active, at.UnixMicro(), m.Actor, m.Reason, m.Ref)
		return err
	})
	if err != nil {
		return s.fail(op, err)
	}
	m.Seq, m.At = seq, at
	return nil
}

// Verifications returns marks after a data version.
func (s *Store) Verifications(ctx context.Context, after int64, limit int) ([]credit.VerificationMark, error) {
	const op = "store.Verifications"
	q := `SELECT id, seq, target_kind, target_id, subject_id, active, at, actor, reason, ref
		FROM verification_marks WHERE seq > $1 ORDER BY seq`
	args := []any{after}
	if limit > 0 {
		q += ` LIMIT $2`
		args = append(args, limit)
	}
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, s.fail(op, err)
	}
	defer rows.Close()
	var out []credit.VerificationMark
	for rows.Next() {
		var m credit.VerificationMark
		var at int64
		if err := rows.Scan(&m.ID, &m.Seq, &m.TargetKind, &m.TargetID, &m.SubjectID, &m.Active, &at, &m.Actor, &m.Reason, &m.Ref); err != nil {
			return nil, s.fail(op, err)
		}
		m.At = fromMicros(sql.NullInt64{Int64: at, Valid: true})
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, s.fail(op, err)
	}
	return out, nil
}

// AppendNameDecision writes a name decision.
func (s *Store) AppendNameDecision(ctx context.Context, d *credit.NameDecision) error {
	const op = "store.AppendNameDecision"
	if d == nil || d.ID == "" || d.NameKey == "" || d.SubjectID == "" {
		return credit.E(op, credit.Invalid, "name decision: ID, name and subject are required")
	}
	at := stamp(d.At)
	seq, err := s.inSeqTx(ctx, change{kind: credit.ChangeNameDecision, ref: d.ID, subj: d.SubjectID}, at, func(tx *sql.Tx, seq int64) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO name_decisions (id, seq, name_key, subject_id, actor, dept, at, reason)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
			d.ID, seq, d.NameKey, d.SubjectID, d.Actor, d.Dept, at.UnixMicro(), d.Reason)
		return err
	})
	if err != nil {
		return s.fail(op, err)
	}
	d.Seq, d.At = seq, at
	return nil
}

// NameDecisions returns decisions after a data version.
func (s *Store) NameDecisions(ctx context.Context, after int64, limit int) ([]credit.NameDecision, error) {
	const op = "store.NameDecisions"
	q := `SELECT id, seq, name_key, subject_id, actor, dept, at, reason FROM name_decisions WHERE seq > $1 ORDER BY seq`
	args := []any{after}
	if limit > 0 {
		q += ` LIMIT $2`
		args = append(args, limit)
	}
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, s.fail(op, err)
	}
	defer rows.Close()
	var out []credit.NameDecision
	for rows.Next() {
		var d credit.NameDecision
		var at int64
		if err := rows.Scan(&d.ID, &d.Seq, &d.NameKey, &d.SubjectID, &d.Actor, &d.Dept, &at, &d.Reason); err != nil {
			return nil, s.fail(op, err)
		}
		d.At = fromMicros(sql.NullInt64{Int64: at, Valid: true})
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, s.fail(op, err)
	}
	return out, nil
}

// SetAccountMatters replaces an account's matters.
func (s *Store) SetAccountMatters(ctx context.Context, accountID string, matters []string) error {
	const op = "store.SetAccountMatters"
	if accountID == "" {
		return credit.E(op, credit.Invalid, "account ID is required")
	}
	_, err := s.inFeedTx(ctx, 1, func(tx *sql.Tx) ([]change, error) {
		if _, err := tx.ExecContext(ctx, `DELETE FROM account_matters WHERE account_id = $1`, accountID); err != nil {
			return nil, err
		}
		seen := make(map[string]bool)
		for _, m := range matters {
			m = strings.TrimSpace(m)
			if m == "" || seen[m] {
				continue
			}
			seen[m] = true
			if _, err := tx.ExecContext(ctx, `INSERT INTO account_matters (account_id, matter) VALUES ($1, $2)`, accountID, m); err != nil {
				return nil, err
			}
		}
		return []change{{kind: credit.ChangeAccount, ref: accountID, tg: "matters"}}, nil
	})
	if err != nil {
		if s.kindOf(err) == credit.Invalid {
			return credit.E(op, credit.NotFound, "account %q does not exist", accountID)
		}
		return s.fail(op, err)
	}
	return nil
}

// AccountMatters returns an account's matters, sorted.
func (s *Store) AccountMatters(ctx context.Context, accountID string) ([]string, error) {
	const op = "store.AccountMatters"
	rows, err := s.r.QueryContext(ctx, `SELECT matter FROM account_matters WHERE account_id = $1 ORDER BY matter`, accountID)
	if err != nil {
		return nil, s.fail(op, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var m string
		if err := rows.Scan(&m); err != nil {
			return nil, s.fail(op, err)
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, s.fail(op, err)
	}
	return out, nil
}

var (
	checkCols        = []string{"id", "at", "caller", "dept", "matter", "subjects", "hits", "version"}
	checkMeasureCols = []string{"check_id", "subject_id", "measure", "list_code", "entry_id", "suspended", "incentive", "candidate", "dept", "matter", "at"}
)

// rowsPerInsert is how many rows of cols columns one multiInsert carries:
// as many as the dialect's parameters allow, at most 300 (beyond that a
// statement only costs more to build and parse), at least one.
func (s *Store) rowsPerInsert(cols int) int { return max(1, min(s.d.MaxParams/cols, 300)) }

// multiInsert builds an INSERT of rows rows into table.
func (s *Store) multiInsert(table string, cols []string, rows int) string {
	b := []byte("INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") VALUES ")
	for r := range rows {
		if r > 0 {
			b = append(b, ',')
		}
		b = append(b, '(')
		b = s.placeholders(b, r*len(cols)+1, len(cols))
		b = append(b, ')')
	}
	return string(b)
}

// logRowSizes are the row counts of the cached multi-row INSERTs of the
// checks log: a batch is cut into statements of these sizes, so each
// statement is parsed once per store, not once per batch. A node under
// load flushes a few dozen checks at a time (sanction's logKick), which
// the sizes between 64 and 8 cut into two or three statements instead of
// four to eleven (BenchmarkAppendChecks at 32 a flush: 10.0 → 8.3–9.8 µs
// a check).
var logRowSizes = []int{64, 32, 16, 8, 4, 1}

// logStmts caches prepared INSERTs by table and row count.
type logStmts struct {
	mu sync.Mutex
	m  map[string]*sql.Stmt
}

var stmtCaches sync.Map // *Store → *logStmts

// closeLogStmts releases a store's cached log statements (from Close).
func (s *Store) closeLogStmts() error {
	c, ok := stmtCaches.LoadAndDelete(s)
	if !ok {
		return nil
	}
	lc := c.(*logStmts)
	lc.mu.Lock()
	defer lc.mu.Unlock()
	var err error
	for _, st := range lc.m {
		err = errors.Join(err, st.Close())
	}
	return err
}

func (s *Store) logStmt(ctx context.Context, table string, cols []string, rows int) (*sql.Stmt, error) {
	return s.cachedStmt(ctx, table, rows, s.multiInsert(table, cols, rows))
}

// cachedStmt returns the write statement q, prepared once per store under
// name and rows.
func (s *Store) cachedStmt(ctx context.Context, name string, rows int, q string) (*sql.Stmt, error) {
	c, _ := stmtCaches.LoadOrStore(s, &logStmts{m: make(map[string]*sql.Stmt)})
	lc := c.(*logStmts)
	key := name + "/" + strconv.Itoa(rows)
	lc.mu.Lock()
	defer lc.mu.Unlock()
	if st, ok := lc.m[key]; ok {
		return st, nil
	}
	st, err := s.w.PrepareContext(ctx, q)
	if err != nil {
		return nil, err
	}
	lc.m[key] = st
	return st, nil
}

// prepareRows prepares, before the write transaction (SQLite has one
// write connection, which the transaction holds), the statements execRows
// will need for n rows.
func (s *Store) prepareRows(ctx context.Context, table string, cols []string, n int) (map[int]*sql.Stmt, error) {
	out := make(map[int]*sql.Stmt)
	for _, size := range logRowSizes {
		if n >= size && size*len(cols) <= s.d.MaxParams {
			st, err := s.logStmt(ctx, table, cols, size)
			if err != nil {
				return nil, err
			}
			out[size] = st
			n %= size
		}
	}
	return out, nil
}

// execRows inserts args (len(cols) values per row) with the prepared
// multi-row INSERTs from prepareRows.
func (s *Store) execRows(ctx context.Context, tx *sql.Tx, stmts map[int]*sql.Stmt, cols []string, args []any) error {
	for _, size := range logRowSizes {
		st, ok := stmts[size]
		if !ok {
			continue
		}
		txst := tx.StmtContext(ctx, st)
		for len(args) >= size*len(cols) {
			if _, err := txst.ExecContext(ctx, args[:size*len(cols)]...); err != nil {
				txst.Close()
				return err
			}
			args = args[size*len(cols):]
		}
		if err := txst.Close(); err != nil {
			return err
		}
	}
	return nil
}

// AppendChecks writes checks and their measures in one transaction, in
// multi-row INSERTs. It is SQLite's (PostgreSQL has its own), so the
// statements run without the caller's cancellation: they wait on no
// network, a lock wait ends at the busy timeout, and a cancellable context
// costs a goroutine per statement in the driver and one per transaction in
// database/sql, which under thousands of checks a second was about a
// microsecond a check in a flush of 32.
func (s *Store) AppendChecks(ctx context.Context, checks []credit.CheckLog) error {
	return s.AppendChecksWith(ctx, checks, func(ctx context.Context, cargs, margs []any) error {
		ctx = context.WithoutCancel(ctx)
		cst, err := s.prepareRows(ctx, "checks", checkCols, len(cargs)/len(checkCols))
		if err != nil {
			return err
		}
		mst, err := s.prepareRows(ctx, "check_measures", checkMeasureCols, len(margs)/len(checkMeasureCols))
		if err != nil {
			return err
		}
		return s.inTx(ctx, func(tx *sql.Tx) error {
			if err := s.execRows(ctx, tx, cst, checkCols, cargs); err != nil {
				return err
			}
			return s.execRows(ctx, tx, mst, checkMeasureCols, margs)
		})
	})
}

// CheckColumns and CheckMeasureColumns are the checks log's columns, in
// the order AppendChecksWith hands their values to its write.
func CheckColumns() []string        { return slices.Clone(checkCols) }
func CheckMeasureColumns() []string { return slices.Clone(checkMeasureCols) }

// AppendChecksWith is AppendChecks with the writing left to write: it
// checks and stamps the checks, and gives write their values, row after
// row (len(CheckColumns()) per check, len(CheckMeasureColumns()) per
// measure: strings, int64s, ints and bools), which write must store
// all or none of; it classifies write's error. A backend with a faster
// path than multi-row INSERTs (PostgreSQL: one statement over arrays)
// supplies its own write.
func (s *Store) AppendChecksWith(ctx context.Context, checks []credit.CheckLog, write func(ctx context.Context, cargs, margs []any) error) error {
	const op = "store.AppendChecks"
	if len(checks) == 0 {
		return nil
	}
	// Sized up front: a flush carries hundreds of checks, and growing the
	// argument lists by doubling allocates about twice their final size.
	nm := 0
	for i := range checks {
		nm += len(checks[i].Measures)
	}
	cargs := make([]any, 0, len(checks)*len(checkCols))
	margs := make([]any, 0, nm*len(checkMeasureCols))
	for i := range checks {
		c := &checks[i]
		if c.ID == "" {
			return credit.E(op, credit.Invalid, "check %d: ID is required", i)
		}
		at := stamp(c.At)
		c.At = at
		cargs = append(cargs, c.ID, at.UnixMicro(), c.Caller, c.Dept, c.Matter, c.Subjects, c.Hits(), c.Version)
		for _, m := range c.Measures {
			margs = append(margs, c.ID, m.SubjectID, m.Measure, m.List, m.EntryID, m.Suspended, m.Incentive, m.Candidate, c.Dept, c.Matter, at.UnixMicro())
		}
	}
	if err := write(ctx, cargs, margs); err != nil {
		if s.kindOf(err) == credit.Exists {
			return credit.E(op, credit.Exists, "a check in this batch is already logged, or names a measure twice for one subject")
		}
		return s.fail(op, err)
	}
	return nil
}

// Check returns one logged check with its measures.
func (s *Store) Check(ctx context.Context, id string) (*credit.CheckLog, error) {
	const op = "store.Check"
	var c credit.CheckLog
	var at int64
	var hits int
	err := s.r.QueryRowContext(ctx, `SELECT id, at, caller, dept, matter, subjects, hits, version FROM checks WHERE id = $1`, id).
		Scan(&c.ID, &at, &c.Caller, &c.Dept, &c.Matter, &c.Subjects, &hits, &c.Version)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, credit.E(op, credit.NotFound, "check %q not found", id)
	}
	if err != nil {
		return nil, s.fail(op, err)
	}
	c.At = fromMicros(sql.NullInt64{Int64: at, Valid: true})
	rows, err := s.r.QueryContext(ctx, `SELECT subject_id, measure, list_code, entry_id, suspended, incentive, candidate
		FROM check_measures WHERE check_id = $1 ORDER BY subject_id, measure`, id)
	if err != nil {
		return nil, s.fail(op, err)
	}
	defer rows.Close()
	for rows.Next() {
		var m credit.CheckMeasure
		if err := rows.Scan(&m.SubjectID, &m.Measure, &m.List, &m.EntryID, &m.Suspended, &m.Incentive, &m.Candidate); err != nil {
			return nil, s.fail(op, err)
		}
		c.Measures = append(c.Measures, m)
	}
	if err := rows.Err(); err != nil {
		return nil, s.fail(op, err)
	}
	return &c, nil
}

var feedbackCols = []string{"check_id", "subject_id", "measure", "id", "outcome", "reason", "amount", "acted_at", "at", "actor", "dept"}

// AppendFeedback writes feedback atomically.
func (s *Store) AppendFeedback(ctx context.Context, fb []credit.Feedback) error {
	const op = "store.AppendFeedback"
	if len(fb) == 0 {
		return nil
	}
	var args []any
	seen := make(map[[3]string]bool)
	for i := range fb {
		f := &fb[i]
		if f.ID == "" || f.CheckID == "" || f.SubjectID == "" || f.Measure == "" || f.Outcome == "" {
			return credit.E(op, credit.Invalid, "feedback %d: ID, check, subject, measure and outcome are required", i)
		}
		k := [3]string{f.CheckID, f.SubjectID, f.Measure}
		if seen[k] {
			return credit.Say(op, credit.Invalid, "反馈中对主体%[2]s的措施%[1]s出现两次", "feedback names measure %[1]s for subject %[2]s twice", f.Measure, f.SubjectID)
		}
		seen[k] = true
		f.At = stamp(f.At)
		f.ActedAt = stamp(f.ActedAt)
		args = append(args, f.CheckID, f.SubjectID, f.Measure, f.ID, f.Outcome, f.Reason, f.Amount, f.ActedAt.UnixMicro(), f.At.UnixMicro(), f.Actor, f.Dept)
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		for i := range fb {
			f := &fb[i]
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM check_measures WHERE check_id = $1 AND subject_id = $2 AND measure = $3`,
				f.CheckID, f.SubjectID, f.Measure).Scan(&n); err != nil {
				return err
			}
			if n == 0 {
				return credit.Say(op, credit.Invalid, "核查%[1]s未对主体%[3]s返回措施%[2]s：只能对核查返回的措施反馈", "check %[1]s did not return measure %[2]s for subject %[3]s: feedback can only be given on a returned measure", f.CheckID, f.Measure, f.SubjectID)
			}
		}
		per := min(s.d.MaxParams/len(feedbackCols), 200)
		for len(args) > 0 {
			n := min(len(args)/len(feedbackCols), per)
			if _, err := tx.ExecContext(ctx, s.multiInsert("check_feedback", feedbackCols, n), args[:n*len(feedbackCols)]...); err != nil {
				return err
			}
			args = args[n*len(feedbackCols):]
		}
		return nil
	})
	if err != nil {
		if s.kindOf(err) == credit.Exists {
			return credit.Say(op, credit.Exists, "本批反馈中的措施已经反馈过", "feedback has already been given for a measure of this batch")
		}
		return s.fail(op, err)
	}
	return nil
}

// FeedbackByCheck returns a check's feedback.
func (s *Store) FeedbackByCheck(ctx context.Context, checkID string) ([]credit.Feedback, error) {
	const op = "store.FeedbackByCheck"
	rows, err := s.r.QueryContext(ctx, `SELECT `+strings.Join(feedbackCols, ", ")+` FROM check_feedback WHERE check_id = $1 ORDER BY subject_id, measure`, checkID)
	if err != nil {
		return nil, s.fail(op, err)
	}
	defer rows.Close()
	var out []credit.Feedback
	for rows.Next() {
		var f credit.Feedback
		var acted, at int64
		if err := rows.Scan(&f.CheckID, &f.SubjectID, &f.Measure, &f.ID, &f.Outcome, &f.Reason, &f.Amount, &acted, &at, &f.Actor, &f.Dept); err != nil {
			return nil, s.fail(op, err)
		}
		f.ActedAt = fromMicros(sql.NullInt64{Int64: acted, Valid: true})
		f.At = fromMicros(sql.NullInt64{Int64: at, Valid: true})
		out = append(out, f)
	}
	if err := rows.Err(); err != nil {
		return nil, s.fail(op, err)
	}
	return out, nil
}

// CheckStats counts triggers, feedback and overdue feedback.
func (s *Store) CheckStats(ctx context.Context, f credit.StatsFilter) ([]credit.CheckStat, error) {
	const op = "store.CheckStats"
	due := int64(0)
	if !f.DueBefore.IsZero() {
		due = f.DueBefore.UnixMicro()
	}
	since := int64(0)
	if !f.Since.IsZero() {
		since = f.Since.UnixMicro()
	}
	until := int64(math.MaxInt64)
	if !f.Until.IsZero() {
		until = f.Until.UnixMicro()
	}
	rows, err := s.r.QueryContext(ctx, `
		SELECT m.dept, m.matter, m.measure, count(*),
			sum(CASE WHEN fb.check_id IS NOT NULL THEN 1 ELSE 0 END),
			sum(CASE WHEN fb.check_id IS NULL AND m.at < $1 THEN 1 ELSE 0 END)
		FROM check_measures m
		LEFT JOIN check_feedback fb
			ON fb.check_id = m.check_id AND fb.subject_id = m.subject_id AND fb.measure = m.measure
		WHERE m.suspended = $2 AND m.candidate = $2 AND m.at >= $3 AND m.at < $6
			AND ($4 = '' OR m.dept = $4) AND ($5 = '' OR m.matter = $5)
		GROUP BY m.dept, m.matter, m.measure`, due, false, since, f.Dept, f.Matter, until)
	if err != nil {
		return nil, s.fail(op, err)
	}
	defer rows.Close()
	var out []credit.CheckStat
	for rows.Next() {
		var c credit.CheckStat
		if err := rows.Scan(&c.Dept, &c.Matter, &c.Measure, &c.Triggers, &c.Feedback, &c.Overdue); err != nil {
			return nil, s.fail(op, err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, s.fail(op, err)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Dept != b.Dept {
			return a.Dept < b.Dept
		}
		if a.Matter != b.Matter {
			return a.Matter < b.Matter
		}
		return a.Measure < b.Measure
	})
	return out, nil
}
