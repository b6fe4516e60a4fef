package catalog

import (
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/xinyong/xinyong/internal/chinatime"
	"github.com/xinyong/xinyong/internal/credit"
)

// Field returns the field with the given code, or nil.
func (it *Item) Field(code string) *Field { return it.byCode[code] }

// PersonalFields are the codes of the item's personal fields (stored
// sealed), in catalogue order.
func (it *Item) PersonalFields() []string {
	var out []string
	for _, fd := range it.Fields {
		if fd.Personal {
			out = append(out, fd.Code)
		}
	}
	return out
}

// LegalRepField is the code of the item's field that names the subject's
// legal representative (法定代表人, 法定代表人（负责人）...), "" when it has
// none.
func (it *Item) LegalRepField() string {
	for _, fd := range it.Fields {
		if fd.Type == TypeString && strings.HasPrefix(fd.Label, "法定代表人") {
			return fd.Code
		}
	}
	return ""
}

// FieldByHeader returns the field a column header names: its code, its
// Chinese or English label or one of its aliases (legacy names). Matching
// ignores surrounding space, full-width forms, a template's "*" required
// marker and ASCII case. Several headers may name one field (处罚类别1 and
// 处罚类别2 both name cf_cflb): the caller joins their values with ";".
func (it *Item) FieldByHeader(h string) *Field { return it.byHeader[normHeader(h)] }

// IgnoredHeader reports whether h is a legacy column that is recognised but
// deliberately not kept (see Item.IgnoredHeaders).
func (it *Item) IgnoredHeader(h string) bool { return it.ignored[normHeader(h)] }

// normHeader folds the variants department templates produce for one header.
func normHeader(h string) string {
	var b strings.Builder
	for _, r := range h {
		switch {
		case r == '\u3000':
			r = ' '
		case r >= '\uff01' && r <= '\uff5e': // full-width ASCII
			r -= 0xfee0
		case r == '\ufeff': // byte order mark at the start of CSV headers
			continue
		}
		if r < utf8.RuneSelf {
			r = unicode.ToLower(r)
		}
		b.WriteRune(r)
	}
	s := strings.Trim(b.String(), " \t\r\n*")
	return strings.Join(strings.Fields(s), " ")
}

// FieldError is one problem with one field of a record, in English and
// Chinese. Label is the field's Chinese label, when the item has the field.
type FieldError struct {
	Field    string
	Label    string
	Reason   string
	ReasonZh string
}

func (e FieldError) Error() string { return "field " + e.Field + ": " + e.Reason }

// Chinese is the problem in Chinese, naming the field by its label.
func (e FieldError) Chinese() string {
	zh := e.ReasonZh
	if zh == "" {
		zh = e.Reason
	}
	if e.Label == "" {
		return "字段" + e.Field + "：" + zh
	}
	return "字段“" + e.Label + "”（" + e.Field + "）：" + zh
}

// Validate checks a record's fields against the item: unknown fields,
// required fields (also those required for the stated subject kind), types,
// lengths in characters, enum values, patterns, date order, and a decision
// date that is not in the future relative to now. It does not check USCC or
// ID check characters (internal/uscc does). Errors come in the item's field
// order, then unknown fields by code.
func (it *Item) Validate(f credit.Fields, now time.Time) []FieldError {
	var errs []FieldError
	bad := func(code, zh, en string, args ...any) {
		t := credit.Says(zh, en, args...)
		fe := FieldError{Field: code, Reason: t.En, ReasonZh: t.Zh}
		if fd := it.byCode[code]; fd != nil {
			fe.Label = fd.Label
		}
		errs = append(errs, fe)
	}
	kind := it.SubjectKindOf(f)
	for _, fd := range it.Fields {
		v := strings.TrimSpace(f[fd.Code])
		if v == "" {
			if fd.Required {
				bad(fd.Code, "必填项“%s”未填写", "required (%s)", fd.Label)
			} else if kind != "" && contains(fd.RequiredFor, kind) {
				bad(fd.Code, "主体为%[3]s时“%[2]s”为必填项", "required for %[1]s subjects (%[2]s)", kind, fd.Label, SubjectKindLabel(kind))
			}
			continue
		}
		if n := utf8.RuneCountInString(v); fd.MaxLen > 0 && n > fd.MaxLen {
			bad(fd.Code, "共%d个字符，最多%d个", "%d characters, at most %d allowed", n, fd.MaxLen)
		}
		switch fd.Type {
		case TypeDate:
			d, err := ParseDate(v)
			if err != nil {
				bad(fd.Code, "%v", "%v", err)
				break
			}
			if fd.Code == it.Keys.DecidedOn && d.After(now) {
				bad(fd.Code, "决定日期%s晚于今天", "decision date %s is in the future", d.Format("2006-01-02"))
			}
			if fd.NotBefore != "" {
				if o, err := ParseDate(f[fd.NotBefore]); err == nil && d.Before(o) {
					label := fd.NotBefore
					if nb := it.byCode[fd.NotBefore]; nb != nil {
						label = nb.Label
					}
					bad(fd.Code, "%[1]s早于“%[4]s”（%[3]s）", "%[1]s is before %[2]s (%[3]s)", d.Format("2006-01-02"), fd.NotBefore, o.Format("2006-01-02"), label)
				}
			}
		case TypeAmount:
			if _, ok := parseAmount(v); !ok {
				bad(fd.Code, "“%s”不是有效金额（应为不小于0的数字，如 1.5）", "not an amount: %q (a decimal number ≥ 0, e.g. 1.5)", v)
			}
		case TypeInt:
			if _, err := strconv.ParseInt(v, 10, 64); err != nil {
				bad(fd.Code, "“%s”不是整数", "not an integer: %q", v)
			}
		case TypeUSCC:
			if !usccShape(v) {
				bad(fd.Code, "“%s”不是统一社会信用代码（应为18位数字或大写字母）", "not a unified social credit code: %q (18 characters 0-9, A-Z)", v)
			}
		case TypeEnum:
			if _, ok := fd.Canonical(v); !ok {
				bad(fd.Code, "“%[1]s”不是可填写的值，应为%[3]s之一", "%[1]q is not one of %[2]s", v, strings.Join(fd.Enum, ", "), strings.Join(fd.Enum, "、"))
			}
		}
		if fd.re != nil && !fd.re.MatchString(v) {
			bad(fd.Code, "“%s”不符合规定格式（%s）", "%q does not match the pattern %s", v, fd.Pattern)
		}
	}
	var unknown []string
	for code := range f {
		if it.byCode[code] == nil {
			unknown = append(unknown, code)
		}
	}
	sort.Strings(unknown)
	for _, code := range unknown {
		bad(code, "不是信息项%[2]s（%[1]s）的字段", "not a field of catalogue item %[1]s", it.Code, it.Name)
	}
	return errs
}

