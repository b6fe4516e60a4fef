package ingest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"log/slog"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/chinatime"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/publish"
	"github.com/xinyong/xinyong/internal/records"
	"github.com/xinyong/xinyong/internal/store/sqlstore"
	"github.com/xinyong/xinyong/internal/uscc"
	"github.com/xinyong/xinyong/internal/workday"
)

// DefaultChunkSize is how many rows one transaction commits.
const DefaultChunkSize = 2000

// DefaultMaxRejectRows is how many rejected rows of one batch are stored
// with their cells and reasons; past it they are only counted
// (BatchCounts.RejectedNotKept). A department fixes the first ten
// thousand and sends the file again long before it needs the rest, and a
// file of junk cannot grow the database by many times its own size.
const DefaultMaxRejectRows = 10_000

// Importer runs imports. Rows are parsed, validated and prepared by
// parallel workers; one writer commits the chunks in file order, each in
// one transaction with its subjects, records, rejects and the batch's
// progress, so an interrupted import leaves whole chunks only and a rerun
// of the same file resumes after the last one.
type Importer struct {
	Store   credit.Store
	Records *records.Service
	// ChunkSize is the rows per chunk (DefaultChunkSize when 0).
	ChunkSize int
	// Workers is the number of parsing and validating workers
	// (GOMAXPROCS when 0).
	Workers int
	// Progress, if set, is called after each committed chunk.
	Progress func(Progress)
	Logger   *slog.Logger
	// Heartbeat is how often a running import records that it is alive
	// between chunks (credit.BatchHeartbeat when 0), so that readers can
	// tell an import in progress from one whose process died.
	Heartbeat time.Duration
	// MaxRejectRows caps the rejected rows stored per batch
	// (DefaultMaxRejectRows when 0); the rest are counted only.
	MaxRejectRows int
}

// Progress reports how far an import has come.
type Progress struct {
	BatchID    string
	Rows       int   // data rows done (committed or replayed)
	RowsRead   int   // data rows read from the file so far (ahead of Rows)
	Bytes      int64 // bytes of the file read so far
	TotalBytes int64 // size of the file, 0 if unknown
	Counts     credit.BatchCounts
	Elapsed    time.Duration
}

// Request names what to import.
type Request struct {
	Dept     string
	Item     string
	FileName string
	Format   string // csv, xlsx, jsonl; "" = from FileName
	Actor    string
	// Open opens the file's bytes; it is called twice (hash, then read).
	Open func() (io.ReadCloser, error)
	Size int64 // for progress; 0 if unknown
}

// Job is an import whose batch exists and which is ready to run.
type Job struct {
	im    *Importer
	req   Request
	it    *catalog.Item
	Batch *credit.Batch
	// Resumed is set when an earlier interrupted import of the same file
	// is continued; Done when the same file was already fully imported,
	// in which case Run does nothing.
	Resumed, Done bool

	// lateUnknown are headers that first appeared after the header was
	// mapped (JSON Lines keys on later lines) and name no field.
	lateUnknown []string
	// lateDays caches, per decision date (Unix seconds of its midnight,
	// China time), whether the date is past the reporting deadline; only
	// the writer uses it.
	lateDays map[int64]bool
}

func (im *Importer) logger() *slog.Logger {
	if im.Logger != nil {
		return im.Logger
	}
	return slog.Default()
}

// Import prepares and runs an import, returning the finished batch.
func (im *Importer) Import(ctx context.Context, req Request) (*Job, error) {
	j, err := im.Prepare(ctx, req)
	if err != nil {
		return j, err
	}
	return j, j.Run(ctx)
}

