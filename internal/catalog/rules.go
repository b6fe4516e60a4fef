package catalog

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/xinyong/xinyong/internal/credit"
)

// SeverityRule classifies a record (轻微 / 一般 / 严重) by the content of one
// field. Rules are data so each domain's thresholds can be set by its
// competent department without a release.
//
// A rule matches a value (or, with Split, each part of a multi-valued field
// such as 处罚类别 "罚款;没收违法所得") that contains any of its keywords. For
// each part the most specific matching rules win, in this order: rules for
// the domain and the subject's kind, rules for the domain, default rules for
// the kind, default rules; among the winners the most severe counts.
type SeverityRule struct {
	// Domains the rule belongs to; empty = the default rules.
	Domains      []string             `json:"domains,omitempty"`
	SubjectKinds []credit.SubjectKind `json:"subject_kinds,omitempty"`
	Field        string               `json:"field"`
	Split        bool                 `json:"split,omitempty"`
	Any          []string             `json:"any"`
	// Severity when the rule matches, or, for an amount rule, when the
	// amount cannot be found.
	Severity credit.Severity `json:"severity"`
	// AmountField and Bands classify fines by amount (万元). AmountScan
	// lists text fields to read "罚款 N 元/万元" from when the amount field
	// is empty, because many departments leave it blank.
	AmountField string   `json:"amount_field,omitempty"`
	AmountScan  []string `json:"amount_scan,omitempty"`
	Bands       []Band   `json:"bands,omitempty"`
	Note        string   `json:"note,omitempty"`
}

// Band is one amount band: amounts below Below (万元) get Severity. The
// last band has Below 0, meaning no upper bound.
type Band struct {
	Below    float64         `json:"below,omitempty"`
	Severity credit.Severity `json:"severity"`
}

// Cond is a condition on a field. With Any it holds when the value contains
// any keyword. With Only it holds when the value consists of nothing but
// those keywords and separators ("警告" or "警告；" but not "警告并处罚款"),
// which is how "a warning alone is not published" is written.
type Cond struct {
	Field string   `json:"field"`
	Any   []string `json:"any,omitempty"`
	Only  []string `json:"only,omitempty"`
	Note  string   `json:"note,omitempty"`
}

// Period is the publication period of one severity class. Open periods
// have no fixed length: the record is published from the decision until the
// item's end field (e.g. 有效期至), or without end.
type Period struct {
	Severity  credit.Severity `json:"severity"`
	Published bool            `json:"published"`
	Open      bool            `json:"open,omitempty"`
	MinMonths int             `json:"min_months,omitempty"`
	MaxMonths int             `json:"max_months,omitempty"`
	// FromField, when set, is a date field from which this class's period
	// runs instead of the decision date: a commitment (decided when made)
	// becomes 失信 information only when its breach is determined
	// (状态认定日期), and is published from then.
	FromField string `json:"from_field,omitempty"`
}

// TermScan finds a term attached to a decision in its text ("限制从业三年",
// "五年内不得从事"): publication cannot stop before that term ends.
type TermScan struct {
	Fields   []string `json:"fields"`
	Keywords []string `json:"keywords"`

	after, before *regexp.Regexp
}

// DomainPublication overrides the publication rules for a domain.
type DomainPublication struct {
	Domain string  `json:"domain"`
	Basis  []Basis `json:"basis"`
	// WithinWorkdays is the domain's publication deadline after the
	// decision (e.g. 20 for market regulation); 0 = the item's.
	WithinWorkdays int `json:"within_workdays,omitempty"`
	// Periods replace the item's periods of the same severity.
	Periods []Period `json:"periods,omitempty"`
	// UnpublishedWhen adds conditions under which nothing is published.
	UnpublishedWhen []Cond `json:"unpublished_when,omitempty"`
	// EndField, when set, replaces the item's end field.
	EndField string `json:"end_field,omitempty"`
	Note     string `json:"note,omitempty"`
}