func usccShape(v string) bool {
	if len(v) != 18 {
		return false
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}

// parseAmount reads a non-negative decimal ("0", "12.5"). Exponents,
// signs, thousands separators, NaN and Inf are refused: they are either
// ambiguous or spreadsheet accidents.
func parseAmount(s string) (float64, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, false
	}
	dot := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
		case c == '.' && !dot && i > 0 && i < len(s)-1:
			dot = true
		default:
			return 0, false
		}
	}
	n, err := strconv.ParseFloat(s, 64)
	return n, err == nil
}

// dateLayouts are the date forms department systems export. "1" and "2"
// also accept zero-padded months and days.
var dateLayouts = []string{"2006-1-2", "2006/1/2", "20060102", "2006年1月2日", "2006.1.2"}

// FullDate says, in English, what a date must look like; FullDateZh says it
// in Chinese. Every refusal of a date ends with them.
const (
	FullDate   = "a full date has year, month and day, e.g. 2026-03-02, 2026/3/2, 20260302 or 2026年3月2日"
	FullDateZh = "完整日期须有年、月、日，如 2026-03-02"
)

// ParseDate reads a calendar date in the forms departments send
// (2006-01-02, 2006/01/02, 20060102, 2006年1月2日; unpadded months and days
// too) and returns midnight of that day in chinatime.Location. A time of day after the
// date ("2024-03-01 00:00:00", as spreadsheets export) is accepted and
// dropped. Anything short of a full date is refused: a year (2026), a year
// and month (202603, 2026-03), a spreadsheet's serial number (46083).
func ParseDate(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		// The common case by far (an optional date field left empty),
		// asked for every record the publication rules read: no layout
		// to try, no message to format.
		return time.Time{}, errNoDate
	}
	d := s
	if i := strings.IndexAny(d, " T"); i > 0 {
		if _, err := time.Parse("15:04:05", strings.TrimSuffix(strings.TrimSpace(d[i+1:]), "Z")); err == nil {
			d = d[:i]
		} else if _, err := time.Parse("15:04", strings.TrimSpace(d[i+1:])); err == nil {
			d = d[:i]
		}
	}
	for _, l := range dateLayouts {
		if t, err := time.ParseInLocation(l, d, chinatime.Location); err == nil {
			return t, nil
		}
	}
	return time.Time{}, credit.Says("“%[1]s”不是有效日期：%[3]s", "not a date: %[1]q; %[2]s (不是有效日期：%[3]s)", s, FullDate, FullDateZh)
}

// errNoDate is ParseDate's refusal of an empty string.
var errNoDate = credit.Says("“%[1]s”不是有效日期：%[3]s", "not a date: %[1]q; %[2]s (不是有效日期：%[3]s)", "", FullDate, FullDateZh)

// dateOf returns midnight China time of the day t falls on there.
func dateOf(t time.Time) time.Time {
	y, m, d := t.In(chinatime.Location).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, chinatime.Location)
}
