package uscc

import (
	"strings"
	"testing"
	"time"

	"github.com/xinyong/xinyong/internal/chinatime"
)

func TestCheckResidentID(t *testing.T) {
	c := fixedChecker(nil)
	tests := []struct {
		name  string
		in    string
		kinds []kindPos
	}{
		// The two examples printed in GB 11643-1999.
		{"standard example female", "11010519491231002X", nil},
		{"standard example male", "440524188001010014", nil},
		{"lower-case x", " 11010519491231002x ", nil},
		{"born today", fixID("11010520250615001"), nil},
		{"leap day", fixID("11010520000229001"), nil},
		{"id_check", "110105194912310021", []kindPos{{ProblemIDCheck, 18}}},
		{"length", "11010519491231002", []kindPos{{ProblemLength, 0}}},
		{"old 15 digit", "110105491231002", []kindPos{{ProblemLength, 0}}},
		{"char", "1101051949123100AX", []kindPos{{ProblemChar, 17}}},
		{"X inside", "11010519491231X02X", []kindPos{{ProblemChar, 15}}},
		{"no such day", fixID("11010519900230001"), []kindPos{{ProblemBirthdate, 7}}},
		{"not leap", fixID("11010519000229001"), []kindPos{{ProblemBirthdate, 7}}},
		{"month 13", fixID("11010519901301001"), []kindPos{{ProblemBirthdate, 7}}},
		{"future", fixID("11010520250616001"), []kindPos{{ProblemBirthdate, 7}}},
		{"too old", fixID("11010518491231001"), []kindPos{{ProblemBirthdate, 7}}},
		{"placeholder", "000000000000000000", []kindPos{{ProblemPlaceholder, 0}, {ProblemBirthdate, 7}, {ProblemIDCheck, 18}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := c.CheckResidentID(tt.in)
			if r.Kind != KindResidentID {
				t.Errorf("kind %q", r.Kind)
			}
			wantStatus := Valid
			if tt.kinds != nil {
				wantStatus = Invalid
			}
			if r.Status != wantStatus {
				t.Errorf("status %v, want %v (%s)", r.Status, wantStatus, r.Reason())
			}
			assertKinds(t, r, tt.kinds)
		})
	}
}

func TestCheckResidentIDDecodes(t *testing.T) {
	r := fixedChecker(nil).CheckResidentID("11010519491231002X")
	if r.Region != "110105" || r.Male || !r.Birth.Equal(time.Date(1949, 12, 31, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("decoded %+v", r)
	}
	if strings.Contains(r.Reason(), "1949") {
		t.Errorf("summary leaks the birth date: %q", r.Reason())
	}
	r = fixedChecker(nil).CheckResidentID("440524188001010014")
	if !r.Male {
		t.Error("440524188001010014 is male")
	}
}

// TestResidentIDChinaDate: late on 14 June UTC it is already 15 June in
// China, so someone born on 15 June is not born in the future.
func TestResidentIDChinaDate(t *testing.T) {
	now := time.Date(2025, 6, 14, 20, 0, 0, 0, time.UTC)
	c := NewChecker(nil, func() time.Time { return now })
	if r := c.CheckResidentID(fixID("11010520250615001")); r.Status != Valid {
		t.Errorf("born today in China: %s", r.Reason())
	}
	if r := c.CheckResidentID(fixID("11010520250616001")); r.Status != Invalid {
		t.Errorf("born tomorrow in China: %v", r.Status)
	}
}

func TestCheckResidentIDPackageClock(t *testing.T) {
	tomorrow := time.Now().In(chinatime.Location).AddDate(0, 0, 2)
	id := fixID("110105" + tomorrow.Format("20060102") + "001")
	if r := CheckResidentID(id); r.Status != Invalid {
		t.Errorf("%s born after today: %v", id, r.Status)
	}
}

func TestMaskResidentID(t *testing.T) {
	tests := map[string]string{
		"110101199003071234":   "110101********1234",
		"11010519491231002X":   "110105********002X",
		" 11010519491231002X ": "110105********002X",
		"110105491231002":      "110105*****1002",
		"1234567890":           "**********",
		"":                     "",
		"１１０１０５１９４９１２３１００２Ｘ": "１１０１０５********００２Ｘ",
	}
	for in, want := range tests {
		if got := MaskResidentID(in); got != want {
			t.Errorf("MaskResidentID(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestMaskName(t *testing.T) {
	tests := map[string]string{
		"张三":     "张*",
		"欧阳娜娜":   "欧***",
		"王小明":    "王**",
		" 李四 ":   "李*",
		"张":      "张",
		"":       "",
		"买买提·艾力": "买*****",
		"Li Si":  "L****",
	}
	for in, want := range tests {
		if got := MaskName(in); got != want {
			t.Errorf("MaskName(%q) = %q, want %q", in, got, want)
		}
	}
}
