package catalog

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/xinyong/xinyong/internal/credit"
)

// Credit reports and authorised queries (reports.json): the kinds of
// report the platform issues, the purposes a report is drawn for or an
// institution is authorised for, the domains of a 专项信用报告, the derived
// indicators of the 可用不可见 report, and the legal basis of each kind of
// read of a subject's non-public data. Code decides nothing of this: the
// report package draws what a kind says, the grants what the rules allow.

// Report layouts: how a kind's content is drawn.
const (
	LayoutFile       = "file"       // the credit file by section, as an audience sees it
	LayoutSpecial    = "special"    // per domain: 无违法违规记录, or the records found in the period
	LayoutIndicators = "indicators" // derived indicators, no records
)

// Report audiences, as the publication engine names them.
const (
	ReportForSubject     = "subject"
	ReportForInstitution = "institution"
)

// Purpose uses: what a purpose may be stated for.
const (
	UseReport = "report" // a report a subject draws for a use of its own
	UseGrant  = "grant"  // an authorisation a subject gives an institution
)

// Indicator calculations.
const (
	CalcCount      = "count"       // records of items, by severity (and year)
	CalcListStatus = "list_status" // entries in force on lists of kinds
	CalcMarked     = "marked"      // records carrying a workflow mark
	CalcCleanYears = "clean_years" // whole years since the newest 失信 record
)

// Note is a legal note a report prints, in both languages.
type Note struct {
	Zh string `json:"zh"`
	En string `json:"en"`
}

// ReportKind is one kind of credit report.
type ReportKind struct {
	Code   string `json:"code"`
	Name   string `json:"name"`
	NameEn string `json:"name_en"`
	// Layout is LayoutFile, LayoutSpecial or LayoutIndicators.
	Layout string `json:"layout"`
	// Audience is whom the content is drawn for (publish.Self or
	// publish.Institution): the publication engine decides what it sees.
	Audience string `json:"audience"`
	// Requesters are the roles that may draw the kind (subject,
	// institution); Grant says an institution needs the subject's grant.
	Requesters []credit.Role `json:"requesters"`
	Grant      bool          `json:"grant,omitempty"`
	// Sections are the sections of the portal's subject page (publish
	// section codes) a LayoutFile report holds, in order.
	Sections []string `json:"sections,omitempty"`
	// Items and ListKinds are what a LayoutSpecial report counts as an
	// illegal or irregular record: records of these items and entries on
	// lists of these kinds.
	Items     []string   `json:"items,omitempty"`
	ListKinds []ListKind `json:"list_kinds,omitempty"`
	// PeriodYears is a special report's default period, MaxPeriodYears the
	// longest a subject may choose.
	PeriodYears    int `json:"period_years,omitempty"`
	MaxPeriodYears int `json:"max_period_years,omitempty"`
	// Indicators are a LayoutIndicators report's indicators, in order.
	Indicators []string `json:"indicators,omitempty"`
	// ValidityDays is how long an issued report is valid.
	ValidityDays int     `json:"validity_days"`
	Basis        []Basis `json:"basis"`
	Notes        []Note  `json:"notes"`
	Note         string  `json:"note,omitempty"`
}

// MayRequest reports whether role may draw reports of the kind.
func (k *ReportKind) MayRequest(role credit.Role) bool { return slices.Contains(k.Requesters, role) }

// Purpose is a use a report is drawn for, or an authorisation is given
// for (信贷审批, 招标投标 ...).
type Purpose struct {
	Code   string   `json:"code"`
	Name   string   `json:"name"`
	NameEn string   `json:"name_en"`
	Uses   []string `json:"uses"`
	Basis  []Basis  `json:"basis"`
	Note   string   `json:"note,omitempty"`
}

// For reports whether the purpose may be stated for use (UseReport,
// UseGrant).
func (p *Purpose) For(use string) bool { return slices.Contains(p.Uses, use) }

// SpecialDomain is a domain of a 专项信用报告: the departments of its kinds
// are the sources its statement rests on.
type SpecialDomain struct {
	Code      string   `json:"code"`
	Name      string   `json:"name"`
	NameEn    string   `json:"name_en"`
	DeptKinds []string `json:"dept_kinds"`
	Note      string   `json:"note,omitempty"`
}

// Indicator is one derived indicator of the 可用不可见 report.
type Indicator struct {
	Code   string `json:"code"`
	Name   string `json:"name"`
	NameEn string `json:"name_en"`
	// Calc is CalcCount, CalcListStatus, CalcMarked or CalcCleanYears.
	Calc      string     `json:"calc"`
	Items     []string   `json:"items,omitempty"`
	ListKinds []ListKind `json:"list_kinds,omitempty"`
	// Mark is the workflow mark a CalcMarked indicator counts.
	Mark string `json:"mark,omitempty"`
	// ByYear splits a count by year of decision; Years is how many
	// calendar years back a count looks, or a clean-years cap.
	ByYear       bool   `json:"by_year,omitempty"`
	Years        int    `json:"years,omitempty"`
	Definition   string `json:"definition"`
	DefinitionEn string `json:"definition_en"`
}

