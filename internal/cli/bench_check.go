package cli

import (
	"bytes"
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"runtime/trace"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/xinyong/xinyong/internal/app"
	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/gen"
	"github.com/xinyong/xinyong/internal/pii"
	"github.com/xinyong/xinyong/internal/sanction"
	"github.com/xinyong/xinyong/internal/server"
	"github.com/xinyong/xinyong/internal/store/sqlite"
	"github.com/xinyong/xinyong/internal/uscc"
)

// benchOther runs the other `bench` subcommands (bench ingest, on its own
// branch); when the branches meet, set it to that command's runner.
var benchOther func(args []string, stdout, stderr io.Writer) int

// runBenchDispatch runs `xinyong bench <what>`.
func runBenchDispatch(args []string, stdout, stderr io.Writer) int {
	for i, a := range args {
		if strings.HasPrefix(a, "-") {
			continue
		}
		if a == "exchange" {
			return runBenchExchange(append(append([]string(nil), args[:i]...), args[i+1:]...), stdout, stderr)
		}
		if a == "city" {
			return runBenchCity(append(append([]string(nil), args[:i]...), args[i+1:]...), stdout, stderr)
		}
		if a == "draw" {
			return runBenchDraw(append(append([]string(nil), args[:i]...), args[i+1:]...), stdout, stderr)
		}
		if a == "check" {
			return runBenchCheck(append(append([]string(nil), args[:i]...), args[i+1:]...), stdout, stderr)
		}
		if a == checkLoadCmd {
			return runBenchCheckLoad(append(append([]string(nil), args[:i]...), args[i+1:]...), stdout, stderr)
		}
		if a == bareServeCmd {
			return runBenchBareServe(append(append([]string(nil), args[:i]...), args[i+1:]...), stdout, stderr)
		}
		break
	}
	if benchOther != nil {
		return benchOther(args, stdout, stderr)
	}
	if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
		return runBenchCheck(args, stdout, stderr)
	}
	fmt.Fprintln(stderr, "xinyong bench: use `xinyong bench check [--subjects N --listed N ...]`")
	return 2
}

// BenchCheckOptions sizes the hit-check benchmark.
type BenchCheckOptions struct {
	Dir      string        // where the SQLite file goes; "" = a temporary directory, removed after
	Subjects int           // registered subjects
	Listed   int           // of them on a list
	Duration time.Duration // per HTTP phase
	Rate     int           // single-subject requests per second, open loop
	SQLN     int           // subjects looked up by plain SQL
	// Reuse measures an existing database in Dir (from an earlier run
	// with the same Dir) instead of seeding a new one.
	Reuse bool
	// CPUProfile, when set, receives a CPU profile of the single-subject
	// HTTP phase.
	CPUProfile string
	// MemProfile, when set, receives the allocation profile at the end of
	// the single-subject phase, and MemProfile+".before" the one at its
	// start: `go tool pprof -sample_index=alloc_space -base F.before F`
	// shows what the phase allocated.
	MemProfile string
	// LoadInProcess runs the single-subject load generator inside the
	// server's process (sharing its Go scheduler) instead of in a child
	// process of its own, as a real calling system would be.
	LoadInProcess bool
	// Trace, when set, receives an execution trace (go tool trace) of
	// the single-subject HTTP phase.
	Trace string
	// NoSearchIndex serves as a check-only node does (serve
	// --search-index=false): without the in-memory name index.
	NoSearchIndex bool
	// Pairs is how many alternating bare/Xinyong runs the single-subject
	// phase makes (at least 1).
	Pairs int
	// ServerInProcess measures the single-subject phase against servers
	// in the bench's own process instead of `xinyong serve` and a bare
	// server started as processes of their own (as a node runs).
	ServerInProcess bool
	// ServerCPUProfile, when set, receives a CPU profile of the `xinyong
	// serve` process during its first measured single-subject run, taken
	// through its --pprof listener: the server alone, without the load
	// generator or the bench.
	ServerCPUProfile string
	// ServerTrace, when set, receives an execution trace of the `xinyong
	// serve` process during that run (and the bare server's in
	// ServerTrace+".bare").
	ServerTrace string
	// Latencies, when set, is a directory where every measured
	// single-subject run leaves its requests' due times, generator lags
	// and latencies (node-N.lat, bare-N.lat).
	Latencies string
	// Warmup is the unmeasured load each single-subject phase starts with,
	// repeated until the collector has completed two cycles under load,
	// so that the phase is measured in a steady state.
	Warmup time.Duration
}

