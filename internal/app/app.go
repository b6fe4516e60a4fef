// Package app is the composition root: it builds one platform node's
// services once, over one store, catalogue, data key, calendar and clock,
// and wires them to each other (the publication engine reads the sanction
// service's entries and the workflows' marks; records written are followed
// by the hit-check index and the name search), then runs their background
// loops. `serve`, the benchmarks, the demo and the tests build nodes with
// it; api.New, web.New and server.New take what they need from it and
// change nothing.
//
// Adding a service is one change here (build it in New, start its loop in
// Run, hand it to the server in Deps) plus its own package.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/commit"
	"github.com/xinyong/xinyong/internal/config"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/evaluation"
	"github.com/xinyong/xinyong/internal/exchange"
	"github.com/xinyong/xinyong/internal/inspection"
	"github.com/xinyong/xinyong/internal/monitor"
	"github.com/xinyong/xinyong/internal/pii"
	"github.com/xinyong/xinyong/internal/publish"
	"github.com/xinyong/xinyong/internal/records"
	"github.com/xinyong/xinyong/internal/sanction"
	"github.com/xinyong/xinyong/internal/search"
	"github.com/xinyong/xinyong/internal/server"
	"github.com/xinyong/xinyong/internal/signing"
	"github.com/xinyong/xinyong/internal/sitecontent"
	"github.com/xinyong/xinyong/internal/web"
	"github.com/xinyong/xinyong/internal/workday"
	"github.com/xinyong/xinyong/internal/workflow"
)

// Parts are what a node is built from: the store and what every service
// shares. Open makes them from the configuration; tests make their own.
type Parts struct {
	Store   credit.Store
	Catalog *catalog.Catalog
	// Sealer seals and opens personal data with the data key.
	Sealer *pii.Sealer
	// Calendar is the one working-day calendar of every deadline; nil is
	// workday.Default(). CalendarDir is where administrators' years are
	// saved.
	Calendar    *workday.Calendar
	CalendarDir string
	Logger      *slog.Logger
	// Now is the clock of every business date; nil is time.Now.
	Now func() time.Time
	// NoSearchIndex leaves the in-memory name index out (a node that only
	// answers hit checks and the API); its name searches scan the store.
	NoSearchIndex bool
	// IndexDir is where the name index and the hit-check index keep their
	// snapshots (search.snap, hitcheck.snap): read at start when good,
	// then caught up through the change feed; written after a full load,
	// every SnapshotInterval while the index changes, and at Close.
	// Empty: no snapshots, the indexes load from the store in full.
	IndexDir string
	// SearchProgress, when set, is told how many subjects the name index
	// has loaded.
	SearchProgress func(n int)
	// Sanction tunes the hit-check service (poll and sweep intervals);
	// the shared parts above are filled in.
	Sanction sanction.Config
	// SigningKey signs reports and log checkpoints (OpenSigningKey); nil
	// makes one for the process. PublicURL is the platform's public
	// address for reports' verification links ("" : the request's).
	SigningKey *signing.Key
	PublicURL  string
	// Exchange is the node's exchange identity and transports (Open
	// loads them from the configuration when WithExchange is set); a zero
	// value exchanges nothing.
	Exchange ExchangeParts
	// Classifier gives the supervision class of a subject for a
	// department's matter, from which random inspections draw at each
	// class's ratio; nil puts every subject in one class (see
	// buildInspection).
	Classifier inspection.Classifier
	// WithExchange makes Open load the node's exchange identity (serve,
	// exchange export and import): a node with an identity whose signing
	// key is missing does not start then. Other commands leave it out.
	WithExchange bool
}

// App is one node's services, wired.
type App struct {
	Store       credit.Store
	Catalog     *catalog.Catalog
	Sealer      *pii.Sealer
	Calendar    *workday.Calendar
	CalendarDir string
	Logger      *slog.Logger
	Now         func() time.Time

	Records  *records.Service
	Publish  *publish.Engine
	Sanction *sanction.Service
	Workflow *workflow.Service
	// Marks are the workflows' marks (under objection, under repair,
	// repaired, masked) as the publication engine reads them.
	Marks publish.MarkSource
	// Commit runs credit commitments, their fulfilment tracking and
	// self-declared information.
	Commit *commit.Service
	// Search is the name index; nil on a node without one.
	Search *search.Index
	// LoginGuard limits failed password logins across the node's API and
	// portal.
	LoginGuard *auth.LoginGuard
	// R holds the credit reports, authorisations and transparency log.
	R Reports
	// Exchange is the exchange with other platforms and departments.
	Exchange *exchange.Service
	// Monitor is the city credit monitoring.
	Monitor *monitor.Service
	// Inspection runs random inspection tasks (双随机、一公开).
	Inspection *inspection.Service
	// Evaluation is the public credit evaluation and graded supervision.
	Evaluation *evaluation.Service

	loops   []func(context.Context)
	closers []func(context.Context) error
}

