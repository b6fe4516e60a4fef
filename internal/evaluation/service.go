package evaluation

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/gcpace"
	"github.com/xinyong/xinyong/internal/publish"
)

// Store is what the service needs of the store.
type Store interface {
	credit.EvaluationStore
	credit.ChangeFeed
	credit.SubjectStore
	credit.RecordStore
	Cases(ctx context.Context, f credit.CaseFilter) ([]credit.Case, error)
	SubjectsByIDs(ctx context.Context, ids []string) (map[string]*credit.Subject, error)
	RecordsBySubjects(ctx context.Context, subjectIDs []string) (map[string][]credit.Record, error)
}

// Config is what the service is built from (internal/app builds it).
type Config struct {
	Store   Store
	Catalog *catalog.Catalog
	// Publish classifies records and says what counts (Shared); Marks are
	// the workflows' marks; Lists the sanction service's entries; Sync
	// brings the list entries in step with the feed before a step reads
	// them (the sanction service's Sync), nil for none.
	Publish *publish.Engine
	Marks   publish.MarkSource
	Lists   publish.EntrySource
	Sync    func(context.Context) error
	Logger  *slog.Logger
	Now     func() time.Time
	// ProgressEvery is how often a pass over every subject (the initial
	// evaluation, a recompute, building the file copies) logs how far it
	// got; 0: DefaultProgressEvery.
	ProgressEvery time.Duration
}

// DefaultProgressEvery: a city's pass takes minutes, and an operator
// should not wait that long for a sign of life.
const DefaultProgressEvery = 10 * time.Second

// CursorName is the shared change-feed cursor of the evaluation.
const CursorName = "evaluation"

// FilesCursor marks that every subject's file copy (ev_files) was built;
// from then on a copy reflects every change the CursorName cursor has
// passed. Its position is the feed head the copies were read after.
const FilesCursor = "evaluation.files"

// Service keeps every subject's evaluation in step with its credit file
// and answers graded supervision.
type Service struct {
	cfg Config
	log *slog.Logger

	mu     sync.RWMutex
	model  *Model
	scorer *Scorer
	// broken says why no model is active (it did not fit the catalogue).
	broken error
	// stepMu serialises the follower, the time sweep and recomputes on
	// this node (other nodes are kept out by the shared cursor).
	stepMu sync.Mutex
	// building is set while BuildFiles runs.
	building atomic.Bool
}

// New builds the service with the active model version from the store;
// on a store with none, the embedded default becomes the active version.
func New(ctx context.Context, cfg Config) (*Service, error) {
	if cfg.Store == nil || cfg.Catalog == nil || cfg.Publish == nil || cfg.Marks == nil || cfg.Lists == nil {
		return nil, errors.New("evaluation: Store, Catalog, Publish, Marks and Lists are required (internal/app builds them)")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.ProgressEvery <= 0 {
		cfg.ProgressEvery = DefaultProgressEvery
	}
	s := &Service{cfg: cfg, log: cfg.Logger}
	m, err := s.activeModel(ctx)
	switch {
	case credit.Is(credit.Invalid, err):
		// The model does not fit this node's catalogue (an item it reads
		// is missing): the node runs without evaluations until a version
		// that fits is activated; nothing is scored on a model that does
		// not hold.
		s.broken = err
		s.log.Error("evaluation: the active model does not fit the catalogue; evaluations are unavailable until a version that fits is activated", "err", err)
		return s, nil
	case err != nil:
		return nil, err
	}
	s.setModel(m)
	return s, nil
}

// errNoModel is the answer while no model fits the catalogue.
func (s *Service) errNoModel(op string) error {
	return credit.Say(op, credit.Unavailable, "评价模型与本节点的信息目录不符，暂不提供信用评价：%[1]v", "the evaluation model does not fit this node's catalogue; no evaluations until one that fits is activated: %[1]v", s.broken)
}

func (s *Service) now() time.Time { return s.cfg.Now().UTC() }

func (s *Service) activeModel(ctx context.Context) (*Model, error) {
	ms, err := s.cfg.Store.EvalModels(ctx)
	if err != nil {
		return nil, fmt.Errorf("evaluation: read model versions: %w", err)
	}
	for _, m := range ms {
		if m.State != credit.EvalActive {
			continue
		}
		full, err := s.cfg.Store.EvalModel(ctx, m.Version)
		if err != nil {
			return nil, err
		}
		return Parse("version "+m.Version, full.Body, s.cfg.Catalog)
	}
	b, err := embedded.ReadFile("data/model.json")
	if err != nil {
		return nil, err
	}
	def, err := Parse(DefaultFile, b, s.cfg.Catalog)
	if err != nil {
		return nil, err
	}
	now := s.now()
	err = s.cfg.Store.PutEvalModel(ctx, &credit.EvalModel{Version: def.Version, Body: b, State: credit.EvalActive, UploadedBy: "platform", UploadedAt: now, ActivatedBy: "platform", ActivatedAt: now})
	if err != nil && !credit.Is(credit.Exists, err) {
		return nil, fmt.Errorf("evaluation: keep the default model: %w", err)
	}
	return def, nil
}

func (s *Service) setModel(m *Model) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.model, s.broken = m, nil
	s.scorer = &Scorer{Model: m, Catalog: s.cfg.Catalog, Publish: s.cfg.Publish}
}

