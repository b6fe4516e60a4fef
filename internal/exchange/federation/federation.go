// Package federation runs platforms of several levels as real processes
// of the xinyong binary, each on its own store, exchanging over NATS
// JetStream: the harness of the federation tests and of `xinyong bench
// exchange`. It starts, kills (SIGKILL), pauses (SIGSTOP, a partition) and
// resumes nodes, and links them as peers.
package federation

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/xinyong/xinyong/internal/exchange"
)

// Spec is one node: its identity and its store (a SQLite file path or a
// postgres:// DSN), with its data key.
type Spec struct {
	ID, Level, Region, Name string
	DB                      string
	DataKey                 string
}

// Node is one node's process.
type Node struct {
	Spec
	// NodeKey is its signing key, PublicKey the public half (text).
	NodeKey, PublicKey string
	Addr               string
	Log                string
	f                  *Federation
	cmd                *exec.Cmd
	done               chan struct{}
}

// Federation is the nodes of one run.
type Federation struct {
	Bin  string
	Dir  string
	NATS string
	// ExchangeKey is the federation's exchange key.
	ExchangeKey string
	Nodes       []*Node
	// Extra is added to every node's environment.
	Extra []string
}

// New makes a federation of specs; nothing runs yet.
func New(bin, dir, natsURL, exchangeKey string, specs ...Spec) (*Federation, error) {
	f := &Federation{Bin: bin, Dir: dir, NATS: natsURL, ExchangeKey: exchangeKey}
	for _, s := range specs {
		_, text, err := exchange.NewKey()
		if err != nil {
			return nil, err
		}
		n := &Node{Spec: s, NodeKey: text, f: f, Log: filepath.Join(dir, s.ID+".log")}
		f.Nodes = append(f.Nodes, n)
	}
	return f, nil
}

// Node returns the node with the ID.
func (f *Federation) Node(id string) *Node {
	for _, n := range f.Nodes {
		if n.ID == id {
			return n
		}
	}
	return nil
}

// Env is a node's environment for the binary.
func (n *Node) Env() []string {
	env := append(os.Environ(), "XINYONG_DB="+n.DB, "XINYONG_NODE_KEY="+n.NodeKey, "XINYONG_EXCHANGE_KEY="+n.f.ExchangeKey,
		"XINYONG_NATS="+n.f.NATS, "XINYONG_METRICS_ADDR=", "XINYONG_LOG_LEVEL=info")
	if n.DataKey != "" {
		env = append(env, "XINYONG_DATA_KEY="+n.DataKey)
	}
	return append(env, n.f.Extra...)
}

// Run runs a command of the binary on the node's store.
func (n *Node) Run(ctx context.Context, args ...string) ([]byte, error) {
	c := exec.CommandContext(ctx, n.f.Bin, args...)
	c.Env = n.Env()
	out, err := c.CombinedOutput()
	if err != nil {
		return out, fmt.Errorf("%s: xinyong %s: %w\n%s", n.ID, strings.Join(args, " "), err, out)
	}
	return out, nil
}

// Init gives every node its identity.
func (f *Federation) Init(ctx context.Context) error {
	for _, n := range f.Nodes {
		out, err := n.Run(ctx, "exchange", "init", "--id", n.ID, "--level", n.Level, "--region", n.Region, "--name", n.Name)
		if err != nil {
			return err
		}
		for _, l := range strings.Split(string(out), "\n") {
			if k, ok := strings.CutPrefix(l, "public key: "); ok {
				n.PublicKey = strings.TrimSpace(k)
			}
		}
		if n.PublicKey == "" {
			return fmt.Errorf("%s: no public key in %s", n.ID, out)
		}
	}
	return nil
}

// Link makes lower a subordinate of upper over NATS, and upper its
// superior.
func (f *Federation) Link(ctx context.Context, lower, upper string) error {
	lo, up := f.Node(lower), f.Node(upper)
	if _, err := lo.Run(ctx, "exchange", "peer", "add", "--id", up.ID, "--relation", "superior", "--transport", "nats",
		"--key", up.PublicKey, "--level", up.Level, "--region", up.Region, "--name", up.Name); err != nil {
		return err
	}
	_, err := up.Run(ctx, "exchange", "peer", "add", "--id", lo.ID, "--relation", "subordinate", "--transport", "nats",
		"--key", lo.PublicKey, "--level", lo.Level, "--region", lo.Region, "--name", lo.Name)
	return err
}

// Start starts the node's `serve` and waits until it answers.
func (n *Node) Start(ctx context.Context) error {
	if n.Addr == "" {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		n.Addr = ln.Addr().String()
		ln.Close()
	}
	log, err := os.OpenFile(n.Log, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	c := exec.Command(n.f.Bin, "serve", "--addr", n.Addr)
	c.Env = n.Env()
	c.Stdout, c.Stderr = log, log
	if err := c.Start(); err != nil {
		log.Close()
		return err
	}
	n.cmd, n.done = c, make(chan struct{})
	go func() { _ = c.Wait(); log.Close(); close(n.done) }()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-n.done:
			return fmt.Errorf("%s: serve exited at start:\n%s", n.ID, n.Tail())
		default:
		}
		if conn, err := net.DialTimeout("tcp", n.Addr, 200*time.Millisecond); err == nil {
			conn.Close()
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("%s: serve did not answer on %s", n.ID, n.Addr)
}

// Kill kills the node with SIGKILL (a crash) and waits for it to end.
func (n *Node) Kill() {
	if n.cmd == nil {
		return
	}
	_ = n.cmd.Process.Kill() // SIGKILL ends a paused process too
	<-n.done
	n.cmd = nil
}

// Stop ends the node with SIGTERM.
func (n *Node) Stop() {
	if n.cmd == nil {
		return
	}
	_ = n.Resume() // a paused process takes SIGTERM only once it runs again
	terminate(n.cmd.Process)
	select {
	case <-n.done:
	case <-time.After(30 * time.Second):
		_ = n.cmd.Process.Kill()
		<-n.done
	}
	n.cmd = nil
}

// Pause stops the process (SIGSTOP): it neither consumes nor publishes,
// as if cut off; Resume lets it go on. Where there are no such signals
// (Windows), Pause fails the test or bench that needs it.
func (n *Node) Pause() error  { return pause(n.cmd.Process) }
func (n *Node) Resume() error { return resume(n.cmd.Process) }

// Tail is the end of the node's log.
func (n *Node) Tail() string {
	b, _ := os.ReadFile(n.Log)
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(bytes.TrimSpace(b))
}

// Close stops every node and deletes their streams.
func (f *Federation) Close() {
	for _, n := range f.Nodes {
		n.Stop()
	}
	nc, js, err := exchange.Connect(f.NATS, "federation cleanup")
	if err != nil {
		return
	}
	defer nc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, n := range f.Nodes {
		_ = js.DeleteStream(ctx, exchange.StreamName(n.ID))
	}
}

// Reachable says whether a NATS server with JetStream answers at url.
func Reachable(url string) error {
	nc, js, err := exchange.Connect(url, "probe")
	if err != nil {
		return err
	}
	defer nc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	_, err = js.AccountInfo(ctx)
	return err
}

var _ = jetstream.ErrStreamNotFound
