package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/xinyong/xinyong/internal/app"
	"github.com/xinyong/xinyong/internal/config"
	"github.com/xinyong/xinyong/internal/search/searchbench"
)

func runBench(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "report" {
		return runBenchReport(args[1:], stdout, stderr)
	}
	if len(args) > 0 && args[0] == "ingest" {
		return runBenchIngest(args, stdout, stderr)
	}
	if len(args) == 0 || args[0] != "search" {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			fmt.Fprint(stdout, "Usage: xinyong bench search|ingest|check|city|report|exchange [flags]\n\nBenchmarks: search — name search at scale, index vs a LIKE scan; ingest — import pipeline vs raw writes; check — the hit check in process, over HTTP and as plain SQL; city — a city-sized installation imported and measured (start to ready, memory, search, pages, hit check, size on disk); report — credit reports (PDF, JSON), verification and the transparency log against the Merkle library's own operations.\n")
			return 0
		}
		fmt.Fprintln(stderr, "xinyong bench: name a benchmark: search, ingest, check, city or report (see `xinyong bench search --help`, `xinyong bench ingest --help`, `xinyong bench check --help`, `xinyong bench report --help`)")
		return 2
	}
	var (
		cfg config.Config
		o   searchbench.Options
	)
	fs := newFlagSet("bench", "bench search [--subjects N] [--db PATH|URL] [flags]", stdout)
	cfg.Register(fs)
	fs.IntVar(&o.Subjects, "subjects", 1_000_000, "organisations the store should hold; missing ones are generated and inserted (existing ones are kept)")
	var seed int64
	fs.Int64Var(&seed, "seed", 1, "generator seed: the same seed gives the same subjects and queries")
	fs.IntVar(&o.IndexQueries, "queries", 2000, "index queries per query length (1–4 characters)")
	fs.IntVar(&o.ScanQueries, "scan-queries", 30, "LIKE '%q%' scan queries per query length (the baseline, measured in the same run)")
	if code, done := parse(fs, args[1:], stderr); done {
		return code
	}
	if err := cfg.Validate(); err != nil {
		return fail(stderr, "bench", err)
	}
	if o.Subjects < 1 || o.IndexQueries < 1 || o.ScanQueries < 1 || seed < 0 {
		return fail(stderr, "bench", fmt.Errorf("--subjects, --queries and --scan-queries must be ≥ 1 and --seed ≥ 0"))
	}
	o.Seed = uint64(seed)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	st, err := app.OpenStore(ctx, &cfg)
	if err != nil {
		return fail(stderr, "bench", err)
	}
	defer st.Close()
	bs, ok := st.(searchbench.Store)
	if !ok {
		return fail(stderr, "bench", fmt.Errorf("store %s has no SQL read pool", st.Backend()))
	}
	rep, err := searchbench.Run(ctx, bs, o, stderr)
	if err != nil {
		return fail(stderr, "bench", err)
	}
	rep.Write(stdout)
	return 0
}
