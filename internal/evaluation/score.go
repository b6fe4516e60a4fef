package evaluation

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/publish"
)

// Input is what a subject is evaluated on: its record chains with the
// workflows' marks (by origin ID), its list entries in force, and the
// moment.
type Input struct {
	Subject *credit.Subject
	File    []credit.State
	Marks   map[string]publish.Marks
	Entries []publish.ListedEntry
	Now     time.Time

	// memo, aligned with File, holds the windows a file copy's memo kept
	// under the catalogue whose fingerprint is memoKey (a full pass).
	memo    []string
	memoKey string
	// scratch, in a pass, is the evaluating worker's reusable space.
	scratch *scratch
}

// scratch is space a pass reuses from one subject to the next instead of
// allocating it for each of a million (several kilobytes a subject).
type scratch struct {
	file  []credit.State
	memo  []string
	cache []shared
	cands []candidate
}

// Result is a subject's evaluation with its explanation. Score equals
// the sum of every indicator's Start and its contributions' Centi.
type Result struct {
	SubjectID   string    `json:"subject_id"`
	Model       string    `json:"model_version"`
	Evaluated   bool      `json:"evaluated"`
	Kind        string    `json:"kind,omitempty"`
	KindName    string    `json:"kind_name,omitempty"`
	KindNameEn  string    `json:"kind_name_en,omitempty"`
	Score       float64   `json:"score"`
	Centi       int64     `json:"centipoints"`
	Total       float64   `json:"total"`
	Grade       string    `json:"grade,omitempty"`
	GradeName   string    `json:"grade_name,omitempty"`
	GradeNameEn string    `json:"grade_name_en,omitempty"`
	At          time.Time `json:"at"`
	// NextChange is the first instant after At at which the result would
	// change with time alone (a window or a list entry ends, a decay step
	// is passed); zero: none. The service re-evaluates then.
	NextChange time.Time        `json:"next_change,omitzero"`
	Indicators []IndicatorScore `json:"indicators,omitempty"`
	// Why is said when the subject is not evaluated.
	Why   string `json:"why,omitempty"`
	WhyEn string `json:"why_en,omitempty"`
}

// IndicatorScore is one indicator's points: a group's are its children's
// sum, a leaf's its Start plus its contributions.
type IndicatorScore struct {
	Code   string  `json:"code"`
	Name   string  `json:"name"`
	NameEn string  `json:"name_en"`
	Parent string  `json:"parent,omitempty"`
	Leaf   bool    `json:"leaf"`
	Weight float64 `json:"weight"`
	Points float64 `json:"points"`
	Centi  int64   `json:"centipoints"`
	// Start is the leaf's starting points (its weight or zero).
	Start         int64          `json:"start_centipoints"`
	Basis         []Basis        `json:"basis,omitempty"`
	Contributions []Contribution `json:"contributions,omitempty"`
	// Notes are records and entries weighed and not counted, with why.
	Notes []Note `json:"notes,omitempty"`
}

// Contribution is one record's or list entry's effect on a leaf: Raw is
// what its rule gives it, Centi what it moved the leaf after the cap.
type Contribution struct {
	Kind      string          `json:"kind"` // record, list_entry, repair, subject
	Ref       string          `json:"ref"`  // origin record ID or entry ID
	Item      string          `json:"item,omitempty"`
	List      string          `json:"list,omitempty"`
	DocNo     string          `json:"doc_no,omitempty"`
	Dept      string          `json:"dept,omitempty"`
	DecidedOn time.Time       `json:"decided_on,omitzero"`
	Severity  credit.Severity `json:"severity,omitempty"`
	Raw       int64           `json:"raw_centipoints"`
	Centi     int64           `json:"centipoints"`
	Points    float64         `json:"points"`
	Factor    float64         `json:"factor"`
	Capped    bool            `json:"capped,omitempty"`
	// Why says how the points were reached, in each language.
	Why   string `json:"why"`
	WhyEn string `json:"why_en"`
}

// Note is a record or entry that was weighed and not counted.
type Note struct {
	Ref    string `json:"ref"`
	Item   string `json:"item,omitempty"`
	DocNo  string `json:"doc_no,omitempty"`
	Reason string `json:"reason"`
}

// Contribution kinds.
const (
	ContribRecord  = "record"
	ContribEntry   = "list_entry"
	ContribRepair  = "repair"
	ContribSubject = "subject" // the subject's registration data
)

