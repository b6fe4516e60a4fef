package exchange

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/xinyong/xinyong/internal/credit"
)

// NATS JetStream carries the feeds between platforms: one stream per
// origin (StreamName), holding the origin's batches for each peer on a
// subject of their own (Subject); a message ID per batch (MsgID) lets the
// stream drop a batch published twice (a publisher that crashed between
// publishing and moving its cursor); each receiver reads its subject with
// a durable consumer named after itself, and acknowledges a batch only
// after the transaction that applied it has committed. A province or the
// nation runs a JetStream cluster; levels on separate clusters link them
// with leaf nodes and stream mirrors (README).

// StreamName is the stream of an origin's feeds.
func StreamName(origin string) string { return "XINYONG_" + origin }

// Subject is the subject of origin's feed for peer.
func Subject(origin, peer string) string { return "xinyong." + origin + "." + peer }

// MsgID is a batch's message ID: the same range for the same peer is the
// same message.
func MsgID(h *Header) string { return fmt.Sprintf("%s.%s.%d-%d", h.Origin, h.Feed, h.From, h.To) }

// Connect connects to NATS and JetStream.
func Connect(url, name string) (*nats.Conn, jetstream.JetStream, error) {
	nc, err := nats.Connect(url, nats.Name(name), nats.MaxReconnects(-1), nats.ReconnectWait(500*time.Millisecond))
	if err != nil {
		return nil, nil, fmt.Errorf("NATS %s: %w", url, err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return nil, nil, fmt.Errorf("JetStream at %s: %w", url, err)
	}
	return nc, js, nil
}

// EnsureStream creates or updates the stream of origin's feeds.
func EnsureStream(ctx context.Context, js jetstream.JetStream, origin string) (jetstream.Stream, error) {
	return js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:        StreamName(origin),
		Description: "Xinyong exchange feeds of node " + origin,
		Subjects:    []string{"xinyong." + origin + ".>"},
		Storage:     jetstream.FileStorage,
		Retention:   jetstream.LimitsPolicy,
		Duplicates:  10 * time.Minute,
	})
}

// runNATS publishes this node's feeds for its NATS peers and applies
// theirs, until ctx ends; a lost connection is retried.
func (s *Service) runNATS(ctx context.Context, peers []credit.Peer) {
	me := s.cfg.Identity.Node.ID
	for {
		nc, js, err := Connect(s.cfg.NATS, "xinyong "+me)
		if err == nil {
			_, err = EnsureStream(ctx, js, me)
			if err != nil {
				nc.Close()
			}
		}
		if err != nil {
			s.cfg.Logger.Warn("exchange: NATS not reachable; retrying", "url", s.cfg.NATS, "err", err)
			if !sleep(ctx, 2*time.Second) {
				return
			}
			continue
		}
		s.cfg.Logger.Info("exchange over NATS JetStream", "url", s.cfg.NATS, "stream", StreamName(me), "peers", len(peers))
		done := make(chan struct{})
		n := 0
		for _, p := range peers {
			n++
			go func() { defer func() { done <- struct{}{} }(); s.publish(ctx, js, p, int(nc.MaxPayload())*3/4) }()
			if receives(&p) {
				n++
				go func() { defer func() { done <- struct{}{} }(); s.consume(ctx, js, p) }()
			}
		}
		for range n {
			<-done
		}
		nc.Close()
		return
	}
}