// New builds the services over p and wires them. The caller owns p.Store;
// Close flushes what the services hold.
func New(ctx context.Context, p Parts) (*App, error) {
	if p.Store == nil || p.Catalog == nil {
		return nil, errors.New("app: Store and Catalog are required")
	}
	a := &App{Store: p.Store, Catalog: p.Catalog, Sealer: p.Sealer, Calendar: p.Calendar, CalendarDir: p.CalendarDir, Logger: p.Logger, Now: p.Now}
	if a.Logger == nil {
		a.Logger = slog.Default()
	}
	if a.Now == nil {
		a.Now = time.Now
	}
	if a.Calendar == nil {
		a.Calendar = workday.Default()
	}
	a.Records = &records.Service{Store: a.Store, Catalog: a.Catalog, Sealer: a.Sealer, Now: a.Now}
	// Registration records set their subjects' registration data.
	a.loops = append(a.loops, a.follower(RegistrationInterval, "registration data", func(ctx context.Context) (int, error) {
		return a.Records.SyncRegistrations(ctx, a.Store)
	}))

	// The publication engine: administrators and the subject itself see
	// personal fields opened, everyone else their masked form.
	a.Publish = publish.New(a.Catalog, a.Now)
	a.Publish.Sealer = a.Sealer

	// The name index loads beside the hit-check index (each is most of a
	// start at city scale, and a node has more than one core); it is
	// joined below, before anything uses it.
	type searchLoaded struct {
		res search.LoadResult
		err error
	}
	var searchDone chan searchLoaded
	if !p.NoSearchIndex {
		a.Search = search.New()
		searchDone = make(chan searchLoaded, 1)
		go func() {
			res, err := a.Search.LoadFrom(ctx, p.IndexDir, a.Store, p.SearchProgress)
			searchDone <- searchLoaded{res, err}
		}()
		defer func() {
			if searchDone != nil {
				<-searchDone // New failed before the join: the load ends before New returns
			}
		}()
	}

	// The sanction service is the one source of list entries: list pages,
	// subject pages and the hit check read the same.
	sc := p.Sanction
	sc.Store, sc.Catalog, sc.Sealer, sc.Logger, sc.Now, sc.Calendar = a.Store, a.Catalog, a.Sealer, a.Logger, a.Now, a.Calendar
	sc.MarksLater = true // SetMarks below
	sc.SnapshotDir = p.IndexDir
	started := time.Now()
	sanc, err := sanction.New(ctx, sc)
	if err != nil {
		return nil, err
	}
	a.Logger.Info("hit-check index loaded", "took", time.Since(started).Round(time.Millisecond).String())
	a.Sanction = sanc
	a.Publish.Entries = sanc
	a.closers = append(a.closers, sanc.Close)
	// Lists decided elsewhere (court files) are entries before the node
	// answers, and at once when reported through this node.
	if err := sanc.Sync(ctx); err != nil {
		return nil, a.closeAfter(ctx, err)
	}
	a.Records.Written = func(ctx context.Context) {
		if err := sanc.Sync(ctx); err != nil {
			a.Logger.Warn("list entries of reported records not brought in step; the next poll retries", "err", err)
		}
	}
	a.loops = append(a.loops, sanc.Run)

	// Objections suspend measures in the hit check; repairs remove list
	// entries; bankruptcy masking suspends them.
	gate := workflow.SanctionGate{S: sanc}
	a.Workflow, err = workflow.New(workflow.Config{Store: a.Store, Records: a.Records, Catalog: a.Catalog, Calendar: a.Calendar,
		Suspender: gate, Lists: gate, Logger: a.Logger, Now: a.Now})
	if err != nil {
		return nil, a.closeAfter(ctx, err)
	}
	a.Marks = workflow.PublishMarks{S: a.Workflow}
	// Red-list bars weigh records with the workflows' marks (a repaired
	// record no longer bars).
	if err := sanc.SetMarks(ctx, a.Marks); err != nil {
		return nil, a.closeAfter(ctx, err)
	}
	fromSnap, snapErr := sanc.FromSnapshot()
	if snapErr != nil {
		a.Logger.Warn("hit-check index snapshot not used; loaded from the store", "dir", p.IndexDir, "err", snapErr)
	}
	a.Logger.Info("hit-check index ready", "version", sanc.Version(), "from_snapshot", fromSnap, "took", time.Since(started).Round(time.Millisecond).String())
	if p.IndexDir != "" {
		a.followSnapshots("hit-check", sanc.Version, func(ctx context.Context) error { return sanc.SaveSnapshot(ctx, p.IndexDir) }, !fromSnap)
	}
	a.loops = append(a.loops, a.sweeper(CaseSweepInterval, "cases", a.Workflow.Sweep))

	// Commitments: eligibility asks the publication engine, the sanction
	// service's entries and the workflows' marks; a false commitment is
	// recorded by the workflows' one path. Overdue commitments are swept
	// as cases are.
	a.Commit, err = commit.New(commit.Config{Store: a.Store, Records: a.Records, Catalog: a.Catalog, Publish: a.Publish, Marks: a.Marks,
		Lists: sanc, False: a.Workflow, Calendar: a.Calendar, Logger: a.Logger, Now: a.Now})
	if err != nil {
		return nil, a.closeAfter(ctx, err)
	}
	a.loops = append(a.loops, a.sweeper(CommitmentSweepInterval, "commitments", a.Commit.Sweep))

	// The name index is a cache of the store: loaded now, then following
	// the change feed; this node's own writes are searchable at once.
	if !p.NoSearchIndex {
		loaded := <-searchDone
		searchDone = nil
		res, err := loaded.res, loaded.err
		if err != nil {
			return nil, a.closeAfter(ctx, fmt.Errorf("load the search index: %w", err))
		}
		if res.SnapshotErr != nil {
			a.Logger.Warn("search index snapshot not used; loaded from the store", "dir", p.IndexDir, "err", res.SnapshotErr)
		}
		a.Logger.Info("search index ready", "from_snapshot", res.FromSnapshot, "read", res.Read, "indexed", a.Search.Len(), "took", res.Took.Round(time.Millisecond).String())
		if p.IndexDir != "" {
			idx := a.Search
			a.followSnapshots("search", idx.Position, func(ctx context.Context) error { return idx.SaveSnapshot(ctx, p.IndexDir, a.Store) }, !res.FromSnapshot)
		}
		idx := a.Search
		a.Records.SubjectChanged = func(ctx context.Context, s *credit.Subject) {
			idx.Put(credit.SubjectName{ID: s.ID, Kind: s.Kind, Code: s.Code, Name: s.Name, FormerNames: s.FormerNames, UpdatedAt: s.UpdatedAt})
		}
		a.loops = append(a.loops, func(ctx context.Context) {
			idx.Follow(ctx, a.Store, SearchInterval, func(err error) { a.Logger.Warn("search index refresh failed; retrying", "err", err) })
		})
	}
	a.LoginGuard = &auth.LoginGuard{Now: a.Now, Store: a.Store}
	if err := a.buildEvaluation(ctx); err != nil {
		return nil, a.closeAfter(ctx, err)
	}
	if err := a.buildReports(ctx, p); err != nil {
		return nil, a.closeAfter(ctx, err)
	}
	a.newExchange(p.Exchange)
	if err := a.buildMonitor(); err != nil {
		return nil, a.closeAfter(ctx, err)
	}
	a.buildInspection(p)
	return a, nil
}

