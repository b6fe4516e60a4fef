package uscc

import (
	"slices"
	"testing"
	"time"
)

func mustDate(s string) time.Time {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return d
}

func TestGeneratorRoundTrip(t *testing.T) {
	g := NewGenerator(42)
	pairs := map[string]int{}
	for i := 0; i < 10000; i++ {
		c := g.RandomUSCC()
		r := CheckUSCC(c)
		if r.Status != Valid {
			t.Fatalf("%s: %s", c, r.Reason())
		}
		if RegionName(r.Region) == "" {
			t.Fatalf("%s: region %s not from the table", c, r.Region)
		}
		pairs[c[:2]]++
	}
	// Weighted toward enterprises, individual businesses, cooperatives.
	if pairs["91"] < pairs["92"] || pairs["92"] < pairs["93"] || pairs["91"]+pairs["92"]+pairs["93"] < 7000 {
		t.Errorf("distribution off: %v", pairs)
	}
	if len(pairs) < 10 {
		t.Errorf("too few authority/type pairs: %v", pairs)
	}
}

func TestGeneratorDeterministic(t *testing.T) {
	seq := func(seed int64) []string {
		g := NewGenerator(seed)
		var out []string
		for range 100 {
			out = append(out, g.RandomUSCC(), g.ResidentID("440305", mustDate("1990-01-02"), true))
		}
		return out
	}
	if !slices.Equal(seq(1), seq(1)) {
		t.Error("same seed, different output")
	}
	if slices.Equal(seq(1), seq(2)) {
		t.Error("different seeds, same output")
	}
}

func TestGeneratorUSCC(t *testing.T) {
	g := NewGenerator(5)
	for a, auth := range authorities {
		for ty := range auth.types {
			c := g.USCC(a, ty, "350203")
			r := CheckUSCC(c)
			if r.Status != Valid || r.Authority != string(a) || r.EntityType != string(ty) || r.Region != "350203" {
				t.Errorf("USCC(%c,%c) = %s: %v %s", a, ty, c, r.Status, r.Reason())
			}
		}
	}
	for _, bad := range []func(){
		func() { g.USCC('9', '9', "350203") },
		func() { g.USCC('B', '1', "350203") },
		func() { g.USCC('9', '1', "35020") },
		func() { g.USCC('9', '1', "35020A") },
		func() { g.ResidentID("35020", mustDate("1990-01-01"), true) },
		func() { g.ResidentID("350203", time.Time{}, true) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Error("no panic on bad input")
				}
			}()
			bad()
		}()
	}
}

func TestGeneratorResidentID(t *testing.T) {
	g := NewGenerator(9)
	c := fixedChecker(nil)
	start := mustDate("1900-01-01")
	for i := 0; i < 10000; i++ {
		region := g.RandomRegion()
		birth := start.AddDate(0, 0, g.rng.IntN(45000))
		male := i%2 == 0
		id := g.ResidentID(region, birth, male)
		r := c.CheckResidentID(id)
		if r.Status != Valid || r.Region != region || !r.Birth.Equal(birth) || r.Male != male {
			t.Fatalf("%s (%s %s %v): %+v", id, region, birth.Format(time.DateOnly), male, r)
		}
	}
}

func TestRegions(t *testing.T) {
	rs := Regions()
	if len(rs) < 60 {
		t.Errorf("only %d regions", len(rs))
	}
	seen := map[string]bool{}
	for _, r := range rs {
		if len(r.Code) != 6 || !allDigits(r.Code) || r.Name == "" || seen[r.Code] {
			t.Errorf("bad or duplicate region %+v", r)
		}
		seen[r.Code] = true
	}
	for code, name := range map[string]string{
		"110101": "东城区", "310115": "浦东新区", "440305": "南山区", "350203": "思明区",
		"330106": "西湖区", "510107": "武侯区", "320505": "虎丘区", "999999": "",
	} {
		if got := RegionName(code); got != name {
			t.Errorf("RegionName(%s) = %q, want %q", code, got, name)
		}
	}
	rs[0].Name = "changed"
	if Regions()[0].Name == "changed" {
		t.Error("Regions exposes the package table")
	}
}
