package cli

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/chinatime"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/gen"
	"github.com/xinyong/xinyong/internal/ingest"
	"github.com/xinyong/xinyong/internal/pii"
	"github.com/xinyong/xinyong/internal/records"
	"github.com/xinyong/xinyong/internal/store/postgres"
	"github.com/xinyong/xinyong/internal/store/sqlite"
)

// runBenchIngest implements `xinyong bench ingest --rows N --db ...`.
func runBenchIngest(args []string, stdout, stderr io.Writer) int {
	var db, dir string
	var rows, chunk int
	fs := newFlagSet("bench", "bench ingest --rows N [--db PATH-OR-DSN]", stdout)
	fs.StringVar(&db, "db", "", "SQLite directory to create the two benchmark databases in (default: a temporary directory), or a PostgreSQL DSN (two temporary schemas are created and dropped)")
	fs.IntVar(&rows, "rows", 1000000, "penalty rows to generate and import")
	fs.IntVar(&chunk, "chunk", ingest.DefaultChunkSize, "rows per transaction, for both runs")
	fs.StringVar(&dir, "tmp", "", "directory for the generated file (default: the system temporary directory)")
	if code, done := parse(fs, args, stderr); done {
		return code
	}
	if fs.NArg() != 1 || fs.Arg(0) != "ingest" {
		fmt.Fprintln(stderr, "xinyong bench: use `xinyong bench ingest --rows N [--db ...]`")
		return 2
	}
	ctx := context.Background()
	res, err := BenchIngest(ctx, db, dir, rows, chunk, stderr)
	if err != nil {
		return fail(stderr, "bench", err)
	}
	fmt.Fprintf(stdout, "backend\trows\tpipeline rows/s\traw rows/s\tratio\n%s\t%d\t%.0f\t%.0f\t%.2f\n",
		res.Backend, res.Rows, res.PipelineRate, res.RawRate, res.PipelineRate/res.RawRate)
	return 0
}

// BenchResult is one ingest benchmark run.
type BenchResult struct {
	Backend      string
	Rows         int
	PipelineRate float64 // rows/s through the full pipeline (parse, validate, prepare, commit)
	RawRate      float64 // rows/s of plain writes of the same rows (SQLite INSERT, PostgreSQL COPY)
}

// BenchIngest generates rows penalty rows as CSV, imports them through the
// pipeline into one empty database and writes the same rows raw into
// another, in the same run.
func BenchIngest(ctx context.Context, db, tmp string, rows, chunk int, log io.Writer) (*BenchResult, error) {
	cat, err := catalog.Default()
	if err != nil {
		return nil, err
	}
	it, _ := cat.Item("admin_penalty")
	const seed = 7
	opts := gen.RecordOptions{Item: "admin_penalty", Seed: seed, Subjects: max(rows/5, 100), Now: time.Now().In(chinatime.Location)}
	work, err := os.MkdirTemp(tmp, "xinyong-bench-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(work)
	file := filepath.Join(work, "penalties.csv")
	f, err := os.Create(file)
	if err != nil {
		return nil, err
	}
	g, _ := gen.NewRecords(opts)
	fmt.Fprintf(log, "bench: generating %d rows into %s\n", rows, file)
	if err := gen.WriteFile(f, it, g, gen.FileOptions{Format: "csv", Style: "codes", Rows: rows}); err != nil {
		f.Close()
		return nil, err
	}
	if err := f.Close(); err != nil {
		return nil, err
	}
	open := func(name string) (credit.Store, func(), error) {
		if strings.HasPrefix(db, "postgres://") || strings.HasPrefix(db, "postgresql://") || strings.Contains(db, "host=") {
			dsn, drop, err := tempSchema(ctx, db)
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
		d := db
		if d == "" {
			d = work
		}
		p := filepath.Join(d, "bench-"+name+".db")
		for _, suf := range []string{"", "-wal", "-shm"} {
			os.Remove(p + suf)
		}
		s, err := sqlite.Open(ctx, p)
		if err != nil {
			return nil, nil, err
		}
		return s, func() {
			s.Close()
			for _, suf := range []string{"", "-wal", "-shm"} {
				os.Remove(p + suf)
			}
		}, nil
	}

	// Raw first, then the pipeline, each into its own empty database.
	raw, closeRaw, err := open("raw")
	if err != nil {
		return nil, err
	}
	g2, _ := gen.NewRecords(opts)
	fmt.Fprintf(log, "bench: raw writes into %s\n", raw.Backend())
	rawTime, err := ingest.RawWrite(ctx, raw, g2, "admin_penalty", "SAMR-350100", rows, chunk)
	closeRaw()
	if err != nil {
		return nil, fmt.Errorf("raw write: %w", err)
	}

	st, closeSt, err := open("pipeline")
	if err != nil {
		return nil, err
	}
	defer closeSt()
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	seal, _ := pii.New(key)
	svc := &records.Service{Store: st, Catalog: cat, Sealer: seal, Now: time.Now}
	im := &ingest.Importer{Store: st, Records: svc, ChunkSize: chunk}
	fmt.Fprintf(log, "bench: pipeline import into %s\n", st.Backend())
	start := time.Now()
	j, err := im.Import(ctx, ingest.Request{Dept: "SAMR-350100", Item: "admin_penalty", FileName: "penalties.csv", Actor: "bench",
		Open: func() (io.ReadCloser, error) { return os.Open(file) }})
	if err != nil {
		return nil, fmt.Errorf("pipeline: %w", err)
	}
	pipeTime := time.Since(start)
	if j.Batch.Counts.Accepted != rows {
		return nil, fmt.Errorf("pipeline accepted %d of %d rows (rejected %d): the generated file should be clean", j.Batch.Counts.Accepted, rows, j.Batch.Counts.Rejected)
	}
	return &BenchResult{Backend: st.Backend(), Rows: rows,
		PipelineRate: float64(rows) / pipeTime.Seconds(), RawRate: float64(rows) / rawTime.Seconds()}, nil
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
