// Package workday is the platform's one working-day calculator. Every
// deadline (objection routing and verification, repair acceptance and
// decision, publication within N working days, timeliness figures) is
// counted here.
//
// A working day is a Monday to Friday that is not a public holiday, or a
// weekend day that the State Council has made a working day (调休). The
// schedule is data: one JSON file per year (data/2026.json), shipped with the
// binary and extendable by an administrator (LoadDir, AddYear, the admin API).
//
// Dates are China time (UTC+8, internal/chinatime). A deadline is a date:
// the work is due by the end of that day, China time (Due.End).
//
// Missing years: the Calendar methods refuse to count into a year that has
// no data, with an error that names the year and says how to add it (a
// deadline silently computed on weekends only could fall on a holiday). The
// package-level Add and Between, used for statistics that cannot fail,
// fall back to weekends only for such a year and log a warning once per year.
package workday

import (
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/xinyong/xinyong/internal/chinatime"
	"github.com/xinyong/xinyong/internal/credit"
)

//go:embed data/*.json
var dataFS embed.FS

// Range is a run of consecutive days off.
type Range struct {
	From      string `json:"from"` // YYYY-MM-DD
	To        string `json:"to"`   // inclusive
	Name      string `json:"name"`
	Uncertain bool   `json:"uncertain,omitempty"`
}

// Day is one adjusted working day (调休上班).
type Day struct {
	Date      string `json:"date"`
	Name      string `json:"name"`
	Uncertain bool   `json:"uncertain,omitempty"`
}

// Year is the schedule of one year, as held in its data file.
type Year struct {
	Year      int     `json:"year"`
	Source    string  `json:"source"`
	Uncertain bool    `json:"uncertain,omitempty"` // the whole file is provisional
	Note      string  `json:"note,omitempty"`
	Holidays  []Range `json:"holidays"`
	Workdays  []Day   `json:"workdays"`
}

// ErrNoData is wrapped by errors for dates in a year the calendar has no
// schedule for.
var ErrNoData = errors.New("no working-day calendar")

// noDataError is a date in a year the calendar holds no data for, said in
// English and Chinese; it wraps ErrNoData.
type noDataError struct{ date time.Time }

func (e *noDataError) Error() string {
	y := e.date.Year()
	return fmt.Sprintf("%v for %d (date %s): an administrator must add the State Council schedule as %d.json (xinyong calendar add, or PUT /api/v1/calendar/years/%d)",
		ErrNoData, y, e.date.Format(time.DateOnly), y, y)
}

// Chinese is the message in Chinese (credit.Chinese reads it).
func (e *noDataError) Chinese() string {
	y := e.date.Year()
	return fmt.Sprintf("尚无%d年的工作日历（日期%s）：请管理员按国务院办公厅当年的放假安排添加%d.json（xinyong calendar add，或 PUT /api/v1/calendar/years/%d）",
		y, e.date.Format(time.DateOnly), y, y)
}

func (e *noDataError) Unwrap() error { return ErrNoData }

type yearDays struct {
	meta     Year
	off      map[int]string // day of year -> holiday name
	work     map[int]string // day of year -> 调休 name
	holidays int
}

// Calendar answers working-day questions for the years it holds. It is safe
// for concurrent use; AddYear may be called while others read.
type Calendar struct {
	mu    sync.RWMutex
	years map[int]*yearDays
}

// New returns an empty calendar.
func New() *Calendar { return &Calendar{years: map[int]*yearDays{}} }

// Embedded returns a calendar holding the years shipped with the binary.
func Embedded() (*Calendar, error) {
	c := New()
	if err := c.loadFS(dataFS, "data"); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *Calendar) loadFS(fsys fs.FS, dir string) error {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".json") {
			continue
		}
		name := e.Name()
		if dir != "." {
			name = dir + "/" + name
		}
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return err
		}
		y, err := Parse(b)
		if err != nil {
			return fmt.Errorf("%s: %w", e.Name(), err)
		}
		if want := strings.TrimSuffix(e.Name(), ".json"); want != strconv.Itoa(y.Year) {
			return fmt.Errorf("%s: file holds year %d; name it %d.json", e.Name(), y.Year, y.Year)
		}
		if err := c.Put(y); err != nil {
			return fmt.Errorf("%s: %w", e.Name(), err)
		}
	}
	return nil
}

