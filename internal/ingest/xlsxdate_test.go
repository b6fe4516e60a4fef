package ingest

import "testing"

func TestSpreadsheetDate(t *testing.T) {
	tests := []struct {
		in       string
		date1904 bool
		want     string
	}{
		{"03-02-26", false, "2026-03-02"},     // built-in format 14 as excelize renders it
		{"3/2/26 00:00", false, "2026-03-02"}, // built-in format 22
		{"12-31-99", false, "1999-12-31"},     // Excel: 30–99 are 19xx
		{"01-01-29", false, "2029-01-01"},
		{"46083", false, "2026-03-02"}, // a serial: a 年月日 format the reader leaves raw
		{"46083.75", false, "2026-03-02"},
		{"44621", true, "2026-03-02"}, // the 1904 date system
		{"2026-03-02", false, "2026-03-02"},
		{"2026年3月2日", false, "2026年3月2日"},
		{"02-30-26", false, "02-30-26"}, // not a day: left for the date check to refuse
		{"0", false, "0"},
		{"99999999", false, "99999999"},
		{"", false, ""},
		{"明天", false, "明天"},
	}
	for _, tc := range tests {
		if got := spreadsheetDate(tc.in, tc.date1904); got != tc.want {
			t.Errorf("spreadsheetDate(%q, 1904=%v) = %q, want %q", tc.in, tc.date1904, got, tc.want)
		}
	}
}
