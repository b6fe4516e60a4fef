package gcpace

import (
	"context"
	"io"
	"log/slog"
	"runtime"
	"sync"
	"testing"
	"time"
)

func TestPercent(t *testing.T) {
	for _, c := range []struct {
		live uint64
		want int
	}{
		{0, MaxPercent},
		{10 << 20, MaxPercent},  // a small heap: 64 MiB is more than doubling it
		{64 << 20, MaxPercent},  // exactly doubling
		{128 << 20, 50},         // 64 MiB over 128
		{200 << 20, 32},         // 64 MiB over 200
		{256 << 20, MinPercent}, // a quarter of the live heap from here on
		{312 << 20, MinPercent}, // a full node at 1M subjects
		{4 << 30, MinPercent},
	} {
		if got := Percent(c.live); got != c.want {
			t.Errorf("Percent(%d MiB) = %d, want %d", c.live>>20, got, c.want)
		}
	}
}

// TestRun follows a live heap that grows and shrinks, and sets the target
// only when it changes.
func TestRun(t *testing.T) {
	var mu sync.Mutex
	heap := []uint64{10 << 20, 10 << 20, 128 << 20, 400 << 20, 20 << 20}
	i := 0
	var sets []int
	live := func() uint64 {
		mu.Lock()
		defer mu.Unlock()
		v := heap[min(i, len(heap)-1)]
		i++
		return v
	}
	set := func(p int) int {
		mu.Lock()
		defer mu.Unlock()
		sets = append(sets, p)
		return 0
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		Run(ctx, slog.New(slog.NewTextHandler(io.Discard, nil)), time.Millisecond, live, set)
		close(done)
	}()
	for {
		mu.Lock()
		n := i
		mu.Unlock()
		if n > len(heap) {
			break
		}
		time.Sleep(time.Millisecond)
	}
	cancel()
	<-done
	want := []int{MaxPercent, 50, MinPercent, MaxPercent}
	mu.Lock()
	defer mu.Unlock()
	if len(sets) != len(want) {
		t.Fatalf("set %v, want %v", sets, want)
	}
	for k := range want {
		if sets[k] != want[k] {
			t.Fatalf("set %v, want %v", sets, want)
		}
	}
}

func TestLiveHeap(t *testing.T) {
	keep := make([]*[1024]byte, 4096) // 4 MiB live, with pointers to mark
	for i := range keep {
		keep[i] = new([1024]byte)
	}
	runtime.GC() // the live heap is measured by a collection
	if l := LiveHeap(); l < 4<<20 {
		t.Fatalf("live heap %d bytes while 4 MiB are held", l)
	}
	runtime.KeepAlive(keep)
}
