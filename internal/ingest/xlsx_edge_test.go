package ingest_test

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/chinatime"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/uscc"
)

// edgeHeader is a penalty file's header with the natural person's ID
// column; cells are filled by edgeRow.
var edgeHeader = []string{"cf_xdr_mc", "cf_xdr_lb", "cf_xdr_shxym", "cf_xdr_zjhm", "cf_xdr_zjlx", "cf_frdb", "cf_wsh", "cf_wfxw", "cf_sy", "cf_yj",
	"cf_cflb", "cf_nr", "cf_nr_fk", "cf_jdrq", "cf_cfjg", "cf_cfjgdm", "cf_sjly", "cf_sjlydm"}

const (
	colCode, colIDNo, colIDType, colLegalRep, colDate, colAuthorityCode = 2, 3, 4, 5, 13, 15
)

// edgeRow is a valid organisation's penalty row with document number doc
// and no decision date.
func edgeRow(doc string) []any {
	return []any{"福州恒泰电子科技有限公司", "法人及非法人组织", "91350102703087552Q", nil, nil, "王伟", doc, "虚假宣传", "发布虚假广告",
		"《中华人民共和国广告法》第五十五条", "罚款", "罚款", "1", nil, "福州市市场监督管理局", "113501007985494996", "福州市市场监督管理局", "113501007985494996"}
}

// dateCell is one decision-date cell of an edge workbook: a value as a
// department's Excel holds it, in a built-in number format (numFmt) or a
// custom one (custom); want is the stored date, or "" with the fragment
// of the reason the row must be refused with.
type dateCell struct {
	doc    string
	value  any
	numFmt int
	custom string
	want   string
	reason string
}

