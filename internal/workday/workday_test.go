package workday

import (
	"errors"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xinyong/xinyong/internal/chinatime"
)

func day(s string) time.Time {
	t, err := time.ParseInLocation(time.DateOnly, s, chinatime.Location)
	if err != nil {
		panic(err)
	}
	return t
}

func TestIsWorkday(t *testing.T) {
	c, err := Embedded()
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		date string
		want bool
	}{
		{"2026-01-01", false}, // 元旦
		{"2026-01-02", false}, // 元旦 (Friday)
		{"2026-01-04", true},  // Sunday, 调休上班
		{"2026-01-05", true},
		{"2026-02-14", true},  // Saturday, 调休上班
		{"2026-02-16", false}, // 春节 (Monday)
		{"2026-02-23", false}, // 春节 last day (Monday)
		{"2026-02-24", true},
		{"2026-02-28", true},  // Saturday, 调休上班
		{"2026-03-01", false}, // ordinary Sunday
		{"2026-05-05", false}, // 劳动节 (Tuesday)
		{"2026-05-09", true},  // Saturday, 调休上班
		{"2026-09-20", true},  // Sunday, 调休上班
		{"2026-10-07", false}, // 国庆
		{"2026-10-10", true},  // Saturday, 调休上班
		{"2025-01-26", true},  // Sunday, 调休上班
		{"2025-10-08", false},
		{"2027-02-08", false}, // provisional 春节
	}
	for _, tc := range cases {
		got, err := c.IsWorkday(day(tc.date))
		if err != nil || got != tc.want {
			t.Errorf("%s: IsWorkday = %v, %v; want %v", tc.date, got, err, tc.want)
		}
	}
	// China time, not UTC: 2026-01-04 17:00 UTC is 01:00 on Monday 5th in China.
	if ok, _ := c.IsWorkday(time.Date(2026, 1, 3, 17, 0, 0, 0, time.UTC)); !ok {
		t.Error("2026-01-03T17:00Z is Sunday 2026-01-04 01:00 China time, a 调休 working day")
	}
}

func TestDeadline(t *testing.T) {
	c, _ := Embedded()
	cases := []struct {
		from string
		n    int
		want string
	}{
		{"2026-09-30", 1, "2026-10-08"},  // Wed before 国庆 → first day after it
		{"2026-09-30", 3, "2026-10-10"},  // Saturday 调休 counts
		{"2026-02-13", 1, "2026-02-14"},  // Friday → Saturday 调休
		{"2026-02-13", 2, "2026-02-24"},  // skips 春节
		{"2026-11-23", 7, "2026-12-02"},  // ordinary weeks
		{"2026-12-30", 3, "2027-01-05"},  // crosses into 2027 (元旦 1.1)
		{"2026-04-03", 1, "2026-04-07"},  // 清明
		{"2026-06-18", 10, "2026-07-03"}, // 端午
	}
	for _, tc := range cases {
		got, err := c.Deadline(day(tc.from), tc.n)
		if err != nil || got.Format(time.DateOnly) != tc.want {
			t.Errorf("Deadline(%s, %d) = %s, %v; want %s", tc.from, tc.n, got.Format(time.DateOnly), err, tc.want)
		}
		if n, _ := c.Between(day(tc.from), got); n != tc.n {
			t.Errorf("Between(%s, %s) = %d, want %d", tc.from, tc.want, n, tc.n)
		}
	}
	if _, err := c.Deadline(day("2026-01-01"), 0); err == nil {
		t.Error("a 0-day deadline was accepted")
	}
}

func TestMissingYear(t *testing.T) {
	c, _ := Embedded()
	_, err := c.Deadline(day("2027-12-28"), 5)
	if !errors.Is(err, ErrNoData) || !strings.Contains(err.Error(), "2028") {
		t.Fatalf("deadline into 2028: %v; want ErrNoData naming 2028", err)
	}
	// The package-level API falls back to weekends only.
	if got := Add(day("2031-01-02"), 1); got.Format(time.DateOnly) != "2031-01-03" {
		t.Errorf("fallback Add = %s", got.Format(time.DateOnly))
	}
	if got := Between(day("2031-01-03"), day("2031-01-06")); got != 1 {
		t.Errorf("fallback Between = %d", got)
	}
}

func TestParseErrors(t *testing.T) {
	cases := []struct{ name, body, want string }{
		{"bad json", `{`, "not valid"},
		{"unknown field", `{"year":2028,"source":"x","holiday":[]}`, "unknown field"},
		{"no source", `{"year":2028,"holidays":[],"workdays":[]}`, "source"},
		{"other year", `{"year":2028,"source":"x","holidays":[{"from":"2029-01-01","to":"2029-01-01","name":"元旦"}]}`, "not in 2028"},
		{"bad date", `{"year":2028,"source":"x","holidays":[{"from":"2028/1/1","to":"2028-01-01","name":"元旦"}]}`, "YYYY-MM-DD"},
		{"reversed", `{"year":2028,"source":"x","holidays":[{"from":"2028-01-03","to":"2028-01-01","name":"元旦"}]}`, "before it starts"},
		{"weekday workday", `{"year":2028,"source":"x","workdays":[{"date":"2028-01-04","name":"x"}]}`, "only a weekend day"},
		{"clash", `{"year":2028,"source":"x","holidays":[{"from":"2028-01-01","to":"2028-01-02","name":"元旦"}],"workdays":[{"date":"2028-01-02","name":"x"}]}`, "both a holiday"},
		{"range", `{"year":1990,"source":"x"}`, "out of range"},
	}
	for _, tc := range cases {
		_, err := Parse([]byte(tc.body))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v; want error containing %q", tc.name, err, tc.want)
		}
	}
}

