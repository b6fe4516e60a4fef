package cli

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xinyong/xinyong/internal/store/postgres/pgtest"
)

// TestBenchCitySmall runs bench city end to end at a small size on each
// backend, as the command runs it (the nodes, the bare server and the
// load generator as child processes: this test binary acting as the
// command), and checks that every phase measured something: the import,
// the list entries of the reported records, the three node starts, the
// transparency log's catch-up, the searches and pages, the hit check
// against the bare server (with its latency files) and the batches.
func TestBenchCitySmall(t *testing.T) {
	if testing.Short() {
		t.Skip("imports a small city and starts four servers")
	}
	t.Setenv(asMainEnv, "1")
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			dir := t.TempDir()
			var db string
			if backend == "postgres" {
				db = pgtest.TestDSN(t)
			}
			lats := filepath.Join(dir, "lat")
			var progress bytes.Buffer
			res, err := BenchCity(t.Context(), BenchCityOptions{DB: db, Dir: dir, Subjects: 2000, Records: 10000, ListEntries: 200,
				Queries: 40, Rate: 300, Duration: 500 * time.Millisecond, Pairs: 2, Warmup: 200 * time.Millisecond,
				LogWait: 2 * time.Minute, Latencies: lats}, &progress)
			if err != nil {
				t.Fatalf("%v\n%s", err, progress.String())
			}
			if res.Backend != backend || res.Records != 10000 || res.Subjects <= 0 || res.Subjects > 2000 || res.Entries <= 0 || res.Imported != 10000 || res.Rejected != 0 {
				t.Errorf("%s: %d subjects, %d records (%d imported, %d rejected), %d list entries", res.Backend, res.Subjects, res.Records, res.Imported, res.Rejected, res.Entries)
			}
			if res.CheckErr != "" {
				t.Errorf("hit-check phase: %s\n%s", res.CheckErr, progress.String())
			}
			for name, d := range map[string]time.Duration{"import": res.ImportTime, "start from the store": res.ReadyCold,
				"start from the snapshots": res.ReadySnap, "check-only start": res.ReadyCheckOnly} {
				if d <= 0 {
					t.Errorf("%s: %s", name, d)
				}
			}
			for name, r := range map[string]LoadResult{"API search": res.SearchAPI, "portal search": res.SearchPortal,
				"subject page": res.SubjectPage, "hit check": res.Single, "bare server": res.Baseline} {
				if r.Errors != 0 || r.P50 <= 0 || r.P99 < r.P50 {
					t.Errorf("%s: %+v", name, r)
				}
			}
			if len(res.SingleP99s) != 2 || len(res.BaseP99s) != 2 || res.SingleCPU <= 0 || res.BaseCPU <= 0 || res.BatchRate <= 0 {
				t.Errorf("hit check: p99s %v / %v, CPU %s / %s, batches %.0f/s", res.SingleP99s, res.BaseP99s, res.SingleCPU, res.BaseCPU, res.BatchRate)
			}
			if len(res.SingleGCs) != 2 || slices.Contains(res.SingleGCs, -1) || len(res.BaseGCs) != 2 {
				t.Errorf("collections in each run: %v / %v", res.SingleGCs, res.BaseGCs)
			}
			if res.RSSFull <= 0 || res.RSSCheckOnly <= 0 {
				t.Errorf("RSS %d / %d", res.RSSFull, res.RSSCheckOnly)
			}
			for _, side := range []string{"node", "bare"} {
				for i := range 2 {
					b, err := os.ReadFile(latencyFile(lats, side, i))
					if n := strings.Count(string(b), "\n"); err != nil || n != 150 { // 500 ms at 300/s
						t.Errorf("%s run %d: %d requests in its latency file (%v)", side, i+1, n, err)
					}
				}
			}
			var out bytes.Buffer
			printBenchCity(&out, res)
			for _, want := range []string{"full node start → ready, indexes from their snapshots", "hit check single p99, Xinyong / bare", fmt.Sprintf("backend%s", strings.Repeat(" ", 50))} {
				if !strings.Contains(out.String(), want) {
					t.Errorf("report lacks %q:\n%s", want, out.String())
				}
			}
		})
	}
}