// writeEdgeBook writes a workbook with one row per cell, in order, from
// sheet row 2, plus the extra rows after them.
func writeEdgeBook(t *testing.T, date1904 bool, cells []dateCell, extra ...[]any) string {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	if date1904 {
		if err := f.SetWorkbookProps(&excelize.WorkbookPropsOptions{Date1904: &date1904}); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.SetSheetRow("Sheet1", "A1", &edgeHeader); err != nil {
		t.Fatal(err)
	}
	dateCol, _ := excelize.ColumnNumberToName(colDate + 1)
	for i, c := range cells {
		r := edgeRow(c.doc)
		r[colDate] = c.value
		if err := f.SetSheetRow("Sheet1", fmt.Sprintf("A%d", i+2), &r); err != nil {
			t.Fatal(err)
		}
		if c.numFmt == 0 && c.custom == "" {
			continue
		}
		st := &excelize.Style{NumFmt: c.numFmt}
		if c.custom != "" {
			st.CustomNumFmt = &c.custom
		}
		style, err := f.NewStyle(st)
		if err != nil {
			t.Fatal(err)
		}
		at := fmt.Sprintf("%s%d", dateCol, i+2)
		if err := f.SetCellStyle("Sheet1", at, at, style); err != nil {
			t.Fatal(err)
		}
	}
	for i, r := range extra {
		if err := f.SetSheetRow("Sheet1", fmt.Sprintf("A%d", len(cells)+i+2), &r); err != nil {
			t.Fatal(err)
		}
	}
	p := filepath.Join(t.TempDir(), "penalties.xlsx")
	if err := f.SaveAs(p); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestXLSXDateEdgeCases imports real workbooks whose decision dates are
// date cells in every kind of number format (built-in ids and custom codes,
// Chinese Excel's long date, locale and numeral tags, elapsed time, AM/PM,
// in the 1900 and the 1904 date systems) beside the values real files
// bring: a bare year or a year and month in a date cell or as text, a
// serial number typed as text, a plain number, a time with no date. Every
// full date lands as its day; every other value is refused on its own row
// and field with one reason that says what a full date looks like; the
// good rows land all the same.
func TestXLSXDateEdgeCases(t *testing.T) {
	const serial = 46083.0 // 2026-03-02 in the 1900 date system
	day := "2026-03-02"
	full := catalog.FullDate
	sys1900 := []dateCell{
		{doc: "G01", value: serial, numFmt: 14, want: day}, // Excel's default short date
		{doc: "G02", value: serial, numFmt: 15, want: day}, // d-mmm-yy
		{doc: "G03", value: serial + 0.75, numFmt: 22, want: day},
		{doc: "G04", value: serial, numFmt: 31, want: day}, // yyyy"年"m"月"d"日"
		{doc: "G05", value: serial, numFmt: 57, want: day}, // yyyy"年"m"月": the cell still holds the day
		{doc: "G06", value: serial, custom: "[$-F800]dddd, mmmm dd, yyyy", want: day},
		{doc: "G07", value: serial, custom: "d-mmm-yy", want: day},
		{doc: "G08", value: serial, custom: `[DBNum1][$-804]yyyy"年"m"月"d"日"`, want: day},
		{doc: "G09", value: serial + 0.5, custom: "yyyy/m/d h:mm AM/PM", want: day},
		{doc: "G10", value: serial, custom: "[h]:mm:ss", want: day},
		{doc: "G11", value: serial, custom: "yyyy-mm-dd;@", want: day},
		{doc: "G12", value: serial, custom: `[$-804]yyyy"年"m"月"d"日" aaaa`, want: day},
		{doc: "G13", value: time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC), want: day}, // excelize's own date style
		{doc: "G14", value: "2026-03-02", want: day},
		{doc: "G15", value: "2026/3/2", want: day},
		{doc: "G16", value: "20260302", want: day},
		{doc: "G17", value: "2026年3月2日", want: day},
		{doc: "G18", value: 20260302, want: day},                 // a plain number is read as its digits
		{doc: "G19", value: "2026-03-02", numFmt: 14, want: day}, // text in a date-formatted cell

		{doc: "B01", value: 2026, numFmt: 14, reason: "not a full date: the date cell holds the number 2026, which Excel shows as 1905-07-18; " + full},
		{doc: "B02", value: 2026, custom: "yyyy", reason: "the date cell holds the number 2026, which Excel shows as 1905-07-18"},
		{doc: "B03", value: "2026", reason: `not a date: "2026"; ` + full},
		{doc: "B04", value: "45000", reason: `not a date: "45000"; ` + full},
		{doc: "B05", value: "202603", reason: `not a date: "202603"; ` + full},
		{doc: "B06", value: 202603, numFmt: 14, reason: "the date cell holds the number 202603, which Excel shows as 2454-09-14"},
		{doc: "B07", value: 0.5, custom: "h:mm", reason: "the date cell holds only a time of day (0.5), no date"},
		{doc: "B08", value: 45000, reason: `not a date: "45000"`},
		{doc: "B09", value: "03-02-26", reason: `not a date: "03-02-26"`},
		{doc: "B10", value: "45000", numFmt: 14, reason: `not a date: "45000"`}, // text stays text in a date format
		{doc: "B11", value: 2026, numFmt: 22, reason: "the date cell holds the number 2026"},
	}
	sys1904 := []dateCell{
		{doc: "M01", value: 44621.0, numFmt: 14, want: day},
		{doc: "M02", value: 44621.0, custom: "[$-F800]dddd, mmmm dd, yyyy", want: day},
		{doc: "M03", value: 44621.0, custom: "d-mmm-yy", want: day},
		{doc: "M04", value: 2026, numFmt: 14, reason: "the date cell holds the number 2026, which Excel shows as 1909-07-19"},
		{doc: "M05", value: "2026", reason: `not a date: "2026"`},
	}
	for _, sys := range []struct {
		name     string
		date1904 bool
		cells    []dateCell
	}{{"1900", false, sys1900}, {"1904", true, sys1904}} {
		t.Run(sys.name, func(t *testing.T) {
			st := openSQLite(t)
			im := newImporter(t, st)
			p := writeEdgeBook(t, sys.date1904, sys.cells)
			j, err := im.Import(t.Context(), fileRequest(p, "SAMR-350100", "admin_penalty"))
			if err != nil {
				t.Fatal(err)
			}
			rs, err := st.Rejects(t.Context(), j.Batch.ID)
			if err != nil {
				t.Fatal(err)
			}
			byRow := map[int][]credit.Reject{}
			for _, r := range rs {
				byRow[r.Row] = append(byRow[r.Row], r)
			}
			var docs []string
			bad := 0
			for i, c := range sys.cells {
				row := i + 1
				got := byRow[row]
				if c.want != "" {
					docs = append(docs, c.doc)
					if len(got) > 0 {
						t.Errorf("row %d (%s, %v in format %d %q) refused: %s: %s", row, c.doc, c.value, c.numFmt, c.custom, got[0].Field, got[0].Reason)
					}
					continue
				}
				bad++
				if len(got) != 1 || got[0].Field != "cf_jdrq" || !strings.Contains(got[0].Reason, c.reason) ||
					!strings.Contains(got[0].Reason, catalog.FullDateZh) {
					t.Errorf("row %d (%s, %v in format %d %q): rejects %+v, want one on cf_jdrq saying %q and, in Chinese, %q",
						row, c.doc, c.value, c.numFmt, c.custom, got, c.reason, catalog.FullDateZh)
				}
			}
			if c := j.Batch.Counts; c.Created != len(docs) || c.Rejected != bad {
				t.Errorf("counts %+v, want %d created and %d rejected", c, len(docs), bad)
			}
			recs, err := st.LatestByDocs(t.Context(), "SAMR-350100", "admin_penalty", docs)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range sys.cells {
				if c.want == "" {
					continue
				}
				r := recs[c.doc]
				if r == nil {
					t.Errorf("%s did not land", c.doc)
					continue
				}
				if got := r.DecidedOn.In(chinatime.Location).Format(time.DateOnly); got != c.want {
					t.Errorf("%s (%v in format %d %q) decided on %s, want %s", c.doc, c.value, c.numFmt, c.custom, got, c.want)
				}
				_, text := c.value.(string)
				_, tm := c.value.(time.Time)
				if dateCell := !text && (c.numFmt != 0 || c.custom != "" || tm); dateCell && r.Fields["cf_jdrq"] != c.want {
					t.Errorf("%s: date cell stored as %q, want the day %s", c.doc, r.Fields["cf_jdrq"], c.want)
				}
			}
		})
	}
}

// TestResidentIDInCodeColumn: a valid resident ID number in the subject's
// unified social credit code column is refused with what it is and where
// it belongs (证件号码, with the subject category 自然人), in both languages,
// not with check-character noise; in an authority's code column it is
// refused as not an organisation's code. The number itself never appears
// in a reason. The same person filed as a natural person lands.
func TestResidentIDInCodeColumn(t *testing.T) {
	id := uscc.NewGenerator(12).ResidentID("350102", time.Date(1980, 5, 6, 0, 0, 0, 0, time.UTC), true)
	if uscc.CheckResidentID(id).Status != uscc.Valid || uscc.CheckUSCC(id).Status != uscc.Invalid {
		t.Fatalf("fixture %s: want a valid resident ID that is no valid USCC", uscc.MaskResidentID(id))
	}
	masked := uscc.MaskResidentID(id)
	asOrg := edgeRow("P1")
	asOrg[colCode], asOrg[colDate] = id, "2026-03-02"
	asPerson := edgeRow("P2")
	asPerson[0], asPerson[1], asPerson[colCode], asPerson[colIDNo], asPerson[colIDType], asPerson[colLegalRep], asPerson[colDate] =
		"陈明", "自然人", nil, id, "身份证", nil, "2026-03-02"
	personNoID := edgeRow("P3")
	personNoID[0], personNoID[1], personNoID[colCode], personNoID[colIDType], personNoID[colLegalRep], personNoID[colDate] =
		"陈明", "自然人", id, "身份证", nil, "2026-03-02"
	inAuthority := edgeRow("P4")
	inAuthority[colAuthorityCode], inAuthority[colDate] = id, "2026-03-02"
	asIndiv := edgeRow("P5")
	asIndiv[1], asIndiv[colCode], asIndiv[colDate] = "个体工商户", id, "2026-03-02"
	p := writeEdgeBook(t, false, nil, asOrg, asPerson, personNoID, inAuthority, asIndiv)

	st := openSQLite(t)
	j, err := newImporter(t, st).Import(t.Context(), fileRequest(p, "SAMR-350100", "admin_penalty"))
	if err != nil {
		t.Fatal(err)
	}
	rs, err := st.Rejects(t.Context(), j.Batch.ID)
	if err != nil {
		t.Fatal(err)
	}
	type want struct {
		row       int
		field     string
		fragments []string
	}
	subject := []string{masked + " is a resident ID number (居民身份证号码), not a unified social credit code: the subject is a natural person (自然人)",
		"whose number belongs in 证件号码 (cf_xdr_zjhm), with 行政相对人类别 (cf_xdr_lb) 自然人 and 统一社会信用代码 left empty",
		"这是居民身份证号码，不是统一社会信用代码：主体是自然人，号码应填在证件号码，行政相对人类别填“自然人”，统一社会信用代码留空"}
	wants := []want{
		{1, "cf_xdr_shxym", subject},
		{3, "cf_xdr_zjhm", []string{"required for person subjects (证件号码)"}},
		{3, "cf_xdr_shxym", subject},
		{4, "cf_cfjgdm", []string{masked + " is a resident ID number (居民身份证号码), not a unified social credit code: 处罚机关统一社会信用代码 (cf_cfjgdm) is an organisation's code",
			"这是居民身份证号码，不是统一社会信用代码"}},
		{5, "cf_xdr_shxym", []string{masked + " is a resident ID number (居民身份证号码), not a unified social credit code: a 个体工商户 is identified by its own code (92…); " +
			"if the subject is the natural person (自然人), the number belongs in 证件号码 (cf_xdr_zjhm)", "个体工商户应填其统一社会信用代码（92开头）"}},
	}
	if len(rs) != len(wants) {
		t.Errorf("%d rejects, want %d: %+v", len(rs), len(wants), rs)
	}
	for i, w := range wants[:min(len(rs), len(wants))] {
		r := rs[i]
		if r.Row != w.row || r.Field != w.field {
			t.Errorf("reject %d on row %d %s, want row %d %s: %s", i, r.Row, r.Field, w.row, w.field, r.Reason)
		}
		for _, frag := range w.fragments {
			if !strings.Contains(r.Reason, frag) {
				t.Errorf("row %d %s: reason %q does not say %q", r.Row, r.Field, r.Reason, frag)
			}
		}
		if strings.Contains(r.Reason, id) || strings.Contains(r.Reason, "check") {
			t.Errorf("row %d %s: reason %q shows the ID number or check-character noise", r.Row, r.Field, r.Reason)
		}
	}
	if c := j.Batch.Counts; c.Created != 1 || c.Rejected != 4 {
		t.Errorf("counts %+v, want the natural person's row created and 4 refused", c)
	}
	if got, _ := st.LatestByDocs(t.Context(), "SAMR-350100", "admin_penalty", []string{"P2"}); got["P2"] == nil || got["P2"].Kind != credit.Person {
		t.Errorf("the natural person's row: %+v", got["P2"])
	}
}

// TestXLSXDateCellsAcrossGaps: date cells are matched to their rows where
// the sheet skips rows and where a row holds nothing but a date cell far
// into it, and a date cell in a column that names no field is left alone.
func TestXLSXDateCellsAcrossGaps(t *testing.T) {
	f := excelize.NewFile()
	defer f.Close()
	header := append(slices.Clone(edgeHeader), "备用日期")
	if err := f.SetSheetRow("Sheet1", "A1", &header); err != nil {
		t.Fatal(err)
	}
	style, err := f.NewStyle(&excelize.Style{NumFmt: 14})
	if err != nil {
		t.Fatal(err)
	}
	dateCol, _ := excelize.ColumnNumberToName(colDate + 1)
	extraCol, _ := excelize.ColumnNumberToName(len(header))
	put := func(sheetRow int, doc string, date any) {
		r := edgeRow(doc)
		r[colDate] = date
		r = append(r, 2026) // a bare year in the unmapped column: not read at all
		if err := f.SetSheetRow("Sheet1", fmt.Sprintf("A%d", sheetRow), &r); err != nil {
			t.Fatal(err)
		}
		if err := f.SetCellStyle("Sheet1", fmt.Sprintf("%s%d", dateCol, sheetRow), fmt.Sprintf("%s%d", extraCol, sheetRow), style); err != nil {
			t.Fatal(err)
		}
	}
	put(2, "A1", 46083)
	put(6, "A2", 2026) // rows 3–5 are not in the sheet at all
	put(9, "A3", 46084)
	// A row whose only cell is a date cell, far into the row.
	if err := f.SetCellValue("Sheet1", dateCol+"12", 2026); err != nil {
		t.Fatal(err)
	}
	if err := f.SetCellStyle("Sheet1", dateCol+"12", dateCol+"12", style); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "gaps.xlsx")
	if err := f.SaveAs(p); err != nil {
		t.Fatal(err)
	}
	st := openSQLite(t)
	j, err := newImporter(t, st).Import(t.Context(), fileRequest(p, "SAMR-350100", "admin_penalty"))
	if err != nil {
		t.Fatal(err)
	}
	rs, err := st.Rejects(t.Context(), j.Batch.ID)
	if err != nil {
		t.Fatal(err)
	}
	var dateRejects []int
	for _, r := range rs {
		if r.Field == "cf_jdrq" {
			dateRejects = append(dateRejects, r.Row)
			if !strings.Contains(r.Reason, "holds the number 2026") {
				t.Errorf("row %d: %s", r.Row, r.Reason)
			}
		}
	}
	if !slices.Equal(dateRejects, []int{2, 4}) || j.Batch.Counts.Created != 2 {
		t.Fatalf("date rejects on rows %v, %d created; want rows 2 and 4, A1 and A3 created: %+v", dateRejects, j.Batch.Counts.Created, rs)
	}
	got, _ := st.LatestByDocs(t.Context(), "SAMR-350100", "admin_penalty", []string{"A1", "A3"})
	for doc, want := range map[string]string{"A1": "2026-03-02", "A3": "2026-03-03"} {
		if r := got[doc]; r == nil || r.Fields["cf_jdrq"] != want {
			t.Errorf("%s: %+v, want decided %s", doc, r, want)
		}
	}
}
