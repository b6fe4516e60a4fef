// Package evaluation is the public credit comprehensive evaluation
// (公共信用综合评价, 国办发〔2019〕35号 二（六）, the 2025 opinion （十四）) and
// graded supervision (分级分类监管, 国办发〔2019〕35号 二（七）).
//
// The model is data: a versioned JSON file (the embedded default is
// data/model.json) holding an indicator tree whose leaves name the
// catalogue items or lists they read and how a record scores (severity,
// amount band, age decay, caps), grades per kind of subject, and each
// department's mapping of grades to supervision classes per matter. Load
// checks all of it and names the file, indicator and field on error.
//
// Scoring has no rules of its own about records: a record's severity and
// window come from publish.WindowOf, whether it counts from the
// publication engine's sharing rule (publish.Engine.Shared: revoked,
// repaired, bankruptcy-masked or past its window, it does not), list
// membership from the sanction service, what is a broken commitment from
// the catalogue's commitments.json, marks from the workflows.
package evaluation

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/credit"
)

//go:embed data/model.json
var embedded embed.FS

// DefaultFile is the name the embedded model is known by in errors.
const DefaultFile = "model.json"

// Basis is a legal or policy basis, as in the catalogue.
type Basis = catalog.Basis

// Model is one version of the evaluation model, loaded and checked.
type Model struct {
	Version string  `json:"version"`
	Name    string  `json:"name"`
	NameEn  string  `json:"name_en"`
	Note    string  `json:"note,omitempty"`
	Basis   []Basis `json:"basis"`
	// Public says whether grades are shown to the public (default: no;
	// they are shared with government units and shown to the subject).
	Public bool `json:"public"`
	// Total is the full score; Root the top indicators, whose weights add
	// up to it.
	Total       float64        `json:"total"`
	Root        []string       `json:"root"`
	Indicators  []*Indicator   `json:"indicators"`
	Kinds       []*Kind        `json:"kinds"`
	Supervision []*Supervision `json:"supervision,omitempty"`

	// File is where the model was read from, for errors and the console.
	File string `json:"-"`

	byCode map[string]*Indicator
	leaves []*Indicator // in tree order
	parent map[string]string
	total  int64
}

// Indicator is a node of the tree: a group (Children) or a leaf (Rule).
type Indicator struct {
	Code     string   `json:"code"`
	Name     string   `json:"name"`
	NameEn   string   `json:"name_en"`
	Note     string   `json:"note,omitempty"`
	Weight   float64  `json:"weight"`
	Basis    []Basis  `json:"basis"`
	Children []string `json:"children,omitempty"`
	Rule     *Rule    `json:"rule,omitempty"`

	weight int64 // centipoints
}

// Sources a leaf reads.
const (
	SourceRecords  = "records"  // record chains of Items that count now
	SourceLists    = "lists"    // list entries in force (the sanction service)
	SourceRepaired = "repaired" // 失信 records of Items repaired (credited)
	SourceSubject  = "subject"  // the subject's registration data (when: status)
)

// Rule is how a leaf scores.
type Rule struct {
	Source string   `json:"source"`
	Items  []string `json:"items,omitempty"`
	// Lists are list codes or list kinds (black, watch, abnormal, red).
	Lists []string `json:"lists,omitempty"`
	// When keeps the records whose fields hold every condition.
	When []Match `json:"when,omitempty"`
	// Breach keeps the records the catalogue counts as broken commitments
	// (commitments.json breaches).
	Breach bool `json:"breach,omitempty"`
	// Start is "full" (the leaf starts at its weight; records deduct) or
	// "zero" (records add).
	Start string `json:"start"`
	// Points per record (or entry); SeverityPoints replace it by severity
	// class where the record has one; Values by a field's value.
	Points         float64            `json:"points,omitempty"`
	SeverityPoints map[string]float64 `json:"severity_points,omitempty"`
	Values         *Values            `json:"values,omitempty"`
	// Amount adds points by amount band (bands are cumulative: every band
	// whose Min the amount reaches applies).
	Amount *Amount `json:"amount,omitempty"`
	// Decay scales a record's points by its age in months from its
	// decision date: the first step it is under; past the last step the
	// record no longer scores. No steps: no decay.
	Decay []Step `json:"decay,omitempty"`
	// Cap bounds how far the leaf's records move it from its start (0:
	// its weight).
	Cap float64 `json:"cap,omitempty"`

	points   int64
	sev      map[credit.Severity]int64
	cap      int64
	itemSet  map[string]bool
	listSet  map[string]bool
	valuePts map[string]int64
}

