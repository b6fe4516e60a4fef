package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"

	"github.com/xinyong/xinyong/internal/app"
	"github.com/xinyong/xinyong/internal/config"
	"github.com/xinyong/xinyong/internal/evaluation/evalbench"
)

// runBenchEvaluation implements `xinyong bench evaluation`: a full
// recompute of every subject's evaluation (subjects and file copies read
// in ranges, evaluated in memory on every core, nothing written) against
// a plain bulk read of the same rows, in the same run. A store without
// file copies gets them first (BuildFiles), timed.
func runBenchEvaluation(args []string, stdout, stderr io.Writer) int {
	var (
		cfg  config.Config
		o    evalbench.Options
		seed int64
	)
	fs := newFlagSet("bench", "bench evaluation [--subjects N] [--records N] [--db PATH|URL] [flags]", stdout)
	cfg.Register(fs)
	fs.IntVar(&o.Subjects, "subjects", 1_000_000, "organisations the store should hold; missing ones are generated and inserted (existing ones are kept)")
	fs.IntVar(&o.Records, "records", 10_000_000, "records the store should hold, spread over the subjects (penalties, compulsion, commitments, honours, industry ratings, contracts)")
	fs.Int64Var(&seed, "seed", 1, "generator seed")
	fs.IntVar(&o.Rounds, "rounds", 3, "measured rounds; each reports the baselines (the records, and the rows the pass reads) and the recompute, the median is kept")
	var cpuprofile string
	fs.StringVar(&cpuprofile, "cpuprofile", "", "write a CPU profile of the measured rounds to this file")
	if code, done := parse(fs, args, stderr); done {
		return code
	}
	if err := cfg.Validate(); err != nil {
		return fail(stderr, "bench", err)
	}
	if o.Subjects < 1 || o.Records < 0 || seed < 0 {
		return fail(stderr, "bench", fmt.Errorf("--subjects must be ≥ 1, --records and --seed ≥ 0"))
	}
	o.Seed = uint64(seed)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	a, err := app.Open(ctx, &cfg, app.Parts{NoSearchIndex: true})
	if err != nil {
		return fail(stderr, "bench", err)
	}
	defer a.Close(context.Background())
	st, ok := a.Store.(evalbench.Store)
	if !ok {
		return fail(stderr, "bench", fmt.Errorf("store %s has no SQL read pool", a.Store.Backend()))
	}
	if cpuprofile != "" {
		f, err := os.Create(cpuprofile)
		if err != nil {
			return fail(stderr, "bench", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return fail(stderr, "bench", err)
		}
		defer pprof.StopCPUProfile()
	}
	rep, err := evalbench.Run(ctx, st, a.Evaluation, o, stderr)
	if err != nil {
		return fail(stderr, "bench", err)
	}
	rep.Write(stdout)
	return 0
}