// Publication holds an item's publication rule.
type Publication struct {
	Periods []Period `json:"periods"`
	// EndField is a date field at whose end an open period stops
	// (有效期至); dates in 2099 or later mean "long-term".
	EndField string `json:"end_field,omitempty"`
	// TermFields are date fields holding the end of a term attached to the
	// decision (处罚有效期): publication lasts at least until then.
	TermFields []string  `json:"term_fields,omitempty"`
	TermScan   *TermScan `json:"term_scan,omitempty"`
	// PublishedWhen: all must hold for anything to be published
	// (e.g. 公开类型 = 可向社会公开). UnpublishedWhen: any one stops it.
	PublishedWhen   []Cond              `json:"published_when,omitempty"`
	UnpublishedWhen []Cond              `json:"unpublished_when,omitempty"`
	Domains         []DomainPublication `json:"domains,omitempty"`
}

var sevRank = map[credit.Severity]int{
	credit.SeverityNone:    0,
	credit.SeverityMinor:   1,
	credit.SeverityGeneral: 2,
	credit.SeveritySerious: 3,
}

func validSeverity(s credit.Severity) bool { _, ok := sevRank[s]; return ok }

func maxSev(a, b credit.Severity) credit.Severity {
	if sevRank[b] > sevRank[a] {
		return b
	}
	return a
}

// splitParts splits a multi-valued field such as 处罚类别. Departments use
// every separator there is, and "并处" joins a main and an additional
// penalty.
func splitParts(v string) []string {
	var parts []string
	for p, rest := nextPart(v); p != ""; p, rest = nextPart(rest) {
		parts = append(parts, p)
	}
	return parts
}

// nextPart is the first part of v as splitParts cuts it, and what follows
// it; an empty part when none is left. It allocates nothing: severity is
// weighed for every record of every full evaluation pass.
func nextPart(v string) (part, rest string) {
	for v != "" {
		if strings.HasPrefix(v, "并处") {
			v = v[len("并处"):]
			continue
		}
		r, n := utf8.DecodeRuneInString(v)
		if !isPartSeparator(r) {
			break
		}
		v = v[n:]
	}
	i := 0
	for i < len(v) && !strings.HasPrefix(v[i:], "并处") {
		r, n := utf8.DecodeRuneInString(v[i:])
		if isPartSeparator(r) {
			break
		}
		i += n
	}
	return v[:i], v[i:]
}

func isPartSeparator(r rune) bool {
	switch r {
	case ';', '；', '、', ',', '，', '/', '|', '\n', '\r', '\t', ' ', '\u3000':
		return true
	}
	return false
}

func containsAny(s string, kws []string) bool {
	for _, k := range kws {
		if k != "" && strings.Contains(s, k) {
			return true
		}
	}
	return false
}

// onlyConnectors are what may remain of a value made of nothing but the
// keywords of an Only condition.
var onlyConnectors = []string{"并处", "以及", "并", "和", "及", "与"}

func (c Cond) holds(f credit.Fields) bool {
	v := strings.TrimSpace(f[c.Field])
	if v == "" {
		return false
	}
	if len(c.Any) > 0 && containsAny(v, c.Any) {
		return true
	}
	if len(c.Only) > 0 && containsAny(v, c.Only) {
		rest := v
		for _, k := range c.Only {
			if k != "" {
				rest = strings.ReplaceAll(rest, k, "")
			}
		}
		for _, k := range onlyConnectors {
			rest = strings.ReplaceAll(rest, k, "")
		}
		if len(splitParts(rest)) == 0 {
			return true
		}
	}
	return false
}

// SubjectKindOf returns the subject kind a record states in the item's
// subject-kind field, or "" when it states none that is known.
func (it *Item) SubjectKindOf(f credit.Fields) credit.SubjectKind {
	if it.Keys.SubjectKind == "" {
		if len(it.SubjectKinds) == 1 {
			return it.SubjectKinds[0]
		}
		return ""
	}
	v := strings.TrimSpace(f[it.Keys.SubjectKind])
	if fd := it.byCode[it.Keys.SubjectKind]; fd != nil {
		v, _ = fd.Canonical(v)
	}
	return kindOfLabel(v)
}

// kindOfLabel maps the national subject categories (行政相对人类别) to the
// platform's subject kinds.
func kindOfLabel(v string) credit.SubjectKind {
	switch v {
	case "法人及非法人组织", "法人", "非法人组织", "法人和非法人组织", "单位", "企业":
		return credit.Organisation
	case "自然人", "个人":
		return credit.Person
	case "个体工商户", "个体户":
		return credit.IndividualBusiness
	}
	if k := credit.SubjectKind(v); k.Valid() {
		return k
	}
	return ""
}

