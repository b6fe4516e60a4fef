// Package ingest is 归集: it reads department files (CSV in UTF-8 or
// GBK/GB18030, XLSX, JSON Lines), maps their columns to catalogue fields
// (national codes, Chinese labels or the legacy field set), validates every
// row against the catalogue item, and commits good rows in whole chunks
// while keeping every rejected row with its row number, field and reason.
package ingest

import (
	"archive/zip"
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"unicode/utf8"

	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"
)

// Formats and encodings as recorded on a batch.
const (
	FormatCSV   = "csv"
	FormatXLSX  = "xlsx"
	FormatJSONL = "jsonl"

	EncUTF8    = "utf-8"
	EncUTF8BOM = "utf-8-bom"
	EncGB18030 = "gb18030" // GBK is a subset of GB18030
)

// FormatOf guesses a file's format from its name; "" when unknown.
func FormatOf(name string) string {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".csv", ".txt":
		return FormatCSV
	case ".xlsx", ".xlsm":
		return FormatXLSX
	case ".jsonl", ".ndjson", ".json":
		return FormatJSONL
	}
	return ""
}

// Row is one data row as read: its 1-based number (header excluded), its
// cells in header order, and a problem that makes the row unreadable.
type Row struct {
	N     int
	Cells []string
	Err   string
	ErrZh string // Err in Chinese
	// Header is set by JSON Lines, whose rows may bring new keys: the
	// header as it stood for this row.
	Header []string
	// Dates are the row's cells that a workbook stores as dates (XLSX
	// only); Cells has them as the workbook shows them.
	Dates []DateCell
}

// Table reads a department file row by row.
type Table interface {
	// Header returns the column headers as sent. For JSON Lines it grows
	// as new keys appear; Cells are aligned with it.
	Header() []string
	// Next returns the next non-blank row, or io.EOF.
	Next() (Row, error)
	// Encoding names the text encoding read (EncUTF8 ...).
	Encoding() string
	Close() error
}

// countingReader counts bytes read, for progress.
type countingReader struct {
	r io.Reader
	n *atomic.Int64
}

func (c countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// detectEncoding peeks at the start of r: a UTF-8 byte order mark, or bytes
// that are valid UTF-8, mean UTF-8; anything else is read as GB18030 (which
// contains GBK and GB2312), the encoding of Chinese Windows exports.
func detectEncoding(br *bufio.Reader) (io.Reader, string) {
	head, _ := br.Peek(64 << 10)
	if bytes.HasPrefix(head, []byte("\xef\xbb\xbf")) {
		_, _ = br.Discard(3)
		return br, EncUTF8BOM
	}
	// The peek may end inside a multi-byte character.
	for i := 0; i < 3 && len(head) > 0 && !utf8.Valid(head); i++ {
		head = head[:len(head)-1]
	}
	if utf8.Valid(head) {
		return br, EncUTF8
	}
	return simplifiedchinese.GB18030.NewDecoder().Reader(br), EncGB18030
}

// OpenTable returns a Table over r in the given format. read counts the
// bytes consumed, for progress (may be nil).
func OpenTable(r io.Reader, format string, read *atomic.Int64) (Table, error) {
	if read == nil {
		read = new(atomic.Int64)
	}
	r = countingReader{r, read}
	switch format {
	case FormatCSV:
		return newCSV(r)
	case FormatJSONL:
		return newJSONL(r)
	case FormatXLSX:
		return newXLSX(r)
	}
	return nil, credit.Says("无法识别的格式“%s”：请使用csv、xlsx或jsonl", "unknown format %q: use csv, xlsx or jsonl", format)
}

type csvTable struct {
	r      *csv.Reader
	enc    string
	header []string
	n      int
}

func newCSV(r io.Reader) (*csvTable, error) {
	dec, enc := detectEncoding(bufio.NewReaderSize(r, 64<<10))
	cr := csv.NewReader(dec)
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	t := &csvTable{r: cr, enc: enc}
	for {
		h, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return nil, credit.Says("文件为空：第一行须为表头", "the file is empty: the first line must be the column headers")
		}
		if err != nil {
			return nil, credit.Says("表头行：%v", "header line: %v", err)
		}
		if blank(h) {
			continue
		}
		t.header = trimAll(h)
		return t, nil
	}
}

