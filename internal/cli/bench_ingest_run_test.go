package cli_test

import (
	"io"
	"os"
	"os/exec"
	"testing"

	"github.com/xinyong/xinyong/internal/cli"
	"github.com/xinyong/xinyong/internal/store/postgres/pgtest"
)

// TestBenchIngestRuns runs `bench ingest` end to end on a small file with
// the built binary, on both backends: every column is measured, including
// the engine's own path into a plain table with the store's records columns
// and indexes, which loads the records the pipeline stored.
func TestBenchIngestRuns(t *testing.T) {
	bin := binary(t)
	if _, err := exec.LookPath("sqlite3"); err != nil {
		if os.Getenv("XINYONG_REQUIRE_SQLITE3") != "" {
			t.Fatal("the sqlite3 shell is not installed and XINYONG_REQUIRE_SQLITE3 is set")
		}
		t.Skip("the sqlite3 shell is not installed (.ci/run installs it)")
	}
	res, err := cli.BenchIngest(t.Context(), cli.BenchIngestOptions{
		Sizes: []int{300}, Backends: []string{"sqlite", "postgres"}, Postgres: pgtest.TestDSN(t),
		Tmp: t.TempDir(), Exe: bin,
	}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 2 {
		t.Fatalf("%d results, want one per backend", len(res))
	}
	for _, r := range res {
		if r.PipelineRate <= 0 || r.RawRate <= 0 || r.EngineRate <= 0 || r.StoreTableRate <= 0 {
			t.Errorf("%s: a column was not measured: %+v", r.Backend, r)
		}
		if r.EngineNote != "" || r.StoreTableNote != "" {
			t.Errorf("%s: notes %q %q with the shell installed", r.Backend, r.EngineNote, r.StoreTableNote)
		}
	}
}
