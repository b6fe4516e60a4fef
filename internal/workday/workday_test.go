package workday

import (
	"testing"
	"time"
)

func d(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02", s, Location)
	if err != nil {
		panic(err)
	}
	return t
}

func TestAdd(t *testing.T) {
	cases := []struct {
		from string
		n    int
		want string
	}{
		{"2026-11-23", 0, "2026-11-23"},  // Monday
		{"2026-11-23", 4, "2026-11-27"},  // Friday
		{"2026-11-23", 5, "2026-11-30"},  // next Monday
		{"2026-11-27", 1, "2026-11-30"},  // Friday + 1
		{"2026-11-28", 1, "2026-11-30"},  // Saturday + 1
		{"2026-11-23", 7, "2026-12-02"},  // 双公示 deadline
		{"2026-11-30", -1, "2026-11-27"}, // backwards over a weekend
	}
	for _, c := range cases {
		if got := Add(d(c.from), c.n); !got.Equal(d(c.want)) {
			t.Errorf("Add(%s, %d) = %s, want %s", c.from, c.n, got.Format("2006-01-02"), c.want)
		}
	}
}

func TestBetween(t *testing.T) {
	cases := []struct {
		a, b string
		want int
	}{
		{"2026-11-23", "2026-11-23", 0},
		{"2026-11-27", "2026-11-30", 1},
		{"2026-11-23", "2026-12-02", 7},
		{"2026-11-23", "2026-12-03", 8},
		{"2026-11-28", "2026-11-29", 0}, // Saturday to Sunday
		{"2026-12-02", "2026-11-23", -7},
		{"2026-01-01", "2026-12-31", 260},
	}
	for _, c := range cases {
		if got := Between(d(c.a), d(c.b)); got != c.want {
			t.Errorf("Between(%s, %s) = %d, want %d", c.a, c.b, got, c.want)
		}
	}
	// Between and Add agree.
	for n := -20; n <= 20; n++ {
		from := d("2026-11-25")
		if got := Between(from, Add(from, n)); got != n {
			t.Errorf("Between(from, Add(from, %d)) = %d", n, got)
		}
	}
}
