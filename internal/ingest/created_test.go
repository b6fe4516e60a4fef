package ingest

import (
	"strconv"
	"testing"
)

// TestCreatedWindow: the subjects of the last size committed chunks are
// remembered, those of older chunks are not (their workers found them
// stored), and a chunk that created nothing still takes its turn.
func TestCreatedWindow(t *testing.T) {
	const size = 4
	w := newCreatedWindow(size)
	for n := range 10 {
		created := map[string]bool{}
		if n != 6 {
			created["S"+strconv.Itoa(n)] = true
		}
		w.add(created)
		for k := 0; k <= n; k++ {
			want := n-k < size && k != 6
			if got := w.has("S" + strconv.Itoa(k)); got != want {
				t.Fatalf("after chunk %d: has(S%d) = %v, want %v", n, k, got, want)
			}
		}
	}
}
