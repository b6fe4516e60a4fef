package config

import (
	"flag"
	"path/filepath"
)

// RegisterExchange declares the exchange's flags (serve and the exchange
// commands).
func (c *Config) RegisterExchange(fs *flag.FlagSet) {
	fs.StringVar(&c.NATS, "nats", env("XINYONG_NATS", ""), "NATS server URL of the exchange's JetStream transport, e.g. nats://127.0.0.1:4222; empty: peers over NATS are not served (env XINYONG_NATS)")
	fs.StringVar(&c.NodeKey, "node-key", env("XINYONG_NODE_KEY", ""), "the node's exchange signing key (Ed25519 seed, base64); with SQLite, if unset, the key file xinyong.node.key beside the database; required with PostgreSQL once the node has an exchange identity (env XINYONG_NODE_KEY)")
	fs.BoolVar(&c.ExchangeRun, "exchange-run", c.envBool("XINYONG_EXCHANGE_RUN", true), "serve: run the exchange's publishers and consumers on this node; false on all nodes of a shared (PostgreSQL) installation but one, which then publishes and applies for all of them in order (every node answers feed pulls) (env XINYONG_EXCHANGE_RUN)")
	fs.StringVar(&c.ExchangeKey, "exchange-key", env("XINYONG_EXCHANGE_KEY", ""), "the federation's exchange key (base64 or hex, ≥32 bytes, the same on every node of the federation): personal data (natural persons, ID numbers in records and of responsible persons) travels sealed with it; without it such data is not exchanged (env XINYONG_EXCHANGE_KEY)")
}

// NodeKeyFile is the node's exchange signing key file beside the SQLite
// file; "" with PostgreSQL, whose nodes are given the key.
func (c *Config) NodeKeyFile() string {
	if c.Postgres() {
		return ""
	}
	return filepath.Join(filepath.Dir(c.DB), "xinyong.node.key")
}
