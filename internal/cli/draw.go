package cli

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/xinyong/xinyong/internal/inspection"
	"github.com/xinyong/xinyong/internal/signing"
)

// `xinyong draw verify` re-runs a published random inspection draw
// (双随机) from its task file, offline: no network, no database.

func runDraw(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stdout, drawUsage)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	if args[0] == "verify" {
		return runDrawVerify(args[1:], stdout, stderr)
	}
	fmt.Fprintf(stderr, "xinyong draw: unknown subcommand %q; run `xinyong draw --help`\n", args[0])
	return 2
}

const drawUsage = `Usage: xinyong draw verify [--keys KEYS.json] TASK.json

Re-runs a published random inspection draw (双随机、一公开) from its task
file (GET /api/v1/inspections/{id}/file, or the link on the task's portal
page), offline, and checks that it gives the same lists:

  - the pool snapshot against the hash the statement published, and the
    statement's counts per class against the pool and the ratios;
  - the statement against the hash the draw was made from;
  - the randomness: a log checkpoint's signature under the platform's
    keys (--keys, the /.well-known/xinyong-keys.json saved beforehand;
    without it, the key set inside the file, which proves less), and that
    its tree holds the log's entry of the task's publication (an
    inclusion proof, the entry opened to the task's ID): the checkpoint
    was signed after the statement was published; or a beacon value;
  - the seed derived from both, and every drawn subject, its class, rank
    and inspectors.

A file that differs anywhere fails with what differs; the exit status is 0
when the draw verifies, 1 when it does not. The format (xinyong-draw/1)
and the algorithm are in the README, section "Random inspections".
`

func runDrawVerify(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("draw verify", "draw verify [--keys KEYS.json] TASK.json", stdout)
	keys := fs.String("keys", "", "the platform's published key set (/.well-known/xinyong-keys.json), saved beforehand; default: the key set inside the task file")
	if code, done := parse(fs, args, stderr); done {
		return code
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(stderr, "xinyong draw verify: name one task file")
		return 2
	}
	var ks *signing.KeySet
	if *keys != "" {
		b, err := os.ReadFile(*keys)
		if err != nil {
			return fail(stderr, "draw verify", err)
		}
		if ks, err = signing.ParseKeySet(b); err != nil {
			return fail(stderr, "draw verify", err)
		}
	}
	fh, err := os.Open(fs.Arg(0))
	if err != nil {
		return fail(stderr, "draw verify", err)
	}
	defer fh.Close()
	f, err := inspection.ReadFile(fh)
	if err != nil {
		return fail(stderr, "draw verify", err)
	}
	start := time.Now()
	v, err := inspection.Verify(f, ks)
	if err != nil {
		fmt.Fprintf(stdout, "FAILED: task %s: %v\n", f.Statement.Task, err)
		return 1
	}
	slog.Debug("draw verified", "took", time.Since(start))
	fmt.Fprintf(stdout, "OK: task %s (%s)\n", v.Task, f.Statement.Title)
	fmt.Fprintf(stdout, "  statement  %s\n  pool       %d subjects, hash %s\n", v.StatementHash, v.PoolSize, f.Statement.PoolHash)
	switch v.Source {
	case inspection.SourceCheckpoint:
		src := "the key set in the file"
		if ks != nil {
			src = *keys
		}
		fmt.Fprintf(stdout, "  randomness log checkpoint of %d leaves holding the publication's leaf %d, signed by a key of %s\n", v.CheckpointSize, f.Draw.Randomness.LeafIndex, src)
	default:
		fmt.Fprintf(stdout, "  randomness beacon %q (%s)\n", f.Draw.Randomness.Value, f.Statement.Randomness.Beacon)
	}
	fmt.Fprintf(stdout, "  seed       %s\n  drawn      %d subjects, the same lists\n", v.Seed, v.Drawn)
	return 0
}