// Model is the active model version (nil while none fits the catalogue).
func (s *Service) Model() *Model {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.model
}

func (s *Service) current() *Scorer {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.scorer
}

// input reads one subject's file, marks and entries.
func (s *Service) input(ctx context.Context, subj *credit.Subject) (Input, error) {
	ins, _, err := s.inputsOf(ctx, []*credit.Subject{subj})
	if err != nil {
		return Input{}, err
	}
	return ins[0], nil
}

// inputs is input for the subjects of ids, in that order; NotFound if one
// is not stored.
func (s *Service) inputs(ctx context.Context, ids []string) ([]Input, error) {
	found, err := s.cfg.Store.SubjectsByIDs(ctx, ids)
	if err != nil {
		return nil, err
	}
	subjects := make([]*credit.Subject, len(ids))
	for i, id := range ids {
		if subjects[i] = found[id]; subjects[i] == nil {
			return nil, credit.E("evaluation.inputs", credit.NotFound, "subject %q not found", id)
		}
	}
	ins, _, err := s.inputsOf(ctx, subjects)
	return ins, err
}

// inputsOf reads the files, marks and entries of subjects in a few bulk
// queries (their records, the marks of every chain) instead of two per
// subject: a node catching up on another's feed re-evaluates thousands of
// subjects a step. It also returns the records read, by subject.
func (s *Service) inputsOf(ctx context.Context, subjects []*credit.Subject) ([]Input, map[string][]credit.Record, error) {
	ids := make([]string, len(subjects))
	for i, subj := range subjects {
		ids[i] = subj.ID
	}
	facts, err := s.cfg.Store.RecordsBySubjects(ctx, ids)
	if err != nil {
		return nil, nil, err
	}
	now := s.now()
	out := make([]Input, len(subjects))
	var origins []string
	for i, subj := range subjects {
		out[i] = Input{Subject: subj, File: credit.Derive(facts[subj.ID]), Now: now}
		for _, st := range out[i].File {
			origins = append(origins, st.Origin)
		}
		if out[i].Entries, err = s.cfg.Lists.SubjectEntries(ctx, subj.ID, now); err != nil {
			return nil, nil, err
		}
	}
	marks, err := s.cfg.Marks.Marks(ctx, origins)
	if err != nil {
		return nil, nil, err
	}
	for i := range out {
		out[i].Marks = marks
	}
	return out, facts, nil
}

// Evaluate evaluates a subject now with the active model, with the full
// explanation. It is what pages and the API show: the kept score is the
// same computation, made when the file last changed.
func (s *Service) Evaluate(ctx context.Context, subjectID string) (*Result, error) {
	subj, err := s.cfg.Store.Subject(ctx, subjectID)
	if err != nil {
		return nil, err
	}
	in, err := s.input(ctx, subj)
	if err != nil {
		return nil, credit.Wrap("evaluation.Evaluate", credit.Other, err)
	}
	sc := s.current()
	if sc == nil {
		return nil, s.errNoModel("evaluation.Evaluate")
	}
	return sc.Evaluate(in), nil
}

// History is a subject's grade changes, newest first.
func (s *Service) History(ctx context.Context, subjectID string) ([]credit.GradeChange, error) {
	return s.cfg.Store.GradeChanges(ctx, subjectID, 100)
}

// Public says whether the active model publishes grades to the public.
func (s *Service) Public() bool {
	m := s.Model()
	return m != nil && m.Public
}