// BenchCheckResult is what `xinyong bench check` measures.
type BenchCheckResult struct {
	Subjects, Listed int
	SeedTime         time.Duration
	IndexLoad        time.Duration
	// In-process, one goroutine (one core), index only and through Check
	// (which also queues each check for the log).
	IndexRate, CheckRate float64
	// Plain SQL: an indexed SELECT per subject, one goroutine.
	SQLRate float64
	// HTTP batches of 1000 over loopback.
	HTTPBatchRate float64
	HTTPBatchReqs int
	// Single-subject HTTP at a fixed open-loop rate, through the real
	// server (`xinyong serve` on the bench database, a process of its
	// own), and, measured just before it by the same generator, against a
	// bare net/http server (also a process of its own) that answers a
	// constant body of the same size: what this machine and generator give
	// with no Xinyong code on the request path.
	Single, Baseline LoadResult
	LoadInProcess    bool // the generator shared the server's process
	ServerInProcess  bool // the servers ran in the bench's process, not their own
	// IdleWait is how long `xinyong serve` went on catching up after it
	// was ready (the transparency log and the evaluation's first pass over
	// the seeded subjects) before the single-subject phase; Idle says it
	// became idle within the wait's bound.
	IdleWait time.Duration
	Idle     bool
	// SingleCPU and BaselineCPU are the server process's CPU time (user
	// and system, every thread) per request in each phase, including the
	// checks log written for it; zero where the platform does not say, or
	// with LoadInProcess and ServerInProcess both set (the generator's
	// time would be counted too).
	SingleCPU, BaselineCPU time.Duration
	// SingleFaults and BaselineFaults are the server process's minor page
	// faults per request (first touches of memory), same phases.
	SingleFaults, BaselineFaults float64
	// SingleGCs and BaselineGCs are the collections each server completed
	// during each measured run, in run order (-1: not read; the bare
	// server as a process of its own serves no Go metrics).
	SingleGCs, BaselineGCs []int
	// SingleSteal and BaselineSteal are the share of the machine's processor
	// time stolen by its hypervisor during each measured run (-1: not read).
	SingleSteal, BaselineSteal []float64
	// SingleP99s and BaselineP99s are every run's p99, in run order;
	// Single and Baseline are the runs with the median p99.
	SingleP99s, BaselineP99s []time.Duration
	NoSearchIndex            bool // the server held no name index
	// Plain SQL per single-subject request, same percentiles (one SELECT).
	SQLP99 time.Duration
	// List change → visible on another node's checks.
	VisibleMedian, VisibleMax time.Duration
	VisibleLocalMax           time.Duration
	Logged                    int // checks in the log at the end
}

func runBenchCheck(args []string, stdout, stderr io.Writer) int {
	var o BenchCheckOptions
	fs := newFlagSet("bench", "bench check [--subjects N] [--listed N] [--duration D] [--rate R] [--dir DIR]", stdout)
	fs.IntVar(&o.Subjects, "subjects", 1000000, "registered subjects")
	fs.IntVar(&o.Listed, "listed", 50000, "subjects on a list")
	fs.DurationVar(&o.Duration, "duration", 10*time.Second, "length of each HTTP phase")
	fs.IntVar(&o.Rate, "rate", 5000, "single-subject HTTP requests per second (open loop)")
	fs.IntVar(&o.SQLN, "sql-subjects", 200000, "subjects looked up by plain SQL for the comparison")
	fs.BoolVar(&o.Reuse, "reuse", false, "measure the database an earlier run left in --dir instead of seeding one")
	fs.StringVar(&o.CPUProfile, "cpuprofile", "", "write a CPU profile of the single-subject HTTP phase to this file; implies --server-in-process")
	fs.StringVar(&o.MemProfile, "memprofile", "", "write allocation profiles at the start (FILE.before) and end (FILE) of the single-subject HTTP phase; compare with go tool pprof -base; implies --server-in-process")
	fs.BoolVar(&o.LoadInProcess, "load-in-process", false, "run the single-subject load generator in the server's process (shares its Go scheduler; the default is a separate process)")
	fs.StringVar(&o.Trace, "trace", "", "write an execution trace of the single-subject HTTP phase to this file (go tool trace); implies --server-in-process")
	fs.StringVar(&o.ServerTrace, "server-trace", "", "write an execution trace of the `xinyong serve` process during its first measured single-subject run to this file, and the bare server's to FILE.bare (go tool trace; not with --server-in-process)")
	fs.StringVar(&o.Latencies, "latencies", "", "write every measured single-subject run's requests (due time in Unix µs, generator lag and latency in µs) to node-N.lat and bare-N.lat in this directory (not with --load-in-process)")
	fs.StringVar(&o.ServerCPUProfile, "server-cpuprofile", "", "write a CPU profile of the `xinyong serve` process during its first measured single-subject run to this file, and the bare server's to FILE.bare (taken through serve --pprof; not with --server-in-process)")
	fs.BoolVar(&o.ServerInProcess, "server-in-process", false, "measure the single-subject phase against servers in the bench's own process (the default starts `xinyong serve` on the bench database and a bare server, each a process of its own)")
	fs.IntVar(&o.Pairs, "pairs", 3, "alternating bare-handler/Xinyong runs of the single-subject phase; each side reports its median run (by p99) and every run's p99")
	fs.DurationVar(&o.Warmup, "warmup", 5*time.Second, "unmeasured load before each single-subject phase, at the same rate, repeated until the collector has completed two cycles (at most a minute); 0 = none")
	searchIndex := fs.Bool("search-index", true, "serve with the in-memory name index, as serve does by default; false measures a check-only node (serve --search-index=false)")
	fs.StringVar(&o.Dir, "dir", "", "directory for the SQLite file (default: a temporary directory, removed afterwards)")
	if code, done := parse(fs, args, stderr); done {
		return code
	}
	o.NoSearchIndex = !*searchIndex
	if o.Listed > o.Subjects || o.Subjects <= 0 || o.Rate <= 0 || o.Duration <= 0 {
		fmt.Fprintln(stderr, "xinyong bench: need 0 < --listed <= --subjects, --rate > 0 and --duration > 0")
		return 2
	}
	res, err := BenchCheck(context.Background(), o, stderr)
	if err != nil {
		return fail(stderr, "bench", err)
	}
	printBenchCheck(stdout, res)
	return 0
}

