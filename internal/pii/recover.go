package pii

import (
	"time"

	"github.com/xinyong/xinyong/internal/uscc"
)

// Recover finds the ID number whose masked form is masked (first 6 and
// last 4 characters kept, as uscc.MaskResidentID writes it) and whose hash
// under one of the sealer's keys is hash, by trying every birth date the
// mask hides: about 8,000 hashes for an 18-character number (the check
// character rules out ten dates in eleven), 4,800 for a 15-digit one.
//
// It exists for values stored before ID numbers were sealed beside their
// hashes (responsible persons of list entries): a key rotation must
// recompute their hashes and has nothing else to start from. Only a
// holder of the key can do it, as only a holder of the key can open a
// sealed value.
func (s *Sealer) Recover(masked, hash string) (string, bool) {
	var try func(func(string) bool) bool
	switch {
	case len(masked) == 18 && masked[6:14] == "********":
		pre, post := masked[:6], masked[14:]
		try = func(f func(string) bool) bool {
			for d := time.Date(1850, 1, 1, 0, 0, 0, 0, time.UTC); d.Year() < 2100; d = d.AddDate(0, 0, 1) {
				id := pre + d.Format("20060102") + post
				if uscc.ResidentIDCheckChar(id) == id[17] && f(id) {
					return true
				}
			}
			return false
		}
	case len(masked) == 15 && masked[6:11] == "*****":
		// Old numbers: YYMMDD birth date and a 3-digit sequence; the mask
		// hides YYMMD, the last digit of the day stays.
		pre, post := masked[:6], masked[11:]
		try = func(f func(string) bool) bool {
			for yy := 0; yy < 100; yy++ {
				for mm := 1; mm <= 12; mm++ {
					for d := 0; d <= 3; d++ {
						if f(pre + two(yy) + two(mm) + string(rune('0'+d)) + post) {
							return true
						}
					}
				}
			}
			return false
		}
	default:
		return "", false
	}
	found := ""
	ok := try(func(id string) bool {
		for _, k := range s.ks() {
			if k.hash(id) == hash {
				found = id
				return true
			}
		}
		return false
	})
	return found, ok
}

func two(n int) string { return string(rune('0'+n/10)) + string(rune('0'+n%10)) }