// Prepare checks the request, hashes the file and creates the batch (or
// finds the batch of an earlier import of the same bytes). A file refused
// as a whole (no header, a required column missing) is recorded as a
// failed batch and returned with the error.
func (im *Importer) Prepare(ctx context.Context, req Request) (*Job, error) {
	const op = "ingest.Prepare"
	cat := im.Records.Catalog
	if strings.TrimSpace(req.Dept) == "" {
		return nil, credit.Say(op, credit.Invalid, "未指明报送部门", "no reporting department")
	}
	it, err := cat.Item(req.Item)
	if err != nil {
		return nil, credit.Wrap(op, credit.Invalid, err)
	}
	// A department outside the item's reporters is refused before any
	// batch exists (every row would be refused for the same reason).
	if err := cat.MayReport(req.Dept, it.Code); err != nil {
		return nil, credit.Wrap(op, credit.Other, err)
	}
	if req.Format == "" {
		req.Format = FormatOf(req.FileName)
	}
	if req.Format == "" {
		return nil, credit.Say(op, credit.Invalid, "无法判断“%s”的格式：请将文件命名为.csv、.xlsx或.jsonl，或指明格式", "cannot tell the format of %q: name it .csv, .xlsx or .jsonl, or give the format", req.FileName)
	}
	hash, err := hashOf(req.Open)
	if err != nil {
		return nil, credit.Say(op, credit.Invalid, "读取%s失败：%v", "read %s: %v", req.FileName, err)
	}
	j := &Job{im: im, req: req, it: it}
	old, err := im.Store.BatchByContent(ctx, req.Dept, it.Code, hash)
	switch {
	case err == nil && old.Status == credit.BatchDone:
		j.Batch, j.Done = old, true
		return j, nil
	case err == nil:
		if old.Status != credit.BatchRunning {
			if err := im.Store.FinishBatch(ctx, old.ID, credit.BatchRunning, "", time.Time{}); err != nil {
				return nil, err
			}
			old.Status, old.Error = credit.BatchRunning, ""
		}
		j.Batch, j.Resumed = old, true
		return j, nil
	case !credit.Is(credit.NotFound, err):
		return nil, err
	}
	b := &credit.Batch{
		ID: credit.NewID(), Dept: req.Dept, Item: it.Code, FileName: req.FileName, Format: req.Format,
		ContentHash: hash, Status: credit.BatchRunning, Actor: req.Actor, StartedAt: im.Records.Now(),
	}
	// Read the header now, so that the batch records the file's shape and
	// a file refused as a whole is refused before any row is read.
	var ferr error
	if rc, err := req.Open(); err != nil {
		ferr = err
	} else {
		t, err := OpenTable(rc, req.Format, nil)
		if err != nil {
			ferr = err
		} else {
			b.Header, b.Encoding = t.Header(), t.Encoding()
			m, err := MapHeader(it, t.Header())
			if err != nil {
				ferr = err
			} else {
				b.HeaderStyle, b.Unknown = m.Style, m.Unknown
			}
			t.Close()
		}
		rc.Close()
	}
	if ferr != nil {
		b.Status, b.Error, b.FinishedAt = credit.BatchFailed, ferr.Error(), im.Records.Now()
	}
	if err := im.Store.CreateBatch(ctx, b); err != nil {
		if !credit.Is(credit.Exists, err) {
			return nil, err
		}
		// Another import of the same bytes created its batch after our
		// look-up above (the store holds one batch per file).
		other, lerr := im.Store.BatchByContent(ctx, req.Dept, it.Code, hash)
		if lerr != nil {
			return nil, err
		}
		if other.Status == credit.BatchDone {
			j.Batch, j.Done = other, true
			return j, nil
		}
		return nil, credit.Say(op, credit.Conflict, "%s：同一文件正在作为批次%s导入，请查看该批次，不要重复上传",
			"%s: the same file is being imported at this moment as batch %s; follow that batch instead of sending the file again", req.FileName, other.ID)
	}
	j.Batch = b
	if ferr != nil {
		return j, credit.Say(op, credit.Invalid, "%s：%v", "%s: %v", req.FileName, ferr)
	}
	return j, nil
}

