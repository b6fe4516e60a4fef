package gcpace

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestPercent(t *testing.T) {
	for _, c := range []struct {
		live uint64
		want int
	}{
		{0, MaxPercent},
		{10 << 20, MaxPercent}, // a small heap: 256 MiB would be 2 560 %
		{32 << 20, MaxPercent}, // exactly 800 %
		{35 << 20, 731},        // a full node at 100 000 subjects
		{128 << 20, 200},       // 256 MiB over 128
		{312 << 20, 82},        // a full node at 1M subjects
		{500 << 20, 51},        // a full node at 2M subjects (a city)
		{1 << 30, MinPercent},  // a quarter of the live heap from here on
		{4 << 30, MinPercent},
	} {
		if got := Percent(c.live); got != c.want {
			t.Errorf("Percent(%d MiB) = %d, want %d", c.live>>20, got, c.want)
		}
	}
}

// TestImportPercent: an import's heap may grow by ImportHeadroom over
// the live heap, so the target falls as the live heap grows and the peak
// (live × (1 + percent/100)) stays live + 256 MiB within the bounds.
func TestImportPercent(t *testing.T) {
	for _, c := range []struct {
		live uint64
		want int
	}{
		{0, ImportMaxPercent},
		{16 << 20, ImportMaxPercent}, // 256 MiB would be 1 600 %
		{32 << 20, 800},
		{64 << 20, 400},
		{80 << 20, 320}, // an import of 1M penalty rows (gctrace)
		{128 << 20, 200},
		{256 << 20, 100},
		{512 << 20, ImportMinPercent},
		{4 << 30, ImportMinPercent},
	} {
		if got := ImportPercent(c.live); got != c.want {
			t.Errorf("ImportPercent(%d MiB) = %d, want %d", c.live>>20, got, c.want)
		}
	}
}

// TestRun follows a live heap that grows and shrinks, and sets the target
// only when it changes.
func TestRun(t *testing.T) {
	var mu sync.Mutex
	heap := []uint64{10 << 20, 10 << 20, 512 << 20, 2 << 30, 20 << 20}
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
	var logged bytes.Buffer
	go func() {
		Run(ctx, slog.New(slog.NewTextHandler(&logged, &slog.HandlerOptions{Level: slog.LevelDebug})), time.Millisecond, live, set)
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
	// The first target is logged at info, the changes after it at debug.
	if info, debug := strings.Count(logged.String(), "level=INFO"), strings.Count(logged.String(), "level=DEBUG"); info != 1 || debug != len(want)-1 {
		t.Errorf("logged %d lines at info and %d at debug, want 1 and %d:\n%s", info, debug, len(want)-1, logged.String())
	}
}

// TestRunAfterCollections: the target follows the live heap measured by a
// collection at once, not at the next look (the interval here is an hour).
func TestRunAfterCollections(t *testing.T) {
	var grown atomic.Bool
	live := func() uint64 {
		if grown.Load() {
			return 512 << 20
		}
		return 2 << 20
	}
	sets := make(chan int, 100)
	set := func(p int) int { sets <- p; return 0 }
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go Run(ctx, slog.New(slog.DiscardHandler), time.Hour, live, set)
	if p := <-sets; p != MaxPercent {
		t.Fatalf("first target %d, want %d", p, MaxPercent)
	}
	grown.Store(true)
	// A cleanup runs on its own goroutine some time after the cycle that
	// freed its object: a few cycles are let run, not a time waited.
	for range 1000 {
		runtime.GC()
		select {
		case p := <-sets:
			if want := Percent(512 << 20); p != want {
				t.Fatalf("target after a collection %d, want %d", p, want)
			}
			return
		default:
			runtime.Gosched()
		}
	}
	t.Fatal("no new target after 1000 collections")
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

func TestBulkTarget(t *testing.T) {
	for _, c := range []struct {
		live   uint64
		normal int
		want   int
	}{
		{0, 100, BulkPercent},
		{50 << 20, 100, BulkPercent}, // 512 MiB over 50: capped
		{256 << 20, 25, 200},         // 512 MiB over 256
		{1 << 30, 25, 50},            // a large node: no more than 512 MiB more
		{4 << 30, 25, 25},            // never below the normal target
	} {
		if got := BulkTarget(c.live, c.normal); got != c.want {
			t.Errorf("BulkTarget(%d MiB, %d) = %d, want %d", c.live>>20, c.normal, got, c.want)
		}
	}
}

// TestBulk: overlapping bulk work widens the target and the last one to
// finish restores it.
func TestBulk(t *testing.T) {
	if _, ok := os.LookupEnv("GOGC"); ok {
		t.Skip("GOGC is set: Bulk leaves the target alone")
	}
	prev := debug.SetGCPercent(80)
	defer debug.SetGCPercent(prev)
	current := func() int { p := debug.SetGCPercent(-1); debug.SetGCPercent(p); return p }
	done1 := Bulk()
	if got := current(); got <= 80 {
		t.Fatalf("target during bulk work %d, want above 80", got)
	}
	done2 := Bulk()
	done1()
	done1() // twice: no effect
	if got := current(); got <= 80 {
		t.Fatalf("target restored while bulk work still runs: %d", got)
	}
	done2()
	if got := current(); got != 80 {
		t.Fatalf("target after bulk work %d, want 80", got)
	}
}