// SnapshotInterval is how often a node writes an index's snapshot again
// when the index has moved on since the last one.
const SnapshotInterval = 10 * time.Minute

// followSnapshots writes the snapshot of an in-memory index (the name
// index, the hit-check index) with save: now when the index was loaded in
// full (now), then every SnapshotInterval when the index has moved on
// (pos), and at Close.
func (a *App) followSnapshots(name string, pos func() int64, save func(context.Context) error, now bool) {
	saved := int64(-1)
	write := func(ctx context.Context) {
		at := pos()
		if at == saved {
			return
		}
		start := time.Now()
		if err := save(ctx); err != nil {
			if ctx.Err() == nil {
				a.Logger.Warn("writing an index snapshot failed; the next start loads that index from the store", "index", name, "err", err)
			}
			return
		}
		saved = at
		a.Logger.Info("index snapshot written", "index", name, "position", at, "took", time.Since(start).Round(time.Millisecond).String())
	}
	if !now {
		saved = pos()
	}
	var mu sync.Mutex
	a.loops = append(a.loops, func(ctx context.Context) {
		t := time.NewTicker(SnapshotInterval)
		defer t.Stop()
		for {
			mu.Lock()
			write(ctx)
			mu.Unlock()
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	})
	a.closers = append(a.closers, func(ctx context.Context) error {
		mu.Lock()
		defer mu.Unlock()
		write(ctx)
		return nil
	})
}

// SearchInterval is how often the name index reads the change feed for
// other nodes' writes.
const SearchInterval = time.Second

// CaseSweepInterval is how often a node escalates overdue cases. Several
// nodes may sweep: a case is escalated once per deadline whoever sweeps.
const CaseSweepInterval = time.Hour

// CommitmentSweepInterval is how often a node moves commitments whose due
// date passed to overdue and escalates those their unit left undecided;
// as with cases, once per deadline whoever sweeps.
const CommitmentSweepInterval = time.Hour

// RegistrationInterval is how often a node applies the registration
// records other nodes or imports committed to their subjects.
const RegistrationInterval = 2 * time.Second

// follower is the loop of a follower of the change feed: fn now, then
// every interval until ctx ends, saying what it changed.
func (a *App) follower(every time.Duration, what string, fn func(context.Context) (int, error)) func(context.Context) {
	return a.periodic(every, "following the change feed for "+what+" failed", "applied "+what, "subjects", fn)
}

// sweeper is the loop of a sweep (cases, commitments): fn now, then every
// interval until ctx ends, saying what it did.
func (a *App) sweeper(every time.Duration, what string, fn func(context.Context) (int, error)) func(context.Context) {
	return a.periodic(every, "sweeping overdue "+what+" failed", "swept overdue "+what, what, fn)
}

// periodic runs fn now and then every interval until ctx ends, logging
// failed with the error and did with how many things fn did (under key).
func (a *App) periodic(every time.Duration, failed, did, key string, fn func(context.Context) (int, error)) func(context.Context) {
	return func(ctx context.Context) {
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			if n, err := fn(ctx); err != nil && ctx.Err() == nil {
				a.Logger.Warn(failed, "err", err)
			} else if n > 0 {
				a.Logger.Info(did, key, n)
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}
}

// Sync brings every follower of the change feed in step with the store
// now (reported lists into the hit-check index, the name index), instead
// of at their next poll: after a bulk load such as the demo's.
func (a *App) Sync(ctx context.Context) error {
	if _, err := a.Records.SyncRegistrations(ctx, a.Store); err != nil {
		return err
	}
	if err := a.Sanction.Sync(ctx); err != nil {
		return err
	}
	if a.Search != nil {
		if _, err := a.Search.Refresh(ctx, a.Store, nil); err != nil {
			return fmt.Errorf("search index: %w", err)
		}
	}
	return nil
}

// Run runs the services' background loops (the hit-check index following
// the feed and sweeping expired entries, the name index following the
// feed, the case and commitment sweeps) until ctx ends, and returns when they have.
func (a *App) Run(ctx context.Context) {
	done := make(chan struct{}, len(a.loops))
	for _, loop := range a.loops {
		go func() {
			defer func() { done <- struct{}{} }()
			loop(ctx)
		}()
	}
	for range a.loops {
		<-done
	}
}

// Close flushes what the services hold (every answered hit check reaches
// the checks log) and closes what Open opened.
func (a *App) Close(ctx context.Context) error {
	var errs []error
	for i := len(a.closers) - 1; i >= 0; i-- {
		errs = append(errs, a.closers[i](ctx))
	}
	a.closers = nil
	return errors.Join(errs...)
}

// closeAfter closes what New had built when a later step failed.
func (a *App) closeAfter(ctx context.Context, err error) error {
	return errors.Join(err, a.Close(ctx))
}

// HTTP are the settings of a node's HTTP surface that are not services.
type HTTP struct {
	Version        string
	PublicRate     float64
	PublicBurst    int
	TrustedProxies []netip.Prefix
	Metrics        *prometheus.Registry
	MaxUpload      int64
	MaxRejectRows  int
	SecureCookies  bool
	SpoolDir       string
	// KeyCheck tells /readyz whether the store still accepts the node's
	// data key (pii.Usable); nil: always.
	KeyCheck func(context.Context) error
	// OIDC is the identity provider subjects sign in with (nil: none).
	OIDC *auth.OIDC
	// Site names who runs the portal, in its footer.
	Site web.Site
}

// Deps are the server's parts from this node's services and h.
func (a *App) Deps(h HTTP) server.Deps {
	return server.Deps{
		Store: a.Store, Catalog: a.Catalog, Records: a.Records, Sealer: a.Sealer, Logger: a.Logger, Now: a.Now,
		Workflow: a.Workflow, Calendar: a.Calendar, CalendarDir: a.CalendarDir, Sanction: a.Sanction,
		Search: a.Search, Publish: a.Publish, Marks: a.Marks, LoginGuard: a.LoginGuard,
		Commit:  a.Commit,
		Version: h.Version, PublicRate: h.PublicRate, PublicBurst: h.PublicBurst, TrustedProxies: h.TrustedProxies,
		Metrics: h.Metrics, MaxUpload: h.MaxUpload, MaxRejectRows: h.MaxRejectRows, SecureCookies: h.SecureCookies,
		SpoolDir: h.SpoolDir, KeyCheck: h.KeyCheck,
		Reports:  &a.R.Platform,
		Exchange: a.Exchange,
		Monitor:  a.Monitor,
		OIDC:     h.OIDC,
		Site:     h.Site,
		// The site's content is a thin service over the store, with no
		// loop of its own.
		SiteContent: sitecontent.New(a.Store, a.Now),
		Inspection:  a.Inspection,
		Evaluation:  a.Evaluation,
	}
}

// Open builds a node from the configuration: the catalogue, the store
// (migrated) with its data key checked, the calendar with the
// administrators' years, and the services. With the embedded store and
// the key file, Run also follows the file for a key rotation begun while
// the node runs. Close closes the store too.
func Open(ctx context.Context, cfg *config.Config, p Parts) (*App, error) {
	logger := p.Logger
	if logger == nil {
		logger = cfg.Logger()
		p.Logger = logger
	}
	cat, err := LoadCatalog(cfg)
	if err != nil {
		return nil, err
	}
	st, seal, err := OpenSealed(ctx, cfg, cat, logger)
	if err != nil {
		return nil, err
	}
	// Catalogue versions administrators activated are loaded over the
	// files the node ships with (catalog.WithActive).
	if cat, err = catalog.WithActive(ctx, st, cat); err != nil {
		st.Close()
		return nil, err
	}
	pii.Register(records.SealedFields(cat))
	logger.Info("store ready", "backend", st.Backend(), "db", cfg.Redacted(), "catalog", cat.Version)
	cal, err := LoadCalendar(cfg)
	if err != nil {
		st.Close()
		return nil, err
	}
	p.Store, p.Catalog, p.Sealer, p.Calendar, p.CalendarDir = st, cat, seal, cal, cfg.CalendarPath()
	if p.SigningKey == nil {
		if p.SigningKey, err = OpenSigningKey(cfg, logger); err != nil {
			st.Close()
			return nil, err
		}
	}
	if p.WithExchange {
		if p.Exchange, err = OpenExchange(ctx, cfg, st); err != nil {
			st.Close()
			return nil, err
		}
	}
	if p.PublicURL == "" {
		p.PublicURL = cfg.PublicURL
	}
	a, err := New(ctx, p)
	if err != nil {
		st.Close()
		return nil, err
	}
	a.closers = append([]func(context.Context) error{func(context.Context) error { return st.Close() }}, a.closers...)
	if strings.TrimSpace(cfg.DataKey) == "" && !cfg.Postgres() {
		a.loops = append(a.loops, func(ctx context.Context) { FollowKeyFile(ctx, cfg, st, seal, logger, KeyFileInterval) })
	}
	return a, nil
}

// LoadCalendar is the embedded calendar plus the administrators' years
// (cfg.CalendarPath).
func LoadCalendar(cfg *config.Config) (*workday.Calendar, error) {
	cal := workday.Default()
	if err := cal.LoadDir(cfg.CalendarPath()); err != nil {
		return nil, fmt.Errorf("calendar %s: %w", cfg.CalendarPath(), err)
	}
	return cal, nil
}
