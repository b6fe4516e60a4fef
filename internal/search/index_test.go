package search

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/gen"
	"github.com/xinyong/xinyong/internal/store/sqlite"
)

func sub(id, name string, former ...string) credit.SubjectName {
	return credit.SubjectName{ID: id, Kind: credit.Organisation, Code: id, Name: name, FormerNames: former}
}

func ids(r Result) []string {
	out := []string{}
	for _, h := range r.Hits {
		out = append(out, h.ID)
	}
	return out
}

func TestSearch(t *testing.T) {
	x := New()
	x.Put(
		sub("91440300708461136T", "华为技术有限公司"),
		sub("91350900MA2XN3U50T", "宁德时代新能源科技股份有限公司", "宁德新能源"),
		sub("91110000100000001A", "北京华为代理商贸有限公司"),
		sub("91110000100000002B", "华为"),
		sub("91110000100000003C", "深圳新华为科技有限公司", "华为深圳分部"),
		sub("91110000100000004D", "福州ＡＢＣ电子有限公司"),
		sub("91110000100000005E", "老字号商行", "德华老店"),
		credit.SubjectName{ID: "Pxyz", Kind: credit.Person, Name: "华为人"},
	)
	cases := []struct {
		q     string
		want  []string
		match []Match
	}{
		// exact, then prefix, then substring; within each, the current name
		// before a former one.
		{"华为", []string{"91110000100000002B", "91440300708461136T", "91110000100000003C", "91110000100000001A"},
			[]Match{MatchExact, MatchPrefix, MatchPrefix, MatchSubstring}},
		{"宁德", []string{"91350900MA2XN3U50T"}, []Match{MatchPrefix}},
		{"宁德新能源", []string{"91350900MA2XN3U50T"}, []Match{MatchExact}},
		{"时代新能源", []string{"91350900MA2XN3U50T"}, []Match{MatchSubstring}},
		{"德华", []string{"91110000100000005E"}, []Match{MatchPrefix}},
		{"华为深圳", []string{"91110000100000003C"}, []Match{MatchPrefix}},
		{"华", []string{"91440300708461136T", "91110000100000002B", "91110000100000003C", "91110000100000001A", "91110000100000005E"}, nil},
		{"abc", []string{"91110000100000004D"}, nil}, // full-width and case folded
		{"ＡＢＣ电子", []string{"91110000100000004D"}, nil},
		{"91440300708461136T", []string{"91440300708461136T"}, []Match{MatchCode}},
		{"9144030070", []string{"91440300708461136T"}, []Match{MatchCodePart}},
		{"为人", []string{}, nil}, // persons are not indexed
		{"华为技术有限公司X", []string{}, nil},
		{"技术有限公司", []string{"91440300708461136T"}, nil},
		{"  ", []string{}, nil},
	}
	for _, c := range cases {
		r := x.Search(c.q, 10)
		if got := ids(r); !slices.Equal(got, c.want) {
			t.Errorf("Search(%q) = %v, want %v", c.q, got, c.want)
			continue
		}
		for i, m := range c.match {
			if r.Hits[i].Match != m {
				t.Errorf("Search(%q) hit %d matched %s, want %s", c.q, i, r.Hits[i].Match, m)
			}
		}
		if r.Total != len(c.want) {
			t.Errorf("Search(%q) total %d, want %d", c.q, r.Total, len(c.want))
		}
	}
	if r := x.Search("华为深圳", 10); !r.Hits[0].Former {
		t.Errorf("former-name hit not marked")
	}
	if r := x.Search("华为", 2); len(r.Hits) != 2 || r.Total != 4 {
		t.Errorf("limit 2: %d hits, total %d", len(r.Hits), r.Total)
	}

	// Rename: the old name stops matching, the new one matches, the old
	// becomes a former name.
	x.Put(sub("91440300708461136T", "华为终端有限公司", "华为技术有限公司"))
	if r := x.Search("终端", 10); !slices.Equal(ids(r), []string{"91440300708461136T"}) {
		t.Errorf("after rename, 终端 = %v", ids(r))
	}
	if r := x.Search("华为技术", 10); len(r.Hits) != 1 || !r.Hits[0].Former {
		t.Errorf("after rename, 华为技术 = %+v", r.Hits)
	}
	// A subject that becomes a person (or is re-keyed) leaves the index.
	x.Put(credit.SubjectName{ID: "91110000100000002B", Kind: credit.Person, Name: "华为"})
	if r := x.Search("华为", 10); slices.Contains(ids(r), "91110000100000002B") {
		t.Errorf("removed subject still found")
	}
	if x.Len() != 6 {
		t.Errorf("Len = %d, want 6", x.Len())
	}
}