// keep writes the results of subjects that moved, in one transaction, with
// a grade change in the history (its reason: reason of the subject) where
// the grade moved, the file copies given, and moves the cursor with them
// when mv is set.
func (s *Service) keep(ctx context.Context, results []*Result, reason func(subjectID string) string, files []credit.EvalFile, mv *credit.CursorMove) (int, error) {
	ids := make([]string, len(results))
	for i, r := range results {
		ids[i] = r.SubjectID
	}
	old, err := s.cfg.Store.EvalScoresFor(ctx, ids)
	if err != nil {
		return 0, err
	}
	var scores []credit.EvalScore
	var changes []credit.GradeChange
	for _, r := range results {
		sc := scoreOf(r)
		prev, had := old[r.SubjectID]
		if had && prev.Score == sc.Score && prev.Grade == sc.Grade && prev.Model == sc.Model && prev.NextChange.Equal(sc.NextChange) {
			continue
		}
		scores = append(scores, sc)
		if !had || prev.Grade != sc.Grade {
			changes = append(changes, credit.GradeChange{ID: credit.NewID(), SubjectID: r.SubjectID, At: r.At, Model: r.Model,
				FromGrade: prev.Grade, ToGrade: sc.Grade, FromScore: prev.Score, ToScore: sc.Score, Reason: reason(r.SubjectID)})
		}
	}
	if len(scores) == 0 && len(files) == 0 && mv == nil {
		return 0, nil
	}
	return len(changes), s.cfg.Store.PutEvalScores(ctx, scores, changes, files, mv)
}

func scoreOf(r *Result) credit.EvalScore {
	return credit.EvalScore{SubjectID: r.SubjectID, Model: r.Model, Kind: r.Kind, Score: r.Centi, Grade: r.Grade, At: r.At, NextChange: r.NextChange}
}

// Step follows the change feed once: every subject whose file, lists,
// cases or commitments changed since the shared cursor is re-evaluated
// and kept, with the cursor moved in the same transaction. It returns how
// many subjects it re-evaluated. A store with no cursor yet is evaluated
// whole first (Recompute) and followed from the head it started at.
func (s *Service) Step(ctx context.Context) (int, error) {
	s.stepMu.Lock()
	defer s.stepMu.Unlock()
	if s.current() == nil {
		return 0, nil
	}
	pos, ok, err := s.cfg.Store.FeedCursor(ctx, CursorName)
	if err != nil {
		return 0, err
	}
	if !ok {
		head, err := s.cfg.Store.ChangeHead(ctx)
		if err != nil {
			return 0, err
		}
		if s.cfg.Sync != nil {
			if err := s.cfg.Sync(ctx); err != nil {
				return 0, err
			}
		}
		// The file copies are built afterwards (BuildFiles), once the
		// cursor they rest on exists: another node may begin following
		// first, from a later head than this node's.
		st, err := s.recompute(ctx, s.current(), true, "initial evaluation", nil)
		if err != nil {
			return 0, err
		}
		if err := s.cfg.Store.MoveFeedCursor(ctx, CursorName, -1, head); err != nil && !credit.Is(credit.Exists, err) {
			return 0, err
		}
		return st.Subjects, nil
	}
	changes, err := s.cfg.Store.ChangesSince(ctx, pos, 5000)
	if err != nil || len(changes) == 0 {
		return 0, err
	}
	if s.cfg.Sync != nil {
		if err := s.cfg.Sync(ctx); err != nil {
			return 0, err
		}
	}
	seen := map[string]string{}
	var order []string
	for _, c := range changes {
		if c.SubjectID == "" {
			continue
		}
		if _, ok := seen[c.SubjectID]; !ok {
			order = append(order, c.SubjectID)
		}
		seen[c.SubjectID] = string(c.Kind) + " " + c.Ref
	}
	found, err := s.cfg.Store.SubjectsByIDs(ctx, order)
	if err != nil {
		return 0, err
	}
	subjects := make([]*credit.Subject, 0, len(order))
	for _, id := range order {
		if subj := found[id]; subj != nil { // one not stored has no score to keep
			subjects = append(subjects, subj)
		}
	}
	ins, facts, err := s.inputsOf(ctx, subjects)
	if err != nil {
		return 0, err
	}
	// The copies of the subjects' files are rewritten in the transaction
	// that moves the cursor: a copy reflects every change the cursor has
	// passed, which is what Pass relies on. Their memos are made first and
	// the scorer reads its windows from them, so each record is classified
	// once a step (the records are in ID order, as memoEntries needs).
	key := s.cfg.Publish.Catalog.Fingerprint()
	files := make([]credit.EvalFile, len(subjects))
	for i, subj := range subjects {
		memo := s.memoOf(subj, facts[subj.ID])
		files[i] = credit.EvalFile{Subject: subj, Records: facts[subj.ID], Memo: memo}
		ins[i].memo, ins[i].memoKey = memoEntries(nil, key, ins[i].File, facts[subj.ID], memo), key
	}
	results := s.leanResults(ins)
	mv := &credit.CursorMove{Name: CursorName, From: pos, To: changes[len(changes)-1].Pos}
	if _, err := s.keep(ctx, results, func(id string) string { return seen[id] }, files, mv); err != nil {
		return 0, err
	}
	return len(results), nil
}

// leanResults scores ins with the active model, without the explanation:
// only the score, grade and next change are kept, the explanation is made
// when a page asks (Evaluate).
func (s *Service) leanResults(ins []Input) []*Result {
	lean := *s.current()
	lean.Lean = true
	out := make([]*Result, len(ins))
	for i, in := range ins {
		out[i] = lean.Evaluate(in)
	}
	return out
}

