// Package cli implements the xinyong subcommands. Each command parses its
// own flags, prints one-line errors (never a stack trace) and returns an exit
// code: 0 success, 1 failure or a negative finding (e.g. an invalid code),
// 2 misuse.
package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"runtime/debug"
	"sort"
	"strings"
)

// Version is set at build time with -ldflags "-X .../internal/cli.Version=...".
var Version = "dev"

type command struct {
	name    string
	summary string
	run     func(args []string, stdout, stderr io.Writer) int
}

func commands() []command {
	return []command{
		{"serve", "run the portal and the API", runServe},
		{"migrate", "apply database migrations and show their status", runMigrate},
		{"code", "check unified social credit codes and resident ID numbers", runCode},
		{"catalog", "validate the catalogue or show one information item", runCatalog},
		{"import", "import department files (CSV/GBK, XLSX, JSONL) into credit files", runImport},
		{"gen", "generate synthetic department records (CSV, XLSX, JSONL)", runGen},
		{"bench", "run benchmarks: bench check (hit check vs plain SQL), bench search (name search vs a LIKE scan), bench ingest (xinyong import vs raw inserts and the engine's own bulk load), bench report (reports, verification and the transparency log vs the Merkle library), bench exchange (county → city → province over JetStream vs raw JetStream), bench city (a city-sized installation: import, start to ready, memory, search, pages, hit check), bench draw (a 双随机 draw from 1M subjects vs a sort of their IDs), bench evaluation (a full recompute of every evaluation vs a plain bulk read)", runBenchDispatch},
		{"calendar", "list, add or count in the working-day calendar", runCalendar},
		{"key", "rotate the data key that seals ID numbers (key rotate); list or rotate the report signing key (key signing)", runKey},
		{"report", "verify a credit report (PDF or JSON) offline with the platform's published keys (report verify)", runReport},
		{"draw", "re-run a published random inspection draw (双随机) from its task file offline (draw verify)", runDraw},
		{"log", "verify transparency-log proofs offline: a report's or a fact's inclusion, two checkpoints' consistency (log verify)", runLog},
		{"exchange", "exchange with other platforms and departments: init, peer, status, export, import", runExchange},
		{"version", "print the version", runVersion},
	}
}

// Main runs the command line and returns the exit code.
func Main(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stdout)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(args[1:], stdout, stderr)
		}
	}
	fmt.Fprintf(stderr, "xinyong: unknown command %q; run `xinyong help` for the list\n", args[0])
	return 2
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "xinyong — public credit information sharing and service platform (公共信用信息共享服务平台)")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Usage: xinyong <command> [flags]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Commands:")
	cmds := commands()
	sort.Slice(cmds, func(i, j int) bool { return cmds[i].name < cmds[j].name })
	for _, c := range cmds {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Run `xinyong <command> --help` for a command's flags. Every flag can also be set")
	fmt.Fprintln(w, "through an XINYONG_* environment variable, named in the flag's help.")
}

// newFlagSet returns a flag set whose --help prints the command's usage to
// stdout and whose errors are one line.
func newFlagSet(name, synopsis string, stdout io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stdout)
	fs.Usage = func() {
		// fs.Output, not stdout: parse silences the flag package's own call
		// of Usage and makes the one that is shown.
		fmt.Fprintf(fs.Output(), "Usage: xinyong %s\n\n", synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// parse parses flags; it returns (exit code, done) where done means the
// caller should return the code now (help was shown or the flags were bad).
func parse(fs *flag.FlagSet, args []string, stderr io.Writer) (int, bool) {
	out := fs.Output()
	fs.SetOutput(io.Discard) // the flag package's own error text is replaced by ours
	err := fs.Parse(flagsFirst(fs, args))
	fs.SetOutput(out)
	if errors.Is(err, flag.ErrHelp) {
		fs.Usage()
		return 0, true
	}
	if err != nil {
		fmt.Fprintf(stderr, "xinyong %s: %v (see `xinyong %s --help`)\n", fs.Name(), err, fs.Name())
		return 2, true
	}
	return 0, false
}

// flagsFirst moves flags ahead of positional arguments so that
// `xinyong catalog check --catalog-dir DIR` means what it says: the flag
// package alone stops at the first positional argument and would silently
// ignore every flag after it.
func flagsFirst(fs *flag.FlagSet, args []string) []string {
	var flags, pos []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			pos = append(pos, args[i+1:]...)
			break
		}
		if len(a) < 2 || a[0] != '-' {
			pos = append(pos, a)
			continue
		}
		flags = append(flags, a)
		name := strings.TrimLeft(a, "-")
		if strings.Contains(name, "=") {
			continue
		}
		f := fs.Lookup(name)
		if f == nil {
			continue // Parse reports it
		}
		if b, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && b.IsBoolFlag() {
			continue
		}
		if i+1 < len(args) {
			i++
			flags = append(flags, args[i])
		}
	}
	return append(append(flags, "--"), pos...)
}

// fail prints err as one line and returns exit code 1.
func fail(stderr io.Writer, cmd string, err error) int {
	msg := strings.ReplaceAll(err.Error(), "\n", "; ")
	fmt.Fprintf(stderr, "xinyong %s: %s\n", cmd, msg)
	return 1
}

func runVersion(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("version", "version", stdout)
	if code, done := parse(fs, args, stderr); done {
		return code
	}
	fmt.Fprintf(stdout, "xinyong %s\n", version())
	return 0
}

// version is what this binary says it is (the portal's footer, the
// version command): the -ldflags stamp; else the module version it was
// installed at; else the commit it was built from (go build in a
// checkout stamps it), with "+dirty" for uncommitted changes; else "dev".
func version() string {
	if Version != "dev" {
		return Version
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return Version
	}
	if bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	var rev, at string
	dirty := false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.time":
			at = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if len(rev) < 12 {
		return Version
	}
	v := rev[:12]
	if len(at) >= 10 {
		v = at[:10] + "-" + v
	}
	if dirty {
		v += "+dirty"
	}
	return v
}
