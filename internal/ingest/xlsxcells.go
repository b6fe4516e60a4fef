package ingest

import (
	"archive/zip"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"path"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"
)

// sheetDates reads a worksheet's cells beside excelize's row iterator. That
// iterator gives each cell as the workbook shows it, which cannot tell the
// number 2026 in a date cell (shown 1905-07-18) from the text 2026, nor a
// date in a format it does not render from a plain number; sheetDates reads
// what each cell holds (its type, its style and its value) and reports, row
// by row, the cells that hold dates.
type sheetDates struct {
	rc       io.ReadCloser
	d        *xml.Decoder
	f        *excelize.File
	date1904 bool
	styles   map[int]bool // style index -> shows a date or time

	last  int        // number of the last row read
	cells []DateCell // its date cells
	done  bool
}

func newSheetDates(f *excelize.File, zr *zip.Reader, date1904 bool) (*sheetDates, error) {
	part, err := firstSheetPart(zr)
	if err != nil {
		return nil, err
	}
	rc, err := zr.Open(part)
	if err != nil {
		return nil, fmt.Errorf("sheet %s: %v", part, err)
	}
	return &sheetDates{rc: rc, d: xml.NewDecoder(rc), f: f, date1904: date1904, styles: map[int]bool{}}, nil
}

func (s *sheetDates) Close() error { return s.rc.Close() }

// row returns the date cells of sheet row n (1-based, as excelize counts:
// a row element's r attribute, or one more than the row before). Rows are
// asked for in increasing order.
func (s *sheetDates) row(n int) ([]DateCell, error) {
	for !s.done && s.last < n {
		if err := s.read(); err != nil {
			return nil, err
		}
	}
	if s.last == n {
		return s.cells, nil
	}
	return nil, nil
}

// read reads the next row element.
func (s *sheetDates) read() error {
	for {
		tok, err := s.d.RawToken()
		if errors.Is(err, io.EOF) {
			s.done = true
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading the sheet's cells: %v", err)
		}
		switch e := tok.(type) {
		case xml.StartElement:
			if e.Name.Local != "row" {
				continue
			}
			n := s.last + 1
			if r, err := strconv.Atoi(attr(e, "r")); err == nil && r > 0 {
				n = r
			}
			s.last = n
			s.cells, err = s.readRow()
			return err
		case xml.EndElement:
			if e.Name.Local == "sheetData" {
				s.done = true
				return nil
			}
		}
	}
}

// readRow reads the cells of the row element just opened.
func (s *sheetDates) readRow() ([]DateCell, error) {
	var out []DateCell
	col := 0
	for {
		tok, err := s.d.RawToken()
		if err != nil {
			return nil, fmt.Errorf("reading the sheet's cells: %v", err)
		}
		switch e := tok.(type) {
		case xml.StartElement:
			if e.Name.Local != "c" {
				continue
			}
			col++
			if ref := attr(e, "r"); ref != "" {
				if c, _, err := excelize.CellNameToCoordinates(ref); err == nil {
					col = c
				}
			}
			typ := attr(e, "t")
			style, _ := strconv.Atoi(attr(e, "s"))
			date := typ == "d" || (typ == "" || typ == "n") && s.dateStyle(style)
			v, err := s.cellValue(date)
			if err != nil {
				return nil, err
			}
			if !date || strings.TrimSpace(v) == "" {
				continue
			}
			dc := DateCell{Col: col - 1}
			if typ == "d" {
				dc.Date, dc.Problem = isoDate(v)
			} else {
				dc.Date, dc.Problem = serialDate(v, s.date1904)
			}
			out = append(out, dc)
		case xml.EndElement:
			if e.Name.Local == "row" {
				return out, nil
			}
		}
	}
}

// cellValue reads up to the end of the cell element just opened and
// returns the text of its <v> when keep is set.
func (s *sheetDates) cellValue(keep bool) (string, error) {
	var b strings.Builder
	inV := false
	for {
		tok, err := s.d.RawToken()
		if err != nil {
			return "", fmt.Errorf("reading the sheet's cells: %v", err)
		}
		switch e := tok.(type) {
		case xml.StartElement:
			inV = e.Name.Local == "v"
		case xml.CharData:
			if inV && keep {
				b.Write(e)
			}
		case xml.EndElement:
			inV = false
			if e.Name.Local == "c" {
				return b.String(), nil
			}
		}
	}
}

// dateStyle reports whether the cell style with index i shows numbers as
// dates or times, as excelize reports the style's number format.
func (s *sheetDates) dateStyle(i int) bool {
	if d, ok := s.styles[i]; ok {
		return d
	}
	d := false
	if st, err := s.f.GetStyle(i); err == nil {
		if st.CustomNumFmt != nil {
			d = isDateFormat(*st.CustomNumFmt)
		} else {
			d = builtInDateFormat(st.NumFmt)
		}
	}
	s.styles[i] = d
	return d
}

func attr(e xml.StartElement, name string) string {
	for _, a := range e.Attr {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

// firstSheetPart finds the part of the package that holds the workbook's
// first sheet, as excelize finds it: the workbook named by the package's
// relationships, its first <sheet>, that sheet's relationship's target.
func firstSheetPart(zr *zip.Reader) (string, error) {
	type rels struct {
		Rel []struct {
			ID     string `xml:"Id,attr"`
			Type   string `xml:"Type,attr"`
			Target string `xml:"Target,attr"`
		} `xml:"Relationship"`
	}
	read := func(name string, v any) error {
		f, err := zr.Open(name)
		if err != nil {
			return err
		}
		defer f.Close()
		return xml.NewDecoder(f).Decode(v)
	}
	resolve := func(dir, target string) string {
		if strings.HasPrefix(target, "/") {
			return path.Clean(target)[1:]
		}
		return path.Join(dir, target)
	}
	wb := "xl/workbook.xml"
	var pkg rels
	if err := read("_rels/.rels", &pkg); err == nil {
		for _, r := range pkg.Rel {
			if strings.HasSuffix(r.Type, "/officeDocument") {
				wb = resolve("", r.Target)
				break
			}
		}
	}
	var book struct {
		Sheets []struct {
			ID string `xml:"id,attr"` // r:id
		} `xml:"sheets>sheet"`
	}
	if err := read(wb, &book); err != nil {
		return "", fmt.Errorf("workbook %s: %v", wb, err)
	}
	if len(book.Sheets) == 0 {
		return "", errors.New("the workbook has no sheet")
	}
	dir, file := path.Split(wb)
	var wbRels rels
	if err := read(dir+"_rels/"+file+".rels", &wbRels); err != nil {
		return "", fmt.Errorf("workbook relationships: %v", err)
	}
	for _, r := range wbRels.Rel {
		if r.ID == book.Sheets[0].ID {
			return resolve(dir, r.Target), nil
		}
	}
	return "", fmt.Errorf("workbook %s: no part for its first sheet", wb)
}
