package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/xinyong/xinyong/internal/sanction"
)

// The single-subject phase of `bench check` is an open-loop load test:
// request i is due at start + i/rate whatever the earlier ones did, and
// its latency counts from its due time, so neither a stalled server nor a
// late generator can hide in the percentiles. The generator normally runs
// in a child process (`xinyong bench check-load`), as a calling system
// would; on Linux it is one locked OS thread driving non-blocking sockets
// from epoll with a timerfd for the due times, so its own lateness is the
// kernel's timer slack (~50 µs) rather than the Go runtime's netpoll
// timeout granularity (1 ms), which the goroutine generator added to every
// latency it measured.

// LoadResult is what one open-loop run measured.
type LoadResult struct {
	Rate                float64       // requests per second achieved
	P50, P99, P999, Max time.Duration // latency from each request's due time
	// LagP50 and LagP99 are how late the generator itself put requests on
	// the wire after their due times (part of the latencies above).
	LagP50, LagP99 time.Duration
	Errors         int // failed requests and answers other than 200

	// start, lat and lag are the run's start and its per-request figures,
	// in due order, for check-load --latencies (not in the JSON result).
	start    time.Time
	lat, lag []time.Duration
}

// summarise fills the percentiles of r from per-request latencies and lags.
func (r *LoadResult) summarise(start time.Time, lat, lag []time.Duration, elapsed time.Duration) {
	r.start, r.lat, r.lag = start, lat, lag
	r.Rate = float64(len(lat)) / elapsed.Seconds()
	r.P50, r.P99, r.P999, r.Max = percentile(lat, 0.50), percentile(lat, 0.99), percentile(lat, 0.999), percentile(lat, 1)
	r.LagP50, r.LagP99 = percentile(lag, 0.50), percentile(lag, 0.99)
}

// loadConns is how many keep-alive connections the generator keeps open.
const loadConns = 64

// checkRequests builds one-subject check requests for codes, whole
// HTTP/1.1 messages ready to write.
func checkRequests(addr, key string, codes []string) [][]byte {
	reqs := make([][]byte, min(4096, len(codes)))
	for i := range reqs {
		body, _ := json.Marshal(sanction.Request{Matter: benchMatter, Subjects: []sanction.Query{{Code: codes[(i*7919)%len(codes)]}}})
		reqs[i] = rawRequest(addr, key, body)
	}
	return reqs
}

// rawConn is a minimal HTTP/1.1 client on one keep-alive connection: the
// load generator shares the machine with the server, so it must cost as
// little as possible (net/http's Client costs more than the check).
type rawConn struct {
	c  net.Conn
	br *bufio.Reader
	// closing is set when the server said it closes the connection after
	// the last response.
	closing bool
}

func dialRaw(addr string) (*rawConn, error) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	return &rawConn{c: c, br: bufio.NewReaderSize(c, 64<<10)}, nil
}

// dialWarm connects and sends one request, answered before timing starts,
// so the server's connection set-up is not measured. A server may close
// any connection after an answer; a few attempts get one it keeps open.
func dialWarm(addr string, req []byte) (*rawConn, error) {
	for attempt := 0; ; attempt++ {
		rc, err := dialRaw(addr)
		if err != nil {
			return nil, err
		}
		if _, err := rc.do(req); err != nil {
			rc.c.Close()
			return nil, fmt.Errorf("load: warm-up request: %w", err)
		}
		if !rc.closing {
			return rc, nil
		}
		rc.c.Close()
		if attempt == 2 {
			return nil, errors.New("load: the server closes every connection after one request")
		}
	}
}

func rawRequest(addr, key string, body []byte) []byte {
	return append([]byte(fmt.Sprintf("POST /api/v1/checks HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nAuthorization: Bearer %s\r\nContent-Length: %d\r\n\r\n",
		addr, key, len(body))), body...)
}

func (rc *rawConn) do(req []byte) (int, error) {
	status, _, err := rc.doBody(req)
	return status, err
}

func (rc *rawConn) doBody(req []byte) (int, []byte, error) {
	if _, err := rc.c.Write(req); err != nil {
		return 0, nil, err
	}
	res, err := http.ReadResponse(rc.br, nil)
	if err != nil {
		return 0, nil, err
	}
	body, err := io.ReadAll(res.Body)
	res.Body.Close()
	rc.closing = res.Close
	return res.StatusCode, body, err
}

// rawResponse is what the generator needs of one response.
type rawResponse struct {
	Status int
	Len    int  // bytes, head and body
	Close  bool // "Connection: close": the server closes after it
}