// TestSearchAgainstScan checks the index against a brute-force substring
// scan over generated names, for queries of one to five characters, across
// renames and a compaction.
func TestSearchAgainstScan(t *testing.T) {
	names := gen.NewNames(7)
	places := []string{"福州", "厦门", "宁德", "泉州", ""}
	x := New()
	all := map[string]credit.SubjectName{}
	put := func(s credit.SubjectName) {
		x.Put(s)
		all[s.ID] = s
	}
	for i := range 3000 {
		put(sub(fmt.Sprintf("S%05d", i), names.Company(places[i%len(places)])))
	}
	for i := range 1500 { // renames: compaction runs (dead > 1024 and > 1/4)
		id := fmt.Sprintf("S%05d", i*2)
		old := all[id]
		put(sub(id, names.Company("宁德"), old.Name))
	}
	scan := func(q string) map[string]bool {
		out := map[string]bool{}
		for id, s := range all {
			if strings.Contains(s.Name, q) || slices.ContainsFunc(s.FormerNames, func(f string) bool { return strings.Contains(f, q) }) {
				out[id] = true
			}
		}
		return out
	}
	var queries []string
	for i := range 300 {
		s := all[fmt.Sprintf("S%05d", i*7%3000)]
		rs := []rune(s.Name)
		n := 1 + i%5
		at := i % (len(rs) - n)
		queries = append(queries, string(rs[at:at+n]))
	}
	queries = append(queries, "宁德", "有限", "恒泰", "不存在的")
	for _, q := range queries {
		want := scan(q)
		r := x.Search(q, CountCap)
		got := map[string]bool{}
		for _, h := range r.Hits {
			got[h.ID] = true
		}
		if len(want) < CountCap && (len(got) != len(want) || r.Total != len(want)) {
			t.Fatalf("Search(%q): %d hits (total %d), scan finds %d", q, len(got), r.Total, len(want))
		}
		for id := range got {
			if !want[id] {
				t.Fatalf("Search(%q) returned %s which does not match", q, id)
			}
		}
	}
}

func TestFollowStore(t *testing.T) {
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "x.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	var subs []credit.Subject
	for i := range 25000 { // more than one page
		subs = append(subs, credit.Subject{ID: fmt.Sprintf("S%05d", i), Kind: credit.Organisation, Code: fmt.Sprintf("S%05d", i),
			Name: fmt.Sprintf("测试%05d号公司", i), UpdatedAt: now})
	}
	subs = append(subs, credit.Subject{ID: "P1", Kind: credit.Person, Name: "宁德人", UpdatedAt: now})
	if err := st.PutSubjects(t.Context(), subs); err != nil {
		t.Fatal(err)
	}
	x := New()
	var progress []int
	n, err := x.Refresh(t.Context(), st, func(n int) { progress = append(progress, n) })
	if err != nil || n != 25001 || x.Len() != 25000 || len(progress) != 3 {
		t.Fatalf("Refresh = %d, %v; Len %d; progress %v", n, err, x.Len(), progress)
	}
	// A new subject and a rename, written later, are picked up by the next refresh.
	later := now.Add(time.Minute)
	if err := st.PutSubjects(t.Context(), []credit.Subject{
		{ID: "N1", Kind: credit.Organisation, Code: "N1", Name: "宁德时代新能源科技股份有限公司", UpdatedAt: later},
		{ID: "S00001", Kind: credit.Organisation, Code: "S00001", Name: "华为技术有限公司", FormerNames: []string{"测试00001号公司"}, UpdatedAt: later},
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := x.Refresh(t.Context(), st, nil); err != nil {
		t.Fatal(err)
	}
	if r := x.Search("宁德", 10); !slices.Equal(ids(r), []string{"N1"}) {
		t.Fatalf("宁德 after refresh = %v", ids(r))
	}
	if r := x.Search("华为", 10); !slices.Equal(ids(r), []string{"S00001"}) {
		t.Fatalf("华为 after refresh = %v", ids(r))
	}
	if r := x.Search("00001号", 10); len(r.Hits) != 1 || !r.Hits[0].Former {
		t.Fatalf("old name after rename = %+v", r.Hits)
	}
}