// SubjectKindLabel is the national subject category (行政相对人类别) a
// record names for a subject of kind k, the inverse of the mapping above;
// an unknown kind is given as it is.
func SubjectKindLabel(k credit.SubjectKind) string {
	switch k {
	case credit.Organisation:
		return "法人及非法人组织"
	case credit.IndividualBusiness:
		return "个体工商户"
	case credit.Person:
		return "自然人"
	}
	return string(k)
}

// Severity classifies a record under the rules of domain ("" = default).
// The severity of a multi-type penalty is that of its most severe type;
// a type no rule recognises counts as the item's default severity, and so
// does a record no rule matches at all.
func (it *Item) Severity(f credit.Fields, domain string) credit.Severity {
	if domain == "" {
		domain = DefaultDomain
	}
	kind := it.SubjectKindOf(f)
	var (
		sev     credit.Severity
		matched bool
	)
	// Rules are grouped by the field they read, so that a part of one field
	// is judged only by the rules written for that field.
	type group struct {
		field string
		split bool
	}
	var doneArr [8]group // an item has a handful of rule groups: no map per call
	done := doneArr[:0]
	for _, r := range it.SeverityRules {
		g := group{r.Field, r.Split}
		if slices.Contains(done, g) {
			continue
		}
		done = append(done, g)
		v := strings.TrimSpace(f[r.Field])
		if v == "" {
			continue
		}
		p, rest := v, ""
		if r.Split {
			p, rest = nextPart(v)
		}
		for ; p != ""; p, rest = nextPart(rest) {
			s, ok := it.classify(p, r.Field, r.Split, domain, kind, f)
			switch {
			case ok:
				sev, matched = maxSev(sev, s), true
			case r.Split:
				// An unknown type of penalty still is a penalty: the
				// item's default keeps it from vanishing.
				sev, matched = maxSev(sev, it.DefaultSeverity), true
			}
		}
	}
	if !matched {
		return it.DefaultSeverity
	}
	return sev
}

// classify judges one part of a field by the most specific tier of rules
// that has a match.
func (it *Item) classify(part, field string, split bool, domain string, kind credit.SubjectKind, f credit.Fields) (credit.Severity, bool) {
	for tier := 0; tier < 4; tier++ {
		var (
			sev credit.Severity
			hit bool
		)
		for _, r := range it.SeverityRules {
			if r.Field != field || r.Split != split || !containsAny(part, r.Any) {
				continue
			}
			domainRule := len(r.Domains) > 0
			if domainRule && !contains(r.Domains, domain) {
				continue
			}
			kindRule := len(r.SubjectKinds) > 0
			if kindRule && (kind == "" || !contains(r.SubjectKinds, kind)) {
				continue
			}
			wantDomain, wantKind := tier < 2, tier%2 == 0
			if domainRule != wantDomain || kindRule != wantKind {
				continue
			}
			sev, hit = maxSev(sev, r.severityFor(f)), true
		}
		if hit {
			return sev, true
		}
	}
	return "", false
}

func (r *SeverityRule) severityFor(f credit.Fields) credit.Severity {
	if len(r.Bands) == 0 {
		return r.Severity
	}
	amt, ok := parseAmount(f[r.AmountField])
	for i := 0; !ok && i < len(r.AmountScan); i++ {
		amt, ok = scanFine(f[r.AmountScan[i]])
	}
	if !ok {
		return r.Severity
	}
	for _, b := range r.Bands {
		if b.Below <= 0 || amt < b.Below {
			return b.Severity
		}
	}
	return r.Severity
}

var fineRE = regexp.MustCompile(`罚款[^0-9。；;]{0,8}?([0-9][0-9,，]*(?:\.[0-9]+)?)\s*(万元|万|元)`)

// scanFine reads the first fine stated in a text ("罚款人民币5,000元"), in 万元.
func scanFine(s string) (float64, bool) {
	m := fineRE.FindStringSubmatch(s)
	if m == nil {
		return 0, false
	}
	n, err := strconv.ParseFloat(strings.NewReplacer(",", "", "，", "").Replace(m[1]), 64)
	if err != nil {
		return 0, false
	}
	if m[2] == "元" {
		n /= 10000
	}
	return n, true
}

// domainRule is an item's publication rule with a domain's overrides.
type domainRule struct {
	periods     []Period
	unpublished []Cond
	endField    string
}