func hashOf(open func() (io.ReadCloser, error)) (string, error) {
	rc, err := open()
	if err != nil {
		return "", err
	}
	defer rc.Close()
	h := sha256.New()
	if _, err := io.Copy(h, rc); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

type chunkIn struct {
	idx     int // position in the file, from 0
	replay  bool
	rows    []Row
	lastRow int
}

type chunkOut struct {
	idx      int
	replay   bool
	lastRow  int
	results  []*rowResult
	subjects []credit.Subject
	created  map[string]bool // subjects the worker found absent and creates
}

// Run reads the file and commits it chunk by chunk. Cancelling ctx stops
// it between chunks; the batch stays running and a rerun resumes it.
// Any other failure marks the batch failed with the message.
func (j *Job) Run(ctx context.Context) error {
	if j.Done || j.Batch.Status != credit.BatchRunning {
		return nil
	}
	stop := j.heartbeat(ctx)
	err := j.run(ctx)
	stop()
	if err == nil && len(j.lateUnknown) > 0 {
		unknown := append(slices.Clone(j.Batch.Unknown), j.lateUnknown...)
		if err = j.im.Store.SetBatchUnknown(context.WithoutCancel(ctx), j.Batch.ID, unknown); err == nil {
			j.Batch.Unknown = unknown
		}
	}
	// Whatever was committed is in the change feed; this node's followers
	// need not wait for their next poll.
	j.im.Records.Notify(context.WithoutCancel(ctx))
	switch {
	case err == nil:
		j.Batch.Status = credit.BatchDone
		j.Batch.FinishedAt = j.im.Records.Now()
		return j.im.Store.FinishBatch(context.WithoutCancel(ctx), j.Batch.ID, credit.BatchDone, "", j.Batch.FinishedAt)
	case ctx.Err() != nil:
		return err // interrupted: resumable
	default:
		msg := strings.ReplaceAll(err.Error(), "\n", "; ")
		j.Batch.Status, j.Batch.Error = credit.BatchFailed, msg
		if ferr := j.im.Store.FinishBatch(context.WithoutCancel(ctx), j.Batch.ID, credit.BatchFailed, msg, j.im.Records.Now()); ferr != nil {
			j.im.logger().Error("cannot mark batch failed", "batch", j.Batch.ID, "err", ferr)
		}
		return err
	}
}

// heartbeat records every Heartbeat that the import is alive (committed
// chunks record it too) until the returned stop is called.
func (j *Job) heartbeat(ctx context.Context) (stop func()) {
	every := j.im.Heartbeat
	if every <= 0 {
		every = credit.BatchHeartbeat
	}
	done := make(chan struct{})
	finished := make(chan struct{})
	beat := func() {
		if err := j.im.Store.BatchAlive(ctx, j.Batch.ID, j.im.Records.Now()); err != nil && ctx.Err() == nil {
			j.im.logger().Warn("batch heartbeat not recorded", "batch", j.Batch.ID, "err", err)
		}
	}
	go func() {
		defer close(finished)
		// At once: a resumed batch stops reading as interrupted now, not
		// at its first chunk.
		beat()
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-t.C:
				beat()
			}
		}
	}()
	return func() { close(done); <-finished }
}

func (j *Job) run(ctx context.Context) error {
	im := j.im
	size := im.ChunkSize
	if size <= 0 {
		size = DefaultChunkSize
	}
	workers := im.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	rc, err := j.req.Open()
	if err != nil {
		return err
	}
	defer rc.Close()
	var read atomic.Int64
	var rowsRead atomic.Int64
	t, err := OpenTable(rc, j.req.Format, &read)
	if err != nil {
		return err
	}
	defer t.Close()
	m, err := MapHeader(j.it, t.Header())
	if err != nil {
		return err
	}
	now := im.Records.Now()
	v := newValidator(j.it, m, im.Records.Sealer, now)
	resumeAfter := j.Batch.LastRow
	start := time.Now()

	g, gctx := errgroup.WithContext(ctx)
	in := make(chan chunkIn, workers)
	out := make(chan chunkOut, workers)
	// tokens bound the chunks in flight, so memory stays bounded however
	// large the file and however uneven the workers.
	tokens := make(chan struct{}, 2*workers+2)

	g.Go(func() error { // reader
		defer close(in)
		idx := 0
		cur := chunkIn{idx: idx}
		send := func() error {
			if len(cur.rows) == 0 {
				return nil
			}
			select {
			case tokens <- struct{}{}:
			case <-gctx.Done():
				return gctx.Err()
			}
			select {
			case in <- cur:
			case <-gctx.Done():
				return gctx.Err()
			}
			idx++
			cur = chunkIn{idx: idx}
			return nil
		}
		for {
			row, err := t.Next()
			if errors.Is(err, io.EOF) {
				j.lateUnknown = m.LateUnknown(t.Header())
				return send()
			}
			if err != nil {
				return fmt.Errorf("read %s after row %d: %w", j.req.FileName, cur.lastRow, err)
			}
			replay := row.N <= resumeAfter
			if len(cur.rows) > 0 && (cur.replay != replay || len(cur.rows) >= size) {
				if err := send(); err != nil {
					return err
				}
			}
			// Cells are kept by rejects; readers may reuse their slices.
			row.Cells = append([]string(nil), row.Cells...)
			cur.replay = replay
			cur.rows = append(cur.rows, row)
			cur.lastRow = row.N
			rowsRead.Store(int64(row.N))
		}
	})
	nw := workers
	var doneWorkers atomic.Int32
	for range nw {
		g.Go(func() error { // workers
			defer func() {
				if doneWorkers.Add(1) == int32(nw) {
					close(out)
				}
			}()
			for c := range in {
				o, err := j.process(gctx, v, c, now)
				if err != nil {
					return err
				}
				select {
				case out <- o:
				case <-gctx.Done():
					return gctx.Err()
				}
			}
			return nil
		})
	}
	g.Go(func() error { // writer
		pending := map[int]chunkOut{}
		next := 0
		seen := newDocSet()
		made := newCreatedWindow(cap(tokens))
		for o := range out {
			pending[o.idx] = o
			for {
				c, ok := pending[next]
				if !ok {
					break
				}
				delete(pending, next)
				next++
				if err := j.commit(gctx, c, seen, made, now); err != nil {
					return err
				}
				<-tokens
				if im.Progress != nil {
					im.Progress(Progress{BatchID: j.Batch.ID, Rows: c.lastRow, RowsRead: int(rowsRead.Load()), Bytes: read.Load(), TotalBytes: j.req.Size,
						Counts: j.Batch.Counts, Elapsed: time.Since(start)})
				}
			}
		}
		return nil
	})
	return g.Wait()
}