func (t *csvTable) Header() []string { return t.header }
func (t *csvTable) Encoding() string { return t.enc }
func (t *csvTable) Close() error     { return nil }

func (t *csvTable) Next() (Row, error) {
	for {
		cells, err := t.r.Read()
		if errors.Is(err, io.EOF) {
			return Row{}, io.EOF
		}
		var pe *csv.ParseError
		if err != nil && !errors.As(err, &pe) {
			return Row{}, err
		}
		if err == nil && blank(cells) {
			continue
		}
		t.n++
		row := Row{N: t.n, Cells: cells}
		switch {
		case err != nil:
			row.Err, row.ErrZh = "unreadable CSV line: "+pe.Err.Error(), "无法读取该行CSV："+pe.Err.Error()
		case len(cells) != len(t.header):
			row.Err = fmt.Sprintf("row has %d cells, the header has %d: check for a stray comma or an unquoted line break", len(cells), len(t.header))
			row.ErrZh = fmt.Sprintf("该行有%d个单元格，表头有%d列：请检查是否多了逗号或有未加引号的换行", len(cells), len(t.header))
		}
		return row, nil
	}
}

func blank(cells []string) bool {
	for _, c := range cells {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

func trimAll(cells []string) []string {
	out := make([]string, len(cells))
	for i, c := range cells {
		out[i] = strings.TrimSpace(strings.TrimPrefix(c, "\ufeff"))
	}
	return out
}

type jsonlTable struct {
	sc     *bufio.Scanner
	header []string
	index  map[string]int
	n      int
	first  *Row
}

func newJSONL(r io.Reader) (*jsonlTable, error) {
	dec, enc := detectEncoding(bufio.NewReaderSize(r, 64<<10))
	if enc == EncGB18030 {
		return nil, credit.Says("JSON Lines文件须为UTF-8编码（RFC 8259），该文件不是有效的UTF-8", "JSON Lines must be UTF-8 (RFC 8259); the file is not valid UTF-8")
	}
	sc := bufio.NewScanner(dec)
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	t := &jsonlTable{sc: sc, index: map[string]int{}}
	// Read the first row now so that Header is known before Next.
	row, err := t.Next()
	if errors.Is(err, io.EOF) {
		return nil, credit.Says("文件为空：每行应为一个JSON对象", "the file is empty: expected one JSON object per line")
	}
	if err != nil {
		return nil, err
	}
	t.first = &row
	return t, nil
}

func (t *jsonlTable) Header() []string { return t.header }
func (t *jsonlTable) Encoding() string { return EncUTF8 }
func (t *jsonlTable) Close() error     { return nil }

func (t *jsonlTable) Next() (Row, error) {
	if t.first != nil {
		r := *t.first
		t.first = nil
		return r, nil
	}
	for t.sc.Scan() {
		line := bytes.TrimSpace(t.sc.Bytes())
		if len(line) == 0 {
			continue
		}
		t.n++
		keys, vals, err := decodeObject(line)
		if err != nil {
			return Row{N: t.n, Cells: []string{string(line)}, Err: "not a JSON object: " + err.Error(), ErrZh: "不是JSON对象：" + credit.ChineseOr(err)}, nil
		}
		cells := make([]string, len(t.header), len(t.header)+len(keys))
		for i, k := range keys {
			j, ok := t.index[k]
			if !ok {
				j = len(t.header)
				t.index[k] = j
				t.header = append(t.header, k)
				cells = append(cells, "")
			}
			cells[j] = vals[i]
		}
		return Row{N: t.n, Cells: cells, Header: t.header}, nil
	}
	if err := t.sc.Err(); err != nil {
		return Row{}, err
	}
	return Row{}, io.EOF
}

// decodeObject reads one flat JSON object keeping its key order. Values
// may be strings, numbers, booleans or null; nested values are refused.
func decodeObject(line []byte) (keys, vals []string, err error) {
	d := json.NewDecoder(bytes.NewReader(line))
	d.UseNumber()
	tok, err := d.Token()
	if err != nil {
		return nil, nil, err
	}
	if tok != json.Delim('{') {
		return nil, nil, errors.New("the line is not an object")
	}
	for d.More() {
		kt, err := d.Token()
		if err != nil {
			return nil, nil, err
		}
		k, _ := kt.(string)
		vt, err := d.Token()
		if err != nil {
			return nil, nil, err
		}
		var v string
		switch x := vt.(type) {
		case string:
			v = x
		case json.Number:
			v = x.String()
		case bool:
			v = strconv.FormatBool(x)
		case nil:
		default:
			return nil, nil, credit.Says("“%s”的值不是字符串或数字", "value of %q is not a string or a number", k)
		}
		keys = append(keys, strings.TrimSpace(k))
		vals = append(vals, v)
	}
	if _, err := d.Token(); err != nil {
		return nil, nil, err
	}
	return keys, vals, nil
}

type xlsxTable struct {
	f      *excelize.File
	rows   *excelize.Rows
	dates  *sheetDates
	header []string
	n      int
	// sheetRow is the sheet's number of the row rows is at: excelize's
	// iterator stops at every row number, also those the sheet skips.
	sheetRow int
}

func newXLSX(r io.Reader) (*xlsxTable, error) {
	// The whole file is needed at once (a zip's directory is at its end);
	// excelize reads it all too.
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		return nil, credit.Says("不是可读取的XLSX工作簿：%v", "not a readable XLSX workbook: %v", err)
	}
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		f.Close()
		return nil, credit.Says("工作簿中没有工作表", "the workbook has no sheet")
	}
	rows, err := f.Rows(sheets[0])
	if err != nil {
		f.Close()
		return nil, err
	}
	t := &xlsxTable{f: f, rows: rows}
	date1904 := false
	if p, err := f.GetWorkbookProps(); err == nil && p.Date1904 != nil {
		date1904 = *p.Date1904
	}
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err == nil {
		t.dates, err = newSheetDates(f, zr, date1904)
	}
	if err != nil {
		t.Close()
		return nil, credit.Says("不是可读取的XLSX工作簿：%v", "not a readable XLSX workbook: %v", err)
	}
	for rows.Next() {
		t.sheetRow++
		h, err := rows.Columns()
		if err != nil {
			t.Close()
			return nil, err
		}
		if blank(h) {
			continue
		}
		t.header = trimAll(h)
		// Trailing empty header cells are formatting, not columns.
		for len(t.header) > 0 && t.header[len(t.header)-1] == "" {
			t.header = t.header[:len(t.header)-1]
		}
		return t, nil
	}
	t.Close()
	return nil, credit.Says("工作表“%s”为空：第一行须为表头", "sheet %q is empty: the first row must be the column headers", sheets[0])
}

