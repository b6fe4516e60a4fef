package gen_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/chinatime"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/gen"
	"github.com/xinyong/xinyong/internal/uscc"
)

func TestDeterministic(t *testing.T) {
	cat, _ := catalog.Default()
	for _, item := range gen.Items {
		it, _ := cat.Item(item)
		var out [2]bytes.Buffer
		for i := range out {
			g, err := gen.NewRecords(gen.RecordOptions{Item: item, Seed: 9, ErrorRate: 0.2})
			if err != nil {
				t.Fatal(err)
			}
			if err := gen.WriteFile(&out[i], it, g, gen.FileOptions{Format: "csv", Encoding: "gbk", Style: "legacy", Rows: 300}); err != nil {
				t.Fatal(err)
			}
		}
		if !bytes.Equal(out[0].Bytes(), out[1].Bytes()) || out[0].Len() == 0 {
			t.Errorf("%s: two runs with one seed differ", item)
		}
	}
}

// TestCleanRowsAreValid: without injected errors every row passes the
// catalogue's checks and every code its check characters.
func TestCleanRowsAreValid(t *testing.T) {
	cat, _ := catalog.Default()
	now := time.Date(2026, 11, 2, 12, 0, 0, 0, chinatime.Location)
	for _, item := range gen.Items {
		it, _ := cat.Item(item)
		g, _ := gen.NewRecords(gen.RecordOptions{Item: item, Seed: 5, Now: now})
		kinds := map[credit.SubjectKind]int{}
		for range 2000 {
			r := g.Next()
			if errs := it.Validate(r.Fields, now); len(errs) > 0 {
				t.Fatalf("%s: %v in %v", item, errs, r.Fields)
			}
			if c := r.Fields[it.Keys.SubjectCode]; c != "" && uscc.CheckUSCC(c).Status != uscc.Valid {
				t.Fatalf("%s: invalid code %s", item, c)
			}
			if id := r.Fields[it.Keys.SubjectIDNo]; id != "" && uscc.CheckResidentID(id).Status != uscc.Valid {
				t.Fatalf("%s: invalid ID %s", item, id)
			}
			kinds[it.SubjectKindOf(r.Fields)]++
		}
		if kinds[credit.Organisation] == 0 || kinds[credit.IndividualBusiness] == 0 || kinds[credit.Person] == 0 {
			t.Errorf("%s: subject kinds %v", item, kinds)
		}
	}
}

func TestErrorRate(t *testing.T) {
	g, _ := gen.NewRecords(gen.RecordOptions{Item: "admin_penalty", Seed: 1, ErrorRate: 0.1})
	seen := map[string]int{}
	bad := 0
	for range 20000 {
		if e := g.Next().Error; e != "" {
			bad++
			seen[e]++
		}
	}
	if bad < 1700 || bad > 2300 {
		t.Errorf("%d bad rows of 20000 at rate 0.1", bad)
	}
	for _, k := range gen.ErrorKinds {
		if seen[k] == 0 {
			t.Errorf("error kind %s never injected", k)
		}
	}
	if _, err := gen.NewRecords(gen.RecordOptions{Item: "nope"}); err == nil {
		t.Error("unknown item accepted")
	}
	if _, err := gen.NewRecords(gen.RecordOptions{Item: "honour", Errors: []string{"typo"}}); err == nil {
		t.Error("unknown error kind accepted")
	}
}

// TestParts: parts of one department's item draw other rows from the same
// population.
func TestParts(t *testing.T) {
	cat, _ := catalog.Default()
	dept, err := cat.Department("SAMR-350100")
	if err != nil {
		t.Fatal(err)
	}
	gens := make([]*gen.RecordGen, 2)
	for p := range gens {
		if gens[p], err = gen.NewRecords(gen.RecordOptions{Item: "admin_penalty", Seed: 4, Dept: dept, Part: p, Subjects: 1000}); err != nil {
			t.Fatal(err)
		}
	}
	if gens[0].SubjectAt(17) != gens[1].SubjectAt(17) {
		t.Fatal("two parts have different populations")
	}
	same := 0
	for range 100 {
		if gens[0].Next().Fields["cf_wsh"] == gens[1].Next().Fields["cf_wsh"] {
			same++
		}
	}
	if same > 5 {
		t.Fatalf("%d of 100 rows of two parts share their document number", same)
	}
}

// TestNamesFitCodes: a generated organisation's name fits the kind its
// code says: only enterprises are companies, a government office's code
// (11…) names an office, a social organisation's (51…) an association.
func TestNamesFitCodes(t *testing.T) {
	g, err := gen.NewRecords(gen.RecordOptions{Item: "admin_penalty", Seed: 3, Subjects: 3000})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for i := range 3000 {
		s := g.SubjectAt(i)
		if s.Code == "" {
			continue
		}
		kind := s.Code[:2]
		seen[kind]++
		company := strings.HasSuffix(s.Name, "公司")
		switch {
		case kind == "91" && !company:
			t.Errorf("%s %s: an enterprise's code, not a company's name", s.Code, s.Name)
		case kind[0] != '9' && kind != "Y1" && company:
			t.Errorf("%s %s: a company's name on a code of authority %c", s.Code, s.Name, kind[0])
		case kind == "11" && !strings.HasSuffix(s.Name, "局") && !strings.HasSuffix(s.Name, "委员会"):
			t.Errorf("%s %s: a government office's code", s.Code, s.Name)
		case kind == "51" && !strings.HasSuffix(s.Name, "协会"):
			t.Errorf("%s %s: a social organisation's code", s.Code, s.Name)
		}
	}
	if seen["11"] == 0 || seen["51"] == 0 || seen["91"] == 0 {
		t.Fatalf("too few kinds drawn: %v", seen)
	}
}
