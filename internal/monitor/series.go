package monitor

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/chinatime"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/ingest"
	"github.com/xinyong/xinyong/internal/sanction"
	"github.com/xinyong/xinyong/internal/workday"
	"github.com/xinyong/xinyong/internal/workflow"
)

// Store is what the monitoring reads.
type Store interface {
	credit.MonitorStore
	credit.WorkflowStore
	credit.SanctionStore
}

// Config is what the service needs.
type Config struct {
	Store   Store
	Catalog *catalog.Catalog
	// FeedbackDue is how long a business system has to give feedback
	// (the sanction service's FeedbackDue); 0 counts none as overdue.
	FeedbackDue time.Duration
	// Indicators is the indicator file; nil: the embedded one.
	Indicators *Set
	Now        func() time.Time
}

// Service computes the series.
type Service struct {
	cfg Config
	set *Set
}

// New builds the service, loading the embedded indicators unless given.
func New(cfg Config) (*Service, error) {
	if cfg.Store == nil || cfg.Catalog == nil {
		return nil, fmt.Errorf("monitor: Store and Catalog are required")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	set := cfg.Indicators
	if set == nil {
		var err error
		if set, err = Embedded(); err != nil {
			return nil, err
		}
	}
	return &Service{cfg: cfg, set: set}, nil
}

// Indicators is the indicator file in use.
func (s *Service) Indicators() *Set { return s.set }

// Periods a series may be cut into.
const (
	Month = "month"
	Week  = "week"
	// MaxPeriods bounds how many periods a series spans.
	MaxPeriods = 60
	// DefaultPeriods is how many it spans when not asked.
	DefaultPeriods = 12
)

// Query says which series: the period kind, how many periods up to the
// current one, and the department whose own figures alone are wanted (a
// department's view; "" for the whole city).
type Query struct {
	Period string
	N      int
	Dept   string
}

func (q Query) norm() (Query, error) {
	if q.Period == "" {
		q.Period = Month
	}
	if q.Period != Month && q.Period != Week {
		return q, credit.Say("monitor", credit.Invalid, "统计周期须为 month 或 week，不能为 %[1]q", "the period is month or week, not %q", q.Period)
	}
	if q.N == 0 {
		q.N = DefaultPeriods
	}
	if q.N < 1 || q.N > MaxPeriods {
		return q, credit.Say("monitor", credit.Invalid, "周期数须在1到%[2]d之间，不能为%[1]d", "the number of periods is 1 to %[2]d, not %[1]d", q.N, MaxPeriods)
	}
	return q, nil
}

// Point is one period's value of a line. Value is nil when the period has
// nothing to measure (no batch, no case closed, no trigger).
type Point struct {
	Period string   `json:"period"`
	Value  *float64 `json:"value"`
	Num    float64  `json:"numerator"`
	Den    float64  `json:"denominator"`
}

// Line is one department's, matter's or the city's values ("" key: the
// city or total).
type Line struct {
	Key    string  `json:"key"`
	Name   string  `json:"name"`
	Points []Point `json:"points"`
}

// Series is an indicator's values over the periods.
type Series struct {
	Indicator *Indicator `json:"indicator"`
	Period    string     `json:"period"`
	Periods   []string   `json:"periods"`
	Lines     []Line     `json:"lines"`
	// Provisional says the current period is not over.
	Provisional bool `json:"provisional"`
}

// Visible reports whether a department's view has the indicator: those
// broken down by department or matter (its own line); not the city-only
// ones.
func Visible(in *Indicator, dept string) bool { return dept == "" || in.By != ByCity }

// bounds are the periods' starts and the end of the last, China time.
func bounds(q Query, now time.Time) ([]time.Time, []string) {
	d := chinatime.Date(now)
	var start time.Time
	step := func(t time.Time, n int) time.Time { return t.AddDate(0, n, 0) }
	if q.Period == Week {
		wd := (int(d.Weekday()) + 6) % 7 // Monday 0
		start = d.AddDate(0, 0, -wd)
		step = func(t time.Time, n int) time.Time { return t.AddDate(0, 0, 7*n) }
	} else {
		start = time.Date(d.Year(), d.Month(), 1, 0, 0, 0, 0, chinatime.Location)
	}
	first := step(start, -(q.N - 1))
	bs := make([]time.Time, q.N+1)
	labels := make([]string, q.N)
	for i := range bs {
		bs[i] = step(first, i)
	}
	for i := range labels {
		if q.Period == Week {
			y, w := bs[i].ISOWeek()
			labels[i] = fmt.Sprintf("%d-W%02d", y, w)
		} else {
			labels[i] = bs[i].Format("2006-01")
		}
	}
	return bs, labels
}

// gather holds what one computation read, so that several indicators
// share the reads.
type gather struct {
	s      *Service
	ctx    context.Context
	q      Query
	now    time.Time
	bs     []time.Time
	labels []string
	// ends are the instants each period is measured at: its end, or now
	// for the current period.
	ends []time.Time

	quality  [][]credit.DeptQuality
	records  map[string][]int
	subjects []int
	cases    map[credit.CaseKind][]closed
	checks   [][]credit.CheckStat
}

type closed struct {
	unit   string
	period int
	onTime bool
}

func (s *Service) gather(ctx context.Context, q Query) (*gather, error) {
	q, err := q.norm()
	if err != nil {
		return nil, err
	}
	now := s.cfg.Now()
	bs, labels := bounds(q, now)
	g := &gather{s: s, ctx: ctx, q: q, now: now, bs: bs, labels: labels, cases: map[credit.CaseKind][]closed{}}
	for _, b := range bs[1:] {
		g.ends = append(g.ends, minTime(b, now))
	}
	return g, nil
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// period is the index of the period t falls in, or -1.
func (g *gather) period(t time.Time) int {
	if t.Before(g.bs[0]) || !t.Before(g.bs[len(g.bs)-1]) {
		return -1
	}
	return sort.Search(len(g.bs)-1, func(i int) bool { return t.Before(g.bs[i+1]) })
}

func (g *gather) qualityByPeriod() ([][]credit.DeptQuality, error) {
	if g.quality == nil {
		q, err := g.s.cfg.Store.QualityByPeriod(g.ctx, g.bs)
		if err != nil {
			return nil, err
		}
		g.quality = q
	}
	return g.quality, nil
}

func (g *gather) counts() (map[string][]int, []int, error) {
	if g.records == nil {
		r, err := g.s.cfg.Store.RecordsBefore(g.ctx, g.ends)
		if err != nil {
			return nil, nil, err
		}
		sub, err := g.s.cfg.Store.SubjectsBefore(g.ctx, g.ends)
		if err != nil {
			return nil, nil, err
		}
		g.records, g.subjects = r, sub
	}
	return g.records, g.subjects, nil
}

// closedCases are the cases of kind closed in the periods, each with
// whether every step was taken by its due date. A step is late when the
// event that ends it is past the due date the step began with
// (workday.Overdue: the due day ends at 24:00 China time); an escalation
// is such an event. Withdrawn cases are left out: the applicant ended
// them, not the unit.
func (g *gather) closedCases(kind credit.CaseKind) ([]closed, error) {
	if cs, ok := g.cases[kind]; ok {
		return cs, nil
	}
	all, err := g.s.cfg.Store.Cases(g.ctx, credit.CaseFilter{Kind: kind, Unit: g.q.Dept, Limit: 1 << 20})
	if err != nil {
		return nil, err
	}
	out := []closed{}
	for _, c := range all {
		if c.Open || c.State == workflow.StateWithdrawn || c.Updated.Before(g.bs[0]) {
			continue
		}
		evs, err := g.s.cfg.Store.CaseEvents(g.ctx, c.ID)
		if err != nil {
			return nil, err
		}
		if len(evs) == 0 {
			continue
		}
		p := g.period(evs[len(evs)-1].At)
		if p < 0 {
			continue
		}
		onTime := true
		var due time.Time
		for _, ev := range evs {
			if workday.Overdue(due, ev.At) {
				onTime = false
				break
			}
			due = ev.Due
		}
		out = append(out, closed{unit: c.Unit, period: p, onTime: onTime})
	}
	g.cases[kind] = out
	return out, nil
}

func (g *gather) checkStats() ([][]credit.CheckStat, error) {
	if g.checks == nil {
		due := time.Time{}
		if g.s.cfg.FeedbackDue > 0 {
			due = g.now.Add(-g.s.cfg.FeedbackDue)
		}
		for i := range g.labels {
			st, err := g.s.cfg.Store.CheckStats(g.ctx, credit.StatsFilter{Dept: g.q.Dept, Since: g.bs[i], Until: g.bs[i+1], DueBefore: due})
			if err != nil {
				return nil, err
			}
			g.checks = append(g.checks, st)
		}
	}
	return g.checks, nil
}

// ratio is a point's value: num/den, or no value when den is 0.
func ratio(period string, num, den float64) Point {
	p := Point{Period: period, Num: num, Den: den}
	if den > 0 {
		v := num / den
		p.Value = &v
	}
	return p
}

func value(period string, v, num, den float64) Point {
	return Point{Period: period, Value: &v, Num: num, Den: den}
}

// lines builds the series' lines from per-key points, the total first
// (unless a department's view), then the keys in order.
func (g *gather) lines(keys map[string][]Point, total []Point, name func(string) string) []Line {
	var out []Line
	if g.q.Dept == "" && total != nil {
		out = append(out, Line{Key: "", Name: "", Points: total})
	}
	ks := make([]string, 0, len(keys))
	for k := range keys {
		if g.q.Dept == "" || k == g.q.Dept {
			ks = append(ks, k)
		}
	}
	slices.Sort(ks)
	for _, k := range ks {
		out = append(out, Line{Key: k, Name: name(k), Points: keys[k]})
	}
	return out
}

func (s *Service) deptName(code string) string {
	if d, err := s.cfg.Catalog.Department(code); err == nil {
		return d.Name
	}
	return code
}

func (s *Service) matterName(code string) string {
	if m, err := s.cfg.Catalog.Matter(code); err == nil {
		return m.Name
	}
	return code
}

// qualityFigure is a 双公示 figure of a department's totals, through
// ingest.QualityOf (the one home of the figures), with its numerator and
// denominator.
func qualityFigure(source string, dq credit.DeptQuality) (v, num, den float64, ok bool) {
	q := ingest.QualityOf(dq)
	c := dq.Counts
	switch source {
	case "dsgs_timeliness":
		return q.Timeliness, float64(c.Timed - c.Late), float64(c.Timed), c.Timed > 0
	case "dsgs_compliance":
		return 1 - q.ErrorRate, float64(c.Total - c.Rejected), float64(c.Total), c.Total > 0
	case "dsgs_completeness":
		return q.Completeness, float64(c.Filled), float64(c.Fillable), c.Fillable > 0
	}
	return 0, 0, 0, false
}

// Series computes one indicator's series.
func (s *Service) Series(ctx context.Context, code string, q Query) (*Series, error) {
	in := s.set.Indicator(code)
	if in == nil {
		return nil, credit.Say("monitor", credit.NotFound, "没有监测指标%[1]s", "no monitoring indicator %s", code)
	}
	if !Visible(in, q.Dept) {
		return nil, credit.Say("monitor", credit.Permission, "指标“%[2]s”是全市指标，部门只能查看本部门的指标", "indicator %[1]s is city-wide; a department sees its own figures", code, in.Name)
	}
	g, err := s.gather(ctx, q)
	if err != nil {
		return nil, err
	}
	return g.series(in)
}

// All computes every indicator the query's view may see, sharing reads.
func (s *Service) All(ctx context.Context, q Query) ([]*Series, error) {
	g, err := s.gather(ctx, q)
	if err != nil {
		return nil, err
	}
	var out []*Series
	for _, in := range s.set.Indicators {
		if !Visible(in, q.Dept) {
			continue
		}
		sr, err := g.series(in)
		if err != nil {
			return nil, fmt.Errorf("monitor: indicator %s: %w", in.Code, err)
		}
		out = append(out, sr)
	}
	return out, nil
}

func (g *gather) series(in *Indicator) (*Series, error) {
	sr := &Series{Indicator: in, Period: g.q.Period, Periods: g.labels, Provisional: g.now.Before(g.bs[len(g.bs)-1])}
	n := len(g.labels)
	s := g.s
	switch in.Source {
	case "dsgs_timeliness", "dsgs_compliance", "dsgs_completeness":
		qs, err := g.qualityByPeriod()
		if err != nil {
			return nil, err
		}
		keys := map[string][]Point{}
		total := make([]Point, n)
		for i := range n {
			var all credit.DeptQuality
			for _, dq := range qs[i] {
				all.Batches += dq.Batches
				all.Counts.Add(dq.Counts)
				if keys[dq.Dept] == nil {
					keys[dq.Dept] = make([]Point, n)
					for j := range n {
						keys[dq.Dept][j] = Point{Period: g.labels[j]}
					}
				}
				if v, num, den, ok := qualityFigure(in.Source, dq); ok {
					keys[dq.Dept][i] = value(g.labels[i], v, num, den)
				}
			}
			total[i] = Point{Period: g.labels[i]}
			if v, num, den, ok := qualityFigure(in.Source, all); ok {
				total[i] = value(g.labels[i], v, num, den)
			}
		}
		sr.Lines = g.lines(keys, total, s.deptName)
	case "records_per_1000":
		recs, subs, err := g.counts()
		if err != nil {
			return nil, err
		}
		keys := map[string][]Point{}
		total := make([]Point, n)
		sum := make([]float64, n)
		for dept, ns := range recs {
			pts := make([]Point, n)
			for i := range n {
				sum[i] += float64(ns[i])
				pts[i] = per1000(g.labels[i], float64(ns[i]), float64(subs[i]))
			}
			keys[dept] = pts
		}
		for i := range n {
			total[i] = per1000(g.labels[i], sum[i], float64(subs[i]))
		}
		sr.Lines = g.lines(keys, total, s.deptName)
	case "listed_share":
		_, subs, err := g.counts()
		if err != nil {
			return nil, err
		}
		evs, err := s.cfg.Store.ListEvents(g.ctx, 0, 0)
		if err != nil {
			return nil, err
		}
		black := map[string]bool{}
		for _, lt := range s.cfg.Catalog.Lists {
			if lt.Kind == catalog.ListBlack {
				black[lt.Code] = true
			}
		}
		total := make([]Point, n)
		for i, end := range g.ends {
			var upTo []credit.ListEvent
			for _, ev := range evs {
				if ev.At.Before(end) && black[ev.List] {
					upTo = append(upTo, ev)
				}
			}
			listed := map[string]bool{}
			for _, e := range sanction.Derive(upTo) {
				if e.Active(end) {
					listed[e.SubjectID] = true
				}
			}
			total[i] = ratio(g.labels[i], float64(len(listed)), float64(subs[i]))
		}
		sr.Lines = []Line{{Key: "", Points: total}}
	case "objection_on_time", "repair_on_time":
		kind := credit.CaseObjection
		if in.Source == "repair_on_time" {
			kind = credit.CaseRepair
		}
		cs, err := g.closedCases(kind)
		if err != nil {
			return nil, err
		}
		type nd struct{ num, den []float64 }
		by := map[string]*nd{}
		tot := nd{make([]float64, n), make([]float64, n)}
		for _, c := range cs {
			x := by[c.unit]
			if x == nil {
				x = &nd{make([]float64, n), make([]float64, n)}
				by[c.unit] = x
			}
			for _, y := range []*nd{x, &tot} {
				y.den[c.period]++
				if c.onTime {
					y.num[c.period]++
				}
			}
		}
		keys := map[string][]Point{}
		for unit, x := range by {
			pts := make([]Point, n)
			for i := range n {
				pts[i] = ratio(g.labels[i], x.num[i], x.den[i])
			}
			keys[unit] = pts
		}
		total := make([]Point, n)
		for i := range n {
			total[i] = ratio(g.labels[i], tot.num[i], tot.den[i])
		}
		sr.Lines = g.lines(keys, total, s.deptName)
	case "check_triggers", "check_feedback_rate":
		st, err := g.checkStats()
		if err != nil {
			return nil, err
		}
		type tf struct{ t, f []float64 }
		by := map[string]*tf{}
		tot := tf{make([]float64, n), make([]float64, n)}
		for i := range n {
			for _, c := range st[i] {
				x := by[c.Matter]
				if x == nil {
					x = &tf{make([]float64, n), make([]float64, n)}
					by[c.Matter] = x
				}
				for _, y := range []*tf{x, &tot} {
					y.t[i] += float64(c.Triggers)
					y.f[i] += float64(c.Feedback)
				}
			}
		}
		pt := func(i int, x *tf) Point {
			if in.Source == "check_triggers" {
				return value(g.labels[i], x.t[i], x.t[i], 0)
			}
			return ratio(g.labels[i], x.f[i], x.t[i])
		}
		keys := map[string][]Point{}
		for m, x := range by {
			pts := make([]Point, n)
			for i := range n {
				pts[i] = pt(i, x)
			}
			keys[m] = pts
		}
		total := make([]Point, n)
		for i := range n {
			total[i] = pt(i, &tot)
		}
		// A department's view keeps every matter of its own checks (the
		// store filtered them already) and their total.
		dept := g.q.Dept
		g.q.Dept = ""
		sr.Lines = g.lines(keys, total, s.matterName)
		g.q.Dept = dept
	default:
		return nil, fmt.Errorf("monitor: no computation for source %q", in.Source)
	}
	return sr, nil
}

func per1000(period string, recs, subs float64) Point {
	p := Point{Period: period, Num: recs, Den: subs}
	if subs > 0 {
		v := recs / subs * 1000
		p.Value = &v
	}
	return p
}

// RankRow is a department's place in the data-quality ranking.
type RankRow struct {
	Rank  int     `json:"rank"`
	Dept  string  `json:"dept"`
	Name  string  `json:"name"`
	Score float64 `json:"score"`
	// Figures are the ranked indicators' values over the whole window,
	// by indicator code.
	Figures map[string]float64 `json:"figures"`
	Batches int                `json:"batches"`
}

// Ranking ranks the departments that sent batches in the query's window
// by the weighted mean of the ranked 双公示 figures, each over the
// department's totals of the window (ingest.QualityOf). A department's
// view keeps its own row, with its rank among all.
func (s *Service) Ranking(ctx context.Context, q Query) ([]RankRow, error) {
	dept := q.Dept
	q.Dept = ""
	g, err := s.gather(ctx, q)
	if err != nil {
		return nil, err
	}
	qs, err := g.qualityByPeriod()
	if err != nil {
		return nil, err
	}
	tot := map[string]*credit.DeptQuality{}
	for _, per := range qs {
		for _, dq := range per {
			t := tot[dq.Dept]
			if t == nil {
				t = &credit.DeptQuality{Dept: dq.Dept}
				tot[dq.Dept] = t
			}
			t.Batches += dq.Batches
			t.Counts.Add(dq.Counts)
		}
	}
	var rows []RankRow
	for code, t := range tot {
		r := RankRow{Dept: code, Name: s.deptName(code), Figures: map[string]float64{}, Batches: t.Batches}
		var sum, w float64
		for _, in := range s.set.Indicators {
			if in.RankWeight == 0 {
				continue
			}
			v, _, _, ok := qualityFigure(in.Source, *t)
			if !ok {
				continue // nothing to measure: neither helps nor hurts
			}
			r.Figures[in.Code] = v
			sum += in.RankWeight * v
			w += in.RankWeight
		}
		if w > 0 {
			r.Score = sum / w
		}
		rows = append(rows, r)
	}
	sort.Slice(rows, func(i, j int) bool {
		if rows[i].Score != rows[j].Score {
			return rows[i].Score > rows[j].Score
		}
		return rows[i].Dept < rows[j].Dept
	})
	for i := range rows {
		rows[i].Rank = i + 1
		if i > 0 && rows[i].Score == rows[i-1].Score {
			rows[i].Rank = rows[i-1].Rank
		}
	}
	if dept != "" {
		rows = slices.DeleteFunc(rows, func(r RankRow) bool { return r.Dept != dept })
	}
	return rows, nil
}