func printBenchCheck(w io.Writer, r *BenchCheckResult) {
	node := "full node (name index loaded)"
	if r.NoSearchIndex {
		node = "check-only node (no name index)"
	}
	fmt.Fprintf(w, "hit check: %d subjects, %d listed, SQLite; GOMAXPROCS=%d; %s\n", r.Subjects, r.Listed, runtime.GOMAXPROCS(0), node)
	fmt.Fprintf(w, "seed %s, index load from storage %s, checks logged %d\n", r.SeedTime.Round(time.Millisecond), r.IndexLoad.Round(time.Millisecond), r.Logged)
	fmt.Fprintf(w, "%-46s %14s\n", "measure", "value")
	fmt.Fprintf(w, "%-46s %14.0f\n", "in-process index, subjects/s, 1 goroutine", r.IndexRate)
	fmt.Fprintf(w, "%-46s %14.0f\n", "in-process Check (logged), subjects/s, 1 gor.", r.CheckRate)
	fmt.Fprintf(w, "%-46s %14.0f\n", "plain SQL SELECT per subject, subjects/s, 1 gor.", r.SQLRate)
	fmt.Fprintf(w, "%-46s %14.1f\n", "index / SQL", r.IndexRate/r.SQLRate)
	fmt.Fprintf(w, "%-46s %14.0f\n", "HTTP batch (1000/request), subjects/s", r.HTTPBatchRate)
	gen := "separate process"
	if r.LoadInProcess {
		gen = "in the server process"
	}
	fmt.Fprintf(w, "%-46s %14s\n", "single-subject load generator", gen)
	servers := "own processes"
	if r.ServerInProcess {
		servers = "bench process"
	}
	fmt.Fprintf(w, "%-46s %14s\n", "single-subject servers", servers)
	if !r.ServerInProcess {
		fmt.Fprintf(w, "%-46s %14s\n", "serve catching up before the phase", idleText(r.IdleWait, r.Idle))
	}
	fmt.Fprintf(w, "%-46s %14s %14s\n", "single-subject HTTP, open loop", "Xinyong", "bare handler")
	row := func(name string, a, b time.Duration) {
		fmt.Fprintf(w, "%-46s %14s %14s\n", name, a.Round(time.Microsecond), b.Round(time.Microsecond))
	}
	s, b := r.Single, r.Baseline
	fmt.Fprintf(w, "%-46s %14.0f %14.0f\n", "  achieved req/s", s.Rate, b.Rate)
	row("  p50", s.P50, b.P50)
	row("  p99", s.P99, b.P99)
	row("  p99.9", s.P999, b.P999)
	row("  max", s.Max, b.Max)
	row("  generator lag p50", s.LagP50, b.LagP50)
	row("  generator lag p99", s.LagP99, b.LagP99)
	fmt.Fprintf(w, "%-46s %14d %14d\n", "  errors", s.Errors, b.Errors)
	fmt.Fprintf(w, "%-46s %14s %14s\n", "  p99 of each run", durations(r.SingleP99s), durations(r.BaselineP99s))
	row("  server CPU per request", r.SingleCPU, r.BaselineCPU)
	fmt.Fprintf(w, "%-46s %14.2f %14.2f\n", "  server page faults per request", r.SingleFaults, r.BaselineFaults)
	fmt.Fprintf(w, "%-46s %14s %14s\n", "  collections in each run", counts(r.SingleGCs), counts(r.BaselineGCs))
	fmt.Fprintf(w, "%-46s %14s %14s\n", "  machine's CPU stolen by its host, each run", shares(r.SingleSteal), shares(r.BaselineSteal))
	fmt.Fprintf(w, "%-46s %14s\n", "plain SQL single lookup p99 (in-process)", r.SQLP99.Round(time.Microsecond))
	fmt.Fprintf(w, "%-46s %14s\n", "list change visible on other node, median", r.VisibleMedian.Round(time.Millisecond))
	fmt.Fprintf(w, "%-46s %14s\n", "list change visible on other node, max", r.VisibleMax.Round(time.Millisecond))
	fmt.Fprintf(w, "%-46s %14s\n", "list change visible on writing node, max", r.VisibleLocalMax.Round(time.Microsecond))
}

