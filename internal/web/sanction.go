package web

import (
	"fmt"
	"html/template"
	"math"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/chinatime"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/httpx"
	"github.com/xinyong/xinyong/internal/sanction"
)

// Console pages of 联合奖惩: list decisions, and check statistics with
// charts. Charts are SVG drawn on the server: no script, and the page's
// Content-Security-Policy forbids inline styles, so only SVG presentation
// attributes are used.

func init() {
	for k, v := range sanctionMessages["zh"] {
		messages["zh"][k] = v
	}
	for k, v := range sanctionMessages["en"] {
		messages["en"][k] = v
	}
}

var sanctionMessages = map[string]map[string]string{
	"zh": {
		"nav_lists": "名单认定", "nav_checks": "核查反馈统计",
		"lists_title": "名单认定", "lists_all": "全部名单", "lists_basis": "依据", "lists_period": "期限", "lists_months": "个月", "lists_open": "长期",
		"lists_chart": "各名单在列主体数", "lists_none": "暂无名单记录。", "lists_version": "数据版本", "lists_total": "共 %d 条",
		"col_entry": "条目", "ls_col_subject": "信用主体", "col_state": "状态", "ls_col_doc": "决定书文号", "col_since": "列入日期", "col_until": "届满日期",
		"col_grounds": "事由", "col_persons": "责任人", "col_verify": "核实",
		"ls_state_expired": "已届满",
		"verify_yes":       "核实中（措施暂不执行）",
		"stats_title":      "核查反馈统计", "stats_dept": "部门", "stats_matter": "事项", "stats_measure": "措施", "stats_triggers": "触发次数",
		"stats_feedback": "已反馈", "stats_rate": "反馈率", "stats_overdue": "超期未反馈", "stats_none": "暂无核查记录。",
		"stats_chart_measure": "各措施触发与反馈", "stats_chart_dept": "各部门反馈率", "stats_filter": "筛选", "stats_all": "全部",
		"stats_due": "反馈期限（小时）", "legend_triggers": "触发", "legend_feedback": "已反馈", "legend_overdue": "超期",
		"sanction_off": "本节点未启用联合奖惩服务。",
	},
	"en": {
		"nav_lists": "Lists", "nav_checks": "Checks & feedback",
		"lists_title": "List decisions", "lists_all": "All lists", "lists_basis": "Basis", "lists_period": "Period", "lists_months": " months", "lists_open": "open-ended",
		"lists_chart": "Subjects listed per list", "lists_none": "No list entries yet.", "lists_version": "Data version", "lists_total": "%d entries in all",
		"col_entry": "Entry", "ls_col_subject": "Subject", "col_state": "State", "ls_col_doc": "Decision document", "col_since": "Listed on", "col_until": "Until",
		"col_grounds": "Grounds", "col_persons": "Responsible persons", "col_verify": "Verification",
		"ls_state_expired": "expired",
		"verify_yes":       "under verification (measures suspended)",
		"stats_title":      "Hit checks and feedback", "stats_dept": "Department", "stats_matter": "Matter", "stats_measure": "Measure", "stats_triggers": "Triggers",
		"stats_feedback": "Feedback", "stats_rate": "Feedback rate", "stats_overdue": "Overdue", "stats_none": "No checks yet.",
		"stats_chart_measure": "Triggers and feedback by measure", "stats_chart_dept": "Feedback rate by department", "stats_filter": "Filter", "stats_all": "all",
		"stats_due": "Feedback due (hours)", "legend_triggers": "triggers", "legend_feedback": "feedback", "legend_overdue": "overdue",
		"sanction_off": "The 联合奖惩 service is not running on this node.",
	},
}

// sanctionPage is the data of the two pages.
type sanctionPage struct {
	Lists     []listTab
	Current   *catalog.ListType
	Basis     string
	Period    string
	Entries   []entryRow
	TotalText string
	Version   int64
	Chart     *sanctionChart
	Chart2    *sanctionChart

	Stats    []statRow
	Depts    []option
	Matters  []option
	Dept     string
	Matter   string
	DueHours float64
}

type statRow struct {
	sanction.Stat
	Rate string
}

type listTab struct {
	Code, Name string
	Active     bool
}

type option struct {
	Code, Name string
	Selected   bool
}

