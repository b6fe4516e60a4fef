package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestBenchCheckLoad runs the load generator's child side against a real
// HTTP server and checks what it sends and what it reports.
func TestBenchCheckLoad(t *testing.T) {
	var n, bad atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if r.Method != http.MethodPost || r.URL.Path != "/api/v1/checks" || r.Header.Get("Authorization") != "Bearer k1" || !strings.Contains(string(body), "CODE-") {
			bad.Add(1)
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		n.Add(1)
		w.Write([]byte(`{}`))
	}))
	defer srv.Close()
	codes := filepath.Join(t.TempDir(), "codes.txt")
	if err := os.WriteFile(codes, []byte("CODE-1\nCODE-2\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	addr := strings.TrimPrefix(srv.URL, "http://")
	args := []string{"--addr", addr, "--codes", codes, "--rate", "400", "--duration", "250ms"}

	tests := []struct {
		name     string
		key      string
		wantCode int
		wantErrs int
	}{
		{"no key", "", 2, 0},
		{"wrong key", "k2", 0, 100},
		{"right key", "k1", 0, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(checkLoadKeyEnv, tc.key)
			var out, errb bytes.Buffer
			if code := runBenchCheckLoad(args, &out, &errb); code != tc.wantCode {
				t.Fatalf("exit %d, want %d; stderr %s", code, tc.wantCode, errb.String())
			}
			if tc.wantCode != 0 {
				if !strings.Contains(errb.String(), checkLoadKeyEnv) {
					t.Errorf("error does not name the missing key variable: %q", errb.String())
				}
				return
			}
			var r LoadResult
			if err := json.Unmarshal(out.Bytes(), &r); err != nil {
				t.Fatalf("result %q: %v", out.String(), err)
			}
			if r.Errors != tc.wantErrs {
				t.Errorf("errors = %d, want %d", r.Errors, tc.wantErrs)
			}
			if r.Rate <= 0 || r.P50 <= 0 || r.P99 < r.P50 || r.Max < r.P99 {
				t.Errorf("implausible figures: %+v", r)
			}
		})
	}
	// 400/s for 250 ms, plus one warm-up request on each of the 64 connections.
	if n.Load() != 100+64 || bad.Load() != 100+64 {
		t.Errorf("server answered %d good and %d refused requests, want 164 and 164", n.Load(), bad.Load())
	}
}

func TestParseResponse(t *testing.T) {
	const ok200 = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"
	const unauthorized = "HTTP/1.1 401 Unauthorized\r\ncontent-length: 0\r\n\r\n"
	const noContent = "HTTP/1.1 204 No Content\r\n\r\n"
	const closing = "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\n{}"
	const chunked = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;ext=1\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"
	tests := []struct {
		name    string
		in      string
		want    rawResponse
		wantOK  bool
		wantErr bool
	}{
		{"content-length", ok200, rawResponse{Status: 200, Len: len(ok200)}, true, false},
		{"two pipelined", ok200 + ok200, rawResponse{Status: 200, Len: len(ok200)}, true, false},
		{"body incomplete", ok200[:len(ok200)-1], rawResponse{}, false, false},
		{"head incomplete", "HTTP/1.1 200 OK\r\nContent-Le", rawResponse{}, false, false},
		{"lower-case header", unauthorized, rawResponse{Status: 401, Len: len(unauthorized)}, true, false},
		{"chunked", chunked, rawResponse{Status: 200, Len: len(chunked)}, true, false},
		{"connection close", closing, rawResponse{Status: 200, Len: len(closing), Close: true}, true, false},
		{"chunked incomplete", chunked[:len(chunked)-2], rawResponse{}, false, false},
		{"no content", noContent, rawResponse{Status: 204, Len: len(noContent)}, true, false},
		{"not HTTP", "SSH-2.0-OpenSSH\r\n\r\n", rawResponse{}, false, true},
		{"bad length", "HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n", rawResponse{}, false, true},
		{"no length", "HTTP/1.1 200 OK\r\n\r\nbody", rawResponse{}, false, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok, err := parseResponse([]byte(tc.in))
			if !tc.wantOK {
				got = rawResponse{} // what an incomplete or bad response holds does not matter
			}
			if (err != nil) != tc.wantErr || got != tc.want || ok != tc.wantOK {
				t.Errorf("parseResponse = %+v, %v, %v; want %+v, %v, error %v", got, ok, err, tc.want, tc.wantOK, tc.wantErr)
			}
		})
	}
}