// durations prints ds rounded to 0.1 ms, slash-separated.
func durations(ds []time.Duration) string {
	parts := make([]string, len(ds))
	for i, d := range ds {
		parts[i] = strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', 1, 64)
	}
	return strings.Join(parts, "/") + " ms"
}

// shares prints per-run shares as percentages, "12/3/0 %", "?" for one
// not read.
func shares(fs []float64) string {
	parts := make([]string, len(fs))
	for i, f := range fs {
		parts[i] = "?"
		if f >= 0 {
			parts[i] = strconv.FormatFloat(100*f, 'f', 0, 64)
		}
	}
	return strings.Join(parts, "/") + " %"
}

// counts prints per-run counts as "3/2/4", "?" for one not read.
func counts(ns []int) string {
	parts := make([]string, len(ns))
	for i, n := range ns {
		parts[i] = "?"
		if n >= 0 {
			parts[i] = strconv.Itoa(n)
		}
	}
	return strings.Join(parts, "/")
}

// benchDBFile is the bench database's name in its directory; benchDataKey
// the data key its ID numbers are sealed with (a server started on it is
// given the same).
const benchDBFile = "bench-check.db"

var benchDataKey = bytes.Repeat([]byte{9}, 32)

// benchMatter and benchDept: a procurement system asking about procurement.
const (
	benchMatter = "gov_procurement"
	benchDept   = "FIN-350100"
)

