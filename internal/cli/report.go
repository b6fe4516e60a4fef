package cli

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/xinyong/xinyong/internal/api"
	"github.com/xinyong/xinyong/internal/app"
	"github.com/xinyong/xinyong/internal/config"
	"github.com/xinyong/xinyong/internal/report"
	"github.com/xinyong/xinyong/internal/report/reportbench"
	"github.com/xinyong/xinyong/internal/signing"
	"github.com/xinyong/xinyong/internal/tlog"
)

// `xinyong report verify` and `xinyong log verify` check what the platform
// signed with nothing but its published keys (the file at
// /.well-known/xinyong-keys.json, saved beforehand) and, where given, a
// checkpoint the verifier trusts: no network, no database.

func runReport(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stdout, reportUsage)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	if args[0] == "verify" {
		return runReportVerify(args[1:], stdout, stderr)
	}
	fmt.Fprintf(stderr, "xinyong report: unknown subcommand %q; run `xinyong report --help`\n", args[0])
	return 2
}

const reportUsage = `Usage: xinyong report verify --keys KEYS.json [--checkpoint FILE] [--at TIME] FILE

Verifies a credit report the platform issued (the PDF, or the JSON
envelope) offline, with the platform's published keys
(/.well-known/xinyong-keys.json, saved beforehand):

  - a PDF's signature over its bytes (one byte changed fails it), and the
    signed report attached to it;
  - the signature of the report's statement (number, kind, times, digests);
  - the report's content against the statement's digests, naming the parts
    that differ;
  - the report's inclusion in the transparency log against the signed
    checkpoint it carries, and, with --checkpoint, that checkpoint against
    one you trust (a witness's, or one saved from /api/v1/log/checkpoint);
  - its validity at --at (now by default).

Whether a report was revoked is known online only: the report's
verification page (its QR code) says so.

Exit status: 0 the report is authentic and valid; 1 it does not verify,
or it has expired; 2 misuse.
`

func runReportVerify(args []string, stdout, stderr io.Writer) int {
	var keysPath, cpPath, at string
	fs := newFlagSet("report verify", "report verify --keys KEYS.json [flags] FILE", stdout)
	fs.StringVar(&keysPath, "keys", "", "the platform's published keys (/.well-known/xinyong-keys.json, saved)")
	fs.StringVar(&cpPath, "checkpoint", "", "a log checkpoint you trust (its signed note, or the JSON of /api/v1/log/checkpoint)")
	fs.StringVar(&at, "at", "", "check validity at this time (RFC 3339; default now)")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), reportUsage+"\nFlags:\n")
		fs.PrintDefaults()
	}
	if code, done := parse(fs, args, stderr); done {
		return code
	}
	if fs.NArg() != 1 || keysPath == "" {
		fmt.Fprintln(stderr, "xinyong report verify: give --keys and one report file (see `xinyong report verify --help`)")
		return 2
	}
	ks, err := readKeySet(keysPath)
	if err != nil {
		fmt.Fprintf(stderr, "xinyong report verify: %v\n", err)
		return 2
	}
	now := time.Now()
	if at != "" {
		if now, err = time.Parse(time.RFC3339, at); err != nil {
			fmt.Fprintf(stderr, "xinyong report verify: --at %q: give a time like 2026-11-20T10:00:00+08:00\n", at)
			return 2
		}
	}
	var trusted *tlog.Checkpoint
	if cpPath != "" {
		cp, err := readCheckpoint(cpPath, ks)
		if err != nil {
			fmt.Fprintf(stderr, "xinyong report verify: %v\n", err)
			return 1
		}
		trusted = &cp
	}
	b, err := os.ReadFile(fs.Arg(0))
	if err != nil {
		fmt.Fprintf(stderr, "xinyong report verify: %v\n", err)
		return 2
	}
	env := b
	if bytes.HasPrefix(b, []byte("%PDF-")) {
		if env, err = report.VerifyPDF(b, ks); err != nil {
			fmt.Fprintf(stdout, "%s: %v\n", fs.Arg(0), err)
			return 1
		}
		fmt.Fprintln(stdout, "PDF: the file's bytes are as the platform signed them")
	}
	v, err := report.Verify(env, ks, now, trusted)
	if err != nil {
		fmt.Fprintf(stdout, "%s: %v\n", fs.Arg(0), err)
		return 1
	}
	fmt.Fprintf(stdout, "report %s (%s), issued by %s at %s\n", v.No, v.Kind, v.Issuer, v.IssuedAt.Format(time.RFC3339))
	fmt.Fprintf(stdout, "signature: good (key %s)\n", v.KeyID)
	fmt.Fprintf(stdout, "content: matches %s\n", v.Digest)
	fmt.Fprintf(stdout, "log: leaf %d of %s, in the checkpoint of %d leaves (signature good)\n", v.LeafIndex, v.Checkpoint.Origin, v.Checkpoint.Size)
	if trusted != nil {
		fmt.Fprintln(stdout, "checkpoint: the same as the one given")
	}
	if v.Expired {
		fmt.Fprintf(stdout, "validity: EXPIRED on %s\n", v.ValidUntil.Format(time.RFC3339))
		return 1
	}
	fmt.Fprintf(stdout, "validity: valid until %s (revocation is shown online on the report's verification page)\n", v.ValidUntil.Format(time.RFC3339))
	return 0
}

