package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/xinyong/xinyong/internal/app"
	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/config"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/gcpace"
	"github.com/xinyong/xinyong/internal/gen"
	"github.com/xinyong/xinyong/internal/ingest"
	"github.com/xinyong/xinyong/internal/records"
)

// runImport implements `xinyong import --dept CODE --item ITEM FILE...`.
func runImport(args []string, stdout, stderr io.Writer) int {
	var cfg config.Config
	var dept, item, rejectsDir string
	var chunk int
	var quiet bool
	var cpuProfile string
	fs := newFlagSet("import", "import --dept CODE --item ITEM [flags] FILE...", stdout)
	cfg.Register(fs)
	cfg.RegisterIngest(fs)
	fs.StringVar(&dept, "dept", "", "reporting department code (catalogue departments.json)")
	fs.StringVar(&item, "item", "", "catalogue item the file reports (e.g. admin_penalty)")
	fs.StringVar(&rejectsDir, "rejects-dir", "", "write each file's rejected rows beside it (or into this directory) as NAME.rejects.EXT")
	fs.IntVar(&chunk, "chunk", ingest.DefaultChunkSize, "rows committed per transaction")
	fs.BoolVar(&quiet, "quiet", false, "no progress bar")
	fs.StringVar(&cpuProfile, "cpuprofile", "", "write a CPU profile of the import to this file (go tool pprof)")
	if code, done := parse(fs, args, stderr); done {
		return code
	}
	files := fs.Args()
	if dept == "" || item == "" || len(files) == 0 {
		fmt.Fprintln(stderr, "xinyong import: give --dept, --item and at least one file (see `xinyong import --help`)")
		return 2
	}
	if err := cfg.Validate(); err != nil {
		return fail(stderr, "import", err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	importGC(ctx, cfg.Logger())
	im, closeFn, err := newImporter(ctx, &cfg)
	if err != nil {
		return fail(stderr, "import", err)
	}
	defer closeFn()
	im.ChunkSize = chunk
	if cpuProfile != "" {
		pf, err := os.Create(cpuProfile)
		if err != nil {
			return fail(stderr, "import", err)
		}
		defer pf.Close()
		if err := pprof.StartCPUProfile(pf); err != nil {
			return fail(stderr, "import", err)
		}
		defer pprof.StopCPUProfile()
	}
	im.MaxRejectRows = cfg.MaxRejectRows
	if _, err := im.Records.Catalog.Department(dept); err != nil {
		return fail(stderr, "import", err)
	}
	exit := 0
	for _, path := range files {
		st, err := os.Stat(path)
		if err != nil {
			fmt.Fprintf(stderr, "xinyong import: %s: %v\n", path, app.Pathless(err))
			exit = 1
			continue
		}
		p := path
		var bar *progressBar
		if !quiet {
			bar = newProgressBar(stderr, filepath.Base(p), st.Size())
			im.Progress = bar.update
		}
		j, err := im.Import(ctx, ingest.Request{Dept: dept, Item: item, FileName: filepath.Base(p),
			Actor: "cli", Size: st.Size(), Open: func() (io.ReadCloser, error) { return os.Open(p) }})
		if bar != nil {
			bar.done()
		}
		if err != nil {
			if j != nil && j.Batch != nil {
				fmt.Fprintf(stderr, "xinyong import: %s: batch %s: %s\n", p, j.Batch.ID, flatErr(err))
			} else {
				fmt.Fprintf(stderr, "xinyong import: %s: %s\n", p, flatErr(err))
			}
			return 1
		}
		b := j.Batch
		note := ""
		switch {
		case j.Done:
			note = " (already imported: nothing done)"
		case j.Resumed:
			note = " (resumed an interrupted import)"
		}
		c := b.Counts
		fmt.Fprintf(stdout, "%s\tbatch %s\t%s %s %s\trows %d\taccepted %d (created %d, versioned %d, unchanged %d)\trejected %d%s\n",
			p, b.ID, b.Format, b.Encoding, b.HeaderStyle, c.Total, c.Accepted, c.Created, c.Versioned, c.Unchanged, c.Rejected, note)
		if len(b.Unknown) > 0 {
			fmt.Fprintf(stdout, "%s\tunknown columns, not kept: %s\n", p, strings.Join(b.Unknown, ", "))
		}
		if c.Rejected > 0 {
			exit = 1
			out, err := writeRejects(ctx, im, b, p, rejectsDir)
			if err != nil {
				return fail(stderr, "import", err)
			}
			fmt.Fprintf(stdout, "%s\trejected rows with reasons: %s\n", p, out)
			if c.RejectedNotKept > 0 {
				fmt.Fprintf(stdout, "%s\t%d rejected rows past the first %d were counted but not kept (--max-reject-rows): fix these and send the file again\n",
					p, c.RejectedNotKept, c.Rejected-c.RejectedNotKept)
			}
		}
	}
	return exit
}

// importGC paces the collector of `xinyong import` (unless GOGC is set)
// with gcpace.RunImport until ctx ends: the heap may grow by a fixed
// headroom over what is live, so an import's peak memory does not grow
// with its file (a fixed 300 % grew it by three times the sets of
// documents and subjects seen; BENCHMARKS.md, Ingest). importMemoryLimit
// (unless GOMEMLIMIT is set) makes the collector work harder rather than
// let the heap pass it.
const importMemoryLimit = 1 << 30

func importGC(ctx context.Context, logger *slog.Logger) {
	if _, ok := os.LookupEnv("GOGC"); !ok {
		go gcpace.RunImport(ctx, logger, time.Second)
	}
	if _, ok := os.LookupEnv("GOMEMLIMIT"); !ok {
		debug.SetMemoryLimit(importMemoryLimit)
	}
}

func flatErr(err error) string { return strings.ReplaceAll(err.Error(), "\n", "; ") }

func writeRejects(ctx context.Context, im *ingest.Importer, b *credit.Batch, path, dir string) (string, error) {
	rs, err := im.Store.Rejects(ctx, b.ID)
	if err != nil {
		return "", err
	}
	if err := ingest.OpenRejects(im.Records.Sealer, rs); err != nil {
		return "", err
	}
	// A file at rest beside the department's own holds no ID number in
	// clear: identity cells are masked (the row number finds the row in
	// the file sent; the API's download gives the rows whole).
	ingest.MaskIdentities(rs)
	if dir == "" {
		dir = filepath.Dir(path)
	}
	out := filepath.Join(dir, ingest.RejectsFileName(b))
	f, err := createPrivate(out)
	if err != nil {
		return "", err
	}
	it, _ := im.Records.Catalog.Item(b.Item)
	var m *ingest.Mapping
	if it != nil {
		m, _ = ingest.MapHeader(it, b.Header)
	}
	if err := ingest.WriteRejects(f, b, m, rs); err != nil {
		f.Close()
		return "", err
	}
	return out, f.Close()
}

// createPrivate creates or truncates a file readable by its owner only
// (0600): rejected rows are personal data, ID numbers included. A file
// left by an earlier run with a wider mode is tightened too.
func createPrivate(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, err
	}
	if runtime.GOOS != "windows" {
		if err := f.Chmod(0o600); err != nil {
			f.Close()
			return nil, err
		}
	}
	return f, nil
}

// newImporter opens the store and builds an importer.
func newImporter(ctx context.Context, cfg *config.Config) (*ingest.Importer, func(), error) {
	cat, err := app.LoadCatalog(cfg)
	if err != nil {
		return nil, nil, err
	}
	st, seal, err := app.OpenSealed(ctx, cfg, cat, cfg.Logger())
	if err != nil {
		return nil, nil, err
	}
	svc := &records.Service{Store: st, Catalog: cat, Sealer: seal, Now: time.Now}
	return &ingest.Importer{Store: st, Records: svc, Logger: cfg.Logger()}, func() { st.Close() }, nil
}

// progressBar draws one line on stderr: bytes done, rows, rate and ETA.
type progressBar struct {
	mu    sync.Mutex
	w     io.Writer
	name  string
	total int64
	last  time.Time
	drawn bool
}

func newProgressBar(w io.Writer, name string, total int64) *progressBar {
	return &progressBar{w: w, name: name, total: total}
}

func (b *progressBar) update(p ingest.Progress) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if time.Since(b.last) < 200*time.Millisecond {
		return
	}
	b.last = time.Now()
	rate := float64(p.Rows) / max(p.Elapsed.Seconds(), 1e-3)
	// The reader runs ahead of the commits: estimate the file's rows from
	// the bytes read so far, and show the committed share of them.
	frac := 0.0
	if b.total > 0 && p.Bytes > 0 && p.RowsRead > 0 {
		est := float64(p.RowsRead) * float64(b.total) / float64(p.Bytes)
		frac = min(float64(p.Rows)/est, 1)
	}
	eta := "?"
	if frac > 0 {
		eta = (time.Duration(float64(p.Elapsed)/frac) - p.Elapsed).Round(time.Second).String()
	}
	const width = 30
	n := int(frac * width)
	fmt.Fprintf(b.w, "\r%s [%s%s] %3.0f%% %d rows %.0f rows/s ETA %s rejected %d  ", b.name,
		strings.Repeat("=", n), strings.Repeat(" ", width-n), frac*100, p.Rows, rate, eta, p.Counts.Rejected)
	b.drawn = true
}

