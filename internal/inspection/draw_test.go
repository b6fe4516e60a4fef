package inspection

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xinyong/xinyong/internal/testenv"
)

// testPool is n subjects in classes A (every 4th), B (the rest), in
// regions 330102 and 330206 alternately.
func testPool(n int) []PoolEntry {
	pool := make([]PoolEntry, n)
	for i := range pool {
		c, r := "B", "330102"
		if i%4 == 0 {
			c = "A"
		}
		if i%2 == 1 {
			r = "330206"
		}
		pool[i] = PoolEntry{ID: fmt.Sprintf("91330100MA%08d", i), Class: c, Region: r}
	}
	return pool
}

func testStatement(t testing.TB, pool []PoolEntry, ratios map[string]int) *Statement {
	t.Helper()
	st := &Statement{Format: Format, Task: "task-1", Dept: "samr_city", Matter: "daily_supervision", Title: "2026年第四季度双随机抽查",
		Item: "企业公示信息抽查", PublishedAt: testenv.DefaultNow, PerSubject: 2,
		Inspectors: []Inspector{{ID: "E01", Name: "甲", Region: "330102"}, {ID: "E02", Name: "乙", Region: "330206"},
			{ID: "E03", Name: "丙", Region: "330102"}, {ID: "E04", Name: "丁", Region: "330206"}, {ID: "E05", Name: "戊"}},
		Avoid: Avoidance{OwnRegion: true}, Recent: []Pair{}, Randomness: RandomnessRule{Source: SourceBeacon, Beacon: "公开信标 2026-12-05 第1期"}}
	if err := Plan(st, pool, ratios); err != nil {
		t.Fatal(err)
	}
	return st
}

func drawFile(t testing.TB, st *Statement, pool []PoolEntry, beacon string) *File {
	t.Helper()
	sh, err := StatementHash(st)
	if err != nil {
		t.Fatal(err)
	}
	r := Randomness{Source: SourceBeacon, Value: beacon}
	seed := Seed(sh, r)
	drawn, err := Run(st, pool, seed)
	if err != nil {
		t.Fatal(err)
	}
	return &File{Format: Format, Statement: *st, Pool: pool, Draw: &Draw{Format: Format, StatementHash: sh, Randomness: r, Seed: hex.EncodeToString(seed), Subjects: drawn}}
}

func TestDrawCountsAndDeterminism(t *testing.T) {
	pool := testPool(1000)
	st := testStatement(t, pool, map[string]int{"A": 2000, "B": 300})
	f1 := drawFile(t, st, pool, "8731")
	f2 := drawFile(t, st, pool, "8731")
	if err := Compare(f1.Draw.Subjects, f2.Draw.Subjects); err != nil {
		t.Fatalf("same inputs, different draws: %v", err)
	}
	// 250 in A at 20 % = 50; 750 in B at 3 % = 22.5, rounded up: 23.
	counts := map[string]int{}
	for _, d := range f1.Draw.Subjects {
		counts[d.Class]++
	}
	if counts["A"] != 50 || counts["B"] != 23 {
		t.Fatalf("drawn per class %v, want A 50, B 23", counts)
	}
	// Any input changes the draw: the beacon, a pool subject's class,
	// the statement.
	if f3 := drawFile(t, st, pool, "8732"); Compare(f1.Draw.Subjects, f3.Draw.Subjects) == nil {
		t.Fatal("another beacon value drew the same lists")
	}
	st2 := *st
	st2.Title += "（修订）"
	if f4 := drawFile(t, &st2, pool, "8731"); Compare(f1.Draw.Subjects, f4.Draw.Subjects) == nil {
		t.Fatal("another statement drew the same lists")
	}
}