// Sweep re-evaluates subjects whose score changes with time by now (a
// window ended, a decay step passed, a list entry expired).
func (s *Service) Sweep(ctx context.Context) (int, error) {
	s.stepMu.Lock()
	defer s.stepMu.Unlock()
	if s.current() == nil {
		return 0, nil
	}
	n := 0
	for {
		ids, err := s.cfg.Store.EvalScoresDue(ctx, s.now(), 500)
		if err != nil || len(ids) == 0 {
			return n, err
		}
		ins, err := s.inputs(ctx, ids)
		if err != nil {
			return n, err
		}
		results := s.leanResults(ins)
		if _, err := s.keep(ctx, results, func(string) string { return "time: a window, decay step or list period ended" }, nil, nil); err != nil {
			return n, err
		}
		n += len(results)
		if len(ids) < 500 {
			return n, nil
		}
	}
}

// Follow runs Step every interval, and every minute takes up a version
// activated elsewhere, runs Sweep and, until they are built, BuildFiles,
// until ctx ends.
func (s *Service) Follow(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	lastSweep := time.Time{}
	var builder sync.WaitGroup
	defer builder.Wait()
	for {
		if _, err := s.Step(ctx); err != nil && ctx.Err() == nil {
			if !credit.Is(credit.Conflict, err) {
				s.log.Warn("evaluation: following the change feed failed; retrying", "err", err)
			}
		}
		if time.Since(lastSweep) > time.Minute {
			// A version another node activated takes effect here too.
			if err := s.Reload(ctx); err != nil && ctx.Err() == nil {
				s.log.Warn("evaluation: reading the active model version failed", "err", err)
			}
			if _, err := s.Sweep(ctx); err != nil && ctx.Err() == nil {
				s.log.Warn("evaluation: time sweep failed; retrying", "err", err)
			}
			// Copies missing on a store evaluated before they were kept
			// are built beside the follower, which keeps going; then
			// memos of another catalogue are made again.
			if !s.building.Load() {
				builder.Go(func() {
					_, err := s.BuildFiles(ctx)
					if err == nil {
						_, err = s.RefreshMemos(ctx)
					}
					if err != nil && ctx.Err() == nil && !credit.Is(credit.Conflict, err) {
						s.log.Warn("evaluation: building the file copies failed; retrying", "err", err)
					}
				})
			}
			lastSweep = time.Now()
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Stats are the figures of a full pass.
type Stats struct {
	Subjects int `json:"subjects"`
	Records  int `json:"records"`
	// FromCopies says the facts came from the kept file copies; Fresh
	// subjects, changed since the follower's cursor, from the records.
	FromCopies bool          `json:"from_copies"`
	Fresh      int           `json:"fresh"`
	Changed    int           `json:"grade_changes"`
	Took       time.Duration `json:"took_ns"`
}

// casesBySubject are the subjects any case is about: only their records
// can carry the workflows' marks, so a full pass asks the workflows for
// their marks and no one else's.
func (s *Service) casesBySubject(ctx context.Context) (map[string]bool, error) {
	cs, err := s.cfg.Store.Cases(ctx, credit.CaseFilter{Limit: 1 << 30})
	if err != nil {
		return nil, err
	}
	out := make(map[string]bool, len(cs))
	for _, c := range cs {
		out[c.SubjectID] = true
	}
	return out, nil
}

// Pass runs fn over every subject's input in one bulk read of the store:
// subjects and their facts of the items the scorers read, marks for the
// subjects any case is about, list entries from the sanction service's
// in-memory index. The subjects are cut into ranges (several per core)
// that GOMAXPROCS workers each read and evaluate in turn: the read of a
// range is as much work as its evaluation, so both run on every core. fn
// runs on the workers at once, so it must be safe for concurrent use. The
// chains of an input's File carry no History (credit.DeriveCurrent): the
// scorer reads the current content. The File and the Fields maps of its
// records are reused once fn returns: fn clones what it keeps.
//
// Once the file copies are built (FilesCursor), the facts come from them,
// one row per subject, except for the subjects whose files changed since
// the follower's cursor: those are read from the records after the scan.
func (s *Service) Pass(ctx context.Context, items []string, fn func(Input) error) (Stats, error) {
	start := time.Now()
	withCases, err := s.casesBySubject(ctx)
	if err != nil {
		return Stats{}, err
	}
	now := s.now()
	key := s.cfg.Publish.Catalog.Fingerprint()
	var pool sync.Pool // of *scratch, one a worker at a time
	st, err := s.scan(ctx, items, false, func(subj *credit.Subject, facts []credit.Record, memo credit.EvalMemo) error {
		sp, _ := pool.Get().(*scratch)
		if sp == nil {
			sp = new(scratch)
		}
		defer pool.Put(sp)
		sp.file = credit.DeriveCurrentInto(sp.file, facts)
		in := Input{Subject: subj, File: sp.file, Now: now, memoKey: key, scratch: sp}
		in.memo = memoEntries(sp.memo, key, in.File, facts, memo)
		if in.memo != nil {
			sp.memo = in.memo
		}
		if withCases[subj.ID] {
			ids := make([]string, len(in.File))
			for i, f := range in.File {
				ids[i] = f.Origin
			}
			m, err := s.cfg.Marks.Marks(ctx, ids)
			if err != nil {
				return err
			}
			in.Marks = m
		}
		es, err := s.cfg.Lists.SubjectEntries(ctx, subj.ID, now)
		if err != nil {
			return err
		}
		in.Entries = es
		return fn(in)
	})
	st.Took = time.Since(start)
	return st, err
}

// scan calls fn for every subject with its facts of items, in ranges on
// every core: from the file copies once they are built (and from the
// records for the subjects changed since the follower's cursor), else, or
// with raw, from the records, of every item. fn runs on the workers at
// once; the facts slice and the memo are reused once it returns. A memo
// comes with the facts read from a copy.
func (s *Service) scan(ctx context.Context, items []string, raw bool, fn func(*credit.Subject, []credit.Record, credit.EvalMemo) error) (Stats, error) {
	var st Stats
	start := time.Now()
	// Gigabytes allocated, little kept: collected at the serving target,
	// a pass of 1M subjects took 27 s instead of 19 s (BENCHMARKS.md).
	defer gcpace.Bulk()()
	read := func(ctx context.Context, items []string, r credit.SubjectRange, fn func(*credit.Subject, []credit.Record, credit.EvalMemo) error) error {
		return s.cfg.Store.ScanEvalFiles(ctx, items, r, func(subj *credit.Subject, facts []credit.Record) error {
			return fn(subj, facts, credit.EvalMemo{})
		})
	}
	var (
		fresh map[string]bool
		err   error
	)
	if raw {
		items = nil
	} else {
		var trusted bool
		if fresh, trusted, err = s.staleCopies(ctx); err != nil {
			return st, err
		}
		if trusted {
			read, st.FromCopies = s.cfg.Store.ScanEvalFileCopies, true
		}
	}
	workers := runtime.GOMAXPROCS(0)
	ranges, err := s.cfg.Store.EvalRanges(ctx, 4*workers)
	if err != nil {
		return st, err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg       sync.WaitGroup
		errOnce  sync.Once
		werr     error
		subjects atomic.Int64
		records  atomic.Int64
	)
	fail := func(err error) {
		errOnce.Do(func() { werr = err; cancel() })
	}
	what := "evaluation: a pass over every subject"
	if raw {
		what = "evaluation: building the file copies"
	}
	defer s.progress(ctx, what, &subjects, start)()
	visit := func(subj *credit.Subject, facts []credit.Record, memo credit.EvalMemo) error {
		subjects.Add(1)
		records.Add(int64(len(facts)))
		return fn(subj, facts, memo)
	}
	jobs := make(chan credit.SubjectRange, len(ranges))
	for _, r := range ranges {
		jobs <- r
	}
	close(jobs)
	for range min(workers, len(ranges)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := range jobs {
				err := read(ctx, items, r, func(subj *credit.Subject, facts []credit.Record, memo credit.EvalMemo) error {
					if fresh[subj.ID] {
						return nil // its copy may be older than its file: read below
					}
					return visit(subj, facts, memo)
				})
				if err != nil {
					fail(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if werr == nil && len(fresh) > 0 {
		werr = s.passFresh(ctx, fresh, items, func(subj *credit.Subject, facts []credit.Record) error {
			st.Fresh++
			return visit(subj, facts, credit.EvalMemo{})
		})
	}
	st.Subjects, st.Records = int(subjects.Load()), int(records.Load())
	st.Took = time.Since(start)
	return st, werr
}

// progress logs what, with the subjects done so far against the stored
// subjects, every ProgressEvery until the returned function is called.
func (s *Service) progress(ctx context.Context, what string, done *atomic.Int64, start time.Time) (stop func()) {
	quit := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(s.cfg.ProgressEvery)
		defer t.Stop()
		total := -1 // unknown until counted, and only counted if the pass is long
		for {
			select {
			case <-quit:
				return
			case <-t.C:
			}
			if total < 0 {
				if n, err := s.cfg.Store.CountSubjects(ctx); err == nil {
					total = n
				}
			}
			n := done.Load()
			args := []any{"subjects", n, "elapsed", time.Since(start).Round(time.Second)}
			if total > 0 {
				args = append(args, "of", total, "percent", min(100, int(100*n/int64(total))))
			}
			s.log.Info(what, args...)
		}
	})
	return func() { close(quit); wg.Wait() }
}

// staleCopies says whether the file copies are built and, if so, which
// subjects' files changed since the follower's cursor: their copies may
// not hold those changes yet.
func (s *Service) staleCopies(ctx context.Context) (map[string]bool, bool, error) {
	if _, built, err := s.cfg.Store.FeedCursor(ctx, FilesCursor); err != nil || !built {
		return nil, false, err
	}
	pos, ok, err := s.cfg.Store.FeedCursor(ctx, CursorName)
	if err != nil || !ok {
		return nil, false, err
	}
	stale := map[string]bool{}
	for {
		changes, err := s.cfg.Store.ChangesSince(ctx, pos, 5000)
		if err != nil {
			return nil, false, err
		}
		if len(changes) == 0 {
			return stale, true, nil
		}
		for _, c := range changes {
			if c.SubjectID != "" {
				stale[c.SubjectID] = true
			}
		}
		pos = changes[len(changes)-1].Pos
	}
}

// passFresh calls fn for each stored subject of ids with its facts of
// items (all when none), read from the records in chunks.
func (s *Service) passFresh(ctx context.Context, ids map[string]bool, items []string, fn func(*credit.Subject, []credit.Record) error) error {
	list := make([]string, 0, len(ids))
	for id := range ids {
		list = append(list, id)
	}
	sort.Strings(list)
	want := map[string]bool{}
	for _, it := range items {
		want[it] = true
	}
	for len(list) > 0 {
		chunk := list[:min(len(list), 500)]
		list = list[len(chunk):]
		found, err := s.cfg.Store.SubjectsByIDs(ctx, chunk)
		if err != nil {
			return err
		}
		recs, err := s.cfg.Store.RecordsBySubjects(ctx, chunk)
		if err != nil {
			return err
		}
		for _, id := range chunk {
			subj := found[id]
			if subj == nil {
				continue
			}
			// As the scans give them: only the items asked for, without
			// what evaluation never reads.
			facts := recs[id]
			if len(want) > 0 {
				facts = slices.DeleteFunc(facts, func(r credit.Record) bool { return !want[r.Item] })
			}
			for i := range facts {
				facts[i].BatchID, facts[i].Reason, facts[i].Hash = "", "", ""
			}
			if err := fn(subj, facts); err != nil {
				return err
			}
		}
	}
	return nil
}

// BuildFiles keeps a copy of every subject's file that has none and then
// marks the copies trusted (FilesCursor): after the initial evaluation,
// and on a store evaluated before copies were kept. It needs the
// follower's cursor: a copy written here is read after the cursor's
// position, every later change is the follower's, and a copy the follower
// kept meanwhile is left as it is. Nothing to do once built, or before
// the initial evaluation.
func (s *Service) BuildFiles(ctx context.Context) (Stats, error) {
	if !s.building.CompareAndSwap(false, true) {
		return Stats{}, credit.E("evaluation.BuildFiles", credit.Conflict, "the file copies are being built already")
	}
	defer s.building.Store(false)
	if _, built, err := s.cfg.Store.FeedCursor(ctx, FilesCursor); err != nil || built {
		return Stats{}, err
	}
	pos, ok, err := s.cfg.Store.FeedCursor(ctx, CursorName)
	if err != nil || !ok {
		return Stats{}, err
	}
	keep := s.copyKeeper()
	st, err := s.scan(ctx, nil, true, func(subj *credit.Subject, facts []credit.Record, _ credit.EvalMemo) error {
		return keep.add(ctx, subj, facts)
	})
	if err == nil {
		err = keep.flush(ctx)
	}
	if err != nil {
		return st, err
	}
	if err := s.cfg.Store.MoveFeedCursor(ctx, FilesCursor, -1, pos); err != nil && !credit.Is(credit.Exists, err) {
		return st, err
	}
	s.log.Info("evaluation: file copies built", "subjects", st.Subjects, "records", st.Records, "took", st.Took)
	return st, nil
}

// copyKeeper batches file copies for PutEvalFiles from concurrent workers.
type copyKeeper struct {
	put   func(context.Context, []credit.EvalFile) error
	memo  func(*credit.Subject, []credit.Record) credit.EvalMemo
	mu    sync.Mutex
	batch []credit.EvalFile
}

func (s *Service) copyKeeper() *copyKeeper {
	return &copyKeeper{put: s.cfg.Store.PutEvalFiles, memo: s.memoOf}
}

// add keeps a copy of subj with facts (read into a reused slice); a
// subject without records has one too: a pass from copies visits the
// subjects that have one.
func (k *copyKeeper) add(ctx context.Context, subj *credit.Subject, facts []credit.Record) error {
	f := credit.EvalFile{Subject: subj, Records: slices.Clone(facts), Memo: k.memo(subj, facts)}
	k.mu.Lock()
	k.batch = append(k.batch, f)
	if len(k.batch) < 1000 {
		k.mu.Unlock()
		return nil
	}
	b := k.batch
	k.batch = nil
	k.mu.Unlock()
	return k.put(ctx, b)
}

func (k *copyKeeper) flush(ctx context.Context) error {
	k.mu.Lock()
	b := k.batch
	k.batch = nil
	k.mu.Unlock()
	if len(b) == 0 {
		return nil
	}
	return k.put(ctx, b)
}

func itemsOf(ms ...*Model) []string {
	set := map[string]bool{}
	for _, m := range ms {
		for _, it := range m.Items() {
			set[it] = true
		}
	}
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// recompute evaluates every subject with sc; with write, it keeps the
// results (scores that moved, grade changes with reason) in batches.
func (s *Service) recompute(ctx context.Context, sc *Scorer, write bool, reason string, also func(*Result)) (Stats, error) {
	var (
		batch   []*Result
		changed int
		mu      sync.Mutex
	)
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		n, err := s.keep(ctx, batch, func(string) string { return reason }, nil, nil)
		changed += n
		batch = batch[:0]
		return err
	}
	lean := *sc
	lean.Lean = true
	st, err := s.Pass(ctx, sc.Model.Items(), func(in Input) error {
		r := lean.Evaluate(in)
		mu.Lock()
		defer mu.Unlock()
		if also != nil {
			also(r)
		}
		if write {
			batch = append(batch, r)
			if len(batch) >= 2000 {
				return flush()
			}
		}
		return nil
	})
	if err == nil && write {
		err = flush()
	}
	st.Changed = changed
	return st, err
}

// Dry evaluates every subject with the active model in one bulk pass and
// keeps nothing: a full recompute's reading and scoring, as measured by
// `xinyong bench evaluation`.
func (s *Service) Dry(ctx context.Context) (Stats, error) {
	sc := s.current()
	if sc == nil {
		return Stats{}, s.errNoModel("evaluation.Dry")
	}
	return s.recompute(ctx, sc, false, "", nil)
}

// Recompute re-evaluates every subject with the active model and keeps
// what moved.
func (s *Service) Recompute(ctx context.Context, reason string) (Stats, error) {
	s.stepMu.Lock()
	defer s.stepMu.Unlock()
	sc := s.current()
	if sc == nil {
		return Stats{}, s.errNoModel("evaluation.Recompute")
	}
	return s.recompute(ctx, sc, true, reason, nil)
}

// Comparison is what an administrator reviews before activating a model
// version: the grade distribution under the active and the candidate
// version, the subjects that move (up to MoversKept of them) and counts.
type Comparison struct {
	From       string                    `json:"from_version"`
	To         string                    `json:"to_version"`
	At         time.Time                 `json:"at"`
	Subjects   int                       `json:"subjects"`
	Evaluated  int                       `json:"evaluated"`
	Before     map[string]map[string]int `json:"before"` // kind → grade → subjects
	After      map[string]map[string]int `json:"after"`
	Moved      int                       `json:"moved"`
	Up         int                       `json:"up"`
	Down       int                       `json:"down"`
	Movers     []Mover                   `json:"movers"`
	Matrix     map[string]map[string]int `json:"matrix"` // grade before → grade after → subjects
	TookMillis int64                     `json:"took_ms"`
}

// Mover is a subject whose grade the candidate changes.
type Mover struct {
	SubjectID string  `json:"subject_id"`
	Name      string  `json:"name"`
	From      string  `json:"from_grade"`
	To        string  `json:"to_grade"`
	FromScore float64 `json:"from_score"`
	ToScore   float64 `json:"to_score"`
}

// MoversKept is how many moving subjects a comparison lists.
const MoversKept = 1000

// Compare evaluates every subject under the active model and cand in one
// bulk pass, in memory, and returns the comparison.
func (s *Service) Compare(ctx context.Context, cand *Model) (*Comparison, error) {
	cs := s.current()
	if cs == nil {
		// No version fits now: everything before is ungraded.
		cs = &Scorer{Model: &Model{Version: "", byCode: map[string]*Indicator{}}, Catalog: s.cfg.Catalog, Publish: s.cfg.Publish}
	}
	cur := *cs
	cur.Lean = true
	next := &Scorer{Model: cand, Catalog: s.cfg.Catalog, Publish: s.cfg.Publish, Lean: true}
	var mu sync.Mutex
	c := &Comparison{From: cur.Model.Version, To: cand.Version, At: s.now(), Before: map[string]map[string]int{}, After: map[string]map[string]int{}, Matrix: map[string]map[string]int{}}
	inc := func(m map[string]map[string]int, a, b string) {
		if m[a] == nil {
			m[a] = map[string]int{}
		}
		m[a][b]++
	}
	start := time.Now()
	st, err := s.Pass(ctx, itemsOf(cur.Model, cand), func(in Input) error {
		a, b := cur.Evaluate(in), next.Evaluate(in)
		if !a.Evaluated && !b.Evaluated {
			return nil
		}
		mu.Lock()
		defer mu.Unlock()
		c.Evaluated++
		inc(c.Before, a.Kind, a.Grade)
		inc(c.After, b.Kind, b.Grade)
		inc(c.Matrix, a.Grade, b.Grade)
		if a.Grade != b.Grade {
			c.Moved++
			if b.Centi > a.Centi {
				c.Up++
			} else {
				c.Down++
			}
			if len(c.Movers) < MoversKept {
				c.Movers = append(c.Movers, Mover{SubjectID: in.Subject.ID, Name: in.Subject.Name, From: a.Grade, To: b.Grade, FromScore: a.Score, ToScore: b.Score})
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	c.Subjects = st.Subjects
	c.TookMillis = time.Since(start).Milliseconds()
	return c, nil
}

// Upload checks a model file, keeps it as a candidate version and
// compares it with the active version. The candidate takes effect only
// when an administrator activates it.
func (s *Service) Upload(ctx context.Context, by string, body []byte) (*Comparison, error) {
	const op = "evaluation.Upload"
	m, err := Parse("uploaded model", body, s.cfg.Catalog)
	if err != nil {
		return nil, err
	}
	if err := s.cfg.Store.PutEvalModel(ctx, &credit.EvalModel{Version: m.Version, Body: body, State: credit.EvalCandidate, UploadedBy: by, UploadedAt: s.now()}); err != nil {
		return nil, err
	}
	cmp, err := s.Compare(ctx, m)
	if err != nil {
		return nil, credit.Wrap(op, credit.Other, err)
	}
	b, err := json.Marshal(cmp)
	if err != nil {
		return nil, credit.Wrap(op, credit.Internal, err)
	}
	if err := s.cfg.Store.SetEvalComparison(ctx, m.Version, b); err != nil {
		return nil, err
	}
	s.log.Info("evaluation model uploaded", "version", m.Version, "by", by, "moved", cmp.Moved, "subjects", cmp.Subjects)
	return cmp, nil
}

// Versions lists the model versions.
func (s *Service) Versions(ctx context.Context) ([]credit.EvalModel, error) {
	return s.cfg.Store.EvalModels(ctx)
}

// Comparison returns a version's kept comparison (nil when none).
func (s *Service) Comparison(ctx context.Context, version string) (*credit.EvalModel, *Comparison, error) {
	m, err := s.cfg.Store.EvalModel(ctx, version)
	if err != nil {
		return nil, nil, err
	}
	if len(m.Comparison) == 0 {
		return m, nil, nil
	}
	var c Comparison
	if err := json.Unmarshal(m.Comparison, &c); err != nil {
		return nil, nil, credit.Wrap("evaluation.Comparison", credit.Internal, err)
	}
	return m, &c, nil
}

// Activate makes a candidate version the active one and re-evaluates
// every subject with it; each grade that moves is kept in the history with
// the version as its reason.
func (s *Service) Activate(ctx context.Context, by, version string) (Stats, error) {
	const op = "evaluation.Activate"
	row, err := s.cfg.Store.EvalModel(ctx, version)
	if err != nil {
		return Stats{}, err
	}
	if row.State != credit.EvalCandidate {
		return Stats{}, credit.Say(op, credit.Conflict, "评价模型版本%s不是待启用版本（当前：%s）", "model version %s is not a candidate (it is %s)", version, row.State)
	}
	m, err := Parse("version "+version, row.Body, s.cfg.Catalog)
	if err != nil {
		return Stats{}, err
	}
	if err := s.cfg.Store.ActivateEvalModel(ctx, version, by, s.now()); err != nil {
		return Stats{}, err
	}
	s.setModel(m)
	st, err := s.Recompute(ctx, "model version "+version+" activated by "+by)
	if err != nil {
		return st, err
	}
	s.log.Info("evaluation model activated", "version", version, "by", by, "subjects", st.Subjects, "grade_changes", st.Changed, "took", st.Took)
	return st, nil
}

// Reload takes up the active version from the store (another node
// activated one).
func (s *Service) Reload(ctx context.Context) error {
	m, err := s.activeModel(ctx)
	if err != nil {
		return err
	}
	if cur := s.Model(); cur == nil || m.Version != cur.Version {
		s.setModel(m)
	}
	return nil
}