// Reasons a weighed record or entry did not count, besides the
// publication engine's (revoked, repaired, window_ended, ...).
const (
	NoteUnderObjection = "under_objection"    // 国发〔2016〕33号: not used while verified
	NoteAged           = "aged_out"           // past the rule's last decay step
	NoteNoValue        = "value_not_scored"   // the rule gives its value no points
	NoteNotDishonest   = "not_dishonest"      // the catalogue classes it no 失信 information
	NoteUnderVerify    = "entry_under_verify" // a list entry under verification
)

// Scorer evaluates subjects on a model. It holds no state between
// subjects: a full recompute runs it over every subject in turn.
type Scorer struct {
	Model   *Model
	Catalog *catalog.Catalog
	Publish *publish.Engine
	// Lean leaves the explanation out (indicators, contributions, notes):
	// the same score and grade, for full passes over every subject.
	Lean bool
}

// shared caches the publication engine's answer for one record chain
// within one evaluation (several leaves may read the same record).
type shared struct {
	done   bool
	w      publish.Window
	end    time.Time
	reason publish.Reason
	ok     bool
}

// Evaluate scores one subject.
func (sc *Scorer) Evaluate(in Input) *Result {
	m := sc.Model
	res := &Result{SubjectID: in.Subject.ID, Model: m.Version, Total: m.Total, At: in.Now}
	kind := m.KindOf(in.Subject)
	if kind == nil {
		res.Why, res.WhyEn = "该类主体不参与公共信用综合评价（自然人不作评价）", "subjects of this kind are not evaluated (natural persons are not)"
		return res
	}
	res.Evaluated, res.Kind, res.KindName, res.KindNameEn = true, kind.Code, kind.Name, kind.NameEn
	var next time.Time
	later := func(t time.Time) {
		if !t.IsZero() && t.After(in.Now) && (next.IsZero() || t.Before(next)) {
			next = t
		}
	}
	var (
		cache []shared
		// Scratch for every leaf: at most a candidate per chain, entry
		// and the subject itself.
		cands []candidate
	)
	if sp := in.scratch; sp != nil {
		if cap(sp.cache) < len(in.File) {
			sp.cache = make([]shared, len(in.File))
		}
		cache, cands = sp.cache[:len(in.File)], sp.cands[:0]
		clear(cache)
		defer func() { sp.cands = cands[:0] }()
	} else {
		cache = make([]shared, len(in.File))
		cands = make([]candidate, 0, len(in.File)+len(in.Entries)+1)
	}
	if sc.Lean {
		var total int64
		for _, leaf := range m.leaves {
			var is IndicatorScore
			cands = sc.leaf(&is, leaf, in, later, cache, cands[:0])
			total += is.Centi
		}
		res.Centi, res.Score = total, Points(total)
		if g := kind.GradeOf(total); g != nil {
			res.Grade, res.GradeName, res.GradeNameEn = g.Grade, g.Name, g.NameEn
		}
		res.NextChange = next
		return res
	}
	scores := make(map[string]*IndicatorScore, len(m.Indicators))
	for _, leaf := range m.leaves {
		is := new(IndicatorScore)
		cands = sc.leaf(is, leaf, in, later, cache, cands[:0])
		scores[leaf.Code] = is
	}
	var order []string
	var visit func(code string)
	visit = func(code string) {
		order = append(order, code)
		in := m.byCode[code]
		for _, c := range in.Children {
			visit(c)
		}
	}
	for _, c := range m.Root {
		visit(c)
	}
	var sum func(code string) int64
	sum = func(code string) int64 {
		in := m.byCode[code]
		if in.Rule != nil {
			return scores[code].Centi
		}
		var t int64
		for _, c := range in.Children {
			t += sum(c)
		}
		scores[code] = &IndicatorScore{Code: in.Code, Name: in.Name, NameEn: in.NameEn, Parent: m.parent[code], Weight: in.Weight, Centi: t, Points: Points(t), Basis: in.Basis}
		return t
	}
	var total int64
	for _, c := range m.Root {
		total += sum(c)
	}
	res.Indicators = make([]IndicatorScore, 0, len(order))
	for _, c := range order {
		res.Indicators = append(res.Indicators, *scores[c])
	}
	res.Centi, res.Score = total, Points(total)
	if g := kind.GradeOf(total); g != nil {
		res.Grade, res.GradeName, res.GradeNameEn = g.Grade, g.Name, g.NameEn
	}
	res.NextChange = next
	return res
}

// candidate is a record or entry a leaf scores, before the cap.
type candidate struct {
	c   Contribution
	on  time.Time
	key string
}

