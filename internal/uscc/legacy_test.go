package uscc

import (
	"strings"
	"testing"
)

func TestDefaultLegacy(t *testing.T) {
	if DefaultLegacy().Len() == 0 {
		t.Fatal("embedded legacy list is empty")
	}
	r := CheckUSCC("91350203M0001QKT19")
	if r.Status != Flagged {
		t.Fatalf("status %v, want flagged (%s)", r.Status, r.Reason())
	}
	assertKinds(t, r, []kindPos{{ProblemCheck, 18}})
	if p := r.Problems[0]; p.Got != "9" || p.Want != "F" {
		t.Errorf("problem %+v", p)
	}
	if !strings.Contains(r.Reason(), "legacy") {
		t.Errorf("Reason() does not say why it is only flagged: %q", r.Reason())
	}
	// Lower case and blanks do not defeat the list.
	if r := CheckUSCC(" 91350203m0001qkt19"); r.Status != Flagged {
		t.Errorf("normalised input: %v", r.Status)
	}
	// Other Xiamen codes failing their check are not flagged: the list is
	// per code, not per region.
	bad := fixUSCC("91350203", "MA000001")
	bad = bad[:17] + string(codeChars[(strings.IndexByte(codeChars, bad[17])+1)%31])
	if r := CheckUSCC(bad); r.Status != Invalid {
		t.Errorf("%s: status %v, want invalid", bad, r.Status)
	}
}

func TestLegacyOnlyCheckFaults(t *testing.T) {
	// Listed codes with other faults stay Invalid.
	l, err := LoadLegacy(strings.NewReader("9135020AM0001QKT19\n91350203M0001QKT1Z\n92350203M0001QKT5X\n"))
	if err != nil {
		t.Fatal(err)
	}
	c := fixedChecker(l)
	for _, code := range []string{"9135020AM0001QKT19", "91350203M0001QKT1Z"} {
		if r := c.CheckUSCC(code); r.Status != Invalid {
			t.Errorf("%s: status %v, want invalid (%v)", code, r.Status, kindsOf(r.Problems))
		}
	}
	// Both check characters wrong, nothing else: flagged.
	r := c.CheckUSCC("92350203M0001QKT5X")
	if r.Status != Flagged {
		t.Errorf("status %v, want flagged (%v)", r.Status, kindsOf(r.Problems))
	}
	assertKinds(t, r, []kindPos{{ProblemOrgCodeCheck, 17}, {ProblemCheck, 18}})
	// A listed code that happens to be valid is simply Valid.
	valid := "91350100M000100Y43"
	l2, _ := LoadLegacy(strings.NewReader(valid))
	if r := fixedChecker(l2).CheckUSCC(valid); r.Status != Valid {
		t.Errorf("%s: %v", valid, r.Status)
	}
}

func TestLegacyOverride(t *testing.T) {
	code := "91350203M0001QKT19"
	// An administrator's list without the code, and no list at all.
	l, err := LoadLegacy(strings.NewReader("# nothing here\n\n"))
	if err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]*Checker{"empty list": fixedChecker(l), "nil list": NewChecker(nil, nil), "zero": {}} {
		if r := c.CheckUSCC(code); r.Status != Invalid {
			t.Errorf("%s: status %v, want invalid", name, r.Status)
		}
	}

	// A prefix rule covers its block and nothing else.
	l, err = LoadLegacy(strings.NewReader("91350203M0001*   # block confirmed by the authority\n"))
	if err != nil {
		t.Fatal(err)
	}
	c := fixedChecker(l)
	in := fixUSCC("91350203", "M0001ABC")
	inBad := in[:17] + string(codeChars[(strings.IndexByte(codeChars, in[17])+1)%31])
	out := fixUSCC("91350203", "M0002ABC")
	outBad := out[:17] + string(codeChars[(strings.IndexByte(codeChars, out[17])+1)%31])
	for code, want := range map[string]Status{in: Valid, inBad: Flagged, out: Valid, outBad: Invalid} {
		if r := c.CheckUSCC(code); r.Status != want {
			t.Errorf("%s: status %v, want %v", code, r.Status, want)
		}
	}
	if rule, ok := l.Match(inBad); !ok || rule != "91350203M0001*" {
		t.Errorf("Match(%s) = %q, %v", inBad, rule, ok)
	}
}

func TestLoadLegacy(t *testing.T) {
	good := `
# comment
91350203m0001qkt19   # lower case is fine
  91350203M0002*
`
	l, err := LoadLegacy(strings.NewReader(good))
	if err != nil {
		t.Fatal(err)
	}
	if l.Len() != 2 {
		t.Errorf("Len() = %d, want 2", l.Len())
	}
	if _, ok := l.Match("91350203M0001QKT19"); !ok {
		t.Error("exact code not matched")
	}
	for _, bad := range []string{
		"9135*",               // prefix too broad
		"*",                   // everything
		"91350203M0001QKT1",   // 17 characters, no star
		"91350203M0001QKT190", // 19 characters
		"91350203-0001QKT19",  // not alphanumeric
		"91350203M0001QKT19*", // an 18-character prefix is a code
		"9135 0203M0001QKT19",
	} {
		if _, err := LoadLegacy(strings.NewReader("# ok\n" + bad + "\n")); err == nil {
			t.Errorf("LoadLegacy accepted %q", bad)
		} else if !strings.Contains(err.Error(), "line 2") {
			t.Errorf("error does not name the line: %v", err)
		}
	}
	var nilList *Legacy
	if _, ok := nilList.Match("91350203M0001QKT19"); ok || nilList.Len() != 0 {
		t.Error("nil list matched")
	}
}

func TestCheckClassification(t *testing.T) {
	c := fixedChecker(DefaultLegacy())
	g := NewGenerator(3)
	id := g.ResidentID("350203", mustDate("1985-07-01"), false)
	tests := []struct {
		in     string
		kind   string
		status Status
	}{
		{"91350100M000100Y43", KindUSCC, Valid},
		{"91350100M000100Y4Z", KindUSCC, Invalid},
		{"91350203M0001QKT19", KindUSCC, Flagged},
		{"11010519491231002X", KindResidentID, Valid},
		{"11010519491231002x", KindResidentID, Valid},
		{id, KindResidentID, Valid},
		// ID check passes but the date is impossible: still a resident ID,
		// so the department hears about the date, not about USCC fields.
		{fixID("11010519900230001"), KindResidentID, Invalid},
		// ID check fails too: nothing says it is an ID, so USCC rules apply.
		{"110105194912310021", KindUSCC, Invalid},
		{"11010519491231002", KindUSCC, Invalid},
		{"", KindUSCC, Invalid},
	}
	for _, tt := range tests {
		r := c.Check(tt.in)
		if r.Kind != tt.kind || r.Status != tt.status {
			t.Errorf("Check(%q) = %s/%v, want %s/%v (%s)", tt.in, r.Kind, r.Status, tt.kind, tt.status, r.Reason())
		}
	}
	if r := Check("11010519491231002X"); r.Kind != KindResidentID {
		t.Errorf("package Check: %s", r.Kind)
	}

	// An all-digit code valid under both standards is a USCC, as documented.
	found := false
	for i := 0; i < 200000 && !found; i++ {
		s := g.USCC('9', '1', g.RandomRegion())
		if allDigits(s) && idCheckChar(s) == s[17] {
			found = true
			if r := c.Check(s); r.Kind != KindUSCC || r.Status != Valid {
				t.Errorf("Check(%s) = %s/%v, want uscc/valid", s, r.Kind, r.Status)
			}
		}
	}
	if !found {
		t.Error("no all-digit code passing both checks found")
	}
}
