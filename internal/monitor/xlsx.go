package monitor

import (
	"bytes"
	"fmt"

	"github.com/xuri/excelize/v2"
)

// Labels are the words of a workbook in the reader's language.
type Labels struct {
	Sheet, Period, Line, Code, Value, Num, Den, Total, Basis string
}

// LabelsZh are the Chinese words, as the offices file them.
var LabelsZh = Labels{Sheet: "数据", Period: "统计期", Line: "部门或事项", Code: "代码", Value: "数值",
	Num: "分子", Den: "分母", Total: "全市合计", Basis: "依据"}

// LabelsEn are the English words.
var LabelsEn = Labels{Sheet: "Data", Period: "Period", Line: "Department or matter", Code: "Code", Value: "Value",
	Num: "Numerator", Den: "Denominator", Total: "City total", Basis: "Basis"}

// XLSX writes a series as a workbook: a title row, a header row, then a
// row per line and period with the value (a number, empty when the
// period has nothing to measure), its numerator and denominator. title
// names the indicator; name names a line's key in the reader's language.
func XLSX(sr *Series, title string, l Labels, name func(key string) string) ([]byte, error) {
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", l.Sheet); err != nil {
		return nil, err
	}
	put := func(row int, vals []any) error {
		cell, err := excelize.CoordinatesToCellName(1, row)
		if err != nil {
			return err
		}
		return f.SetSheetRow(l.Sheet, cell, &vals)
	}
	basis := ""
	for i, b := range sr.Indicator.Basis {
		if i > 0 {
			basis += "；"
		}
		basis += b.Doc + " " + b.Section
	}
	if err := put(1, []any{title, sr.Indicator.Code, l.Basis + ": " + basis}); err != nil {
		return nil, err
	}
	if err := put(2, []any{l.Period, l.Line, l.Code, l.Value, l.Num, l.Den}); err != nil {
		return nil, err
	}
	row := 3
	for _, ln := range sr.Lines {
		label := l.Total
		if ln.Key != "" {
			label = name(ln.Key)
		}
		for _, p := range ln.Points {
			var v any = ""
			if p.Value != nil {
				v = *p.Value
			}
			if err := put(row, []any{p.Period, label, ln.Key, v, p.Num, p.Den}); err != nil {
				return nil, err
			}
			row++
		}
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		return nil, fmt.Errorf("monitor: write workbook: %w", err)
	}
	return buf.Bytes(), nil
}