// TestDrawUniform: over many seeds, every subject of a class is drawn
// about equally often (chi-square, 39 degrees of freedom, threshold 90:
// a uniform draw exceeds it with probability below 1e-5; the seeds are
// fixed, so the test is deterministic), and so is every position of the
// first drawn subject.
func TestDrawUniform(t *testing.T) {
	const n, seeds = 40, 4000
	pool := make([]PoolEntry, n)
	for i := range pool {
		pool[i] = PoolEntry{ID: fmt.Sprintf("S%03d", i), Class: "C"}
	}
	st := &Statement{Format: Format, Randomness: RandomnessRule{Source: SourceBeacon}}
	if err := Plan(st, pool, map[string]int{"C": 1000}); err != nil { // 4 of 40
		t.Fatal(err)
	}
	hits := make([]float64, n)
	first := make([]float64, n)
	for s := range seeds {
		seed := Seed("uniformity", Randomness{Source: SourceBeacon, Value: fmt.Sprint(s)})
		drawn, err := Run(st, pool, seed)
		if err != nil {
			t.Fatal(err)
		}
		if len(drawn) != 4 {
			t.Fatalf("drew %d, want 4", len(drawn))
		}
		for i, d := range drawn {
			var k int
			fmt.Sscanf(d.Subject, "S%03d", &k)
			hits[k]++
			if i == 0 {
				first[k]++
			}
		}
	}
	chi := func(obs []float64, total float64) float64 {
		exp := total / float64(len(obs))
		var x float64
		for _, o := range obs {
			x += (o - exp) * (o - exp) / exp
		}
		return x
	}
	if x := chi(hits, seeds*4); x > 90 {
		t.Fatalf("chi-square of how often each subject is drawn: %.1f > 90: %v", x, hits)
	} else {
		t.Logf("chi-square (39 dof) of draws per subject: %.1f", x)
	}
	if x := chi(first, seeds); x > 90 {
		t.Fatalf("chi-square of the first drawn subject: %.1f > 90", x)
	}
}

func TestAvoidance(t *testing.T) {
	pool := testPool(400)
	st := testStatement(t, pool, map[string]int{"A": 5000, "B": 1000})
	st.Avoid.RecentMonths = 6
	// E05 (no region) inspected the first A subject recently.
	st.Recent = []Pair{{Inspector: "E05", Subject: pool[0].ID}}
	region := map[string]string{}
	for _, e := range pool {
		region[e.ID] = e.Region
	}
	insRegion := map[string]string{}
	for _, in := range st.Inspectors {
		insRegion[in.ID] = in.Region
	}
	load := map[string]int{}
	for s := range 50 {
		f := drawFile(t, st, pool, fmt.Sprint("beacon ", s))
		for _, d := range f.Draw.Subjects {
			if len(d.Inspectors)+d.Missing != 2 {
				t.Fatalf("%s: %d inspectors and %d missing", d.Subject, len(d.Inspectors), d.Missing)
			}
			for _, in := range d.Inspectors {
				if r := insRegion[in]; r != "" && r == region[d.Subject] {
					t.Fatalf("inspector %s (region %s) sent to %s of the same region", in, r, d.Subject)
				}
				if in == "E05" && d.Subject == pool[0].ID {
					t.Fatalf("inspector E05 sent again to %s, inspected within the avoidance period", d.Subject)
				}
				if s == 0 {
					load[in]++
				}
			}
			if d.Missing != 0 {
				t.Fatalf("%s is missing %d inspectors though three are allowed for every region", d.Subject, d.Missing)
			}
		}
	}
	// The queue spreads the work: without avoidance, loads differ by
	// one at most; with it, the three inspectors allowed for the many
	// subjects of 330102 share them evenly.
	st0 := *st
	st0.Avoid = Avoidance{}
	even := map[string]int{}
	for _, d := range drawFile(t, &st0, pool, "beacon 0").Draw.Subjects {
		for _, in := range d.Inspectors {
			even[in]++
		}
	}
	lo, hi := 1<<30, 0
	for _, n := range even {
		lo, hi = min(lo, n), max(hi, n)
	}
	if len(even) != 5 || hi-lo > 1 {
		t.Fatalf("loads without avoidance %v differ by more than one", even)
	}
	if a, b, c := load["E02"], load["E04"], load["E05"]; max(a, b, c)-min(a, b, c) > 6 {
		t.Fatalf("loads %v: E02, E04, E05 do not share the 330102 subjects evenly", load)
	}
	// A subject whose region every inspector but one is of gets that one
	// and is said to be short of one.
	st2 := testStatement(t, pool[:8], map[string]int{"A": 10000, "B": 10000})
	st2.Inspectors = []Inspector{{ID: "X1", Name: "甲", Region: "330100"}, {ID: "X2", Name: "乙", Region: "330200"}}
	f := drawFile(t, st2, pool[:8], "b")
	for _, d := range f.Draw.Subjects {
		if len(d.Inspectors) != 1 || d.Missing != 1 {
			t.Fatalf("%s (%s): inspectors %v missing %d; want one of the other city and one missing", d.Subject, region[d.Subject], d.Inspectors, d.Missing)
		}
	}
}

