package cli

import (
	"fmt"
	"io"

	"github.com/xinyong/xinyong/internal/uscc"
)

// runCode implements `xinyong code check CODE...`: one line per code with
// the code, valid/invalid/flagged and the reason; exit 1 if any is invalid.
func runCode(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("code", "code check CODE...", stdout)
	if code, done := parse(fs, args, stderr); done {
		return code
	}
	rest := fs.Args()
	if len(rest) == 0 || rest[0] != "check" {
		fmt.Fprintln(stderr, "xinyong code: use `xinyong code check CODE...`")
		return 2
	}
	codes := rest[1:]
	if len(codes) == 0 {
		fmt.Fprintln(stderr, "xinyong code check: give at least one code")
		return 2
	}
	exit := 0
	for _, c := range codes {
		r := uscc.Check(c)
		fmt.Fprintf(stdout, "%s\t%s\t%s\n", c, r.Status, r.Reason())
		if r.Status == uscc.Invalid {
			exit = 1
		}
	}
	return exit
}
