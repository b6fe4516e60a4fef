// Package gcpace sets the garbage collector's target (GOGC) of a serving
// node from the size of its live heap.
//
// A node's big in-memory structures (the hit check's index, the name
// index) hold no pointers, so a collection's marking costs a few
// milliseconds whatever their size, and what decides how much collection
// weighs on a node's latency tail is how often it comes: each cycle's mark
// phase takes a share of the processors and makes allocating requests
// help it, and on a small machine the requests that arrive meanwhile wait.
// An execution trace of a node at 5 000 checks a second lined up with the
// load generator's latencies (BENCHMARKS.md, Hit check, fourth session
// of 2026-12-06) found a mark phase running during a quarter of the
// slowest hundredth of requests' waits and during 0.4 % of the others'.
// Cycles come every headroom ÷ allocation rate: at 5 000 checks a second a
// node allocates about 30 MB/s.
//
// So the heap may grow by Headroom or by a quarter of the live heap,
// whichever is more, expressed as a percentage between MinPercent and
// MaxPercent and set again as the live heap changes: after every
// collection, when the live heap is measured anew, and every Interval.
// Every Interval alone let a heap that grew between two looks (the
// indexes loading, a catch-up after an import) be collected next at the
// percentage of the smaller heap it had been, up to nine times its size.
// The headroom was 64 MiB, and at most 100 %, which held a node of 100 000
// subjects (35 MB live) to a collection every second under that load; the
// quarter of a large heap stands from 1 GiB live.
//
// Bulk work (a full evaluation pass) allocates gigabytes and keeps little;
// at those targets it spends a third of its time collecting. While it
// runs (Bulk), the heap may grow by BulkHeadroom, at most BulkPercent.
package gcpace

import (
	"context"
	"log/slog"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
	"sync/atomic"
	"time"
)

const (
	// Headroom is the growth allowed over a live heap of up to four times
	// its size.
	Headroom = 256 << 20
	// MinPercent and MaxPercent bound the target.
	MinPercent = 25
	MaxPercent = 800
	// Interval is how often Run looks at the live heap.
	Interval = 5 * time.Second
	// BulkHeadroom and BulkPercent bound the target during bulk work.
	BulkHeadroom = 512 << 20
	BulkPercent  = 400
)

// bulk counts bulk work in progress, saved is the target before the
// first began; mu orders Bulk's set and restore.
var (
	bulk  atomic.Int32
	saved int
	mu    sync.Mutex
)

// Percent is the target for a live heap of live bytes.
func Percent(live uint64) int {
	if live == 0 {
		return MaxPercent
	}
	p := uint64(Headroom) * 100 / live
	return int(max(MinPercent, min(MaxPercent, p)))
}

// BulkTarget is the target during bulk work for a live heap of live
// bytes, never below normal (the target otherwise).
func BulkTarget(live uint64, normal int) int {
	p := BulkPercent
	if live > 0 {
		p = int(min(uint64(BulkPercent), uint64(BulkHeadroom)*100/live))
	}
	return max(p, normal)
}

// Bulk widens the target for bulk work until done is called; with GOGC
// set by the operator it changes nothing. Bulk work may overlap: the
// target is restored when the last one is done.
func Bulk() (done func()) {
	if _, ok := os.LookupEnv("GOGC"); ok {
		return func() {}
	}
	mu.Lock()
	defer mu.Unlock()
	cur := debug.SetGCPercent(-1)
	if bulk.Add(1) == 1 {
		saved = cur
	}
	debug.SetGCPercent(BulkTarget(LiveHeap(), cur))
	var once sync.Once
	return func() {
		once.Do(func() {
			mu.Lock()
			defer mu.Unlock()
			if bulk.Add(-1) == 0 {
				debug.SetGCPercent(saved)
			}
		})
	}
}

// LiveHeap reads the live heap as of the last collection.
func LiveHeap() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s[0].Value.Uint64()
}

// An import (xinyong import) allocates per row and keeps little: the
// chunks in flight, and the sets of document numbers and subjects it has
// seen, which grow with the file. A fixed percentage (it was 300) lets the
// heap grow by three times whatever is live, so the peak grew with the
// file (BENCHMARKS.md, Ingest); ImportPercent lets it grow by
// ImportHeadroom over the live heap instead, so the peak is the live heap
// plus a constant and collections come as often as the allocation rate
// says, whatever the file's size.
const (
	ImportHeadroom   = 256 << 20
	ImportMinPercent = 50
	ImportMaxPercent = 800
)

// ImportPercent is the target of an import for a live heap of live bytes.
func ImportPercent(live uint64) int {
	if live == 0 {
		return ImportMaxPercent
	}
	return int(max(ImportMinPercent, min(ImportMaxPercent, uint64(ImportHeadroom)*100/live)))
}

// RunImport sets ImportPercent now and again every interval until ctx
// ends (each change logged at debug level: an import's live heap moves).
func RunImport(ctx context.Context, logger *slog.Logger, interval time.Duration) {
	pace(ctx, logger, slog.LevelDebug, interval, LiveHeap, debug.SetGCPercent, ImportPercent)
}

// Run sets the target now and again every interval until ctx ends. live
// and set are LiveHeap and debug.SetGCPercent when nil (tests pass their
// own).
func Run(ctx context.Context, logger *slog.Logger, interval time.Duration, live func() uint64, set func(int) int) {
	pace(ctx, logger, slog.LevelInfo, interval, live, set, func(l uint64) int {
		p := Percent(l)
		if bulk.Load() > 0 {
			p = BulkTarget(l, p)
		}
		return p
	})
}

func pace(ctx context.Context, logger *slog.Logger, level slog.Level, interval time.Duration, live func() uint64, set func(int) int, percent func(uint64) int) {
	if live == nil {
		live = LiveHeap
	}
	if set == nil {
		set = debug.SetGCPercent
	}
	var mu sync.Mutex // apply runs on the ticker and after collections
	last := 0
	apply := func() {
		mu.Lock()
		defer mu.Unlock()
		l := live()
		p := percent(l)
		if p != last {
			set(p)
			// The first target at the level asked for; the changes that
			// follow it at debug: a serving node's live heap moves by a
			// few percent every few seconds, and a line each time was
			// most of its log that was not requests.
			lvl := level
			if last != 0 {
				lvl = slog.LevelDebug
			}
			last = p
			logger.Log(ctx, lvl, "garbage collector target", "percent", p, "live_mib", l>>20)
		}
	}
	apply()
	afterEachCycle(ctx, apply)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			apply()
		}
	}
}

// cycleMark is an object dropped as soon as it is made, so that the
// collection after it finds it unreachable. Its pointer keeps it out of
// the tiny allocator, whose blocks are shared and may be freed late.
type cycleMark struct{ _ *int }

// afterEachCycle calls fn after every collection until ctx ends: the
// cleanup of a dropped object runs once a cycle has found it unreachable,
// and drops the next.
func afterEachCycle(ctx context.Context, fn func()) {
	runtime.AddCleanup(new(cycleMark), func(struct{}) {
		if ctx.Err() != nil {
			return
		}
		fn()
		afterEachCycle(ctx, fn)
	}, struct{}{})
}
