package ingest

import (
	"bytes"
	"testing"
	"time"

	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/gen"
	"github.com/xinyong/xinyong/internal/pii"
	"github.com/xinyong/xinyong/internal/records"
	"github.com/xinyong/xinyong/internal/store/sqlstore"
)

// BenchmarkRowCPU measures the per-row CPU work of the workers (mapping,
// validation, Prepare, field encoding) without any database.
func BenchmarkRowCPU(b *testing.B) {
	cat, _ := catalog.Default()
	it, _ := cat.Item("admin_penalty")
	l, _ := gen.NewLayout(it, gen.StyleCodes)
	m, _ := MapHeader(it, l.Header)
	g, _ := gen.NewRecords(gen.RecordOptions{Item: "admin_penalty", Seed: 1})
	rows := make([][]string, 1000)
	for i := range rows {
		rows[i] = l.Cells(g.Next(), i+1)
	}
	seal, _ := pii.New(bytes.Repeat([]byte{1}, 32))
	now := time.Now()
	svc := &records.Service{Catalog: cat, Sealer: seal, Now: func() time.Time { return now }}
	v := newValidator(it, m, seal, now)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r := v.check(Row{N: i + 1, Cells: rows[i%len(rows)]}, false)
		if len(r.rejects) > 0 {
			b.Fatal(r.rejects)
		}
		rec, _, err := svc.Prepare(records.Report{Item: it.Code, Dept: "D", SubjectID: r.subjectID, Fields: r.fields, Codes: &r.codes}, nil)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := sqlstore.EncodeFields(rec.Fields); err != nil {
			b.Fatal(err)
		}
	}
}
