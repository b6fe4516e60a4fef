package config

import (
	"io"
	"log/slog"
	"sync"
	"time"
)

// LogBuffer collects log lines and writes them out in batches: when it
// holds logBufLimit bytes, every period, and at Close. A node logs every
// request; one write(2) per line was a measurable share of a hit check's
// server time. A line waits at most one period. A crash of the Go runtime
// prints its stack to stderr directly, not through the buffer.
type LogBuffer struct {
	mu   sync.Mutex
	w    io.Writer
	buf  []byte
	err  error
	done chan struct{}
	wg   sync.WaitGroup
}

const logBufLimit = 32 << 10

// LogFlushPeriod is how long a line may wait in a LogBuffer.
const LogFlushPeriod = 100 * time.Millisecond

// NewLogBuffer starts a buffer in front of w, flushed every period.
func NewLogBuffer(w io.Writer, period time.Duration) *LogBuffer {
	b := &LogBuffer{w: w, done: make(chan struct{})}
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		t := time.NewTicker(period)
		defer t.Stop()
		for {
			select {
			case <-b.done:
				return
			case <-t.C:
				b.Flush()
			}
		}
	}()
	return b
}

// Write keeps p (a log line) for the next flush; it writes at once when
// the buffer is full.
func (b *LogBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	if len(b.buf) >= logBufLimit {
		b.flushLocked()
	}
	return len(p), nil
}

// Flush writes out what the buffer holds.
func (b *LogBuffer) Flush() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.flushLocked()
	return b.err
}

func (b *LogBuffer) flushLocked() {
	if len(b.buf) == 0 {
		return
	}
	if _, err := b.w.Write(b.buf); err != nil && b.err == nil {
		b.err = err
	}
	b.buf = b.buf[:0]
	if cap(b.buf) > 4*logBufLimit {
		b.buf = nil
	}
}

// Close stops the periodic flush and flushes.
func (b *LogBuffer) Close() error {
	close(b.done)
	b.wg.Wait()
	return b.Flush()
}

// LoggerTo is Logger writing to w instead of stderr.
func (c *Config) LoggerTo(w io.Writer) *slog.Logger {
	lvl, _ := c.Level()
	opts := &slog.HandlerOptions{Level: lvl}
	if c.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
