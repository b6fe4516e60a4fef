package web

import (
	"fmt"
	"net/http"
	"slices"

	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/ingest"
)

func init() {
	add := func(lang string, kv map[string]string) {
		for k, v := range kv {
			messages[lang][k] = v
		}
	}
	add("zh", map[string]string{
		"quality_title":         "数据质量",
		"quality_intro":         "按报送部门统计的归集数据质量。及时率按双公示“作出决定后7个工作日内”计算（目前只扣除周末，法定节假日日历待接入）。",
		"quality_dept":          "部门",
		"quality_batches":       "批次",
		"quality_rows":          "行数",
		"quality_accepted":      "入库",
		"quality_rejected":      "退回",
		"quality_timeliness":    "及时率",
		"quality_error_rate":    "差错率",
		"quality_code_errors":   "重错码率",
		"quality_completeness":  "完整率",
		"quality_none":          "尚无归集批次。",
		"quality_recent":        "最近批次",
		"quality_file":          "文件",
		"quality_status":        "状态",
		"quality_rejects":       "退回明细",
		"quality_chart":         "各部门数据质量（%）",
		"quality_not_kept":      "其中 %d 行未保存",
		"quality_not_kept_hint": "超过每批保存的退回行数上限，这些行只计数，不在退回明细中。请先修正明细中的行后重新报送。",
	})
	add("en", map[string]string{
		"quality_title":         "Data quality",
		"quality_intro":         "Quality of reported data per department. Timeliness follows the 双公示 rule (within 7 working days of the decision; weekends only for now, the public-holiday calendar is still to come).",
		"quality_dept":          "Department",
		"quality_batches":       "Batches",
		"quality_rows":          "Rows",
		"quality_accepted":      "Accepted",
		"quality_rejected":      "Rejected",
		"quality_timeliness":    "Timeliness",
		"quality_error_rate":    "Error rate",
		"quality_code_errors":   "USCC error rate",
		"quality_completeness":  "Completeness",
		"quality_none":          "No import batches yet.",
		"quality_recent":        "Recent batches",
		"quality_file":          "File",
		"quality_status":        "Status",
		"quality_rejects":       "Rejected rows",
		"quality_chart":         "Data quality per department (%)",
		"quality_not_kept":      "%d of them not kept",
		"quality_not_kept_hint": "Past the cap on rejected rows kept per batch these rows are only counted, and are not in the rejects file. Fix the rows in the file and send it again.",
	})
}

type qualityPage struct {
	Depts   []qualityRow
	Batches []credit.Batch
	Chart   *barChart
}

type qualityRow struct {
	ingest.Quality
	Name                                        string
	Timeliness, ErrorRate, CodeErrors, Complete string // as percentages
}

// barChart is a grouped bar chart drawn as inline SVG by the template:
// the geometry is computed here, so the page needs no script.
type barChart struct {
	Width, Height int
	Bars          []bar
	Labels        []chartLabel
	Legend        []legendItem
	Grid          []gridLine
}

type bar struct {
	X, Y, W, H int
	Class      string
	Title      string
}

type chartLabel struct {
	X, Y int
	Text string
}

type legendItem struct {
	X, Y  int
	Class string
	Text  string
}

type gridLine struct {
	Y    int
	Text string
}

func pct(f float64) string { return fmt.Sprintf("%.1f%%", f*100) }

func newBarChart(rows []qualityRow, t map[string]string) *barChart {
	const (
		left, top, plotH = 44, 30, 180
		barW, gap        = 14, 26
	)
	series := []struct {
		class, label string
		val          func(ingest.Quality) float64
	}{
		{"s1", t["quality_timeliness"], func(q ingest.Quality) float64 { return q.Timeliness }},
		{"s2", t["quality_error_rate"], func(q ingest.Quality) float64 { return q.ErrorRate }},
		{"s3", t["quality_code_errors"], func(q ingest.Quality) float64 { return q.CodeErrorRate }},
		{"s4", t["quality_completeness"], func(q ingest.Quality) float64 { return q.Completeness }},
	}
	group := len(series)*barW + gap
	// Departments are named under their bars, slanting down to the right:
	// names are longer than a group is wide.
	c := &barChart{Width: left + max(len(rows), 1)*group + 130, Height: top + plotH + 110}
	c.Width = max(c.Width, 420)
	for i := 0; i <= 4; i++ {
		c.Grid = append(c.Grid, gridLine{Y: top + plotH - i*plotH/4, Text: fmt.Sprintf("%d", i*25)})
	}
	for i, s := range series {
		c.Legend = append(c.Legend, legendItem{X: left + i*95, Y: 12, Class: s.class, Text: s.label})
	}
	for g, r := range rows {
		x0 := left + g*group + gap/2
		for i, s := range series {
			v := min(max(s.val(r.Quality), 0), 1)
			h := int(v * plotH)
			c.Bars = append(c.Bars, bar{X: x0 + i*barW, Y: top + plotH - h, W: barW - 2, H: h, Class: s.class,
				Title: r.Name + " " + s.label + " " + pct(v)})
		}
		c.Labels = append(c.Labels, chartLabel{X: x0 + len(series)*barW/2, Y: top + plotH + 16, Text: clip(r.Name, 14)})
	}
	return c
}

// quality shows the data-quality figures per department with a chart and
// the recent batches. Staff of the credit office see every department, a
// department sees its own.
func (p *Portal) quality(w http.ResponseWriter, r *http.Request) {
	pr := p.principal(r)
	if !pr.Authenticated() {
		http.Redirect(w, r, "/login?next=%2Fconsole%2Fquality", http.StatusSeeOther)
		return
	}
	v := p.newView(w, r, pr)
	if !slices.Contains([]credit.Role{credit.RoleAdmin, credit.RoleReviewer, credit.RoleDept}, pr.Role) {
		p.render(w, r, http.StatusForbidden, "error", v, func(v *view) {
			v.Title, v.Error = v.T["forbidden_title"], v.T["forbidden_role"]
		})
		return
	}
	ctx := r.Context()
	qs, err := p.cfg.Store.Quality(ctx)
	if err != nil {
		p.fail(w, r, v, err)
		return
	}
	f := credit.BatchFilter{Limit: 20}
	if pr.Role == credit.RoleDept {
		f.Dept = pr.Account.Dept
	}
	bs, err := p.cfg.Store.Batches(ctx, f)
	if err != nil {
		p.fail(w, r, v, err)
		return
	}
	now := p.cfg.Now()
	for i := range bs {
		bs[i].Interrupted = bs[i].Stalled(now)
	}
	page := &qualityPage{Batches: bs}
	for _, q := range qs {
		if pr.Role == credit.RoleDept && q.Dept != pr.Account.Dept {
			continue
		}
		qq := ingest.QualityOf(q)
		row := qualityRow{Quality: qq, Name: v.N.Dept(q.Dept), Timeliness: pct(qq.Timeliness), ErrorRate: pct(qq.ErrorRate),
			CodeErrors: pct(qq.CodeErrorRate), Complete: pct(qq.Completeness)}
		page.Depts = append(page.Depts, row)
	}
	page.Chart = newBarChart(page.Depts, v.T)
	p.render(w, r, http.StatusOK, "quality", v, func(v *view) {
		v.Title = v.T["quality_title"]
		v.Quality = page
	})
}
