package uscc

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestCheckUSCCExamples(t *testing.T) {
	tests := []struct {
		in     string
		status Status
		kinds  []kindPos
	}{
		// The example from GB 32100 itself.
		{"91350100M000100Y43", Valid, nil},
		// Trimming and upper-casing.
		{"  91350100m000100y43\t", Valid, nil},
		{"\u300091350100M000100Y43\u3000", Valid, nil},
		// Z is outside the code set and the check is still computable.
		{"91350100M000100Y4Z", Invalid, []kindPos{{ProblemChar, 18}, {ProblemCheck, 18}}},
		{"91350100M000100Y44", Invalid, []kindPos{{ProblemCheck, 18}}},
		// A regex-only validator accepts this one.
		{"111111111111111111", Invalid, []kindPos{{ProblemPlaceholder, 0}, {ProblemOrgCodeCheck, 17}, {ProblemCheck, 18}}},
		{"00000000000000000X", Invalid, []kindPos{{ProblemPlaceholder, 0}, {ProblemAuthority, 1}, {ProblemCheck, 18}}},
		// Not in the default legacy list: another Xiamen code failing its
		// check stays Invalid.
		{"91350203M0001QKT18", Invalid, []kindPos{{ProblemCheck, 18}}},
	}
	for _, tt := range tests {
		r := CheckUSCC(tt.in)
		if r.Status != tt.status {
			t.Errorf("%q: status %v, want %v (%s)", tt.in, r.Status, tt.status, r.Reason())
		}
		if r.Kind != KindUSCC {
			t.Errorf("%q: kind %q", tt.in, r.Kind)
		}
		assertKinds(t, r, tt.kinds)
	}
}

func TestCheckUSCCDecodes(t *testing.T) {
	r := CheckUSCC("91350100M000100Y43")
	want := Result{
		Code: "91350100M000100Y43", Kind: KindUSCC, Status: Valid,
		Authority: "9", AuthorityName: "工商/市场监管",
		EntityType: "1", EntityTypeName: "企业",
		Region: "350100", OrgCode: "M000100Y4",
	}
	if r.Code != want.Code || r.Authority != want.Authority || r.AuthorityName != want.AuthorityName ||
		r.EntityType != want.EntityType || r.EntityTypeName != want.EntityTypeName ||
		r.Region != want.Region || r.OrgCode != want.OrgCode || !r.Birth.IsZero() {
		t.Errorf("decoded %+v\nwant    %+v", r, want)
	}
	if got, want := r.Reason(), "工商/市场监管 · 企业 · region 350100 福州市"; got != want {
		t.Errorf("Reason() = %q, want %q", got, want)
	}
}

func TestCheckUSCCProblemKinds(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		kinds []kindPos
	}{
		{"length short", "9135010", []kindPos{{ProblemLength, 0}}},
		{"length long with dash", "91350100-M000100Y43", []kindPos{{ProblemLength, 0}, {ProblemChar, 9}}},
		{"empty", "", []kindPos{{ProblemLength, 0}}},
		{"placeholder short", "000000000", []kindPos{{ProblemPlaceholder, 0}, {ProblemLength, 0}}},
		{"placeholder word", "无", []kindPos{{ProblemPlaceholder, 0}, {ProblemLength, 0}, {ProblemChar, 1}}},
		// O is a legal organisation-code letter but has no GB 32100 value,
		// so the USCC check cannot be computed; the org check can.
		{"char in org code", fixUSCC("91350100", "M00010OY"), []kindPos{{ProblemChar, 15}}},
		{"char full-width digit", "９1350100M000100Y43", []kindPos{{ProblemChar, 1}}},
		{"authority", fixUSCC("B1350100", "M000100Y"), []kindPos{{ProblemAuthority, 1}}},
		{"authority not in set", fixUSCC("I1350100", "M000100Y"), []kindPos{{ProblemChar, 1}}},
		{"type", fixUSCC("94350100", "M000100Y"), []kindPos{{ProblemType, 2}}},
		{"type Y2", fixUSCC("Y2350100", "M000100Y"), []kindPos{{ProblemType, 2}}},
		{"region letter", fixUSCC("913501A0", "M000100Y"), []kindPos{{ProblemRegion, 3}}},
		{"orgcode check", orgBroken(), []kindPos{{ProblemOrgCodeCheck, 17}}},
		{"check", "91350100M000100Y42", []kindPos{{ProblemCheck, 18}}},
		// Type is not judged under an unknown authority; the USCC check is
		// not computable with O in the body.
		{"everything", "B4ABCDEFMOOOOOOO9Z", []kindPos{
			{ProblemChar, 10}, {ProblemChar, 11}, {ProblemChar, 12}, {ProblemChar, 13}, {ProblemChar, 14},
			{ProblemChar, 15}, {ProblemChar, 16}, {ProblemChar, 18}, {ProblemAuthority, 1}, {ProblemRegion, 3},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := CheckUSCC(tt.in)
			if r.Status != Invalid {
				t.Errorf("status %v, want invalid", r.Status)
			}
			if strings.Contains(r.Reason(), "\n") || r.Reason() == "" {
				t.Errorf("Reason() not one line: %q", r.Reason())
			}
			assertKinds(t, r, tt.kinds)
		})
	}
}

// orgBroken returns a code whose only fault is the GB 11714 digit: position
// 17 is changed and position 18 recomputed to match.
func orgBroken() string {
	s := []byte("91350100M000100Y")
	s = append(s, '5') // the right digit is 4
	cc, _ := usccCheckChar(string(s))
	return string(append(s, cc))
}

