package ingest

import (
	"encoding/xml"
	"fmt"
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/credit"
)

func TestIsDateFormat(t *testing.T) {
	dates := []string{
		"yyyy-mm-dd", "YYYY-MM-DD", "yyyy/m/d", "m/d/yy", "mm-dd-yy", "d-mmm-yy", "d-mmm", "mmm-yy",
		"dd\\.mm\\.yyyy", "yyyy-mm-dd hh:mm:ss", "yyyy-mm-dd;@", "[$-409]d-mmm-yy;@",
		`yyyy"年"m"月"d"日"`, `yyyy年m月d日`, `[DBNum1][$-804]yyyy"年"m"月"d"日"`, `[DBNum1][$-804]yyyy"年"m"月"`,
		`[$-804]aaaa`, `yyyy"年"m"月"d"日" aaaa`, `上午/下午h"时"mm"分"`,
		"[$-F800]dddd, mmmm dd, yyyy", "[$-F800]", "[$-x-sysdate]dddd, mmmm dd, yyyy",
		"[$-F400]h:mm:ss AM/PM", "[$-x-systime]h:mm:ss AM/PM",
		"h:mm AM/PM", "h:mm A/P", "hh:mm", "mm:ss", "mm:ss.0", "[h]:mm:ss", "[mm]:ss", "[ss]", "[hh]",
		"[Red]yyyy-mm-dd", "[>=1]yyyy-mm-dd", "[Color10]d/m/yyyy",
		"ge.m.d", `[$-411]ggge"年"m"月"d"日"`, `e"年"m"月"d"日"`, "d/m/bb", "ว/ด/ปปปป",
		"_(yyyy-mm-dd_)", "* yyyy-mm-dd",
	}
	numbers := []string{
		"", "General", "general", "G/通用格式", "[DBNum1][$-804]G/通用格式", "[DBNum2][$-804]General",
		"0", "0.00", "#,##0", "#,##0.00", "0%", "0.00%", "0.00E+00", "0.00e-00", "##0.0E+0", "# ?/?", "# ??/??", "@",
		`"¥"#,##0.00`, `[$¥-804]#,##0.00`, `[$$-409]#,##0.00`, `[$USD-409]#,##0`, "[$-804]0.00", "[DBNum2]0",
		`_(* #,##0_);_(* \(#,##0\);_(* "-"_);_(@_)`, `_-* #,##0.00_-;-* #,##0.00_-;_-* "-"??_-;_-@_-`,
		`0.00_);[Red]\(0.00\)`, "[Red]0.00", "[Blue]#,##0;[Red]-#,##0", `0"天"`, `0 "days"`, `#,##0"元"`, `\d\a\y 0`,
		"000000", "[<=9999999]###-####;(###) ###-####", `0.00;-0.00;"zero"`, ";;;", `"Date: "@`, `0;-0;;@`,
		// A date in a section other than the one positive numbers take.
		`0;yyyy-mm-dd`,
	}
	for _, c := range dates {
		if !isDateFormat(c) {
			t.Errorf("isDateFormat(%q) = false, want true", c)
		}
	}
	for _, c := range numbers {
		if isDateFormat(c) {
			t.Errorf("isDateFormat(%q) = true, want false", c)
		}
	}
	for id := 0; id <= 200; id++ {
		want := id >= 14 && id <= 22 || id >= 27 && id <= 36 || id >= 45 && id <= 47 || id >= 50 && id <= 58 || id >= 71 && id <= 81
		if builtInDateFormat(id) != want {
			t.Errorf("builtInDateFormat(%d) = %v", id, !want)
		}
	}
}

func TestSerialDate(t *testing.T) {
	tests := []struct {
		in       string
		date1904 bool
		want     string // the date, or a fragment of the problem
		ok       bool
	}{
		{"46083", false, "2026-03-02", true},
		{"46083.75", false, "2026-03-02", true}, // the time of day is dropped
		{"44621", true, "2026-03-02", true},     // the 1904 date system
		{"10000", false, "1927-05-18", true},
		{"73050", false, "2099-12-31", true}, // "long term" as the national standard writes it
		{"99999", false, "2173-10-13", true},
		{"1000000", false, "4637-11-26", true},
		{"2958465", false, "9999-12-31", true},
		{"2026", false, "holds the number 2026, which Excel shows as 1905-07-18", false},
		{"2026", true, "holds the number 2026, which Excel shows as 1909-07-19", false},
		{"202603", false, "which Excel shows as 2454-09-14", false},
		{"9999.5", false, "holds the number 9999.5", false},
		{"1", false, "holds the number 1", false},
		{"0.5", false, "holds only a time of day (0.5), no date", false},
		{"0", false, "holds only a time of day (0), no date", false},
		{"-46083", false, "holds the negative number -46083", false},
		{"20260302", false, "past the last date Excel can show", false},
		{"x", false, `holds "x", not a number`, false},
		{"NaN", false, "not a number", false},
	}
	for _, tc := range tests {
		date, problem := serialDate(tc.in, tc.date1904)
		switch {
		case tc.ok && (date != tc.want || problem != nil):
			t.Errorf("serialDate(%q, 1904=%v) = %q, %v; want %s", tc.in, tc.date1904, date, problem, tc.want)
		case !tc.ok && (date != "" || problem == nil || !strings.Contains(problem.En, tc.want)):
			t.Errorf("serialDate(%q, 1904=%v) = %q, %v; want a problem saying %q", tc.in, tc.date1904, date, problem, tc.want)
		case !tc.ok && (!strings.Contains(problem.En, catalog.FullDate) || !strings.Contains(problem.Zh, catalog.FullDateZh) || strings.Contains(problem.Zh, "holds")):
			t.Errorf("serialDate(%q) problem %+v does not say what a full date looks like in both languages", tc.in, *problem)
		}
	}
}