func TestVerify(t *testing.T) {
	pool := testPool(500)
	st := testStatement(t, pool, map[string]int{"A": 1000, "B": 500})
	f := drawFile(t, st, pool, "公开信标值 7f3a")
	var buf bytes.Buffer
	if err := json.NewEncoder(&buf).Encode(f); err != nil {
		t.Fatal(err)
	}
	good := buf.String()
	read := func(s string) *File {
		t.Helper()
		g, err := ReadFile(strings.NewReader(s))
		if err != nil {
			t.Fatal(err)
		}
		return g
	}
	v, err := Verify(read(good), nil)
	if err != nil {
		t.Fatalf("a published draw does not verify: %v", err)
	}
	if v.Drawn != len(f.Draw.Subjects) || v.PoolSize != 500 {
		t.Fatalf("verified %+v", v)
	}

	other := pool[3].ID
	tamper := []struct {
		name string
		edit func(f *File)
		want string
	}{
		{"a drawn subject replaced", func(f *File) { f.Draw.Subjects[0].Subject = other }, "drawn subject #1"},
		{"a subject dropped", func(f *File) { f.Draw.Subjects = f.Draw.Subjects[1:] }, "drawn subject #1"},
		{"inspectors swapped", func(f *File) {
			d := &f.Draw.Subjects[2]
			d.Inspectors[0], d.Inspectors[1] = d.Inspectors[1], d.Inspectors[0]
		}, "assigns inspectors"},
		{"a pool subject's class changed", func(f *File) { f.Pool[5].Class = "A" }, "pool snapshot was changed"},
		{"a pool subject removed", func(f *File) { f.Pool = slices.Delete(f.Pool, 7, 8) }, "pool snapshot was changed"},
		{"a ratio changed", func(f *File) { f.Statement.Classes[1].RatioBP = 600 }, "class B"},
		{"the statement changed", func(f *File) { f.Statement.PublishedAt = f.Statement.PublishedAt.Add(time.Hour) }, "changed after publication"},
		{"the beacon value changed", func(f *File) { f.Draw.Randomness.Value = "公开信标值 7f3b" }, "the seed from the statement"},
		{"the seed changed", func(f *File) { f.Draw.Seed = strings.Repeat("0", 64) }, "the seed from the statement"},
	}
	for _, tc := range tamper {
		t.Run(tc.name, func(t *testing.T) {
			g := read(good)
			tc.edit(g)
			_, err := Verify(g, nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("tampered file: got %v, want an error saying %q", err, tc.want)
			}
		})
	}
	if _, err := ReadFile(strings.NewReader(strings.Replace(good, `"format"`, `"extra":1,"format"`, 1))); err == nil {
		t.Fatal("a file with a field the verifier does not know was read")
	}
}

// BenchmarkDraw1M draws from a pool of 1M subjects (ratios 3/5/10/20 %,
// 200 inspectors, 2 per subject, own-region avoidance);
// BenchmarkSortIDs1M is the baseline: a plain sort of the same IDs.
func BenchmarkDraw1M(b *testing.B) {
	pool := BenchPool(1_000_000)
	st, err := BenchTask(pool)
	if err != nil {
		b.Fatal(err)
	}
	seed := Seed("bench", Randomness{Source: SourceBeacon, Value: "1"})
	b.ResetTimer()
	for range b.N {
		if _, err := Run(st, pool, seed); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSortIDs1M(b *testing.B) {
	pool := BenchPool(1_000_000)
	ids := make([]string, len(pool))
	b.ResetTimer()
	for range b.N {
		for i, e := range pool {
			ids[(int64(i)*7919)%int64(len(pool))] = e.ID
		}
		slices.Sort(ids)
	}
}
