package ingest_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/chinatime"
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

// reporter is a department that may report item: a court for
// 失信被执行人, market regulation for the rest.
func reporter(item string) string {
	if item == "court_defaulter" {
		return "COURT-350100"
	}
	return "SAMR-350100"
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
		Now: time.Date(2026, 11, 2, 0, 0, 0, 0, chinatime.Location)})
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
			j, err := im.Import(t.Context(), fileRequest(p, reporter(c.item), c.item))
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
			j2, err := im.Import(t.Context(), fileRequest(p, reporter(c.item), c.item))
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
				Now: time.Date(2026, 11, 2, 0, 0, 0, 0, chinatime.Location)}
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
			j, err := newImporter(t, st).Import(t.Context(), fileRequest(p, reporter(item), item))
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

// raceStore misses the first look-up of a batch by content, as an import
// does when another import of the same file creates its batch between
// that look-up and its own.
type raceStore struct {
	credit.Store
	missed bool
}

func (r *raceStore) BatchByContent(ctx context.Context, dept, item, hash string) (*credit.Batch, error) {
	if !r.missed {
		r.missed = true
		return nil, credit.E("test", credit.NotFound, "no batch (raced)")
	}
	return r.Store.BatchByContent(ctx, dept, item, hash)
}

// TestSameFileAtOnce: of two imports of one file that each miss the
// other's batch, the second is refused while the first runs, and finds
// the finished batch once it is done; no record is written twice.
func TestSameFileAtOnce(t *testing.T) {
	st := openSQLite(t)
	p := writeGen(t, t.TempDir(), "admin_penalty", "csv", "utf-8", "codes", 150, 0)
	req := fileRequest(p, "SAMR-350100", "admin_penalty")
	first, err := newImporter(t, st).Prepare(t.Context(), req)
	if err != nil {
		t.Fatal(err)
	}
	_, err = newImporter(t, &raceStore{Store: st}).Prepare(t.Context(), req)
	if credit.KindOf(err) != credit.Conflict || !strings.Contains(err.Error(), first.Batch.ID) {
		t.Fatalf("second import while the first runs: %v, want a conflict naming batch %s", err, first.Batch.ID)
	}
	if err := first.Run(t.Context()); err != nil {
		t.Fatal(err)
	}
	again, err := newImporter(t, &raceStore{Store: st}).Prepare(t.Context(), req)
	if err != nil || !again.Done || again.Batch.ID != first.Batch.ID {
		t.Fatalf("after the first finished: %+v, %v; want its batch, done", again, err)
	}
	n, err := st.CountRecords(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if n != first.Batch.Counts.Created || n == 0 {
		t.Fatalf("%d records for %d created", n, first.Batch.Counts.Created)
	}
}

// TestReporters: a department outside an item's reporters (market
// regulation sending courts' 失信被执行人) is refused before any batch
// exists, with the reason; a single record through records is refused
// the same way.
func TestReporters(t *testing.T) {
	st := openSQLite(t)
	p := writeGen(t, t.TempDir(), "court_defaulter", "csv", "utf-8", "labels", 20, 0)
	im := newImporter(t, st)
	_, err := im.Import(t.Context(), fileRequest(p, "SAMR-350100", "court_defaulter"))
	if credit.KindOf(err) != credit.Permission || !strings.Contains(err.Error(), "人民法院") {
		t.Fatalf("market regulation importing court defaulters: %v, want a permission error naming the courts", err)
	}
	if bs, err := st.Batches(t.Context(), credit.BatchFilter{}); err != nil || len(bs) != 0 {
		t.Fatalf("refused import left %d batches (%v)", len(bs), err)
	}
	if _, _, err := im.Records.Prepare(records.Report{Item: "court_defaulter", Dept: "TAX-350100", SubjectID: "91350100M000100Y43",
		Fields: credit.Fields{}}, nil); credit.KindOf(err) != credit.Permission {
		t.Fatalf("one record from the tax bureau: %v, want a permission error", err)
	}
	if _, _, err := im.Records.Prepare(records.Report{Item: "court_defaulter", Dept: "NO-SUCH-DEPT", SubjectID: "91350100M000100Y43",
		Fields: credit.Fields{}}, nil); credit.KindOf(err) != credit.Permission || !strings.Contains(err.Error(), "not in the catalogue") {
		t.Fatalf("a department the catalogue does not know: %v", err)
	}
	j, err := im.Import(t.Context(), fileRequest(p, "COURT-350100", "court_defaulter"))
	if err != nil || j.Batch.Counts.Accepted == 0 {
		t.Fatalf("the court's own import: %+v, %v", j, err)
	}
}

// TestHeartbeat: a running import records that it is alive while it waits
// on a slow file, so it does not read as interrupted; a batch whose importer
// went away (prepared, never run: as after a node died) does once its
// heartbeat is BatchStallAfter old.
func TestHeartbeat(t *testing.T) {
	st := openSQLite(t)
	p := writeGen(t, t.TempDir(), "admin_penalty", "csv", "utf-8", "codes", 150, 0)
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	head := bytes.IndexByte(data, '\n') + 1
	release := make(chan struct{})
	var opens atomic.Int32
	req := fileRequest(p, "SAMR-350100", "admin_penalty")
	req.Open = func() (io.ReadCloser, error) {
		if opens.Add(1) <= 2 { // hashing and the header check
			return io.NopCloser(bytes.NewReader(data)), nil
		}
		return io.NopCloser(&stallingReader{data: data, at: head, release: release}), nil
	}
	var clock atomic.Int64
	clock.Store(now.UnixNano())
	im := newImporter(t, st)
	im.Records.Now = func() time.Time { return time.Unix(0, clock.Load()).UTC() }
	im.Heartbeat = 5 * time.Millisecond
	j, err := im.Prepare(t.Context(), req)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- j.Run(t.Context()) }()
	later := now.Add(10 * time.Minute)
	clock.Store(later.UnixNano())
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		b, err := st.Batch(t.Context(), j.Batch.ID)
		if err != nil {
			t.Fatal(err)
		}
		if b.HeartbeatAt.Equal(later) {
			if b.Stalled(later.Add(time.Minute)) || b.Chunks != 0 {
				t.Fatalf("alive import, no chunk yet: stalled %v, chunks %d", b.Stalled(later.Add(time.Minute)), b.Chunks)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("heartbeat still %s while the import waits on its file", b.HeartbeatAt)
		}
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}

	// An importer that never comes back.
	p2 := writeGen(t, t.TempDir(), "admin_penalty", "csv", "utf-8", "codes", 20, 0)
	j2, err := newImporter(t, st).Prepare(t.Context(), fileRequest(p2, "SAMR-350100", "admin_penalty"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := st.Batch(t.Context(), j2.Batch.ID)
	if err != nil {
		t.Fatal(err)
	}
	if b.Stalled(now.Add(credit.BatchStallAfter)) || !b.Stalled(now.Add(credit.BatchStallAfter+time.Second)) {
		t.Fatalf("silent batch: heartbeat %s; stalled at the edge of the window / after it: %v / %v", b.HeartbeatAt,
			b.Stalled(now.Add(credit.BatchStallAfter)), b.Stalled(now.Add(credit.BatchStallAfter+time.Second)))
	}
}

// stallingReader gives data up to at, then blocks until release is closed.
type stallingReader struct {
	data    []byte
	at, off int
	release chan struct{}
}

func (r *stallingReader) Read(b []byte) (int, error) {
	if r.off == r.at {
		<-r.release
	}
	if r.off >= len(r.data) {
		return 0, io.EOF
	}
	end := len(r.data)
	if r.off < r.at {
		end = r.at
	}
	n := copy(b, r.data[r.off:end])
	r.off += n
	return n, nil
}

// TestXLSXDateCells imports a workbook whose decision dates are real date
// cells, as Excel saves them, in the default date format (which the reader
// renders month first with a two-digit year) and in a 年月日 format (which
// it leaves as the serial number), beside a date typed as text; a CSV with
// the same renderings is refused, since there they are ambiguous.
func TestXLSXDateCells(t *testing.T) {
	st := openSQLite(t)
	im := newImporter(t, st)
	header := []string{"cf_xdr_mc", "cf_xdr_lb", "cf_xdr_shxym", "cf_frdb", "cf_wsh", "cf_wfxw", "cf_sy", "cf_yj", "cf_cflb", "cf_nr", "cf_nr_fk", "cf_jdrq", "cf_cfjg", "cf_cfjgdm", "cf_sjly", "cf_sjlydm"}
	row := func(doc string) []any {
		return []any{"福州恒泰电子科技有限公司", "法人及非法人组织", "91350102703087552Q", "王伟", doc, "虚假宣传", "发布虚假广告", "《中华人民共和国广告法》第五十五条", "罚款", "罚款",
			"1", nil, "福州市市场监督管理局", "113501007985494996", "福州市市场监督管理局", "113501007985494996"}
	}
	f := excelize.NewFile()
	if err := f.SetSheetRow("Sheet1", "A1", &header); err != nil {
		t.Fatal(err)
	}
	day := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	serial := 46083.0 // 2026-03-02 in the 1900 date system
	for i, c := range []struct {
		doc   string
		value any
		fmtID int
	}{
		{"D1", serial, 14}, // Excel's default date format
		{"D2", serial, 31}, // yyyy年m月d日
		{"D3", "2026-03-02", 0},
		{"D4", day, 0}, // excelize's own date style for a time value
	} {
		r := row(c.doc)
		r[11] = c.value
		cell := "A" + strconv.Itoa(i+2)
		if err := f.SetSheetRow("Sheet1", cell, &r); err != nil {
			t.Fatal(err)
		}
		if c.fmtID != 0 {
			style, err := f.NewStyle(&excelize.Style{NumFmt: c.fmtID})
			if err != nil {
				t.Fatal(err)
			}
			at := "L" + strconv.Itoa(i+2)
			if err := f.SetCellStyle("Sheet1", at, at, style); err != nil {
				t.Fatal(err)
			}
		}
	}
	p := filepath.Join(t.TempDir(), "penalties.xlsx")
	if err := f.SaveAs(p); err != nil {
		t.Fatal(err)
	}
	j, err := im.Import(t.Context(), fileRequest(p, "SAMR-350100", "admin_penalty"))
	if err != nil {
		t.Fatal(err)
	}
	if c := j.Batch.Counts; c.Created != 4 || c.Rejected != 0 {
		rs, _ := st.Rejects(t.Context(), j.Batch.ID)
		t.Fatalf("counts %+v, rejects %+v", c, rs)
	}
	got, err := st.LatestByDocs(t.Context(), "SAMR-350100", "admin_penalty", []string{"D1", "D2", "D3", "D4"})
	if err != nil {
		t.Fatal(err)
	}
	for doc, r := range got {
		if d := r.DecidedOn.In(chinatime.Location); d.Year() != 2026 || d.Month() != 3 || d.Day() != 2 {
			t.Errorf("%s decided on %s, want 2026-03-02", doc, d)
		}
	}

	csvPath := filepath.Join(t.TempDir(), "penalties.csv")
	lines := strings.Join(header, ",") + "\n"
	for _, d := range []string{"03-02-26", "46083"} {
		r := row("C-" + d)
		r[11] = d
		var cells []string
		for _, v := range r {
			cells = append(cells, fmt.Sprint(v))
		}
		lines += strings.Join(cells, ",") + "\n"
	}
	if err := os.WriteFile(csvPath, []byte(lines), 0o644); err != nil {
		t.Fatal(err)
	}
	j, err = im.Import(t.Context(), fileRequest(csvPath, "SAMR-350100", "admin_penalty"))
	if err != nil {
		t.Fatal(err)
	}
	if c := j.Batch.Counts; c.Rejected != 2 {
		t.Fatalf("CSV with spreadsheet renderings: %+v, want both rows refused", c)
	}
}

// TestJSONLLateUnknownKeys: a key that first appears on a later line and
// names no field is reported on the batch like an unknown CSV column; a
// known key appearing late is read.
func TestJSONLLateUnknownKeys(t *testing.T) {
	st := openSQLite(t)
	im := newImporter(t, st)
	base := `"cf_xdr_mc":"福州恒泰电子科技有限公司","cf_xdr_lb":"法人及非法人组织","cf_xdr_shxym":"91350102703087552Q","cf_frdb":"王伟","cf_wfxw":"虚假宣传","cf_sy":"发布虚假广告","cf_yj":"《中华人民共和国广告法》第五十五条","cf_cflb":"罚款","cf_nr":"罚款","cf_jdrq":"2026-11-20","cf_cfjg":"福州市市场监督管理局","cf_cfjgdm":"113501007985494996","cf_sjly":"福州市市场监督管理局","cf_sjlydm":"113501007985494996"`
	lines := `{` + base + `,"cf_wsh":"J1"}` + "\n" +
		`{` + base + `,"cf_wsh":"J2","cf_nr_fk":"2","cf_beizhu_typo":"x"}` + "\n" +
		`{` + base + `,"cf_wsh":"J3","another_extra":"y"}` + "\n"
	p := filepath.Join(t.TempDir(), "penalties.jsonl")
	if err := os.WriteFile(p, []byte(lines), 0o644); err != nil {
		t.Fatal(err)
	}
	j, err := im.Import(t.Context(), fileRequest(p, "SAMR-350100", "admin_penalty"))
	if err != nil {
		t.Fatal(err)
	}
	if c := j.Batch.Counts; c.Created != 3 || c.Rejected != 0 {
		rs, _ := st.Rejects(t.Context(), j.Batch.ID)
		t.Fatalf("counts %+v, rejects %+v", c, rs)
	}
	stored, err := st.Batch(t.Context(), j.Batch.ID)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"cf_beizhu_typo", "another_extra"}; !slices.Equal(stored.Unknown, want) {
		t.Fatalf("unknown columns %q, want %q", stored.Unknown, want)
	}
	got, _ := st.LatestByDocs(t.Context(), "SAMR-350100", "admin_penalty", []string{"J2"})
	if got["J2"] == nil || got["J2"].Fields["cf_nr_fk"] != "2" {
		t.Fatalf("late known key not read: %+v", got["J2"])
	}
}

// TestXLSXRejectsFile: the rejects of an XLSX import come back as a
// workbook with the department's header plus 错误原因 and one row per
// rejected row, which the importer itself can read again.
func TestXLSXRejectsFile(t *testing.T) {
	st := openSQLite(t)
	im := newImporter(t, st)
	p := writeGen(t, t.TempDir(), "admin_penalty", "xlsx", "", "labels", 200, 0.2)
	j, err := im.Import(t.Context(), fileRequest(p, "SAMR-350100", "admin_penalty"))
	if err != nil {
		t.Fatal(err)
	}
	rs, err := st.Rejects(t.Context(), j.Batch.ID)
	if err != nil || len(rs) == 0 {
		t.Fatalf("rejects: %d, %v", len(rs), err)
	}
	it, err := catalog.Default()
	if err != nil {
		t.Fatal(err)
	}
	item, _ := it.Item("admin_penalty")
	m, err := ingest.MapHeader(item, j.Batch.Header)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := ingest.WriteRejects(&buf, j.Batch, m, rs); err != nil {
		t.Fatal(err)
	}
	tab, err := ingest.OpenTable(&buf, ingest.FormatXLSX, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tab.Close()
	if want := append(slices.Clone(j.Batch.Header), ingest.ReasonHeader); !slices.Equal(tab.Header(), want) {
		t.Fatalf("rejects header %q, want %q", tab.Header(), want)
	}
	n := 0
	for {
		row, err := tab.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if row.Cells[len(row.Cells)-1] == "" {
			t.Errorf("rejects row %d has no reason", row.N)
		}
		n++
	}
	if want := len(ingest.GroupRejects(rs)); n != want || n != j.Batch.Counts.Rejected {
		t.Fatalf("%d rows in the rejects workbook, %d rejected rows, batch says %d", n, want, j.Batch.Counts.Rejected)
	}
}

// TestImportDuringKeyRotation: while a key rotation is under way, a node
// holds the new key and the previous one, and persons stored under the
// previous key's hash are found, not registered a second time.
func TestImportDuringKeyRotation(t *testing.T) {
	first := writeGen(t, t.TempDir(), "admin_penalty", "csv", "utf-8", "codes", 200, 0)
	more := writeGen(t, t.TempDir(), "admin_penalty", "csv", "utf-8", "codes", 400, 0)
	persons := func(st credit.Store) int {
		var n int
		if err := st.(*sqlite.Store).ReadDB().QueryRow(`SELECT count(*) FROM subjects WHERE id_cipher IS NOT NULL`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	// The persons of the larger file, imported under one key.
	want := openSQLite(t)
	if _, err := newImporter(t, want).Import(t.Context(), fileRequest(more, "SAMR-350100", "admin_penalty")); err != nil {
		t.Fatal(err)
	}
	st := openSQLite(t)
	im := newImporter(t, st)
	if _, err := im.Import(t.Context(), fileRequest(first, "SAMR-350100", "admin_penalty")); err != nil {
		t.Fatal(err)
	}
	before := persons(st)
	both, err := pii.New(bytes.Repeat([]byte{8}, 32), bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	im.Records.Sealer = both
	if _, err := im.Import(t.Context(), fileRequest(more, "SAMR-350100", "admin_penalty")); err != nil {
		t.Fatal(err)
	}
	if got := persons(st); before == 0 || got != persons(want) {
		t.Fatalf("%d persons after the second file (%d after the first), want %d: persons were registered twice", got, before, persons(want))
	}
}
