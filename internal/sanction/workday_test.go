package sanction_test

import (
	"testing"
	"time"

	"github.com/xinyong/xinyong/internal/sanction"
)

// TestAddWorkdaysHolidays: the notice period counts on the holiday
// calendar: 国庆 is skipped and the 调休 Saturday counts.
func TestAddWorkdaysHolidays(t *testing.T) {
	cst := time.FixedZone("CST", 8*3600)
	got := sanction.AddWorkdays(time.Date(2026, 9, 30, 15, 0, 0, 0, cst), 7)
	if want := time.Date(2026, 10, 15, 15, 0, 0, 0, cst); !got.Equal(want) {
		t.Errorf("AddWorkdays(2026-09-30 15:00, 7) = %s, want %s", got.In(cst), want)
	}
}