// leaf scores one leaf indicator into is, with cands as scratch space
// (returned for the next leaf: a full pass scores millions of leaves).
func (sc *Scorer) leaf(is *IndicatorScore, leaf *Indicator, in Input, later func(time.Time), cache []shared, cands []candidate) []candidate {
	r := leaf.Rule
	*is = IndicatorScore{Code: leaf.Code, Leaf: true, Weight: leaf.Weight}
	if !sc.Lean {
		is.Name, is.NameEn, is.Parent, is.Basis = leaf.Name, leaf.NameEn, sc.Model.parent[leaf.Code], leaf.Basis
	}
	if r.Start == "full" {
		is.Start = leaf.weight
	}
	note := func(ref, item, doc, why string) {
		if !sc.Lean {
			is.Notes = append(is.Notes, Note{Ref: ref, Item: item, DocNo: doc, Reason: why})
		}
	}
	switch r.Source {
	case SourceRecords, SourceRepaired:
		for i := range in.File {
			st := &in.File[i]
			cur := &st.Current
			if !slices.Contains(r.Items, cur.Item) { // a handful: cheaper than hashing
				continue
			}
			if !matches(r.When, cur.Fields) || (r.Breach && !sc.breach(cur)) {
				continue
			}
			mk := in.Marks[st.Origin]
			var w publish.Window
			kind := ContribRecord
			if r.Source == SourceRepaired {
				if st.Revoked || !mk.Repaired {
					continue
				}
				it, err := sc.Catalog.Item(cur.Item)
				if err != nil {
					continue
				}
				var ok bool
				if w, ok = sc.window(&in, i); !ok {
					w = sc.Publish.WindowOf(it, cur, in.Subject)
				}
				if w.Severity == credit.SeverityNone && !(r.Breach || sc.breach(cur)) {
					continue
				}
				kind = ContribRepair
			} else {
				sh := &cache[i]
				if !sh.done {
					if mw, ok := sc.window(&in, i); ok {
						sh.w, sh.end, sh.reason, sh.ok = sc.Publish.SharedIn(mw, *st, mk, in.Now)
					} else {
						sh.w, sh.end, sh.reason, sh.ok = sc.Publish.Shared(*st, in.Subject, mk, in.Now)
					}
					sh.done = true
				}
				w = sh.w
				end, reason, ok := sh.end, sh.reason, sh.ok
				if !ok {
					if reason == publish.NotYet {
						later(w.From)
					}
					note(st.Origin, cur.Item, cur.DocNo, string(reason))
					continue
				}
				later(end)
				if mk.UnderObjection {
					note(st.Origin, cur.Item, cur.DocNo, NoteUnderObjection)
					continue
				}
			}
			raw, why, whyEn, ok := r.recordPoints(cur, w.Severity, sc.Lean)
			if !ok {
				note(st.Origin, cur.Item, cur.DocNo, NoteNoValue)
				continue
			}
			factor, until, aged := r.decay(cur.DecidedOn, in.Now)
			if aged {
				note(st.Origin, cur.Item, cur.DocNo, NoteAged)
				continue
			}
			later(until)
			pts := int64(float64(raw)*factor + copysignHalf(float64(raw)*factor))
			if factor != 1 && !sc.Lean {
				why += "，时间衰减×" + strconv.FormatFloat(factor, 'f', -1, 64)
				whyEn += ", age decay ×" + strconv.FormatFloat(factor, 'f', -1, 64)
			}
			cands = append(cands, candidate{on: cur.DecidedOn, key: st.Origin, c: Contribution{
				Kind: kind, Ref: st.Origin, Item: cur.Item, DocNo: cur.DocNo, Dept: cur.Dept, DecidedOn: cur.DecidedOn,
				Severity: w.Severity, Raw: pts, Factor: factor, Why: why, WhyEn: whyEn}})
		}
	case SourceSubject:
		if matches(r.When, credit.Fields{"status": in.Subject.Status}) {
			c := Contribution{Kind: ContribSubject, Ref: in.Subject.ID, Raw: r.points, Factor: 1}
			if !sc.Lean {
				c.Why, c.WhyEn = "登记状态"+in.Subject.Status+" "+signed(r.points), "registration status "+in.Subject.Status+" "+signed(r.points)
			}
			cands = append(cands, candidate{key: in.Subject.ID, c: c})
		}
	case SourceLists:
		for _, e := range in.Entries {
			if !r.listSet[e.List] && !r.listSet[sc.listKind(e.List)] {
				continue
			}
			if e.UnderVerification {
				note(e.EntryID, "", e.DocNo, NoteUnderVerify)
				continue
			}
			later(e.Until)
			name := e.List
			if lt, err := sc.Catalog.List(e.List); err == nil && !sc.Lean {
				name = lt.Name
			}
			c := Contribution{Kind: ContribEntry, Ref: e.EntryID, List: e.List, DocNo: e.DocNo, Dept: e.Dept, DecidedOn: e.Since, Raw: r.points, Factor: 1}
			if !sc.Lean {
				c.Why, c.WhyEn = "列入"+name+" "+signed(r.points), "listed on "+e.List+" "+signed(r.points)
			}
			cands = append(cands, candidate{on: e.Since, key: e.EntryID, c: c})
		}
	}
	if len(cands) > 1 {
		slices.SortFunc(cands, func(a, b candidate) int {
			if c := a.on.Compare(b.on); c != 0 {
				return c
			}
			return strings.Compare(a.key, b.key)
		})
	}
	lo, hi := max(0, is.Start-r.cap), min(leaf.weight, is.Start+r.cap)
	run := is.Start
	for _, cd := range cands {
		c := cd.c
		nx := min(max(run+c.Raw, lo), hi)
		c.Centi = nx - run
		c.Points = Points(c.Centi)
		c.Capped = c.Centi != c.Raw
		run = nx
		if !sc.Lean {
			is.Contributions = append(is.Contributions, c)
		}
	}
	is.Centi, is.Points = run, Points(run)
	return cands
}

