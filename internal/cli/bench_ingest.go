package cli

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/chinatime"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/gen"
	"github.com/xinyong/xinyong/internal/ingest"
	"github.com/xinyong/xinyong/internal/store/postgres"
	"github.com/xinyong/xinyong/internal/store/sqlite"
)

// Floors of issue 15, printed beside the results.
const (
	benchEngineFloor = 0.35 // pipeline rows/s ÷ the engine's own bulk path
	benchLinearFloor = 0.80 // rows/s at the largest size ÷ rows/s at the smallest
)

// benchDSN is the PostgreSQL the ingest benchmark uses when none is given.
const benchDSN = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// runBenchIngest implements `xinyong bench ingest`.
func runBenchIngest(args []string, stdout, stderr io.Writer) int {
	var o BenchIngestOptions
	var db, sizes, backends string
	fs := newFlagSet("bench", "bench ingest [--rows 100000,1000000] [--backends sqlite,postgres] [--postgres DSN] [flags]", stdout)
	fs.StringVar(&sizes, "rows", "100000,1000000", "penalty rows to generate and import, one run per size (comma-separated): the rates of the smallest and the largest show whether the cost is linear")
	fs.StringVar(&backends, "backends", "sqlite,postgres", "backends to measure, comma-separated: sqlite, postgres")
	fs.StringVar(&o.Postgres, "postgres", env("XINYONG_BENCH_POSTGRES", benchDSN), "PostgreSQL DSN; each run gets a temporary schema, dropped after it (env XINYONG_BENCH_POSTGRES)")
	fs.StringVar(&db, "db", "", "compatibility: a directory measures SQLite only, with the databases there; a PostgreSQL DSN measures PostgreSQL only")
	fs.IntVar(&o.Chunk, "chunk", ingest.DefaultChunkSize, "rows per transaction, for the pipeline and the raw baseline")
	fs.StringVar(&o.Tmp, "tmp", "", "directory for the generated files and the SQLite databases (default: the system temporary directory)")
	fs.StringVar(&o.CPUProfile, "cpuprofile", "", "write a CPU profile of each pipeline import to FILE.BACKEND.ROWS")
	if code, done := parse(fs, args, stderr); done {
		return code
	}
	if fs.NArg() != 1 || fs.Arg(0) != "ingest" {
		fmt.Fprintln(stderr, "xinyong bench: use `xinyong bench ingest [--rows N,M] [--backends sqlite,postgres]`")
		return 2
	}
	for _, s := range strings.Split(sizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			return fail(stderr, "bench", fmt.Errorf("--rows %q: give row counts ≥ 1, comma-separated", sizes))
		}
		o.Sizes = append(o.Sizes, n)
	}
	for _, b := range strings.Split(backends, ",") {
		switch b = strings.TrimSpace(b); b {
		case "sqlite", "postgres":
			o.Backends = append(o.Backends, b)
		default:
			return fail(stderr, "bench", fmt.Errorf("--backends: %q is neither sqlite nor postgres", b))
		}
	}
	switch {
	case db == "":
	case isPostgresDSN(db):
		o.Backends, o.Postgres = []string{"postgres"}, db
	default:
		o.Backends, o.SQLiteDir = []string{"sqlite"}, db
	}
	res, err := BenchIngest(context.Background(), o, stderr)
	if err != nil {
		return fail(stderr, "bench", err)
	}
	WriteBenchIngest(stdout, res)
	return 0
}

func isPostgresDSN(s string) bool {
	return strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://") || strings.Contains(s, "host=")
}

// BenchIngestOptions says what `bench ingest` measures.
type BenchIngestOptions struct {
	Sizes      []int    // rows per run
	Backends   []string // sqlite, postgres
	Postgres   string   // DSN
	SQLiteDir  string   // where the SQLite databases go (default: Tmp)
	Tmp        string
	Chunk      int
	CPUProfile string
	// Exe is the xinyong binary the pipeline runs as (`xinyong import`);
	// default: this executable.
	Exe string
}

