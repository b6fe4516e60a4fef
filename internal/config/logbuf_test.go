package config

import (
	"bytes"
	"sync"
	"testing"
	"time"
)

type lockedBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
	n  int // writes
}

func (l *lockedBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.n++
	return l.b.Write(p)
}

func (l *lockedBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestLogBuffer: lines come out whole and in order, in fewer writes than
// lines, by the period without a Close, and all of them at Close.
func TestLogBuffer(t *testing.T) {
	var out lockedBuf
	b := NewLogBuffer(&out, 10*time.Millisecond)
	var want bytes.Buffer
	for i := range 1000 {
		line := []byte("line " + string(rune('a'+i%26)) + "\n")
		want.Write(line)
		if _, err := b.Write(line); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for out.String() != want.String() && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if out.String() != want.String() {
		t.Fatalf("lines not flushed by the period: got %d bytes of %d", len(out.String()), want.Len())
	}
	if out.n >= 1000 {
		t.Errorf("%d writes for 1000 lines: not batched", out.n)
	}
	b.Write([]byte("last\n"))
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if got := out.String(); got != want.String()+"last\n" {
		t.Errorf("Close did not flush the last line")
	}
}
