package cli

import (
	"fmt"
	"io"

	"github.com/xinyong/xinyong/internal/app"
	"github.com/xinyong/xinyong/internal/config"
)

// runCatalog implements `xinyong catalog check` (validate the catalogue,
// embedded or overridden by --catalog-dir) and `xinyong catalog item CODE`
// (show one information item with its legal basis and fields).
func runCatalog(args []string, stdout, stderr io.Writer) int {
	var cfg config.Config
	fs := newFlagSet("catalog", "catalog check | catalog item CODE [--catalog-dir DIR]", stdout)
	cfg.Register(fs)
	if code, done := parse(fs, args, stderr); done {
		return code
	}
	if err := cfg.Validate(); err != nil {
		return fail(stderr, "catalog", err)
	}
	rest := fs.Args()
	if len(rest) == 0 {
		fmt.Fprintln(stderr, "xinyong catalog: use `xinyong catalog check` or `xinyong catalog item CODE`")
		return 2
	}
	cat, err := app.LoadCatalog(&cfg)
	if err != nil {
		return fail(stderr, "catalog", err)
	}
	switch rest[0] {
	case "check":
		taking := 0
		for _, m := range cat.Commitments.Matters {
			if m.Allowed {
				taking++
			}
		}
		fmt.Fprintf(stdout, "catalogue %s is valid: %d items, %d list types, %d measures, %d matters (%d taking commitments, %d kept from them), %d kinds of commitment\n",
			cat.Version, len(cat.Items), len(cat.Lists), len(cat.Measures), len(cat.Matters), taking, len(cat.Commitments.Matters)-taking, len(cat.Commitments.Kinds))
		return 0
	case "item":
		if len(rest) != 2 {
			fmt.Fprintln(stderr, "xinyong catalog item: give one item code")
			return 2
		}
		it, err := cat.Item(rest[1])
		if err != nil {
			return fail(stderr, "catalog", err)
		}
		fmt.Fprintf(stdout, "%s\t%s\t%s\n", it.Code, it.Name, it.Category)
		for _, b := range it.Basis {
			fmt.Fprintf(stdout, "basis\t%s %s\n", b.Title, b.Ref)
		}
		for _, f := range it.Fields {
			req := ""
			if f.Required {
				req = "required"
			}
			fmt.Fprintf(stdout, "field\t%s\t%s\t%s\t%s\t%s\n", f.Code, f.Label, f.Type, f.Publish, req)
		}
		return 0
	}
	fmt.Fprintf(stderr, "xinyong catalog: unknown action %q; use check or item\n", rest[0])
	return 2
}
