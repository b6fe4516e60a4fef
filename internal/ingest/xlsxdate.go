package ingest

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/xuri/excelize/v2"

	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/credit"
)

// DateCell is a cell that a workbook stores as a date: a number in a cell
// whose number format shows a date or a time, or an ISO 8601 date cell
// (t="d"). Date is its day as 2006-01-02; when the cell holds no full date,
// Date is empty and Problem says why, in English and Chinese. Only a column
// that fills a date field reads the cell so; in any other column it stays
// as the workbook shows it.
type DateCell struct {
	Col     int // 0-based, in header order
	Date    string
	Problem *credit.Text
}

// builtInDateFormat reports whether a built-in number format (one a
// workbook names by id without its code) shows a date or a time: 14–22 in
// every locale; 27–36 and 50–58, the East Asian dates and times
// (yyyy"年"m"月"d"日", h"时"mm"分" and the like); 45–47, minutes and seconds
// and elapsed hours; 71–81, the Thai dates and times.
func builtInDateFormat(id int) bool {
	return 14 <= id && id <= 22 || 27 <= id && id <= 36 || 45 <= id && id <= 47 ||
		50 <= id && id <= 58 || 71 <= id && id <= 81
}

// isDateFormat reports whether a number format code shows a number as a
// date or a time. It reads the first section (the one positive numbers,
// and so dates, take) and looks for a date or time token outside quoted
// text, escaped characters, spacing (_x) and fill (*x) characters, colours,
// conditions, locale and currency tags ([$-804], [$¥-804], [DBNum1]) and
// the keyword General (G/通用格式 in Chinese Excel): y, m, d, h, s, the East Asian era year and name (e,
// g), the Buddhist year (b), weekday names (aaa), AM/PM and A/P, the Thai
// date and time letters, elapsed time ([h], [mm], [ss]) and the system
// long date and time ([$-F800], [$-F400], [$-x-sysdate], [$-x-systime]),
// which stand for a date or time whatever follows them.
func isDateFormat(code string) bool {
	rs := []rune(code)
	for i := 0; i < len(rs); i++ {
		switch c := rs[i]; c {
		case ';':
			return false
		case '"':
			for i++; i < len(rs) && rs[i] != '"'; i++ {
			}
		case '\\', '_', '*':
			i++
		case '[':
			j := i + 1
			for j < len(rs) && rs[j] != ']' {
				j++
			}
			if tag := strings.ToLower(string(rs[i+1 : j])); elapsedTag(tag) || systemDateTag(tag) {
				return true
			}
			i = j
		default:
			lc := unicode.ToLower(c)
			switch {
			case lc == 'g' && strings.EqualFold(string(rs[i:min(i+7, len(rs))]), "general"):
				i += 6
			case lc == 'g' && i+1 < len(rs) && rs[i+1] == '/':
				i++ // General as East Asian Excel writes it: G/通用格式, G/標準
			case lc == 'e' && i+1 < len(rs) && (rs[i+1] == '+' || rs[i+1] == '-'):
				i++ // scientific notation: 0.00E+00
			case strings.ContainsRune("ymdhsegba", lc), strings.ContainsRune("วดปชนท", c):
				return true
			}
		}
	}
	return false
}

// elapsedTag reports an elapsed-time tag: [h], [hh], [m], [mm], [s], [ss]...
func elapsedTag(tag string) bool {
	if tag == "" {
		return false
	}
	for _, r := range tag {
		if r != rune(tag[0]) {
			return false
		}
	}
	return tag[0] == 'h' || tag[0] == 'm' || tag[0] == 's'
}

// systemDateTag reports the tags of the system's long date and time
// formats, which Chinese Excel uses for its 长日期 and 时间 formats.
func systemDateTag(tag string) bool {
	loc, ok := strings.CutPrefix(tag, "$-")
	return ok && (loc == "f800" || loc == "f400" || loc == "x-sysdate" || loc == "x-systime")
}

// Bounds of the numbers a date cell may hold. Excel's calendar ends on
// 9999-12-31, serial 2958465. A full date typed into a date cell becomes a
// serial of 5 digits (1927 to 2173) or, for the far-future dates that mean
// "no end" (9999-12-31), of 7; a number of 4 digits or fewer is a year (2026,
// shown as 1905-07-18) or a day typed alone, and one of 6 digits a year and
// month (202603, shown as 2454-09-14) or a date without its century: Excel
// shows them as dates, but no department means those dates.
const (
	minDateSerial  = 10000
	minLongSerial  = 1000000
	maxExcelSerial = 2958465
)

// serialDate reads the number a date cell holds (in the workbook's date
// system) as the day it stands for, or says why it is not a full date. A
// time of day after the date is dropped, as catalog.ParseDate drops it.
func serialDate(v string, date1904 bool) (date string, problem *credit.Text) {
	f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return "", dateCellProblem(fmt.Sprintf("holds %q, not a number", v), fmt.Sprintf("中是“%s”，不是数字", v), v)
	}
	whole := math.Floor(f)
	num := strconv.FormatFloat(f, 'f', -1, 64)
	shown := ""
	if f >= 0 && whole <= maxExcelSerial {
		if t, err := excelize.ExcelDateToTime(f, date1904); err == nil {
			shown = t.Format(time.DateOnly)
		}
	}
	switch {
	case f < 0:
		return "", dateCellProblem("holds the negative number "+num, "中是负数"+num, num)
	case whole < 1:
		return "", dateCellProblem("holds only a time of day ("+num+"), no date", "中只有时间（"+num+"），没有日期", num)
	case whole < minDateSerial || whole >= 10*minDateSerial && whole < minLongSerial:
		return "", dateCellProblem(fmt.Sprintf("holds the number %s, which Excel shows as %s", num, shown),
			fmt.Sprintf("中是数字%s，Excel显示为%s", num, shown), num)
	case whole > maxExcelSerial:
		return "", dateCellProblem(fmt.Sprintf("holds the number %s, which is past the last date Excel can show (9999-12-31)", num),
			fmt.Sprintf("中是数字%s，超出了Excel能显示的最后日期（9999-12-31）", num), num)
	}
	return shown, nil
}

// isoDate reads an ISO 8601 date cell (t="d": 2026-03-02 or
// 2026-03-02T10:00:00) as its day.
func isoDate(v string) (date string, problem *credit.Text) {
	v = strings.TrimSpace(v)
	if len(v) >= 10 && (len(v) == 10 || v[10] == 'T') {
		if t, err := time.Parse(time.DateOnly, v[:10]); err == nil {
			return t.Format(time.DateOnly), nil
		}
	}
	return "", dateCellProblem(fmt.Sprintf("holds %q", v), "中是“"+v+"”", v)
}

// dateCellProblem is the reason a date cell is refused: what it holds (in
// English and Chinese), and what a full date looks like.
func dateCellProblem(what, whatZh, value string) *credit.Text {
	return credit.Says("日期单元格%[5]s，不是完整日期：%[4]s", "not a full date: the date cell %[1]s; %[2]s (日期单元格中的 %[3]s 不是完整日期：%[4]s)",
		what, catalog.FullDate, value, catalog.FullDateZh, whatZh)
}
