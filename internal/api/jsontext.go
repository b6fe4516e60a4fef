package api

import (
	"fmt"
	"io"
	"unicode/utf8"
)

// badText is the error a JSON body that is not Unicode text reads as.
type badText struct {
	off       int64
	surrogate bool // a \u escape naming half a surrogate pair
}

func (e *badText) Error() string {
	if e.surrogate {
		return fmt.Sprintf("the JSON body has a \\u escape for half a UTF-16 surrogate pair (near byte %d), which is no character", e.off)
	}
	return fmt.Sprintf("the JSON body is not valid UTF-8 (at byte %d)", e.off)
}

// jsonText passes a JSON body through and fails, as soon as it sees one,
// on bytes that are not UTF-8 and on \u escapes that name half a
// surrogate pair. encoding/json would silently turn either into U+FFFD,
// and a department's misencoded name or reason would be stored damaged
// without anyone being told.
//
// It follows the JSON text only as far as strings and escapes go (the
// bytes of multi-byte characters are never '"' or '\'); the syntax is
// the decoder's business.
type jsonText struct {
	r    io.Reader
	off  int64  // bytes passed so far
	pend []byte // the start of a multi-byte character split across reads
	pOff int64  // where it starts in the body
	st   jsonState
	hex  int  // hex digits read of a \u escape
	cp   rune // their value
	high bool // the last \u escape was a high surrogate
	err  error
}

type jsonState uint8

const (
	jsOutside   jsonState = iota // between values
	jsString                     // inside a string
	jsEscape                     // after a backslash
	jsHex                        // reading the 4 hex digits of \u
	jsWantSlash                  // after a high surrogate: a backslash must follow
	jsWantU                      // ... then a u
)

func newJSONText(r io.Reader) *jsonText { return &jsonText{r: r} }

func (t *jsonText) Read(p []byte) (int, error) {
	if t.err != nil {
		return 0, t.err
	}
	n, err := t.r.Read(p)
	if n > 0 {
		if e := t.scan(p[:n]); e != nil {
			t.err = e
			return 0, e
		}
	}
	if err == io.EOF && (len(t.pend) > 0 || t.st == jsWantSlash || t.st == jsWantU) {
		off := t.off
		if len(t.pend) > 0 {
			off = t.pOff
		}
		t.err = &badText{off: off, surrogate: len(t.pend) == 0}
		return 0, t.err
	}
	return n, err
}

// utf8Len is the length of the character a leading byte starts (1 for
// bytes that cannot start one: utf8.Valid rejects those).
func utf8Len(c byte) int {
	switch {
	case c >= 0xF5:
		return 1
	case c >= 0xF0:
		return 4
	case c >= 0xE0:
		return 3
	case c >= 0xC2:
		return 2
	}
	return 1
}

func (t *jsonText) scan(p []byte) error {
	start := t.off
	defer func() { t.off = start + int64(len(p)) }()
	b := p
	// Finish a character begun in the previous read.
	if len(t.pend) > 0 {
		need := utf8Len(t.pend[0])
		for len(t.pend) < need && len(b) > 0 {
			t.pend, b = append(t.pend, b[0]), b[1:]
		}
		if len(t.pend) < need {
			return nil
		}
		if !utf8.Valid(t.pend) {
			return &badText{off: t.pOff}
		}
		t.pend = t.pend[:0]
	}
	// Keep back a character that this read cuts short.
	cut := len(b)
	for i := len(b) - 1; i >= 0 && i >= len(b)-3; i-- {
		if c := b[i]; c < 0x80 {
			break
		} else if c >= 0xC0 {
			if len(b)-i < utf8Len(c) {
				cut = i
			}
			break
		}
	}
	if !utf8.Valid(b[:cut]) {
		off := start + int64(len(p)-len(b))
		for i := 0; i < cut; {
			r, size := utf8.DecodeRune(b[i:cut])
			if r == utf8.RuneError && size <= 1 {
				off += int64(i)
				break
			}
			i += size
		}
		return &badText{off: off}
	}
	if cut < len(b) {
		t.pend, t.pOff = append(t.pend, b[cut:]...), start+int64(len(p)-len(b)+cut)
	}
	for i, c := range p {
		if err := t.step(c); err != nil {
			return &badText{off: start + int64(i), surrogate: true}
		}
	}
	return nil
}

var errSurrogate = fmt.Errorf("half a surrogate pair")

// step follows strings and their escapes one byte at a time.
func (t *jsonText) step(c byte) error {
	switch t.st {
	case jsOutside:
		if c == '"' {
			t.st = jsString
		}
	case jsString:
		switch c {
		case '"':
			t.st = jsOutside
		case '\\':
			t.st = jsEscape
		}
	case jsEscape:
		t.st = jsString
		if c == 'u' {
			t.st, t.hex, t.cp = jsHex, 0, 0
		}
	case jsHex:
		var v byte
		switch {
		case c >= '0' && c <= '9':
			v = c - '0'
		case c >= 'a' && c <= 'f':
			v = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			v = c - 'A' + 10
		default:
			// Not an escape at all: the decoder reports the syntax.
			t.st, t.high = jsString, false
			return nil
		}
		t.cp = t.cp<<4 | rune(v)
		if t.hex++; t.hex < 4 {
			return nil
		}
		t.st = jsString
		switch {
		case t.high:
			if t.cp < 0xDC00 || t.cp > 0xDFFF {
				return errSurrogate
			}
			t.high = false
		case t.cp >= 0xD800 && t.cp <= 0xDBFF:
			t.high, t.st = true, jsWantSlash
		case t.cp >= 0xDC00 && t.cp <= 0xDFFF:
			return errSurrogate
		}
	case jsWantSlash:
		if c != '\\' {
			return errSurrogate
		}
		t.st = jsWantU
	case jsWantU:
		if c != 'u' {
			return errSurrogate
		}
		t.st, t.hex, t.cp = jsHex, 0, 0
	}
	return nil
}
