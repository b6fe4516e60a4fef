package uscc

import (
	"bufio"
	_ "embed"
	"fmt"
	"io"
	"strings"
	"time"
)

//go:embed legacy.txt
var defaultLegacyText string

// Legacy is an allow-list of legally issued codes that fail their check
// characters. It is immutable once loaded and safe for concurrent use.
type Legacy struct {
	codes    map[string]struct{}
	prefixes []string
}

// minLegacyPrefix is the shortest prefix rule accepted: authority, type and
// the full region. Anything shorter would flag codes from a whole province or
// a whole code type, which would hide real errors.
const minLegacyPrefix = 8

// LoadLegacy parses an allow-list in the legacy.txt format: one rule per
// line; '#' starts a comment; a rule is either an exact 18-character code or
// a prefix of 8–17 characters followed by '*'. Characters are 0-9 and A-Z
// (case-insensitive). Any malformed line is an error naming its line number,
// because a silently skipped rule would turn legitimate records Invalid and
// a mistyped one could flag the wrong codes.
func LoadLegacy(r io.Reader) (*Legacy, error) {
	l := &Legacy{codes: make(map[string]struct{})}
	sc := bufio.NewScanner(r)
	line := 0
	for sc.Scan() {
		line++
		text := sc.Text()
		if i := strings.IndexByte(text, '#'); i >= 0 {
			text = text[:i]
		}
		text = normalise(text)
		if text == "" {
			continue
		}
		if prefix, ok := strings.CutSuffix(text, "*"); ok {
			if len(prefix) < minLegacyPrefix || len(prefix) > 17 || !alnum(prefix) {
				return nil, fmt.Errorf("uscc: legacy list line %d: prefix rule %q must be %d-17 characters 0-9/A-Z followed by '*'",
					line, text, minLegacyPrefix)
			}
			l.prefixes = append(l.prefixes, prefix)
			continue
		}
		if len(text) != 18 || !alnum(text) {
			return nil, fmt.Errorf("uscc: legacy list line %d: %q is neither an 18-character code nor a prefix rule ending in '*'", line, text)
		}
		l.codes[text] = struct{}{}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("uscc: reading legacy list: %w", err)
	}
	return l, nil
}

func alnum(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}

// Match reports whether code (normalised) is covered by the list, and the
// rule that covers it: the code itself or the prefix rule with its '*'.
// A nil *Legacy matches nothing.
func (l *Legacy) Match(code string) (rule string, ok bool) {
	if l == nil {
		return "", false
	}
	code = normalise(code)
	if _, ok := l.codes[code]; ok {
		return code, true
	}
	for _, p := range l.prefixes {
		if strings.HasPrefix(code, p) {
			return p + "*", true
		}
	}
	return "", false
}

// Len returns the number of rules (codes plus prefix rules).
func (l *Legacy) Len() int {
	if l == nil {
		return 0
	}
	return len(l.codes) + len(l.prefixes)
}

var defaultLegacy = func() *Legacy {
	l, err := LoadLegacy(strings.NewReader(defaultLegacyText))
	if err != nil {
		// The file is compiled in and covered by tests; failing here means
		// a broken build, which must not start with a silently empty list.
		panic(err)
	}
	return l
}()

// DefaultLegacy returns the allow-list embedded from legacy.txt.
func DefaultLegacy() *Legacy { return defaultLegacy }

// Checker validates codes against a given legacy allow-list and clock. The
// zero Checker is usable: it flags nothing and uses the wall clock. A
// Checker is immutable and safe for concurrent use.
type Checker struct {
	legacy *Legacy
	now    func() time.Time
}

// NewChecker returns a Checker using legacy (nil: no code is flagged) and
// now as the clock for birth-date checks (nil: time.Now). Administrators
// override the embedded list by loading their own with LoadLegacy.
func NewChecker(legacy *Legacy, now func() time.Time) *Checker {
	return &Checker{legacy: legacy, now: now}
}

var defaultChecker = &Checker{legacy: defaultLegacy}

func (c *Checker) clock() time.Time {
	if c.now == nil {
		return time.Now()
	}
	return c.now()
}

// CheckUSCC validates a unified social credit code. The input is trimmed and
// upper-cased. Every problem found is reported: length, characters (the
// 31-character code set at every position), registration authority and
// entity type, region digits, the GB 11714 check digit at position 17 and
// the GB 32100 check character at position 18. A code whose only problems
// are check characters and which is on the legacy allow-list is Flagged;
// any other problem makes it Invalid.
func (c *Checker) CheckUSCC(code string) Result {
	r := checkUSCC(normalise(code))
	if r.Status == Invalid && onlyCheckProblems(r.Problems) {
		if _, ok := c.legacy.Match(r.Code); ok {
			r.Status = Flagged
		}
	}
	return r
}

func onlyCheckProblems(ps []Problem) bool {
	for _, p := range ps {
		if p.Kind != ProblemCheck && p.Kind != ProblemOrgCodeCheck {
			return false
		}
	}
	return len(ps) > 0
}

// CheckResidentID validates a resident ID number (GB 11643-1999): 18
// characters, 17 digits and a digit or X, a real birth date at positions
// 7–14 that is not after today in China, and the check character. The input
// is trimmed and upper-cased (x → X). The legacy list does not apply.
func (c *Checker) CheckResidentID(id string) Result {
	return checkResidentID(normalise(id), c.clock())
}

// Check validates a code whose kind is not known, as in a department column
// that mixes organisations and persons. The rule: an 18-character input
// whose first 17 characters are digits is a resident ID when its GB 11643
// check character is right and it is not a Valid or Flagged USCC; anything
// else is a USCC. A USCC made only of digits therefore wins when both checks
// pass (a real ID number passes every USCC check by chance at most about
// once in 341), so callers that know the field's kind should call
// CheckUSCC or CheckResidentID.
func (c *Checker) Check(code string) Result {
	u := c.CheckUSCC(code)
	s := u.Code
	if u.Status != Invalid || len(s) != 18 || !allDigits(s[:17]) {
		return u
	}
	if s[17] != 'X' && (s[17] < '0' || s[17] > '9') || idCheckChar(s) != s[17] {
		return u
	}
	return checkResidentID(s, c.clock())
}

// Check classifies and validates code with the embedded allow-list and the
// wall clock. See Checker.Check.
func Check(code string) Result { return defaultChecker.Check(code) }
