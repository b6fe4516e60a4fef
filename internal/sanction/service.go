// Package sanction is 联合奖惩: lists with due process (proposal, notice,
// decision, removal, each an append-only event), the hit check that
// business systems call before they act, the checks log, and their
// feedback.
//
// The hit check reads an in-memory, immutable snapshot of the listed
// subjects, swapped atomically on every change. The snapshot is a cache:
// it is rebuilt from storage on start, updated at once after a write on
// this node, and every PollInterval each node reads one integer (the data
// version) to pick up changes written by other nodes, so a list change is
// visible everywhere within about PollInterval.
package sanction

import (
	"context"
	"log/slog"
	"math"
	"slices"
	"sync/atomic"
	"time"

	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/pii"
	"github.com/xinyong/xinyong/internal/publish"
	"github.com/xinyong/xinyong/internal/workday"
)

// DefaultPollInterval is how often a node looks for list changes made by
// other nodes.
const DefaultPollInterval = 200 * time.Millisecond

// DefaultFeedbackDue is how long a business system has to report back on
// a returned measure before the statistics count it overdue.
const DefaultFeedbackDue = 7 * 24 * time.Hour

// Store is what the sanction service reads and writes: list events and
// checks, the subjects and records they rest on, accounts' matters, and
// the change feed it follows.
type Store interface {
	credit.SanctionStore
	credit.SubjectStore
	credit.RecordStore
	credit.ChangeFeed
	Account(ctx context.Context, name string) (*credit.Account, error)
	SubjectsByIDs(ctx context.Context, ids []string) (map[string]*credit.Subject, error)
	RecordsBySubjects(ctx context.Context, subjectIDs []string) (map[string][]credit.Record, error)
	NewestRecordsByItems(ctx context.Context, items []string, beforeID string, limit int) ([]credit.Record, error)
}

// Config is what the service needs.
type Config struct {
	Store   Store
	Catalog *catalog.Catalog
	// Sealer hashes ID numbers of responsible persons and of natural
	// persons checked by ID number; nil disables both.
	Sealer *pii.Sealer
	Logger *slog.Logger
	Now    func() time.Time
	// PollInterval: default DefaultPollInterval.
	PollInterval time.Duration
	// FeedbackDue: default DefaultFeedbackDue.
	FeedbackDue time.Duration
	// ExpiryInterval is how often Run writes the removal of entries whose
	// period has ended (RemoveExpired): default DefaultExpiryInterval.
	ExpiryInterval time.Duration
	// Calendar counts the working days of notice periods; nil is the
	// embedded calendar.
	Calendar *workday.Calendar
	// MarksLater says that SetMarks follows New at once (the workflows'
	// marks are built on this service): the first load then leaves the
	// red entries' bars to SetMarks instead of weighing every red entry's
	// file twice.
	MarksLater bool
	// Marks are the workflows' marks (repaired, masked), which end a
	// record's weight in red-list bars; nil until SetMarks.
	Marks publish.MarkSource
	// SnapshotDir is where the hit-check index's snapshot (SnapshotFile)
	// is read at start, if there is a good one, instead of loading from
	// the store; "" loads from the store. SaveSnapshot writes it.
	SnapshotDir string
}

// DefaultExpiryInterval is how often a node sweeps for expired entries.
// Checks and pages stop applying an entry at its end by the clock alone,
// so the sweep only has to write the record of it, not race the clock.
const DefaultExpiryInterval = 10 * time.Minute

// Service is the 联合奖惩 service.
type Service struct {
	Store   Store
	Catalog *catalog.Catalog
	Sealer  *pii.Sealer
	cfg     Config
	index   *index
	table   *measureTable
	log     *checkLog
	matters mattersCache
	engine  *publish.Engine
	marks   atomic.Pointer[publish.MarkSource]

	fromSnapshot bool
	snapshotErr  error
}

