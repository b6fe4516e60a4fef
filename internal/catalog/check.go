package catalog

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/xinyong/xinyong/internal/uscc"

	"github.com/xinyong/xinyong/internal/credit"
)

// codeRE is the shape of every code: stable ASCII that can appear in URLs,
// SQL and other platforms' feeds unchanged.
var codeRE = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// deptCodeRE allows department codes such as "SAMR-350100" or a USCC.
var deptCodeRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]*$`)

var (
	fieldTypes = []FieldType{TypeString, TypeText, TypeDate, TypeAmount, TypeInt, TypeUSCC, TypeIDNo, TypeEnum}
	scopes     = []Scope{ScopePublic, ScopeGov, ScopeAuthorised}
	masks      = []Mask{MaskNone, MaskName, MaskIDNo, MaskPhone, MaskHide}
	sharings   = []Sharing{ShareUnconditional, ShareConditional, ShareNone}
	listKinds  = []ListKind{ListBlack, ListRed, ListWatch, ListAbnormal}
	mKinds     = []MeasureKind{MeasureAdministrative, MeasureMarket, MeasureIndustry, MeasureSocial}
	targets    = []string{"subject", "persons", "both"}
	levels     = []string{"national", "provincial", "city", "county"}
)

// fileSpec says which top-level members a file has.
var fileSpecs = map[string]struct{ arrays, scalars []string }{
	"domains.json":     {[]string{"domains"}, []string{"version", "note"}},
	"departments.json": {[]string{"kinds", "departments"}, []string{"version", "note"}},
	"matters.json":     {[]string{"matters"}, []string{"version", "note"}},
	"items.json":       {[]string{"items"}, []string{"version", "note"}},
	"lists.json":       {[]string{"lists"}, []string{"version", "note"}},
	"measures.json":    {[]string{"measures"}, []string{"version", "note"}},
	"commitments.json": {[]string{"kinds", "breaches", "matters"}, []string{"version", "note", "tracking", "declarations"}},
	"reports.json":     {[]string{"kinds", "purposes", "special_domains", "indicators", "read_bases"}, []string{"version", "note", "platform", "grant_rules"}},
}

// load reads every file through read, decodes and checks it, and returns
// the catalogue or all the errors found, each on its own line.
func load(read func(name string) (data []byte, source string, err error)) (*Catalog, error) {
	c := &Catalog{Versions: map[string]string{}, Sources: map[string]string{}, raw: map[string][]byte{}}
	l := &errList{}
	files := map[string]*rawFile{}
	// A file with errors is left out of cross-reference checks, so that one
	// typo does not also report every reference into it as dangling.
	broken := map[string]bool{}
	for _, name := range fileNames {
		data, src, err := read(name)
		if errors.Is(err, fs.ErrNotExist) {
			l.add(name, "missing file")
			broken[name] = true
			continue
		}
		if err != nil {
			l.add(name, "%v", err)
			broken[name] = true
			continue
		}
		n := len(l.errs)
		c.Sources[name] = src
		c.raw[name] = data
		spec := fileSpecs[name]
		f := parseFile(name, data, spec.arrays, spec.scalars, l)
		if f == nil {
			continue
		}
		var v string
		f.scalar("version", &v, l)
		c.Versions[name] = v
		files[name] = f
		broken[name] = len(l.errs) > n
	}
	c.Version = c.Versions["items.json"]
	if f := files["items.json"]; f != nil && c.Version == "" {
		l.add(f.name, "missing \"version\"")
	}
	decode := func(name string, fn func(f *rawFile)) {
		f := files[name]
		if f == nil {
			broken[name] = true
			return
		}
		n := len(l.errs)
		fn(f)
		broken[name] = broken[name] || len(l.errs) > n
	}
	decode("domains.json", func(f *rawFile) { c.Domains = decodeElems[Domain](f, "domains", "domain", l) })
	decode("departments.json", func(f *rawFile) {
		c.DeptKinds = decodeElems[DeptKind](f, "kinds", "department kind", l)
		c.Departments = decodeElems[Department](f, "departments", "department", l)
	})
	decode("matters.json", func(f *rawFile) { c.Matters = decodeElems[Matter](f, "matters", "matter", l) })
	decode("items.json", func(f *rawFile) { c.Items = decodeElems[Item](f, "items", "item", l) })
	decode("lists.json", func(f *rawFile) { c.Lists = decodeElems[ListType](f, "lists", "list", l) })
	decode("measures.json", func(f *rawFile) { c.Measures = decodeElems[Measure](f, "measures", "measure", l) })
	decode("commitments.json", func(f *rawFile) {
		cm := &c.Commitments
		cm.Kinds = decodeElems[CommitmentKind](f, "kinds", "kind", l)
		cm.Breaches = decodeElems[BreachRule](f, "breaches", "breach", l)
		cm.Matters = decodeElems[MatterCommitments](f, "matters", "matter", l)
		f.strictScalar("tracking", &cm.Tracking, l)
		f.strictScalar("declarations", &cm.Declarations, l)
	})
	decode("reports.json", func(f *rawFile) { c.Reports = decodeReports(f, l) })

	c.checkSmall(l, broken)
	for _, it := range c.Items {
		c.checkItem(it, l)
	}
	for _, lt := range c.Lists {
		c.checkList(lt, l)
	}
	for _, m := range c.Measures {
		c.checkMeasure(m, l)
	}
	if !broken["commitments.json"] {
		c.checkCommitments(l, broken)
	}
	c.checkReports(l, broken)
	if len(l.errs) > 0 {
		return nil, &credit.Error{Kind: credit.Invalid, Err: errors.Join(l.errs...)}
	}
	c.print = fingerprint(c.raw)
	return c, nil
}

// fingerprint is the SHA-256 of every file, by name, length and bytes.
func fingerprint(raw map[string][]byte) string {
	h := sha256.New()
	for _, name := range fileNames {
		fmt.Fprintf(h, "%s\x00%d\x00", name, len(raw[name]))
		h.Write(raw[name])
	}
	return hex.EncodeToString(h.Sum(nil))
}

// index puts elements into a map by code, reporting bad and duplicate codes.
func index[T any](l *errList, file, what string, elems []*T, code func(*T) string, re *regexp.Regexp) map[string]*T {
	m := make(map[string]*T, len(elems))
	for i, e := range elems {
		c := code(e)
		switch {
		case c == "":
			l.add(file, "%s #%d: missing code", what, i+1)
		case !re.MatchString(c):
			l.add(file, "%s %q: bad code (want %s)", what, c, re)
		case m[c] != nil:
			l.add(file, "%s %q: duplicate code", what, c)
		default:
			m[c] = e
		}
	}
	return m
}

// checkSmall checks the reference files (domains, department kinds,
// departments, matters) and indexes every file's codes, so the big files'
// cross-references can be checked in any order.
func (c *Catalog) checkSmall(l *errList, broken map[string]bool) {
	c.domains = index(l, "domains.json", "domain", c.Domains, func(d *Domain) string { return d.Code }, codeRE)
	for _, d := range c.Domains {
		if d.Name == "" {
			l.add("domains.json", "domain %q: missing name", d.Code)
		}
	}
	if !broken["domains.json"] && c.domains[DefaultDomain] == nil {
		l.add("domains.json", "missing the %q domain", DefaultDomain)
	}
	c.kinds = index(l, "departments.json", "department kind", c.DeptKinds, func(d *DeptKind) string { return d.Code }, codeRE)
	for _, k := range c.DeptKinds {
		if k.Name == "" {
			l.add("departments.json", "department kind %q: missing name", k.Code)
		}
	}
	for _, k := range c.DeptKinds {
		if k.Domain != "" && !broken["domains.json"] && c.domains[k.Domain] == nil {
			l.add("departments.json", "department kind %q: unknown domain %q", k.Code, k.Domain)
		}
	}
	c.depts = index(l, "departments.json", "department", c.Departments, func(d *Department) string { return d.Code }, deptCodeRE)
	for _, d := range c.Departments {
		p := fmt.Sprintf("department %q", d.Code)
		if d.Name == "" {
			l.add("departments.json", "%s: missing name", p)
		}
		if !contains(levels, d.Level) {
			l.add("departments.json", "%s: unknown level %q (known: %s)", p, d.Level, strings.Join(levels, ", "))
		}
		if c.kinds[d.Kind] == nil {
			l.add("departments.json", "%s: unknown department kind %q", p, d.Kind)
		}
		if d.Domain != "" && !broken["domains.json"] && c.domains[d.Domain] == nil {
			l.add("departments.json", "%s: unknown domain %q", p, d.Domain)
		}
	}
	for _, d := range c.Departments {
		// A superior is a known department of the same kind at a higher
		// level, and the chain of superiors ends.
		p := fmt.Sprintf("department %q", d.Code)
		seen := map[string]bool{d.Code: true}
		for cur := d; cur != nil && cur.Superior != ""; cur = c.depts[cur.Superior] {
			sup := c.depts[cur.Superior]
			switch {
			case sup == nil:
				l.add("departments.json", "%s: unknown superior %q", p, cur.Superior)
			case seen[sup.Code]:
				l.add("departments.json", "%s: its superiors form a cycle through %q", p, sup.Code)
				sup = nil
			case cur == d && (sup.Kind != d.Kind || slices.Index(levels, sup.Level) >= slices.Index(levels, d.Level)):
				l.add("departments.json", "%s: superior %q is not a department of the same kind at a higher level", p, sup.Code)
			}
			if sup == nil {
				break
			}
			seen[sup.Code] = true
		}
	}
	for _, k := range c.DeptKinds {
		for _, r := range k.Registers {
			if len(r) != 1 || uscc.AuthorityName(r[0]) == "" {
				l.add("departments.json", "department kind %q: %q is not a registration-authority code", k.Code, r)
			}
		}
	}
	c.matters = index(l, "matters.json", "matter", c.Matters, func(m *Matter) string { return m.Code }, codeRE)
	for _, m := range c.Matters {
		if m.Name == "" {
			l.add("matters.json", "matter %q: missing name", m.Code)
		}
	}
	c.items = index(l, "items.json", "item", c.Items, func(it *Item) string { return it.Code }, codeRE)
	c.lists = index(l, "lists.json", "list", c.Lists, func(lt *ListType) string { return lt.Code }, codeRE)
	c.measures = index(l, "measures.json", "measure", c.Measures, func(m *Measure) string { return m.Code }, codeRE)
	// nil maps tell the checks that follow to skip references into a file
	// that could not be read whole.
	if broken["domains.json"] {
		c.domains = nil
	}
	if broken["departments.json"] {
		c.kinds = nil
	}
	if broken["matters.json"] {
		c.matters = nil
	}
	if broken["items.json"] {
		c.items = nil
	}
	if broken["lists.json"] {
		c.lists = nil
	}
}

func checkBasis(l *errList, file, p string, basis []Basis, article bool) {
	if len(basis) == 0 {
		l.add(file, "%s: basis: missing (a legal basis is required)", p)
	}
	for i, b := range basis {
		if strings.TrimSpace(b.Title) == "" {
			l.add(file, "%s: basis[%d]: missing title", p, i)
		}
		if article && strings.TrimSpace(b.Ref) == "" {
			l.add(file, "%s: basis[%d]: %s: missing article (ref)", p, i, b.Title)
		}
	}
}

func checkKinds(l *errList, file, p, what string, ks []credit.SubjectKind) {
	for _, k := range ks {
		if !k.Valid() {
			l.add(file, "%s: %s: unknown subject kind %q (known: org, indiv, person)", p, what, k)
		}
	}
}

func checkSeverity(l *errList, file, p string, s credit.Severity, allowNone bool) {
	known := "轻微, 一般, 严重"
	if allowNone {
		known += `, ""`
	}
	if !validSeverity(s) || (!allowNone && s == credit.SeverityNone) {
		l.add(file, "%s: unknown severity %q (known: %s)", p, s, known)
	}
}

// oneOf lists known values of v's type for a message.
func oneOf[T ~string](_ T, known []T) string {
	s := make([]string, len(known))
	for i, k := range known {
		s[i] = string(k)
	}
	return strings.Join(s, ", ")
}

func (c *Catalog) checkItem(it *Item, l *errList) {
	const file = "items.json"
	p := fmt.Sprintf("item %q", it.Code)
	if it.Name == "" || it.NameEn == "" {
		l.add(file, "%s: missing name or name_en", p)
	}
	if it.Category == "" {
		l.add(file, "%s: missing category", p)
	}
	checkBasis(l, file, p, it.Basis, false)
	for _, k := range it.Reporters {
		if c.kinds != nil && c.kinds[k] == nil {
			l.add(file, "%s: reporters: unknown department kind %q", p, k)
		}
	}
	if !contains(sharings, it.Sharing) {
		l.add(file, "%s: sharing: unknown value %q (known: %s)", p, it.Sharing, oneOf(it.Sharing, sharings))
	}
	if len(it.SubjectKinds) == 0 {
		l.add(file, "%s: subject_kinds: missing", p)
	}
	checkKinds(l, file, p, "subject_kinds", it.SubjectKinds)
	if it.ReportWithinWorkdays < 0 {
		l.add(file, "%s: report_within_workdays: negative", p)
	}
	if it.ReportsList && c.lists != nil {
		named := false
		for _, lt := range c.Lists {
			named = named || (lt.Reported != nil && contains(lt.Reported.Items, it.Code))
		}
		if !named {
			l.add(file, "%s: reports_list: no list of lists.json takes its records (reported.items)", p)
		}
	}

	it.pubDomains = it.mergePublications()
	it.byCode = map[string]*Field{}
	it.byHeader = map[string]*Field{}
	it.ignored = map[string]bool{}
	if len(it.Fields) == 0 {
		l.add(file, "%s: fields: missing", p)
	}
	for i, fd := range it.Fields {
		if fd == nil {
			l.add(file, "%s: fields[%d]: null", p, i)
			continue
		}
		if !codeRE.MatchString(fd.Code) {
			l.add(file, "%s: fields[%d]: bad code %q (want %s)", p, i, fd.Code, codeRE)
			continue
		}
		if it.byCode[fd.Code] != nil {
			l.add(file, "%s: field %q: duplicate code", p, fd.Code)
			continue
		}
		it.byCode[fd.Code] = fd
	}
	for _, fd := range it.Fields {
		if fd != nil && it.byCode[fd.Code] == fd {
			c.checkField(it, fd, l)
		}
	}
	for _, h := range it.IgnoredHeaders {
		n := normHeader(h)
		if o := it.byHeader[n]; o != nil {
			l.add(file, "%s: ignored_headers: %q also names field %q", p, h, o.Code)
		}
		it.ignored[n] = true
	}

	// Keys: each must name a field of the right type, so generic code can
	// rely on what it finds there.
	keyRefs := []struct {
		name, code string
		need       bool
		types      []FieldType
	}{
		{"subject_name", it.Keys.SubjectName, true, []FieldType{TypeString}},
		{"subject_code", it.Keys.SubjectCode, false, []FieldType{TypeUSCC}},
		{"subject_idno", it.Keys.SubjectIDNo, false, []FieldType{TypeIDNo}},
		{"subject_kind", it.Keys.SubjectKind, false, []FieldType{TypeEnum}},
		{"doc_no", it.Keys.DocNo, false, []FieldType{TypeString}},
		{"decided_on", it.Keys.DecidedOn, true, []FieldType{TypeDate}},
		{"authority", it.Keys.Authority, false, []FieldType{TypeString}},
		{"authority_code", it.Keys.AuthorityCode, false, []FieldType{TypeUSCC}},
		{"status", it.Keys.Status, false, []FieldType{TypeEnum}},
	}
	for _, k := range keyRefs {
		if k.code == "" {
			if k.need {
				l.add(file, "%s: keys: %s: missing", p, k.name)
			}
			continue
		}
		fd := it.byCode[k.code]
		if fd == nil {
			l.add(file, "%s: keys: %s: unknown field %q", p, k.name, k.code)
			continue
		}
		if !contains(k.types, fd.Type) {
			l.add(file, "%s: keys: %s: field %q has type %q, want %s", p, k.name, k.code, fd.Type, oneOf(fd.Type, k.types))
		}
	}
	if fd := it.byCode[it.Keys.SubjectKind]; fd != nil {
		for _, v := range fd.Enum {
			if kindOfLabel(v) == "" {
				l.add(file, "%s: keys: subject_kind: value %q of field %q is no known subject kind", p, v, fd.Code)
			}
		}
	}

	c.checkRules(it, p, l)
}

func (c *Catalog) checkField(it *Item, fd *Field, l *errList) {
	const file = "items.json"
	p := fmt.Sprintf("item %q: field %q", it.Code, fd.Code)
	if fd.Label == "" || fd.LabelEn == "" {
		l.add(file, "%s: missing label or label_en", p)
	}
	if !contains(fieldTypes, fd.Type) {
		l.add(file, "%s: unknown type %q", p, fd.Type)
	}
	if !contains(scopes, fd.Publish) {
		l.add(file, "%s: unknown publish scope %q (known: %s)", p, fd.Publish, oneOf(fd.Publish, scopes))
	}
	if !contains(masks, fd.Mask) {
		l.add(file, "%s: unknown mask %q (known: %s)", p, fd.Mask, oneOf(fd.Mask, masks))
	}
	switch {
	case fd.MaxLen < 0:
		l.add(file, "%s: max_len: negative", p)
	case fd.MaxLen == 0 && (fd.Type == TypeString || fd.Type == TypeText || fd.Type == TypeIDNo):
		// The catalogue must say how long free text may be (rules.md §5).
		l.add(file, "%s: max_len: missing for type %q", p, fd.Type)
	}
	if fd.Type == TypeEnum && len(fd.Enum) == 0 {
		l.add(file, "%s: type enum needs enum values", p)
	}
	if fd.Type == TypeIDNo && !fd.Personal {
		// An identity number is sealed at rest: the catalogue may not
		// forget to say so.
		l.add(file, "%s: an identity number field must be marked personal (stored sealed)", p)
	}
	if fd.Type != TypeEnum && (len(fd.Enum) > 0 || len(fd.EnumAliases) > 0) {
		l.add(file, "%s: enum values given for type %q", p, fd.Type)
	}
	for _, a := range sortedKeys(fd.EnumAliases) {
		if !contains(fd.Enum, fd.EnumAliases[a]) {
			l.add(file, "%s: enum_aliases: %q maps to %q, which is not an enum value", p, a, fd.EnumAliases[a])
		}
	}
	if fd.Pattern != "" {
		re, err := regexp.Compile("^(?:" + fd.Pattern + ")$")
		if err != nil {
			l.add(file, "%s: pattern: %v", p, err)
		}
		fd.re = re
	}
	if fd.NotBefore != "" {
		o := it.byCode[fd.NotBefore]
		switch {
		case fd.Type != TypeDate:
			l.add(file, "%s: not_before on a field of type %q", p, fd.Type)
		case o == nil:
			l.add(file, "%s: not_before: unknown field %q", p, fd.NotBefore)
		case o.Type != TypeDate:
			l.add(file, "%s: not_before: field %q is not a date", p, fd.NotBefore)
		}
	}
	checkKinds(l, file, p, "required_for", fd.RequiredFor)
	// Every header must name one field only, or FieldByHeader would depend
	// on the order of the file.
	for _, h := range append([]string{fd.Code, fd.Label, fd.LabelEn}, fd.Aliases...) {
		n := normHeader(h)
		if n == "" {
			continue
		}
		if o := it.byHeader[n]; o != nil && o != fd {
			l.add(file, "%s: header %q also names field %q", p, h, o.Code)
			continue
		}
		it.byHeader[n] = fd
	}
}

func sortedKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// checkRules checks the severity and publication rules of an item.
func (c *Catalog) checkRules(it *Item, p string, l *errList) {
	const file = "items.json"
	field := func(where, code string, types ...FieldType) {
		fd := it.byCode[code]
		switch {
		case code == "":
			l.add(file, "%s: %s: missing field", p, where)
		case fd == nil:
			l.add(file, "%s: %s: unknown field %q", p, where, code)
		case len(types) > 0 && !contains(types, fd.Type):
			l.add(file, "%s: %s: field %q has type %q, want %s", p, where, code, fd.Type, oneOf(fd.Type, types))
		}
	}
	domain := func(where, d string) {
		if c.domains != nil && c.domains[d] == nil {
			l.add(file, "%s: %s: unknown domain %q", p, where, d)
		}
	}
	checkSeverity(l, file, p+": default_severity", it.DefaultSeverity, true)
	reach := []credit.Severity{it.DefaultSeverity}
	for i, r := range it.SeverityRules {
		w := fmt.Sprintf("severity_rules[%d]", i)
		if r == nil {
			l.add(file, "%s: %s: null", p, w)
			continue
		}
		field(w, r.Field)
		if len(r.Any) == 0 {
			l.add(file, "%s: %s: any: missing keywords", p, w)
		}
		for _, d := range r.Domains {
			domain(w, d)
		}
		checkKinds(l, file, p+": "+w, "subject_kinds", r.SubjectKinds)
		checkSeverity(l, file, p+": "+w, r.Severity, false)
		reach = append(reach, r.Severity)
		if len(r.Bands) > 0 || r.AmountField != "" {
			field(w+": amount_field", r.AmountField, TypeAmount)
			for _, s := range r.AmountScan {
				field(w+": amount_scan", s)
			}
			if len(r.Bands) == 0 {
				l.add(file, "%s: %s: amount_field without bands", p, w)
			}
			prev := 0.0
			for j, b := range r.Bands {
				checkSeverity(l, file, fmt.Sprintf("%s: %s: bands[%d]", p, w, j), b.Severity, false)
				reach = append(reach, b.Severity)
				last := j == len(r.Bands)-1
				switch {
				case b.Below < 0:
					l.add(file, "%s: %s: bands[%d]: negative amount", p, w, j)
				case last && b.Below != 0:
					l.add(file, "%s: %s: bands[%d]: the last band must have no upper bound (below omitted)", p, w, j)
				case !last && b.Below <= prev:
					l.add(file, "%s: %s: bands[%d]: amounts must rise", p, w, j)
				}
				prev = b.Below
			}
		}
	}

	pub := &it.Publication
	checkPeriods := func(where string, ps []Period) {
		seen := map[credit.Severity]bool{}
		for i, q := range ps {
			w := fmt.Sprintf("%s[%d]", where, i)
			checkSeverity(l, file, p+": "+w, q.Severity, true)
			if seen[q.Severity] {
				l.add(file, "%s: %s: duplicate severity %q", p, w, q.Severity)
			}
			seen[q.Severity] = true
			switch {
			case q.MinMonths < 0 || q.MaxMonths < 0:
				l.add(file, "%s: %s: negative months", p, w)
			case !q.Published && (q.Open || q.MinMonths != 0 || q.MaxMonths != 0):
				l.add(file, "%s: %s: an unpublished class has no period", p, w)
			case q.Open && (q.MinMonths != 0 || q.MaxMonths != 0):
				l.add(file, "%s: %s: an open period has no months", p, w)
			case q.Published && !q.Open && q.MaxMonths == 0:
				l.add(file, "%s: %s: max_months missing (or set open)", p, w)
			case q.MinMonths > q.MaxMonths:
				l.add(file, "%s: %s: min_months %d > max_months %d", p, w, q.MinMonths, q.MaxMonths)
			}
			if q.FromField != "" {
				field(w+": from_field", q.FromField, TypeDate)
			}
		}
	}
	checkPeriods("publication: periods", pub.Periods)
	// A class the rules can produce but that has no period could never be
	// published lawfully: say so at load, not when the first record comes.
	for _, s := range reach {
		found := false
		for _, q := range pub.Periods {
			found = found || q.Severity == s
		}
		if !found {
			l.add(file, "%s: publication: no period for severity %q", p, s)
			break
		}
	}
	if pub.EndField != "" {
		field("publication: end_field", pub.EndField, TypeDate)
	}
	for _, tf := range pub.TermFields {
		field("publication: term_fields", tf, TypeDate)
	}
	if ts := pub.TermScan; ts != nil {
		for _, tf := range ts.Fields {
			field("publication: term_scan", tf)
		}
		if len(ts.Keywords) == 0 || len(ts.Fields) == 0 {
			l.add(file, "%s: publication: term_scan: needs fields and keywords", p)
		} else if err := ts.compile(); err != nil {
			l.add(file, "%s: publication: term_scan: %v", p, err)
		}
	}
	conds := func(where string, cs []Cond) {
		for i, cd := range cs {
			w := fmt.Sprintf("%s[%d]", where, i)
			field(w, cd.Field)
			if len(cd.Any) == 0 && len(cd.Only) == 0 {
				l.add(file, "%s: %s: needs any or only", p, w)
			}
		}
	}
	conds("publication: published_when", pub.PublishedWhen)
	conds("publication: unpublished_when", pub.UnpublishedWhen)
	seen := map[string]bool{}
	for i, d := range pub.Domains {
		w := fmt.Sprintf("publication: domains[%d]", i)
		domain(w, d.Domain)
		if seen[d.Domain] {
			l.add(file, "%s: %s: duplicate domain %q", p, w, d.Domain)
		}
		seen[d.Domain] = true
		checkBasis(l, file, p+": "+w, d.Basis, false)
		if d.WithinWorkdays < 0 {
			l.add(file, "%s: %s: within_workdays: negative", p, w)
		}
		checkPeriods(w+": periods", d.Periods)
		conds(w+": unpublished_when", d.UnpublishedWhen)
		if d.EndField != "" {
			field(w+": end_field", d.EndField, TypeDate)
		}
	}
}

func (c *Catalog) checkList(lt *ListType, l *errList) {
	const file = "lists.json"
	p := fmt.Sprintf("list %q", lt.Code)
	if lt.Name == "" || lt.NameEn == "" {
		l.add(file, "%s: missing name or name_en", p)
	}
	if !contains(listKinds, lt.Kind) {
		l.add(file, "%s: unknown kind %q (known: %s)", p, lt.Kind, oneOf(lt.Kind, listKinds))
	}
	if c.domains != nil && c.domains[lt.Domain] == nil {
		l.add(file, "%s: unknown domain %q", p, lt.Domain)
	}
	checkBasis(l, file, p, lt.Basis, false)
	if len(lt.SubjectKinds) == 0 {
		l.add(file, "%s: subject_kinds: missing", p)
	}
	checkKinds(l, file, p, "subject_kinds", lt.SubjectKinds)
	if strings.TrimSpace(lt.Criteria.Text) == "" {
		l.add(file, "%s: criteria: missing text", p)
	}
	if lt.Kind != ListRed && len(lt.Criteria.Items) == 0 {
		// A sanction needs records to rest on (依法依规).
		l.add(file, "%s: criteria: items: missing (a %s list must rest on records)", p, lt.Kind)
	}
	for _, code := range lt.Criteria.Items {
		if c.items != nil && c.items[code] == nil {
			l.add(file, "%s: criteria: unknown item %q", p, code)
		}
	}
	for _, s := range lt.Criteria.Severities {
		checkSeverity(l, file, p+": criteria", s, true)
	}
	for item, ss := range lt.Criteria.ItemSeverities {
		if !contains(lt.Criteria.Items, item) {
			l.add(file, "%s: criteria: item_severities: %q is not one of the criteria items", p, item)
		}
		for _, s := range ss {
			checkSeverity(l, file, p+": criteria: item_severities", s, true)
		}
	}
	if lt.PeriodMonths < 0 {
		l.add(file, "%s: period_months: negative", p)
	}
	if strings.TrimSpace(lt.Exit.Text) == "" {
		l.add(file, "%s: exit: missing text", p)
	}
	switch {
	case lt.Exit.MinMonths < 0:
		l.add(file, "%s: exit: min_months: negative", p)
	case lt.PeriodMonths > 0 && lt.Exit.MinMonths > lt.PeriodMonths:
		l.add(file, "%s: exit: min_months %d > period_months %d", p, lt.Exit.MinMonths, lt.PeriodMonths)
	}
	if lt.Kind == ListBlack && !lt.NoticeRequired {
		l.add(file, "%s: notice_required must be true for a black list (国办发〔2020〕49号)", p)
	}
	if lt.ObjectionWorkdays < 0 {
		l.add(file, "%s: objection_workdays: negative", p)
	}
	if c.kinds != nil && c.kinds[lt.DecidingUnit] == nil {
		l.add(file, "%s: deciding_unit: unknown department kind %q", p, lt.DecidingUnit)
	}
	c.checkReported(lt, l)
	switch {
	case lt.Kind == ListRed && lt.Bar == nil:
		l.add(file, "%s: bar: missing (a red list must say what keeps the dishonest off it, 国发〔2016〕33号)", p)
	case lt.Kind != ListRed && lt.Bar != nil:
		l.add(file, "%s: bar: only a red list has one", p)
	case lt.Bar != nil:
		if strings.TrimSpace(lt.Bar.Text) == "" {
			l.add(file, "%s: bar: missing text", p)
		}
		if len(lt.Bar.ListKinds) == 0 && len(lt.Bar.Severities) == 0 {
			l.add(file, "%s: bar: names neither list kinds nor severities", p)
		}
		for _, k := range lt.Bar.ListKinds {
			if !contains(listKinds, k) || k == ListRed {
				l.add(file, "%s: bar: list_kinds: %q is not a kind of list that bars (known: black, watch, abnormal)", p, k)
			}
		}
		for _, s := range lt.Bar.Severities {
			checkSeverity(l, file, p+": bar", s, true)
		}
	}
}

// checkReported checks a list's rule for reported entries: its items and
// the fields it reads exist, and no two lists could claim the same record.
func (c *Catalog) checkReported(lt *ListType, l *errList) {
	const file = "lists.json"
	r := lt.Reported
	if r == nil || c.items == nil {
		return
	}
	p := fmt.Sprintf("list %q: reported", lt.Code)
	if len(r.Items) == 0 {
		l.add(file, "%s: items: missing", p)
	}
	hasField := func(it *Item, code string) bool {
		for _, f := range it.Fields {
			if f.Code == code {
				return true
			}
		}
		return false
	}
	for _, code := range r.Items {
		it := c.items[code]
		if it == nil {
			l.add(file, "%s: unknown item %q", p, code)
			continue
		}
		if r.ListField != "" && !hasField(it, r.ListField) {
			l.add(file, "%s: list_field: item %s has no field %q", p, code, r.ListField)
		}
		if r.GroundsField != "" && !hasField(it, r.GroundsField) {
			l.add(file, "%s: grounds_field: item %s has no field %q", p, code, r.GroundsField)
		}
		for _, cs := range [][]Cond{r.When, r.EndsWhen} {
			for _, cd := range cs {
				if !hasField(it, cd.Field) {
					l.add(file, "%s: item %s has no field %q", p, code, cd.Field)
				}
				if len(cd.Any) == 0 && len(cd.Only) == 0 {
					l.add(file, "%s: condition on %s needs any or only", p, cd.Field)
				}
			}
		}
		// Two lists reporting the same item must be told apart by the
		// list field or by conditions, or a record could land on both.
		for _, o := range c.Lists {
			if o == lt || o.Reported == nil || !contains(o.Reported.Items, code) || o.Code > lt.Code {
				continue
			}
			if r.ListField == "" && len(r.When) == 0 && o.Reported.ListField == "" && len(o.Reported.When) == 0 {
				l.add(file, "%s: lists %q and %q both take every %s record", p, o.Code, lt.Code, code)
			}
		}
	}
}

func (c *Catalog) checkMeasure(m *Measure, l *errList) {
	const file = "measures.json"
	p := fmt.Sprintf("measure %q", m.Code)
	if m.Name == "" || m.NameEn == "" {
		l.add(file, "%s: missing name or name_en", p)
	}
	checkBasis(l, file, p, m.Basis, true)
	if !contains(mKinds, m.Kind) {
		l.add(file, "%s: unknown kind %q (known: %s)", p, m.Kind, oneOf(m.Kind, mKinds))
	}
	if len(m.TriggeredBy) == 0 {
		l.add(file, "%s: triggered_by: missing", p)
	}
	for _, code := range m.TriggeredBy {
		lt := c.lists[code]
		switch {
		case c.lists == nil:
		case lt == nil:
			l.add(file, "%s: triggered_by: unknown list %q", p, code)
		case m.Incentive && lt.Kind != ListRed:
			l.add(file, "%s: triggered_by: an incentive triggered by %s list %q", p, lt.Kind, code)
		case !m.Incentive && lt.Kind == ListRed:
			l.add(file, "%s: triggered_by: a sanction triggered by red list %q", p, code)
		}
	}
	if len(m.Matters) == 0 {
		l.add(file, "%s: matters: missing", p)
	}
	for _, code := range m.Matters {
		if c.matters != nil && c.matters[code] == nil {
			l.add(file, "%s: matters: unknown matter %q", p, code)
		}
	}
	if len(m.Departments) == 0 {
		l.add(file, "%s: departments: missing", p)
	}
	for _, code := range m.Departments {
		if c.kinds != nil && c.kinds[code] == nil {
			l.add(file, "%s: departments: unknown department kind %q", p, code)
		}
	}
	if !contains(targets, m.Target) {
		l.add(file, "%s: unknown target %q (known: %s)", p, m.Target, strings.Join(targets, ", "))
	}
}