// TestOpenLoopGenerators runs both generators against a server that makes
// every tenth request wait 30 ms and closes the connection after every
// 25th answer: the slow tenth must reach p99 (latency is measured from the
// due time) but not p50, closed connections must be replaced, and every
// request must be answered.
func TestOpenLoopGenerators(t *testing.T) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		i := n.Add(1)
		if i%10 == 0 {
			time.Sleep(30 * time.Millisecond)
		}
		if i%25 == 0 {
			w.Header().Set("Connection", "close")
		}
		w.Write([]byte(`{"ok":true}`))
	}))
	defer srv.Close()
	addr := strings.TrimPrefix(srv.URL, "http://")
	reqs := checkRequests(addr, "k", []string{"A", "B", "C"})
	gens := map[string]func(context.Context, string, [][]byte, int, time.Duration) (LoadResult, error){
		"goroutines": openLoopGoroutines,
		"default":    openLoop,
	}
	for name, gen := range gens {
		t.Run(name, func(t *testing.T) {
			n.Store(0)
			r, err := gen(context.Background(), addr, reqs, 500, 600*time.Millisecond)
			if err != nil {
				t.Fatal(err)
			}
			if r.Errors != 0 {
				t.Errorf("%d errors", r.Errors)
			}
			if got := n.Load(); got < 300 {
				t.Errorf("server saw %d requests, want at least 300 (+ warm-ups)", got)
			}
			if r.P99 < 30*time.Millisecond || r.P50 >= 30*time.Millisecond {
				t.Errorf("p50 %s, p99 %s: want p50 under and p99 over the 30 ms stall", r.P50, r.P99)
			}
			if r.Rate <= 0 || r.Max < r.P99 || r.LagP99 < r.LagP50 {
				t.Errorf("implausible figures: %+v", r)
			}
		})
	}
}

// TestBenchCheckSmall runs the whole hit-check benchmark on a tiny data
// set, as the command runs it (`xinyong serve`, the bare server and the
// load generator as child processes: this test binary acting as the
// command) and with everything in process, and checks that every phase
// measured something and nothing failed.
func TestBenchCheckSmall(t *testing.T) {
	if testing.Short() {
		t.Skip("runs every phase of bench check")
	}
	t.Setenv(asMainEnv, "1") // for the children; this process is already past TestMain
	for _, inProcess := range []bool{false, true} {
		t.Run(map[bool]string{false: "child processes", true: "in process"}[inProcess], func(t *testing.T) {
			var progress bytes.Buffer
			dir := t.TempDir()
			var profile, trace, lats string
			if !inProcess {
				profile, trace, lats = filepath.Join(dir, "node.pprof"), filepath.Join(dir, "node.trace"), filepath.Join(dir, "lat")
			}
			res, err := BenchCheck(t.Context(), BenchCheckOptions{Dir: dir, Subjects: 300, Listed: 30,
				Duration: 300 * time.Millisecond, Rate: 200, SQLN: 100, Warmup: 100 * time.Millisecond, Pairs: 2,
				LoadInProcess: inProcess, ServerInProcess: inProcess, NoSearchIndex: !inProcess, ServerCPUProfile: profile,
				ServerTrace: trace, Latencies: lats}, &progress)
			if err != nil {
				log, _ := os.ReadFile(filepath.Join(dir, "bench-serve.log"))
				t.Fatalf("%v\n%s\nserve log:\n%s", err, progress.String(), log)
			}
			if res.Subjects != 300 || res.Listed != 30 {
				t.Errorf("seeded %d subjects, %d listed", res.Subjects, res.Listed)
			}
			if res.IndexRate <= 0 || res.CheckRate <= 0 || res.SQLRate <= 0 || res.HTTPBatchRate <= 0 {
				t.Errorf("a throughput phase measured nothing: %+v", res)
			}
			for name, r := range map[string]LoadResult{"server": res.Single, "bare handler": res.Baseline} {
				if r.Errors != 0 || r.Rate <= 0 || r.P50 <= 0 || r.P99 < r.P50 {
					t.Errorf("%s single-subject phase: %+v", name, r)
				}
			}
			if len(res.SingleP99s) != 2 || len(res.BaselineP99s) != 2 || !slices.Contains(res.SingleP99s, res.Single.P99) || !slices.Contains(res.BaselineP99s, res.Baseline.P99) {
				t.Errorf("two pairs: p99s %v / %v, reported %s / %s", res.SingleP99s, res.BaselineP99s, res.Single.P99, res.Baseline.P99)
			}
			// Collections in each measured run: counted through the
			// node's metrics, in this process's runtime in process; the
			// bare server as a child reports none.
			if len(res.SingleGCs) != 2 || len(res.BaselineGCs) != 2 || slices.Contains(res.SingleGCs, -1) || slices.Contains(res.BaselineGCs, -1) == inProcess {
				t.Errorf("collections in each run: %v / %v", res.SingleGCs, res.BaselineGCs)
			}
			// On Linux the machine's steal is read around every run.
			for _, f := range append(slices.Clone(res.SingleSteal), res.BaselineSteal...) {
				if runtime.GOOS == "linux" && (len(res.SingleSteal) != 2 || f < 0 || f > 1) {
					t.Errorf("steal in each run: %v / %v", res.SingleSteal, res.BaselineSteal)
					break
				}
			}
			if res.VisibleMax <= 0 || res.VisibleMax >= 10*time.Second {
				t.Errorf("visibility on the other node: max %s", res.VisibleMax)
			}
			// Every check answered over HTTP, in process or by the serve
			// child (same database), was logged.
			want := res.HTTPBatchReqs
			if !inProcess {
				want += int(res.Single.Rate * 0.3)
				// The child was a real serve: it says so in its log.
				log, err := os.ReadFile(filepath.Join(dir, "bench-serve.log"))
				if err != nil || !strings.Contains(string(log), "no search index on this node") {
					t.Errorf("serve child's log (%v):\n%s", err, log)
				}
			}
			// The servers' profiles, the node's and the bare server's
			// beside it, are gzipped protobufs.
			for _, f := range []string{profile, profile + ".bare"} {
				if profile == "" {
					break
				}
				b, err := os.ReadFile(f)
				if err != nil || len(b) < 2 || b[0] != 0x1f || b[1] != 0x8b {
					t.Errorf("server profile %s: %d bytes, %v", f, len(b), err)
				}
			}
			// Their execution traces, and a line per request of every
			// measured run in the latency files, in due order.
			for _, f := range []string{trace, trace + ".bare"} {
				if trace == "" {
					break
				}
				b, err := os.ReadFile(f)
				if err != nil || !bytes.HasPrefix(b, []byte("go 1.")) {
					t.Errorf("server trace %s: %d bytes, %v", f, len(b), err)
				}
			}
			for _, side := range []string{"node", "bare"} {
				for i := range 2 {
					if lats == "" {
						break
					}
					f := latencyFile(lats, side, i)
					b, err := os.ReadFile(f)
					if err != nil {
						t.Errorf("latencies: %v", err)
						continue
					}
					lines := strings.Split(strings.TrimSpace(string(b)), "\n")
					var prev int64
					for j, l := range lines {
						var due, lag, lat int64
						if _, err := fmt.Sscanf(l, "%d %d %d", &due, &lag, &lat); err != nil || due < prev || lag < 0 || lat < lag {
							t.Errorf("%s line %d: %q (%v)", f, j+1, l, err)
							break
						}
						prev = due
					}
					if len(lines) != 60 { // 300 ms at 200/s
						t.Errorf("%s: %d requests, want 60", f, len(lines))
					}
				}
			}
			if res.Logged < want {
				t.Errorf("%d checks logged, want at least %d", res.Logged, want)
			}
			var out bytes.Buffer
			printBenchCheck(&out, res)
			t.Logf("report:\n%s", out.String())
			for _, want := range []string{"bare handler", "generator lag p99", "index / SQL", "p99 of each run"} {
				if !strings.Contains(out.String(), want) {
					t.Errorf("report lacks %q:\n%s", want, out.String())
				}
			}
		})
	}
}