func (t *xlsxTable) Header() []string { return t.header }
func (t *xlsxTable) Encoding() string { return EncUTF8 }

func (t *xlsxTable) Close() error {
	if t.rows != nil {
		t.rows.Close()
	}
	if t.dates != nil {
		t.dates.Close()
	}
	return t.f.Close()
}

func (t *xlsxTable) Next() (Row, error) {
	for t.rows.Next() {
		t.sheetRow++
		cells, err := t.rows.Columns()
		if err != nil {
			return Row{}, err
		}
		if blank(cells) {
			continue
		}
		dates, err := t.dates.row(t.sheetRow)
		if err != nil {
			return Row{}, err
		}
		t.n++
		row := Row{N: t.n, Dates: dates}
		// Spreadsheets drop trailing empty cells; pad to the header.
		if len(cells) < len(t.header) {
			cells = append(cells, make([]string, len(t.header)-len(cells))...)
		}
		if extra := cells[len(t.header):]; !blank(extra) {
			row.Err = fmt.Sprintf("row has values in %d columns beyond the last header", len(extra))
			row.ErrZh = fmt.Sprintf("该行在最后一个表头之后的%d列中有内容", len(extra))
		} else {
			cells = cells[:len(t.header)]
		}
		row.Cells = cells
		return row, nil
	}
	if err := t.rows.Error(); err != nil {
		return Row{}, err
	}
	return Row{}, io.EOF
}
