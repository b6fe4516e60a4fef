package credit

import (
	"math/rand/v2"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// referenceDerive is Derive as first written (a map of every fact ID),
// the reference for the faster look-up.
func referenceDerive(facts []Record) []State {
	sorted := slices.Clone(facts)
	slices.SortFunc(sorted, func(a, b Record) int { return strings.Compare(a.ID, b.ID) })
	at := map[string]int{}
	var out []State
	for _, f := range sorted {
		switch f.Fact {
		case Original, "":
			at[f.ID] = len(out)
			out = append(out, State{Current: f, Origin: f.ID, History: []Record{f}})
		case Correction, Revocation:
			i, ok := at[f.Supersedes]
			if !ok {
				continue
			}
			at[f.ID] = i
			st := &out[i]
			st.History = append(st.History, f)
			if f.Fact == Revocation {
				st.Revoked = true
				rf := f
				st.RevokedBy = &rf
			} else {
				st.Current = f
			}
		}
	}
	return out
}

// TestDerive: chains of originals, corrections (of the original or of a
// correction) and revocations, in any order, with facts pointing at
// nothing known, in files on both sides of the look-up's switch to a map;
// DeriveCurrent is the same without the history.
func TestDerive(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for n := range 2000 {
		var facts []Record
		size := r.IntN(80)
		for i := range size {
			f := Record{ID: "0190-" + strconv.Itoa(100000+i), Fact: Original, DocNo: strconv.Itoa(i)}
			if i > 0 && r.IntN(3) == 0 {
				f.Fact = []FactKind{Correction, Revocation}[r.IntN(2)]
				f.Supersedes = facts[r.IntN(len(facts))].ID
				if r.IntN(10) == 0 {
					f.Supersedes = "unknown"
				}
			}
			facts = append(facts, f)
		}
		r.Shuffle(len(facts), func(i, j int) { facts[i], facts[j] = facts[j], facts[i] })
		want := referenceDerive(facts)
		if got := Derive(facts); !reflect.DeepEqual(got, want) && !(len(got) == 0 && len(want) == 0) {
			t.Fatalf("file %d (%d facts): Derive\ngot  %+v\nwant %+v", n, size, got, want)
		}
		cur := DeriveCurrent(facts)
		for i := range want {
			want[i].History = nil
		}
		if !reflect.DeepEqual(cur, want) && !(len(cur) == 0 && len(want) == 0) {
			t.Fatalf("file %d (%d facts): DeriveCurrent\ngot  %+v\nwant %+v", n, size, cur, want)
		}
	}
}
