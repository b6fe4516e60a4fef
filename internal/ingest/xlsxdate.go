package ingest

import (
	"regexp"
	"strconv"
	"time"

	"github.com/xuri/excelize/v2"
)

// spreadsheetDates is implemented by tables whose date cells can arrive as
// a spreadsheet renders them rather than as typed text.
type spreadsheetDates interface {
	// Date1904 reports the workbook's date system (serial 0 = 1904-01-01,
	// as old Mac workbooks have it, instead of 1900-01-00).
	Date1904() bool
}

var (
	// excelize renders Excel's built-in date format 14 (shown by Chinese
	// Excel as 2026/3/2) as mm-dd-yy, and format 22 as m/d/yy h:mm.
	excelMDY     = regexp.MustCompile(`^(\d{1,2})[-/](\d{1,2})[-/](\d{2})(?: \d{1,2}:\d{2}(?::\d{2})?)?$`)
	excelSerial  = regexp.MustCompile(`^\d{1,7}(?:\.\d+)?$`)
	maxExcelDate = 2958465.0 // 9999-12-31
)

// spreadsheetDate turns what a spreadsheet date cell reads as into
// 2006-01-02: a date serial number (a date cell in a format the reader
// does not render, such as the built-in 年月日 formats) or the month-first
// two-digit-year rendering of Excel's default date formats. Anything else
// is returned unchanged, for the catalogue's date check to judge. Only
// XLSX cells go through it: in a CSV file 03-02-26 or 46083 is ambiguous
// and stays an error.
func spreadsheetDate(s string, date1904 bool) string {
	if m := excelMDY.FindStringSubmatch(s); m != nil {
		mo, _ := strconv.Atoi(m[1])
		d, _ := strconv.Atoi(m[2])
		yy, _ := strconv.Atoi(m[3])
		// Excel's own two-digit year rule: 00–29 are 20xx, 30–99 19xx.
		y := 1900 + yy
		if yy < 30 {
			y = 2000 + yy
		}
		t := time.Date(y, time.Month(mo), d, 0, 0, 0, 0, time.UTC)
		if t.Month() != time.Month(mo) || t.Day() != d {
			return s // 02-30-26: not a day; let the date check say so
		}
		return t.Format("2006-01-02")
	}
	if excelSerial.MatchString(s) {
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || f < 1 || f > maxExcelDate {
			return s
		}
		t, err := excelize.ExcelDateToTime(f, date1904)
		if err != nil {
			return s
		}
		return t.Format("2006-01-02")
	}
	return s
}