// publicationFor is the item's rule with the domain's overrides merged,
// as merged once when the catalogue was loaded; callers only read it.
func (it *Item) publicationFor(domain string) (periods []Period, unpublished []Cond, endField string) {
	if d := it.pubDomains[domain]; d != nil {
		return d.periods, d.unpublished, d.endField
	}
	p := &it.Publication
	return p.Periods, p.UnpublishedWhen, p.EndField
}

// mergePublications merges each domain's overrides into the item's rule.
func (it *Item) mergePublications() map[string]*domainRule {
	out := map[string]*domainRule{}
	for _, d := range it.Publication.Domains {
		if out[d.Domain] == nil {
			r := &domainRule{}
			r.periods, r.unpublished, r.endField = it.mergePublication(d.Domain)
			out[d.Domain] = r
		}
	}
	return out
}

// mergePublication merges the domain's overrides into the item's rule.
func (it *Item) mergePublication(domain string) (periods []Period, unpublished []Cond, endField string) {
	p := &it.Publication
	periods = append(periods, p.Periods...)
	unpublished = append(unpublished, p.UnpublishedWhen...)
	endField = p.EndField
	for _, d := range p.Domains {
		if d.Domain != domain {
			continue
		}
		for _, o := range d.Periods {
			replaced := false
			for i := range periods {
				if periods[i].Severity == o.Severity {
					periods[i], replaced = o, true
				}
			}
			if !replaced {
				periods = append(periods, o)
			}
		}
		unpublished = append(unpublished, d.UnpublishedWhen...)
		if d.EndField != "" {
			endField = d.EndField
		}
	}
	return periods, unpublished, endField
}

// PublishWithinWorkdays is the deadline, in working days after the
// decision, for reporting and publishing a record in domain: the domain's
// own (20 for market regulation) or the item's (7 for 双公示); 0 = none.
func (it *Item) PublishWithinWorkdays(domain string) int {
	for _, d := range it.Publication.Domains {
		if d.Domain == domain && d.WithinWorkdays > 0 {
			return d.WithinWorkdays
		}
	}
	return it.ReportWithinWorkdays
}

// longTerm is the year from which an end date means "no end": the national
// standard writes long-term validity as 2099/12/31.
const longTerm = 2099

// Window computes the publication window of a record of severity sev in
// domain ("" = default), whose decision is dated decided (if zero, the
// item's decision-date field is used). Publication runs from start; it may
// stop early (by repair) from minEnd and stops by itself at maxEnd. Both
// ends are exclusive instants at midnight China time; a zero maxEnd means
// no fixed end (published while valid, or until the subject leaves).
// published is false when the rules say the record is not published at all.
//
// The severity of a multi-type penalty is already that of its longest
// type (see Severity). A term attached to the decision (限制从业 N 年 in
// its content, or the 处罚有效期 field) raises minEnd, and maxEnd with it,
// because publication may not stop before the term ends.
func (it *Item) Window(f credit.Fields, sev credit.Severity, domain string, decided time.Time) (start, minEnd, maxEnd time.Time, published bool) {
	if domain == "" {
		domain = DefaultDomain
	}
	if decided.IsZero() && it.Keys.DecidedOn != "" {
		decided, _ = ParseDate(f[it.Keys.DecidedOn])
	}
	if decided.IsZero() {
		return time.Time{}, time.Time{}, time.Time{}, false
	}
	start = dateOf(decided)
	periods, unpublished, endField := it.publicationFor(domain)
	for _, c := range it.Publication.PublishedWhen {
		if !c.holds(f) {
			return start, start, start, false
		}
	}
	for _, c := range unpublished {
		if c.holds(f) {
			return start, start, start, false
		}
	}
	var p *Period
	for i := range periods {
		if periods[i].Severity == sev {
			p = &periods[i]
		}
	}
	// No rule for this class means no lawful publication.
	if p == nil || !p.Published {
		return start, start, start, false
	}
	if p.FromField != "" {
		if d, err := ParseDate(f[p.FromField]); err == nil {
			start = dateOf(d)
		}
	}
	if p.Open {
		minEnd = start
		if endField != "" {
			if d, err := ParseDate(f[endField]); err == nil && d.Year() < longTerm {
				maxEnd = d.AddDate(0, 0, 1)
			}
		}
	} else {
		minEnd = addMonths(start, p.MinMonths)
		maxEnd = addMonths(start, p.MaxMonths)
	}
	if term := it.termEnd(f, start); term.After(minEnd) {
		minEnd = term
		if !maxEnd.IsZero() && term.After(maxEnd) {
			maxEnd = term
		}
	}
	return start, minEnd, maxEnd, true
}