type entryRow struct {
	ID, Subject, SubjectID, State, Doc, Since, Until, Grounds, Persons, Verify string
}

// sanctionChart is a horizontal bar chart with up to three series per row.
type sanctionChart struct {
	Title  string
	Width  int
	Height int
	Legend []sanctionLegend
	Rows   []sanctionChartRow
}

type sanctionLegend struct {
	Label, Colour string
	// Class is the series' class in the static style sheet (series-N),
	// which colours it; Colour stays as the attribute for a browser
	// without the style sheet.
	Class string
	X     int
}

type sanctionChartRow struct {
	Label string
	Y     int
	Bars  []sanctionBar
	Text  string
	TextX int
}

type sanctionBar struct {
	X, W, Y, H    int
	Colour, Class string
}

const (
	chartLabelW = 260
	chartBarW   = 380
	chartRowH   = 26
)

var seriesColours = []string{"#b3261e", "#1f7a4d", "#c77c02", "#0969da"}

// seriesClass is the style sheet's class of series i.
func seriesClass(i int) string { return "series-" + strconv.Itoa(i%len(seriesColours)) }

// newChart lays out rows of values (one slice per row, one value per
// series, up to four) scaled to the largest value.
func newChart(title string, series []string, labels []string, values [][]float64, text []string) *sanctionChart {
	c := &sanctionChart{Title: title, Width: chartLabelW + chartBarW + 90, Height: 30 + len(labels)*chartRowH + 10}
	maxV := 0.0
	for _, vs := range values {
		for _, v := range vs {
			maxV = max(maxV, v)
		}
	}
	for i, s := range series {
		c.Legend = append(c.Legend, sanctionLegend{Label: s, Colour: seriesColours[i%len(seriesColours)], Class: seriesClass(i), X: chartLabelW + i*110})
	}
	for i, l := range labels {
		y := 30 + i*chartRowH
		row := sanctionChartRow{Label: clip(l, 22), Y: y + 16, TextX: chartLabelW + chartBarW + 8, Text: text[i]}
		n := len(values[i])
		h := (chartRowH - 6) / max(n, 1)
		for j, v := range values[i] {
			w := 0
			if maxV > 0 {
				w = int(v / maxV * chartBarW)
			}
			if v > 0 && w == 0 {
				w = 1
			}
			row.Bars = append(row.Bars, sanctionBar{X: chartLabelW, W: w, Y: y + 3 + j*h, H: h, Colour: seriesColours[j%len(seriesColours)], Class: seriesClass(j)})
		}
		c.Rows = append(c.Rows, row)
	}
	return c
}

func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// sanctionRoutes parses the pages (with the chart template) and adds them
// to the portal's mux.
func (p *Portal) sanctionRoutes() error {
	for _, name := range []string{"listdecisions", "checkstats"} {
		t, err := template.ParseFS(templateFS, "templates/layout.html", "templates/"+name+".html", "templates/chart.html")
		if err != nil {
			return err
		}
		p.pages[name] = t
	}
	p.mux.HandleFunc("GET /console/lists", p.listsPage)
	p.mux.HandleFunc("GET /console/checks", p.checksPage)
	return nil
}

// staff reports whether the principal may use a page, redirecting
// anonymous visitors to the sign-in page.
func (p *Portal) staff(w http.ResponseWriter, r *http.Request, roles ...credit.Role) (auth.Principal, *view, bool) {
	pr := p.principal(r)
	if !pr.Authenticated() {
		http.Redirect(w, r, "/login?next="+strings.ReplaceAll(r.URL.Path, "/", "%2F"), http.StatusSeeOther)
		return pr, nil, false
	}
	v := p.newView(w, r, pr)
	if !slices.Contains(roles, pr.Role) {
		p.audit.Denied(r.Context(), pr, "console"+r.URL.Path, r.URL.Path, "", httpx.RemoteIP(r))
		p.render(w, r, http.StatusForbidden, "error", v, func(v *view) {
			v.Title, v.Error = v.T["forbidden_title"], v.T["forbidden_role"]
		})
		return pr, nil, false
	}
	if p.cfg.Sanction == nil {
		p.render(w, r, http.StatusServiceUnavailable, "error", v, func(v *view) {
			v.Title, v.Error = v.T["error_title"], v.T["sanction_off"]
		})
		return pr, nil, false
	}
	return pr, v, true
}