// ReadBasis is the basis on which a role reads a subject's non-public
// data, as the subject's "who read my data" page names it.
type ReadBasis struct {
	Role   credit.Role `json:"role"`
	Name   string      `json:"name"`
	NameEn string      `json:"name_en"`
	Basis  []Basis     `json:"basis"`
}

// Platform names the issuing platform and its transparency log.
type Platform struct {
	Name   string `json:"name"`
	NameEn string `json:"name_en"`
	// LogOrigin is the origin line of the log's checkpoints (C2SP
	// tlog-checkpoint): a stable name of this installation's log.
	LogOrigin string `json:"log_origin"`
}

// GrantRules bound authorisations: at most MaxDays (no lifetime grants,
// 国办发〔2020〕49号), at most MaxUses uses.
type GrantRules struct {
	MaxDays     int     `json:"max_days"`
	DefaultDays int     `json:"default_days"`
	MaxUses     int     `json:"max_uses"`
	Basis       []Basis `json:"basis"`
	Note        string  `json:"note,omitempty"`
}

// Reports is the content of reports.json.
type Reports struct {
	Platform       Platform
	GrantRules     GrantRules
	Kinds          []*ReportKind
	Purposes       []*Purpose
	SpecialDomains []*SpecialDomain
	Indicators     []*Indicator
	ReadBases      []*ReadBasis

	kinds      map[string]*ReportKind
	purposes   map[string]*Purpose
	domains    map[string]*SpecialDomain
	indicators map[string]*Indicator
}

// ReportKind returns a kind of report by code.
func (c *Catalog) ReportKind(code string) (*ReportKind, error) {
	if k, ok := c.Reports.kinds[code]; ok {
		return k, nil
	}
	return nil, c.notFound("report kind", "报告种类", code, keys(c.Reports.kinds))
}

// Purpose returns a purpose by code.
func (c *Catalog) Purpose(code string) (*Purpose, error) {
	if p, ok := c.Reports.purposes[code]; ok {
		return p, nil
	}
	return nil, c.notFound("purpose", "查询用途", code, keys(c.Reports.purposes))
}

// SpecialDomain returns a domain of special reports by code.
func (c *Catalog) SpecialDomain(code string) (*SpecialDomain, error) {
	if d, ok := c.Reports.domains[code]; ok {
		return d, nil
	}
	return nil, c.notFound("special report domain", "专项报告领域", code, keys(c.Reports.domains))
}

// Indicator returns an indicator by code.
func (c *Catalog) Indicator(code string) (*Indicator, error) {
	if in, ok := c.Reports.indicators[code]; ok {
		return in, nil
	}
	return nil, c.notFound("indicator", "指标", code, keys(c.Reports.indicators))
}

// DomainDepartments lists the catalogue's departments of a special
// domain's kinds, in catalogue order.
func (c *Catalog) DomainDepartments(d *SpecialDomain) []*Department {
	var out []*Department
	for _, dep := range c.Departments {
		if slices.Contains(d.DeptKinds, dep.Kind) {
			out = append(out, dep)
		}
	}
	return out
}

// DeptSpecialDomain is the special-report domain of department dept (by
// its kind), "" when none.
func (c *Catalog) DeptSpecialDomain(dept string) string {
	d := c.depts[dept]
	if d == nil {
		return ""
	}
	for _, sd := range c.Reports.SpecialDomains {
		if slices.Contains(sd.DeptKinds, d.Kind) {
			return sd.Code
		}
	}
	return ""
}

// ReadBasisOf returns the basis on which role reads non-public data, nil
// when the data names none.
func (c *Catalog) ReadBasisOf(role credit.Role) *ReadBasis {
	for _, b := range c.Reports.ReadBases {
		if b.Role == role {
			return b
		}
	}
	return nil
}

var (
	layouts     = []string{LayoutFile, LayoutSpecial, LayoutIndicators}
	rAudiences  = []string{ReportForSubject, ReportForInstitution}
	requesters  = []credit.Role{credit.RoleSubject, credit.RoleInstitution}
	purposeUses = []string{UseReport, UseGrant}
	calcs       = []string{CalcCount, CalcListStatus, CalcMarked, CalcCleanYears}
	indMarks    = []string{"under_objection", "under_repair", "repaired", "bankruptcy_masked"}
)

