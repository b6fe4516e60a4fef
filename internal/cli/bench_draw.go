package cli

import (
	"fmt"
	"io"

	"github.com/xinyong/xinyong/internal/inspection"
)

// `xinyong bench draw`: the random inspection draw over a synthetic pool
// (1M subjects by default), against a plain sort of the same IDs in the
// same run.
func runBenchDraw(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("bench draw", "bench draw [--subjects N] [--runs N]", stdout)
	n := fs.Int("subjects", 1_000_000, "subjects in the pool (four classes at 3/5/10/20 %, 200 inspectors, two per subject, own-region avoidance)")
	runs := fs.Int("runs", 3, "runs of each; the best is reported")
	if code, done := parse(fs, args, stderr); done {
		return code
	}
	if *n < 1 || *runs < 1 {
		return fail(stderr, "bench draw", fmt.Errorf("--subjects and --runs must be ≥ 1"))
	}
	fmt.Fprintf(stderr, "drawing from a pool of %d subjects, %d runs...\n", *n, *runs)
	r, err := inspection.Bench(*n, *runs)
	if err != nil {
		return fail(stderr, "bench draw", err)
	}
	fmt.Fprintf(stdout, "pool %d subjects, drawn %d\n", r.Pool, r.Drawn)
	fmt.Fprintf(stdout, "draw (ranks, per-class selection, inspectors)  %v (CPU %v)\n", r.Draw, r.DrawCPU)
	fmt.Fprintf(stdout, "baseline: sort of the same IDs                 %v (CPU %v)\n", r.Baseline, r.BaselineCPU)
	fmt.Fprintf(stdout, "ratio draw/baseline                            %.2f", r.Ratio())
	if r.BaselineCPU > 0 {
		fmt.Fprintf(stdout, " (CPU %.2f)", float64(r.DrawCPU)/float64(r.BaselineCPU))
	}
	fmt.Fprintln(stdout)
	return 0
}