// BenchCheck seeds a SQLite store and measures the hit check (see
// BenchCheckResult). Progress goes to progress.
func BenchCheck(ctx context.Context, o BenchCheckOptions, progress io.Writer) (*BenchCheckResult, error) {
	dir := o.Dir
	if dir == "" {
		d, err := os.MkdirTemp("", "xinyong-bench-check-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(d)
		dir = d
	}
	st, err := sqlite.Open(ctx, filepath.Join(dir, benchDBFile))
	if err != nil {
		return nil, err
	}
	defer st.Close()
	cat, err := catalog.Default()
	if err != nil {
		return nil, err
	}
	sealer, err := pii.New(benchDataKey)
	if err != nil {
		return nil, err
	}
	// Registered like any node's key, so that the `xinyong serve` started
	// on this database below finds it.
	if sealer, _, err = pii.Check(ctx, st, sealer, time.Now()); err != nil {
		return nil, err
	}
	if o.CPUProfile != "" || o.MemProfile != "" || o.Trace != "" {
		o.ServerInProcess = true // profiles and traces are of this process
	}
	if (o.ServerCPUProfile != "" || o.ServerTrace != "") && o.ServerInProcess {
		return nil, errors.New("--server-cpuprofile and --server-trace profile `xinyong serve` as a process of its own: not with --server-in-process, --cpuprofile, --memprofile or --trace")
	}
	if o.Latencies != "" && o.LoadInProcess {
		return nil, errors.New("--latencies is written by the load generator's own process: not with --load-in-process")
	}
	res := &BenchCheckResult{Subjects: o.Subjects, Listed: o.Listed, LoadInProcess: o.LoadInProcess, ServerInProcess: o.ServerInProcess, NoSearchIndex: o.NoSearchIndex}

	t0 := time.Now()
	var codes, listed []string
	if o.Reuse {
		codes, listed, err = reuseCheckBench(ctx, st)
		res.Subjects, res.Listed = len(codes), len(listed)
	} else {
		codes, listed, err = seedCheckBench(ctx, st, o.Subjects, o.Listed, progress)
	}
	if err != nil {
		return nil, err
	}
	res.SeedTime = time.Since(t0)

	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	t0 = time.Now()
	svc, err := sanction.New(ctx, sanction.Config{Store: st, Catalog: cat, Sealer: sealer, Logger: quiet})
	if err != nil {
		return nil, err
	}
	res.IndexLoad = time.Since(t0)
	fmt.Fprintf(progress, "bench: index loaded in %s (version %d)\n", res.IndexLoad.Round(time.Millisecond), svc.Version())
	runCtx, stopRun := context.WithCancel(ctx)
	defer stopRun()
	go svc.Run(runCtx)

	caller := sanction.Caller{Name: "bench", Dept: benchDept, Matters: []string{benchMatter}}
	batches := make([][]sanction.Query, 0, len(codes)/sanction.MaxSubjects+1)
	for i := 0; i < len(codes); i += sanction.MaxSubjects {
		b := make([]sanction.Query, 0, sanction.MaxSubjects)
		for _, c := range codes[i:min(i+sanction.MaxSubjects, len(codes))] {
			b = append(b, sanction.Query{Code: c})
		}
		batches = append(batches, b)
	}

	// In-process, index only: every subject once, one goroutine.
	fmt.Fprintf(progress, "bench: in-process checks\n")
	hits := 0
	t0 = time.Now()
	for _, b := range batches {
		n, err := svc.Probe(caller, sanction.Request{Matter: benchMatter, Subjects: b})
		if err != nil {
			return nil, err
		}
		hits += n
	}
	res.IndexRate = float64(len(codes)) / time.Since(t0).Seconds()
	fmt.Fprintf(progress, "bench: index %.0f subjects/s\n", res.IndexRate)
	if hits != len(listed) {
		return nil, fmt.Errorf("bench: index found %d listed subjects, seeded %d", hits, len(listed))
	}
	// Through Check: results built and every batch queued for the log.
	t0 = time.Now()
	for _, b := range batches {
		if _, err := svc.Check(ctx, caller, sanction.Request{Matter: benchMatter, Subjects: b}); err != nil {
			return nil, err
		}
	}
	res.CheckRate = float64(len(codes)) / time.Since(t0).Seconds()
	fmt.Fprintf(progress, "bench: Check %.0f subjects/s\n", res.CheckRate)
	if err := svc.Flush(ctx); err != nil {
		return nil, err
	}

	// Plain SQL: the same look-up as an indexed SELECT per subject.
	fmt.Fprintf(progress, "bench: plain SQL look-ups\n")
	sqlN := min(o.SQLN, len(codes))
	stmt, err := st.ReadDB().PrepareContext(ctx, `SELECT entry_id, list_code, step, detail FROM list_events WHERE subject_id = $1 ORDER BY seq`)
	if err != nil {
		return nil, err
	}
	defer stmt.Close()
	lat := make([]time.Duration, 0, sqlN)
	t0 = time.Now()
	sqlHits := 0
	for _, c := range codes[:sqlN] {
		s := time.Now()
		n, err := sqlLookup(ctx, stmt, c)
		if err != nil {
			return nil, err
		}
		if n > 0 {
			sqlHits++
		}
		lat = append(lat, time.Since(s))
	}
	res.SQLRate = float64(sqlN) / time.Since(t0).Seconds()
	res.SQLP99 = percentile(lat, 0.99)
	fmt.Fprintf(progress, "bench: SQL %.0f subjects/s, p99 %s\n", res.SQLRate, res.SQLP99)

	// HTTP over loopback.
	key, err := benchAccount(ctx, st, svc)
	if err != nil {
		return nil, err
	}
	// The node under test, built as serve builds it (its own hit-check
	// index over the same store).
	node, err := app.New(ctx, app.Parts{Store: st, Catalog: cat, Sealer: sealer, Logger: quiet, NoSearchIndex: o.NoSearchIndex})
	if err != nil {
		return nil, err
	}
	defer node.Close(context.Background())
	h, err := server.New(node.Deps(app.HTTP{Version: "bench"}))
	if err != nil {
		return nil, err
	}
	addr, stopSrv, err := serveBench(ctx, h, quiet)
	if err != nil {
		return nil, err
	}
	defer stopSrv()

	fmt.Fprintf(progress, "bench: HTTP batches for %s\n", o.Duration)
	res.HTTPBatchRate, res.HTTPBatchReqs, err = httpBatches(ctx, addr, key, batches, o.Duration)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(progress, "bench: HTTP batch %.0f subjects/s\n", res.HTTPBatchRate)

	// What the earlier phases held (every code, as strings and as batches:
	// a million pointers at full size) is not part of a server; dropped,
	// so that the collector's marking of it does not weigh on the phases
	// below, which need only a sample of the codes.
	codes, listed, batches = slices.Clone(codes[:min(len(codes), 4096)]), nil, nil

	// Single-subject checks: first against a bare handler answering a real
	// check's body, then against the server, same generator.
	rc, err := dialRaw(addr)
	if err != nil {
		return nil, err
	}
	status, sample, err := rc.doBody(checkRequests(addr, key, codes)[0])
	rc.c.Close()
	if err == nil && status != http.StatusOK {
		err = fmt.Errorf("status %d: %s", status, sample)
	}
	if err != nil {
		return nil, fmt.Errorf("bench: sample check: %w", err)
	}
	bare, srv, err := singleTargets(ctx, o, dir, addr, sample, svc, quiet, progress)
	if err != nil {
		return nil, err
	}
	defer bare.stop()
	defer srv.stop()
	if srv.child != nil {
		fmt.Fprintf(progress, "bench: waiting for `xinyong serve` to catch up with the seeded store\n")
		if res.IdleWait, res.Idle, err = srv.child.waitIdle(ctx, 10*time.Minute, progress); err != nil {
			return nil, err
		}
	}
	run := func(addr string, d time.Duration, latFile string) (LoadResult, error) {
		if o.LoadInProcess {
			return openLoopGoroutines(ctx, addr, checkRequests(addr, key, codes), o.Rate, d)
		}
		return loadProcess(ctx, dir, addr, key, codes, o.Rate, d, latFile, progress)
	}
	load := func(t *loadTarget, latFile string) (LoadResult, runCost, error) {
		return measureSingle(ctx, t, o.Warmup, o.Duration, o.Rate, latFile, run, t.child != nil || !o.LoadInProcess)
	}
	// The two servers are measured in alternating pairs, so that a slow
	// moment of the machine weighs on both; each side reports its median
	// run (by p99) and every run's p99.
	pairs := max(o.Pairs, 1)
	var singles, bases []LoadResult
	for i := range pairs {
		fmt.Fprintf(progress, "bench: pair %d/%d: single-subject HTTP at %d/s for %s against a bare handler\n", i+1, pairs, o.Rate, o.Duration)
		r, cost, err := load(bare, latencyFile(o.Latencies, "bare", i))
		if err != nil {
			return nil, err
		}
		bases = append(bases, r)
		cost.addTo(&res.BaselineCPU, &res.BaselineFaults, &res.BaselineGCs, &res.BaselineSteal, pairs)
		fmt.Fprintf(progress, "bench: bare handler p50 %s p99 %s\n", r.P50, r.P99)
		fmt.Fprintf(progress, "bench: pair %d/%d: single-subject HTTP at %d/s for %s against Xinyong\n", i+1, pairs, o.Rate, o.Duration)
		if i == 0 {
			if err := startProfiles(o); err != nil {
				return nil, err
			}
		}
		r, cost, err = load(srv, latencyFile(o.Latencies, "node", i))
		if i == 0 {
			if perr := stopProfiles(o); err == nil {
				err = perr
			}
		}
		if err != nil {
			return nil, err
		}
		singles = append(singles, r)
		cost.addTo(&res.SingleCPU, &res.SingleFaults, &res.SingleGCs, &res.SingleSteal, pairs)
		fmt.Fprintf(progress, "bench: Xinyong p50 %s p99 %s p99.9 %s achieved %.0f/s errors %d\n", r.P50, r.P99, r.P999, r.Rate, r.Errors)
	}
	res.Single, res.SingleP99s = medianRun(singles)
	res.Baseline, res.BaselineP99s = medianRun(bases)
	if err := srv.stop(); err != nil {
		return nil, err
	}

	// Visibility of a list change on another node (a second service on
	// the same database, polling) and on the writing node.
	fmt.Fprintf(progress, "bench: list-change visibility\n")
	if err := visibility(ctx, st, cat, sealer, svc, quiet, res); err != nil {
		return nil, err
	}
	if err := svc.Close(ctx); err != nil {
		return nil, err
	}
	var n int
	if err := st.ReadDB().QueryRowContext(ctx, `SELECT count(*) FROM checks`).Scan(&n); err != nil {
		return nil, err
	}
	res.Logged = n
	return res, nil
}

// traceFile is the open execution trace between startProfiles and
// stopProfiles.
var traceFile *os.File

// startProfiles starts the profiles and trace the options ask for, of the
// first Xinyong run of the single-subject phase.
func startProfiles(o BenchCheckOptions) error {
	if o.CPUProfile != "" {
		f, err := os.Create(o.CPUProfile)
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			f.Close()
			return err
		}
	}
	if o.Trace != "" {
		f, err := os.Create(o.Trace)
		if err != nil {
			return err
		}
		if err := trace.Start(f); err != nil {
			f.Close()
			return err
		}
		traceFile = f
	}
	if o.MemProfile != "" {
		return writeHeapProfile(o.MemProfile + ".before")
	}
	return nil
}

