// Command traceline lines up a node's execution trace with the load
// generator's latencies of the same run (bench check or bench city with
// --server-trace and --latencies) and says what the processors were doing
// while the slow requests waited, against a sample of the others:
//
//	go run . TRACE node-1.lat [threshold µs, default 600]
//
// A trace carries a snapshot of the wall clock, which places the
// generator's due times (Unix µs) on the trace's own clock. For every
// request at or over the threshold, and for one in twenty of the others,
// it adds up the time each kind of goroutine (by the function it started
// in) ran on a processor during the request's wait, and the time the
// collector's phases were active; divided by the waits' total, 2.0 means
// both processors of a two-core machine for the whole wait.
//
// It is a module of its own so that the platform does not depend on the
// trace parser (golang.org/x/exp/trace).
package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"

	"golang.org/x/exp/trace"
)

// span is a goroutine's time on a processor, or a collector phase, in
// wall-clock nanoseconds.
type span struct {
	start, end int64
	kind       string
}

// request is one request's wait, in wall-clock nanoseconds.
type request struct{ due, lat int64 }

func main() {
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: traceline TRACE LATENCIES [threshold µs]")
		os.Exit(2)
	}
	threshold := int64(600)
	if len(os.Args) > 3 {
		v, err := strconv.ParseInt(os.Args[3], 10, 64)
		if err != nil {
			fail(fmt.Errorf("threshold: %w", err))
		}
		threshold = v
	}
	spans, err := readTrace(os.Args[1])
	if err != nil {
		fail(err)
	}
	if len(spans) == 0 {
		fail(fmt.Errorf("%s: no goroutine ran", os.Args[1]))
	}
	t0, t1 := window(spans)
	slow, fast, err := readLatencies(os.Args[2], threshold, t0, t1)
	if err != nil {
		fail(err)
	}
	s, f := shares(spans, slow), shares(spans, fast)
	kinds := make([]string, 0, len(s)+len(f))
	for k := range s {
		kinds = append(kinds, k)
	}
	for k := range f {
		if _, ok := s[k]; !ok {
			kinds = append(kinds, k)
		}
	}
	sort.Slice(kinds, func(i, j int) bool { return s[kinds[i]] > s[kinds[j]] })
	fmt.Printf("requests of %d µs and more: %d; a sample of the others: %d\n", threshold, len(slow), len(fast))
	fmt.Println("share of the processors during the waits (slow, others):")
	for _, k := range kinds[:min(16, len(kinds))] {
		fmt.Printf("  %6.3f %6.3f  %s\n", s[k], f[k], k)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "traceline:", err)
	os.Exit(1)
}

// readTrace reads the goroutines' times on processors and the collector's
// phases, in wall-clock time, sorted by start.
func readTrace(name string) ([]span, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r, err := trace.NewReader(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	var (
		off      int64 // wall ns = trace ns + off, once a clock snapshot is seen
		pending  []trace.Event
		spans    []span
		kind     = map[trace.GoID]string{}
		running  = map[trace.GoID]int64{}
		rangeBeg = map[string]int64{}
	)
	handle := func(ev trace.Event) {
		t := int64(ev.Time()) + off
		switch ev.Kind() {
		case trace.EventRangeBegin:
			rangeBeg[ev.Range().Name] = t
		case trace.EventRangeEnd:
			if b, ok := rangeBeg[ev.Range().Name]; ok {
				spans = append(spans, span{b, t, "collector: " + ev.Range().Name})
			}
		case trace.EventStateTransition:
			st := ev.StateTransition()
			if st.Resource.Kind != trace.ResourceGoroutine {
				return
			}
			g := st.Resource.Goroutine()
			from, to := st.Goroutine()
			if kind[g] == "" {
				kind[g] = rootOf(st.Stack)
			}
			if to == trace.GoRunning {
				running[g] = t
			}
			if from == trace.GoRunning {
				if b, ok := running[g]; ok {
					k := kind[g]
					if k == "" {
						k = "(unknown)"
					}
					spans = append(spans, span{b, t, k})
					delete(running, g)
				}
			}
		}
	}
	for {
		ev, err := r.ReadEvent()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if off == 0 && ev.Kind() == trace.EventSync {
			if cs := ev.Sync().ClockSnapshot; cs != nil {
				off = cs.Wall.UnixNano() - int64(cs.Trace)
				for _, p := range pending {
					handle(p)
				}
				pending = nil
			}
		}
		if off == 0 {
			pending = append(pending, ev)
			continue
		}
		handle(ev)
	}
	if off == 0 {
		return nil, fmt.Errorf("%s: no wall-clock snapshot (a trace from Go 1.25 or later is needed)", name)
	}
	sort.Slice(spans, func(i, j int) bool { return spans[i].start < spans[j].start })
	return spans, nil
}

// window is the time the spans cover: from the first start to the last end.
func window(spans []span) (t0, t1 int64) {
	t0, t1 = spans[0].start, spans[0].end
	for _, s := range spans {
		t1 = max(t1, s.end)
	}
	return t0, t1
}

// rootOf names a goroutine by the function it started in: the outermost
// frame outside the runtime, or the outermost frame for the runtime's own
// goroutines (the collector's mark workers: runtime.gcBgMarkWorker).
func rootOf(s trace.Stack) string {
	var outer, outerOwn string
	for f := range s.Frames() { // innermost first
		outer = f.Func
		if !strings.HasPrefix(f.Func, "runtime.") {
			outerOwn = f.Func
		}
	}
	if outerOwn != "" {
		return outerOwn
	}
	return outer
}

// readLatencies reads a check-load --latencies file (due time in Unix µs,
// lag and latency in µs a line) and returns the requests within the
// trace's time at or over threshold, and one in twenty of the others.
func readLatencies(name string, threshold, t0, t1 int64) (slow, fast []request, err error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	n := 0
	for line := 1; sc.Scan(); line++ {
		var due, lag, lat int64
		if _, err := fmt.Sscanf(sc.Text(), "%d %d %d", &due, &lag, &lat); err != nil {
			return nil, nil, fmt.Errorf("%s line %d: %w", name, line, err)
		}
		q := request{due * 1000, lat * 1000}
		if q.due < t0 || q.due+q.lat > t1 {
			continue
		}
		if lat >= threshold {
			slow = append(slow, q)
		} else if n++; n%20 == 0 {
			fast = append(fast, q)
		}
	}
	return slow, fast, sc.Err()
}

// shares adds up, for each kind of span, its overlap with the requests'
// waits, as a share of the waits' total.
func shares(spans []span, reqs []request) map[string]float64 {
	m := map[string]float64{}
	var total float64
	for _, q := range reqs {
		a, b := q.due, q.due+q.lat
		total += float64(b - a)
		// Spans are sorted by start; none on a processor is longer than
		// the runtime's 10 ms preemption, a collector phase may be, so
		// look back generously.
		i := sort.Search(len(spans), func(k int) bool { return spans[k].start >= a-int64(5e8) })
		for ; i < len(spans) && spans[i].start < b; i++ {
			s := spans[i]
			if s.end > a {
				m[s.kind] += float64(min(s.end, b) - max(s.start, a))
			}
		}
	}
	for k := range m {
		m[k] /= total
	}
	return m
}