// process validates a chunk's rows and, unless the chunk is a replay of
// rows committed before an interruption, resolves subjects and prepares
// the records against the latest stored version of each document.
func (j *Job) process(ctx context.Context, v *validator, c chunkIn, now time.Time) (chunkOut, error) {
	o := chunkOut{idx: c.idx, replay: c.replay, lastRow: c.lastRow, results: make([]*rowResult, len(c.rows))}
	for i, row := range c.rows {
		r := v.check(row, c.replay)
		if len(r.rejects) > 0 && !c.replay {
			r = v.check(row, true) // the reasons in full, in their order
		}
		o.results[i] = r
	}
	if c.replay {
		return o, nil
	}
	st := j.im.Store
	t0 := time.Now()
	defer func() {
		j.im.logger().Debug("chunk prepared", "batch", j.Batch.ID, "last_row", c.lastRow, "took", time.Since(t0))
	}()
	var docs, orgIDs, hashes []string
	for _, r := range o.results {
		if len(r.rejects) > 0 {
			continue
		}
		docs = append(docs, r.docNo)
		if r.kind == credit.Person {
			hashes = append(hashes, r.idHashes...) // a key rotation may be under way
		} else {
			orgIDs = append(orgIDs, r.subjectID)
		}
	}
	latest, err := st.LatestByDocs(ctx, j.Batch.Dept, j.it.Code, docs)
	if err != nil {
		return o, err
	}
	j.im.logger().Debug("latest by docs", "n", len(docs), "took", time.Since(t0))
	orgs, err := st.SubjectsByIDs(ctx, orgIDs)
	if err != nil {
		return o, err
	}
	persons, err := st.SubjectsByIDHashes(ctx, hashes)
	if err != nil {
		return o, err
	}
	upserts := map[string]*credit.Subject{}
	o.created = map[string]bool{}
	var order []string
	put := func(s *credit.Subject) {
		if _, ok := upserts[s.ID]; !ok {
			order = append(order, s.ID)
		}
		upserts[s.ID] = s
	}
	for _, r := range o.results {
		if len(r.rejects) > 0 {
			continue
		}
		if r.kind == credit.Person {
			if p := stored(persons, r); p != nil {
				r.subjectID = p.ID
			}
		}
		rec, outcome, err := j.im.Records.Prepare(records.Report{
			Item: j.it.Code, Dept: j.Batch.Dept, BatchID: j.Batch.ID, SubjectID: r.subjectID,
			Fields: r.fields, Codes: &r.codes,
		}, latest[r.docNo])
		if err != nil {
			if credit.Is(credit.Invalid, err) {
				if full := v.check(r.row, true); len(full.rejects) > 0 {
					*r = *full
					continue
				}
			}
			r.reject(j.it.Keys.DocNo, "%[2]s", "%[1]s", strings.TrimPrefix(err.Error(), "records.Prepare: "), credit.Chinese(err))
			continue
		}
		// Subject: created when new; an organisation's new name is kept as
		// a known name (registration data itself comes from the registry).
		if r.kind == credit.Person {
			if p := stored(persons, r); p != nil {
				r.subjectID = p.ID
			} else if _, ok := upserts[r.subjectID]; !ok {
				sealed, err := j.im.Records.Sealer.Seal(r.idNo)
				if err != nil {
					return o, err
				}
				res := uscc.CheckResidentID(r.idNo)
				put(&credit.Subject{ID: r.subjectID, Kind: credit.Person, Name: r.name, Region: res.Region,
					IDCipher: sealed, IDHash: r.idHash, IDMasked: uscc.MaskResidentID(res.Code), CreatedAt: now, UpdatedAt: now})
				o.created[r.subjectID] = true
			}
		} else if s, ok := upserts[r.subjectID]; ok {
			addName(s, r.name)
		} else if s, ok := orgs[r.subjectID]; ok {
			if addName(s, r.name) {
				s.UpdatedAt = now
				put(s)
			}
		} else {
			kind := credit.OrgKind(r.code.Authority, r.code.EntityType)
			s := &credit.Subject{ID: r.subjectID, Kind: kind, Code: r.code.Code, Name: r.name,
				OrgType: r.code.Authority + r.code.EntityType, Region: r.code.Region, LegalRep: r.legalRep,
				CreatedAt: now, UpdatedAt: now}
			if r.code.Status == uscc.Flagged {
				s.CodeFlag = r.code.Reason()
			}
			put(s)
			o.created[r.subjectID] = true
		}
		rec.Kind = r.kind
		r.rec, r.outcome = rec, string(outcome)
		if outcome != records.Unchanged {
			// Encoded here, in parallel, rather than in the one writer.
			if r.fieldsJSON, err = sqlstore.EncodeFields(rec.Fields); err != nil {
				return o, err
			}
		}
	}
	for _, id := range order {
		o.subjects = append(o.subjects, *upserts[id])
	}
	return o, nil
}

