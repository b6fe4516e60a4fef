package cli

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"runtime/trace"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/gen"
	"github.com/xinyong/xinyong/internal/pii"
	"github.com/xinyong/xinyong/internal/records"
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
		if a == "check" {
			return runBenchCheck(append(append([]string(nil), args[:i]...), args[i+1:]...), stdout, stderr)
		}
		if a == checkLoadCmd {
			return runBenchCheckLoad(append(append([]string(nil), args[:i]...), args[i+1:]...), stdout, stderr)
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
	// LoadInProcess runs the single-subject load generator inside the
	// server's process (sharing its Go scheduler) instead of in a child
	// process of its own, as a real calling system would be.
	LoadInProcess bool
	// Trace, when set, receives an execution trace (go tool trace) of
	// the single-subject HTTP phase.
	Trace string
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
	// Single-subject HTTP at a fixed open-loop rate.
	SingleRate                                 float64 // achieved
	SingleP50, SingleP99, Single999, SingleMax time.Duration
	SingleErrors                               int
	LoadInProcess                              bool // the generator shared the server's process
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
	fs.StringVar(&o.CPUProfile, "cpuprofile", "", "write a CPU profile of the single-subject HTTP phase to this file")
	fs.BoolVar(&o.LoadInProcess, "load-in-process", false, "run the single-subject load generator in the server's process (shares its Go scheduler; the default is a separate process)")
	fs.StringVar(&o.Trace, "trace", "", "write an execution trace of the single-subject HTTP phase to this file (go tool trace)")
	fs.StringVar(&o.Dir, "dir", "", "directory for the SQLite file (default: a temporary directory, removed afterwards)")
	if code, done := parse(fs, args, stderr); done {
		return code
	}
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
	fmt.Fprintf(w, "hit check: %d subjects, %d listed, SQLite; GOMAXPROCS=%d\n", r.Subjects, r.Listed, runtime.GOMAXPROCS(0))
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
	fmt.Fprintf(w, "%-46s %14.0f\n", "single-subject HTTP achieved req/s", r.SingleRate)
	fmt.Fprintf(w, "%-46s %14s\n", "single-subject HTTP p50", r.SingleP50.Round(time.Microsecond))
	fmt.Fprintf(w, "%-46s %14s\n", "single-subject HTTP p99", r.SingleP99.Round(time.Microsecond))
	fmt.Fprintf(w, "%-46s %14s\n", "single-subject HTTP p99.9", r.Single999.Round(time.Microsecond))
	fmt.Fprintf(w, "%-46s %14s\n", "single-subject HTTP max", r.SingleMax.Round(time.Microsecond))
	fmt.Fprintf(w, "%-46s %14d\n", "single-subject HTTP errors", r.SingleErrors)
	fmt.Fprintf(w, "%-46s %14s\n", "plain SQL single lookup p99 (in-process)", r.SQLP99.Round(time.Microsecond))
	fmt.Fprintf(w, "%-46s %14s\n", "list change visible on other node, median", r.VisibleMedian.Round(time.Millisecond))
	fmt.Fprintf(w, "%-46s %14s\n", "list change visible on other node, max", r.VisibleMax.Round(time.Millisecond))
	fmt.Fprintf(w, "%-46s %14s\n", "list change visible on writing node, max", r.VisibleLocalMax.Round(time.Microsecond))
}

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
	st, err := sqlite.Open(ctx, filepath.Join(dir, "bench-check.db"))
	if err != nil {
		return nil, err
	}
	defer st.Close()
	cat, err := catalog.Default()
	if err != nil {
		return nil, err
	}
	sealer, err := pii.New(bytes.Repeat([]byte{9}, 32))
	if err != nil {
		return nil, err
	}
	res := &BenchCheckResult{Subjects: o.Subjects, Listed: o.Listed, LoadInProcess: o.LoadInProcess}

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
	recs := &records.Service{Store: st, Catalog: cat, Sealer: sealer}
	h, err := server.New(server.Deps{Store: st, Catalog: cat, Records: recs, Sealer: sealer, Logger: quiet, Version: "bench", Sanction: svc})
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	srvCtx, stopSrv := context.WithCancel(ctx)
	srvDone := make(chan error, 1)
	go func() { srvDone <- server.Serve(srvCtx, ln, h, quiet) }()
	defer func() { stopSrv(); <-srvDone }()
	addr := ln.Addr().String()

	fmt.Fprintf(progress, "bench: HTTP batches for %s\n", o.Duration)
	res.HTTPBatchRate, res.HTTPBatchReqs, err = httpBatches(ctx, addr, key, batches, o.Duration)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(progress, "bench: HTTP batch %.0f subjects/s\n", res.HTTPBatchRate)
	fmt.Fprintf(progress, "bench: single-subject HTTP at %d/s for %s\n", o.Rate, o.Duration)
	if o.CPUProfile != "" {
		f, err := os.Create(o.CPUProfile)
		if err != nil {
			return nil, err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			return nil, err
		}
	}
	if o.Trace != "" {
		f, err := os.Create(o.Trace)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		if err := trace.Start(f); err != nil {
			return nil, err
		}
	}
	if o.LoadInProcess {
		err = httpSingle(ctx, addr, key, codes, o.Rate, o.Duration, res)
	} else {
		err = httpSingleProcess(ctx, dir, addr, key, codes, o.Rate, o.Duration, res, progress)
	}
	if o.CPUProfile != "" {
		pprof.StopCPUProfile()
	}
	if o.Trace != "" {
		trace.Stop()
	}
	if err != nil {
		return nil, err
	}

	// Visibility of a list change on another node (a second service on
	// the same database, polling) and on the writing node.
	fmt.Fprintf(progress, "bench: single p50 %s p99 %s p99.9 %s achieved %.0f/s errors %d\n", res.SingleP50, res.SingleP99, res.Single999, res.SingleRate, res.SingleErrors)
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