// Match is a condition on a field: its value is one of In.
type Match struct {
	Field string   `json:"field"`
	In    []string `json:"in"`
}

// Values scores a record by a field's value (an industry grade).
type Values struct {
	Field  string             `json:"field"`
	Points map[string]float64 `json:"points"`
}

// Amount scores a record by an amount field (万元).
type Amount struct {
	Field string `json:"field"`
	Bands []Band `json:"bands"`
}

// Band is one amount band.
type Band struct {
	Min    float64 `json:"min"`
	Points float64 `json:"points"`

	points int64
}

// Step is one step of age decay.
type Step struct {
	UnderMonths int     `json:"under_months"`
	Factor      float64 `json:"factor"`
}

// Kind is a kind of subject with its own grades: the first kind whose
// subject kinds hold the subject's and whose code prefixes (if any) its
// code starts with.
type Kind struct {
	Code         string               `json:"code"`
	Name         string               `json:"name"`
	NameEn       string               `json:"name_en"`
	SubjectKinds []credit.SubjectKind `json:"subject_kinds"`
	CodePrefixes []string             `json:"code_prefixes,omitempty"`
	Grades       []*Grade             `json:"grades"`
}

// Grade is one grade: a score in [Min, Max) (the top grade's Max is
// inclusive).
type Grade struct {
	Grade  string  `json:"grade"`
	Name   string  `json:"name"`
	NameEn string  `json:"name_en"`
	Min    float64 `json:"min"`
	Max    float64 `json:"max"`

	min, max int64
}

// Supervision is one department's graded supervision for its matters.
type Supervision struct {
	Dept       string      `json:"dept"`
	Matters    []string    `json:"matters"`
	Basis      []Basis     `json:"basis"`
	KeyTargets *KeyTargets `json:"key_targets,omitempty"`
	// Classes are tried in order; the first that holds is the class.
	Classes []*Class `json:"classes"`
}

// KeyTargets are subjects on lists of the given codes or kinds: inspected
// at Ratio whatever their grade.
type KeyTargets struct {
	Code    string   `json:"code"`
	Name    string   `json:"name"`
	NameEn  string   `json:"name_en"`
	Lists   []string `json:"lists"`
	Ratio   float64  `json:"ratio"`
	PerYear int      `json:"per_year"`
}

// Class is a supervision class: the grades (or the industry evaluation
// results) it takes, its inspection ratio and frequency.
type Class struct {
	Code     string    `json:"code"`
	Name     string    `json:"name"`
	NameEn   string    `json:"name_en"`
	Grades   []string  `json:"grades,omitempty"`
	Industry *Industry `json:"industry,omitempty"`
	Ratio    float64   `json:"ratio"`
	PerYear  int       `json:"per_year"`
}

// Industry is a condition on the subject's latest industry evaluation of
// a kind (industry_rating records: 评价类型 and 评价结果).
type Industry struct {
	Kind    string   `json:"kind"`
	Results []string `json:"results"`
}

// Industry evaluation records: the catalogue item and its fields.
const (
	IndustryItem        = "industry_rating"
	IndustryKindField   = "pj_pjlx"
	IndustryResultField = "pj_pjjg"
)

// cp converts points to centipoints.
func cp(f float64) int64 { return int64(math.Round(f * 100)) }

// Points shows centipoints as points.
func Points(c int64) float64 { return float64(c) / 100 }

// Default returns the embedded model, checked against cat.
func Default(cat *catalog.Catalog) (*Model, error) {
	b, err := embedded.ReadFile("data/model.json")
	if err != nil {
		return nil, err
	}
	return Parse(DefaultFile, b, cat)
}

// Parse reads and checks a model file against the catalogue. Errors name
// the file, the indicator (or kind, department) and the field.
func Parse(file string, b []byte, cat *catalog.Catalog) (*Model, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var m Model
	if err := dec.Decode(&m); err != nil {
		return nil, credit.E("evaluation.Parse", credit.Invalid, "%s: %w", file, err)
	}
	m.File = file
	if err := m.check(cat); err != nil {
		return nil, err
	}
	return &m, nil
}