func readKeySet(path string) (*signing.KeySet, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return signing.ParseKeySet(b)
}

// readCheckpoint reads a signed checkpoint (the note itself, or the JSON
// the API answers) and verifies it with the keys.
func readCheckpoint(path string, ks *signing.KeySet) (tlog.Checkpoint, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return tlog.Checkpoint{}, err
	}
	var j struct {
		Checkpoint string `json:"checkpoint"`
	}
	if json.Unmarshal(b, &j) == nil && j.Checkpoint != "" {
		b = []byte(j.Checkpoint)
	}
	vs, err := ks.Verifiers()
	if err != nil {
		return tlog.Checkpoint{}, err
	}
	cp, err := tlog.OpenCheckpoint(b, vs, ks.LogOrigin)
	if err != nil {
		return cp, fmt.Errorf("checkpoint %s: %w", path, err)
	}
	return cp, nil
}

func runLog(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stdout, logUsage)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	if args[0] == "verify" {
		return runLogVerify(args[1:], stdout, stderr)
	}
	fmt.Fprintf(stderr, "xinyong log: unknown subcommand %q; run `xinyong log --help`\n", args[0])
	return 2
}

const logUsage = `Usage: xinyong log verify --keys KEYS.json [--checkpoint FILE] PROOF.json

Verifies a proof from the platform's transparency log offline, with its
published keys (/.well-known/xinyong-keys.json, saved beforehand). PROOF is
what the API answers:

  /api/v1/log/proofs/inclusion?report=NO or ?index=N
      a report's or a fact's leaf is in the log at the signed checkpoint;
  /api/v1/log/facts/POS
      the same for a fact, and that the fact's content as the platform
      holds it now is the content it committed to when it was logged;
  /api/v1/log/proofs/consistency?from=OLD&to=NEW
      the log at the older signed checkpoint is a prefix of the log at the
      newer one: nothing logged was changed or removed in between.

With --checkpoint, a checkpoint you trust (kept by a witness, or saved
from /api/v1/log/checkpoint) must be the proof's checkpoint (inclusion) or
its older one (consistency): a consistency proof from your checkpoint to
the platform's newest shows the log was never rewritten.

Exit status: 0 verified; 1 it does not verify; 2 misuse.
`

