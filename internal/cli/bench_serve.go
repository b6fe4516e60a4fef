package cli

import (
	"bufio"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/xinyong/xinyong/internal/server"
)

// The single-subject phase measures servers running as processes of their
// own, as a check node runs: `xinyong serve` on the bench database, and,
// for the baseline, `xinyong bench bare-serve`, a bare net/http server
// answering a constant body. In the bench's own process the server shared
// its heap with the seeding and the earlier phases (and the collector's
// work on them), which a node does not carry.

// bareServeCmd is the hidden `xinyong bench bare-serve` the bench starts
// as the baseline server.
const bareServeCmd = "bare-serve"

func runBenchBareServe(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("bench", "bench bare-serve --addr HOST:PORT --body FILE [--pprof-addr HOST:PORT] (started by bench check and bench city)", stdout)
	addr := fs.String("addr", "127.0.0.1:0", "listen address")
	bodyFile := fs.String("body", "", "file holding the body every request is answered with")
	pprofAddr := fs.String("pprof-addr", "", "serve net/http/pprof on this address too (for --server-cpuprofile and --server-trace), as serve --pprof does on its metrics listener")
	if code, done := parse(fs, args, stderr); done {
		return code
	}
	if *bodyFile == "" {
		fmt.Fprintln(stderr, "xinyong bench bare-serve: need --body FILE (the body every request is answered with)")
		return 2
	}
	body, err := os.ReadFile(*bodyFile)
	if err != nil {
		return fail(stderr, "bench", err)
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fail(stderr, "bench", err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	if *pprofAddr != "" {
		// An empty registry: the profiles only, so that the bench's
		// warm-up, which waits for collections where a child reports
		// them, treats the bare server as before.
		pln, err := net.Listen("tcp", *pprofAddr)
		if err != nil {
			return fail(stderr, "bench", err)
		}
		go func() {
			_ = server.Serve(ctx, pln, server.MetricsHandler(prometheus.NewRegistry(), true), logger, server.Limits{})
		}()
	}
	if err := server.Serve(ctx, ln, bareHandler(body), logger, server.Limits{}); err != nil && !errors.Is(err, context.Canceled) {
		return fail(stderr, "bench", err)
	}
	return 0
}

// startBareServe starts `xinyong bench bare-serve` answering every
// request with sample. With a profile file for the node (NODE.pprof), the
// bare server's profile of its first measured run goes beside it
// (NODE.pprof.bare), so that the two can be compared with pprof -diff_base;
// so does its execution trace beside the node's (NODE.trace.bare).
func startBareServe(ctx context.Context, dir string, sample []byte, nodeProfile, nodeTrace string) (*benchChild, error) {
	body := filepath.Join(dir, "bench-check-body.json")
	if err := os.WriteFile(body, sample, 0o600); err != nil {
		return nil, err
	}
	args := []string{"bench", bareServeCmd, "--body", body}
	var paddr string
	if nodeProfile != "" || nodeTrace != "" {
		a, err := freeAddr()
		if err != nil {
			return nil, err
		}
		paddr = a
		args = append(args, "--pprof-addr", paddr)
	}
	bc, err := startBenchChild(ctx, dir, "bench-bare-serve", args, nil, time.Minute)
	if err != nil {
		return nil, err
	}
	if paddr != "" {
		bc.metrics = paddr
	}
	if nodeProfile != "" {
		bc.profile = nodeProfile + ".bare"
	}
	if nodeTrace != "" {
		bc.trace = nodeTrace + ".bare"
	}
	return bc, nil
}

// freeAddr is a free loopback address for a child to bind a moment later.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// benchChild is a server the bench started as a child process.
type benchChild struct {
	name    string
	addr    string
	metrics string // where it serves /metrics, if it does
	profile string // where its first measured run's CPU profile goes (serve --pprof), if anywhere
	trace   string // where its first measured run's execution trace goes, if anywhere
	cmd     *exec.Cmd
	log     string // the child's stdout and stderr
	done    chan struct{}
	err     error // set when done closes
}

// startBenchChild runs this executable with args plus --addr on a free
// loopback port, and waits until it answers GET /readyz with 200 (at most
// ready). Its output goes to NAME.log in dir.
func startBenchChild(ctx context.Context, dir, name string, args, env []string, ready time.Duration) (*benchChild, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	c := &benchChild{name: name, addr: addr, log: filepath.Join(dir, name+".log"), done: make(chan struct{})}
	logf, err := os.Create(c.log)
	if err != nil {
		return nil, err
	}
	c.cmd = exec.Command(exe, append(args, "--addr", addr)...)
	c.cmd.Stdout, c.cmd.Stderr = logf, logf
	c.cmd.Env = append(os.Environ(), env...)
	if err := c.cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	go func() {
		c.err = c.cmd.Wait()
		logf.Close()
		close(c.done)
	}()
	client := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(ready)
	for {
		resp, err := client.Get("http://" + addr + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return c, nil
			}
		}
		select {
		case <-c.done:
			return nil, fmt.Errorf("%s exited before it was ready (%v): see %s", name, c.err, c.log)
		case <-ctx.Done():
			c.stop()
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			c.stop()
			return nil, fmt.Errorf("%s not ready after %s: see %s", name, ready, c.log)
		}
	}
}

// stop asks the child to shut down (SIGTERM, as a service manager does),
// and kills it if it has not exited after 30 s.
func (c *benchChild) stop() error {
	select {
	case <-c.done:
		return nil
	default:
	}
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.done:
	case <-time.After(30 * time.Second):
		_ = c.cmd.Process.Kill()
		<-c.done
		return fmt.Errorf("%s did not stop within 30 s of SIGTERM: killed", c.name)
	}
	var exit *exec.ExitError
	if c.err != nil && !errors.As(c.err, &exit) {
		return c.err
	}
	if exit != nil && !exit.Success() {
		return fmt.Errorf("%s exited with %v: see %s", c.name, c.err, c.log)
	}
	return nil
}

