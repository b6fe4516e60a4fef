package cli

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"github.com/xinyong/xinyong/internal/app"
	"github.com/xinyong/xinyong/internal/chinatime"
	"github.com/xinyong/xinyong/internal/config"
)

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

func runCalendar(args []string, stdout, stderr io.Writer) int {
	var cfg config.Config
	fs := newFlagSet("calendar", "calendar list | add FILE | deadline YYYY-MM-DD N  (years are kept in --calendar-dir, default calendar/ beside the database)", stdout)
	cfg.Register(fs)
	if code, done := parse(fs, args, stderr); done {
		return code
	}
	rest := fs.Args()
	if len(rest) == 0 {
		fs.Usage()
		return 2
	}
	cal, err := app.LoadCalendar(&cfg)
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
		y, err := cal.SaveYear(cfg.CalendarPath(), b)
		if err != nil {
			return fail(stderr, "calendar", fmt.Errorf("%s: %w", rest[1], err))
		}
		fmt.Fprintf(stdout, "added %d to %s\n", y.Year, cfg.CalendarPath())
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
