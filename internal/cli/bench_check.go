package cli

import (
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
	"path/filepath"
	"runtime"
	"sort"
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
	res := &BenchCheckResult{Subjects: o.Subjects, Listed: o.Listed}

	t0 := time.Now()
	codes, listed, err := seedCheckBench(ctx, st, o.Subjects, o.Listed, progress)
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
	url := "http://" + ln.Addr().String() + "/api/v1/checks"
	client := &http.Client{Transport: &http.Transport{MaxIdleConns: 512, MaxIdleConnsPerHost: 512, IdleConnTimeout: time.Minute}}

	fmt.Fprintf(progress, "bench: HTTP batches for %s\n", o.Duration)
	res.HTTPBatchRate, res.HTTPBatchReqs, err = httpBatches(ctx, client, url, key, batches, o.Duration)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(progress, "bench: single-subject HTTP at %d/s for %s\n", o.Rate, o.Duration)
	if err := httpSingle(ctx, client, url, key, codes, o.Rate, o.Duration, res); err != nil {
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

// benchAccount creates the business-system account and returns its key.
func benchAccount(ctx context.Context, st *sqlite.Store, svc *sanction.Service) (string, error) {
	accs := &auth.Accounts{Store: st}
	acc, err := accs.CreateAccount(ctx, "bench-procurement", "", credit.RoleBusiness, benchDept, "", "")
	if err != nil {
		return "", err
	}
	if err := svc.SetMatters(ctx, acc, []string{benchMatter}); err != nil {
		return "", err
	}
	secret, _, err := accs.NewKey(ctx, acc.Name)
	return secret, err
}

func post(ctx context.Context, client *http.Client, url, key string, body []byte) (int, error) {
	req, err := http.NewRequestWithContext(ctx, "POST", url, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+key)
	res, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode, nil
}

// httpBatches sends 1000-subject checks from a few connections for d.
func httpBatches(ctx context.Context, client *http.Client, url, key string, batches [][]sanction.Query, d time.Duration) (float64, int, error) {
	bodies := make([][]byte, len(batches))
	for i, b := range batches {
		bodies[i], _ = json.Marshal(sanction.Request{Matter: benchMatter, Subjects: b})
	}
	var next, subjects atomic.Int64
	var firstErr atomic.Value
	deadline := time.Now().Add(d)
	var wg sync.WaitGroup
	t0 := time.Now()
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) {
				i := int(next.Add(1)-1) % len(bodies)
				code, err := post(ctx, client, url, key, bodies[i])
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

// httpSingle sends one-subject checks at a fixed rate (open loop: each
// request is sent at its scheduled time whatever the previous ones did,
// and its latency counts from that time, so a stall is not hidden).
func httpSingle(ctx context.Context, client *http.Client, url, key string, codes []string, rate int, d time.Duration, res *BenchCheckResult) error {
	total := int(d.Seconds() * float64(rate))
	bodies := make([][]byte, 4096)
	for i := range bodies {
		bodies[i], _ = json.Marshal(sanction.Request{Matter: benchMatter, Subjects: []sanction.Query{{Code: codes[(i*7919)%len(codes)]}}})
	}
	// Warm the connection pool.
	for i := 0; i < 64; i++ {
		_, _ = post(ctx, client, url, key, bodies[i])
	}
	lat := make([]time.Duration, total)
	var errs atomic.Int64
	var wg sync.WaitGroup
	interval := time.Second / time.Duration(rate)
	start := time.Now()
	for i := 0; i < total; i++ {
		at := start.Add(time.Duration(i) * interval)
		if w := time.Until(at); w > 0 {
			time.Sleep(w)
		}
		wg.Add(1)
		go func(i int, at time.Time) {
			defer wg.Done()
			code, err := post(ctx, client, url, key, bodies[i%len(bodies)])
			lat[i] = time.Since(at)
			if err != nil || code != 200 {
				errs.Add(1)
			}
		}(i, at)
	}
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
	g := uscc.NewGenerator(99)
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
				return fmt.Errorf("visibility: change not visible on the other node after 10s")
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