// LoadDir adds (or replaces) the years in dir's YYYY.json files. A missing
// directory is not an error: there is nothing to add.
func (c *Calendar) LoadDir(dir string) error {
	if dir == "" {
		return nil
	}
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return c.loadFS(os.DirFS(dir), ".")
}

// SaveYear validates a year file, writes it to dir as YYYY.json (atomically)
// and adds it to the calendar: an administrator adding a year.
func (c *Calendar) SaveYear(dir string, b []byte) (*Year, error) {
	y, err := Parse(b)
	if err != nil {
		return nil, err
	}
	if dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, err
		}
		tmp, err := os.CreateTemp(dir, ".year-*")
		if err != nil {
			return nil, err
		}
		out, _ := json.MarshalIndent(y, "", "  ")
		if _, err := tmp.Write(append(out, '\n')); err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
			return nil, err
		}
		if err := tmp.Close(); err != nil {
			os.Remove(tmp.Name())
			return nil, err
		}
		target := filepath.Join(dir, strconv.Itoa(y.Year)+".json")
		if err := keepPrevious(dir, target, y.Year); err != nil {
			os.Remove(tmp.Name())
			return nil, err
		}
		if err := os.Rename(tmp.Name(), target); err != nil {
			os.Remove(tmp.Name())
			return nil, err
		}
	}
	if err := c.Put(y); err != nil {
		return nil, err
	}
	return y, nil
}

// keepPrevious copies the year file a save replaces to dir/history as
// YYYY.N.json, N counting the year's replaced versions from 1, so that
// every version an administrator ever saved stays.
func keepPrevious(dir, target string, year int) error {
	old, err := os.ReadFile(target)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	hist := filepath.Join(dir, "history")
	if err := os.MkdirAll(hist, 0o755); err != nil {
		return err
	}
	for n := 1; ; n++ {
		f, err := os.OpenFile(filepath.Join(hist, fmt.Sprintf("%d.%d.json", year, n)), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return err
		}
		if _, err := f.Write(old); err != nil {
			f.Close()
			return err
		}
		return f.Close()
	}
}

// Parse decodes and validates one year file. Errors say what to fix.
func Parse(b []byte) (*Year, error) {
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	var y Year
	if err := dec.Decode(&y); err != nil {
		return nil, fmt.Errorf("calendar file is not valid: %v", err)
	}
	if _, err := build(&y); err != nil {
		return nil, err
	}
	return &y, nil
}

func parseDate(s string, year int, what string) (time.Time, error) {
	t, err := time.ParseInLocation(time.DateOnly, s, chinatime.Location)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s %q: write dates as YYYY-MM-DD", what, s)
	}
	if t.Year() != year {
		return time.Time{}, fmt.Errorf("%s %s is not in %d: each file holds one year", what, s, year)
	}
	return t, nil
}

func build(y *Year) (*yearDays, error) {
	if y.Year < 2000 || y.Year > 2100 {
		return nil, fmt.Errorf("year %d is out of range 2000–2100", y.Year)
	}
	if strings.TrimSpace(y.Source) == "" {
		return nil, fmt.Errorf("year %d: name the source (the State Council notice) in \"source\"", y.Year)
	}
	yd := &yearDays{meta: *y, off: map[int]string{}, work: map[int]string{}}
	for _, h := range y.Holidays {
		from, err := parseDate(h.From, y.Year, "holiday start")
		if err != nil {
			return nil, err
		}
		to, err := parseDate(h.To, y.Year, "holiday end")
		if err != nil {
			return nil, err
		}
		if to.Before(from) {
			return nil, fmt.Errorf("holiday %s: ends (%s) before it starts (%s)", h.Name, h.To, h.From)
		}
		if strings.TrimSpace(h.Name) == "" {
			return nil, fmt.Errorf("holiday from %s has no name", h.From)
		}
		for d := from; !d.After(to); d = d.AddDate(0, 0, 1) {
			if prev, dup := yd.off[d.YearDay()]; dup {
				return nil, fmt.Errorf("%s is listed twice (%s and %s)", d.Format(time.DateOnly), prev, h.Name)
			}
			yd.off[d.YearDay()] = h.Name
			yd.holidays++
		}
	}
	for _, w := range y.Workdays {
		d, err := parseDate(w.Date, y.Year, "adjusted working day")
		if err != nil {
			return nil, err
		}
		if wd := d.Weekday(); wd != time.Saturday && wd != time.Sunday {
			return nil, fmt.Errorf("adjusted working day %s is a %s: only a weekend day can be made a working day", w.Date, wd)
		}
		if name, clash := yd.off[d.YearDay()]; clash {
			return nil, fmt.Errorf("%s is both a holiday (%s) and an adjusted working day", w.Date, name)
		}
		if _, dup := yd.work[d.YearDay()]; dup {
			return nil, fmt.Errorf("adjusted working day %s is listed twice", w.Date)
		}
		yd.work[d.YearDay()] = w.Name
	}
	return yd, nil
}

