package exchange

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/pii"
	"github.com/xinyong/xinyong/internal/records"
)

// Store is what the exchange reads and writes.
type Store interface {
	credit.SubjectStore
	credit.RecordStore
	credit.SanctionStore
	credit.WorkflowStore
	credit.ChangeFeed
	credit.ExchangeStore
	credit.AuditStore
}

// Config is what the exchange is built from.
type Config struct {
	Store   Store
	Catalog *catalog.Catalog
	// Records checks every applied record as it checks a local one.
	Records *records.Service
	// Sealer is the node's data key; Transit the federation's exchange
	// key, with which personal data travels (nil: it does not).
	Sealer, Transit *pii.Sealer
	// Identity is this node's; nil: the node exchanges nothing (status
	// only).
	Identity *Identity
	// NATS is the NATS server's URL; empty: no JetStream transport.
	NATS string
	// Written tells the node's followers of the change feed that facts
	// were applied (the hit-check index, lists decided elsewhere).
	Written func(ctx context.Context)
	Logger  *slog.Logger
	Now     func() time.Time
	// Poll is how often an idle feed looks for new facts (100 ms).
	Poll time.Duration
	// Metrics, when set, receives the exchange's metrics.
	Metrics prometheus.Registerer
	// HTTP is the client of HTTP pull (a default one when nil).
	HTTP *http.Client
}

// Service is one node's exchange.
type Service struct {
	cfg     Config
	metrics *metrics
}

// New builds the exchange of a node.
func New(cfg Config) *Service {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Poll <= 0 {
		cfg.Poll = 100 * time.Millisecond
	}
	if cfg.HTTP == nil {
		cfg.HTTP = &http.Client{Timeout: 60 * time.Second}
	}
	s := &Service{cfg: cfg}
	s.metrics = newMetrics(cfg.Metrics)
	return s
}

func (s *Service) now() time.Time { return s.cfg.Now().UTC() }

// RegisterMetrics registers the exchange's metrics with reg (the node's
// metrics registry, served on --metrics-addr).
func (s *Service) RegisterMetrics(reg prometheus.Registerer) error { return s.metrics.register(reg) }

// Identity returns the node's identity, nil when it has none.
func (s *Service) Identity() *Identity { return s.cfg.Identity }

// Peer returns one peer.
func (s *Service) Peer(ctx context.Context, id string) (*credit.Peer, error) {
	peers, err := s.cfg.Store.Peers(ctx)
	if err != nil {
		return nil, err
	}
	for i := range peers {
		if peers[i].ID == id {
			return &peers[i], nil
		}
	}
	return nil, credit.Say("exchange.Peer", credit.NotFound, "没有交换对端“%s”", "no exchange peer %q", id)
}

// PeerStatus is one peer as the console shows it: what this node has
// applied of its feed (position, lag in facts and seconds, last error,
// held facts) and how far this node's feed for it has gone.
type PeerStatus struct {
	Peer   credit.Peer           `json:"peer"`
	Cursor credit.ExchangeCursor `json:"cursor"`
	// LagFacts is how many positions of the peer's feed this node knows
	// of and has not applied; LagSeconds how old the newest applied
	// batch was when this node fell behind (0 when in step).
	LagFacts   int64   `json:"lag_facts"`
	LagSeconds float64 `json:"lag_seconds"`
	Held       int     `json:"held"`
	// Sent is the position this node's own feed for the peer has been
	// published up to (NATS), of Head.
	Sent int64 `json:"sent"`
}

// Status is the exchange of a node.
type Status struct {
	Node  *credit.Node `json:"node,omitempty"`
	Head  int64        `json:"head"`
	Peers []PeerStatus `json:"peers"`
	Held  []credit.HeldFact
}

// Status reads the exchange's state from the store (what every process
// on it has done).
func (s *Service) Status(ctx context.Context) (*Status, error) {
	return ReadStatus(ctx, s.cfg.Store, s.now())
}

