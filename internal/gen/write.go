package gen

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/xinyong/xinyong/internal/catalog"
)

// Header styles of generated files.
const (
	StyleCodes  = "codes"
	StyleLabels = "labels"
	StyleLegacy = "legacy"
)

// legacyHeaders are the column names old department systems still export
// (rules.md §6); fields not listed keep their label.
var legacyHeaders = map[string]map[string]string{
	"admin_penalty": {
		"cf_xdr_shxym": "行政相对人代码_1", "cf_xdr_zzjg": "行政相对人代码_2", "cf_xdr_gszc": "行政相对人代码_3",
		"cf_xdr_swdj": "行政相对人代码_4", "cf_xdr_zjhm": "行政相对人代码_5", "cf_wsh": "处罚决定书文号",
		"cf_wfxw": "处罚名称", "cf_sy": "处罚事由", "cf_nr": "处罚结果", "cf_cfjg": "处罚决定机关", "cf_nr_fk": "罚款金额",
	},
	"admin_licence": {
		"xk_xdr_shxym": "行政相对人代码_1", "xk_xdr_zjhm": "行政相对人代码_5", "xk_xkws": "项目名称",
		"xk_wsh": "许可决定书文号", "xk_xklb": "审批类别", "xk_yxqzi": "许可截止期",
	},
}

// legacyExtra are the legacy columns that carry nothing the catalogue keeps.
var legacyExtra = map[string][]string{
	"admin_penalty": {"当前状态", "地方编码", "数据更新时间戳"},
	"admin_licence": {"地方编码", "数据更新时间戳"},
}

// Layout is the columns of a generated file.
type Layout struct {
	Header []string
	// cols[i] is the field code column i holds; "split1"/"split2" name the
	// two legacy 处罚类别 columns; "" is an extra legacy column.
	cols   []string
	extras map[int]func(n int) string
}

// NewLayout returns the columns for item in style.
func NewLayout(it *catalog.Item, style string) (*Layout, error) {
	l := &Layout{extras: map[int]func(int) string{}}
	for _, fd := range it.Fields {
		switch style {
		case StyleCodes:
			l.Header, l.cols = append(l.Header, fd.Code), append(l.cols, fd.Code)
		case StyleLabels:
			l.Header, l.cols = append(l.Header, fd.Label), append(l.cols, fd.Code)
		case StyleLegacy:
			if fd.Code == "cf_cflb" {
				l.Header = append(l.Header, "处罚类别1", "处罚类别2")
				l.cols = append(l.cols, "split1", "split2")
				continue
			}
			h := fd.Label
			if lh, ok := legacyHeaders[it.Code][fd.Code]; ok {
				h = lh
			}
			l.Header, l.cols = append(l.Header, h), append(l.cols, fd.Code)
		default:
			return nil, fmt.Errorf("unknown header style %q: use codes, labels or legacy", style)
		}
	}
	if style == StyleLegacy {
		for _, h := range legacyExtra[it.Code] {
			i := len(l.Header)
			l.Header, l.cols = append(l.Header, h), append(l.cols, "")
			switch h {
			case "地方编码":
				l.extras[i] = func(int) string { return "350100" }
			case "当前状态":
				l.extras[i] = func(int) string { return "1" }
			case "数据更新时间戳":
				l.extras[i] = func(int) string { return "2026-11-02 08:00:00" }
			}
		}
	}
	return l, nil
}

// Cells lays out a row.
func (l *Layout) Cells(r Row, n int) []string {
	out := make([]string, len(l.cols))
	for i, c := range l.cols {
		switch c {
		case "":
			if f := l.extras[i]; f != nil {
				out[i] = f(n)
			}
		case "split1", "split2":
			parts := strings.SplitN(r.Fields["cf_cflb"], ";", 2)
			j := 0
			if c == "split2" {
				j = 1
			}
			if j < len(parts) {
				out[i] = parts[j]
			}
		default:
			out[i] = r.Fields[c]
		}
	}
	return out
}

// FileOptions says how to write generated rows.
type FileOptions struct {
	Format   string // csv, xlsx, jsonl
	Encoding string // utf-8 or gbk (CSV only)
	Style    string // codes, labels, legacy
	Rows     int
	// Progress, if set, is called every 10 000 rows.
	Progress func(done int)
}

// WriteFile writes o.Rows records from g to w, streaming: memory does not
// grow with the number of rows (XLSX rows go through excelize's streaming
// writer, which spills to a temporary file).
func WriteFile(w io.Writer, it *catalog.Item, g *RecordGen, o FileOptions) error {
	l, err := NewLayout(it, o.Style)
	if err != nil {
		return err
	}
	tick := func(n int) {
		if o.Progress != nil && n%10000 == 0 {
			o.Progress(n)
		}
	}
	switch o.Format {
	case "csv", "":
		bw := bufio.NewWriterSize(w, 256<<10)
		var out io.Writer = bw
		var closer io.Closer
		switch strings.ToLower(o.Encoding) {
		case "", "utf-8", "utf8":
		case "gbk", "gb18030":
			tw := simplifiedchinese.GB18030.NewEncoder().Writer(bw)
			out = tw
			closer, _ = tw.(io.Closer)
		default:
			return fmt.Errorf("unknown encoding %q: use utf-8 or gbk", o.Encoding)
		}
		cw := csv.NewWriter(out)
		if err := cw.Write(l.Header); err != nil {
			return err
		}
		for n := 1; n <= o.Rows; n++ {
			if err := cw.Write(l.Cells(g.Next(), n)); err != nil {
				return err
			}
			tick(n)
		}
		cw.Flush()
		if err := cw.Error(); err != nil {
			return err
		}
		if closer != nil {
			if err := closer.Close(); err != nil {
				return err
			}
		}
		return bw.Flush()
	case "jsonl":
		bw := bufio.NewWriterSize(w, 256<<10)
		for n := 1; n <= o.Rows; n++ {
			cells := l.Cells(g.Next(), n)
			bw.WriteByte('{')
			first := true
			for i, c := range cells {
				if c == "" {
					continue
				}
				if !first {
					bw.WriteByte(',')
				}
				first = false
				k, _ := json.Marshal(l.Header[i])
				v, _ := json.Marshal(c)
				bw.Write(k)
				bw.WriteByte(':')
				bw.Write(v)
			}
			bw.WriteString("}\n")
			tick(n)
		}
		return bw.Flush()
	case "xlsx":
		return WriteXLSX(w, l.Header, o.Rows, func(n int) []string {
			tick(n)
			return l.Cells(g.Next(), n)
		})
	}
	return fmt.Errorf("unknown format %q: use csv, xlsx or jsonl", o.Format)
}

// WriteXLSX writes a one-sheet workbook: header, then rows 1..n as row(i)
// gives them, every cell as text, as departments' exports hold codes and
// dates. Rows go through excelize's streaming writer, which spills to a
// temporary file, so memory does not grow with n.
func WriteXLSX(w io.Writer, header []string, n int, row func(i int) []string) error {
	f := excelize.NewFile()
	defer f.Close()
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		return err
	}
	put := func(at int, cells []string) error {
		vals := make([]any, len(cells))
		for i, c := range cells {
			vals[i] = c
		}
		cell, err := excelize.CoordinatesToCellName(1, at)
		if err != nil {
			return err
		}
		return sw.SetRow(cell, vals)
	}
	if err := put(1, header); err != nil {
		return err
	}
	for i := 1; i <= n; i++ {
		if err := put(i+1, row(i)); err != nil {
			return err
		}
	}
	if err := sw.Flush(); err != nil {
		return err
	}
	return f.Write(w)
}
