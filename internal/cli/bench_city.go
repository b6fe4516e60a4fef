package cli

import (
	"context"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/xinyong/xinyong/internal/app"
	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/chinatime"
	"github.com/xinyong/xinyong/internal/config"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/gen"
	"github.com/xinyong/xinyong/internal/ingest"
	"github.com/xinyong/xinyong/internal/pii"
	"github.com/xinyong/xinyong/internal/records"
	"github.com/xinyong/xinyong/internal/sanction"
	"github.com/xinyong/xinyong/internal/search"
	"github.com/xinyong/xinyong/internal/tlog"
)

// BenchCityOptions sizes `xinyong bench city`.
type BenchCityOptions struct {
	// DB is the store: a SQLite file path (default DIR/city.db) or a
	// postgres:// URL (its schema should be empty, or hold an earlier
	// run's data with Reuse).
	DB string
	// Dir holds the generated files, the children's logs and the index
	// snapshot; "" = a temporary directory, removed afterwards.
	Dir string
	// Subjects is the population the records are drawn from; Records the
	// records imported across licences, penalties, honours and court
	// lists; ListEntries of them are court 失信被执行人 records, whose
	// reported list gives the list entries.
	Subjects, Records, ListEntries int
	// Reuse measures what an earlier run imported into DB.
	Reuse bool
	// Queries is how many name searches and subject pages are timed.
	Queries int
	// Rate, Duration, Pairs, Warmup: the single-subject hit-check phase,
	// as in bench check.
	Rate     int
	Duration time.Duration
	Pairs    int
	Warmup   time.Duration
	// LogWait bounds the wait for the transparency log to catch up with
	// the import before the latency phases (0: do not wait).
	LogWait time.Duration
	// ServerCPUProfile, when set, receives a CPU profile of the measured
	// node during its first single-subject hit-check run.
	ServerCPUProfile string
	// ServerTrace, when set, receives an execution trace (go tool trace)
	// of the node during that run, and the bare server's in ServerTrace+".bare".
	ServerTrace string
	// Latencies, when set, is a directory where every measured
	// single-subject run leaves its requests' due times, generator lags
	// and latencies (node-N.lat, bare-N.lat), to see when the slow ones came.
	Latencies string
}

// BenchCityResult is what `xinyong bench city` measures.
type BenchCityResult struct {
	Backend              string
	Subjects, Records    int // in the store after the import
	Entries              int // list entries in the hit-check index
	Imported, Rejected   int
	ImportTime           time.Duration // the import pipeline, every file
	ReportedTime         time.Duration // list entries written from the reported records
	DBBytes              int64
	SearchLoad           time.Duration // name index from the store, in this process
	SearchHeap           uint64        // its live heap
	SnapshotWrite        time.Duration
	SnapshotRead         time.Duration // read, checked and caught up
	SnapshotBytes        int64
	CheckLoad            time.Duration // hit-check index from the store
	CheckHeap            uint64
	ReadyCold, ReadySnap time.Duration // full node start → /readyz 200, without and with the indexes' snapshots
	ReadyCheckOnly       time.Duration
	// The nodes' CPU time (user and system) from start to ready: on a
	// shared machine the wall time above depends on what else runs, this
	// much less.
	CPUCold, CPUSnap, CPUCheckOnly time.Duration
	RSSFull, RSSCheckOnly          int64 // after ready
	RSSFullPeak                    int64 // VmHWM of the full node at the end
	LogBehind                      int64 // feed entries the transparency log had not appended when the phases began
	LogRate                        float64
	LogCaughtUp                    time.Duration
	// IdleWait is how long the node went on catching up (the evaluation's
	// first pass and file copies) after the log had, before the phases;
	// Idle says it became idle within LogWait.
	IdleWait                time.Duration
	Idle                    bool
	SearchAPI, SearchPortal LoadResult // 2-character queries, closed loop, p50/p99 in P50/P99
	SubjectPage             LoadResult
	ListPage                LoadResult
	ListFirst               time.Duration
	Single, Baseline        LoadResult
	SingleP99s, BaseP99s    []time.Duration
	SingleCPU, BaseCPU      time.Duration
	// SingleFaults and BaseFaults are the servers' minor page faults per
	// check in the same runs.
	SingleFaults, BaseFaults float64
	// SingleGCs and BaseGCs are the collections each server completed in
	// each measured run (-1: not read).
	SingleGCs, BaseGCs []int
	// SingleSteal and BaseSteal are the share of the machine's processor
	// time stolen by its hypervisor during each measured run (-1: not read).
	SingleSteal, BaseSteal []float64
	BatchRate              float64
	CheckErr               string // why the hit-check phase failed, if it did
}