func TestCheckUSCCProblemDetails(t *testing.T) {
	r := CheckUSCC("91350100M000100Y44")
	p := r.Problems[0]
	if p.Got != "4" || p.Want != "3" || p.Pos != 18 {
		t.Errorf("problem %+v", p)
	}
	if want := "wrong check character at position 18: got 4, want 3"; r.Reason() != want {
		t.Errorf("Reason() = %q, want %q", r.Reason(), want)
	}
	r = CheckUSCC(orgBroken())
	if p := r.Problems[0]; p.Got != "5" || p.Want != "4" {
		t.Errorf("orgcode problem %+v", p)
	}
	r = CheckUSCC("00000000000000000X")
	if !strings.Contains(r.Reason(), "real code") {
		t.Errorf("placeholder reason should ask for the real code: %q", r.Reason())
	}
	// Reason stays one line with a count when there are many problems.
	r = CheckUSCC("IOSVZIOSVZIOSVZIOS")
	if !strings.Contains(r.Reason(), "more)") {
		t.Errorf("long reason not truncated: %q", r.Reason())
	}
}

// TestCheckCharZero guards against the common bug of mapping 31 to nothing:
// codes whose check character is '0' must validate.
func TestCheckCharZero(t *testing.T) {
	g := NewGenerator(7)
	found := 0
	for i := 0; i < 20000 && found < 50; i++ {
		c := g.RandomUSCC()
		if c[17] != '0' {
			continue
		}
		found++
		if r := CheckUSCC(c); r.Status != Valid {
			t.Fatalf("%s: %v %s", c, r.Status, r.Reason())
		}
	}
	if found < 50 {
		t.Fatalf("found only %d codes with check character 0", found)
	}
	// Fixed ones, cross-checked with an independent implementation, so the
	// case does not depend on the generator alone.
	for _, c := range []string{"914101055473315590", "92420106MA9MRA9640"} {
		if r := CheckUSCC(c); r.Status != Valid {
			t.Errorf("%s: %s", c, r.Reason())
		}
		for _, alt := range []string{"1", "X", "Y"} {
			if r := CheckUSCC(c[:17] + alt); r.Status != Invalid {
				t.Errorf("%s: status %v, want invalid", c[:17]+alt, r.Status)
			}
		}
	}
}

// TestOrgCheckSpecialValues covers 10 → X and 11 → 0 in GB 11714.
func TestOrgCheckSpecialValues(t *testing.T) {
	g := NewGenerator(11)
	seen := map[byte]bool{}
	for i := 0; i < 5000; i++ {
		c := g.RandomUSCC()
		seen[c[16]] = true
		if r := CheckUSCC(c); r.Status != Valid {
			t.Fatalf("%s: %s", c, r.Reason())
		}
	}
	if !seen['X'] || !seen['0'] {
		t.Errorf("generator never produced org check X or 0: %v", seen)
	}
	if c, _ := orgCheckChar("00000000"); c != '0' {
		t.Errorf("org check of 00000000 = %c, want 0 (11 → 0)", c)
	}
}

// TestHugeInput: a pasted paragraph must not produce a report per character.
func TestHugeInput(t *testing.T) {
	for _, in := range []string{strings.Repeat("g", 1<<20), strings.Repeat("g-", 1<<19)} {
		for _, r := range []Result{CheckUSCC(in), CheckResidentID(in), Check(in)} {
			if r.Status != Invalid || len(r.Problems) > maxCharProblems+2 || len(r.Reason()) > 1000 {
				t.Errorf("%d problems, reason %d bytes", len(r.Problems), len(r.Reason()))
			}
		}
	}
}

func TestStatus(t *testing.T) {
	for s, want := range map[Status]string{Valid: "valid", Flagged: "flagged", Invalid: "invalid", 0: "status(0)"} {
		if s.String() != want {
			t.Errorf("%d.String() = %q, want %q", int(s), s.String(), want)
		}
	}
	var zero Result
	if zero.Status == Valid {
		t.Error("zero Result must not be Valid")
	}
	b, err := json.Marshal(struct{ S Status }{Flagged})
	if err != nil || string(b) != `{"S":"flagged"}` {
		t.Errorf("marshal: %s %v", b, err)
	}
	var v struct{ S Status }
	if err := json.Unmarshal([]byte(`{"S":"invalid"}`), &v); err != nil || v.S != Invalid {
		t.Errorf("unmarshal: %v %v", v.S, err)
	}
	if err := json.Unmarshal([]byte(`{"S":"ok"}`), &v); err == nil {
		t.Error("unmarshal of unknown status succeeded")
	}
	if _, err := json.Marshal(struct{ S Status }{}); err == nil {
		t.Error("marshal of zero status succeeded")
	}
}

func TestAuthorityTable(t *testing.T) {
	for _, tc := range []struct{ a, t byte }{{'1', '1'}, {'3', '5'}, {'9', '3'}, {'A', '1'}, {'N', '2'}, {'Y', '1'}} {
		if EntityTypeName(tc.a, tc.t) == "" {
			t.Errorf("%c%c missing", tc.a, tc.t)
		}
	}
	for _, tc := range []struct{ a, t byte }{{'9', '9'}, {'2', '2'}, {'Y', '9'}, {'B', '1'}, {'0', '1'}} {
		if EntityTypeName(tc.a, tc.t) != "" {
			t.Errorf("%c%c should be unknown", tc.a, tc.t)
		}
	}
	if AuthorityName('9') != "工商/市场监管" {
		t.Error(AuthorityName('9'))
	}
}

func BenchmarkCheckUSCC(b *testing.B) {
	for _, bc := range []struct{ name, code string }{
		{"valid", "91350100M000100Y43"},
		{"invalid", "91350100M000100Y4Z"},
		{"legacy", "91350203M0001QKT19"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				CheckUSCC(bc.code)
			}
		})
	}
}
