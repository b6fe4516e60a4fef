package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"

	"github.com/xinyong/xinyong/internal/app"
	"github.com/xinyong/xinyong/internal/config"
)

func runMigrate(args []string, stdout, stderr io.Writer) int {
	var cfg config.Config
	fs := newFlagSet("migrate", "migrate [flags]", stdout)
	cfg.Register(fs)
	if code, done := parse(fs, args, stderr); done {
		return code
	}
	if err := cfg.Validate(); err != nil {
		return fail(stderr, "migrate", err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	// Opening a store applies any pending migration.
	st, err := app.OpenStore(ctx, &cfg)
	if err != nil {
		return fail(stderr, "migrate", err)
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		return fail(stderr, "migrate", err)
	}
	fmt.Fprintf(stdout, "%s database %s is up to date\n", st.Backend(), cfg.Redacted())
	return 0
}