func runLogVerify(args []string, stdout, stderr io.Writer) int {
	var keysPath, cpPath string
	fs := newFlagSet("log verify", "log verify --keys KEYS.json [--checkpoint FILE] PROOF.json", stdout)
	fs.StringVar(&keysPath, "keys", "", "the platform's published keys (/.well-known/xinyong-keys.json, saved)")
	fs.StringVar(&cpPath, "checkpoint", "", "a log checkpoint you trust (its signed note, or the JSON of /api/v1/log/checkpoint)")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), logUsage+"\nFlags:\n")
		fs.PrintDefaults()
	}
	if code, done := parse(fs, args, stderr); done {
		return code
	}
	if fs.NArg() != 1 || keysPath == "" {
		fmt.Fprintln(stderr, "xinyong log verify: give --keys and one proof file (see `xinyong log verify --help`)")
		return 2
	}
	ks, err := readKeySet(keysPath)
	if err != nil {
		fmt.Fprintf(stderr, "xinyong log verify: %v\n", err)
		return 2
	}
	vs, err := ks.Verifiers()
	if err != nil {
		fmt.Fprintf(stderr, "xinyong log verify: %v\n", err)
		return 2
	}
	b, err := os.ReadFile(fs.Arg(0))
	if err != nil {
		fmt.Fprintf(stderr, "xinyong log verify: %v\n", err)
		return 2
	}
	var trusted *tlog.Checkpoint
	if cpPath != "" {
		cp, err := readCheckpoint(cpPath, ks)
		if err != nil {
			fmt.Fprintf(stdout, "%v\n", err)
			return 1
		}
		trusted = &cp
	}
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(b, &probe); err != nil {
		fmt.Fprintf(stderr, "xinyong log verify: %s is not a proof (JSON): %v\n", fs.Arg(0), err)
		return 2
	}
	fail := func(err error) int {
		fmt.Fprintf(stdout, "%s: does not verify: %v\n", fs.Arg(0), err)
		return 1
	}
	sameAs := func(cp tlog.Checkpoint, what string) error {
		if trusted == nil {
			return nil
		}
		if trusted.Size != cp.Size || !bytes.Equal(trusted.Root, cp.Root) {
			if trusted.Size == cp.Size {
				return fmt.Errorf("the %s and the checkpoint given are both of %d leaves with different roots: the log was rewritten", what, cp.Size)
			}
			return fmt.Errorf("the %s is of %d leaves, the checkpoint given of %d: ask for a consistency proof from %d", what, cp.Size, trusted.Size, trusted.Size)
		}
		return nil
	}
	switch {
	case probe["old_checkpoint"] != nil:
		var p tlog.Consistency
		if err := json.Unmarshal(b, &p); err != nil {
			return fail(err)
		}
		old, new, err := tlog.VerifyConsistencyProof(&p, vs, ks.LogOrigin)
		if err != nil {
			return fail(err)
		}
		if err := sameAs(old, "proof's older checkpoint"); err != nil {
			return fail(err)
		}
		fmt.Fprintf(stdout, "consistent: the log of %d leaves is a prefix of the log of %d leaves (%s; both checkpoints signed)\n", old.Size, new.Size, old.Origin)
		return 0
	case probe["leaf_data"] != nil:
		var p api.FactProof
		if err := json.Unmarshal(b, &p); err != nil {
			return fail(err)
		}
		cp, err := tlog.VerifyInclusionProof(p.Inclusion, []byte(p.LeafData), vs, ks.LogOrigin)
		if err != nil {
			return fail(err)
		}
		if err := sameAs(cp, "proof's checkpoint"); err != nil {
			return fail(err)
		}
		fmt.Fprintf(stdout, "included: leaf %d (%s) is in %s at the checkpoint of %d leaves (signature good)\n", p.Index, p.Kind, cp.Origin, cp.Size)
		if probe["content"] == nil {
			return 0
		}
		// A fact opened: its content must be what it committed to.
		want := factDigest(p.LeafData)
		got := hex.EncodeToString(tlog.Commit(p.Salt, []byte(p.Content)))
		if want == "" || want != got {
			return fail(errors.New("the fact's content as the platform holds it now is not the content it committed to when it was logged: it was changed after it was logged"))
		}
		fmt.Fprintln(stdout, "fact: its content is the content committed to in the log")
		return 0
	}
	fmt.Fprintf(stderr, "xinyong log verify: %s is neither an inclusion, a fact nor a consistency proof\n", fs.Arg(0))
	return 2
}

// factDigest is the commitment a fact leaf's data names.
func factDigest(leaf string) string {
	for _, l := range strings.Split(leaf, "\n") {
		if d, ok := strings.CutPrefix(l, "sha256 "); ok {
			return d
		}
	}
	return ""
}

