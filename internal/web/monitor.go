package web

import (
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/httpx"
	"github.com/xinyong/xinyong/internal/monitor"
)

// The city credit monitoring page (/console/monitor, 城市信用状况监测,
// 2025 opinion 七): each indicator's series as a line chart drawn here as
// SVG (coloured through classes in style.css: the CSP allows no inline
// style), its data as XLSX, and the departments' data-quality ranking.
// The credit office and the auditor see the city; a department sees its
// own figures.

// monitorRoles may open the page.
var monitorRoles = []credit.Role{credit.RoleAdmin, credit.RoleReviewer, credit.RoleAuditor, credit.RoleDept}

type monitorPage struct {
	Period  string
	N       int
	Periods []option
	Own     bool // a department's own figures
	Charts  []*monitorChart
	Ranking []rankRow
	RankBar *rankChart
	Basis   []monitor.Basis
}

type monitorChart struct {
	Code, Name, Desc, XLSX string
	Basis                  []monitor.Basis
	Width, Height          int
	Grid                   []gridLine
	XLabels                []chartLabel
	Paths                  []monitorPath
	Dots                   []monitorDot
	Legend                 []legendItem
	Empty                  bool
	Provisional            bool
	// Latest are the last period's values per line, for the table.
	Latest []latestRow
}

type monitorPath struct {
	D, Class string
}

type monitorDot struct {
	X, Y  int
	Class string
	Title string
}

type latestRow struct {
	Name, Value, Num, Den string
}

type rankRow struct {
	monitor.RankRow
	Score   string
	Figures []string
}

type rankChart struct {
	Width, Height int
	Bars          []bar
	Labels        []chartLabel
}

func (p *Portal) monitorRoutes() error {
	t, err := template.ParseFS(templateFS, "templates/layout.html", "templates/monitor.html")
	if err != nil {
		return err
	}
	p.pages["monitor"] = t
	p.mux.HandleFunc("GET /console/monitor", p.monitorPage)
	p.mux.HandleFunc("GET /console/monitor/{file}", p.monitorXLSX)
	return nil
}

// monitorQuery reads period and n, and scopes a department to itself.
func (p *Portal) monitorAccess(w http.ResponseWriter, r *http.Request) (*view, monitor.Query, bool) {
	pr := p.principal(r)
	if !pr.Authenticated() {
		http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
		return nil, monitor.Query{}, false
	}
	v := p.newView(w, r, pr)
	if !slices.Contains(monitorRoles, pr.Role) {
		p.audit.Denied(r.Context(), pr, "console"+r.URL.Path, r.URL.Path, "", httpx.RemoteIP(r))
		p.render(w, r, http.StatusForbidden, "error", v, func(v *view) {
			v.Title, v.Error = v.T["forbidden_title"], v.T["forbidden_role"]
		})
		return nil, monitor.Query{}, false
	}
	q := monitor.Query{Period: r.URL.Query().Get("period")}
	if q.Period != monitor.Week {
		q.Period = monitor.Month
	}
	q.N = monitor.DefaultPeriods
	if n, err := strconv.Atoi(r.URL.Query().Get("n")); err == nil && n >= 1 && n <= monitor.MaxPeriods {
		q.N = n
	}
	if pr.Role == credit.RoleDept {
		q.Dept = pr.Account.Dept
	}
	return v, q, true
}

