package exchange

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the exchange's Prometheus metrics: per peer the position
// applied, the lag in facts and seconds, the held facts, and counters of
// facts applied, published and batches refused.
type metrics struct {
	applied     *prometheus.CounterVec
	published   *prometheus.CounterVec
	refusals    *prometheus.CounterVec
	failures    *prometheus.CounterVec
	position    *prometheus.GaugeVec
	lagFacts    *prometheus.GaugeVec
	lagSeconds  *prometheus.GaugeVec
	held        *prometheus.GaugeVec
	propagation prometheus.Histogram
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		applied: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "xinyong_exchange_applied_facts_total",
			Help: "Facts applied from a peer's feed (held ones not included)."}, []string{"origin"}),
		published: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "xinyong_exchange_published_facts_total",
			Help: "Facts of this node published for a peer."}, []string{"peer"}),
		refusals: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "xinyong_exchange_refused_batches_total",
			Help: "Batches refused on arrival, by reason (signature, unknown_origin, schema, mismatch, malformed)."}, []string{"origin", "reason"}),
		failures: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "xinyong_exchange_failed_batches_total",
			Help: "Batches that could not be applied now (retried)."}, []string{"origin"}),
		position: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "xinyong_exchange_position",
			Help: "The position of a peer's feed applied up to."}, []string{"origin"}),
		lagFacts: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "xinyong_exchange_lag_facts",
			Help: "Positions of a peer's feed known and not applied."}, []string{"origin"}),
		lagSeconds: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "xinyong_exchange_lag_seconds",
			Help: "Age of the newest applied batch of a peer while behind (0 when in step)."}, []string{"origin"}),
		held: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "xinyong_exchange_held_facts",
			Help: "Facts of a peer held until the catalogue has their item or department."}, []string{"origin"}),
		propagation: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "xinyong_exchange_propagation_seconds",
			Help:    "From a batch's making at its origin to its apply here.",
			Buckets: []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60}}),
	}
	if reg != nil {
		_ = m.register(reg)
	}
	return m
}

func (m *metrics) register(reg prometheus.Registerer) error {
	for _, c := range []prometheus.Collector{m.applied, m.published, m.refusals, m.failures, m.position, m.lagFacts, m.lagSeconds, m.held, m.propagation} {
		if err := reg.Register(c); err != nil {
			return err
		}
	}
	return nil
}

func (m *metrics) refused(origin, reason string) {
	if origin == "" {
		origin = "unknown"
	}
	m.refusals.WithLabelValues(origin, reason).Inc()
}

func (m *metrics) failed(origin string) { m.failures.WithLabelValues(origin).Inc() }

func (m *metrics) appliedBatch(r *Result, made, now time.Time) {
	m.applied.WithLabelValues(r.Origin).Add(float64(r.Applied))
	if r.Applied > 0 && !made.IsZero() {
		m.propagation.Observe(now.Sub(made).Seconds())
	}
}

func (m *metrics) publishedFacts(peer string, n int) {
	m.published.WithLabelValues(peer).Add(float64(n))
}

func (m *metrics) observe(st *Status) {
	for _, p := range st.Peers {
		if !receives(&p.Peer) {
			continue
		}
		m.position.WithLabelValues(p.Peer.ID).Set(float64(p.Cursor.Pos))
		m.lagFacts.WithLabelValues(p.Peer.ID).Set(float64(p.LagFacts))
		m.lagSeconds.WithLabelValues(p.Peer.ID).Set(p.LagSeconds)
		m.held.WithLabelValues(p.Peer.ID).Set(float64(p.Held))
	}
}