// rawConn is a minimal HTTP/1.1 client on one keep-alive connection: the
// load generator shares the machine with the server, so it must cost as
// little as possible (net/http's Client costs more than the check).
type rawConn struct {
	c  net.Conn
	br *bufio.Reader
}

func dialRaw(addr string) (*rawConn, error) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	return &rawConn{c: c, br: bufio.NewReaderSize(c, 64<<10)}, nil
}

func rawRequest(addr, key string, body []byte) []byte {
	return append([]byte(fmt.Sprintf("POST /api/v1/checks HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nAuthorization: Bearer %s\r\nContent-Length: %d\r\n\r\n",
		addr, key, len(body))), body...)
}

func (rc *rawConn) do(req []byte) (int, error) {
	if _, err := rc.c.Write(req); err != nil {
		return 0, err
	}
	res, err := http.ReadResponse(rc.br, nil)
	if err != nil {
		return 0, err
	}
	_, err = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode, err
}

// httpSingle sends one-subject checks at a fixed rate, open loop: request
// i is due at start + i/rate whatever the earlier ones did, waits for a
// free connection if all are busy, and its latency counts from its due
// time, so a stall shows in the percentiles instead of slowing the sender.
func httpSingle(ctx context.Context, addr, key string, codes []string, rate int, d time.Duration, res *BenchCheckResult) error {
	total := int(d.Seconds() * float64(rate))
	reqs := make([][]byte, 4096)
	for i := range reqs {
		body, _ := json.Marshal(sanction.Request{Matter: benchMatter, Subjects: []sanction.Query{{Code: codes[(i*7919)%len(codes)]}}})
		reqs[i] = rawRequest(addr, key, body)
	}
	const conns = 64
	type job struct {
		i  int
		at time.Time
	}
	jobs := make(chan job, total)
	lat := make([]time.Duration, total)
	var errs atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < conns; w++ {
		rc, err := dialRaw(addr)
		if err != nil {
			return err
		}
		if _, err := rc.do(reqs[w]); err != nil { // warm up
			return err
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer rc.c.Close()
			for j := range jobs {
				code, err := rc.do(reqs[j.i%len(reqs)])
				lat[j.i] = time.Since(j.at)
				if err != nil || code != 200 {
					errs.Add(1)
					if err != nil {
						rc.c.Close()
						if rc, err = dialRaw(addr); err != nil {
							return
						}
					}
				}
			}
		}()
	}
	interval := time.Second / time.Duration(rate)
	start := time.Now()
	for i := 0; i < total; i++ {
		at := start.Add(time.Duration(i) * interval)
		if w := time.Until(at); w > 0 {
			time.Sleep(w)
		}
		jobs <- job{i, at}
	}
	close(jobs)
	wg.Wait()
	elapsed := time.Since(start)
	res.SingleRate = float64(total) / elapsed.Seconds()
	res.SingleP50 = percentile(lat, 0.50)
	res.SingleP99 = percentile(lat, 0.99)
	res.Single999 = percentile(lat, 0.999)
	res.SingleMax = percentile(lat, 1)
	res.SingleErrors = int(errs.Load())
	return nil
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

// checkLoadCmd is the hidden `xinyong bench check-load` the single-subject
// phase starts as a child process: the load generator in a process of its
// own, as a calling system would be, so its sender and connections do not
// queue in the server's Go scheduler behind the server's goroutines (and
// the server's behind them), which in one process added milliseconds to
// the tail that were not the server's.
const checkLoadCmd = "check-load"

// checkLoadKeyEnv carries the bench API key to the child (not on its
// command line).
const checkLoadKeyEnv = "XINYONG_BENCH_CHECK_KEY"

// checkLoadResult is what the child prints on stdout, as JSON.
type checkLoadResult struct {
	Rate                float64
	P50, P99, P999, Max time.Duration
	Errors              int
}

// httpSingleProcess runs httpSingle in a child process (`xinyong bench
// check-load`) and copies its figures into res.
func httpSingleProcess(ctx context.Context, dir, addr, key string, codes []string, rate int, d time.Duration, res *BenchCheckResult, progress io.Writer) error {
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("load generator: %w", err)
	}
	var b strings.Builder
	for i := 0; i < 4096; i++ {
		b.WriteString(codes[(i*7919)%len(codes)])
		b.WriteByte('\n')
	}
	codesFile := filepath.Join(dir, "bench-check-codes.txt")
	if err := os.WriteFile(codesFile, []byte(b.String()), 0o600); err != nil {
		return err
	}
	defer os.Remove(codesFile)
	cmd := exec.CommandContext(ctx, exe, "bench", checkLoadCmd, "--addr", addr, "--codes", codesFile,
		"--rate", strconv.Itoa(rate), "--duration", d.String())
	cmd.Env = append(os.Environ(), checkLoadKeyEnv+"="+key)
	cmd.Stderr = progress
	out, err := cmd.Output()
	if err != nil {
		return fmt.Errorf("load generator process: %w", err)
	}
	var r checkLoadResult
	if err := json.Unmarshal(out, &r); err != nil {
		return fmt.Errorf("load generator process: unreadable result %q: %w", out, err)
	}
	res.SingleRate, res.SingleP50, res.SingleP99, res.Single999, res.SingleMax, res.SingleErrors = r.Rate, r.P50, r.P99, r.P999, r.Max, r.Errors
	return nil
}