// addName records name as a name of s; it reports whether s changed.
func addName(s *credit.Subject, name string) bool {
	if name == "" || name == s.Name {
		return false
	}
	for _, n := range s.FormerNames {
		if n == name {
			return false
		}
	}
	s.FormerNames = append(s.FormerNames, name)
	return true
}

// docSet remembers the document numbers seen in a batch, as 64-bit hashes
// so that ten million rows cost a few hundred megabytes at most.
type docSet struct {
	seed maphash.Seed
	rows map[uint64]int
}

func newDocSet() *docSet { return &docSet{seed: maphash.MakeSeed(), rows: map[uint64]int{}} }

// add returns the row that first had doc, or 0 after recording row.
func (d *docSet) add(doc string, row int) int {
	h := maphash.String(d.seed, doc)
	if first, ok := d.rows[h]; ok {
		return first
	}
	d.rows[h] = row
	return 0
}

// createdWindow remembers the subjects the last few committed chunks
// created, so that a chunk prepared beside them does not write one again.
// Only those can be created twice: the reader takes a token for each
// chunk it hands out and the writer gives it back once the chunk is
// committed, so when chunk M is handed out at most size-1 others are in
// flight, every chunk before M-size+1 is committed, and M's worker finds
// their subjects stored. The import's memory thus does not grow with the
// subjects it creates.
type createdWindow struct {
	sets []map[string]bool // by commit count modulo the size
	n    int
}

func newCreatedWindow(size int) *createdWindow {
	return &createdWindow{sets: make([]map[string]bool, max(size, 1))}
}

func (w *createdWindow) has(id string) bool {
	for _, s := range w.sets {
		if s[id] {
			return true
		}
	}
	return false
}

// add keeps the subjects the chunk committed now created, in place of
// those of the chunk committed size chunks before.
func (w *createdWindow) add(created map[string]bool) {
	set := make(map[string]bool, len(created))
	for id := range created {
		// A copy: an organisation's ID is a substring of its CSV row,
		// and keeping it would keep the whole row.
		set[strings.Clone(id)] = true
	}
	w.sets[w.n%len(w.sets)] = set
	w.n++
}