// stopProfiles ends what startProfiles started.
func stopProfiles(o BenchCheckOptions) error {
	if o.CPUProfile != "" {
		pprof.StopCPUProfile()
	}
	if traceFile != nil {
		trace.Stop()
		err := traceFile.Close()
		traceFile = nil
		if err != nil {
			return err
		}
	}
	if o.MemProfile != "" {
		return writeHeapProfile(o.MemProfile)
	}
	return nil
}

// medianRun is the run with the median p99 (the upper one of an even
// count) and every run's p99, in run order.
func medianRun(runs []LoadResult) (LoadResult, []time.Duration) {
	p99s := make([]time.Duration, len(runs))
	for i, r := range runs {
		p99s[i] = r.P99
	}
	sorted := slices.Clone(runs)
	slices.SortFunc(sorted, func(a, b LoadResult) int { return cmp.Compare(a.P99, b.P99) })
	return sorted[len(sorted)/2], p99s
}

// writeHeapProfile writes the allocation profile as of the last
// collection (so a cycle is run first) to path.
func writeHeapProfile(path string) error {
	runtime.GC()
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := pprof.Lookup("allocs").WriteTo(f, 0); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// serveBench serves h on a fresh loopback port the way `serve` does
// (server.Serve: same timeouts and shutdown) until stop is called.
func serveBench(ctx context.Context, h http.Handler, logger *slog.Logger) (addr string, stop func(), err error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	srvCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- server.Serve(srvCtx, ln, h, logger, server.Limits{}) }()
	return ln.Addr().String(), func() { cancel(); <-done }, nil
}

func sqlLookup(ctx context.Context, stmt *sql.Stmt, code string) (int, error) {
	rows, err := stmt.QueryContext(ctx, code)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var id, list, step, detail string
		if err := rows.Scan(&id, &list, &step, &detail); err != nil {
			return 0, err
		}
		n++
	}
	return n, rows.Err()
}