// keySigning lists the signing keys, or rotates to a new one.
func runKeySigning(args []string, stdout, stderr io.Writer) int {
	var cfg config.Config
	var rotate bool
	fs := newFlagSet("key signing", "key signing [--rotate] [flags]", stdout)
	cfg.Register(fs)
	fs.BoolVar(&rotate, "rotate", false, "make a new signing key current: with SQLite and the key file it is written there; otherwise it is printed, to be configured as --signing-key on every node. Older keys are retired (they sign nothing new) and keep verifying")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), `Usage: xinyong key signing [--rotate] [flags]

Lists the keys that sign credit reports and the transparency log's
checkpoints (their public halves, as /.well-known/xinyong-keys.json
publishes them); with --rotate, makes a new one current. Restart serve to
sign with it. Every key that ever signed stays published and verifying.

Flags:
`)
		fs.PrintDefaults()
	}
	if code, done := parse(fs, args, stderr); done {
		return code
	}
	if err := cfg.Validate(); err != nil {
		fmt.Fprintf(stderr, "xinyong key signing: %v\n", err)
		return 2
	}
	ctx := context.Background()
	cat, err := app.LoadCatalog(&cfg)
	if err != nil {
		fmt.Fprintf(stderr, "xinyong key signing: %v\n", err)
		return 1
	}
	st, _, err := app.OpenSealed(ctx, &cfg, cat, cfg.Logger())
	if err != nil {
		fmt.Fprintf(stderr, "xinyong key signing: %v\n", err)
		return 1
	}
	defer st.Close()
	if rotate {
		k, configured, err := app.RotateSigningKey(ctx, &cfg, st, time.Now())
		if err != nil {
			fmt.Fprintf(stderr, "xinyong key signing: %v\n", err)
			return 1
		}
		if configured != "" {
			fmt.Fprintf(stdout, "new signing key %s registered; configure it on every node and restart them:\n  XINYONG_SIGNING_KEY=%s\n", k.ID, configured)
		} else {
			fmt.Fprintf(stdout, "new signing key %s written to %s; restart serve to sign with it\n", k.ID, app.SigningKeyFile(&cfg))
		}
	}
	keys, err := st.SigningKeys(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "xinyong key signing: %v\n", err)
		return 1
	}
	for _, k := range keys {
		state := "current"
		if !k.Retired.IsZero() {
			state = "retired " + k.Retired.Format(time.RFC3339) + " (verifies)"
		}
		fmt.Fprintf(stdout, "%s  created %s  %s\n", k.ID, k.Created.Format(time.RFC3339), state)
	}
	return 0
}

func runBenchReport(args []string, stdout, stderr io.Writer) int {
	var (
		cfg config.Config
		o   reportbench.Options
	)
	fs := newFlagSet("bench report", "bench report [--db PATH|URL] [flags]", stdout)
	cfg.Register(fs)
	fs.IntVar(&o.Records, "records", 50, "penalties in the subject's file")
	fs.IntVar(&o.Runs, "runs", 200, "reports drawn (and proofs made) per measurement")
	fs.IntVar(&o.Procs, "procs", 1, "GOMAXPROCS while reports are measured")
	fs.IntVar(&o.Leaves, "leaves", 10_000_000, "log size the inclusion proof is measured at (the log is filled up to it; 0 skips)")
	fs.IntVar(&o.AppendLeaves, "append-leaves", 200_000, "leaves the append rate is measured over")
	fs.IntVar(&o.Batch, "batch", 1000, "leaves per append")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), `Usage: xinyong bench report [--db PATH|URL] [flags]

Measures, on the store --db names (a temporary SQLite file by default):
issuing a credit report for a subject with --records penalties as PDF and
as JSON (p50/p99 on --procs cores), drawing the PDF alone, verifying a
report; the transparency log's append rate against the Merkle library's own
compact-range appends in memory, and an inclusion proof at --leaves leaves
(cold and warm) against the library's in-memory reference tree, in the
same run. The log keeps what is appended: use a database of its own.

Flags:
`)
		fs.PrintDefaults()
	}
	if code, done := parse(fs, args, stderr); done {
		return code
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if !isFlagSet(fs, "db") && os.Getenv("XINYONG_DB") == "" {
		dir, err := os.MkdirTemp("", "xinyong-bench-report-")
		if err != nil {
			fmt.Fprintf(stderr, "xinyong bench report: %v\n", err)
			return 1
		}
		defer os.RemoveAll(dir)
		cfg.DB = filepath.Join(dir, "bench.db")
	}
	if err := cfg.Validate(); err != nil {
		fmt.Fprintf(stderr, "xinyong bench report: %v\n", err)
		return 2
	}
	node, err := app.Open(ctx, &cfg, app.Parts{Logger: slog.New(slog.DiscardHandler), NoSearchIndex: true})
	if err != nil {
		fmt.Fprintf(stderr, "xinyong bench report: %v\n", err)
		return 1
	}
	defer node.Close(context.Background())
	o.Progress = stderr
	res, err := reportbench.Run(ctx, node, o)
	if err != nil {
		fmt.Fprintf(stderr, "xinyong bench report: %v\n", err)
		return 1
	}
	res.Print(stdout)
	return 0
}

func isFlagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}
