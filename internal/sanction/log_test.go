package sanction

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"testing"

	"github.com/xinyong/xinyong/internal/credit"
)

// arrivingStore records the size of every flush, and while a flush is
// written more checks arrive in the log's queue, as they do under load.
type arrivingStore struct {
	credit.SanctionStore
	log     *checkLog
	flushes []int
	arrive  int // checks that arrive during each of the first flushes
	during  int // how many flushes see arrivals
}

func (s *arrivingStore) AppendChecks(_ context.Context, checks []credit.CheckLog) error {
	s.flushes = append(s.flushes, len(checks))
	if len(s.flushes) <= s.during {
		for range s.arrive {
			s.log.ch <- credit.CheckLog{ID: credit.NewID()}
		}
	}
	return nil
}

// TestCheckLogWritesWhatWasQueued: a tick writes the checks queued when it
// came, in flushes of at most logBatch, and leaves the checks that arrive
// meanwhile to the next tick instead of chasing them with a train of small
// transactions.
func TestCheckLogWritesWhatWasQueued(t *testing.T) {
	st := &arrivingStore{arrive: 3, during: 10}
	l := &checkLog{st: st, log: slog.New(slog.NewTextHandler(io.Discard, nil)), ch: make(chan credit.CheckLog, logQueue)}
	st.log = l
	queue := func(n int) {
		for range n {
			l.ch <- credit.CheckLog{ID: credit.NewID()}
		}
	}
	queue(10)
	if lost, err := l.writeQueued(false); lost != 0 || err != nil {
		t.Fatalf("writeQueued: %d lost, %v", lost, err)
	}
	if !slices.Equal(st.flushes, []int{10}) || len(l.ch) != 3 {
		t.Fatalf("10 queued, 3 arriving: flushes %v, %d left queued; want [10] and 3", st.flushes, len(l.ch))
	}
	st.flushes, st.during = nil, 0
	queue(2*logBatch + 173) // and the 3 still queued
	if _, err := l.writeQueued(false); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(st.flushes, []int{logBatch, logBatch, 176}) || len(l.ch) != 0 {
		t.Fatalf("%d queued: flushes %v, %d left; want [%d %d 176] and none", 2*logBatch+176, st.flushes, len(l.ch), logBatch, logBatch)
	}
}

// TestCheckLogKick: the writer is woken once logKick checks are queued,
// not before, and a wake-up already pending is not queued twice.
func TestCheckLogKick(t *testing.T) {
	l := &checkLog{ch: make(chan credit.CheckLog, logQueue), kick: make(chan struct{}, 1)}
	for range logKick - 1 {
		l.ch <- credit.CheckLog{ID: credit.NewID()}
		l.wake()
	}
	if len(l.kick) != 0 {
		t.Fatalf("writer woken with %d checks queued (at %d)", len(l.ch), logKick)
	}
	for range 3 {
		l.ch <- credit.CheckLog{ID: credit.NewID()}
		l.wake()
	}
	if len(l.kick) != 1 {
		t.Fatalf("writer not woken with %d checks queued (at %d)", len(l.ch), logKick)
	}
}