func TestISODate(t *testing.T) {
	for in, want := range map[string]string{
		"2026-03-02": "2026-03-02", "2026-03-02T10:30:00": "2026-03-02", "2026-03-02T00:00:00.000Z": "2026-03-02",
		"2026-02-30": "", "2026-03": "", "T10:30:00": "", "2026": "", "": "",
	} {
		date, problem := isoDate(in)
		if date != want || (want == "") == (problem == nil) {
			t.Errorf("isoDate(%q) = %q, %v; want %q", in, date, problem, want)
		}
	}
}

// TestShortNumbersAreNoDates: no number of 4 or 6 digits (a year, a year
// and month, a date without its century) is read as a date, whether typed
// as text (catalog.ParseDate, the one reader of text dates, also with
// leading zeros) or held by a date cell (serialDate, whose rule is on the
// whole part whatever the date system; a sample also in the 1904 system
// and with a time of day).
func TestShortNumbersAreNoDates(t *testing.T) {
	text := func(s string) {
		if d, err := catalog.ParseDate(s); err == nil {
			t.Fatalf("ParseDate(%q) = %s, want an error", s, d)
		}
	}
	cell := func(s string, date1904 bool) {
		if d, _ := serialDate(s, date1904); d != "" {
			t.Fatalf("serialDate(%q, 1904=%v) = %s, want no date", s, date1904, d)
		}
	}
	each := func(from, to, width int) {
		for n := from; n <= to; n++ {
			s := strconv.Itoa(n)
			text(s)
			cell(s, false)
			if len(s) < width {
				text(fmt.Sprintf("%0*d", width, n))
			}
			if n%97 == 0 {
				cell(s, true)
				cell(s+".5", false)
			}
		}
	}
	each(0, 9999, 4)
	each(100000, 999999, 6)
	for n := 0; n < 100000; n++ { // 6 digits with leading zeros, as text
		text(fmt.Sprintf("%06d", n))
	}
}

// FuzzDateReaders: whatever the input, the text reader takes a string of
// digits for a date only when it has 8 (YYYYMMDD), and the date-cell reader
// takes a number only when its whole part has 5 or 7 digits.
func FuzzDateReaders(f *testing.F) {
	for _, s := range []string{"2026", "202603", "20260302", "46083", "46083.5", "2026-03-02", "2026年3月2日", "0", "-1", "1e5", "2958465", "0002026"} {
		f.Add(s, false)
	}
	f.Fuzz(func(t *testing.T, s string, date1904 bool) {
		if d, err := catalog.ParseDate(s); err == nil {
			if v := strings.TrimSpace(s); allDigits(v) && len(v) != 8 {
				t.Fatalf("ParseDate(%q) = %s: a number of %d digits taken for a date", s, d, len(v))
			}
		}
		if d, problem := serialDate(s, date1904); d != "" {
			x, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
			if err != nil || problem != nil {
				t.Fatalf("serialDate(%q) = %q, %v", s, d, problem)
			}
			if n := len(strconv.FormatFloat(math.Floor(x), 'f', 0, 64)); n != 5 && n != 7 {
				t.Fatalf("serialDate(%q) = %s: a serial of %d digits taken for a date", s, d, n)
			}
		}
	})
}

func allDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

// TestSheetDates reads worksheet XML as other writers than excelize write
// it: no r attributes (rows and cells count on from the one before), a
// namespace prefix, self-closing cells, ISO 8601 date cells, inline and
// shared strings and formulas, in a date style or not.
func TestSheetDates(t *testing.T) {
	const sheet = `<?xml version="1.0" encoding="UTF-8"?>
<x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><x:sheetData>
<x:row><x:c t="s"><x:v>0</x:v></x:c><x:c t="s"><x:v>1</x:v></x:c></x:row>
<x:row><x:c s="1"><x:v>46083</x:v></x:c><x:c s="1" t="s"><x:v>2</x:v></x:c><x:c s="2"><x:v>46083</x:v></x:c><x:c s="1"/></x:row>
<x:row r="5"><x:c r="B5" s="1"><x:f>DATE(2026,3,2)</x:f><x:v>46083.5</x:v></x:c><x:c t="d"><x:v>2026-03-02T10:00:00</x:v></x:c><x:c s="1" t="inlineStr"><x:is><x:t>2026</x:t></x:is></x:c></x:row>
<x:row><x:c s="1" t="n"><x:v>2026</x:v></x:c><x:c t="d" s="2"><x:v>2026</x:v></x:c><x:c t="str" s="1"><x:f>"46083"</x:f><x:v>46083</x:v></x:c></x:row>
</x:sheetData></x:worksheet>`
	s := &sheetDates{d: xml.NewDecoder(strings.NewReader(sheet)), styles: map[int]bool{0: false, 1: true, 2: false}}
	want := map[int][]DateCell{
		1: nil,
		2: {{Col: 0, Date: "2026-03-02"}},
		3: nil,
		5: {{Col: 1, Date: "2026-03-02"}, {Col: 2, Date: "2026-03-02"}},
		6: {{Col: 0, Problem: &credit.Text{}}, {Col: 1, Problem: &credit.Text{}}},
		7: nil,
	}
	for n := 1; n <= 7; n++ {
		got, err := s.row(n)
		if err != nil {
			t.Fatal(err)
		}
		w := want[n]
		if len(got) != len(w) {
			t.Fatalf("row %d: %+v, want %+v", n, got, w)
		}
		for i := range w {
			if got[i].Col != w[i].Col || got[i].Date != w[i].Date || (got[i].Problem == nil) != (w[i].Problem == nil) {
				t.Errorf("row %d: %+v, want %+v", n, got[i], w[i])
			}
		}
	}
}