// consoleListPage is how many entries a page of the console's list
// decisions shows.
const consoleListPage = 100

func (p *Portal) listsPage(w http.ResponseWriter, r *http.Request) {
	pr, v, ok := p.staff(w, r, credit.RoleAdmin, credit.RoleReviewer, credit.RoleDept, credit.RoleAuditor)
	if !ok {
		return
	}
	ctx := r.Context()
	svc := p.cfg.Sanction
	code := r.URL.Query().Get("list")
	sp := &sanctionPage{Version: svc.Version()}
	for _, lt := range p.cfg.Catalog.Lists {
		sp.Lists = append(sp.Lists, listTab{Code: lt.Code, Name: v.N.List(lt.Code), Active: lt.Code == code})
		if lt.Code == code {
			sp.Current = lt
		}
	}
	if code != "" && sp.Current == nil {
		p.fail(w, r, v, credit.E("web.lists", credit.NotFound, "no list %q", code))
		return
	}
	n, ok := pageNumber(r, math.MaxInt32/consoleListPage)
	if !ok {
		p.fail(w, r, v, credit.E("web.lists", credit.NotFound, "no page %q", r.URL.Query().Get("page")))
		return
	}
	entries, total, err := svc.Entries(ctx, code, (n-1)*consoleListPage, consoleListPage)
	if err == nil && n > 1 && len(entries) == 0 {
		err = credit.E("web.lists", credit.NotFound, "list %q has no page %d", code, n)
	}
	if err != nil {
		p.fail(w, r, v, err)
		return
	}
	sp.TotalText = fmt.Sprintf(v.T["lists_total"], total)
	v.Pager = newPager(v, n, n*consoleListPage < total, math.MaxInt32/consoleListPage, func(n int) string {
		q := url.Values{"page": {strconv.Itoa(n)}}
		if code != "" {
			q.Set("list", code)
		}
		return "/console/lists?" + q.Encode()
	})
	// Entries are not all public (proposals, responsible persons): the
	// read is audited like the API's.
	if err := p.audit.Read(ctx, pr, "list.entries.read", "list:"+code, "console", httpx.RemoteIP(r)); err != nil {
		p.fail(w, r, v, err)
		return
	}
	now := p.cfg.Now()
	day := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.In(chinatime.Location).Format(time.DateOnly)
	}
	for _, e := range entries {
		state := v.N.Step(e.State)
		switch {
		case e.State == credit.StepDecided && !e.Active(now):
			state = v.T["ls_state_expired"]
		case e.State == credit.StepRemoved && e.Detail.RemovalReason != "":
			state = fmt.Sprintf(v.T["state_removed_because"], v.N.Removal(e.Detail.RemovalReason))
		}
		var persons []string
		for _, pp := range e.Detail.Persons {
			persons = append(persons, pp.Role+" "+pp.Name+" "+pp.IDMasked)
		}
		name := e.Detail.SubjectName
		if name == "" {
			name = e.SubjectID
		}
		row := entryRow{ID: e.ID, Subject: name, SubjectID: e.SubjectID, State: state, Doc: e.DocNo, Since: day(e.Detail.Since),
			Until: day(e.Detail.Until), Grounds: e.Detail.Grounds, Persons: strings.Join(persons, "；")}
		if svc.UnderVerification(e) {
			row.Verify = v.T["verify_yes"]
		}
		sp.Entries = append(sp.Entries, row)
	}
	if sp.Current != nil {
		var b []string
		for _, x := range sp.Current.Basis {
			b = append(b, x.String())
		}
		sp.Basis = strings.Join(b, "；")
		sp.Period = v.T["lists_open"]
		if sp.Current.PeriodMonths > 0 {
			sp.Period = fmt.Sprint(sp.Current.PeriodMonths) + v.T["lists_months"]
		}
	}
	// Chart: listed subjects per list (from all entries).
	counts := svc.ListedCounts(now)
	var labels, text []string
	var vals [][]float64
	for _, lt := range p.cfg.Catalog.Lists {
		labels = append(labels, v.N.List(lt.Code))
		vals = append(vals, []float64{float64(counts[lt.Code])})
		text = append(text, fmt.Sprint(counts[lt.Code]))
	}
	sp.Chart = newChart(v.T["lists_chart"], []string{v.N.Step(credit.StepDecided)}, labels, vals, text)
	p.render(w, r, http.StatusOK, "listdecisions", v, func(v *view) {
		v.Title = v.T["lists_title"]
		v.Sanction = sp
	})
}