// Put adds or replaces a year.
func (c *Calendar) Put(y *Year) error {
	yd, err := build(y)
	if err != nil {
		return err
	}
	c.mu.Lock()
	c.years[y.Year] = yd
	c.mu.Unlock()
	return nil
}

// Years lists the years held, ascending, with their metadata.
func (c *Calendar) Years() []Year {
	c.mu.RLock()
	defer c.mu.RUnlock()
	out := make([]Year, 0, len(c.years))
	for _, yd := range c.years {
		out = append(out, yd.meta)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Year < out[j].Year })
	return out
}

// Has reports whether the calendar holds year.
func (c *Calendar) Has(year int) bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	_, ok := c.years[year]
	return ok
}

func (c *Calendar) isWorkday(d time.Time, fallback bool) (bool, error) {
	d = d.In(chinatime.Location)
	c.mu.RLock()
	yd, ok := c.years[d.Year()]
	c.mu.RUnlock()
	weekend := d.Weekday() == time.Saturday || d.Weekday() == time.Sunday
	if !ok {
		if !fallback {
			// Conflict: the request is sound, the platform lacks the data.
			return false, &credit.Error{Op: "workday", Kind: credit.Conflict, Err: &noDataError{date: d}}
		}
		warnOnce(d.Year())
		return !weekend, nil
	}
	if _, off := yd.off[d.YearDay()]; off {
		return false, nil
	}
	if _, work := yd.work[d.YearDay()]; work {
		return true, nil
	}
	return !weekend, nil
}

// IsWorkday reports whether t's date (China time) is a working day.
func (c *Calendar) IsWorkday(t time.Time) (bool, error) { return c.isWorkday(chinatime.Date(t), false) }

// DayName names a day off or an adjusted working day ("" for ordinary days).
func (c *Calendar) DayName(t time.Time) string {
	d := chinatime.Date(t)
	c.mu.RLock()
	defer c.mu.RUnlock()
	if yd, ok := c.years[d.Year()]; ok {
		if n, ok := yd.off[d.YearDay()]; ok {
			return n
		}
		return yd.work[d.YearDay()]
	}
	return ""
}

// maxScan bounds a walk: no deadline is more than a few years of days away.
const maxScan = 3 * 366 * 2

func (c *Calendar) add(from time.Time, n int, fallback bool) (time.Time, error) {
	d := chinatime.Date(from)
	step := 1
	if n < 0 {
		step, n = -1, -n
	}
	for i := 0; n > 0; i++ {
		if i > maxScan {
			return time.Time{}, fmt.Errorf("workday: %d working days from %s is out of range", n, from.Format(time.DateOnly))
		}
		d = d.AddDate(0, 0, step)
		ok, err := c.isWorkday(d, fallback)
		if err != nil {
			return time.Time{}, err
		}
		if ok {
			n--
		}
	}
	return d, nil
}

// Add returns the date n working days after from's date (before it when n
// is negative). Add(from, 0) is from's date, whatever day it is.
func (c *Calendar) Add(from time.Time, n int) (time.Time, error) { return c.add(from, n, false) }

// Deadline is the due date of something that must be done within n working
// days (n ≥ 1) of from: the n-th working day after from's date. It is always
// a working day. The work is due by the end of that day (Due.End).
func (c *Calendar) Deadline(from time.Time, n int) (time.Time, error) {
	d, err := c.Due(from, n)
	return d.Date, err
}

// Due is a deadline: the date by the end of which (24:00 China time)
// something must be done, and whether it was counted on provisional
// calendar data, which every answer that shows it must say.
type Due struct {
	Date        time.Time `json:"date"`
	Provisional bool      `json:"provisional,omitempty"`
}