// runBenchCheckLoad is the child side of httpSingleProcess.
func runBenchCheckLoad(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("bench", "bench check-load --addr HOST:PORT --codes FILE [--rate R] [--duration D] (started by bench check; API key in $"+checkLoadKeyEnv+")", stdout)
	addr := fs.String("addr", "", "server address")
	codesFile := fs.String("codes", "", "file of subject codes, one a line")
	rate := fs.Int("rate", 5000, "requests per second (open loop)")
	d := fs.Duration("duration", 10*time.Second, "how long to send")
	if code, done := parse(fs, args, stderr); done {
		return code
	}
	key := os.Getenv(checkLoadKeyEnv)
	data, err := os.ReadFile(*codesFile)
	if err != nil {
		return fail(stderr, "bench", err)
	}
	codes := strings.Fields(string(data))
	if *addr == "" || key == "" || len(codes) == 0 || *rate <= 0 || *d <= 0 {
		fmt.Fprintf(stderr, "xinyong bench check-load: need --addr, --codes (non-empty), --rate > 0, --duration > 0 and $%s\n", checkLoadKeyEnv)
		return 2
	}
	var res BenchCheckResult
	if err := httpSingle(context.Background(), *addr, key, codes, *rate, *d, &res); err != nil {
		return fail(stderr, "bench", err)
	}
	if err := json.NewEncoder(stdout).Encode(checkLoadResult{Rate: res.SingleRate, P50: res.SingleP50, P99: res.SingleP99,
		P999: res.Single999, Max: res.SingleMax, Errors: res.SingleErrors}); err != nil {
		return fail(stderr, "bench", err)
	}
	return 0
}