func runBenchCity(args []string, stdout, stderr io.Writer) int {
	var o BenchCityOptions
	fs := newFlagSet("bench", "bench city [--db PATH|URL] [--dir DIR] [--subjects N] [--records N] [--list-entries N]", stdout)
	fs.StringVar(&o.DB, "db", "", "SQLite file (default: DIR/city.db) or postgres:// URL whose schema is empty (or holds an earlier run's data, with --reuse)")
	fs.StringVar(&o.Dir, "dir", "", "directory for the generated files, the nodes' logs and the index snapshot (default: a temporary directory, removed afterwards)")
	fs.IntVar(&o.Subjects, "subjects", 2_000_000, "subject population the records are drawn from (a quick run: 50000)")
	fs.IntVar(&o.Records, "records", 10_000_000, "records imported across licences, penalties, honours and court lists (a quick run: 250000)")
	fs.IntVar(&o.ListEntries, "list-entries", 100_000, "reported list records among them, each a list entry: half court 失信被执行人 records, half A-grade taxpayers (a red list) (a quick run: 5000)")
	fs.BoolVar(&o.Reuse, "reuse", false, "measure what an earlier run imported into --db instead of importing")
	fs.IntVar(&o.Queries, "queries", 2000, "name searches and subject pages timed")
	fs.IntVar(&o.Rate, "rate", 5000, "single-subject hit checks per second (open loop)")
	fs.DurationVar(&o.Duration, "duration", 10*time.Second, "length of each hit-check phase")
	fs.IntVar(&o.Pairs, "pairs", 3, "alternating bare-server/Xinyong runs of the single-subject phase")
	fs.DurationVar(&o.Warmup, "warmup", 5*time.Second, "unmeasured load before each single-subject run")
	fs.StringVar(&o.ServerCPUProfile, "server-cpuprofile", "", "write a CPU profile of the measured node during its first single-subject hit-check run to this file, and the bare server's to FILE.bare (taken through serve --pprof)")
	fs.StringVar(&o.ServerTrace, "server-trace", "", "write an execution trace of the measured node during its first single-subject hit-check run to this file, and the bare server's to FILE.bare (go tool trace)")
	fs.StringVar(&o.Latencies, "latencies", "", "write every measured single-subject run's requests (due time in Unix µs, generator lag and latency in µs) to node-N.lat and bare-N.lat in this directory")
	fs.DurationVar(&o.LogWait, "log-wait", 30*time.Minute, "wait at most this long for the transparency log to catch up with the import before the latency phases, and as long again for the node to finish the rest of its catching up (the evaluation's first pass and file copies: under 5 % of a core over 5 s) (0: do not wait)")
	if code, done := parse(fs, args, stderr); done {
		return code
	}
	if o.Subjects <= 0 || o.Records <= 0 || o.ListEntries < 0 || o.ListEntries > o.Records/5 || o.Rate <= 0 || o.Duration <= 0 || o.Queries <= 0 {
		fmt.Fprintln(stderr, "xinyong bench: need --subjects, --records, --rate, --duration, --queries > 0 and 0 ≤ --list-entries ≤ --records/5")
		return 2
	}
	res, err := BenchCity(context.Background(), o, stderr)
	if err != nil {
		return fail(stderr, "bench", err)
	}
	printBenchCity(stdout, res)
	return 0
}

// cityStore is what the bench reads beside the store's interfaces.
type cityStore interface {
	app.Store
	ReadDB() *sql.DB
}

