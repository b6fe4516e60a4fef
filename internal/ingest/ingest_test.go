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

// TestResendVersions: a document sent again in another file is unchanged
// when its content is the same and a new version (a correction pointing
// at the old fact, with the new batch as provenance) when it changed.
func TestResendVersions(t *testing.T) {
	st := openSQLite(t)
	im := newImporter(t, st)
	dir := t.TempDir()
	header := "cf_xdr_mc,cf_xdr_lb,cf_xdr_shxym,cf_frdb,cf_wsh,cf_wfxw,cf_sy,cf_yj,cf_cflb,cf_nr,cf_nr_fk,cf_jdrq,cf_cfjg,cf_cfjgdm,cf_sjly,cf_sjlydm\n"
	line := func(doc, amount string) string {
		return "福州恒泰电子科技有限公司,法人及非法人组织,91350102703087552Q,王伟," + doc + ",虚假宣传,发布虚假广告,《中华人民共和国广告法》第五十五条,罚款,罚款," +
			amount + ",2026-11-20,福州市市场监督管理局,113501007985494996,福州市市场监督管理局,113501007985494996\n"
	}
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(header+body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	j1, err := im.Import(t.Context(), fileRequest(write("a.csv", line("D1", "1")+line("D2", "2")), "SAMR-350100", "admin_penalty"))
	if err != nil || j1.Batch.Counts.Created != 2 {
		t.Fatalf("first file: %+v %v", j1.Batch.Counts, err)
	}
	j2, err := im.Import(t.Context(), fileRequest(write("b.csv", line("D1", "1")+line("D2", "3")+line("D3", "1")), "SAMR-350100", "admin_penalty"))
	if err != nil {
		t.Fatal(err)
	}
	if c := j2.Batch.Counts; c.Unchanged != 1 || c.Versioned != 1 || c.Created != 1 || c.Rejected != 0 {
		t.Fatalf("second file: %+v", c)
	}
	if n, _ := st.CountRecords(t.Context()); n != 4 {
		t.Fatalf("records = %d, want 4 (2 + a new version + a new document)", n)
	}
	got, _ := st.LatestByDocs(t.Context(), "SAMR-350100", "admin_penalty", []string{"D1", "D2"})
	if got["D1"].BatchID != j1.Batch.ID || got["D1"].Fact != credit.Original {
		t.Errorf("unchanged D1 = %+v", got["D1"])
	}
	d2 := got["D2"]
	if d2.Fact != credit.Correction || d2.BatchID != j2.Batch.ID || d2.Fields["cf_nr_fk"] != "3" || d2.Supersedes == "" {
		t.Errorf("changed D2 = %+v", d2)
	}
	file, err := im.Records.File(t.Context(), "91350102703087552Q")
	if err != nil || len(file) != 3 {
		t.Fatalf("credit file: %d chains, %v", len(file), err)
	}
}