func (p *Portal) monitorPage(w http.ResponseWriter, r *http.Request) {
	v, q, ok := p.monitorAccess(w, r)
	if !ok {
		return
	}
	m := p.cfg.Monitor
	all, err := m.All(r.Context(), q)
	if err != nil {
		p.fail(w, r, v, err)
		return
	}
	ranking, err := m.Ranking(r.Context(), q)
	if err != nil {
		p.fail(w, r, v, err)
		return
	}
	page := &monitorPage{Period: q.Period, N: q.N, Own: q.Dept != "", Basis: m.Indicators().Basis}
	for _, k := range []string{monitor.Month, monitor.Week} {
		page.Periods = append(page.Periods, option{Code: k, Name: v.T["mon_period_"+k], Selected: k == q.Period})
	}
	for _, sr := range all {
		page.Charts = append(page.Charts, p.lineChart(v, sr, q))
	}
	var ranked []*monitor.Indicator
	for _, in := range m.Indicators().Indicators {
		if in.RankWeight > 0 {
			ranked = append(ranked, in)
		}
	}
	for _, rr := range ranking {
		row := rankRow{RankRow: rr, Score: fmt.Sprintf("%.1f", rr.Score*100)}
		row.Name = v.N.Dept(rr.Dept)
		for _, in := range ranked {
			if f, ok := rr.Figures[in.Code]; ok {
				row.Figures = append(row.Figures, pct(f))
			} else {
				row.Figures = append(row.Figures, "—")
			}
		}
		page.Ranking = append(page.Ranking, row)
	}
	page.RankBar = newRankChart(page.Ranking)
	p.render(w, r, http.StatusOK, "monitor", v, func(v *view) {
		v.Title = v.T["mon_title"]
		v.Monitor = page
		v.MonitorRanked = nil
		for _, in := range ranked {
			v.MonitorRanked = append(v.MonitorRanked, p.indicatorName(v, in))
		}
	})
}

func (p *Portal) indicatorName(v *view, in *monitor.Indicator) string {
	if v.Lang == "en" {
		return in.NameEn
	}
	return in.Name
}

// lineName names a line in the page's language.
func lineName(v *view, in *monitor.Indicator, key string) string {
	switch {
	case key == "":
		return v.T["mon_total"]
	case in.By == monitor.ByMatter:
		return v.N.Matter(key)
	}
	return v.N.Dept(key)
}

func formatValue(unit string, x float64) string {
	switch unit {
	case monitor.UnitPercent:
		return pct(x)
	case monitor.UnitPer1000:
		return fmt.Sprintf("%.1f", x)
	}
	return fmt.Sprintf("%.0f", x)
}

// monitorColours is how many line colours style.css defines (.mon-c0…).
const monitorColours = 8

func (p *Portal) lineChart(v *view, sr *monitor.Series, q monitor.Query) *monitorChart {
	in := sr.Indicator
	const (
		left, top, plotW, plotH = 56, 16, 560, 200
	)
	c := &monitorChart{Code: in.Code, Name: p.indicatorName(v, in), Basis: in.Basis, Provisional: sr.Provisional,
		Width: left + plotW + 24, Height: top + plotH + 40,
		XLSX: fmt.Sprintf("/console/monitor/%s.xlsx?period=%s&n=%d", in.Code, q.Period, q.N)}
	c.Desc = in.Desc
	if v.Lang == "en" {
		c.Desc = in.DescEn
	}
	// The scale: shares from 0 to 100%; other figures from 0 to a round
	// maximum above the largest value.
	top1 := 1.0
	if in.Unit != monitor.UnitPercent {
		mx := 0.0
		for _, l := range sr.Lines {
			for _, pt := range l.Points {
				if pt.Value != nil {
					mx = max(mx, *pt.Value)
				}
			}
		}
		top1 = niceMax(mx)
		if in.Unit == monitor.UnitCount {
			top1 = max(top1, 4) // whole numbers on the grid
		}
	}
	for i := 0; i <= 4; i++ {
		val := top1 * float64(i) / 4
		c.Grid = append(c.Grid, gridLine{Y: top + plotH - i*plotH/4, Text: formatValue(in.Unit, val)})
	}
	n := len(sr.Periods)
	xOf := func(i int) int {
		if n == 1 {
			return left + plotW/2
		}
		return left + i*plotW/(n-1)
	}
	every := max(1, (n+7)/8)
	for i, l := range sr.Periods {
		if i%every == 0 || i == n-1 {
			c.XLabels = append(c.XLabels, chartLabel{X: xOf(i), Y: top + plotH + 16, Text: l})
		}
	}
	c.Empty = true
	for k, l := range sr.Lines {
		class := fmt.Sprintf("mon-c%d", k%monitorColours)
		name := lineName(v, in, l.Key)
		var d strings.Builder
		pen := false
		for i, pt := range l.Points {
			if pt.Value == nil {
				pen = false
				continue
			}
			c.Empty = false
			x := xOf(i)
			y := top + plotH - int(min(max(*pt.Value/top1, 0), 1)*plotH)
			if pen {
				fmt.Fprintf(&d, " L%d %d", x, y)
			} else {
				fmt.Fprintf(&d, " M%d %d", x, y)
				pen = true
			}
			c.Dots = append(c.Dots, monitorDot{X: x, Y: y, Class: class, Title: name + " " + pt.Period + " " + formatValue(in.Unit, *pt.Value)})
		}
		if d.Len() > 0 {
			c.Paths = append(c.Paths, monitorPath{D: strings.TrimSpace(d.String()), Class: class})
		}
		c.Legend = append(c.Legend, legendItem{Class: class, Text: name})
		last := l.Points[len(l.Points)-1]
		row := latestRow{Name: name, Value: "—", Num: fmt.Sprintf("%.0f", last.Num), Den: fmt.Sprintf("%.0f", last.Den)}
		if last.Value != nil {
			row.Value = formatValue(in.Unit, *last.Value)
		}
		if in.Unit == monitor.UnitCount {
			row.Den = "—"
		}
		c.Latest = append(c.Latest, row)
	}
	return c
}