// commit finds duplicates within the batch (in file order), counts, and
// commits a chunk; a replayed chunk only feeds the duplicate check.
func (j *Job) commit(ctx context.Context, c chunkOut, seen *docSet, made *createdWindow, now time.Time) error {
	it := j.it
	var ch credit.Chunk
	var k credit.BatchCounts
	deadline := publish.ReportDeadline(j.im.Records.Catalog, it, j.Batch.Dept)
	maxRejects := j.im.MaxRejectRows
	if maxRejects <= 0 {
		maxRejects = DefaultMaxRejectRows
	}
	// Rejected rows stored by the committed chunks (a resumed batch's
	// counts include those of its earlier runs).
	keptBefore := j.Batch.Counts.Rejected - j.Batch.Counts.RejectedNotKept
	for _, r := range c.results {
		if len(r.rejects) == 0 && r.docNo != "" {
			if first := seen.add(r.docNo, r.n); first != 0 && !c.replay {
				r.reject(it.Keys.DocNo, "重复：本文件第%d行的文书号也是%s", "duplicate: row %d of this file has the same document number %s", first, r.docNo)
				r.rec = nil
			}
		}
		if c.replay {
			continue
		}
		k.Total++
		if r.codeChecked {
			k.CodesChecked++
			if r.codeError {
				k.CodeErrors++
			}
		}
		if len(r.rejects) > 0 {
			k.Rejected++
			if keptBefore+k.Rejected-k.RejectedNotKept > maxRejects {
				k.RejectedNotKept++
				continue
			}
			// The row's cells may hold a person's ID number anywhere:
			// they are stored sealed as a whole.
			if err := sealRow(j.im.Records.Sealer, r.rejects); err != nil {
				return err
			}
			ch.Rejects = append(ch.Rejects, r.rejects...)
			continue
		}
		k.Accepted++
		switch records.Outcome(r.outcome) {
		case records.Created:
			k.Created++
		case records.Versioned:
			k.Versioned++
		case records.Unchanged:
			k.Unchanged++
		}
		if r.outcome != string(records.Unchanged) {
			ch.Records = append(ch.Records, *r.rec)
			ch.FieldsJSON = append(ch.FieldsJSON, r.fieldsJSON)
		}
		if deadline > 0 && !r.rec.DecidedOn.IsZero() {
			k.Timed++
			if j.late(r.rec.DecidedOn, now, deadline) {
				k.Late++
			}
		}
		for _, fd := range it.Fields {
			if fd.Required || len(fd.RequiredFor) > 0 || fd.Code == "bz" {
				continue
			}
			k.Fillable++
			if r.fields[fd.Code] != "" {
				k.Filled++
			}
		}
	}
	if c.replay {
		return nil
	}
	ch.BatchID, ch.Seq, ch.LastRow, ch.Counts = j.Batch.ID, j.Batch.Chunks+1, c.lastRow, k
	// A subject a worker created because it did not see it stored may have
	// been created by an earlier chunk of this import, prepared in
	// parallel: writing it again would only repeat the same row.
	for _, s := range c.subjects {
		if c.created[s.ID] && made.has(s.ID) {
			continue
		}
		ch.Subjects = append(ch.Subjects, s)
	}
	for i := range ch.Rejects {
		ch.Rejects[i].BatchID = j.Batch.ID
	}
	t0 := time.Now()
	if err := j.im.Store.CommitChunk(ctx, &ch); err != nil {
		return err
	}
	j.im.logger().Debug("chunk committed", "batch", j.Batch.ID, "seq", ch.Seq, "records", len(ch.Records), "subjects", len(ch.Subjects), "took", time.Since(t0))
	made.add(c.created)
	j.Batch.Chunks, j.Batch.LastRow = ch.Seq, ch.LastRow
	j.Batch.Counts.Add(k)
	return nil
}

// late reports whether a decision of date decided was reported after the
// deadline (working days, workday.Between) by now. Rows of a file share few
// decision dates, so the count is made once per date and import rather than
// once per row (it walks the calendar day by day).
func (j *Job) late(decided, now time.Time, deadline int) bool {
	day := chinatime.Date(decided).Unix()
	if l, ok := j.lateDays[day]; ok {
		return l
	}
	if j.lateDays == nil {
		j.lateDays = map[int64]bool{}
	}
	l := workday.Between(decided, now) > deadline
	j.lateDays[day] = l
	return l
}

// stored returns the stored person a row names, found by the hash of its
// ID number under any key (during a key rotation a stored hash may still
// be the previous key's), or nil.
func stored(persons map[string]*credit.Subject, r *rowResult) *credit.Subject {
	for _, h := range r.idHashes {
		if p, ok := persons[h]; ok {
			return p
		}
	}
	return nil
}