// problems gathers every error of a model.
type problems struct {
	file string
	errs []error
}

func (p *problems) add(where, format string, args ...any) {
	p.errs = append(p.errs, fmt.Errorf("%s: %s: %s", p.file, where, fmt.Sprintf(format, args...)))
}

func (p *problems) err() error {
	if len(p.errs) == 0 {
		return nil
	}
	return &credit.Error{Op: "evaluation.Parse", Kind: credit.Invalid, Err: errors.Join(p.errs...)}
}

var listKinds = map[string]bool{"black": true, "watch": true, "abnormal": true, "red": true}

func (m *Model) check(cat *catalog.Catalog) error {
	p := &problems{file: m.File}
	if strings.TrimSpace(m.Version) == "" {
		p.add("model", "version: missing")
	}
	if len(m.Basis) == 0 {
		p.add("model", "basis: the model must cite its basis")
	}
	if m.Total <= 0 {
		p.add("model", "total: must be positive, got %v", m.Total)
	}
	m.total = cp(m.Total)
	m.byCode = map[string]*Indicator{}
	for i, in := range m.Indicators {
		where := fmt.Sprintf("indicators[%d]", i)
		if in.Code == "" {
			p.add(where, "code: missing")
			continue
		}
		where = "indicator " + in.Code
		if m.byCode[in.Code] != nil {
			p.add(where, "code: duplicate")
			continue
		}
		m.byCode[in.Code] = in
		in.weight = cp(in.Weight)
		if in.Name == "" {
			p.add(where, "name: missing")
		}
		if in.Weight <= 0 {
			p.add(where, "weight: must be positive, got %v", in.Weight)
		}
		if len(in.Basis) == 0 {
			p.add(where, "basis: every indicator cites its basis")
		}
		switch {
		case len(in.Children) > 0 && in.Rule != nil:
			p.add(where, "rule: a group of indicators (children) has no rule of its own")
		case len(in.Children) == 0 && in.Rule == nil:
			p.add(where, "rule: a leaf indicator needs a rule")
		case in.Rule != nil:
			m.checkRule(p, where+": rule", in, cat)
		}
	}
	// The tree: every child known, no cycle, each indicator under one
	// parent, weights adding up.
	m.parent = map[string]string{}
	var sum int64
	for _, c := range m.Root {
		in := m.byCode[c]
		if in == nil {
			p.add("root", "unknown indicator %q", c)
			continue
		}
		sum += in.weight
	}
	if len(m.Root) == 0 {
		p.add("root", "no indicators")
	} else if sum != m.total {
		p.add("root", "weights add up to %v, not the total %v", Points(sum), m.Total)
	}
	for _, in := range m.Indicators {
		if len(in.Children) == 0 {
			continue
		}
		var s int64
		for _, c := range in.Children {
			ch := m.byCode[c]
			if ch == nil {
				p.add("indicator "+in.Code, "children: unknown indicator %q", c)
				continue
			}
			if prev, ok := m.parent[c]; ok {
				p.add("indicator "+in.Code, "children: %q is already under %q", c, prev)
				continue
			}
			m.parent[c] = in.Code
			s += ch.weight
		}
		if s != in.weight {
			p.add("indicator "+in.Code, "weight: children's weights add up to %v, not %v", Points(s), in.Weight)
		}
	}
	for _, c := range m.Root {
		if prev, ok := m.parent[c]; ok {
			p.add("root", "%q is also under %q", c, prev)
		}
	}
	// Cycles: walk up from every indicator.
	for _, in := range m.Indicators {
		seen := map[string]bool{in.Code: true}
		for c := m.parent[in.Code]; c != ""; c = m.parent[c] {
			if seen[c] {
				p.add("indicator "+in.Code, "children: cycle through %q", c)
				break
			}
			seen[c] = true
		}
	}
	// Reachability and leaf order.
	reached := map[string]bool{}
	var walk func(code string, depth int)
	walk = func(code string, depth int) {
		in := m.byCode[code]
		if in == nil || reached[code] || depth > len(m.Indicators) {
			return
		}
		reached[code] = true
		if in.Rule != nil {
			m.leaves = append(m.leaves, in)
		}
		for _, c := range in.Children {
			walk(c, depth+1)
		}
	}
	for _, c := range m.Root {
		walk(c, 0)
	}
	for _, in := range m.Indicators {
		if in.Code != "" && !reached[in.Code] {
			p.add("indicator "+in.Code, "not reached from root (unused, or only in a cycle)")
		}
	}
	m.checkKinds(p)
	m.checkSupervision(p, cat)
	return p.err()
}

