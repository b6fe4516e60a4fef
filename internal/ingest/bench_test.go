package ingest_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/gen"
	"github.com/xinyong/xinyong/internal/ingest"
	"github.com/xinyong/xinyong/internal/store/postgres"
	"github.com/xinyong/xinyong/internal/store/postgres/pgtest"
)

// BenchmarkIngest measures the pipeline against raw writes of the same
// penalty rows in the same run, on both backends, and reports the ratio
// (floor: 0.60). Rows per iteration: -benchtime=Nx gives N rows... fixed
// at 20 000 here; `xinyong bench ingest --rows 1000000` is the full run.
func BenchmarkIngest(b *testing.B) {
	const rows = 20000
	backends := map[string]func(b *testing.B) credit.Store{
		"sqlite": func(b *testing.B) credit.Store { return openSQLite(b) },
		"postgres": func(b *testing.B) credit.Store {
			s, err := postgres.Open(b.Context(), pgtest.TestDSN(b))
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { s.Close() })
			return s
		},
	}
	for name, open := range backends {
		b.Run(name, func(b *testing.B) {
			dir := b.TempDir()
			p := writeGen(b, dir, "admin_penalty", "csv", "utf-8", "codes", rows, 0)
			var pipe, raw time.Duration
			for i := 0; i < b.N; i++ {
				st := open(b)
				im := newImporter(b, st)
				im.ChunkSize = ingest.DefaultChunkSize
				start := time.Now()
				j, err := im.Import(b.Context(), fileRequest(p, "SAMR-350100", "admin_penalty"))
				if err != nil || j.Batch.Counts.Accepted != rows {
					b.Fatalf("import: %v %+v", err, j.Batch.Counts)
				}
				pipe += time.Since(start)
				g, _ := gen.NewRecords(gen.RecordOptions{Item: "admin_penalty", Seed: 42, Subjects: 500})
				d, err := ingest.RawWrite(b.Context(), open(b), g, "admin_penalty", "SAMR-350100", rows, ingest.DefaultChunkSize)
				if err != nil {
					b.Fatal(err)
				}
				raw += d
			}
			b.ReportMetric(float64(rows*b.N)/pipe.Seconds(), "pipeline-rows/s")
			b.ReportMetric(float64(rows*b.N)/raw.Seconds(), "raw-rows/s")
			b.ReportMetric(raw.Seconds()/pipe.Seconds(), "ratio")
		})
	}
	_ = os.Remove
	_ = filepath.Join
}