// seedCheckBench writes n organisations with plain multi-row INSERTs (the
// subjects table is not what is measured) and lists `listed` of them
// through the store's AppendListEvent, a tenth with a legal representative.
func seedCheckBench(ctx context.Context, st *sqlite.Store, n, listed int, progress io.Writer) (codes, listedCodes []string, err error) {
	g := uscc.NewGenerator(7)
	names := gen.NewNames(7)
	seen := make(map[string]bool, n)
	codes = make([]string, 0, n)
	for len(codes) < n {
		c := g.USCC('9', '1', g.RandomRegion())
		if !seen[c] {
			seen[c] = true
			codes = append(codes, c)
		}
	}
	fmt.Fprintf(progress, "bench: writing %d subjects\n", n)
	now := time.Now().UnixMicro()
	const per = 500
	db := st.WriteDB()
	for i := 0; i < n; i += 20 * per {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return nil, nil, err
		}
		for j := i; j < min(i+20*per, n); j += per {
			k := min(j+per, n) - j
			var b strings.Builder
			b.WriteString(`INSERT INTO subjects (id, kind, code, name, created_at, updated_at) VALUES `)
			args := make([]any, 0, k*6)
			for r := 0; r < k; r++ {
				if r > 0 {
					b.WriteByte(',')
				}
				b.WriteString("(?,?,?,?,?,?)")
				c := codes[j+r]
				args = append(args, c, "org", c, names.Company("福州"), now, now)
			}
			if _, err := tx.ExecContext(ctx, b.String(), args...); err != nil {
				tx.Rollback()
				return nil, nil, err
			}
		}
		if err := tx.Commit(); err != nil {
			return nil, nil, err
		}
		if (i/(20*per))%20 == 0 {
			fmt.Fprintf(progress, "bench: %d/%d subjects\r", i, n)
		}
	}
	fmt.Fprintf(progress, "bench: listing %d subjects\n", listed)
	rng := rand.New(rand.NewPCG(7, 7))
	perm := rng.Perm(n)[:listed]
	sealer, _ := pii.New(bytes.Repeat([]byte{9}, 32))
	lists := []string{"court_defaulters", "samr_serious_illegal", "tax_major_dishonest", "gp_serious_dishonest", "honest_typical"}
	since := time.Now().Add(-24 * time.Hour).UTC()
	for i, p := range perm {
		c := codes[p]
		list := lists[i%len(lists)]
		entry := credit.NewID()
		d := credit.EntryDetail{Grounds: "bench", BasisRecords: []string{credit.NewID()}, SubjectKind: credit.Organisation, SubjectName: "bench"}
		if i%10 == 0 {
			d.Persons = []credit.ResponsiblePerson{{Role: "法定代表人", Name: "张三", IDHash: sealer.Hash(fmt.Sprintf("bench-%d", i))}}
		}
		prop := &credit.ListEvent{ID: credit.NewID(), EntryID: entry, List: list, SubjectID: c,
			Step: credit.StepProposed, Actor: "bench", Detail: d}
		if err := st.AppendListEvent(ctx, prop, 0); err != nil {
			return nil, nil, err
		}
		ev := &credit.ListEvent{ID: credit.NewID(), EntryID: entry, List: list, SubjectID: c, Step: credit.StepDecided, Actor: "bench", DocNo: "bench",
			Detail: credit.EntryDetail{Since: since, Until: since.AddDate(3, 0, 0)}}
		if err := st.AppendListEvent(ctx, ev, prop.Seq); err != nil {
			return nil, nil, err
		}
		listedCodes = append(listedCodes, c)
		if i%5000 == 0 {
			fmt.Fprintf(progress, "bench: %d/%d listed\r", i, listed)
		}
	}
	fmt.Fprintln(progress)
	// Shuffle the query order so listed subjects are spread evenly.
	rng.Shuffle(len(codes), func(i, j int) { codes[i], codes[j] = codes[j], codes[i] })
	return codes, listedCodes, nil
}

// reuseCheckBench reads the codes of a database seeded earlier: every
// subject (shuffled) and those with a decided, unremoved entry.
func reuseCheckBench(ctx context.Context, st *sqlite.Store) (codes, listed []string, err error) {
	rows, err := st.ReadDB().QueryContext(ctx, `SELECT id FROM subjects`)
	if err != nil {
		return nil, nil, err
	}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, nil, err
		}
		codes = append(codes, id)
	}
	rows.Close()
	evs, err := st.ListEvents(ctx, 0, 0)
	if err != nil {
		return nil, nil, err
	}
	seen := map[string]bool{}
	for _, e := range sanction.Derive(evs) {
		if e.State == credit.StepDecided && !seen[e.SubjectID] {
			seen[e.SubjectID] = true
			listed = append(listed, e.SubjectID)
		}
	}
	if len(codes) == 0 {
		return nil, nil, fmt.Errorf("--reuse: no subjects in the database; run once without --reuse")
	}
	rand.New(rand.NewPCG(7, 7)).Shuffle(len(codes), func(i, j int) { codes[i], codes[j] = codes[j], codes[i] })
	return codes, listed, nil
}