func (m *Model) checkRule(p *problems, where string, in *Indicator, cat *catalog.Catalog) {
	r := in.Rule
	switch r.Source {
	case SourceRecords, SourceRepaired:
		if len(r.Items) == 0 {
			p.add(where, "items: a %s rule reads at least one catalogue item", r.Source)
		}
		if len(r.Lists) > 0 {
			p.add(where, "lists: only a lists rule reads lists")
		}
	case SourceSubject:
		if len(r.Items) > 0 || len(r.Lists) > 0 {
			p.add(where, "items: a subject rule reads the registration data, no items or lists")
		}
		for _, w := range r.When {
			if w.Field != "status" {
				p.add(where, "when: a subject rule reads the field status, not %q", w.Field)
			}
		}
	case SourceLists:
		if len(r.Lists) == 0 {
			p.add(where, "lists: a lists rule names list codes or kinds")
		}
		if len(r.Items) > 0 {
			p.add(where, "items: a lists rule reads no items")
		}
	default:
		p.add(where, "source: %q is not one of records, lists, repaired, subject", r.Source)
	}
	r.itemSet = map[string]bool{}
	for _, code := range r.Items {
		it, err := cat.Item(code)
		if err != nil {
			p.add(where, "items: unknown catalogue item %q", code)
			continue
		}
		r.itemSet[code] = true
		for _, w := range r.When {
			if !hasField(it, w.Field) {
				p.add(where, "when: item %q has no field %q", code, w.Field)
			}
		}
		if r.Amount != nil && !hasField(it, r.Amount.Field) {
			p.add(where, "amount: item %q has no field %q", code, r.Amount.Field)
		}
		if r.Values != nil && !hasField(it, r.Values.Field) {
			p.add(where, "values: item %q has no field %q", code, r.Values.Field)
		}
	}
	r.listSet = map[string]bool{}
	for _, l := range r.Lists {
		if _, err := cat.List(l); err != nil && !listKinds[l] {
			p.add(where, "lists: %q is neither a list code nor a list kind (black, watch, abnormal, red)", l)
		}
		r.listSet[l] = true
	}
	for _, w := range r.When {
		if w.Field == "" || len(w.In) == 0 {
			p.add(where, "when: a condition names a field and its values")
		}
	}
	if r.Breach {
		found := false
		for _, b := range cat.Commitments.Breaches {
			found = found || r.itemSet[b.Item]
		}
		if !found {
			p.add(where, "breach: none of the items is a broken commitment in commitments.json")
		}
	}
	switch r.Start {
	case "full", "zero":
	default:
		p.add(where, "start: %q is not full or zero", r.Start)
	}
	r.points = cp(r.Points)
	r.sev = map[credit.Severity]int64{}
	for k, v := range r.SeverityPoints {
		switch credit.Severity(k) {
		case credit.SeverityMinor, credit.SeverityGeneral, credit.SeveritySerious:
			r.sev[credit.Severity(k)] = cp(v)
		default:
			p.add(where, "severity_points: %q is not 轻微, 一般 or 严重", k)
		}
	}
	if r.Values != nil {
		r.valuePts = map[string]int64{}
		for k, v := range r.Values.Points {
			r.valuePts[k] = cp(v)
		}
	}
	if r.Amount != nil {
		for i := range r.Amount.Bands {
			b := &r.Amount.Bands[i]
			if i > 0 && b.Min <= r.Amount.Bands[i-1].Min {
				p.add(where, "amount: bands[%d]: min %v does not rise above %v", i, b.Min, r.Amount.Bands[i-1].Min)
			}
			b.points = cp(b.Points)
		}
	}
	for i, s := range r.Decay {
		if s.UnderMonths <= 0 || (i > 0 && s.UnderMonths <= r.Decay[i-1].UnderMonths) {
			p.add(where, "decay: steps[%d]: under_months must be positive and rising", i)
		}
		if s.Factor < 0 || s.Factor > 1 {
			p.add(where, "decay: steps[%d]: factor %v is not between 0 and 1", i, s.Factor)
		}
	}
	if r.points == 0 && len(r.sev) == 0 && r.Values == nil {
		p.add(where, "points: the rule gives no points (points, severity_points or values)")
	}
	r.cap = cp(r.Cap)
	if r.cap < 0 || r.cap > in.weight {
		p.add(where, "cap: %v is outside 0..weight %v", r.Cap, in.Weight)
	}
	if r.cap == 0 {
		r.cap = in.weight
	}
}