// idleShare is the share of a core below which a node counts as idle.
const idleShare = 0.05

// waitIdle waits, at most max, until the child has used less than
// idleShare of a core over five seconds: a node that has just started on
// a store filled in bulk catches up in the background after /readyz (the
// transparency log, the evaluation's first pass and its file copies), and
// a latency measured meanwhile is of that work as much as of the requests.
// It returns how long it waited and whether the child became idle.
func (c *benchChild) waitIdle(ctx context.Context, max time.Duration, progress io.Writer) (time.Duration, bool, error) {
	const window = 5 * time.Second
	t0 := time.Now()
	for {
		before := c.cpu()
		select {
		case <-ctx.Done():
			return time.Since(t0), false, ctx.Err()
		case <-c.done:
			return time.Since(t0), false, fmt.Errorf("%s exited while catching up (%v): see %s", c.name, c.err, c.log)
		case <-time.After(window):
		}
		share := float64(c.cpu()-before) / float64(window)
		if share < idleShare {
			fmt.Fprintln(progress)
			return time.Since(t0), true, nil
		}
		if time.Since(t0) >= max {
			fmt.Fprintln(progress)
			return time.Since(t0), false, nil
		}
		fmt.Fprintf(progress, "bench: %s still catching up after %s (%.0f %% of a core)\r", c.name, time.Since(t0).Round(time.Second), share*100)
	}
}

// cpu is the child's CPU time so far (user and system), 0 where the
// platform does not say.
func (c *benchChild) cpu() time.Duration { return pidCPU(c.cmd.Process.Pid) }

