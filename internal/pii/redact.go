package pii

import (
	"strings"
	"unicode/utf8"
)

// minIDRun is the length of the shortest resident ID number (the old
// 15-digit form); the current one has 17 digits and a check character.
const minIDRun = 15

// RedactIDs masks, in s, every run that could hold a resident ID number:
// 15 or more digits in a row, with the X or x that may follow them, kept
// only as the first 6 and last 4 characters (110105********002X). It is
// applied to whatever may carry caller input into a log, an audit entry or
// an echo on a page: a person who types an ID number into the search box,
// a URL or an X-Purpose header must not find it in our logs, and a page
// must not repeat it.
//
// The check digit is not consulted and neighbours do not matter: a number
// with a typo in its check digit, or glued to a digit before it
// (9110105195412183524), is still a person's number. A run is masked
// whole, so no alignment of an ID number inside a longer run survives.
// Digits count in every form a client may send them: ASCII, full-width
// (１１０１０５…, as Chinese input methods type them) and percent-encoded
// (%31%31%30…); a masked digit keeps its form. Codes that merely look
// similar (an all-digit unified social credit code, a 16-digit card
// number) are masked too: a log loses little by that, and a missed ID
// number cannot be taken back.
func RedactIDs(s string) string {
	if len(s) < minIDRun {
		return s
	}
	var b strings.Builder
	done := 0 // s[:done] is in b (or nothing was masked yet)
	for i := 0; i < len(s); {
		n, w := digitAt(s, i)
		if n == 0 {
			i += w
			continue
		}
		// A run of digit units from i to j; head is where its 6th ends.
		units, head, j := 1, 0, i+n
		for {
			n, _ := digitAt(s, j)
			if n == 0 {
				break
			}
			j += n
			if units++; units == 6 {
				head = j
			}
		}
		if units >= minIDRun {
			if n := xAt(s, j); n > 0 {
				j += n
				units++
			}
			// tail is where the last 4 units start.
			tail := head
			for k := 6; k < units-4; k++ {
				n, _ := digitAt(s, tail)
				tail += n
			}
			if b.Len() == 0 {
				b.Grow(len(s))
			}
			b.WriteString(s[done:head]) // up to the first 6 (region)
			b.WriteString(strings.Repeat("*", units-10))
			b.WriteString(s[tail:j]) // the last 4
			done = j
		}
		i = j
	}
	if done == 0 {
		return s
	}
	b.WriteString(s[done:])
	return b.String()
}

// digitAt returns the length in bytes of the digit at s[i] in any form
// RedactIDs recognises, 0 if there is none; w is how far to advance past a
// non-digit (a whole UTF-8 sequence).
func digitAt(s string, i int) (n, w int) {
	if i >= len(s) {
		return 0, 1
	}
	c := s[i]
	switch {
	case c >= '0' && c <= '9':
		return 1, 1
	case c == '%':
		if i+2 < len(s) && s[i+1] == '3' && s[i+2] >= '0' && s[i+2] <= '9' {
			return 3, 3
		}
		return 0, 1
	case c < utf8.RuneSelf:
		return 0, 1
	}
	r, size := utf8.DecodeRuneInString(s[i:])
	if r >= '０' && r <= '９' {
		return size, size
	}
	return 0, size
}

// xAt returns the length of an X or x at s[i] (ASCII, full-width or
// percent-encoded), 0 if there is none.
func xAt(s string, i int) int {
	if i >= len(s) {
		return 0
	}
	switch c := s[i]; {
	case c == 'X' || c == 'x':
		return 1
	case c == '%':
		if i+2 < len(s) && (s[i+1:i+3] == "58" || s[i+1:i+3] == "78") {
			return 3
		}
		return 0
	}
	r, size := utf8.DecodeRuneInString(s[i:])
	if r == 'Ｘ' || r == 'ｘ' {
		return size
	}
	return 0
}
