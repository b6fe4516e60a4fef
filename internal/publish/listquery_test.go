package publish

import "testing"

func TestRegionWithin(t *testing.T) {
	for _, tc := range []struct {
		r, area string
		want    bool
	}{
		{"350102", "350100", true}, {"350100", "350100", true}, {"350102", "350000", true}, {"350200", "350100", false},
		{"110101", "110000", true}, {"110101", "110101", true}, {"110102", "110101", false}, {"", "350100", false},
		{"350102", "35", false}, {"360102", "350000", false},
	} {
		if got := RegionWithin(tc.r, tc.area); got != tc.want {
			t.Errorf("RegionWithin(%q, %q) = %v, want %v", tc.r, tc.area, got, tc.want)
		}
	}
}