func (b *progressBar) done() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.drawn {
		fmt.Fprintln(b.w)
	}
}

// runGen implements `xinyong gen`.
func runGen(args []string, stdout, stderr io.Writer) int {
	var item, format, enc, style, out, errs, now string
	var rows, subjects int
	var seed uint64
	var rate float64
	fs := newFlagSet("gen", "gen --item ITEM --rows N [flags] -o FILE", stdout)
	fs.StringVar(&item, "item", "admin_penalty", "item to generate: "+strings.Join(gen.Items, ", "))
	fs.IntVar(&rows, "rows", 1000, "number of records")
	fs.Uint64Var(&seed, "seed", 1, "seed: the same seed (and --now) gives the same file")
	fs.StringVar(&format, "format", "", "csv, xlsx or jsonl (default: from the -o file name, else csv)")
	fs.StringVar(&enc, "encoding", "utf-8", "CSV encoding: utf-8 or gbk")
	fs.StringVar(&style, "headers", "codes", "header style: codes (cf_*, xk_*), labels (Chinese labels) or legacy")
	fs.StringVar(&out, "o", "-", "output file (- for stdout)")
	fs.Float64Var(&rate, "error-rate", 0, "share of rows (0..1) given one realistic error")
	fs.StringVar(&errs, "errors", "", "comma-separated error kinds to inject (default all): "+strings.Join(gen.ErrorKinds, ", "))
	fs.IntVar(&subjects, "subjects", 50000, "size of the subject population")
	fs.StringVar(&now, "now", "2026-11-02", "anchor date: decisions fall in the three years before it")
	var deptCode string
	fs.StringVar(&deptCode, "dept", "", "reporting department code (catalogue): it is the deciding authority, and what the file holds follows its kind (housing: building permits; tax: A-grade taxpayers)")
	if code, done := parse(fs, args, stderr); done {
		return code
	}
	anchor, err := catalog.ParseDate(now)
	if err != nil {
		return fail(stderr, "gen", fmt.Errorf("--now: %v", err))
	}
	if format == "" {
		format = ingest.FormatOf(out)
		if format == "" {
			format = "csv"
		}
	}
	o := gen.RecordOptions{Item: item, Seed: seed, Now: anchor, Subjects: subjects, ErrorRate: rate}
	if errs != "" {
		o.Errors = strings.Split(errs, ",")
	}
	cat, err := catalog.Default()
	if err != nil {
		return fail(stderr, "gen", err)
	}
	if deptCode != "" {
		if o.Dept, err = cat.Department(deptCode); err != nil {
			return fail(stderr, "gen", fmt.Errorf("--dept: %w", err))
		}
	}
	g, err := gen.NewRecords(o)
	if err != nil {
		return fail(stderr, "gen", err)
	}
	it, err := cat.Item(item)
	if err != nil {
		return fail(stderr, "gen", err)
	}
	var w io.Writer = stdout
	var f *os.File
	if out != "-" {
		if f, err = os.Create(out); err != nil {
			return fail(stderr, "gen", err)
		}
		w = f
	}
	start := time.Now()
	prog := func(n int) {
		if n%100000 == 0 {
			el := time.Since(start)
			fmt.Fprintf(stderr, "\rgen: %d/%d rows %.0f rows/s ETA %s   ", n, rows, float64(n)/el.Seconds(),
				(time.Duration(float64(el) / float64(n) * float64(rows-n))).Round(time.Second))
		}
	}
	err = gen.WriteFile(w, it, g, gen.FileOptions{Format: format, Encoding: enc, Style: style, Rows: rows, Progress: prog})
	if rows >= 100000 {
		fmt.Fprintln(stderr)
	}
	if f != nil {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		return fail(stderr, "gen", err)
	}
	return 0
}