// BenchCity builds (or reuses) a city-sized installation and measures it.
func BenchCity(ctx context.Context, o BenchCityOptions, progress io.Writer) (*BenchCityResult, error) {
	dir := o.Dir
	if dir == "" {
		d, err := os.MkdirTemp("", "xinyong-bench-city-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(d)
		dir = d
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	cfg := config.Config{DB: o.DB}
	if cfg.DB == "" {
		cfg.DB = filepath.Join(dir, "city.db")
	}
	cat, err := catalog.Default()
	if err != nil {
		return nil, err
	}
	pii.Register(records.SealedFields(cat))
	as, err := app.OpenStore(ctx, &cfg)
	if err != nil {
		return nil, err
	}
	defer as.Close()
	st, ok := as.(cityStore)
	if !ok {
		return nil, fmt.Errorf("store %s has no SQL read pool", as.Backend())
	}
	sealer, err := pii.New(benchDataKey)
	if err != nil {
		return nil, err
	}
	if sealer, _, err = pii.Check(ctx, st, sealer, time.Now()); err != nil {
		return nil, err
	}
	res := &BenchCityResult{Backend: st.Backend()}
	count := func(q string) (int, error) {
		var n int
		err := st.ReadDB().QueryRowContext(ctx, q).Scan(&n)
		return n, err
	}
	have, err := count(`SELECT count(*) FROM records`)
	if err != nil {
		return nil, err
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	if o.Reuse {
		if have == 0 {
			return nil, errors.New("--reuse: the store holds no records; run once without --reuse")
		}
	} else {
		if have > 0 {
			return nil, fmt.Errorf("the store already holds %d records: give an empty database, or --reuse to measure it", have)
		}
		// A node started on the empty database first, as an installation
		// does: its one pass sealing what an older version kept in clear
		// (pii.SealClear) is over before there is anything to pass over.
		if _, err := pii.SealClear(ctx, st, sealer, pii.RotateOptions{}); err != nil {
			return nil, err
		}
		if err := cityImport(ctx, st, cat, sealer, o, dir, res, progress); err != nil {
			return nil, err
		}
		// The court's records become list entries when a node follows the
		// feed (sanction.SyncReported); done here once, timed on its own,
		// so that the node starts below measure a restart.
		svc, err := sanction.New(ctx, sanction.Config{Store: st, Catalog: cat, Sealer: sealer, Logger: quiet})
		if err != nil {
			return nil, err
		}
		t0 := time.Now()
		n, err := svc.SyncReported(ctx)
		res.ReportedTime = time.Since(t0)
		svc.Close(ctx)
		if err != nil {
			return nil, fmt.Errorf("list entries from reported records: %w", err)
		}
		fmt.Fprintf(progress, "bench: %d list events written from reported records in %s\n", n, res.ReportedTime.Round(time.Millisecond))
	}
	if res.Subjects, err = count(`SELECT count(*) FROM subjects`); err != nil {
		return nil, err
	}
	if res.Records, err = count(`SELECT count(*) FROM records`); err != nil {
		return nil, err
	}
	if res.DBBytes, err = dbSize(ctx, st, cfg.DB); err != nil {
		return nil, err
	}

	// The indexes in this process: load time from the store and live heap.
	fmt.Fprintf(progress, "bench: loading the name index from the store\n")
	heap := func() uint64 {
		runtime.GC()
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	h0 := heap()
	idx := search.New()
	t0 := time.Now()
	if _, err := idx.Refresh(ctx, st, nil); err != nil {
		return nil, err
	}
	res.SearchLoad = time.Since(t0)
	res.SearchHeap = heap() - min(h0, heap())
	fmt.Fprintf(progress, "bench: name index: %d subjects in %s, heap %d MiB\n", idx.Len(), res.SearchLoad.Round(time.Millisecond), res.SearchHeap>>20)
	snapDir := filepath.Join(dir, "index")
	os.RemoveAll(snapDir)
	t0 = time.Now()
	if err := idx.SaveSnapshot(ctx, snapDir, st); err != nil {
		return nil, err
	}
	res.SnapshotWrite = time.Since(t0)
	if fi, err := os.Stat(filepath.Join(snapDir, search.SnapshotFile)); err == nil {
		res.SnapshotBytes = fi.Size()
	}
	idx = nil
	check := search.New()
	lr, err := check.LoadFrom(ctx, snapDir, st, nil)
	if err != nil || !lr.FromSnapshot {
		return nil, fmt.Errorf("the snapshot just written did not load: %v %v", err, lr.SnapshotErr)
	}
	res.SnapshotRead = lr.Took
	check = nil
	h0 = heap()
	t0 = time.Now()
	svc, err := sanction.New(ctx, sanction.Config{Store: st, Catalog: cat, Sealer: sealer, Logger: quiet})
	if err != nil {
		return nil, err
	}
	res.CheckLoad = time.Since(t0)
	res.CheckHeap = heap() - min(h0, heap())
	key, err := cityAccount(ctx, st, svc)
	if err != nil {
		return nil, err
	}
	es, err := st.ListEvents(ctx, 0, 0)
	if err != nil {
		return nil, err
	}
	var listedCodes []string
	seenL := map[string]bool{}
	for _, e := range sanction.Derive(es) {
		res.Entries++
		if e.State == credit.StepDecided && !seenL[e.SubjectID] {
			seenL[e.SubjectID] = true
			listedCodes = append(listedCodes, e.SubjectID)
		}
	}
	es = nil
	svc.Close(ctx)
	svc = nil
	debug.FreeOSMemory()

	// Samples for the HTTP phases.
	orgs, err := sampleOrgs(ctx, st, 20000)
	if err != nil {
		return nil, err
	}
	if len(orgs) == 0 {
		return nil, errors.New("no organisations in the store")
	}

	// Node starts: without the snapshot (the index read from the store),
	// then with it; the second stays up for the phases.
	env := []string{"XINYONG_DATA_KEY=" + hex.EncodeToString(benchDataKey)}
	serveArgs := func(indexDir string, searchIndex bool, maddr string) []string {
		return []string{"serve", "--db", cfg.DB, "--index-dir", indexDir, "--search-index=" + strconv.FormatBool(searchIndex),
			"--public-rate", "0", "--metrics-addr", maddr, "--log-level", "info"}
	}
	var cpu time.Duration
	start := func(name string, args []string) (*benchChild, time.Duration, error) {
		fmt.Fprintf(progress, "bench: starting %s\n", name)
		t0 := time.Now()
		c, err := startBenchChild(ctx, dir, name, args, env, 30*time.Minute)
		if err != nil {
			return nil, 0, err
		}
		took := time.Since(t0)
		cpu = c.cpu()
		fmt.Fprintf(progress, "bench: %s ready in %s (CPU %s), RSS %d MiB\n", name, took.Round(time.Millisecond), cpu.Round(time.Millisecond), pidRSS(c.cmd.Process.Pid, "VmRSS")>>20)
		return c, took, nil
	}
	cold, took, err := start("city-node-cold", serveArgs("off", true, ""))
	if err != nil {
		return nil, err
	}
	res.ReadyCold, res.CPUCold = took, cpu
	if err := cold.stop(); err != nil {
		return nil, err
	}
	maddr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	// A node started once on the snapshot directory writes the hit-check
	// index's snapshot beside the name index's (at start, having loaded
	// it from the store, and at shutdown); the measured start reads both.
	warm, _, err := start("city-node-first", serveArgs(snapDir, true, ""))
	if err != nil {
		return nil, err
	}
	if err := warm.stop(); err != nil {
		return nil, err
	}
	if _, err := os.Stat(filepath.Join(snapDir, sanction.SnapshotFile)); err != nil {
		return nil, fmt.Errorf("the first node on %s left no hit-check snapshot: %w", snapDir, err)
	}
	if o.ServerCPUProfile != "" || o.ServerTrace != "" {
		env = append(env, "XINYONG_PPROF=1")
	}
	node, took, err := start("city-node", serveArgs(snapDir, true, maddr))
	if err != nil {
		return nil, err
	}
	defer node.stop()
	node.metrics, node.profile, node.trace = maddr, o.ServerCPUProfile, o.ServerTrace
	res.ReadySnap, res.CPUSnap = took, cpu
	res.RSSFull = pidRSS(node.cmd.Process.Pid, "VmRSS")

	// The transparency log follows the whole import in the background;
	// its rate is measured, and the phases wait for it (up to LogWait).
	if err := waitLog(ctx, st, o.LogWait, res, progress); err != nil {
		return nil, err
	}
	// Then for the rest of its catching up (the evaluation's first pass
	// over every subject and its file copies), which takes the same cores.
	if o.LogWait > 0 {
		if res.IdleWait, res.Idle, err = node.waitIdle(ctx, o.LogWait, progress); err != nil {
			return nil, err
		}
	}

	base := "http://" + node.addr
	client := &http.Client{Timeout: time.Minute}
	rng := rand.New(rand.NewPCG(11, 11))
	var queries []string
	for len(queries) < o.Queries {
		rs := []rune(orgs[rng.IntN(len(orgs))].name)
		if len(rs) < 2 {
			continue
		}
		i := rng.IntN(len(rs) - 1)
		queries = append(queries, string(rs[i:i+2]))
	}
	fmt.Fprintf(progress, "bench: %d two-character name searches (API, then portal)\n", len(queries))
	if res.SearchAPI, err = timeGets(ctx, client, len(queries), func(i int) string { return base + "/api/v1/search?q=" + url.QueryEscape(queries[i]) }); err != nil {
		return nil, err
	}
	if res.SearchPortal, err = timeGets(ctx, client, len(queries), func(i int) string { return base + "/search?q=" + url.QueryEscape(queries[i]) }); err != nil {
		return nil, err
	}
	pages := min(o.Queries, 1000)
	fmt.Fprintf(progress, "bench: %d subject pages\n", pages)
	if res.SubjectPage, err = timeGets(ctx, client, pages, func(i int) string { return base + "/subjects/" + url.PathEscape(orgs[rng.IntN(len(orgs))].id) }); err != nil {
		return nil, err
	}
	fmt.Fprintf(progress, "bench: the black list's first page\n")
	t0 = time.Now()
	if _, err := timeGets(ctx, client, 1, func(int) string { return base + "/lists/black" }); err != nil {
		return nil, err
	}
	res.ListFirst = time.Since(t0)
	if res.ListPage, err = timeGets(ctx, client, 20, func(int) string { return base + "/lists/black" }); err != nil {
		return nil, err
	}

	// Hit checks: single subjects at a fixed rate against the node and a
	// bare net/http server in alternating pairs, then batches.
	codes := make([]string, 0, 4096)
	for i := 0; i < 4096; i++ {
		if i%20 == 0 && len(listedCodes) > 0 {
			codes = append(codes, listedCodes[rng.IntN(len(listedCodes))])
		} else {
			codes = append(codes, orgs[rng.IntN(len(orgs))].id)
		}
	}
	if err := cityChecks(ctx, o, dir, node, key, codes, res, progress); err != nil {
		// A machine too busy to keep up with the rate fails the phase; the
		// rest of the run is still worth its report.
		res.CheckErr = err.Error()
		fmt.Fprintf(progress, "bench: hit-check phase failed: %v\n", err)
	}
	res.RSSFullPeak = pidRSS(node.cmd.Process.Pid, "VmHWM")
	if err := node.stop(); err != nil {
		return nil, err
	}

	co, took, err := start("city-node-check-only", serveArgs(snapDir, false, ""))
	if err != nil {
		return nil, err
	}
	res.ReadyCheckOnly, res.CPUCheckOnly = took, cpu
	res.RSSCheckOnly = pidRSS(co.cmd.Process.Pid, "VmRSS")
	if err := co.stop(); err != nil {
		return nil, err
	}
	return res, nil
}

// cityImport generates the city's department files and imports them
// through the pipeline (ingest.Importer, as `xinyong import` does), one
// file of at most a million rows at a time; only the imports are timed.
func cityImport(ctx context.Context, st credit.Store, cat *catalog.Catalog, sealer *pii.Sealer, o BenchCityOptions, dir string, res *BenchCityResult, progress io.Writer) error {
	S, R, L := o.Subjects, o.Records, o.ListEntries
	// The list entries come from two reported lists: half from the court's
	// 失信被执行人 records, half from the tax bureau's A-grade taxpayers
	// (honours, a red list); the market regulator's honours are not a list.
	honours := max(R*4/100, L)
	penalties := R * 40 / 100
	licences := R - L/2 - honours - penalties
	// As in the demo: penalties and court listings concern the first four
	// fifths of the population, honours the last sixth.
	dishonest, honest := S*4/5, S*5/6
	files := []struct {
		item, dept string
		rows       int
		from, to   int
	}{
		{"admin_licence", "SAMR-350100", licences * 7 / 10, 0, 0},
		{"admin_licence", "HOUSING-350100", licences - licences*7/10, 0, 0},
		{"admin_penalty", "SAMR-350100", penalties, 0, dishonest},
		{"honour", "TAX-350100", L - L/2, honest, 0},
		{"honour", "SAMR-350100", honours - (L - L/2), honest, 0},
		{"court_defaulter", "COURT-350100", L / 2, 0, dishonest},
	}
	svc := &records.Service{Store: st, Catalog: cat, Sealer: sealer, Now: time.Now}
	im := &ingest.Importer{Store: st, Records: svc}
	now := time.Now().In(chinatime.Location)
	const part = 1_000_000
	done := 0
	for _, f := range files {
		dept, err := cat.Department(f.dept)
		if err != nil {
			return err
		}
		it, err := cat.Item(f.item)
		if err != nil {
			return err
		}
		for p := 0; p*part < f.rows; p++ {
			rows := min(part, f.rows-p*part)
			g, err := gen.NewRecords(gen.RecordOptions{Item: f.item, Seed: 1, Part: p, Now: now, Subjects: S, Regions: []string{"350100", "350102", "350103", "350104", "350105", "350111", "350112", "350121", "350181"},
				Dept: dept, From: f.from, To: f.to})
			if err != nil {
				return err
			}
			file := filepath.Join(dir, fmt.Sprintf("city-%s-%s-%d.csv", f.dept, f.item, p))
			w, err := os.Create(file)
			if err != nil {
				return err
			}
			if err := gen.WriteFile(w, it, g, gen.FileOptions{Format: "csv", Style: "codes", Rows: rows}); err != nil {
				w.Close()
				return err
			}
			if err := w.Close(); err != nil {
				return err
			}
			t0 := time.Now()
			j, err := im.Import(ctx, ingest.Request{Dept: f.dept, Item: f.item, FileName: filepath.Base(file), Actor: "bench",
				Open: func() (io.ReadCloser, error) { return os.Open(file) }})
			took := time.Since(t0)
			os.Remove(file)
			if err != nil {
				return fmt.Errorf("import %s: %w", filepath.Base(file), err)
			}
			res.ImportTime += took
			res.Imported += j.Batch.Counts.Accepted
			res.Rejected += j.Batch.Counts.Rejected
			done += rows
			fmt.Fprintf(progress, "bench: imported %s (%d rows, %d accepted) in %s; %d/%d rows, %.0f rows/s overall\n",
				filepath.Base(file), rows, j.Batch.Counts.Accepted, took.Round(time.Millisecond), done, R, float64(res.Imported)/res.ImportTime.Seconds())
		}
	}
	return nil
}

// dbSize is the database's size on disk: the SQLite file and its WAL, or
// the PostgreSQL schema's tables with their indexes and TOAST.
func dbSize(ctx context.Context, st cityStore, db string) (int64, error) {
	if st.Backend() == "postgres" {
		var n int64
		err := st.ReadDB().QueryRowContext(ctx, `SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0)::bigint FROM pg_class c
			JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = current_schema() AND c.relkind = 'r'`).Scan(&n)
		return n, err
	}
	var n int64
	for _, suf := range []string{"", "-wal"} {
		if fi, err := os.Stat(db + suf); err == nil {
			n += fi.Size()
		}
	}
	return n, nil
}

type cityOrg struct{ id, name string }

// sampleOrgs reads up to n organisations spread over the subjects table.
func sampleOrgs(ctx context.Context, st cityStore, n int) ([]cityOrg, error) {
	rows, err := st.ReadDB().QueryContext(ctx, `SELECT id, name FROM subjects WHERE kind = 'org' ORDER BY id LIMIT $1`, n)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []cityOrg
	for rows.Next() {
		var o cityOrg
		if err := rows.Scan(&o.id, &o.name); err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

// cityAccount creates a business-system account allowed the bench matter
// and returns its API key.
func cityAccount(ctx context.Context, st credit.Store, svc *sanction.Service) (string, error) {
	accs := &auth.Accounts{Store: st}
	name := "city-" + strconv.FormatInt(time.Now().UnixNano()%1e9, 36)
	acc, err := accs.CreateAccount(ctx, name, "", credit.RoleBusiness, benchDept, "", "")
	if err != nil {
		return "", err
	}
	if err := svc.SetMatters(ctx, acc, []string{benchMatter}); err != nil {
		return "", err
	}
	secret, _, err := accs.NewKey(ctx, acc.Name)
	return secret, err
}

// waitLog measures the transparency log's catch-up with the feed: how far
// behind it is when the node is up, its rate, and (within max) when it
// has caught up.
func waitLog(ctx context.Context, st credit.Store, max time.Duration, res *BenchCityResult, progress io.Writer) error {
	head, err := st.ChangeHead(ctx)
	if err != nil {
		return err
	}
	pos0, _, err := st.FeedCursor(ctx, tlog.Cursor)
	if err != nil {
		return err
	}
	res.LogBehind = head - pos0
	t0 := time.Now()
	pos := pos0
	for pos < head && time.Since(t0) < max {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(5 * time.Second):
		}
		if pos, _, err = st.FeedCursor(ctx, tlog.Cursor); err != nil {
			return err
		}
		if el := time.Since(t0); el > 0 {
			res.LogRate = float64(pos-pos0) / el.Seconds()
		}
		fmt.Fprintf(progress, "bench: transparency log at %d of %d (%.0f entries/s)\r", pos, head, res.LogRate)
	}
	if pos >= head {
		res.LogCaughtUp = time.Since(t0)
	}
	fmt.Fprintln(progress)
	return nil
}

// timeGets GETs url(i) for i < n one after another and times each; a
// status other than 200 is an error.
func timeGets(ctx context.Context, client *http.Client, n int, url func(i int) string) (LoadResult, error) {
	lat := make([]time.Duration, 0, n)
	t0 := time.Now()
	for i := 0; i < n; i++ {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url(i), nil)
		if err != nil {
			return LoadResult{}, err
		}
		s := time.Now()
		resp, err := client.Do(req)
		if err != nil {
			return LoadResult{}, err
		}
		_, err = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if err == nil && resp.StatusCode != http.StatusOK {
			err = fmt.Errorf("GET %s: status %d", req.URL.Path, resp.StatusCode)
		}
		if err != nil {
			return LoadResult{}, err
		}
		lat = append(lat, time.Since(s))
	}
	var r LoadResult
	r.summarise(t0, lat, nil, time.Since(t0))
	return r, nil
}

// cityChecks runs the hit-check phases against the node.
func cityChecks(ctx context.Context, o BenchCityOptions, dir string, node *benchChild, key string, codes []string, res *BenchCityResult, progress io.Writer) error {
	rc, err := dialRaw(node.addr)
	if err != nil {
		return err
	}
	status, sample, err := rc.doBody(checkRequests(node.addr, key, codes)[0])
	rc.c.Close()
	if err == nil && status != http.StatusOK {
		err = fmt.Errorf("status %d: %s", status, sample)
	}
	if err != nil {
		return fmt.Errorf("sample check: %w", err)
	}
	bare, err := startBareServe(ctx, dir, sample, o.ServerCPUProfile, o.ServerTrace)
	if err != nil {
		return err
	}
	defer bare.stop()
	gen := func(addr string, d time.Duration, latFile string) (LoadResult, error) {
		return loadProcess(ctx, dir, addr, key, codes, o.Rate, d, latFile, progress)
	}
	run := func(c *benchChild, latFile string) (LoadResult, runCost, error) {
		return measureSingle(ctx, &loadTarget{addr: c.addr, child: c}, o.Warmup, o.Duration, o.Rate, latFile, gen, true)
	}
	pairs := max(o.Pairs, 1)
	var singles, bases []LoadResult
	for i := range pairs {
		fmt.Fprintf(progress, "bench: pair %d/%d: single-subject checks at %d/s, bare server then Xinyong\n", i+1, pairs, o.Rate)
		r, cost, err := run(bare, latencyFile(o.Latencies, "bare", i))
		if err != nil {
			return err
		}
		bases = append(bases, r)
		cost.addTo(&res.BaseCPU, &res.BaseFaults, &res.BaseGCs, &res.BaseSteal, pairs)
		r, cost, err = run(node, latencyFile(o.Latencies, "node", i))
		if err != nil {
			return err
		}
		singles = append(singles, r)
		cost.addTo(&res.SingleCPU, &res.SingleFaults, &res.SingleGCs, &res.SingleSteal, pairs)
		fmt.Fprintf(progress, "bench: bare p99 %s, Xinyong p99 %s\n", bases[i].P99, r.P99)
	}
	res.Single, res.SingleP99s = medianRun(singles)
	res.Baseline, res.BaseP99s = medianRun(bases)
	batches := make([][]sanction.Query, 0, len(codes)/sanction.MaxSubjects)
	for i := 0; i+sanction.MaxSubjects <= len(codes); i += sanction.MaxSubjects {
		b := make([]sanction.Query, 0, sanction.MaxSubjects)
		for _, c := range codes[i : i+sanction.MaxSubjects] {
			b = append(b, sanction.Query{Code: c})
		}
		batches = append(batches, b)
	}
	fmt.Fprintf(progress, "bench: batches of %d for %s\n", sanction.MaxSubjects, o.Duration)
	res.BatchRate, _, err = httpBatches(ctx, node.addr, key, batches, o.Duration)
	return err
}

// pidRSS reads a memory field (VmRSS, VmHWM) of a process from
// /proc/PID/status, in bytes; 0 where there is no /proc.
func pidRSS(pid int, field string) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, field+":"); ok {
			f := strings.Fields(v)
			if len(f) > 0 {
				n, _ := strconv.ParseInt(f[0], 10, 64)
				return n << 10
			}
		}
	}
	return 0
}

func printBenchCity(w io.Writer, r *BenchCityResult) {
	mib := func(b int64) string { return fmt.Sprintf("%d MiB", b>>20) }
	ms := func(d time.Duration) string {
		return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', 2, 64) + " ms"
	}
	perM := func(v float64, n int) float64 { return v / float64(max(n, 1)) * 1e6 }
	rows := [][2]string{
		{"backend", r.Backend},
		{"subjects / records / list entries", fmt.Sprintf("%d / %d / %d", r.Subjects, r.Records, r.Entries)},
		{"import (pipeline, every file)", fmt.Sprintf("%s (%d accepted, %d rejected; %.0f rows/s)", r.ImportTime.Round(time.Second), r.Imported, r.Rejected, float64(r.Imported)/max(r.ImportTime.Seconds(), 1e-9))},
		{"list entries written from the reported records", r.ReportedTime.Round(time.Millisecond).String()},
		{"database on disk", fmt.Sprintf("%s (%s per million records)", mib(r.DBBytes), mib(int64(perM(float64(r.DBBytes), r.Records))))},
		{"name index: load from the store (in process)", r.SearchLoad.Round(time.Millisecond).String()},
		{"name index: live heap", fmt.Sprintf("%s (%s per million subjects)", mib(int64(r.SearchHeap)), mib(int64(perM(float64(r.SearchHeap), r.Subjects))))},
		{"name index snapshot: size / write / read+check+catch-up", fmt.Sprintf("%s / %s / %s", mib(r.SnapshotBytes), r.SnapshotWrite.Round(time.Millisecond), r.SnapshotRead.Round(time.Millisecond))},
		{"hit-check index: load / live heap", fmt.Sprintf("%s / %s (%s per million subjects; %d bytes per list entry)", r.CheckLoad.Round(time.Millisecond), mib(int64(r.CheckHeap)), mib(int64(perM(float64(r.CheckHeap), r.Subjects))), int64(r.CheckHeap)/int64(max(r.Entries, 1)))},
		{"full node start → ready, index from the store (CPU)", fmt.Sprintf("%s (%s)", r.ReadyCold.Round(time.Millisecond), r.CPUCold.Round(time.Millisecond))},
		{"full node start → ready, indexes from their snapshots (CPU)", fmt.Sprintf("%s (%s)", r.ReadySnap.Round(time.Millisecond), r.CPUSnap.Round(time.Millisecond))},
		{"check-only node start → ready, hit-check index from its snapshot (CPU)", fmt.Sprintf("%s (%s)", r.ReadyCheckOnly.Round(time.Millisecond), r.CPUCheckOnly.Round(time.Millisecond))},
		{"RSS full node (ready / peak)", mib(r.RSSFull) + " / " + mib(r.RSSFullPeak)},
		{"RSS check-only node (ready)", mib(r.RSSCheckOnly)},
		{"transparency log: behind at start / rate / caught up", fmt.Sprintf("%d entries / %.0f entries/s / %s", r.LogBehind, r.LogRate, r.LogCaughtUp.Round(time.Second))},
		{"node's other catching up after the log's (evaluation)", idleText(r.IdleWait, r.Idle)},
		{"name search, 2 chars, API p50 / p99", ms(r.SearchAPI.P50) + " / " + ms(r.SearchAPI.P99)},
		{"name search, 2 chars, portal page p50 / p99", ms(r.SearchPortal.P50) + " / " + ms(r.SearchPortal.P99)},
		{"subject page p50 / p99", ms(r.SubjectPage.P50) + " / " + ms(r.SubjectPage.P99)},
		{"black list page 1: first / p50 / max of 20", ms(r.ListFirst) + " / " + ms(r.ListPage.P50) + " / " + ms(r.ListPage.Max)},
		{"hit check single p99, Xinyong / bare (median run)", fmt.Sprintf("%s / %s = %.2f×", ms(r.Single.P99), ms(r.Baseline.P99), float64(r.Single.P99)/float64(max(r.Baseline.P99, 1)))},
		{"  p99 of each run, Xinyong / bare", durations(r.SingleP99s) + " / " + durations(r.BaseP99s)},
		{"  achieved rate, Xinyong / bare", fmt.Sprintf("%.0f / %.0f req/s", r.Single.Rate, r.Baseline.Rate)},
		{"  server CPU per check, Xinyong / bare", fmt.Sprintf("%s / %s", r.SingleCPU.Round(time.Microsecond), r.BaseCPU.Round(time.Microsecond))},
		{"  server page faults per check, Xinyong / bare", fmt.Sprintf("%.2f / %.2f", r.SingleFaults, r.BaseFaults)},
		{"  collections in each run, Xinyong / bare", counts(r.SingleGCs) + " / " + counts(r.BaseGCs)},
		{"  machine's CPU stolen by its host in each run, Xinyong / bare", shares(r.SingleSteal) + " / " + shares(r.BaseSteal)},
		{"hit check batches of 1000", fmt.Sprintf("%.0f subjects/s", r.BatchRate)},
	}
	if r.CheckErr != "" {
		rows = append(rows, [2]string{"hit-check phase failed", r.CheckErr})
	}
	for _, row := range rows {
		fmt.Fprintf(w, "%-56s %s\n", row[0], row[1])
	}
}

// idleText says how long a node went on catching up before it was idle.
func idleText(wait time.Duration, idle bool) string {
	if idle {
		return "idle after " + wait.Round(time.Second).String()
	}
	if wait == 0 {
		return "not waited for"
	}
	return "still busy after " + wait.Round(time.Second).String() + " (the phases ran beside it)"
}