func hasField(it *catalog.Item, code string) bool {
	for _, f := range it.Fields {
		if f.Code == code {
			return true
		}
	}
	return false
}

func (m *Model) checkKinds(p *problems) {
	if len(m.Kinds) == 0 {
		p.add("kinds", "no kind of subject has grades")
	}
	seen := map[string]bool{}
	for i, k := range m.Kinds {
		where := fmt.Sprintf("kinds[%d]", i)
		if k.Code != "" {
			where = "kind " + k.Code
		}
		if k.Code == "" || seen[k.Code] {
			p.add(where, "code: missing or duplicate")
		}
		seen[k.Code] = true
		if len(k.SubjectKinds) == 0 {
			p.add(where, "subject_kinds: missing")
		}
		for _, sk := range k.SubjectKinds {
			if !sk.Valid() {
				p.add(where, "subject_kinds: %q is not a subject kind", sk)
			}
		}
		if len(k.Grades) == 0 {
			p.add(where, "grades: missing")
			continue
		}
		gs := append([]*Grade(nil), k.Grades...)
		names := map[string]bool{}
		for _, g := range gs {
			g.min, g.max = cp(g.Min), cp(g.Max)
			if g.Grade == "" || names[g.Grade] {
				p.add(where, "grades: grade %q missing or duplicate", g.Grade)
			}
			names[g.Grade] = true
			if g.Name == "" {
				p.add(where, "grades: grade %s: name: missing", g.Grade)
			}
			if g.max <= g.min {
				p.add(where, "grades: grade %s: max %v is not above min %v", g.Grade, g.Max, g.Min)
			}
		}
		sort.Slice(gs, func(i, j int) bool { return gs[i].min < gs[j].min })
		if gs[0].min != 0 {
			p.add(where, "grades: the lowest grade %s starts at %v, not 0", gs[0].Grade, gs[0].Min)
		}
		if gs[len(gs)-1].max != m.total {
			p.add(where, "grades: the highest grade %s ends at %v, not the total %v", gs[len(gs)-1].Grade, gs[len(gs)-1].Max, m.Total)
		}
		for i := 1; i < len(gs); i++ {
			a, b := gs[i-1], gs[i]
			switch {
			case b.min < a.max:
				p.add(where, "grades: thresholds overlap: %s [%v, %v) and %s [%v, %v)", a.Grade, a.Min, a.Max, b.Grade, b.Min, b.Max)
			case b.min > a.max:
				p.add(where, "grades: thresholds leave a gap between %s (to %v) and %s (from %v)", a.Grade, a.Max, b.Grade, b.Min)
			}
		}
	}
}