// ReadStatus reads the exchange's state from a store.
func ReadStatus(ctx context.Context, st Store, now time.Time) (*Status, error) {
	out := &Status{}
	if n, err := st.ExchangeNode(ctx); err == nil {
		out.Node = n
	} else if !credit.Is(credit.NotFound, err) {
		return nil, err
	}
	head, err := st.ChangeHead(ctx)
	if err != nil {
		return nil, err
	}
	out.Head = head
	peers, err := st.Peers(ctx)
	if err != nil {
		return nil, err
	}
	held, err := st.HeldFacts(ctx, "", 1000)
	if err != nil {
		return nil, err
	}
	out.Held = held
	for _, p := range peers {
		ps := PeerStatus{Peer: p}
		ps.Peer.APIKey = ""
		if ps.Cursor, err = st.ExchangeCursor(ctx, p.ID); err != nil {
			return nil, err
		}
		if ps.Cursor.Head > ps.Cursor.Pos {
			ps.LagFacts = ps.Cursor.Head - ps.Cursor.Pos
			if !ps.Cursor.OriginAt.IsZero() {
				ps.LagSeconds = now.Sub(ps.Cursor.OriginAt).Seconds()
			}
		}
		for _, h := range held {
			if h.Origin == p.ID {
				ps.Held++
			}
		}
		if pos, ok, err := st.FeedCursor(ctx, publishCursor(p.ID)); err != nil {
			return nil, err
		} else if ok {
			ps.Sent = pos
		}
		out.Peers = append(out.Peers, ps)
	}
	return out, nil
}

// publishCursor names the shared cursor of this node's feed for a peer.
func publishCursor(peer string) string { return "exchange." + peer }

// receives says whether this node takes facts from peer p: platforms
// above and below send; departments only receive.
func receives(p *credit.Peer) bool {
	return !p.Disabled && (p.Relation == credit.PeerSuperior || p.Relation == credit.PeerSubordinate)
}

// Run runs the exchange until ctx ends: held facts are retried, the
// node's feeds published and its peers' feeds applied over JetStream, its
// HTTP peers pulled, and the metrics kept up.
func (s *Service) Run(ctx context.Context) {
	if s.cfg.Identity == nil {
		return
	}
	if n, err := s.RetryHeld(ctx); err != nil && ctx.Err() == nil {
		s.cfg.Logger.Warn("held exchange facts could not be retried", "err", err)
	} else if n > 0 {
		s.cfg.Logger.Info("held exchange facts applied", "facts", n)
	}
	var wg sync.WaitGroup
	run := func(f func(context.Context)) {
		wg.Add(1)
		go func() { defer wg.Done(); f(ctx) }()
	}
	run(s.watch)
	peers, err := s.cfg.Store.Peers(ctx)
	if err != nil {
		s.cfg.Logger.Error("exchange peers could not be read: the exchange does not run", "err", err)
		return
	}
	var natsPeers []credit.Peer
	for _, p := range peers {
		if p.Disabled {
			continue
		}
		switch p.Transport {
		case credit.TransportNATS:
			natsPeers = append(natsPeers, p)
		case credit.TransportHTTP:
			if receives(&p) && p.URL != "" {
				run(func(ctx context.Context) { s.pull(ctx, p) })
			}
		}
	}
	if len(natsPeers) > 0 {
		if s.cfg.NATS == "" {
			s.cfg.Logger.Warn("exchange peers over NATS are configured but no NATS server is (--nats, XINYONG_NATS)")
		} else {
			run(func(ctx context.Context) { s.runNATS(ctx, natsPeers) })
		}
	}
	wg.Wait()
}

// ObserveNow sets the gauges of every peer from the store now (watch does
// every few seconds).
func (s *Service) ObserveNow(ctx context.Context) {
	if st, err := s.Status(ctx); err == nil {
		s.metrics.observe(st)
	}
}

// watch keeps the gauges of every peer up to date.
func (s *Service) watch(ctx context.Context) {
	t := time.NewTicker(2 * time.Second)
	defer t.Stop()
	for {
		s.ObserveNow(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// sleep waits d or until ctx ends (false then).
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
