package ingest

import (
	"fmt"
	"strings"

	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/credit"
)

// Header styles as recorded on a batch.
const (
	StyleCodes  = "codes"  // national field codes (cf_*, xk_*)
	StyleLabels = "labels" // the fields' Chinese (or English) labels
	StyleLegacy = "legacy" // the older set still exported by legacy systems
	StyleMixed  = "mixed"
)

// Mapping says which catalogue field each column of a file fills.
type Mapping struct {
	Item *catalog.Item
	// Cols[i] is the field code column i fills; "" for a column that is
	// ignored (a recognised legacy column) or unknown.
	Cols []string
	// Unknown lists the headers that name no field of the item: they are
	// reported to the department, and their values are not kept.
	Unknown []string
	// Ignored lists recognised legacy columns deliberately not kept.
	Ignored []string
	Style   string
}

// MapHeader maps a file's headers to the item's fields. Several columns may
// fill one field (legacy 处罚类别1 and 处罚类别2 both fill cf_cflb): their
// values are joined with ";". A file without a column for a field the item
// always requires is refused as a whole, since every row would fail.
func MapHeader(it *catalog.Item, header []string) (*Mapping, error) {
	m := &Mapping{Item: it, Cols: make([]string, len(header))}
	styles := map[string]int{}
	have := map[string]bool{}
	for i, h := range header {
		if strings.TrimSpace(h) == "" {
			m.Unknown = append(m.Unknown, fmt.Sprintf("(column %d has no header)", i+1))
			continue
		}
		if fd := it.FieldByHeader(h); fd != nil {
			m.Cols[i] = fd.Code
			have[fd.Code] = true
			styles[headerStyle(fd, h)]++
			continue
		}
		if it.IgnoredHeader(h) {
			m.Ignored = append(m.Ignored, h)
			styles[StyleLegacy]++
			continue
		}
		m.Unknown = append(m.Unknown, h)
	}
	var missing, missingZh []string
	for _, fd := range it.Fields {
		if fd.Required && !have[fd.Code] {
			missing = append(missing, fmt.Sprintf("%s (%s)", fd.Label, fd.Code))
			missingZh = append(missingZh, fmt.Sprintf("%s（%s）", fd.Label, fd.Code))
		}
	}
	if len(missing) > 0 {
		return nil, credit.Says("缺少%[3]s（%[2]s）的必填项%[4]s所在的列：请补充该列或检查表头行",
			"no column for the required field(s) %[1]s of item %[2]s: add the column(s) or check the header line",
			strings.Join(missing, ", "), it.Code, it.Name, strings.Join(missingZh, "、"))
	}
	m.Style = StyleMixed
	if len(styles) == 1 {
		for s := range styles {
			m.Style = s
		}
	} else if styles[StyleLegacy] > 0 && styles[StyleCodes] == 0 {
		// Legacy exports keep the current labels for the columns that did
		// not change; one legacy name makes the file legacy.
		m.Style = StyleLegacy
	}
	return m, nil
}

func headerStyle(fd *catalog.Field, h string) string {
	h = strings.Trim(strings.TrimSpace(h), "*")
	switch {
	case strings.EqualFold(h, fd.Code):
		return StyleCodes
	case h == fd.Label || strings.EqualFold(h, fd.LabelEn):
		return StyleLabels
	}
	return StyleLegacy
}

// Fields builds a row's field values from its cells: values trimmed,
// columns filling one field joined with ";", empty values left out.
func (m *Mapping) Fields(cells []string) map[string]string {
	return fieldsOf(m.Cols, cells)
}

// FieldsFor is Fields for a row whose header grew after the mapping was
// made (JSON Lines): the new columns are mapped too.
func (m *Mapping) FieldsFor(header, cells []string) map[string]string {
	if len(header) <= len(m.Cols) {
		return fieldsOf(m.Cols, cells)
	}
	cols := append([]string(nil), m.Cols...)
	for _, h := range header[len(m.Cols):] {
		code := ""
		if fd := m.Item.FieldByHeader(h); fd != nil {
			code = fd.Code
		}
		cols = append(cols, code)
	}
	return fieldsOf(cols, cells)
}

// LateUnknown lists the headers of header beyond those m was made from
// that name no field of the item: keys a JSON Lines file first used after
// its first line, which would otherwise be dropped without a word.
func (m *Mapping) LateUnknown(header []string) []string {
	var out []string
	for _, h := range header[min(len(m.Cols), len(header)):] {
		if m.Item.FieldByHeader(h) == nil {
			out = append(out, h)
		}
	}
	return out
}

func fieldsOf(cols, cells []string) map[string]string {
	f := make(map[string]string, len(cols))
	for i, code := range cols {
		if code == "" || i >= len(cells) {
			continue
		}
		v := strings.TrimSpace(cells[i])
		if v == "" {
			continue
		}
		if old, ok := f[code]; ok {
			f[code] = old + ";" + v
		} else {
			f[code] = v
		}
	}
	return f
}