func (m *Model) checkSupervision(p *problems, cat *catalog.Catalog) {
	type key struct{ dept, matter string }
	seen := map[key]bool{}
	for i, s := range m.Supervision {
		where := fmt.Sprintf("supervision[%d]", i)
		if _, err := cat.Department(s.Dept); err != nil {
			p.add(where, "dept: unknown department %q", s.Dept)
		} else {
			where = "supervision " + s.Dept
		}
		if len(s.Basis) == 0 {
			p.add(where, "basis: graded supervision cites its basis")
		}
		if len(s.Matters) == 0 {
			p.add(where, "matters: missing")
		}
		for _, mt := range s.Matters {
			if _, err := cat.Matter(mt); err != nil {
				p.add(where, "matters: unknown matter %q", mt)
			}
			if seen[key{s.Dept, mt}] {
				p.add(where, "matters: %q is mapped twice for this department", mt)
			}
			seen[key{s.Dept, mt}] = true
		}
		if kt := s.KeyTargets; kt != nil {
			if len(kt.Lists) == 0 {
				p.add(where, "key_targets: lists: missing")
			}
			for _, l := range kt.Lists {
				if _, err := cat.List(l); err != nil && !listKinds[l] {
					p.add(where, "key_targets: lists: %q is neither a list code nor a list kind", l)
				}
			}
			if kt.Ratio <= 0 || kt.Ratio > 1 {
				p.add(where, "key_targets: ratio %v is not in (0, 1]", kt.Ratio)
			}
		}
		if len(s.Classes) == 0 {
			p.add(where, "classes: missing")
		}
		grades := map[string]bool{}
		for _, k := range m.Kinds {
			for _, g := range k.Grades {
				grades[g.Grade] = true
			}
		}
		covered := map[string]bool{}
		for j, c := range s.Classes {
			cw := fmt.Sprintf("%s: classes[%d]", where, j)
			if c.Code == "" || c.Name == "" {
				p.add(cw, "code and name: missing")
			}
			if c.Ratio < 0 || c.Ratio > 1 {
				p.add(cw, "ratio %v is not in [0, 1]", c.Ratio)
			}
			if c.PerYear < 0 {
				p.add(cw, "per_year: negative")
			}
			switch {
			case len(c.Grades) > 0 && c.Industry != nil:
				p.add(cw, "a class takes grades or an industry evaluation, not both")
			case len(c.Grades) == 0 && c.Industry == nil:
				p.add(cw, "grades: missing")
			}
			for _, g := range c.Grades {
				if !grades[g] {
					p.add(cw, "grades: unknown grade %q", g)
				}
				covered[g] = true
			}
			if c.Industry != nil && (c.Industry.Kind == "" || len(c.Industry.Results) == 0) {
				p.add(cw, "industry: kind and results: missing")
			}
		}
		for g := range grades {
			if !covered[g] {
				p.add(where, "classes: grade %q has no class", g)
			}
		}
	}
}

// Indicator returns an indicator by code.
func (m *Model) Indicator(code string) *Indicator { return m.byCode[code] }

// Leaves are the leaf indicators in tree order.
func (m *Model) Leaves() []*Indicator { return m.leaves }

// Parent returns the code of an indicator's parent ("" for a root one).
func (m *Model) Parent(code string) string { return m.parent[code] }

// KindOf returns the kind of subject s is evaluated as, or nil (natural
// persons and any kind the model gives no grades).
func (m *Model) KindOf(s *credit.Subject) *Kind {
	for _, k := range m.Kinds {
		ok := false
		for _, sk := range k.SubjectKinds {
			ok = ok || sk == s.Kind
		}
		if !ok {
			continue
		}
		if len(k.CodePrefixes) == 0 {
			return k
		}
		for _, pf := range k.CodePrefixes {
			if strings.HasPrefix(s.Code, pf) {
				return k
			}
		}
	}
	return nil
}

// GradeOf is the grade a score (centipoints) falls in.
func (k *Kind) GradeOf(score int64) *Grade {
	var top *Grade
	for _, g := range k.Grades {
		if score >= g.min && score < g.max {
			return g
		}
		if top == nil || g.max > top.max {
			top = g
		}
	}
	if top != nil && score >= top.max {
		return top
	}
	return nil
}

// Grade returns the kind's grade by its code.
func (k *Kind) Grade(code string) *Grade {
	for _, g := range k.Grades {
		if g.Grade == code {
			return g
		}
	}
	return nil
}

// SupervisionFor returns the department's graded supervision for matter.
func (m *Model) SupervisionFor(dept, matter string) *Supervision {
	for _, s := range m.Supervision {
		if s.Dept != dept {
			continue
		}
		for _, mt := range s.Matters {
			if mt == matter {
				return s
			}
		}
	}
	return nil
}

// Items are every catalogue item the model reads.
func (m *Model) Items() []string {
	set := map[string]bool{}
	for _, l := range m.leaves {
		for _, it := range l.Rule.Items {
			set[it] = true
		}
	}
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Named returns the class of the mapping with code (a grade class or the
// key targets): its names and inspection ratio; ok false when the mapping
// has none.
func (s *Supervision) Named(code string) (name, nameEn string, ratio float64, ok bool) {
	if k := s.KeyTargets; k != nil && k.Code == code {
		return k.Name, k.NameEn, k.Ratio, true
	}
	for _, c := range s.Classes {
		if c.Code == code {
			return c.Name, c.NameEn, c.Ratio, true
		}
	}
	return "", "", 0, false
}
