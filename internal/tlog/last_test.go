package tlog

import (
	"fmt"
	"testing"

	"github.com/xinyong/xinyong/internal/credit"
)

// TestLastInclusion: the proof of the leaf just appended, made from the
// head before the append, verifies for every tree size. It failed for
// every odd index while Append merged into the head's range in place.
func TestLastInclusion(t *testing.T) {
	var head credit.LogState
	for n := 0; n < 40; n++ {
		a, err := Append(head, []credit.LogLeaf{{Data: []byte(fmt.Sprint(n))}})
		if err != nil {
			t.Fatal(err)
		}
		hs, ok := LastInclusion(head)
		if !ok {
			t.Fatalf("%d: not ok", n)
		}
		c := Checkpoint{Size: a.State.Size, Root: a.State.Root}
		if err := VerifyInclusion(c, int64(n), a.Leaves[0].Hash, hs); err != nil {
			t.Errorf("%d: %v", n, err)
		}
		head = a.State
	}
}