// End is the instant the deadline passes: the end of its date, China time.
// Until then the work is in time.
func (d Due) End() time.Time { return chinatime.EndOfDay(d.Date) }

// String gives the date, marked （暂定） when it was counted on provisional
// calendar data.
func (d Due) String() string {
	s := chinatime.Format(d.Date)
	if d.Provisional {
		s += "（暂定）"
	}
	return s
}

// Due is Deadline with its end and provisional flag: the one way every
// deadline of the platform is counted.
func (c *Calendar) Due(from time.Time, n int) (Due, error) {
	if n < 1 {
		return Due{}, credit.Say("workday", credit.Invalid, "期限至少为1个工作日，不能为%d", "a deadline needs at least 1 working day, not %d", n)
	}
	d, err := c.add(from, n, false)
	if err != nil {
		return Due{}, err
	}
	return Due{Date: d, Provisional: c.Provisional(from, d)}, nil
}

// Provisional reports whether counting from a's date to b's used
// provisional data: a year whose whole file is marked uncertain, or an
// uncertain holiday or adjusted working day in between.
func (c *Calendar) Provisional(a, b time.Time) bool {
	da, db := chinatime.Date(a), chinatime.Date(b)
	if db.Before(da) {
		da, db = db, da
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	for y := da.Year(); y <= db.Year(); y++ {
		yd, ok := c.years[y]
		if !ok {
			continue
		}
		if yd.meta.Uncertain {
			return true
		}
		in := func(s string) bool {
			t, err := time.ParseInLocation(time.DateOnly, s, chinatime.Location)
			return err == nil && !t.Before(da) && !t.After(db)
		}
		for _, h := range yd.meta.Holidays {
			if h.Uncertain && (in(h.From) || in(h.To)) {
				return true
			}
		}
		for _, w := range yd.meta.Workdays {
			if w.Uncertain && in(w.Date) {
				return true
			}
		}
	}
	return false
}

func (c *Calendar) between(a, b time.Time, fallback bool) (int, error) {
	da, db := chinatime.Date(a), chinatime.Date(b)
	sign := 1
	if db.Before(da) {
		da, db, sign = db, da, -1
	}
	n := 0
	for d := da.AddDate(0, 0, 1); !d.After(db); d = d.AddDate(0, 0, 1) {
		ok, err := c.isWorkday(d, fallback)
		if err != nil {
			return 0, err
		}
		if ok {
			n++
		}
	}
	return sign * n, nil
}

// Between counts the working days after a's date up to and including b's
// date; negative when b is before a. Between(a, Add(a, n)) == n.
func (c *Calendar) Between(a, b time.Time) (int, error) { return c.between(a, b, false) }

// Overdue reports whether something due on date due is late at now: now is
// past the end of the due day, China time.
func Overdue(due, now time.Time) bool {
	return !due.IsZero() && !chinatime.Date(now).Before(chinatime.Date(due).AddDate(0, 0, 1))
}

// --- the default calendar ---

var (
	defaultOnce sync.Once
	defaultCal  *Calendar
	warned      sync.Map
)

// Default is the calendar of the embedded years (and any added through it).
// It panics if the embedded data is broken, which a test prevents.
func Default() *Calendar {
	defaultOnce.Do(func() {
		c, err := Embedded()
		if err != nil {
			panic("workday: embedded calendar: " + err.Error())
		}
		defaultCal = c
	})
	return defaultCal
}

func warnOnce(year int) {
	if _, loaded := warned.LoadOrStore(year, true); !loaded {
		slog.Warn("workday: no calendar for this year; counting weekends only", "year", year,
			"fix", fmt.Sprintf("add %d.json (xinyong calendar add)", year))
	}
}

// Add is Calendar.Add on the default calendar. For a year without data it
// counts weekends only and logs a warning once: it serves figures
// (timeliness) that must not fail. Deadlines use Calendar.Deadline.
func Add(from time.Time, n int) time.Time {
	d, err := Default().add(from, n, true)
	if err != nil {
		return chinatime.Date(from)
	}
	return d
}

// Between is Calendar.Between on the default calendar, with Add's fallback.
func Between(a, b time.Time) int {
	n, _ := Default().between(a, b, true)
	return n
}