// niceMax is a round number at or above x (1, 2 or 5 times a power of ten).
func niceMax(x float64) float64 {
	if x <= 0 {
		return 1
	}
	p := 1.0
	for p*10 <= x {
		p *= 10
	}
	for p > x*10 {
		p /= 10
	}
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= x {
			return m * p
		}
	}
	return 10 * p
}

func newRankChart(rows []rankRow) *rankChart {
	const labelW, barW, rowH = 190, 360, 24
	c := &rankChart{Width: labelW + barW + 60, Height: len(rows)*rowH + 10}
	for i, r := range rows {
		y := 5 + i*rowH
		w := int(min(max(r.RankRow.Score, 0), 1) * barW)
		c.Bars = append(c.Bars, bar{X: labelW, Y: y, W: max(w, 1), H: rowH - 6, Class: fmt.Sprintf("mon-c%d", i%monitorColours),
			Title: r.Name + " " + r.Score})
		c.Labels = append(c.Labels, chartLabel{X: 0, Y: y + 13, Text: fmt.Sprintf("%d. %s", r.Rank, clip(r.Name, 14))})
		c.Labels = append(c.Labels, chartLabel{X: labelW + w + 6, Y: y + 13, Text: r.Score})
	}
	return c
}

// monitorXLSX answers one indicator's series as a workbook.
func (p *Portal) monitorXLSX(w http.ResponseWriter, r *http.Request) {
	v, q, ok := p.monitorAccess(w, r)
	if !ok {
		return
	}
	code, found := strings.CutSuffix(r.PathValue("file"), ".xlsx")
	if !found {
		p.notFound(w, r)
		return
	}
	sr, err := p.cfg.Monitor.Series(r.Context(), code, q)
	if err != nil {
		p.fail(w, r, v, err)
		return
	}
	in := sr.Indicator
	l := monitor.LabelsZh
	if v.Lang == "en" {
		l = monitor.LabelsEn
	}
	data, err := monitor.XLSX(sr, p.indicatorName(v, in), l, func(key string) string { return lineName(v, in, key) })
	if err != nil {
		p.fail(w, r, v, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	h.Set("Content-Disposition", `attachment; filename="`+in.Code+`.xlsx"; filename*=UTF-8''`+url.PathEscape(in.Name+".xlsx"))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(data)
}