func (p *Portal) checksPage(w http.ResponseWriter, r *http.Request) {
	pr, v, ok := p.staff(w, r, credit.RoleAdmin, credit.RoleReviewer, credit.RoleAuditor, credit.RoleBusiness)
	if !ok {
		return
	}
	q := r.URL.Query()
	dept, matter := q.Get("dept"), q.Get("matter")
	if pr.Role == credit.RoleBusiness {
		dept = pr.Account.Dept // a business system sees its own department
	}
	svc := p.cfg.Sanction
	stats, err := svc.Stats(r.Context(), dept, matter, time.Time{})
	if err != nil {
		p.fail(w, r, v, err)
		return
	}
	sp := &sanctionPage{Dept: dept, Matter: matter, DueHours: svc.FeedbackDue().Hours()}
	for i := range stats {
		s := &stats[i]
		s.DeptName, s.MatterName, s.MeasureName = v.N.Dept(s.Dept), v.N.Matter(s.Matter), v.N.Measure(s.Measure)
		sp.Stats = append(sp.Stats, statRow{Stat: *s, Rate: fmt.Sprintf("%.0f%%", s.FeedbackRate*100)})
	}
	for _, d := range p.cfg.Catalog.Departments {
		if pr.Role != credit.RoleBusiness || d.Code == dept {
			sp.Depts = append(sp.Depts, option{Code: d.Code, Name: v.N.Dept(d.Code), Selected: d.Code == dept})
		}
	}
	for _, m := range p.cfg.Catalog.Matters {
		sp.Matters = append(sp.Matters, option{Code: m.Code, Name: v.N.Matter(m.Code), Selected: m.Code == matter})
	}
	// By measure: triggers, feedback, overdue.
	type agg struct{ t, f, o float64 }
	byMeasure, byDept := map[string]*agg{}, map[string]*agg{}
	names := map[string]string{}
	for _, s := range stats {
		for key, m := range map[string]map[string]*agg{s.Measure: byMeasure, s.Dept: byDept} {
			if m[key] == nil {
				m[key] = &agg{}
			}
			m[key].t += float64(s.Triggers)
			m[key].f += float64(s.Feedback)
			m[key].o += float64(s.Overdue)
		}
		names[s.Measure], names[s.Dept] = s.MeasureName, s.DeptName
	}
	keys := func(m map[string]*agg) []string {
		out := make([]string, 0, len(m))
		for k := range m {
			out = append(out, k)
		}
		sort.Slice(out, func(i, j int) bool { return m[out[i]].t > m[out[j]].t || m[out[i]].t == m[out[j]].t && out[i] < out[j] })
		return out
	}
	if len(stats) > 0 {
		var labels, text []string
		var vals [][]float64
		for _, k := range keys(byMeasure) {
			a := byMeasure[k]
			labels = append(labels, names[k])
			vals = append(vals, []float64{a.t, a.f, a.o})
			text = append(text, fmt.Sprintf("%.0f / %.0f / %.0f", a.t, a.f, a.o))
		}
		sp.Chart = newChart(v.T["stats_chart_measure"], []string{v.T["legend_triggers"], v.T["legend_feedback"], v.T["legend_overdue"]}, labels, vals, text)
		labels, text, vals = nil, nil, nil
		for _, k := range keys(byDept) {
			a := byDept[k]
			rate := 0.0
			if a.t > 0 {
				rate = a.f / a.t * 100
			}
			labels = append(labels, names[k])
			vals = append(vals, []float64{rate})
			text = append(text, fmt.Sprintf("%.0f%%", rate))
		}
		sp.Chart2 = newChart(v.T["stats_chart_dept"], []string{v.T["stats_rate"]}, labels, vals, text)
	}
	p.render(w, r, http.StatusOK, "checkstats", v, func(v *view) {
		v.Title = v.T["stats_title"]
		v.Sanction = sp
	})
}