// decodeReports decodes reports.json.
func decodeReports(f *rawFile, l *errList) Reports {
	var r Reports
	f.scalar("platform", &r.Platform, l)
	f.scalar("grant_rules", &r.GrantRules, l)
	r.Kinds = decodeElems[ReportKind](f, "kinds", "report kind", l)
	r.Purposes = decodeElems[Purpose](f, "purposes", "purpose", l)
	r.SpecialDomains = decodeElems[SpecialDomain](f, "special_domains", "special domain", l)
	r.Indicators = decodeElems[Indicator](f, "indicators", "indicator", l)
	r.ReadBases = decodeElems[ReadBasis](f, "read_bases", "read basis", l)
	return r
}

// checkReports checks reports.json against itself and the rest of the
// catalogue (items, lists, department kinds).
func (c *Catalog) checkReports(l *errList, broken map[string]bool) {
	const file = "reports.json"
	r := &c.Reports
	p := r.Platform
	if strings.TrimSpace(p.Name) == "" || strings.TrimSpace(p.NameEn) == "" {
		l.add(file, "platform: missing name or name_en")
	}
	if !originRE.MatchString(p.LogOrigin) {
		l.add(file, "platform: log_origin %q is not a log origin (a schema-less URL such as example.org/log: no spaces, no plus sign)", p.LogOrigin)
	}
	g := r.GrantRules
	switch {
	case g.MaxDays <= 0 || g.MaxDays > 366:
		l.add(file, "grant_rules: max_days %d: an authorisation lasts at least a day and at most a year (国办发〔2020〕49号 forbids lifetime grants)", g.MaxDays)
	case g.DefaultDays <= 0 || g.DefaultDays > g.MaxDays:
		l.add(file, "grant_rules: default_days %d is not between 1 and max_days %d", g.DefaultDays, g.MaxDays)
	}
	if g.MaxUses <= 0 {
		l.add(file, "grant_rules: max_uses %d: must be at least 1", g.MaxUses)
	}
	checkBasis(l, file, "grant_rules", g.Basis, false)

	r.indicators = index(l, file, "indicator", r.Indicators, func(i *Indicator) string { return i.Code }, codeRE)
	for _, in := range r.Indicators {
		pfx := fmt.Sprintf("indicator %q", in.Code)
		if in.Name == "" || in.NameEn == "" || in.Definition == "" || in.DefinitionEn == "" {
			l.add(file, "%s: missing name, name_en, definition or definition_en", pfx)
		}
		if !slices.Contains(calcs, in.Calc) {
			l.add(file, "%s: unknown calc %q (known: %s)", pfx, in.Calc, strings.Join(calcs, ", "))
		}
		c.checkReportItems(l, broken, file, pfx, in.Items)
		checkListKinds(l, file, pfx, in.ListKinds)
		switch in.Calc {
		case CalcCount, CalcCleanYears:
			if len(in.Items) == 0 {
				l.add(file, "%s: %s needs items", pfx, in.Calc)
			}
			if in.Years <= 0 {
				l.add(file, "%s: %s needs years", pfx, in.Calc)
			}
		case CalcListStatus:
			if len(in.ListKinds) == 0 {
				l.add(file, "%s: list_status needs list_kinds", pfx)
			}
		case CalcMarked:
			if !slices.Contains(indMarks, in.Mark) {
				l.add(file, "%s: unknown mark %q (known: %s)", pfx, in.Mark, strings.Join(indMarks, ", "))
			}
		}
	}

	r.kinds = index(l, file, "report kind", r.Kinds, func(k *ReportKind) string { return k.Code }, codeRE)
	for _, k := range r.Kinds {
		pfx := fmt.Sprintf("report kind %q", k.Code)
		if k.Name == "" || k.NameEn == "" {
			l.add(file, "%s: missing name or name_en", pfx)
		}
		if !slices.Contains(layouts, k.Layout) {
			l.add(file, "%s: unknown layout %q (known: %s)", pfx, k.Layout, strings.Join(layouts, ", "))
		}
		if !slices.Contains(rAudiences, k.Audience) {
			l.add(file, "%s: unknown audience %q (known: %s)", pfx, k.Audience, strings.Join(rAudiences, ", "))
		}
		if len(k.Requesters) == 0 {
			l.add(file, "%s: missing requesters", pfx)
		}
		for _, role := range k.Requesters {
			if !slices.Contains(requesters, role) {
				l.add(file, "%s: requester %q: reports are drawn by subjects and institutions only", pfx, role)
			}
		}
		if slices.Contains(k.Requesters, credit.RoleInstitution) && !k.Grant {
			l.add(file, "%s: institutions draw a report only under the subject's grant: set grant", pfx)
		}
		if k.Audience == ReportForSubject && slices.Contains(k.Requesters, credit.RoleInstitution) {
			l.add(file, "%s: a report drawn for the subject itself is not drawn by institutions", pfx)
		}
		if k.ValidityDays <= 0 || k.ValidityDays > 366 {
			l.add(file, "%s: validity_days %d is not between 1 and 366", pfx, k.ValidityDays)
		}
		checkBasis(l, file, pfx, k.Basis, false)
		if len(k.Notes) == 0 {
			l.add(file, "%s: missing notes (the legal notes the report prints)", pfx)
		}
		for i, n := range k.Notes {
			if strings.TrimSpace(n.Zh) == "" || strings.TrimSpace(n.En) == "" {
				l.add(file, "%s: notes[%d]: both zh and en are required", pfx, i)
			}
		}
		c.checkReportItems(l, broken, file, pfx, k.Items)
		checkListKinds(l, file, pfx, k.ListKinds)
		switch k.Layout {
		case LayoutFile:
			if len(k.Sections) == 0 {
				l.add(file, "%s: a file report needs sections", pfx)
			}
		case LayoutSpecial:
			if len(k.Items) == 0 {
				l.add(file, "%s: a special report needs items", pfx)
			}
			if k.PeriodYears <= 0 || k.MaxPeriodYears < k.PeriodYears {
				l.add(file, "%s: period_years %d and max_period_years %d: need 0 < period_years <= max_period_years", pfx, k.PeriodYears, k.MaxPeriodYears)
			}
		case LayoutIndicators:
			if len(k.Indicators) == 0 {
				l.add(file, "%s: an indicator report needs indicators", pfx)
			}
			for _, code := range k.Indicators {
				if r.indicators[code] == nil {
					l.add(file, "%s: unknown indicator %q", pfx, code)
				}
			}
		}
	}

	r.purposes = index(l, file, "purpose", r.Purposes, func(p *Purpose) string { return p.Code }, codeRE)
	for _, pu := range r.Purposes {
		pfx := fmt.Sprintf("purpose %q", pu.Code)
		if pu.Name == "" || pu.NameEn == "" {
			l.add(file, "%s: missing name or name_en", pfx)
		}
		if len(pu.Uses) == 0 {
			l.add(file, "%s: missing uses", pfx)
		}
		for _, u := range pu.Uses {
			if !slices.Contains(purposeUses, u) {
				l.add(file, "%s: unknown use %q (known: %s)", pfx, u, strings.Join(purposeUses, ", "))
			}
		}
		checkBasis(l, file, pfx, pu.Basis, false)
	}

	r.domains = index(l, file, "special domain", r.SpecialDomains, func(d *SpecialDomain) string { return d.Code }, codeRE)
	kindOf := map[string]string{}
	for _, d := range r.SpecialDomains {
		pfx := fmt.Sprintf("special domain %q", d.Code)
		if d.Name == "" || d.NameEn == "" {
			l.add(file, "%s: missing name or name_en", pfx)
		}
		if len(d.DeptKinds) == 0 {
			l.add(file, "%s: missing dept_kinds (the departments its statement rests on)", pfx)
		}
		for _, k := range d.DeptKinds {
			switch {
			case !broken["departments.json"] && c.kinds[k] == nil:
				l.add(file, "%s: unknown department kind %q", pfx, k)
			case kindOf[k] != "":
				l.add(file, "%s: department kind %q is already in domain %q: a department's records belong to one domain", pfx, k, kindOf[k])
			default:
				kindOf[k] = d.Code
			}
		}
	}

	seen := map[credit.Role]bool{}
	for _, b := range r.ReadBases {
		pfx := fmt.Sprintf("read basis %q", b.Role)
		if !b.Role.Valid() || b.Role == credit.RolePublic {
			l.add(file, "%s: unknown role", pfx)
		}
		if seen[b.Role] {
			l.add(file, "%s: duplicate role", pfx)
		}
		seen[b.Role] = true
		if b.Name == "" || b.NameEn == "" {
			l.add(file, "%s: missing name or name_en", pfx)
		}
		checkBasis(l, file, pfx, b.Basis, false)
	}
}

// originRE is the shape of a log origin: a schema-less URL.
var originRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9.\-]*(/[A-Za-z0-9._\-]+)*$`)

func (c *Catalog) checkReportItems(l *errList, broken map[string]bool, file, pfx string, items []string) {
	if broken["items.json"] {
		return
	}
	for _, it := range items {
		if c.items[it] == nil {
			l.add(file, "%s: unknown item %q", pfx, it)
		}
	}
}

func checkListKinds(l *errList, file, pfx string, ks []ListKind) {
	for _, k := range ks {
		if !slices.Contains(listKinds, k) {
			l.add(file, "%s: unknown list kind %q", pfx, k)
		}
	}
}
