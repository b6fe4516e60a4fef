package uscc

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/xinyong/xinyong/internal/chinatime"
)

// idWeights are the GB 11643-1999 weights, 2^(18−i) mod 11 for positions
// 1–17. All are non-zero modulo the prime 11, so any single-digit
// substitution changes the check character.
var idWeights = [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}

// minBirthYear rejects years no holder of a GB 11643-1999 number can have:
// those numbers were first issued in 1999 and nobody has lived 150 years. The
// bound is loose on purpose, to catch typos like 0990 without ever rejecting
// a real elderly person.
const minBirthYear = 1850

// idCheckChar computes the GB 11643 check character over the first 17 bytes,
// which must be ASCII digits.
func idCheckChar(s string) byte {
	sum := 0
	for i := 0; i < 17; i++ {
		sum += int(s[i]-'0') * idWeights[i]
	}
	c := (12 - sum%11) % 11
	if c == 10 {
		return 'X'
	}
	return byte('0' + c)
}

// ResidentIDCheckChar is the GB 11643 check character of the first 17
// characters of id, which must be ASCII digits.
func ResidentIDCheckChar(id string) byte { return idCheckChar(id) }

func idCharOK(pos int, r rune) bool {
	if r >= '0' && r <= '9' {
		return true
	}
	return pos == 18 && r == 'X'
}

func idCharWant(pos int, _ rune) (en, zh string) {
	if pos == 18 {
		return "a digit or X", "数字或X"
	}
	return "a digit", "数字"
}

func lengthHintID(code string, n int) (en, zh string) {
	switch {
	case n == 0:
		return "; the field is empty", "，该项为空"
	case n == 15 && allDigits(code):
		// First-generation 15-digit numbers have no check digit and a
		// two-digit year; they must be converted by the issuing authority
		// (public security), not guessed here.
		return "; this looks like an old 15-digit ID number, which must be upgraded to 18 digits", "，像是15位旧身份证号码，须换发为18位"
	}
	return "", ""
}

// checkResidentID validates a normalised resident ID number against the
// civil date of now in China.
func checkResidentID(id string, now time.Time) Result {
	r := Result{Code: id, Kind: KindResidentID, Status: Invalid}
	var ps []Problem
	if isPlaceholder(id) {
		ps = append(ps, placeholderProblem(id))
	}
	n := utf8.RuneCountInString(id)
	if n != 18 {
		ps = append(ps, lengthProblem(id, n, lengthHintID))
	}
	before := len(ps)
	ps = charProblems(ps, id, idCharOK, idCharWant)
	if n != 18 || len(ps) > before {
		// Without 17 digits in place neither the date nor the checksum is
		// defined; the problems so far say what to fix.
		if len(id) >= 6 && allDigits(id[:6]) {
			r.Region = id[:6]
		}
		r.Problems = ps
		return r
	}

	r.Region = id[:6]
	r.Male = (id[16]-'0')%2 == 1

	y := atoi(id[6:10])
	m := atoi(id[10:12])
	d := atoi(id[12:14])
	birth := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
	today := civilDate(now.In(chinatime.Location))
	switch {
	case m < 1 || m > 12 || birth.Day() != d:
		// time.Date normalises 0230 to 0302; a changed day means the date
		// does not exist.
		ps = append(ps, birthProblem(id, "is not a real date", "不是真实存在的日期"))
	case y < minBirthYear:
		ps = append(ps, birthProblem(id, fmt.Sprintf("is before %d", minBirthYear), fmt.Sprintf("早于%d年", minBirthYear)))
	case birth.After(today):
		ps = append(ps, birthProblem(id, "is in the future", "晚于今天"))
	default:
		r.Birth = birth
	}

	if want := idCheckChar(id); id[17] != want {
		ps = append(ps, Problem{
			Kind: ProblemIDCheck, Pos: 18, Got: id[17:18], Want: string(want),
			Msg:   fmt.Sprintf("wrong ID check character at position 18: got %c, want %c", id[17], want),
			MsgZh: fmt.Sprintf("第18位校验码错误：实为%c，应为%c", id[17], want),
		})
	}
	r.Problems = ps
	if len(ps) == 0 {
		r.Status = Valid
	}
	return r
}

func birthProblem(id, why, whyZh string) Problem {
	return Problem{
		Kind: ProblemBirthdate, Pos: 7, Got: id[6:14],
		Msg:   fmt.Sprintf("impossible birth date %s at positions 7-14: it %s", id[6:14], why),
		MsgZh: fmt.Sprintf("第7至14位出生日期%s%s", id[6:14], whyZh),
	}
}

func civilDate(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

func atoi(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}

// CheckResidentID validates a resident ID number against today's date. See
// Checker.CheckResidentID.
func CheckResidentID(id string) Result { return defaultChecker.CheckResidentID(id) }

// MaskResidentID hides the birth date and sequence of an ID number for
// display: the first 6 (region) and last 4 characters stay, the 8 between
// become '*', e.g. 110101********1234. Longer or shorter input (an old
// 15-digit number, a typo) keeps the same first 6 and last 4 and masks the
// rest; input of 10 characters or fewer is masked entirely, because keeping
// 6+4 of it would reveal all of it.
func MaskResidentID(id string) string {
	rs := []rune(strings.TrimSpace(id))
	n := len(rs)
	if n == 18 {
		return string(rs[:6]) + "********" + string(rs[14:])
	}
	if n <= 10 {
		return strings.Repeat("*", n)
	}
	return string(rs[:6]) + strings.Repeat("*", n-10) + string(rs[n-4:])
}

// MaskName masks a person's name for display by keeping its first rune
// (the surname, or the first character of a compound surname) and replacing
// every other rune with '*': 张三 → 张*, 欧阳娜娜 → 欧***. It works on runes
// because a Chinese character is three bytes in UTF-8.
func MaskName(name string) string {
	name = strings.TrimSpace(name)
	first, size := utf8.DecodeRuneInString(name)
	if size == 0 {
		return ""
	}
	return string(first) + strings.Repeat("*", utf8.RuneCountInString(name[size:]))
}
