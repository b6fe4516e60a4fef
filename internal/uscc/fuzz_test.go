package uscc

import (
	"reflect"
	"strings"
	"testing"
)

// FuzzCheckUSCC asserts what must hold for any input. The mutation check
// relies only on what is mathematically guaranteed: 31 is prime and every
// weight is non-zero modulo 31, so changing one character among positions
// 1–17 to another code character always changes the checksum; changing it to
// a non-code character is a char problem; changing position 18 contradicts
// the checksum. No single substitution of a valid code can stay Valid.
func FuzzCheckUSCC(f *testing.F) {
	for _, s := range []string{
		"91350100M000100Y43", "91350100M000100Y4Z", "111111111111111111",
		"00000000000000000X", "91350203M0001QKT19", "914101055473315590", "", "９1350100",
		"0000000000000000\r0", // control character echoed into Reason
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r := CheckUSCC(s)
		checkUSCCInvariants(t, r, s)

		// Make the input valid where possible (fix both check characters)
		// so the mutation property is exercised far more often than random
		// input would be valid.
		code := r.Code
		if len(code) == 18 {
			if oc, ok := orgCheckChar(code[8:16]); ok {
				code = code[:16] + string(oc) + code[17:]
				if cc, ok := usccCheckChar(code); ok {
					code = code[:17] + string(cc)
				}
			}
		}
		for _, c := range []string{s, code} {
			if v := CheckUSCC(c); v.Status == Valid {
				checkUSCCInvariants(t, v, c)
				assertMutationsDetected(t, v.Code, codeChars+"IOSVZ-*a")
			}
		}
	})
}

func checkUSCCInvariants(t *testing.T, r Result, in string) {
	t.Helper()
	if r.Code != normalise(in) || r.Kind != KindUSCC {
		t.Fatalf("%q: code %q kind %q", in, r.Code, r.Kind)
	}
	reason := r.Reason()
	if reason == "" || strings.ContainsAny(reason, "\n\r") {
		t.Fatalf("%q: bad reason %q", in, reason)
	}
	switch r.Status {
	case Valid:
		if len(r.Problems) != 0 {
			t.Fatalf("%q: valid with problems %v", in, kindsOf(r.Problems))
		}
		if len(r.Code) != 18 {
			t.Fatalf("%q: valid with length %d", in, len(r.Code))
		}
		if cc, ok := usccCheckChar(r.Code); !ok || cc != r.Code[17] {
			t.Fatalf("%q: valid but check recomputes to %c", in, cc)
		}
		if oc, ok := orgCheckChar(r.Code[8:16]); !ok || oc != r.Code[16] {
			t.Fatalf("%q: valid but org check recomputes to %c", in, oc)
		}
		if r.AuthorityName == "" || r.EntityTypeName == "" || !allDigits(r.Region) {
			t.Fatalf("%q: valid but not decoded: %+v", in, r)
		}
	case Flagged:
		if !onlyCheckProblems(r.Problems) {
			t.Fatalf("%q: flagged with %v", in, kindsOf(r.Problems))
		}
		if _, ok := DefaultLegacy().Match(r.Code); !ok {
			t.Fatalf("%q: flagged but not listed", in)
		}
	case Invalid:
		if len(r.Problems) == 0 {
			t.Fatalf("%q: invalid without problems", in)
		}
	default:
		t.Fatalf("%q: status %v", in, r.Status)
	}
	if again := CheckUSCC(r.Code); !reflect.DeepEqual(again, r) {
		t.Fatalf("%q: not idempotent", in)
	}
}

func assertMutationsDetected(t *testing.T, code, alphabet string) {
	t.Helper()
	for i := 0; i < 18; i++ {
		for _, c := range []byte(alphabet) {
			if c == code[i] {
				continue
			}
			m := code[:i] + string(c) + code[i+1:]
			if normalise(m) == code {
				continue // lower case of the same character
			}
			if r := CheckUSCC(m); r.Status == Valid {
				t.Fatalf("%s → %s (position %d) still valid", code, m, i+1)
			}
		}
	}
}

// FuzzCheckResidentID: the same invariants for GB 11643, whose weights are
// non-zero modulo the prime 11, so any single-digit substitution among
// positions 1–17 is detected, as is any change of position 18.
func FuzzCheckResidentID(f *testing.F) {
	for _, s := range []string{
		"11010519491231002X", "440524188001010014", "110105194912310021",
		"000000000000000000", "11010519900230", "",
	} {
		f.Add(s)
	}
	c := fixedChecker(nil)
	f.Fuzz(func(t *testing.T, s string) {
		r := c.CheckResidentID(s)
		if r.Code != normalise(s) || r.Kind != KindResidentID || r.Reason() == "" {
			t.Fatalf("%q: %+v", s, r)
		}
		if (r.Status == Valid) != (len(r.Problems) == 0) || r.Status == Flagged {
			t.Fatalf("%q: status %v with %v", s, r.Status, kindsOf(r.Problems))
		}
		if again := c.CheckResidentID(r.Code); !reflect.DeepEqual(again, r) {
			t.Fatalf("%q: not idempotent", s)
		}
		id := r.Code
		if len(id) == 18 && allDigits(id[:17]) {
			id = id[:17] + string(idCheckChar(id))
		}
		for _, in := range []string{r.Code, id} {
			v := c.CheckResidentID(in)
			if v.Status != Valid {
				continue
			}
			if idCheckChar(v.Code) != v.Code[17] || v.Birth.IsZero() || v.Birth.After(fixedNow) ||
				v.Male != ((v.Code[16]-'0')%2 == 1) || v.Region != v.Code[:6] {
				t.Fatalf("%q: valid but inconsistent: %+v", in, v)
			}
			for i := 0; i < 18; i++ {
				for _, ch := range []byte("0123456789X") {
					if ch == v.Code[i] {
						continue
					}
					m := v.Code[:i] + string(ch) + v.Code[i+1:]
					if c.CheckResidentID(m).Status == Valid {
						t.Fatalf("%s → %s (position %d) still valid", v.Code, m, i+1)
					}
				}
			}
		}
	})
}