func TestSaveAndLoadDir(t *testing.T) {
	dir := t.TempDir()
	c, _ := Embedded()
	y := `{"year":2028,"source":"test notice","holidays":[{"from":"2028-01-03","to":"2028-01-03","name":"元旦"}],"workdays":[{"date":"2028-01-08","name":"调休"}]}`
	if _, err := c.SaveYear(dir, []byte(y)); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "2028.json")); err != nil {
		t.Fatal(err)
	}
	c2, _ := Embedded()
	if err := c2.LoadDir(dir); err != nil {
		t.Fatal(err)
	}
	for _, cal := range []*Calendar{c, c2} {
		if ok, err := cal.IsWorkday(day("2028-01-03")); ok || err != nil {
			t.Errorf("2028-01-03: %v %v", ok, err)
		}
		if ok, err := cal.IsWorkday(day("2028-01-08")); !ok || err != nil {
			t.Errorf("2028-01-08: %v %v", ok, err)
		}
	}
	// A misnamed file is refused.
	os.WriteFile(filepath.Join(dir, "2029.json"), []byte(y), 0o644)
	if err := New().LoadDir(dir); err == nil || !strings.Contains(err.Error(), "name it 2028.json") {
		t.Errorf("misnamed file: %v", err)
	}
	if err := New().LoadDir(filepath.Join(dir, "absent")); err != nil {
		t.Errorf("absent dir: %v", err)
	}
}

// TestProperties checks, on random dates and counts, that a deadline is a
// working day, that Add and Between are inverse, and that every day
// strictly between from and the deadline that is a working day was counted.
func TestProperties(t *testing.T) {
	c, _ := Embedded()
	rng := rand.New(rand.NewSource(20260401))
	start := day("2025-01-01")
	for i := 0; i < 2000; i++ {
		from := start.Add(time.Duration(rng.Int63n(int64(600 * 24 * time.Hour))))
		n := 1 + rng.Intn(15)
		d, err := c.Deadline(from, n)
		if err != nil {
			t.Fatalf("Deadline(%s, %d): %v", from, n, err)
		}
		if ok, _ := c.IsWorkday(d); !ok {
			t.Fatalf("Deadline(%s, %d) = %s is not a working day (%s)", from, n, d.Format(time.DateOnly), c.DayName(d))
		}
		if got, _ := c.Between(from, d); got != n {
			t.Fatalf("Between(from, Deadline(from, %d)) = %d", n, got)
		}
		if back, _ := c.Add(d, -n); !back.After(chinatime.Date(from).AddDate(0, 0, -1)) || back.After(chinatime.Date(from)) {
			// going back n working days lands on from's date or, if from
			// was a day off, on the last working day before it.
			ok, _ := c.IsWorkday(from)
			if ok {
				t.Fatalf("Add(Deadline(%s,%d), -%d) = %s", from.Format(time.DateOnly), n, n, back.Format(time.DateOnly))
			}
		}
	}
}

func TestEmbeddedYears(t *testing.T) {
	ys := Default().Years()
	if len(ys) < 5 || ys[0].Year != 2023 {
		t.Fatalf("years: %+v", ys)
	}
	for _, y := range ys {
		if y.Year == 2027 && !y.Uncertain {
			t.Error("2027 is provisional and must be marked uncertain")
		}
	}
	if Overdue(day("2026-10-08"), day("2026-10-08").Add(23*time.Hour)) {
		t.Error("overdue on the due day itself")
	}
	if !Overdue(day("2026-10-08"), day("2026-10-09")) {
		t.Error("not overdue the day after")
	}
}

func TestSaveYearKeepsThePrevious(t *testing.T) {
	dir := t.TempDir()
	c, _ := Embedded()
	v1 := `{"year":2029,"source":"first notice","holidays":[{"from":"2029-01-01","to":"2029-01-01","name":"元旦"}],"workdays":[]}`
	v2 := `{"year":2029,"source":"corrected notice","holidays":[{"from":"2029-01-01","to":"2029-01-02","name":"元旦"}],"workdays":[]}`
	v3 := `{"year":2029,"source":"third notice","holidays":[{"from":"2029-01-01","to":"2029-01-03","name":"元旦"}],"workdays":[]}`
	for _, v := range []string{v1, v2, v3} {
		if _, err := c.SaveYear(dir, []byte(v)); err != nil {
			t.Fatal(err)
		}
	}
	for n, want := range map[int]string{1: "first notice", 2: "corrected notice"} {
		b, err := os.ReadFile(filepath.Join(dir, "history", fmt.Sprintf("2029.%d.json", n)))
		if err != nil || !strings.Contains(string(b), want) {
			t.Errorf("history version %d: %q, %v; want %q", n, b, err, want)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "2029.json")); !strings.Contains(string(b), "third notice") {
		t.Errorf("the year in force is %s", b)
	}
	// The history folder does not disturb loading.
	c2, _ := Embedded()
	if err := c2.LoadDir(dir); err != nil {
		t.Fatal(err)
	}
	if ok, err := c2.IsWorkday(day("2029-01-03")); ok || err != nil {
		t.Errorf("2029-01-03 after reload: %v %v", ok, err)
	}
}
