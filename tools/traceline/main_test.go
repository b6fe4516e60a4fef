package main

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime/trace"
	"testing"
	"time"
)

// spinUntil keeps a processor busy until end: the goroutine the test
// expects to find during the slow request's wait.
func spinUntil(end time.Time) int {
	n := 0
	for time.Now().Before(end) {
		n++
	}
	return n
}

// TestSharesFindTheBusyGoroutine traces a goroutine that spins for 60 ms,
// writes a latency file with one slow request inside that time and fast
// ones outside it, and checks that the spinner fills the slow request's
// wait and none of the others'.
func TestSharesFindTheBusyGoroutine(t *testing.T) {
	dir := t.TempDir()
	tf, err := os.Create(filepath.Join(dir, "t.trace"))
	if err != nil {
		t.Fatal(err)
	}
	if err := trace.Start(tf); err != nil {
		t.Fatal(err)
	}
	time.Sleep(20 * time.Millisecond)
	start := time.Now()
	done := make(chan int)
	go func() { done <- spinUntil(start.Add(60 * time.Millisecond)) }()
	<-done
	time.Sleep(100 * time.Millisecond)
	go func() { done <- 0 }() // a goroutine that runs after the fast requests
	<-done
	trace.Stop()
	if err := tf.Close(); err != nil {
		t.Fatal(err)
	}

	// One request due 10 ms into the spin, answered 30 ms later; ten fast
	// ones of 100 µs, 20 ms after the spin ended and on.
	lat := filepath.Join(dir, "node-1.lat")
	var lines string
	lines += fmt.Sprintf("%d 5 30000\n", start.Add(10*time.Millisecond).UnixMicro())
	for i := range 40 {
		lines += fmt.Sprintf("%d 5 100\n", start.Add(80*time.Millisecond+time.Duration(i)*time.Millisecond).UnixMicro())
	}
	if err := os.WriteFile(lat, []byte(lines), 0o644); err != nil {
		t.Fatal(err)
	}

	spans, err := readTrace(filepath.Join(dir, "t.trace"))
	if err != nil {
		t.Fatal(err)
	}
	t0, t1 := window(spans)
	slow, fast, err := readLatencies(lat, 600, t0, t1)
	if err != nil {
		t.Fatal(err)
	}
	if len(slow) != 1 || len(fast) != 2 { // one in twenty of the forty fast ones
		t.Fatalf("%d slow and %d sampled fast requests, want 1 and 2", len(slow), len(fast))
	}
	const spinner = "github.com/xinyong/xinyong/tools/traceline.TestSharesFindTheBusyGoroutine.func1"
	s, f := shares(spans, slow), shares(spans, fast)
	if s[spinner] < 0.8 || f[spinner] != 0 {
		t.Errorf("the spinner's share: %.3f of the slow wait, %.3f of the others (want most of the first, none of the second); slow: %v", s[spinner], f[spinner], s)
	}
}
