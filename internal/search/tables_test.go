package search

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// TestOrdHash runs random adds and removes against a model, with hashes
// drawn from a few values so that collisions and long probe runs across
// tombstones are the common case.
func TestOrdHash(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var m ordHash
	model := map[uint64][]uint32{}
	hashes := []uint64{0, 1 << 32, 7<<32 | 5, 7<<32 | 6, 0xFFFFFFFF << 32, 12345 << 32}
	for step := range 50000 {
		h := hashes[rng.IntN(len(hashes))]
		ord := uint32(rng.IntN(200))
		if rng.IntN(3) > 0 {
			m.add(h, ord)
			model[h] = append(model[h], ord)
		} else {
			m.remove(h, ord)
			for h2 := range model {
				if h2>>32 == h>>32 { // removal is by tag
					model[h2] = slices.DeleteFunc(model[h2], func(o uint32) bool { return o == ord })
				}
			}
		}
		if step%997 == 0 || step == 49999 {
			for _, h := range hashes {
				var got []uint32
				m.each(h, func(o uint32) bool {
					got = append(got, o)
					return true
				})
				// Entries under hashes sharing the top 32 bits share a tag:
				// each yields both, as documented; compare by tag.
				var want []uint32
				for h2, os := range model {
					if h2>>32 == h>>32 {
						want = append(want, os...)
					}
				}
				slices.Sort(got)
				slices.Sort(want)
				if !slices.Equal(got, want) {
					t.Fatalf("step %d, hash %x: got %v, want %v", step, h, got, want)
				}
			}
		}
	}
	stop := 0
	m.each(hashes[2], func(uint32) bool { stop++; return false })
	if stop > 1 {
		t.Fatalf("each went on after fn returned false")
	}
}

// TestPostings interleaves appends to many lists, so that lists move to
// the end of the slab and grow in place, and checks every list before and
// after trim.
func TestPostings(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	p := newPostings()
	model := map[uint64][]uint32{}
	for ord := uint32(0); ord < 20000; ord++ {
		for range 1 + rng.IntN(4) {
			k := uint64(rng.IntN(300))
			if rng.IntN(10) == 0 {
				k = 1000 // one long list
			}
			p.add(k, ord)
			if l := model[k]; len(l) == 0 || l[len(l)-1] != ord {
				model[k] = append(l, ord)
			}
		}
	}
	check := func(when string) {
		for k, want := range model {
			if got := p.get(k); !slices.Equal(got, want) {
				t.Fatalf("%s: list %d has %d ordinals, want %d", when, k, len(got), len(want))
			}
		}
		if p.get(99999) != nil {
			t.Fatalf("%s: an absent key has a list", when)
		}
	}
	check("before trim")
	before := len(p.slab)
	p.trim()
	check("after trim")
	total := 0
	for _, l := range model {
		total += len(l)
	}
	if len(p.slab) != total || before <= total {
		t.Fatalf("trim: slab %d (was %d), postings %d", len(p.slab), before, total)
	}
	p.add(1000, 20000) // grows after trim: the run moves
	if got := p.get(1000); got[len(got)-1] != 20000 || !slices.Equal(got[:len(got)-1], model[1000]) {
		t.Fatal("append after trim lost the list")
	}
}
