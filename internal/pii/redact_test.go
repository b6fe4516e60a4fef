package pii_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/xinyong/xinyong/internal/pii"
)

func TestRedactIDs(t *testing.T) {
	const id = "110105195412183524" // valid (GB 11643 check digit 4)
	for _, c := range []struct{ name, in, want string }{
		{"valid 18", id, "110105********3524"},
		{"lower x", "11010519491231002x", "110105********002x"},
		{"wrong check digit", "110105195412183525", "110105********3525"},
		{"wrong check X", "11010519541218352X", "110105********352X"},
		{"15 digits", "110105540101123", "110105*****1123"},
		{"digit before", "9" + id, "911010*********3524"},
		{"digits after", id + "77", "110105**********2477"},
		{"digit before X", "911010519491231002X", "911010*********002X"},
		{"letters around", "abc" + id + "def", "abc110105********3524def"},
		{"chinese around", "身份证号" + id + "的人", "身份证号110105********3524的人"},
		{"in a path", "/api/v1/subjects/" + id + "/records", "/api/v1/subjects/110105********3524/records"},
		{"in JSON", `{"id_no":"` + id + `","n":1}`, `{"id_no":"110105********3524","n":1}`},
		{"two glued", id + id, "110105" + strings.Repeat("*", 26) + "3524"},
		{"two apart", id + " " + id, "110105********3524 110105********3524"},
		{"query value", "q=" + id + "&purpose=x", "q=110105********3524&purpose=x"},
		{"percent-encoded digits", pct(id), "%31%31%30%31%30%35********%33%35%32%34"},
		{"percent-encoded X", pct("11010519491231002") + "%58", "%31%31%30%31%30%35********%30%30%32%58"},
		{"mixed encoded", "1101" + pct("05") + "195412183524", "1101%30%35********3524"},
		{"full-width", "１１０１０５１９５４１２１８３５２４", "１１０１０５********３５２４"},
		{"full-width X", "１１０１０５１９４９１２３１００２Ｘ", "１１０１０５********００２Ｘ"},
		{"16 digits", "6222021234567890", "622202******7890"},
		{"14 digits stay", "12345678901234", "12345678901234"},
		{"short stays", "2026-11-20 10:00", "2026-11-20 10:00"},
		{"USCC with letters stays", "91350100M000100Y43", "91350100M000100Y43"},
		{"X not after a run stays", "X" + "12345", "X12345"},
		{"empty", "", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := pii.RedactIDs(c.in)
			if got != c.want {
				t.Errorf("RedactIDs(%q) = %q, want %q", c.in, got, c.want)
			}
			if c.in != c.want && strings.Contains(got, "19541218") {
				t.Errorf("birth date survives in %q", got)
			}
		})
	}
}

// TestRedactIDsHidesEveryAlignment: whatever the neighbours, no 15- or
// 18-character window of the output is an ID number's digits: nothing of a
// number that reached a log could be read back.
func TestRedactIDsHidesEveryAlignment(t *testing.T) {
	const id = "110105195412183524"
	for _, pre := range []string{"", "0", "9", "12", "x", "/", "%31", "１"} {
		for _, post := range []string{"", "0", "X", "99", "/", "%30"} {
			in := pre + id + post
			got := pii.RedactIDs(in)
			if strings.Contains(got, "195412") || strings.Contains(got, "%31%39%35") {
				t.Errorf("RedactIDs(%q) = %q keeps the birth date", in, got)
			}
		}
	}
	// Decoding the redacted text reveals nothing either.
	got := pii.RedactIDs(pct(id))
	if dec, _ := url.PathUnescape(got); strings.Contains(dec, "19541218") {
		t.Errorf("decoded %q", dec)
	}
}

func pct(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		b.WriteString("%" + strings.ToUpper(string("0123456789abcdef"[s[i]>>4])+string("0123456789abcdef"[s[i]&15])))
	}
	return b.String()
}

func BenchmarkRedactIDsNoMatch(b *testing.B) {
	s := "/api/v1/subjects/91350100M000100Y43/records"
	for b.Loop() {
		pii.RedactIDs(s)
	}
}
