// Package testenv holds what the tests of several packages share: a clock
// that tests set and move, so that no test depends on the day it runs.
package testenv

import (
	"sync"
	"time"

	"github.com/xinyong/xinyong/internal/chinatime"
)

// DefaultNow is where a test clock starts unless a test says otherwise: a
// working day in a year the embedded working-day calendar holds.
var DefaultNow = time.Date(2026, 11, 20, 10, 0, 0, 0, chinatime.Location)

// Clock is a settable clock. Business dates in tests come from it.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a clock standing at t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

// Set moves the clock to t.
func (c *Clock) Set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

// Advance moves the clock by d.
func (c *Clock) Advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// Date is the clock's date in China time, moved by the given days, as
// YYYY-MM-DD: the form departments' files carry.
func (c *Clock) Date(days int) string {
	return chinatime.Format(c.Now().AddDate(0, 0, days))
}