// parseResponse finds one whole HTTP/1.1 response at the start of b; ok is
// false while the response is incomplete. It reads Content-Length and
// chunked bodies, which is all a net/http server sends to a POST.
func parseResponse(b []byte) (r rawResponse, ok bool, err error) {
	end := bytes.Index(b, []byte("\r\n\r\n"))
	if end < 0 {
		return r, false, nil
	}
	head := b[:end]
	line, fields, _ := bytes.Cut(head, []byte("\r\n"))
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.")) {
		return r, false, fmt.Errorf("not an HTTP/1.x status line: %q", line)
	}
	if r.Status, err = strconv.Atoi(string(line[9:12])); err != nil {
		return r, false, fmt.Errorf("status line %q: %w", line, err)
	}
	length, chunked := -1, false
	for _, f := range bytes.Split(fields, []byte("\r\n")) {
		name, value, _ := bytes.Cut(f, []byte(":"))
		value = bytes.TrimSpace(value)
		switch {
		case bytes.EqualFold(name, []byte("Content-Length")):
			if length, err = strconv.Atoi(string(value)); err != nil || length < 0 {
				return r, false, fmt.Errorf("Content-Length %q", value)
			}
		case bytes.EqualFold(name, []byte("Transfer-Encoding")):
			chunked = bytes.EqualFold(value, []byte("chunked"))
		case bytes.EqualFold(name, []byte("Connection")):
			r.Close = bytes.EqualFold(value, []byte("close"))
		}
	}
	p := end + 4
	switch {
	case chunked:
		for {
			i := bytes.Index(b[p:], []byte("\r\n"))
			if i < 0 {
				return r, false, nil
			}
			sizeText, _, _ := bytes.Cut(b[p:p+i], []byte(";"))
			size, err := strconv.ParseUint(string(bytes.TrimSpace(sizeText)), 16, 31)
			if err != nil {
				return r, false, fmt.Errorf("chunk size %q", b[p:p+i])
			}
			p += i + 2
			if size == 0 {
				// No trailers from our server: the last chunk is followed
				// by the final CRLF.
				if len(b) < p+2 {
					return r, false, nil
				}
				r.Len = p + 2
				return r, true, nil
			}
			if len(b) < p+int(size)+2 {
				return r, false, nil
			}
			p += int(size) + 2
		}
	case length >= 0:
		if len(b) < p+length {
			return r, false, nil
		}
		r.Len = p + length
		return r, true, nil
	case r.Status == http.StatusNoContent || r.Status == http.StatusNotModified || r.Status/100 == 1:
		r.Len = p
		return r, true, nil
	default:
		return r, false, fmt.Errorf("response %d with neither Content-Length nor chunked body", r.Status)
	}
}

// openLoopGoroutines is the portable generator: a sender goroutine hands
// due requests to 64 connection goroutines. Its sleeps go through the Go
// runtime's timers, so on Linux it adds up to a millisecond of its own
// lateness to what it measures; it is the fallback where openLoopEpoll is
// not built, and what --load-in-process uses.
func openLoopGoroutines(ctx context.Context, addr string, reqs [][]byte, rate int, d time.Duration) (LoadResult, error) {
	total := int(d.Seconds() * float64(rate))
	type job struct {
		i  int
		at time.Time
	}
	jobs := make(chan job, total)
	lat := make([]time.Duration, total)
	lag := make([]time.Duration, total)
	var errs atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < loadConns; w++ {
		rc, err := dialWarm(addr, reqs[w%len(reqs)])
		if err != nil {
			return LoadResult{}, err
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { rc.c.Close() }()
			for j := range jobs {
				lag[j.i] = time.Since(j.at)
				code, err := rc.do(reqs[j.i%len(reqs)])
				lat[j.i] = time.Since(j.at)
				if err != nil || code != http.StatusOK {
					errs.Add(1)
				}
				if err != nil || rc.closing {
					rc.c.Close()
					if rc, err = dialRaw(addr); err != nil {
						return
					}
				}
			}
		}()
	}
	interval := time.Second / time.Duration(rate)
	start := time.Now()
	for i := 0; i < total && ctx.Err() == nil; i++ {
		at := start.Add(time.Duration(i) * interval)
		if w := time.Until(at); w > 0 {
			time.Sleep(w)
		}
		jobs <- job{i, at}
	}
	close(jobs)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return LoadResult{}, err
	}
	var r LoadResult
	r.summarise(start, lat, lag, time.Since(start))
	r.Errors = int(errs.Load())
	return r, nil
}

// checkLoadCmd is the hidden `xinyong bench check-load` the single-subject
// phase starts as a child process: the load generator in a process of its
// own, as a calling system would be, so its sender and connections do not
// queue in the server's Go scheduler behind the server's goroutines (and
// the server's behind them), which in one process added milliseconds to
// the tail that were not the server's.
const checkLoadCmd = "check-load"

