package commit

import (
	"bytes"
	"context"
	"sort"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/xinyong/xinyong/internal/credit"
)

// Stat is what happened to the commitments of one matter accepted by one
// unit: how many were signed, and how many of them are now fulfilled,
// overdue, broken, or still followed (due, or in force without a due
// date).
type Stat struct {
	Matter    string `json:"matter"`
	Unit      string `json:"unit"`
	Signed    int    `json:"signed"`
	Fulfilled int    `json:"fulfilled"`
	Overdue   int    `json:"overdue"`
	Broken    int    `json:"broken"`
	Pending   int    `json:"pending"`
}

// Rate is the share of the commitments whose outcome is known that were
// kept (fulfilled of fulfilled and broken), or -1 when none is known.
func (s Stat) Rate() float64 {
	if s.Fulfilled+s.Broken == 0 {
		return -1
	}
	return float64(s.Fulfilled) / float64(s.Fulfilled+s.Broken)
}

func (s *Stat) add(o Stat) {
	s.Signed += o.Signed
	s.Fulfilled += o.Fulfilled
	s.Overdue += o.Overdue
	s.Broken += o.Broken
	s.Pending += o.Pending
}

// Stats counts the commitments signed since (zero: ever) by matter and
// accepting unit; unit narrows them to one unit ("" for all). Rows are in
// matter then unit order.
func (s *Service) Stats(ctx context.Context, since time.Time, unit string) ([]Stat, error) {
	counts, err := s.cfg.Store.CommitmentCounts(ctx, since)
	if err != nil {
		return nil, err
	}
	by := map[[2]string]*Stat{}
	for _, c := range counts {
		if unit != "" && c.Unit != unit {
			continue
		}
		k := [2]string{c.Matter, c.Unit}
		st := by[k]
		if st == nil {
			st = &Stat{Matter: c.Matter, Unit: c.Unit}
			by[k] = st
		}
		st.Signed += c.N
		switch c.State {
		case StateFulfilled:
			st.Fulfilled += c.N
		case StateOverdue:
			st.Overdue += c.N
		case StateBroken:
			st.Broken += c.N
		default:
			st.Pending += c.N
		}
	}
	out := make([]Stat, 0, len(by))
	for _, st := range by {
		out = append(out, *st)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Matter != out[j].Matter {
			return out[i].Matter < out[j].Matter
		}
		return out[i].Unit < out[j].Unit
	})
	return out, nil
}

// ByMatter and ByUnit sum stats over units or over matters, in code order.
func ByMatter(stats []Stat) []Stat {
	return sumBy(stats, func(s Stat) Stat { return Stat{Matter: s.Matter} })
}

// ByUnit sums stats over matters.
func ByUnit(stats []Stat) []Stat {
	return sumBy(stats, func(s Stat) Stat { return Stat{Unit: s.Unit} })
}

func sumBy(stats []Stat, key func(Stat) Stat) []Stat {
	by := map[Stat]*Stat{}
	var keys []Stat
	for _, st := range stats {
		k := key(st)
		if by[k] == nil {
			c := k
			by[k] = &c
			keys = append(keys, k)
		}
		by[k].add(st)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i].Matter+"\x00"+keys[i].Unit < keys[j].Matter+"\x00"+keys[j].Unit })
	out := make([]Stat, len(keys))
	for i, k := range keys {
		out[i] = *by[k]
	}
	return out
}

// Total sums every stat.
func Total(stats []Stat) Stat {
	var t Stat
	for _, st := range stats {
		t.add(st)
	}
	return t
}

// XLSX writes the statistics as a workbook, in Chinese as the offices
// file them: one sheet by matter and unit, one by matter, one by unit,
// each with a total. name gives the Chinese name of a matter or unit code.
func XLSX(stats []Stat, since time.Time, name func(code string) string) ([]byte, error) {
	f := excelize.NewFile()
	defer f.Close()
	header := []any{"已签署", "已履行", "已逾期", "已违诺", "履行中", "履约率（%）"}
	period := "统计范围：全部"
	if !since.IsZero() {
		period = "统计范围：" + dateStr(since) + "起签署的承诺"
	}
	sheets := []struct {
		name string
		cols []string
		rows []Stat
	}{
		{"按事项和单位", []string{"事项", "事项代码", "受理单位", "单位代码"}, stats},
		{"按事项", []string{"事项", "事项代码"}, ByMatter(stats)},
		{"按单位", []string{"受理单位", "单位代码"}, ByUnit(stats)},
	}
	for i, sh := range sheets {
		if i == 0 {
			if err := f.SetSheetName("Sheet1", sh.name); err != nil {
				return nil, err
			}
		} else if _, err := f.NewSheet(sh.name); err != nil {
			return nil, err
		}
		put := func(row int, vals []any) error {
			cell, err := excelize.CoordinatesToCellName(1, row)
			if err != nil {
				return err
			}
			return f.SetSheetRow(sh.name, cell, &vals)
		}
		if err := put(1, []any{"信用承诺履约统计", period}); err != nil {
			return nil, err
		}
		hdr := []any{}
		for _, c := range sh.cols {
			hdr = append(hdr, c)
		}
		if err := put(2, append(hdr, header...)); err != nil {
			return nil, err
		}
		row := 3
		for _, st := range append(sh.rows, Total(sh.rows)) {
			var vals []any
			total := row == 3+len(sh.rows)
			for _, c := range sh.cols {
				switch {
				case total:
					if len(vals) == 0 {
						vals = append(vals, "合计")
					} else {
						vals = append(vals, "")
					}
				case c == "事项":
					vals = append(vals, name(st.Matter))
				case c == "事项代码":
					vals = append(vals, st.Matter)
				case c == "受理单位":
					vals = append(vals, name(st.Unit))
				case c == "单位代码":
					vals = append(vals, st.Unit)
				}
			}
			rate := any("")
			if r := st.Rate(); r >= 0 {
				rate = float64(int(r*1000+0.5)) / 10 // per cent, one decimal
			}
			vals = append(vals, st.Signed, st.Fulfilled, st.Overdue, st.Broken, st.Pending, rate)
			if err := put(row, vals); err != nil {
				return nil, err
			}
			row++
		}
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		return nil, credit.Wrap("commit.XLSX", credit.Internal, err)
	}
	return buf.Bytes(), nil
}