// BenchResult is one ingest benchmark run: one backend, one size.
type BenchResult struct {
	Backend      string
	Rows         int
	PipelineRate float64 // rows/s of `xinyong import` (a process of its own: start, hash, parse, validate, seal, commit)
	PipelineCPU  time.Duration
	PeakRSS      int64   // bytes, of the import process; 0 if unknown
	RawRate      float64 // rows/s of plain writes of the same rows (SQLite INSERT, PostgreSQL COPY)
	EngineRate   float64 // rows/s of the engine's own bulk path (sqlite3 .import, COPY FROM STDIN csv); 0 if not measured
	EngineNote   string  // why EngineRate is missing
	// StoreTableRate is rows/s of the engine's own bulk path writing the
	// records as the pipeline stored them into a plain table with the
	// store's records columns and indexes; 0 if not measured.
	StoreTableRate float64
	StoreTableNote string // why StoreTableRate is missing
}

// BenchIngest generates each size of penalty rows as CSV and, per backend,
// in the same run: loads the file with the engine's own bulk path into a
// plain table with the file's columns and three indexes, writes the same
// rows raw into the store's tables, imports the file with `xinyong
// import`, each into an empty database, and loads the records the import
// stored, with the engine's own bulk path again, into a plain table with
// the store's records columns and indexes.
func BenchIngest(ctx context.Context, o BenchIngestOptions, log io.Writer) ([]BenchResult, error) {
	cat, err := catalog.Default()
	if err != nil {
		return nil, err
	}
	it, _ := cat.Item("admin_penalty")
	if o.Chunk <= 0 {
		o.Chunk = ingest.DefaultChunkSize
	}
	if o.Exe == "" {
		if o.Exe, err = os.Executable(); err != nil {
			return nil, err
		}
	}
	work, err := os.MkdirTemp(o.Tmp, "xinyong-bench-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(work)
	if o.SQLiteDir == "" {
		o.SQLiteDir = work
	}
	var out []BenchResult
	for _, rows := range o.Sizes {
		genOpts := gen.RecordOptions{Item: "admin_penalty", Seed: 7, Subjects: max(rows/5, 100), Now: time.Now().In(chinatime.Location)}
		file := filepath.Join(work, fmt.Sprintf("penalties-%d.csv", rows))
		if err := benchFile(file, it, genOpts, rows, log); err != nil {
			return nil, err
		}
		for _, backend := range o.Backends {
			r := BenchResult{Backend: backend, Rows: rows}
			fmt.Fprintf(log, "bench: %s, %d rows: the engine's own bulk path\n", backend, rows)
			d, note, err := benchEngine(ctx, backend, o, file)
			if err != nil {
				return nil, fmt.Errorf("%s engine bulk load: %w", backend, err)
			}
			if note != "" {
				r.EngineNote = note
			} else {
				r.EngineRate = float64(rows) / d.Seconds()
			}
			fmt.Fprintf(log, "bench: %s, %d rows: raw writes\n", backend, rows)
			st, closeSt, err := benchStore(ctx, backend, o, "raw")
			if err != nil {
				return nil, err
			}
			g, _ := gen.NewRecords(genOpts)
			d, err = ingest.RawWrite(ctx, st, g, "admin_penalty", "SAMR-350100", rows, o.Chunk)
			closeSt()
			if err != nil {
				return nil, fmt.Errorf("raw write: %w", err)
			}
			r.RawRate = float64(rows) / d.Seconds()
			fmt.Fprintf(log, "bench: %s, %d rows: xinyong import\n", backend, rows)
			if err := benchPipeline(ctx, backend, o, file, &r); err != nil {
				return nil, fmt.Errorf("pipeline: %w", err)
			}
			fmt.Fprintf(log, "bench: %s, %d rows: pipeline %.0f rows/s, raw %.0f, engine %.0f\n", backend, rows, r.PipelineRate, r.RawRate, r.EngineRate)
			out = append(out, r)
		}
		os.Remove(file)
	}
	return out, nil
}

func benchFile(file string, it *catalog.Item, opts gen.RecordOptions, rows int, log io.Writer) error {
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	g, _ := gen.NewRecords(opts)
	fmt.Fprintf(log, "bench: generating %d rows into %s\n", rows, file)
	if err := gen.WriteFile(f, it, g, gen.FileOptions{Format: "csv", Style: "codes", Rows: rows}); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// benchStore opens an empty store of the backend for one measurement.
func benchStore(ctx context.Context, backend string, o BenchIngestOptions, name string) (credit.Store, func(), error) {
	if backend == "postgres" {
		dsn, drop, err := tempSchema(ctx, o.Postgres)
		if err != nil {
			return nil, nil, err
		}
		s, err := postgres.Open(ctx, dsn)
		if err != nil {
			drop()
			return nil, nil, err
		}
		return s, func() { s.Close(); drop() }, nil
	}
	p := filepath.Join(o.SQLiteDir, "bench-"+name+".db")
	removeSQLite(p)
	s, err := sqlite.Open(ctx, p)
	if err != nil {
		return nil, nil, err
	}
	return s, func() { s.Close(); removeSQLite(p) }, nil
}

func removeSQLite(p string) {
	for _, suf := range []string{"", "-wal", "-shm"} {
		os.Remove(p + suf)
	}
}

// benchIndexes are the plain table's indexes, the look-ups the store's own
// indexes serve: a document by its number, a subject's rows by its code
// or ID number.
var benchIndexes = []string{"cf_wsh", "cf_xdr_shxym", "cf_xdr_zjhm"}

// benchEngine loads file with the engine's own bulk path into a plain
// table with the file's columns (text) and benchIndexes, and returns how
// long the load took; or a note saying why it was not measured.
func benchEngine(ctx context.Context, backend string, o BenchIngestOptions, file string) (time.Duration, string, error) {
	header, err := csvHeader(file)
	if err != nil {
		return 0, "", err
	}
	var ddl strings.Builder
	ddl.WriteString("CREATE TABLE penalties (")
	for i, h := range header {
		if i > 0 {
			ddl.WriteString(", ")
		}
		ddl.WriteString(pgx.Identifier{h}.Sanitize() + " TEXT")
	}
	ddl.WriteString(");\n")
	for i, c := range benchIndexes {
		fmt.Fprintf(&ddl, "CREATE INDEX penalties_%d ON penalties (%s);\n", i, c)
	}
	if backend == "postgres" {
		dsn, drop, err := tempSchema(ctx, o.Postgres)
		if err != nil {
			return 0, "", err
		}
		defer drop()
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			return 0, "", err
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, ddl.String()); err != nil {
			return 0, "", err
		}
		f, err := os.Open(file)
		if err != nil {
			return 0, "", err
		}
		defer f.Close()
		start := time.Now()
		// The server parses the CSV: the bytes of the file go as they are.
		tag, err := conn.PgConn().CopyFrom(ctx, bufio.NewReaderSize(f, 1<<20), "COPY penalties FROM STDIN (FORMAT csv, HEADER true)")
		if err != nil {
			return 0, "", err
		}
		d := time.Since(start)
		if tag.RowsAffected() == 0 {
			return 0, "", errors.New("COPY loaded no rows")
		}
		return d, "", nil
	}
	shell, err := exec.LookPath("sqlite3")
	if err != nil {
		return 0, noShell, nil
	}
	db := filepath.Join(o.SQLiteDir, "bench-engine.db")
	defer removeSQLite(db)
	d, err := sqliteShellLoad(ctx, shell, db, ddl.String(), file, "penalties", true)
	return d, "", err
}

// noShell is the note of an engine column the bench could not measure.
const noShell = "sqlite3 shell not installed: column missing"

// sqliteShellLoad creates a fresh database db with ddl and loads the CSV
// file into table with the sqlite3 shell's .import, with the store's own
// settings (journal, sync, page cache) so that both pay the same
// durability; it returns how long the shell took.
func sqliteShellLoad(ctx context.Context, shell, db, ddl, file, table string, header bool) (time.Duration, error) {
	removeSQLite(db)
	skip := ""
	if header {
		skip = "--skip 1 "
	}
	script := fmt.Sprintf("PRAGMA journal_mode=WAL;\nPRAGMA synchronous=NORMAL;\nPRAGMA cache_size=-%d;\n%s\n.import --csv %s'%s' %s\n",
		sqlite.DefaultCache>>10, ddl, skip, strings.ReplaceAll(file, "'", "''"), table)
	cmd := exec.CommandContext(ctx, shell, db)
	cmd.Stdin = strings.NewReader(script)
	var errb strings.Builder
	cmd.Stderr = &errb
	start := time.Now()
	if err := cmd.Run(); err != nil {
		return 0, fmt.Errorf("sqlite3 .import: %v: %s", err, strings.TrimSpace(errb.String()))
	}
	d := time.Since(start)
	if s := strings.TrimSpace(errb.String()); s != "" {
		return 0, fmt.Errorf("sqlite3 .import: %s", s)
	}
	return d, nil
}

func csvHeader(file string) ([]string, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return csv.NewReader(bufio.NewReader(f)).Read()
}

// benchPipeline runs `xinyong import` of file into an empty store as a
// process of its own, so that its peak RSS and CPU are the import's alone.
func benchPipeline(ctx context.Context, backend string, o BenchIngestOptions, file string, r *BenchResult) error {
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	dbArg := ""
	if backend == "postgres" {
		dsn, drop, err := tempSchema(ctx, o.Postgres)
		if err != nil {
			return err
		}
		defer drop()
		dbArg = dsn
	} else {
		dir, err := os.MkdirTemp(o.SQLiteDir, "bench-pipeline-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		dbArg = filepath.Join(dir, "xinyong.db")
	}
	args := []string{"import", "--db", dbArg, "--dept", "SAMR-350100", "--item", "admin_penalty",
		"--chunk", strconv.Itoa(o.Chunk), "--quiet", "--log-level", "warn"}
	if o.CPUProfile != "" {
		args = append(args, "--cpuprofile", fmt.Sprintf("%s.%s.%d", o.CPUProfile, backend, r.Rows))
	}
	cmd := exec.CommandContext(ctx, o.Exe, append(args, file)...)
	cmd.Env = append(os.Environ(), "XINYONG_DATA_KEY="+hex.EncodeToString(key))
	var outb, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &outb, &errb
	start := time.Now()
	err := cmd.Run()
	d := time.Since(start)
	if err != nil {
		return fmt.Errorf("xinyong import: %v: %s", err, strings.TrimSpace(errb.String()))
	}
	if want := fmt.Sprintf("accepted %d ", r.Rows); !strings.Contains(outb.String(), want) {
		return fmt.Errorf("xinyong import did not accept every row of the generated file: %s", strings.TrimSpace(outb.String()))
	}
	r.PipelineRate = float64(r.Rows) / d.Seconds()
	r.PipelineCPU, r.PeakRSS = processUsage(cmd.ProcessState)
	d, note, err := benchStoreTable(ctx, backend, dbArg, o.SQLiteDir)
	if err != nil {
		return fmt.Errorf("engine bulk path into the store's table: %w", err)
	}
	if r.StoreTableNote = note; note == "" {
		r.StoreTableRate = float64(r.Rows) / d.Seconds()
	}
	return nil
}

// WriteBenchIngest prints the results and the floors.
func WriteBenchIngest(w io.Writer, res []BenchResult) {
	fmt.Fprintln(w, "backend\trows\tpipeline rows/s\tCPU µs/row\tpeak RSS MiB\traw rows/s\tpipeline/raw\tengine bulk rows/s\tpipeline/engine\tengine, store's table rows/s\tpipeline/that")
	// column is a baseline's rate and the pipeline's ratio to it.
	column := func(baseline, pipeline float64) (string, string) {
		if baseline <= 0 {
			return "missing", "-"
		}
		return fmt.Sprintf("%.0f", baseline), fmt.Sprintf("%.2f", pipeline/baseline)
	}
	for _, r := range res {
		engine, ratio := column(r.EngineRate, r.PipelineRate)
		table, tableRatio := column(r.StoreTableRate, r.PipelineRate)
		rss := "-"
		if r.PeakRSS > 0 {
			rss = fmt.Sprintf("%.0f", float64(r.PeakRSS)/(1<<20))
		}
		fmt.Fprintf(w, "%s\t%d\t%.0f\t%.0f\t%s\t%.0f\t%.2f\t%s\t%s\t%s\t%s\n", r.Backend, r.Rows, r.PipelineRate,
			float64(r.PipelineCPU.Microseconds())/float64(r.Rows), rss, r.RawRate, r.PipelineRate/r.RawRate, engine, ratio, table, tableRatio)
	}
	for _, r := range res {
		if r.EngineNote != "" {
			fmt.Fprintf(w, "%s: engine bulk path not measured: %s\n", r.Backend, r.EngineNote)
		}
		if r.StoreTableNote != "" {
			fmt.Fprintf(w, "%s: engine bulk path into the store's table not measured: %s\n", r.Backend, r.StoreTableNote)
		}
	}
	// Floors, per backend: pipeline ÷ engine on every size; the largest
	// size's rate ÷ the smallest's; RSS of the largest ÷ the smallest's.
	seen := map[string]bool{}
	for _, r := range res {
		if seen[r.Backend] {
			continue
		}
		seen[r.Backend] = true
		var small, large *BenchResult
		worst, worstTable := -1.0, -1.0
		for i := range res {
			x := &res[i]
			if x.Backend != r.Backend {
				continue
			}
			if small == nil || x.Rows < small.Rows {
				small = x
			}
			if large == nil || x.Rows > large.Rows {
				large = x
			}
			if x.EngineRate > 0 && (worst < 0 || x.PipelineRate/x.EngineRate < worst) {
				worst = x.PipelineRate / x.EngineRate
			}
			if x.StoreTableRate > 0 && (worstTable < 0 || x.PipelineRate/x.StoreTableRate < worstTable) {
				worstTable = x.PipelineRate / x.StoreTableRate
			}
		}
		if worst >= 0 {
			fmt.Fprintf(w, "%s: pipeline/engine %.2f (lowest of the sizes; floor %.2f, moonshot 0.50): %s\n", r.Backend, worst, benchEngineFloor, metOrMissed(worst >= benchEngineFloor))
		}
		if worstTable >= 0 {
			// Not a floor: the floor above is judged against the file's
			// table, as the issue measured it. This says how much of the
			// gap is the store's layout and how much the pipeline.
			fmt.Fprintf(w, "%s: pipeline/engine into the store's records table %.2f (lowest of the sizes; for reading beside the floor)\n", r.Backend, worstTable)
		}
		if small != large {
			lin := large.PipelineRate / small.PipelineRate
			fmt.Fprintf(w, "%s: rows/s at %d ÷ rows/s at %d: %.2f (floor %.2f): %s\n", r.Backend, large.Rows, small.Rows, lin, benchLinearFloor, metOrMissed(lin >= benchLinearFloor))
			if small.PeakRSS > 0 && large.PeakRSS > 0 {
				fmt.Fprintf(w, "%s: peak RSS at %d ÷ at %d rows: %.2f\n", r.Backend, large.Rows, small.Rows, float64(large.PeakRSS)/float64(small.PeakRSS))
			}
		}
	}
}

func metOrMissed(ok bool) string {
	if ok {
		return "met"
	}
	return "MISSED"
}

// tempSchema creates a schema for one benchmark run and returns a DSN
// whose search_path is that schema, and a function that drops it.
func tempSchema(ctx context.Context, dsn string) (string, func(), error) {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return "", nil, fmt.Errorf("cannot reach PostgreSQL for the benchmark: %v", err)
	}
	defer conn.Close(ctx)
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "xy_bench_" + hex.EncodeToString(b[:])
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		return "", nil, err
	}
	drop := func() {
		c, err := pgx.Connect(context.Background(), dsn)
		if err != nil {
			return
		}
		defer c.Close(context.Background())
		_, _ = c.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
	}
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err == nil {
			q := u.Query()
			q.Set("search_path", schema)
			u.RawQuery = q.Encode()
			return u.String(), drop, nil
		}
	}
	return strings.TrimSpace(dsn) + " search_path=" + schema, drop, nil
}

// env returns the environment variable name, or def when it is unset.
func env(name, def string) string {
	if v, ok := os.LookupEnv(name); ok {
		return v
	}
	return def
}