func copysignHalf(f float64) float64 {
	if f < 0 {
		return -0.5
	}
	return 0.5
}

func signed(c int64) string {
	s := strconv.FormatFloat(Points(c), 'f', -1, 64)
	if c >= 0 {
		return "+" + s
	}
	return s
}

// recordPoints is what the rule gives a record of severity sev, and how.
func (r *Rule) recordPoints(rec *credit.Record, sev credit.Severity, lean bool) (int64, string, string, bool) {
	pts, why, whyEn := r.points, "", ""
	if r.Values != nil {
		v := strings.TrimSpace(rec.Fields[r.Values.Field])
		p, ok := r.valuePts[v]
		if !ok {
			return 0, "", "", false
		}
		pts = p
		if !lean {
			why, whyEn = "评价结果"+v+" "+signed(p), "result "+v+" "+signed(p)
		}
	} else if p, ok := r.sev[sev]; ok && sev != credit.SeverityNone {
		pts = p
		if !lean {
			why, whyEn = string(sev)+"失信 "+signed(p), string(sev)+" (severity) "+signed(p)
		}
	} else if !lean {
		why, whyEn = "每条 "+signed(pts), "per record "+signed(pts)
	}
	if r.Amount != nil {
		if a, err := strconv.ParseFloat(strings.TrimSpace(rec.Fields[r.Amount.Field]), 64); err == nil {
			for _, b := range r.Amount.Bands {
				if a >= b.Min {
					pts += b.points
					if lean {
						continue
					}
					why += "，金额≥" + strconv.FormatFloat(b.Min, 'f', -1, 64) + "万元 " + signed(b.points)
					whyEn += ", amount ≥ " + strconv.FormatFloat(b.Min, 'f', -1, 64) + " (10k yuan) " + signed(b.points)
				}
			}
		}
	}
	return pts, why, whyEn, true
}

// decay is the factor for a record decided on at now, when the factor
// next changes, and whether it is past the last step.
func (r *Rule) decay(on, now time.Time) (float64, time.Time, bool) {
	if len(r.Decay) == 0 || on.IsZero() {
		return 1, time.Time{}, false
	}
	for _, s := range r.Decay {
		end := on.AddDate(0, s.UnderMonths, 0)
		if now.Before(end) {
			return s.Factor, end, false
		}
	}
	return 0, time.Time{}, true
}

func matches(ms []Match, f credit.Fields) bool {
	for _, m := range ms {
		v := strings.TrimSpace(f[m.Field])
		ok := false
		for _, x := range m.In {
			ok = ok || v == x
		}
		if !ok {
			return false
		}
	}
	return true
}

// breach reports whether the catalogue counts rec as a broken commitment.
func (sc *Scorer) breach(rec *credit.Record) bool {
	for _, b := range sc.Catalog.Commitments.Breaches {
		if b.Item == rec.Item && b.Holds(rec.Fields) {
			return true
		}
	}
	return false
}

func (sc *Scorer) listKind(code string) string {
	if lt, err := sc.Catalog.List(code); err == nil {
		return string(lt.Kind)
	}
	return ""
}
