package ingest_test

import (
	"bytes"
	"encoding/csv"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/ingest"
	"github.com/xinyong/xinyong/internal/pii"
)

// TestLegacyGBK imports a GBK file with the legacy headers that mixes good
// rows with twenty-six kinds of bad row: every good row lands, every bad
// row is kept with its exact reason, and the rejects file comes back in
// GBK with the department's own headers plus a reason column.
func TestLegacyGBK(t *testing.T) {
	st := openSQLite(t)
	im := newImporter(t, st)
	const file = "testdata/penalties_legacy_gbk.csv"
	j, err := im.Import(t.Context(), fileRequest(file, "SAMR-350100", "admin_penalty"))
	if err != nil {
		t.Fatal(err)
	}
	b := j.Batch
	if b.Encoding != ingest.EncGB18030 || b.HeaderStyle != ingest.StyleLegacy || b.Status != credit.BatchDone {
		t.Fatalf("batch: encoding %s, style %s, status %s", b.Encoding, b.HeaderStyle, b.Status)
	}
	if !reflect.DeepEqual(b.Unknown, []string{"联系电话"}) {
		t.Errorf("unknown columns = %v, want [联系电话]", b.Unknown)
	}
	want := []struct {
		row           int
		field, reason string
	}{
		{6, "cf_xdr_mc", "required (行政相对人名称)"},
		{7, "cf_xdr_shxym", "required for org subjects (统一社会信用代码)"},
		{8, "cf_xdr_shxym", "not a unified social credit code: \"9135010270308755\" (18 characters 0-9, A-Z)"},
		{9, "cf_xdr_shxym", "invalid unified social credit code 91350102703087552R: wrong check character at position 18: got R, want Q"},
		{10, "cf_xdr_shxym", "invalid unified social credit code 000000********000X: placeholder code 00000000000000000X is not a real code: the reporting department must send the subject's real code (占位代码，请报送单位提供真实代码); unknown registration authority '0' at position 1; wrong check character at position 18: got X, want 0"},
		{11, "cf_xdr_shxym", "subject category is 个体工商户 but code 91350102703087552Q is not an individual business's code (those start with 92)"},
		{12, "cf_xdr_shxym", "code 92350102336792136A is an individual business's code (92…) but the subject category is 法人及非法人组织: use 个体工商户"},
		{13, "cf_xdr_zjhm", "invalid resident ID number: wrong ID check character at position 18: got 1, want 0"},
		{14, "cf_xdr_zjhm", "required for person subjects (证件号码)"},
		{15, "cf_jdrq", "decision date 2030-01-01 is in the future"},
		{16, "cf_jdrq", "not a date: \"2026-02-30\"; a full date has year, month and day, e.g. 2026-03-02, 2026/3/2, 20260302 or 2026年3月2日 (不是有效日期：完整日期须有年、月、日，如 2026-03-02)"},
		{17, "cf_nr_fk", "not an amount: \"1,000\" (a decimal number ≥ 0, e.g. 1.5)"},
		{18, "cf_nr_fk", "not an amount: \"-5\" (a decimal number ≥ 0, e.g. 1.5)"},
		{19, "cf_xdr_lb", "\"公司\" is not one of 法人及非法人组织, 自然人, 个体工商户"},
		{20, "cf_yxq", "2026-01-01 is before cf_jdrq (2026-11-16)"},
		{21, "cf_cfjgdm", "invalid unified social credit code 113501********4997: wrong check character at position 18: got 7, want 6"},
		{22, "cf_wsh", "required (行政处罚决定书文号)"},
		{23, "cf_frdb", "required for org subjects (法定代表人)"},
		{24, "cf_fr_zjhm", "invalid resident ID number: wrong ID check character at position 18: got 1, want 0"},
		{25, "cf_xdr_zjlx", "natural persons are identified by resident ID number (身份证); ID type 护照号 is not supported yet"},
		{26, "cf_xdr_mc", "201 characters, at most 200 allowed"},
		{27, "cf_wsh", "duplicate: row 1 of this file has the same document number 榕市监罚〔2026〕1号"},
		{28, "", "row has 10 cells, the header has 27: check for a stray comma or an unquoted line break"},
		{29, "cf_cflb", "required (处罚类别)"},
		{30, "cf_xdr_shxym", "a natural person (自然人) has no unified social credit code; 91350102MAGMPUE11K is an organisation's code: fix the subject category or the code"},
		{31, "cf_cfjgdm", "not a unified social credit code: \"11111111111111111\" (18 characters 0-9, A-Z)"},
	}
	rs, err := st.Rejects(t.Context(), b.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != len(want) {
		t.Errorf("got %d rejects, want %d", len(rs), len(want))
	}
	for i := range min(len(rs), len(want)) {
		if rs[i].Row != want[i].row || rs[i].Field != want[i].field || rs[i].Reason != want[i].reason {
			t.Errorf("reject %d = {%d, %q, %q}, want %+v", i, rs[i].Row, rs[i].Field, rs[i].Reason, want[i])
		}
	}
	// The market regulator has 20 working days to publish (its domain's
	// rule): decided 2026-11-16 and received on the 23rd, every row is in
	// time.
	c := b.Counts
	if c.Total != 32 || c.Accepted != 6 || c.Created != 6 || c.Rejected != 26 || c.Timed != 6 || c.Late != 0 || c.CodeErrors != 3 {
		t.Errorf("counts = %+v", c)
	}
	// The same rows from a department under the general rules (7 working
	// days, 双公示) count two late: their decision dates are a week older.
	jg, err := newImporter(t, openSQLite(t)).Import(t.Context(), fileRequest(file, "NDRC-350100", "admin_penalty"))
	if err != nil {
		t.Fatal(err)
	}
	if c := jg.Batch.Counts; c.Accepted != 6 || c.Timed != 6 || c.Late != 2 {
		t.Errorf("counts under the general rules = %+v, want 2 of 6 late", c)
	}
	// Every good row is present, with legacy columns joined and mapped.
	docs := []string{"榕市监罚〔2026〕1号", "榕市监罚〔2026〕2号", "榕市监罚〔2026〕3号", "榕市监罚〔2026〕4号", "榕市监罚〔2026〕5号", "榕市监罚〔2026〕31号"}
	got, err := st.LatestByDocs(t.Context(), "SAMR-350100", "admin_penalty", docs)
	if err != nil || len(got) != len(docs) {
		t.Fatalf("good rows stored: %d of %d (%v)", len(got), len(docs), err)
	}
	r1 := got[docs[0]]
	if r1.Fields["cf_cflb"] != "罚款;没收违法所得" || r1.Fields["cf_wfxw"] != "经营超过保质期的食品" || r1.Fields["cf_nr"] == "" ||
		r1.BatchID != b.ID || r1.Dept != "SAMR-350100" || r1.Severity != credit.SeverityGeneral {
		t.Errorf("record 1 = %+v", r1)
	}
	if _, ok := r1.Fields["当前状态"]; ok {
		t.Error("an ignored legacy column was kept")
	}
	if p := got[docs[3]]; p.Kind != credit.Person || !strings.HasPrefix(p.SubjectID, "P") {
		t.Errorf("person record = %+v", p)
	}
	if n, _ := st.CountRecords(t.Context()); n != 6 {
		t.Errorf("records = %d, want 6", n)
	}

	// The rows are stored sealed: nothing of them is readable without the
	// key; opened, they are the rows as sent.
	for _, r := range rs {
		if len(r.Raw) != 0 || !pii.IsSealedBlob(r.Sealed) {
			t.Fatalf("reject of row %d is stored in clear: %q", r.Row, r.Sealed)
		}
	}
	if err := ingest.OpenRejects(im.Records.Sealer, rs); err != nil {
		t.Fatal(err)
	}
	// The rejects file: GBK, the department's headers plus 错误原因.
	var buf bytes.Buffer
	m, _ := ingest.MapHeader(mustItem(t, "admin_penalty"), b.Header)
	if err := ingest.WriteRejects(&buf, b, m, rs); err != nil {
		t.Fatal(err)
	}
	dec, err := io.ReadAll(simplifiedchinese.GB18030.NewDecoder().Reader(&buf))
	if err != nil {
		t.Fatal(err)
	}
	cr := csv.NewReader(bytes.NewReader(dec))
	cr.FieldsPerRecord = -1
	lines, err := cr.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(lines) != 27 || !reflect.DeepEqual(lines[0], append(append([]string(nil), b.Header...), "错误原因")) {
		t.Fatalf("rejects file: %d lines, header %v", len(lines), lines[0])
	}
	if r := lines[10]; r[len(r)-1] != "处罚决定日期: 决定日期2030-01-01晚于今天" || r[0] != "福州恒泰电子科技有限公司" {
		t.Errorf("rejects line 10 = %v", r)
	}

	// Fixing the rejects file and sending it again: the fixed rows land.
	fixed := filepath.Join(t.TempDir(), "fixed.csv")
	lines[10][16] = "2026-11-18" // the future decision date, corrected
	var out bytes.Buffer
	w := csv.NewWriter(simplifiedchinese.GB18030.NewEncoder().Writer(&out))
	hdr := lines[0][:len(lines[0])-1]
	w.Write(hdr)
	w.Write(lines[10][:len(hdr)])
	w.Flush()
	os.WriteFile(fixed, out.Bytes(), 0o644)
	j2, err := im.Import(t.Context(), fileRequest(fixed, "SAMR-350100", "admin_penalty"))
	if err != nil || j2.Batch.Counts.Created != 1 || j2.Batch.Counts.Rejected != 0 {
		t.Fatalf("fixed file: %+v, %v", j2.Batch, err)
	}
}