// startCaptures asks a child that serves profiles (benchChild.profile,
// benchChild.trace) for a CPU profile and an execution trace of the next
// d, the first time only, and returns what waits for them and writes them
// to their files; for any other target, a no-op.
func (t *loadTarget) startCaptures(d time.Duration) func() error {
	c := t.child
	if c == nil || c.metrics == "" || c.profile == "" && c.trace == "" {
		return func() error { return nil }
	}
	secs := max(1, int(d.Round(time.Second)/time.Second))
	var waits []func() error
	if c.profile != "" {
		waits = append(waits, fetchTo(fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", c.metrics, secs), c.profile, d))
		c.profile = ""
	}
	if c.trace != "" {
		waits = append(waits, fetchTo(fmt.Sprintf("http://%s/debug/pprof/trace?seconds=%d", c.metrics, secs), c.trace, d))
		c.trace = ""
	}
	return func() error {
		var errs []error
		for _, w := range waits {
			errs = append(errs, w())
		}
		return errors.Join(errs...)
	}
}

// fetchTo starts a GET of url, which answers after about d, and returns
// what waits for it and writes the answer to file.
func fetchTo(url, file string, d time.Duration) func() error {
	type got struct {
		body []byte
		err  error
	}
	done := make(chan got, 1)
	go func() {
		client := &http.Client{Timeout: d + time.Minute}
		resp, err := client.Get(url)
		if err != nil {
			done <- got{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err == nil && resp.StatusCode != http.StatusOK {
			err = fmt.Errorf("%s: %s", url, resp.Status)
		}
		done <- got{b, err}
	}()
	return func() error {
		g := <-done
		if g.err != nil {
			return fmt.Errorf("server profile: %w", g.err)
		}
		return os.WriteFile(file, g.body, 0o644)
	}
}

// gcCycles reads the child's completed collections from its /metrics
// (go_gc_duration_seconds_count); ok is false for a child without them.
func (c *benchChild) gcCycles() (n int, ok bool) {
	if c.metrics == "" {
		return 0, false
	}
	client := &http.Client{Timeout: 5 * time.Second}
	resp, err := client.Get("http://" + c.metrics + "/metrics")
	if err != nil {
		return 0, false
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		if v, found := strings.CutPrefix(sc.Text(), "go_gc_duration_seconds_count "); found {
			n, err := strconv.Atoi(strings.TrimSpace(v))
			return n, err == nil
		}
	}
	return 0, false
}

// loadTarget is a server a single-subject phase measures: in the bench's
// process, or a child process.
type loadTarget struct {
	addr  string
	child *benchChild // nil in process
	svc   interface{ Flush(context.Context) error }
	close func()
}

// flush has the server's checks log written: in process directly; a child
// writes its log every 50 ms by itself, so its writer is given time to.
func (t *loadTarget) flush(ctx context.Context) error {
	if t.child != nil {
		select {
		case <-time.After(200 * time.Millisecond):
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if t.svc == nil {
		return nil
	}
	return t.svc.Flush(ctx)
}

func (t *loadTarget) cpu() time.Duration {
	if t.child != nil {
		return t.child.cpu()
	}
	return processCPU()
}

// faults is the server process's minor page faults so far.
func (t *loadTarget) faults() int64 {
	if t.child != nil {
		return pidFaults(t.child.cmd.Process.Pid)
	}
	return selfFaults()
}

func (t *loadTarget) gcCycles() (int, bool) {
	if t.child != nil {
		return t.child.gcCycles()
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return int(ms.NumGC), true
}

// stop stops the target's server; a second call does nothing.
func (t *loadTarget) stop() error {
	if t.child != nil {
		return t.child.stop()
	}
	if t.close != nil {
		t.close()
		t.close = nil
	}
	return nil
}

// singleTargets gives the bare handler and the Xinyong server of the
// single-subject phase: child processes (`bench bare-serve` and `serve` on
// the bench database, with the bench's data key and the node's kind), or,
// with ServerInProcess, the bare handler served in this process beside
// the server already serving at addr.
func singleTargets(ctx context.Context, o BenchCheckOptions, dir, addr string, sample []byte, svc interface{ Flush(context.Context) error }, logger *slog.Logger, progress io.Writer) (bare, srv *loadTarget, err error) {
	if o.ServerInProcess {
		bareAddr, stopBare, err := serveBench(ctx, bareHandler(sample), logger)
		if err != nil {
			return nil, nil, err
		}
		return &loadTarget{addr: bareAddr, close: stopBare}, &loadTarget{addr: addr, svc: svc}, nil
	}
	bc, err := startBareServe(ctx, dir, sample, o.ServerCPUProfile, o.ServerTrace)
	if err != nil {
		return nil, nil, err
	}
	fmt.Fprintf(progress, "bench: starting `xinyong serve --search-index=%t` on the bench database\n", !o.NoSearchIndex)
	maddr, err := freeAddr()
	if err != nil {
		bc.stop()
		return nil, nil, err
	}
	env := []string{"XINYONG_DATA_KEY=" + hex.EncodeToString(benchDataKey)}
	if o.ServerCPUProfile != "" || o.ServerTrace != "" {
		env = append(env, "XINYONG_PPROF=1")
	}
	sc, err := startBenchChild(ctx, dir, "bench-serve", []string{"serve", "--db", filepath.Join(dir, benchDBFile),
		"--search-index=" + strconv.FormatBool(!o.NoSearchIndex), "--public-rate", "0", "--metrics-addr", maddr},
		env, 10*time.Minute)
	if err != nil {
		bc.stop()
		return nil, nil, err
	}
	sc.metrics = maddr
	sc.profile, sc.trace = o.ServerCPUProfile, o.ServerTrace
	return &loadTarget{addr: bc.addr, child: bc}, &loadTarget{addr: sc.addr, child: sc}, nil
}

// runCost is what one measured run cost the server: CPU and minor page
// faults per request (zero when not counted: the generator in the
// server's process), and the collections its garbage collector completed
// during the run (-1 where they cannot be read).
type runCost struct {
	CPU    time.Duration
	Faults float64
	GCs    int
	// Steal is the share of the machine's processor time its hypervisor
	// gave to other guests during the run (-1 where it cannot be read).
	Steal float64
}

// addTo adds one of pairs runs to a side's results: CPU and faults as
// their means over the pairs, collections and steal run by run.
func (c runCost) addTo(cpu *time.Duration, faults *float64, gcs *[]int, steal *[]float64, pairs int) {
	*cpu += c.CPU / time.Duration(pairs)
	*faults += c.Faults / float64(pairs)
	*gcs = append(*gcs, c.GCs)
	*steal = append(*steal, c.Steal)
}

// measureSingle is one measured single-subject run of rate requests a
// second for d against t, sent by gen (latencies to latFile when set),
// and what it cost the server (CPU and faults when counted). bench check
// and bench city both measure through it.
//
// Each run starts from the same state: the checks log of the earlier
// runs written, the heap collected and the freed memory returned to the
// system (at 1M subjects the earlier phases leave gigabytes, whose release
// by the background scavenger took the CPU from both processes during the
// next phase). Then the warm-up runs unmeasured until the server's
// collector has completed two cycles under load (at most a minute): until
// then the heap grows into pages never touched, each first touch a page
// fault (thousands a second at 1M subjects), which a server that has been
// running does not pay; after a cycle the freed pages are reused.
func measureSingle(ctx context.Context, t *loadTarget, warmup, d time.Duration, rate int, latFile string,
	gen func(addr string, d time.Duration, latFile string) (LoadResult, error), counted bool) (r LoadResult, cost runCost, err error) {
	if err := t.flush(ctx); err != nil {
		return r, cost, err
	}
	debug.FreeOSMemory()
	if warmup > 0 {
		start, haveCycles := t.gcCycles()
		deadline := time.Now().Add(time.Minute)
		for {
			if _, err := gen(t.addr, warmup, ""); err != nil {
				return r, cost, fmt.Errorf("warm-up: %w", err)
			}
			n, ok := t.gcCycles()
			if !haveCycles || !ok || n >= start+2 || time.Now().After(deadline) {
				break
			}
		}
		if err := t.flush(ctx); err != nil {
			return r, cost, err
		}
	}
	cpu0, faults0 := t.cpu(), t.faults()
	gc0, gcOK := t.gcCycles()
	total0, steal0, stealOK := machineTicks()
	prof := t.startCaptures(d)
	if r, err = gen(t.addr, d, latFile); err != nil {
		return r, cost, err
	}
	if err := prof(); err != nil {
		return r, cost, err
	}
	cost.GCs, cost.Steal = -1, -1
	if gc1, ok := t.gcCycles(); ok && gcOK {
		cost.GCs = gc1 - gc0
	}
	if total1, steal1, ok := machineTicks(); ok && stealOK && total1 > total0 {
		cost.Steal = float64(steal1-steal0) / float64(total1-total0)
	}
	// The run's checks are written before its CPU is read: the log
	// writer's work is part of what a check costs.
	if err := t.flush(ctx); err != nil {
		return r, cost, err
	}
	if n := d.Seconds() * float64(rate); n > 0 && counted {
		cost.CPU = time.Duration(float64(t.cpu()-cpu0) / n)
		cost.Faults = float64(t.faults()-faults0) / n
	}
	return r, cost, nil
}
