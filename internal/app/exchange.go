package app

import (
	"context"
	"strings"

	"github.com/xinyong/xinyong/internal/config"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/exchange"
	"github.com/xinyong/xinyong/internal/pii"
)

// ExchangeParts are the node's exchange identity and transports.
type ExchangeParts struct {
	// Identity is the node's; nil: the node has none (the exchange
	// only reports its status).
	Identity *exchange.Identity
	// NATS is the NATS server URL; empty: no JetStream transport.
	NATS string
	// Transit is the federation's exchange key, with which personal data
	// travels; nil: it does not.
	Transit *pii.Sealer
	// NoRun leaves the publishers and consumers out of the node's loops
	// (another node of the installation runs them).
	NoRun bool
}

// OpenExchange loads the node's exchange identity (from the store, with
// its key from the configuration or the key file) and the exchange key.
func OpenExchange(ctx context.Context, cfg *config.Config, st credit.ExchangeStore) (ExchangeParts, error) {
	p := ExchangeParts{NATS: strings.TrimSpace(cfg.NATS), NoRun: !cfg.ExchangeRun}
	id, err := exchange.LoadIdentity(ctx, st, cfg.NodeKey, cfg.NodeKeyFile())
	switch {
	case err == nil:
		p.Identity = id
	case !credit.Is(credit.NotFound, err):
		return p, err
	}
	if strings.TrimSpace(cfg.ExchangeKey) != "" {
		if p.Transit, err = ParseSealer([]string{cfg.ExchangeKey}); err != nil {
			return p, err
		}
	}
	return p, nil
}

// newExchange builds the exchange over the node's services: applied
// records pass records.Service.Foreign, and the followers of the change
// feed (the hit-check index, the lists decided elsewhere) catch up after
// each applied batch as after a local write.
func (a *App) newExchange(p ExchangeParts) {
	a.Exchange = exchange.New(exchange.Config{
		Store: a.Store, Catalog: a.Catalog, Records: a.Records, Sealer: a.Sealer, Transit: p.Transit,
		Identity: p.Identity, NATS: p.NATS, Written: a.Records.Notify, Logger: a.Logger, Now: a.Now,
	})
	if p.Identity != nil && !p.NoRun {
		a.loops = append(a.loops, a.Exchange.Run)
	}
}