// benchAccount creates the business-system account and returns its key.
func benchAccount(ctx context.Context, st *sqlite.Store, svc *sanction.Service) (string, error) {
	accs := &auth.Accounts{Store: st}
	name := "bench-" + strconv.FormatInt(time.Now().UnixNano()%1e9, 36)
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

// httpBatches sends 1000-subject checks from a few connections for d.
func httpBatches(ctx context.Context, addr, key string, batches [][]sanction.Query, d time.Duration) (float64, int, error) {
	reqs := make([][]byte, len(batches))
	for i, b := range batches {
		body, _ := json.Marshal(sanction.Request{Matter: benchMatter, Subjects: b})
		reqs[i] = rawRequest(addr, key, body)
	}
	var next, subjects atomic.Int64
	var firstErr atomic.Value
	deadline := time.Now().Add(d)
	var wg sync.WaitGroup
	t0 := time.Now()
	for w := 0; w < 4; w++ {
		rc, err := dialRaw(addr)
		if err != nil {
			return 0, 0, err
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer rc.c.Close()
			for time.Now().Before(deadline) {
				i := int(next.Add(1)-1) % len(reqs)
				code, err := rc.do(reqs[i])
				if err == nil && code != 200 {
					err = fmt.Errorf("status %d", code)
				}
				if err != nil {
					firstErr.CompareAndSwap(nil, err)
					return
				}
				subjects.Add(int64(len(batches[i])))
			}
		}()
	}
	wg.Wait()
	if e := firstErr.Load(); e != nil {
		return 0, 0, fmt.Errorf("HTTP batch: %v", e)
	}
	return float64(subjects.Load()) / time.Since(t0).Seconds(), int(next.Load()), nil
}

// visibility lists fresh subjects through node A and times how long node
// B, polling like any other node, takes to return them.
func visibility(ctx context.Context, st *sqlite.Store, cat *catalog.Catalog, sealer *pii.Sealer, a *sanction.Service, logger *slog.Logger, res *BenchCheckResult) error {
	b, err := sanction.New(ctx, sanction.Config{Store: st, Catalog: cat, Sealer: sealer, Logger: logger})
	if err != nil {
		return err
	}
	defer b.Close(ctx)
	bctx, stop := context.WithCancel(ctx)
	defer stop()
	go b.Run(bctx)
	caller := sanction.Caller{Name: "bench", Dept: benchDept, Matters: []string{benchMatter}}
	g := uscc.NewGenerator(time.Now().UnixNano()) // fresh codes, also on --reuse
	var remote []time.Duration
	for i := 0; i < 20; i++ {
		code := g.USCC('9', '1', "350100")
		now := time.Now().UnixMicro()
		if _, err := st.WriteDB().ExecContext(ctx, `INSERT INTO subjects (id, kind, code, name, created_at, updated_at) VALUES ($1, 'org', $1, 'bench', $2, $2)`, code, now); err != nil {
			return err
		}
		q := sanction.Request{Matter: benchMatter, Subjects: []sanction.Query{{Code: code}}}
		entry := credit.NewID()
		p := &credit.ListEvent{ID: credit.NewID(), EntryID: entry, List: "court_defaulters", SubjectID: code, Step: credit.StepProposed, Actor: "bench",
			Detail: credit.EntryDetail{Grounds: "bench", SubjectKind: credit.Organisation}}
		if err := st.AppendListEvent(ctx, p, 0); err != nil {
			return err
		}
		t0 := time.Now()
		dEv := &credit.ListEvent{ID: credit.NewID(), EntryID: entry, List: "court_defaulters", SubjectID: code, Step: credit.StepDecided, Actor: "bench",
			Detail: credit.EntryDetail{Since: time.Now().UTC().Add(-time.Second)}}
		if err := st.AppendListEvent(ctx, dEv, p.Seq); err != nil {
			return err
		}
		// The writing node refreshes at once, as Service.Decide does.
		if err := a.Refresh(ctx); err != nil {
			return err
		}
		if n, _ := a.Probe(caller, q); n != 1 {
			return fmt.Errorf("visibility: the writing node does not see its own change")
		}
		res.VisibleLocalMax = max(res.VisibleLocalMax, time.Since(t0))
		for {
			n, err := b.Probe(caller, q)
			if err != nil {
				return err
			}
			if n == 1 {
				break
			}
			if time.Since(t0) > 10*time.Second {
				break // recorded as a 10 s latency: far past the floor
			}
			time.Sleep(time.Millisecond)
		}
		remote = append(remote, time.Since(t0))
		time.Sleep(time.Duration(37*i%200) * time.Millisecond) // spread writes over the poll cycle
	}
	res.VisibleMedian = percentile(remote, 0.5)
	res.VisibleMax = percentile(remote, 1)
	return nil
}

func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	i := int(p*float64(len(s))+0.5) - 1
	return s[max(0, min(i, len(s)-1))]
}