// termEnd is the latest end of a term attached to the decision, or zero.
func (it *Item) termEnd(f credit.Fields, start time.Time) time.Time {
	var end time.Time
	later := func(t time.Time) {
		if t.After(end) {
			end = t
		}
	}
	for _, tf := range it.Publication.TermFields {
		if d, err := ParseDate(f[tf]); err == nil && d.Year() < longTerm && !d.Before(start) {
			later(d.AddDate(0, 0, 1))
		}
	}
	if ts := it.Publication.TermScan; ts != nil && ts.after != nil {
		for _, fld := range ts.Fields {
			v := f[fld]
			if !ts.mentions(v) {
				continue // both patterns need a keyword: no regexp run for nothing
			}
			for _, re := range []*regexp.Regexp{ts.after, ts.before} {
				for _, m := range re.FindAllStringSubmatch(v, -1) {
					if t, ok := addTerm(start, m[re.SubexpIndex("n")], m[re.SubexpIndex("unit")]); ok {
						later(t)
					}
				}
			}
		}
	}
	return end
}

// mentions reports whether v holds one of the keywords.
func (ts *TermScan) mentions(v string) bool {
	for _, k := range ts.Keywords {
		if strings.Contains(v, k) {
			return true
		}
	}
	return false
}

// compile builds the term patterns: "<keyword> … N 年" and "N 年内 <keyword>".
func (ts *TermScan) compile() error {
	var q []string
	for _, k := range ts.Keywords {
		q = append(q, regexp.QuoteMeta(k))
	}
	kw := "(?:" + strings.Join(q, "|") + ")"
	num := `(?P<n>[0-9]+|[零一二两三四五六七八九十]+)\s*(?P<unit>年|个月|月|日|天)`
	var err error
	if ts.after, err = regexp.Compile(kw + `[^。；;]{0,30}?` + num); err != nil {
		return err
	}
	ts.before, err = regexp.Compile(num + `(?:之内|以内|内)?` + kw)
	return err
}

// addTerm adds "n unit" to start. Implausible terms are ignored, because
// the text pattern can also catch a year such as "2023年".
func addTerm(start time.Time, n, unit string) (time.Time, bool) {
	v, ok := parseCount(n)
	if !ok || v <= 0 {
		return time.Time{}, false
	}
	switch unit {
	case "年":
		if v > 20 {
			return time.Time{}, false
		}
		return addMonths(start, 12*v), true
	case "个月", "月":
		if v > 240 {
			return time.Time{}, false
		}
		return addMonths(start, v), true
	default:
		if v > 3650 {
			return time.Time{}, false
		}
		return start.AddDate(0, 0, v), true
	}
}

// parseCount reads a count in Arabic or Chinese numerals (三, 十, 十二, 二十).
func parseCount(s string) (int, bool) {
	if n, err := strconv.Atoi(s); err == nil {
		return n, true
	}
	digits := map[rune]int{'零': 0, '一': 1, '二': 2, '两': 2, '三': 3, '四': 4, '五': 5, '六': 6, '七': 7, '八': 8, '九': 9}
	total, cur := 0, 0
	for _, r := range s {
		if r == '十' {
			if cur == 0 {
				cur = 1
			}
			total += cur * 10
			cur = 0
			continue
		}
		d, ok := digits[r]
		if !ok {
			return 0, false
		}
		cur = d
	}
	return total + cur, true
}

// addMonths adds months the way legal periods run: a period ending in a
// month without the starting day ends on that month's last day (Go's
// AddDate would roll 1-31 + 1 month over to 3-3).
func addMonths(t time.Time, n int) time.Time {
	y, m, d := t.Date()
	first := time.Date(y, m+time.Month(n), 1, 0, 0, 0, 0, t.Location())
	last := first.AddDate(0, 1, -1).Day()
	if d > last {
		d = last
	}
	return time.Date(first.Year(), first.Month(), d, 0, 0, 0, 0, t.Location())
}