// checkLoadKeyEnv carries the bench API key to the child (not on its
// command line).
const checkLoadKeyEnv = "XINYONG_BENCH_CHECK_KEY"

// loadProcess runs the generator in a child process (`xinyong bench
// check-load`) against addr and returns its figures.
// With latFile it also keeps every request's latency there
// (check-load --latencies).
func loadProcess(ctx context.Context, dir, addr, key string, codes []string, rate int, d time.Duration, latFile string, progress io.Writer) (LoadResult, error) {
	exe, err := os.Executable()
	if err != nil {
		return LoadResult{}, fmt.Errorf("load generator: %w", err)
	}
	var b strings.Builder
	for i := 0; i < min(4096, len(codes)); i++ {
		b.WriteString(codes[(i*7919)%len(codes)])
		b.WriteByte('\n')
	}
	codesFile := filepath.Join(dir, "bench-check-codes.txt")
	if err := os.WriteFile(codesFile, []byte(b.String()), 0o600); err != nil {
		return LoadResult{}, err
	}
	defer os.Remove(codesFile)
	cmd := exec.CommandContext(ctx, exe, "bench", checkLoadCmd, "--addr", addr, "--codes", codesFile,
		"--rate", strconv.Itoa(rate), "--duration", d.String())
	if latFile != "" {
		cmd.Args = append(cmd.Args, "--latencies", latFile)
	}
	cmd.Env = append(os.Environ(), checkLoadKeyEnv+"="+key)
	cmd.Stderr = progress
	out, err := cmd.Output()
	if err != nil {
		return LoadResult{}, fmt.Errorf("load generator process: %w", err)
	}
	var r LoadResult
	if err := json.Unmarshal(out, &r); err != nil {
		return LoadResult{}, fmt.Errorf("load generator process: unreadable result %q: %w", out, err)
	}
	return r, nil
}

// runBenchCheckLoad is the child side of loadProcess.
func runBenchCheckLoad(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("bench", "bench check-load --addr HOST:PORT --codes FILE [--rate R] [--duration D] (started by bench check; API key in $"+checkLoadKeyEnv+")", stdout)
	addr := fs.String("addr", "", "server address")
	codesFile := fs.String("codes", "", "file of subject codes, one a line")
	rate := fs.Int("rate", 5000, "requests per second (open loop)")
	d := fs.Duration("duration", 10*time.Second, "how long to send")
	latFile := fs.String("latencies", "", "also write every request's due time (Unix µs), generator lag and latency (µs) to this file, one request a line, to see when the slow ones came")
	if code, done := parse(fs, args, stderr); done {
		return code
	}
	key := os.Getenv(checkLoadKeyEnv)
	data, err := os.ReadFile(*codesFile)
	if err != nil {
		return fail(stderr, "bench", err)
	}
	codes := strings.Fields(string(data))
	if *addr == "" || key == "" || len(codes) == 0 || *rate <= 0 || *d <= 0 {
		fmt.Fprintf(stderr, "xinyong bench check-load: need --addr, --codes (non-empty), --rate > 0, --duration > 0 and $%s\n", checkLoadKeyEnv)
		return 2
	}
	r, err := openLoop(context.Background(), *addr, checkRequests(*addr, key, codes), *rate, *d)
	if err != nil {
		return fail(stderr, "bench", err)
	}
	if *latFile != "" {
		if err := writeLatencies(*latFile, r, *rate); err != nil {
			return fail(stderr, "bench", err)
		}
	}
	if err := json.NewEncoder(stdout).Encode(r); err != nil {
		return fail(stderr, "bench", err)
	}
	return 0
}

// latencyFile is where run i (from 0) of side writes its latencies in
// dir, or "" without a directory.
func latencyFile(dir, side string, i int) string {
	if dir == "" {
		return ""
	}
	return filepath.Join(dir, fmt.Sprintf("%s-%d.lat", side, i+1))
}

// writeLatencies writes r's requests, one a line: due time in Unix
// microseconds, the generator's lag and the latency in microseconds.
func writeLatencies(name string, r LoadResult, rate int) error {
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		return err
	}
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	interval := time.Second / time.Duration(rate)
	for i, l := range r.lat {
		fmt.Fprintf(w, "%d %d %d\n", r.start.Add(time.Duration(i)*interval).UnixMicro(), r.lag[i].Microseconds(), l.Microseconds())
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return fmt.Errorf("latencies: %w", err)
	}
	return f.Close()
}

// bareHandler answers every request with body, after reading the
// request: the baseline of the single-subject phase, what this machine
// and generator measure for an HTTP server that does no work.
func bareHandler(body []byte) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	})
}
