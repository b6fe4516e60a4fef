package cli

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/xinyong/xinyong/internal/app"
	"github.com/xinyong/xinyong/internal/config"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/exchange"
)

const exchangeSynopsis = `exchange init | peer add|list|remove | status | export | import  [flags]

  init     --id ID --level county|city|province|national --region GBT2260 --name NAME
           set this node's exchange identity and make its signing key (the key file
           xinyong.node.key beside the SQLite file; with PostgreSQL the key is printed
           once, to be given as XINYONG_NODE_KEY); prints the public key for the peers
  peer add --id ID --relation superior|subordinate|department --transport nats|http|file
           [--key PUBLIC-KEY] [--url URL --api-key KEY] [--account NAME] [--items a,b]
           [--lists a,b] [--regions 3501,3502] [--purpose ITEM=PURPOSE ...] [--name N]
  peer list | peer remove ID
  status   [--json]   each peer: position applied, lag (facts, seconds), last error, held facts
  export   --peer ID [--after POS] -o FILE   this node's feed for a peer as signed batches
  import   [--from ORIGIN] FILE...           apply signed batches from files (file ferry)`

func runExchange(args []string, stdout, stderr io.Writer) int {
	var cfg config.Config
	fs := newFlagSet("exchange", exchangeSynopsis, stdout)
	cfg.Register(fs)
	cfg.RegisterExchange(fs)
	var (
		id, level, region, name                        string
		relation, transport, key, url, apiKey, account string
		items, lists, regions                          string
		purposes                                       multiFlag
		asJSON                                         bool
		peerID, out, from                              string
		after                                          int64
	)
	fs.StringVar(&id, "id", "", "init, peer add: the node's or peer's ID (letters, digits, - and _)")
	fs.StringVar(&level, "level", "", "init, peer add: county, city, province or national")
	fs.StringVar(&region, "region", "", "init, peer add: GB/T 2260 region code")
	fs.StringVar(&name, "name", "", "init, peer add: name")
	fs.StringVar(&relation, "relation", "", "peer add: superior (receives this node's facts, sends lists and decisions down), subordinate, or department")
	fs.StringVar(&transport, "transport", credit.TransportNATS, "peer add: nats, http or file")
	fs.StringVar(&key, "key", "", "peer add: the peer's public key (base64, from its `exchange init`)")
	fs.StringVar(&url, "url", "", "peer add: the peer's base URL, for HTTP pull of its feed")
	fs.StringVar(&apiKey, "api-key", "", "peer add: the API key this node pulls the peer's feed with")
	fs.StringVar(&account, "account", "", "peer add: the local account the peer pulls this node's feed with (HTTP)")
	fs.StringVar(&items, "items", "", "peer add: only these catalogue items (comma-separated)")
	fs.StringVar(&lists, "lists", "", "peer add: only these lists")
	fs.StringVar(&regions, "regions", "", "peer add: only subjects of these GB/T 2260 regions (prefixes)")
	fs.Var(&purposes, "purpose", "peer add, department: ITEM=PURPOSE, the stated purpose for a conditionally shared item (有条件共享); repeat")
	fs.BoolVar(&asJSON, "json", false, "status: as JSON")
	fs.StringVar(&peerID, "peer", "", "export: the peer the feed is for")
	fs.Int64Var(&after, "after", 0, "export: from after this position of this node's feed (0: everything, a snapshot)")
	fs.StringVar(&out, "o", "", "export: the file to write")
	fs.StringVar(&from, "from", "", "import: the origin the files must come from")
	if code, done := parse(fs, args, stderr); done {
		return code
	}
	rest := fs.Args()
	if len(rest) == 0 {
		fs.Usage()
		return 2
	}
	if err := cfg.Validate(); err != nil {
		return fail(stderr, "exchange", err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	switch rest[0] {
	case "init":
		return exchangeInit(ctx, &cfg, credit.Node{ID: id, Level: level, Region: region, Name: name}, stdout, stderr)
	case "peer":
		if len(rest) < 2 {
			fs.Usage()
			return 2
		}
		st, err := app.OpenStore(ctx, &cfg)
		if err != nil {
			return fail(stderr, "exchange", err)
		}
		defer st.Close()
		switch rest[1] {
		case "add":
			p := credit.Peer{ID: id, Name: name, Level: level, Region: region, Relation: relation, Transport: transport,
				URL: url, APIKey: apiKey, Account: account, Items: splitList(items), Lists: splitList(lists), Regions: splitList(regions)}
			if key != "" {
				pub, err := exchange.ParseKey(key)
				if err != nil {
					return fail(stderr, "exchange", err)
				}
				p.PublicKey = pub
			}
			if len(purposes) > 0 {
				p.Purposes = map[string]string{}
				for _, v := range purposes {
					k, purpose, ok := strings.Cut(v, "=")
					if !ok || strings.TrimSpace(purpose) == "" {
						return fail(stderr, "exchange", fmt.Errorf("--purpose %q: give ITEM=PURPOSE", v))
					}
					p.Purposes[strings.TrimSpace(k)] = strings.TrimSpace(purpose)
				}
			}
			if err := exchange.CheckPeer(&p); err != nil {
				return fail(stderr, "exchange", err)
			}
			if err := st.PutPeer(ctx, &p); err != nil {
				return fail(stderr, "exchange", err)
			}
			fmt.Fprintf(stdout, "peer %s (%s, %s) saved; a running node takes it up when restarted\n", p.ID, p.Relation, p.Transport)
			return 0
		case "list":
			peers, err := st.Peers(ctx)
			if err != nil {
				return fail(stderr, "exchange", err)
			}
			tw := tabwriter.NewWriter(stdout, 2, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tRELATION\tTRANSPORT\tLEVEL\tREGION\tKEY\tNAME")
			for _, p := range peers {
				k := "-"
				if len(p.PublicKey) > 0 {
					k = exchange.KeyID(p.PublicKey)
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", p.ID, p.Relation, p.Transport, p.Level, p.Region, k, p.Name)
			}
			tw.Flush()
			return 0
		case "remove":
			if len(rest) != 3 {
				fs.Usage()
				return 2
			}
			if err := st.DeletePeer(ctx, rest[2]); err != nil {
				return fail(stderr, "exchange", err)
			}
			return 0
		}
		fs.Usage()
		return 2
	case "status":
		st, err := app.OpenStore(ctx, &cfg)
		if err != nil {
			return fail(stderr, "exchange", err)
		}
		defer st.Close()
		s, err := exchange.ReadStatus(ctx, st, time.Now())
		if err != nil {
			return fail(stderr, "exchange", err)
		}
		if asJSON {
			enc := json.NewEncoder(stdout)
			enc.SetIndent("", "  ")
			_ = enc.Encode(s)
			return 0
		}
		printStatus(stdout, s)
		return 0
	case "export", "import":
		node, err := app.Open(ctx, &cfg, app.Parts{NoSearchIndex: true, WithExchange: true})
		if err != nil {
			return fail(stderr, "exchange", err)
		}
		defer node.Close(context.Background())
		if rest[0] == "export" {
			if peerID == "" || out == "" {
				return fail(stderr, "exchange", errors.New("export needs --peer and -o FILE"))
			}
			f, err := os.OpenFile(out, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
			if err != nil {
				return fail(stderr, "exchange", err)
			}
			to, n, err := node.Exchange.Export(ctx, peerID, after, f)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return fail(stderr, "exchange", err)
			}
			fmt.Fprintf(stdout, "exported %d facts for %s, positions %d..%d, to %s\n", n, peerID, after, to, out)
			return 0
		}
		if len(rest) < 2 {
			return fail(stderr, "exchange", errors.New("import needs FILE..."))
		}
		code := 0
		for _, path := range rest[1:] {
			f, err := os.Open(path)
			if err != nil {
				return fail(stderr, "exchange", err)
			}
			res, err := node.Exchange.Import(ctx, f, from)
			f.Close()
			if err != nil {
				return fail(stderr, "exchange", err)
			}
			fmt.Fprintf(stdout, "%s: %d batches, %d facts applied, %d held, %d applied before, %d batches refused\n", path, res.Batches, res.Applied, res.Held, res.Skipped, res.Refused)
			for _, e := range res.Errors {
				fmt.Fprintf(stderr, "xinyong exchange: %s: %s\n", path, strings.ReplaceAll(e.Error(), "\n", "; "))
				code = 1
			}
		}
		return code
	}
	fs.Usage()
	return 2
}

// exchangeInit sets the node's identity and makes its key.
func exchangeInit(ctx context.Context, cfg *config.Config, n credit.Node, stdout, stderr io.Writer) int {
	if err := exchange.CheckNode(&n); err != nil {
		return fail(stderr, "exchange", err)
	}
	st, err := app.OpenStore(ctx, cfg)
	if err != nil {
		return fail(stderr, "exchange", err)
	}
	defer st.Close()
	if old, err := st.ExchangeNode(ctx); err == nil {
		return fail(stderr, "exchange", fmt.Errorf("this node already is %s (%s, key %s): its peers know it by that key", old.ID, old.Level, exchange.KeyID(old.PublicKey)))
	}
	priv, text, err := exchange.NewKey()
	if err != nil {
		return fail(stderr, "exchange", err)
	}
	if strings.TrimSpace(cfg.NodeKey) != "" {
		if priv, err = exchange.ParsePrivate(cfg.NodeKey); err != nil {
			return fail(stderr, "exchange", err)
		}
	} else if path := cfg.NodeKeyFile(); path != "" {
		if err := exchange.WriteKeyFile(path, text); err != nil {
			return fail(stderr, "exchange", err)
		}
		fmt.Fprintf(stdout, "signing key written to %s (back it up with the database)\n", path)
	} else {
		fmt.Fprintf(stdout, "signing key (give it to every node of this installation as XINYONG_NODE_KEY; it is not shown again):\n%s\n", text)
	}
	n.PublicKey = []byte(priv.Public().(ed25519.PublicKey))
	if err := st.PutExchangeNode(ctx, &n); err != nil {
		return fail(stderr, "exchange", err)
	}
	fmt.Fprintf(stdout, "node %s (%s, %s, %s)\npublic key: %s\n", n.ID, n.Level, n.Region, n.Name, exchange.KeyText(n.PublicKey))
	return 0
}

func printStatus(w io.Writer, s *exchange.Status) {
	if s.Node == nil {
		fmt.Fprintln(w, "this node has no exchange identity (xinyong exchange init)")
	} else {
		fmt.Fprintf(w, "node %s (%s, %s, %s), key %s, feed head %d\n", s.Node.ID, s.Node.Level, s.Node.Region, s.Node.Name, exchange.KeyID(s.Node.PublicKey), s.Head)
	}
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "PEER\tRELATION\tTRANSPORT\tAPPLIED\tFACTS\tLAG FACTS\tLAG S\tHELD\tSENT\tLAST ERROR")
	for _, p := range s.Peers {
		lastErr := p.Cursor.LastError
		if lastErr == "" {
			lastErr = "-"
		} else if !p.Cursor.ErrorAt.IsZero() {
			lastErr = p.Cursor.ErrorAt.Format(time.RFC3339) + " " + lastErr
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%d\t%.1f\t%d\t%d\t%s\n", p.Peer.ID, p.Peer.Relation, p.Peer.Transport, p.Cursor.Pos, p.Cursor.Facts, p.LagFacts, p.LagSeconds, p.Held, p.Sent, lastErr)
	}
	tw.Flush()
	for _, h := range s.Held {
		fmt.Fprintf(w, "held: %s %s %s (%s): %s\n", h.Origin, h.Kind, h.FactID, h.Item, h.Reason)
	}
}

func splitList(s string) []string {
	var out []string
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// multiFlag is a repeatable string flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

var _ flag.Value = (*multiFlag)(nil)