// publish keeps publishing this node's feed for peer p: from the shared
// cursor, one batch at a time, the cursor moved after the stream has
// acknowledged it. Batches without facts are published at most every
// few seconds (they tell the peer how far this node has got).
func (s *Service) publish(ctx context.Context, js jetstream.JetStream, p credit.Peer, limit int) {
	name := publishCursor(p.ID)
	var lastEmpty time.Time
	for ctx.Err() == nil {
		pos, ok, err := s.cfg.Store.FeedCursor(ctx, name)
		if err == nil && !ok {
			err = s.cfg.Store.MoveFeedCursor(ctx, name, -1, 0)
			if credit.Is(credit.Exists, err) {
				err = nil
			}
		}
		var prod *Produced
		if err == nil {
			prod, err = s.Produce(ctx, &p, pos, pos == 0, limit)
		}
		if err != nil {
			if ctx.Err() == nil {
				s.cfg.Logger.Warn("exchange: feed not produced; retrying", "peer", p.ID, "err", err)
			}
			sleep(ctx, time.Second)
			continue
		}
		b := prod.Batch
		if b.Header.To <= pos || (len(b.Facts) == 0 && time.Since(lastEmpty) < 5*time.Second) {
			sleep(ctx, s.cfg.Poll)
			continue
		}
		data, err := Encode(b, s.cfg.Identity.Key)
		if err == nil {
			_, err = js.Publish(ctx, Subject(b.Header.Origin, p.ID), data, jetstream.WithMsgID(MsgID(&b.Header)))
		}
		if err != nil {
			if ctx.Err() == nil {
				s.cfg.Logger.Warn("exchange: batch not published; retrying", "peer", p.ID, "err", err)
			}
			sleep(ctx, time.Second)
			continue
		}
		if len(b.Facts) == 0 {
			lastEmpty = time.Now()
		}
		if err := s.cfg.Store.MoveFeedCursor(ctx, name, pos, b.Header.To); err != nil && !credit.Is(credit.Conflict, err) {
			s.cfg.Logger.Warn("exchange: feed cursor not moved; the batch will be published again (the stream drops it)", "peer", p.ID, "err", err)
			sleep(ctx, time.Second)
			continue
		}
		s.metrics.publishedFacts(p.ID, len(b.Facts))
	}
}

// consume applies peer p's feed for this node from the peer's stream
// with a durable consumer, each batch acknowledged after it committed.
func (s *Service) consume(ctx context.Context, js jetstream.JetStream, p credit.Peer) {
	me := s.cfg.Identity.Node.ID
	var cons jetstream.Consumer
	idle := false
	for ctx.Err() == nil {
		var err error
		if cons == nil {
			cons, err = js.CreateOrUpdateConsumer(ctx, StreamName(p.ID), jetstream.ConsumerConfig{
				Durable:       me,
				Description:   "Xinyong node " + me + " applying the feed of " + p.ID,
				FilterSubject: Subject(p.ID, me),
				AckPolicy:     jetstream.AckExplicitPolicy,
				DeliverPolicy: jetstream.DeliverAllPolicy,
				AckWait:       time.Minute,
				MaxAckPending: 256,
			})
			if err != nil {
				if errors.Is(err, jetstream.ErrStreamNotFound) {
					err = fmt.Errorf("stream %s does not exist yet (node %s has not started its exchange)", StreamName(p.ID), p.ID)
				}
				_ = s.cfg.Store.NoteExchange(ctx, p.ID, 0, time.Time{}, err.Error(), s.now())
				cons = nil
				sleep(ctx, 2*time.Second)
				continue
			}
		}
		// While batches wait (a node catching up), up to 64 are taken at
		// once without waiting; once none did, the next fetch waits for
		// one batch only and returns as soon as it arrives. (A Fetch of 64
		// with a wait would hold the batches that came until the 64th or
		// the end of its wait.)
		var batch jetstream.MessageBatch
		if idle {
			batch, err = cons.Fetch(1, jetstream.FetchMaxWait(time.Second))
		} else {
			batch, err = cons.FetchNoWait(64)
		}
		if err != nil {
			if ctx.Err() == nil {
				s.cfg.Logger.Debug("exchange: fetch failed; retrying", "peer", p.ID, "err", err)
				cons = nil
				sleep(ctx, time.Second)
			}
			continue
		}
		// Batches are verified (JSON, signature) ahead of the one being
		// applied, on another core; applied one after another in order.
		type verified struct {
			msg jetstream.Msg
			b   *Batch
			err error
		}
		ahead := make(chan verified, 8)
		go func() {
			defer close(ahead)
			for msg := range batch.Messages() {
				b, err := s.verify(ctx, msg.Data(), "nats", p.ID)
				ahead <- verified{msg, b, err}
			}
		}()
		got := 0
		for v := range ahead {
			got++
			msg, err := v.msg, v.err
			if err == nil {
				_, err = s.applyVerified(ctx, v.b, "nats")
			}
			var re *RefusedError
			switch {
			case err == nil:
				// The transaction has committed: a lost ack means a
				// redelivery, which finds the batch applied.
				_ = msg.Ack()
			case errors.As(err, &re):
				_ = msg.Term() // refused, audited: never applied
			default:
				if ctx.Err() == nil {
					s.cfg.Logger.Warn("exchange: batch not applied; it is delivered again", "peer", p.ID, "err", err)
				}
				_ = msg.NakWithDelay(time.Second)
			}
		}
		idle = got == 0
	}
}
