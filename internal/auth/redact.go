package auth

import (
	"regexp"

	"github.com/xinyong/xinyong/internal/uscc"
)

// idLike finds candidates for 18-character resident ID numbers.
var idLike = regexp.MustCompile(`[1-9][0-9]{16}[0-9Xx]`)

// RedactIDs masks every valid resident ID number in s (110105********002X).
// It is applied to whatever may carry caller input into a log, an audit
// entry or an echo on a page: a person who types an ID number into the
// search box or a URL must not find it in our logs, and a page must not
// repeat it. Only numbers that pass the GB 11643 check are masked, so codes
// and document numbers that merely look similar stay readable.
func RedactIDs(s string) string {
	if len(s) < 18 {
		return s
	}
	return idLike.ReplaceAllStringFunc(s, func(m string) string {
		if uscc.CheckResidentID(m).Status == uscc.Valid {
			return uscc.MaskResidentID(m)
		}
		return m
	})
}
