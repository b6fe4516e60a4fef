package ingest_test

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/gen"
	"github.com/xinyong/xinyong/internal/ingest"
	"github.com/xinyong/xinyong/internal/pii"
	"github.com/xinyong/xinyong/internal/records"
	"github.com/xinyong/xinyong/internal/store/sqlite"
)

// now is the tests' clock: a Monday.
var now = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

func newImporter(t testing.TB, st credit.Store) *ingest.Importer {
	t.Helper()
	cat, err := catalog.Default()
	if err != nil {
		t.Fatal(err)
	}
	seal, err := pii.New(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	svc := &records.Service{Store: st, Catalog: cat, Sealer: seal, Now: func() time.Time { return now }}
	return &ingest.Importer{Store: st, Records: svc, ChunkSize: 100}
}

func openSQLite(t testing.TB) credit.Store {
	t.Helper()
	s, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "x.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func fileRequest(path, dept, item string) ingest.Request {
	st, _ := os.Stat(path)
	var size int64
	if st != nil {
		size = st.Size()
	}
	return ingest.Request{Dept: dept, Item: item, FileName: filepath.Base(path), Actor: "test", Size: size,
		Open: func() (io.ReadCloser, error) { return os.Open(path) }}
}

func writeGen(t testing.TB, dir, item, format, enc, style string, rows int, rate float64) string {
	t.Helper()
	cat, _ := catalog.Default()
	it, _ := cat.Item(item)
	g, err := gen.NewRecords(gen.RecordOptions{Item: item, Seed: 42, ErrorRate: rate, Subjects: 500,
		Now: time.Date(2026, 11, 2, 0, 0, 0, 0, catalog.Location)})
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, item+"-"+style+"-"+enc+"."+format)
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := gen.WriteFile(f, it, g, gen.FileOptions{Format: format, Encoding: enc, Style: style, Rows: rows}); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestGeneratedFormats imports clean generated files of every item in every
// format, encoding and header style: every row lands, and a second import
// of the same file changes nothing.
func TestGeneratedFormats(t *testing.T) {
	dir := t.TempDir()
	cases := []struct{ item, format, enc, style string }{
		{"admin_penalty", "csv", "gbk", "legacy"},
		{"admin_penalty", "csv", "utf-8", "codes"},
		{"admin_penalty", "xlsx", "", "labels"},
		{"admin_penalty", "jsonl", "", "codes"},
		{"admin_licence", "csv", "gbk", "legacy"},
		{"admin_licence", "xlsx", "", "codes"},
		{"court_defaulter", "csv", "utf-8", "labels"},
		{"honour", "jsonl", "", "labels"},
		{"credit_commitment", "csv", "gbk", "codes"},
	}
	for _, c := range cases {
		t.Run(c.item+"/"+c.format+"/"+c.enc+"/"+c.style, func(t *testing.T) {
			st := openSQLite(t)
			im := newImporter(t, st)
			p := writeGen(t, dir, c.item, c.format, c.enc, c.style, 250, 0)
			j, err := im.Import(t.Context(), fileRequest(p, "SAMR-350100", c.item))
			if err != nil {
				t.Fatalf("Import: %v", err)
			}
			b := j.Batch
			if b.Status != credit.BatchDone || b.Counts.Total != 250 || b.Counts.Created != 250 || b.Counts.Rejected != 0 {
				rej, _ := st.Rejects(t.Context(), b.ID)
				if len(rej) > 0 {
					t.Errorf("first reject: row %d %s: %s", rej[0].Row, rej[0].Field, rej[0].Reason)
				}
				t.Fatalf("batch = %+v", b)
			}
			if n, _ := st.CountRecords(t.Context()); n != 250 {
				t.Fatalf("records = %d", n)
			}
			if len(b.Unknown) != 0 {
				t.Errorf("unknown columns %v", b.Unknown)
			}
			wantStyle := c.style
			if b.HeaderStyle != wantStyle {
				t.Errorf("header style = %s, want %s", b.HeaderStyle, wantStyle)
			}
			wantEnc := ingest.EncUTF8
			if c.enc == "gbk" {
				wantEnc = ingest.EncGB18030
			}
			if b.Encoding != wantEnc {
				t.Errorf("encoding = %s, want %s", b.Encoding, wantEnc)
			}
			j2, err := im.Import(t.Context(), fileRequest(p, "SAMR-350100", c.item))
			if err != nil || !j2.Done || j2.Batch.ID != b.ID {
				t.Fatalf("reimport: %+v, %v", j2, err)
			}
			if n, _ := st.CountRecords(t.Context()); n != 250 {
				t.Fatalf("records after reimport = %d", n)
			}
		})
	}
}

func mustItem(t testing.TB, code string) *catalog.Item {
	t.Helper()
	cat, _ := catalog.Default()
	it, err := cat.Item(code)
	if err != nil {
		t.Fatal(err)
	}
	return it
}

// TestGeneratedErrors imports a generated file with injected errors of
// every kind: exactly the rows given an error are rejected, every other
// row lands.
func TestGeneratedErrors(t *testing.T) {
	for _, item := range gen.Items {
		t.Run(item, func(t *testing.T) {
			const rows = 600
			opts := gen.RecordOptions{Item: item, Seed: 11, ErrorRate: 0.25, Subjects: 300,
				Now: time.Date(2026, 11, 2, 0, 0, 0, 0, catalog.Location)}
			g, _ := gen.NewRecords(opts)
			bad := map[int]string{}
			for n := 1; n <= rows; n++ {
				if e := g.Next().Error; e != "" {
					bad[n] = e
				}
			}
			g, _ = gen.NewRecords(opts)
			p := filepath.Join(t.TempDir(), "f.csv")
			f, _ := os.Create(p)
			if err := gen.WriteFile(f, mustItem(t, item), g, gen.FileOptions{Format: "csv", Encoding: "gbk", Style: "labels", Rows: rows}); err != nil {
				t.Fatal(err)
			}
			f.Close()
			st := openSQLite(t)
			j, err := newImporter(t, st).Import(t.Context(), fileRequest(p, "SAMR-350100", item))
			if err != nil {
				t.Fatal(err)
			}
			rs, _ := st.Rejects(t.Context(), j.Batch.ID)
			got := map[int]bool{}
			for _, r := range rs {
				got[r.Row] = true
				if bad[r.Row] == "" {
					t.Errorf("row %d rejected but generated clean: %s: %s", r.Row, r.Field, r.Reason)
				}
			}
			for n, e := range bad {
				if !got[n] {
					t.Errorf("row %d (%s) was accepted", n, e)
				}
			}
			if j.Batch.Counts.Accepted != rows-len(bad) {
				t.Errorf("accepted %d, want %d", j.Batch.Counts.Accepted, rows-len(bad))
			}
		})
	}
}