func TestMedianRun(t *testing.T) {
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	runs := []LoadResult{{P99: ms(9), Rate: 1}, {P99: ms(2), Rate: 2}, {P99: ms(5), Rate: 3}, {P99: ms(7), Rate: 4}}
	got, p99s := medianRun(runs[:3])
	if got.Rate != 3 || !slices.Equal(p99s, []time.Duration{ms(9), ms(2), ms(5)}) {
		t.Errorf("three runs: median %+v, p99s %v", got, p99s)
	}
	if got, _ := medianRun(runs); got.Rate != 4 { // 2, 5, 7, 9: the upper middle
		t.Errorf("four runs: median %+v", got)
	}
	if got, _ := medianRun(runs[:1]); got.Rate != 1 {
		t.Errorf("one run: %+v", got)
	}
	if d := durations([]time.Duration{ms(2), 1500 * time.Microsecond}); d != "2.0/1.5 ms" {
		t.Errorf("durations = %q", d)
	}
}

func TestBareServeNeedsBody(t *testing.T) {
	code, _, errOut := run(t, "bench", bareServeCmd)
	if code != 2 || !strings.Contains(errOut, "--body") {
		t.Fatalf("bare-serve without --body: exit %d, %q", code, errOut)
	}
	code, _, errOut = run(t, "bench", bareServeCmd, "--body", filepath.Join(t.TempDir(), "none.json"))
	if code == 0 || !strings.Contains(errOut, "none.json") {
		t.Fatalf("bare-serve with a missing body file: exit %d, %q", code, errOut)
	}
}