// New builds the service and loads the hit-check index from storage. Call
// Run to keep it fresh and Close to flush the checks log.
func New(ctx context.Context, cfg Config) (*Service, error) {
	if cfg.Store == nil || cfg.Catalog == nil {
		return nil, credit.E("sanction.New", credit.Internal, "Store and Catalog are required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = DefaultPollInterval
	}
	if cfg.FeedbackDue <= 0 {
		cfg.FeedbackDue = DefaultFeedbackDue
	}
	if cfg.ExpiryInterval <= 0 {
		cfg.ExpiryInterval = DefaultExpiryInterval
	}
	if cfg.Calendar == nil {
		cfg.Calendar = workday.Default()
	}
	s := &Service{Store: cfg.Store, Catalog: cfg.Catalog, Sealer: cfg.Sealer, cfg: cfg,
		index: newIndex(cfg.Catalog), table: newMeasureTable(cfg.Catalog),
		engine: publish.New(cfg.Catalog, cfg.Now)}
	if cfg.Marks != nil {
		s.marks.Store(&cfg.Marks)
	}
	if cfg.SnapshotDir != "" {
		ok, err := s.loadSnapshot(ctx, cfg.SnapshotDir)
		switch {
		case err != nil:
			s.snapshotErr = err // the index is untouched: it loads from the store
		case ok:
			s.fromSnapshot = true
		}
	}
	if err := s.index.refresh(ctx, s.Store, s.barFunc(), false); err != nil {
		return nil, credit.Wrap("sanction.New", credit.Other, err)
	}
	s.log = startCheckLog(cfg.Store, cfg.Logger)
	return s, nil
}

func (s *Service) now() time.Time       { return nowOf(s.cfg.Now) }
func (s *Service) logger() *slog.Logger { return s.cfg.Logger }

// Version returns the data version the hit check currently serves.
func (s *Service) Version() int64 { return s.index.load().version }

// Refresh brings the hit-check index up to the head of the change feed.
func (s *Service) Refresh(ctx context.Context) error {
	if err := s.index.refresh(ctx, s.Store, s.barFunc(), false); err != nil {
		return credit.Wrap("sanction.Refresh", credit.Other, err)
	}
	return nil
}

// barFunc weighs red-list bars; nil while the workflows' marks are still
// to come (Config.MarksLater): the subjects changed meanwhile wait for
// SetMarks rather than be weighed without them.
func (s *Service) barFunc() barFunc {
	if s.cfg.MarksLater && s.marks.Load() == nil {
		return nil
	}
	return s.barsUntil
}

// FromSnapshot says whether the index started from its snapshot, and why
// a snapshot present was not used.
func (s *Service) FromSnapshot() (bool, error) { return s.fromSnapshot, s.snapshotErr }

// SetMarks gives the service the workflows' marks (the workflow service
// is built after it, on top of it) and recomputes the red-list bars with
// them.
func (s *Service) SetMarks(ctx context.Context, ms publish.MarkSource) error {
	s.marks.Store(&ms)
	// Every bar is weighed again with the marks, unless they were weighed
	// with them before the snapshot the index started from: then those of
	// the subjects changed since (pendingBars) are.
	if err := s.index.refresh(ctx, s.Store, s.barsUntil, !s.fromSnapshot); err != nil {
		return credit.Wrap("sanction.SetMarks", credit.Other, err)
	}
	return nil
}

func (s *Service) markSource() publish.MarkSource {
	if p := s.marks.Load(); p != nil && *p != nil {
		return *p
	}
	return publish.NoMarks{}
}

// barUntil is until when (Unix microseconds; math.MaxInt64 for no end)
// subject's records in force bar it from red list lt, 0 when none does: a
// record is weighed by the publication engine's one classification, and
// ends its weight when revoked, repaired or masked.
func (s *Service) barUntil(ctx context.Context, subjectID string, lt *catalog.ListType) (int64, error) {
	us, err := s.barsUntil(ctx, []barQuery{{subj: subjectID, lt: lt}})
	if err != nil {
		return 0, err
	}
	return us[0], nil
}

// barChunk is how many subjects' files barsUntil reads at once.
var barChunk = 500

// barsUntil is barUntil for many queries, reading the subjects' files
// and the workflows' marks on them a chunk of subjects at a time (a full
// load of the index weighs every red entry: one query per subject made a
// start with a hundred thousand red entries take minutes).
func (s *Service) barsUntil(ctx context.Context, qs []barQuery) ([]int64, error) {
	out := make([]int64, len(qs))
	now := s.now()
	for lo := 0; lo < len(qs); {
		// A chunk: the queries of up to barChunk distinct subjects.
		subjects := map[string]bool{}
		var ids []string
		hi := lo
		for ; hi < len(qs); hi++ {
			q := qs[hi]
			if q.lt.Bar == nil || len(q.lt.Bar.Severities) == 0 || subjects[q.subj] {
				continue
			}
			if len(ids) == barChunk {
				break
			}
			subjects[q.subj] = true
			ids = append(ids, q.subj)
		}
		files, err := s.Store.RecordsBySubjects(ctx, ids)
		if err != nil {
			return nil, err
		}
		states := make(map[string][]credit.State, len(files))
		var origins []string
		for subj, facts := range files {
			st := credit.Derive(facts)
			states[subj] = st
			for _, x := range st {
				origins = append(origins, x.Origin)
			}
		}
		marks, err := s.markSource().Marks(ctx, origins)
		if err != nil {
			return nil, err
		}
		for i := lo; i < hi; i++ {
			lt := qs[i].lt
			if lt.Bar == nil || len(lt.Bar.Severities) == 0 {
				continue
			}
			var until int64
			for _, st := range states[qs[i].subj] {
				w, ok := s.engine.InForce(st, nil, marks[st.Origin])
				if !ok || !slices.Contains(lt.Bar.Severities, w.Severity) || w.From.After(now) {
					continue
				}
				end := int64(math.MaxInt64)
				if !w.MaxEnd.IsZero() {
					end = w.MaxEnd.UnixMicro()
				}
				if end > now.UnixMicro() {
					until = max(until, end)
				}
			}
			out[i] = until
		}
		lo = hi
	}
	return out, nil
}

// Sync turns the records of lists decided elsewhere into their entries
// (SyncReported) and brings the hit-check index up to the head of the
// change feed: what Run does at every poll, for callers that need it done
// now (the demo, tests, a command that imported a court's file).
func (s *Service) Sync(ctx context.Context) error {
	if _, err := s.SyncReported(ctx); err != nil {
		return err
	}
	return s.Refresh(ctx)
}

// Run follows the change feed (reported list records, and changes made by
// other nodes), and writes the removal of expired entries (at start and
// every ExpiryInterval), until ctx ends.
func (s *Service) Run(ctx context.Context) {
	t := time.NewTicker(s.cfg.PollInterval)
	defer t.Stop()
	sweep := time.NewTicker(s.cfg.ExpiryInterval)
	defer sweep.Stop()
	s.sweepExpired(ctx)
	failing := false
	for {
		select {
		case <-ctx.Done():
			return
		case <-sweep.C:
			s.sweepExpired(ctx)
		case <-t.C:
			if _, err := s.SyncReported(ctx); err != nil && ctx.Err() == nil && !failing {
				s.logger().Warn("reported list entries could not be brought in step with their records; retrying", "err", err)
			}
			err := s.Refresh(ctx)
			if err != nil && ctx.Err() == nil && !failing {
				s.logger().Warn("hit-check index refresh failed; checks serve the last loaded version", "version", s.Version(), "err", err)
			}
			failing = err != nil
		}
	}
}

// Close flushes the checks log. Every check answered before Close is
// written, or Close returns an error saying how many were not.
func (s *Service) Close(ctx context.Context) error {
	return s.log.close(ctx)
}

// Flush writes every check logged so far.
func (s *Service) Flush(ctx context.Context) error { return s.log.flush(ctx) }

// MarkUnderVerification marks a record (credit.VerifyRecord, the chain's
// origin record ID) or a list entry (credit.VerifyEntry) as under
// verification: measures based on it are returned as suspended (核实期间暂不
// 执行) until ClearVerification. The objection workflow calls these.
func (s *Service) MarkUnderVerification(ctx context.Context, kind, targetID, subjectID, actor, reason, ref string) error {
	return s.mark(ctx, kind, targetID, subjectID, actor, reason, ref, true)
}

// ClearVerification ends a verification started by MarkUnderVerification.
func (s *Service) ClearVerification(ctx context.Context, kind, targetID, subjectID, actor, reason, ref string) error {
	return s.mark(ctx, kind, targetID, subjectID, actor, reason, ref, false)
}

func (s *Service) mark(ctx context.Context, kind, targetID, subjectID, actor, reason, ref string, active bool) error {
	m := &credit.VerificationMark{ID: credit.NewID(), TargetKind: kind, TargetID: targetID, SubjectID: subjectID,
		Active: active, At: s.now(), Actor: actor, Reason: reason, Ref: ref}
	if err := s.Store.AppendVerification(ctx, m); err != nil {
		return credit.Wrap("sanction.mark", credit.Other, err)
	}
	return s.Refresh(ctx)
}

// NotThisSubject records that name candidate subjectID is not the subject
// a business system asked about under name, so later checks of the same
// name no longer return it.
func (s *Service) NotThisSubject(ctx context.Context, a Actor, name, subjectID, reason string) (*credit.NameDecision, error) {
	const op = "sanction.NotThisSubject"
	key := NameKey(name)
	if key == "" || subjectID == "" {
		return nil, credit.Say(op, credit.Invalid, "请提供所核查的名称和候选主体代码（subject_id）", "give the name that was checked and the candidate subject_id")
	}
	if _, err := s.Store.Subject(ctx, subjectID); err != nil {
		if credit.Is(credit.NotFound, err) {
			return nil, credit.Say(op, credit.Invalid, "信用主体“%s”未登记", "subject %q is not registered", subjectID)
		}
		return nil, credit.Wrap(op, credit.Other, err)
	}
	d := &credit.NameDecision{ID: credit.NewID(), NameKey: key, SubjectID: subjectID, Actor: a.Name, Dept: a.Dept, At: s.now(), Reason: reason}
	if err := s.Store.AppendNameDecision(ctx, d); err != nil {
		return nil, credit.Wrap(op, credit.Other, err)
	}
	return d, s.Refresh(ctx)
}

// UnderVerification reports whether an entry or one of its basis records is
// under verification, so its measures are suspended.
func (s *Service) UnderVerification(e *Entry) bool { return s.index.underVerification(e) != "" }
