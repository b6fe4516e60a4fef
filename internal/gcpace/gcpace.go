// Package gcpace sets the garbage collector's target (GOGC) of a serving
// node from the size of its live heap.
//
// A node's big in-memory structures (the hit check's index, the name
// index) hold no pointers, so a collection costs a few milliseconds
// whatever their size, and what decides a node's latency tail is how far
// the heap grows between collections:
//
//   - too little headroom, and cycles come several times a second; their
//     mark workers take whatever CPU is idle, and on a small machine that
//     delays the requests and anything sharing the cores (a check-only node
//     with 42 MB live at 25 %: p99 2.5–3.3 ms against 1.6–2.1 ms at 100 %);
//   - too much, and the resident heap is twice the live data; on the
//     benchmark VM a process holding hundreds of megabytes more has a
//     longer loopback tail, collection or not (a full node with 312 MB
//     live at 100 %: p99 ~4.6 ms against ~1.9 ms at 25 %).
//
// So the heap may grow by Headroom or by a quarter of the live heap,
// whichever is more, expressed as a percentage between MinPercent and
// MaxPercent and set again as the live heap changes.
package gcpace

import (
	"context"
	"log/slog"
	"runtime/debug"
	"runtime/metrics"
	"time"
)

const (
	// Headroom is the growth allowed over a live heap of up to four times
	// its size.
	Headroom = 64 << 20
	// MinPercent and MaxPercent bound the target.
	MinPercent = 25
	MaxPercent = 100
	// Interval is how often Run looks at the live heap.
	Interval = 5 * time.Second
)

// Percent is the target for a live heap of live bytes.
func Percent(live uint64) int {
	if live == 0 {
		return MaxPercent
	}
	p := uint64(Headroom) * 100 / live
	return int(max(MinPercent, min(MaxPercent, p)))
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

// Run sets the target now and again every interval until ctx ends. live
// and set are LiveHeap and debug.SetGCPercent when nil (tests pass their
// own).
func Run(ctx context.Context, logger *slog.Logger, interval time.Duration, live func() uint64, set func(int) int) {
	if live == nil {
		live = LiveHeap
	}
	if set == nil {
		set = debug.SetGCPercent
	}
	last := 0
	apply := func() {
		l := live()
		if p := Percent(l); p != last {
			set(p)
			last = p
			logger.Info("garbage collector target", "percent", p, "live_mib", l>>20)
		}
	}
	apply()
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
