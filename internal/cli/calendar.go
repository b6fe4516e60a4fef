package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/chinatime"
	"github.com/xinyong/xinyong/internal/config"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/records"
	"github.com/xinyong/xinyong/internal/sanction"
	"github.com/xinyong/xinyong/internal/workday"
	"github.com/xinyong/xinyong/internal/workflow"
)

// sweepEvery is how often serve escalates overdue cases.
const sweepEvery = time.Hour

// startWorkflow builds the objection and repair service over the calendar
// (embedded years plus the administrators') and the sanction service, and
// escalates overdue cases every hour until ctx ends. Several nodes may
// sweep: a case is escalated once per deadline whoever sweeps.
func startWorkflow(ctx context.Context, cal *workday.Calendar, st credit.Store, svc *records.Service, cat *catalog.Catalog, sanc *sanction.Service, logger *slog.Logger) (*workflow.Service, error) {
	gate := workflow.SanctionGate{S: sanc}
	wf, err := workflow.New(workflow.Config{Store: st, Records: svc, Catalog: cat, Calendar: cal, Suspender: gate, Lists: gate, Logger: logger, Now: time.Now})
	if err != nil {
		return nil, err
	}
	// Red-list bars weigh records with the workflows' marks (a repaired
	// record no longer bars).
	if err := sanc.SetMarks(ctx, workflow.PublishMarks{S: wf}); err != nil {
		return nil, err
	}
	go func() {
		t := time.NewTicker(sweepEvery)
		defer t.Stop()
		for {
			if n, err := wf.Sweep(ctx); err != nil && ctx.Err() == nil {
				logger.Warn("escalating overdue cases failed", "err", err)
			} else if n > 0 {
				logger.Info("escalated overdue cases", "cases", n)
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return wf, nil
}

func init() {
	// bench check (sanction) dispatches the other bench subcommands here.
	if benchOther == nil {
		benchOther = func(args []string, stdout, stderr io.Writer) int {
			for _, a := range args {
				if a == "ingest" {
					return runBenchIngest(args, stdout, stderr)
				}
			}
			return runBench(args, stdout, stderr)
		}
	}
}

// calendarDir is where administrators' calendar years live: beside the
// SQLite database, or XINYONG_CALENDAR_DIR.
func calendarDir(cfg *config.Config) string {
	if d := os.Getenv("XINYONG_CALENDAR_DIR"); d != "" {
		return d
	}
	if cfg.Postgres() {
		return "calendar"
	}
	return filepath.Join(filepath.Dir(cfg.DB), "calendar")
}

// loadCalendar is the embedded calendar plus the administrators' years.
func loadCalendar(cfg *config.Config) (*workday.Calendar, error) {
	cal := workday.Default()
	if err := cal.LoadDir(calendarDir(cfg)); err != nil {
		return nil, fmt.Errorf("calendar %s: %w", calendarDir(cfg), err)
	}
	return cal, nil
}

func runCalendar(args []string, stdout, stderr io.Writer) int {
	var cfg config.Config
	fs := newFlagSet("calendar", "calendar list | add FILE | deadline YYYY-MM-DD N  (years are kept in XINYONG_CALENDAR_DIR, default beside the database)", stdout)
	cfg.Register(fs)
	if code, done := parse(fs, args, stderr); done {
		return code
	}
	rest := fs.Args()
	if len(rest) == 0 {
		fs.Usage()
		return 2
	}
	cal, err := loadCalendar(&cfg)
	if err != nil {
		return fail(stderr, "calendar", err)
	}
	switch rest[0] {
	case "list":
		for _, y := range cal.Years() {
			note := ""
			if y.Uncertain {
				note = " (provisional)"
			}
			fmt.Fprintf(stdout, "%d%s\t%d holiday ranges, %d adjusted working days\t%s\n", y.Year, note, len(y.Holidays), len(y.Workdays), y.Source)
		}
		return 0
	case "add":
		if len(rest) != 2 {
			fmt.Fprintln(stderr, "xinyong calendar: usage: calendar add FILE")
			return 2
		}
		b, err := os.ReadFile(rest[1])
		if err != nil {
			return fail(stderr, "calendar", err)
		}
		y, err := cal.SaveYear(calendarDir(&cfg), b)
		if err != nil {
			return fail(stderr, "calendar", fmt.Errorf("%s: %w", rest[1], err))
		}
		fmt.Fprintf(stdout, "added %d to %s\n", y.Year, calendarDir(&cfg))
		return 0
	case "deadline":
		if len(rest) != 3 {
			fmt.Fprintln(stderr, "xinyong calendar: usage: calendar deadline YYYY-MM-DD N")
			return 2
		}
		from, err := time.ParseInLocation(time.DateOnly, rest[1], chinatime.Location)
		if err != nil {
			return fail(stderr, "calendar", fmt.Errorf("date %q: write YYYY-MM-DD", rest[1]))
		}
		n, err := strconv.Atoi(rest[2])
		if err != nil {
			return fail(stderr, "calendar", fmt.Errorf("working days %q: give a number", rest[2]))
		}
		due, err := cal.Deadline(from, n)
		if err != nil {
			return fail(stderr, "calendar", err)
		}
		fmt.Fprintln(stdout, due.Format(time.DateOnly))
		return 0
	}
	fmt.Fprintf(stderr, "xinyong calendar: unknown action %q: list, add or deadline\n", rest[0])
	return 2
}
