package sanction

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/xinyong/xinyong/internal/credit"
)

// checkLog writes the checks log in the background, many checks per
// transaction, so logging does not cap the check rate.
//
// No check is lost silently: a check is answered only after it is queued;
// the queue is bounded, so when the database falls behind or is down,
// checks wait (and fail with their request's context) instead of being
// dropped; a failed write is retried until it succeeds; Close writes what
// is queued and, if the database still refuses, returns an error that
// says how many checks were not written, which the server logs at exit.
// What a crash of the process loses is at most the checks of the last
// flush interval (logInterval), which were answered but not yet written.
type checkLog struct {
	st     credit.SanctionStore
	log    *slog.Logger
	ch     chan credit.CheckLog
	flushc chan chan error
	stop   chan struct{}
	done   chan error
	kick   chan struct{} // logKick checks are queued: write them now

	mu     sync.RWMutex
	closed bool

	batch []credit.CheckLog // reused by writeQueued, in the loop only
}

// logInterval bounds how long a check waits to be written when few come
// (a crash loses at most the checks answered in the last interval); under
// load the writer is woken every logKick checks (wake), so that a flush
// is a few dozen checks, whose transaction (SQLite) or round trip
// (PostgreSQL) is short enough not to hold up the requests beside it.
const (
	logQueue    = 8192
	logBatch    = 512
	logInterval = 50 * time.Millisecond
	logKick     = 32
)

func startCheckLog(st credit.SanctionStore, logger *slog.Logger) *checkLog {
	l := &checkLog{st: st, log: logger, ch: make(chan credit.CheckLog, logQueue),
		flushc: make(chan chan error), stop: make(chan struct{}), done: make(chan error, 1), kick: make(chan struct{}, 1)}
	go l.loop()
	return l
}

func (l *checkLog) add(ctx context.Context, c credit.CheckLog) error {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if l.closed {
		return credit.E("sanction.log", credit.Unavailable, "the server is shutting down: check not answered")
	}
	select {
	case l.ch <- c:
	default:
		select {
		case l.ch <- c:
		case <-ctx.Done():
			return credit.E("sanction.log", credit.Unavailable, "the checks log is not keeping up (database slow or down): check not answered: %w", ctx.Err())
		}
	}
	l.wake()
	return nil
}

// wake wakes the writer when logKick checks are queued, so that under
// load a flush is a few dozen checks, a fraction of a millisecond of the
// writer's time, instead of all that arrived in a tick: a node answering
// thousands of checks a second stalled requests behind each flush.
func (l *checkLog) wake() {
	if len(l.ch) >= logKick {
		select {
		case l.kick <- struct{}{}:
		default:
		}
	}
}

func (l *checkLog) flush(ctx context.Context) error {
	reply := make(chan error, 1)
	select {
	case l.flushc <- reply:
	case <-ctx.Done():
		return ctx.Err()
	case <-l.stop:
		return nil
	}
	select {
	case err := <-reply:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (l *checkLog) close(ctx context.Context) error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil
	}
	l.closed = true
	l.mu.Unlock()
	close(l.stop)
	select {
	case err := <-l.done:
		return err
	case <-ctx.Done():
		return credit.E("sanction.Close", credit.Unavailable, "checks log not flushed before shutdown: %d checks queued: %w", len(l.ch), ctx.Err())
	}
}

func (l *checkLog) loop() {
	tick := time.NewTicker(logInterval)
	defer tick.Stop()
	for {
		select {
		case <-tick.C:
			l.writeQueued(false)
		case <-l.kick:
			l.writeQueued(false)
		case reply := <-l.flushc:
			_, err := l.writeQueued(false)
			reply <- err
		case <-l.stop:
			// add refuses new checks once closed is set, so what is queued
			// now is all there will be.
			lost, err := l.writeQueued(true)
			if err != nil {
				err = credit.E("sanction.Close", credit.Unavailable, "%d answered checks could not be written to the checks log: %w", lost, err)
				l.log.Error("checks log incomplete at shutdown", "unwritten", lost, "err", err)
			}
			l.done <- err
			return
		}
	}
}

// writeQueued writes the checks queued when it is called, logBatch to a
// transaction, and leaves those that arrive meanwhile to the next tick.
// It used to drain the queue until it found it empty: under a steady
// stream of checks, each small write let a few more arrive, and a flush
// of 250 checks trailed a train of writes of one to ten, about 1 250
// transactions a second at 5 000 checks a second where 20 were meant
// (TestCheckLogWritesWhatWasQueued). It returns how many checks were not
// written and the last error. Only the loop receives from l.ch, so the
// checks counted are there to receive.
func (l *checkLog) writeQueued(stopping bool) (lost int, err error) {
	for n := len(l.ch); n > 0; {
		batch := l.batch[:0]
		for len(batch) < min(logBatch, n) {
			batch = append(batch, <-l.ch)
		}
		n -= len(batch)
		if werr := l.write(batch, stopping); werr != nil {
			err, lost = werr, lost+len(batch)
		}
		l.batch = batch[:0]
	}
	return lost, err
}

// write writes one batch, retrying while the service runs; when stopping
// it gives up after a few attempts and reports the error.
func (l *checkLog) write(batch []credit.CheckLog, stopping bool) error {
	wait := 50 * time.Millisecond
	for attempt := 1; ; attempt++ {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		err := l.st.AppendChecks(ctx, batch)
		cancel()
		if err == nil {
			return nil
		}
		if credit.Is(credit.Exists, err) || credit.Is(credit.Invalid, err) {
			// Not something a retry fixes; the rows are logged one by
			// one so only the offending check is left out, and said so.
			for _, c := range batch {
				if e := l.st.AppendChecks(context.Background(), []credit.CheckLog{c}); e != nil && !credit.Is(credit.Exists, e) {
					l.log.Error("check not logged", "check", c.ID, "err", e)
				}
			}
			return nil
		}
		l.log.Error("checks log write failed; retrying", "checks", len(batch), "attempt", attempt, "err", err)
		if stopping && attempt >= 3 {
			return err
		}
		time.Sleep(wait)
		wait = min(wait*2, 5*time.Second)
	}
}
