package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestBenchEngineWithoutShell: with no sqlite3 shell on PATH the bench
// installs nothing and says the column is missing.
func TestBenchEngineWithoutShell(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "p.csv")
	if err := os.WriteFile(file, []byte("cf_wsh,cf_xdr_shxym,cf_xdr_zjhm\na,b,c\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir)
	d, note, err := benchEngine(context.Background(), "sqlite", BenchIngestOptions{SQLiteDir: dir}, file)
	if err != nil || d != 0 || !strings.Contains(note, "missing") {
		t.Fatalf("got %v %q %v, want a note that the column is missing", d, note, err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("the bench left files behind: %v", entries)
	}
}

// TestWriteBenchIngest: the floors are judged per backend, on the lowest
// pipeline/engine ratio and on the largest size's rate against the
// smallest's.
func TestWriteBenchIngest(t *testing.T) {
	var b strings.Builder
	WriteBenchIngest(&b, []BenchResult{
		{Backend: "sqlite", Rows: 100, PipelineRate: 400, RawRate: 800, EngineRate: 1000, StoreTableRate: 800, PipelineCPU: time.Millisecond, PeakRSS: 100 << 20},
		{Backend: "sqlite", Rows: 1000, PipelineRate: 300, RawRate: 700, EngineRate: 1000, StoreTableRate: 500, PipelineCPU: 10 * time.Millisecond, PeakRSS: 110 << 20},
		{Backend: "postgres", Rows: 100, PipelineRate: 100, RawRate: 800, EngineNote: "not measured", StoreTableNote: "not measured either"},
	})
	out := b.String()
	for _, want := range []string{
		"sqlite: pipeline/engine 0.30 (lowest of the sizes; floor 0.35, moonshot 0.50): MISSED",
		"sqlite: rows/s at 1000 ÷ rows/s at 100: 0.75 (floor 0.80): MISSED",
		"sqlite: peak RSS at 1000 ÷ at 100 rows: 1.10",
		"postgres: engine bulk path not measured: not measured",
		"postgres: engine bulk path into the store's table not measured: not measured either",
		"sqlite: pipeline/engine into the store's records table 0.50 (lowest of the sizes",
		"sqlite\t1000\t300\t10\t110\t700\t0.43\t1000\t0.30\t500\t0.60\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if want := "postgres\t100\t100\t0\t-\t800\t0.12\tmissing\t-\tmissing\t-\n"; !strings.Contains(out, want) {
		t.Errorf("output lacks the row %q with both engine columns missing:\n%s", want, out)
	}
	if strings.Contains(out, "postgres: pipeline/engine") {
		t.Errorf("a ratio to an engine path that was not measured:\n%s", out)
	}
}
