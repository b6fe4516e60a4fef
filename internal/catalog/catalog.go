package catalog

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/xinyong/xinyong/internal/credit"
)

// The catalogue files, in load order. An override directory may hold any
// subset of them; a file it does not hold is taken from the embedded data.
var fileNames = []string{
	"domains.json",
	"departments.json",
	"matters.json",
	"items.json",
	"lists.json",
	"measures.json",
	"commitments.json",
	"reports.json",
}

//go:embed data/*.json
var embedded embed.FS

// Basis is one legal basis (依据): a law, regulation or normative document
// and, where it matters, the article. Everything in the catalogue must cite
// at least one, because information, lists and measures without a basis are
// unlawful (国办发〔2020〕49号).
type Basis struct {
	Title string `json:"title"`          // e.g. 《中华人民共和国行政处罚法》 or 国发〔2014〕21号
	Ref   string `json:"ref,omitempty"`  // article, e.g. 第四十八条
	Note  string `json:"note,omitempty"` // e.g. why the citation is uncertain
}

func (b Basis) String() string { return b.Title + b.Ref }

// Sharing is the sharing attribute (共享属性) of an item between departments.
type Sharing string

const (
	ShareUnconditional Sharing = "unconditional" // 无条件共享
	ShareConditional   Sharing = "conditional"   // 有条件共享
	ShareNone          Sharing = "none"          // 不予共享
)

// FieldType is the data type of a field.
type FieldType string

const (
	TypeString FieldType = "string"
	TypeText   FieldType = "text"
	TypeDate   FieldType = "date"
	TypeAmount FieldType = "amount" // decimal ≥ 0; money in 万元 unless the label says otherwise
	TypeInt    FieldType = "int"
	TypeUSCC   FieldType = "uscc" // shape only here; internal/uscc checks the check character
	TypeIDNo   FieldType = "idno" // identity document number; checked by internal/uscc by document type
	TypeEnum   FieldType = "enum"
)

// Scope is the publication range of a field.
type Scope string

const (
	ScopePublic     Scope = "public"     // 社会公开
	ScopeGov        Scope = "gov"        // 政务共享
	ScopeAuthorised Scope = "authorised" // 授权查询
)

// Mask is how a field is masked for audiences that may not see it clear.
type Mask string

const (
	MaskNone  Mask = "none"
	MaskName  Mask = "name"  // a natural person's name (张**); applies only when the subject is a person
	MaskIDNo  Mask = "idno"  // 110101********1234
	MaskPhone Mask = "phone" // 138****5678
	MaskHide  Mask = "hide"  // not shown at all
)

// Field is one field of an information item.
type Field struct {
	Code     string    `json:"code"` // national column code, e.g. cf_wsh
	Label    string    `json:"label"`
	LabelEn  string    `json:"label_en"`
	Type     FieldType `json:"type"`
	MaxLen   int       `json:"max_len,omitempty"` // in characters (runes); 0 = no limit
	Required bool      `json:"required,omitempty"`
	// RequiredFor makes the field required only for these subject kinds,
	// e.g. the USCC for organisations and the ID number for persons.
	RequiredFor []credit.SubjectKind `json:"required_for,omitempty"`
	Enum        []string             `json:"enum,omitempty"`
	// EnumAliases maps values departments send to the canonical enum value
	// (e.g. "1" → "有效"), so old systems need no conversion of their own.
	EnumAliases map[string]string `json:"enum_aliases,omitempty"`
	Pattern     string            `json:"pattern,omitempty"` // regular expression the whole value must match
	// NotBefore names a date field this date may not precede (有效期至 ≥ 有效期自).
	NotBefore string `json:"not_before,omitempty"`
	Publish   Scope  `json:"publish"`
	Mask      Mask   `json:"mask"`
	// Personal marks a field that can hold a personal identifier (a
	// natural person's ID number): it is stored sealed with the data key
	// (internal/pii) and opened only for the roles entitled to it.
	Personal bool `json:"personal,omitempty"`
	// Aliases are other headers departments use for this field: Chinese
	// labels of other editions and legacy column names.
	Aliases []string `json:"aliases,omitempty"`
	Note    string   `json:"note,omitempty"`

	re *regexp.Regexp
}

// Canonical returns the canonical form of an enum value (resolving
// aliases) and whether it is allowed. For other types it returns v, true.
func (fd *Field) Canonical(v string) (string, bool) {
	if fd.Type != TypeEnum {
		return v, true
	}
	v = strings.TrimSpace(v)
	for _, e := range fd.Enum {
		if v == e {
			return e, true
		}
	}
	if c, ok := fd.EnumAliases[v]; ok {
		return c, true
	}
	return v, false
}

// Keys names the fields that play a generic role, so that ingest, publish
// and sanction can find the subject, document and date of any item without
// knowing its field codes. Empty means the item has no such field.
type Keys struct {
	SubjectName   string `json:"subject_name"`
	SubjectCode   string `json:"subject_code,omitempty"`
	SubjectIDNo   string `json:"subject_idno,omitempty"`
	SubjectKind   string `json:"subject_kind,omitempty"`
	DocNo         string `json:"doc_no,omitempty"`
	DecidedOn     string `json:"decided_on"`
	Authority     string `json:"authority,omitempty"`
	AuthorityCode string `json:"authority_code,omitempty"`
	// Status is the field of the subject's registration status (登记状态).
	// An item that has it carries registration data: its registration
	// authority's newest record of a subject is that subject's name, legal
	// representative, status and registration date (DecidedOn)
	// (records.Service.SyncRegistrations).
	Status string `json:"status,omitempty"`
}

// RegistrationData reports whether the item's records carry subjects'
// registration data (Keys.Status).
func (it *Item) RegistrationData() bool { return it.Keys.Status != "" }

// Item is one information item (信息项) of the catalogue.
type Item struct {
	Code     string  `json:"code"`
	Name     string  `json:"name"`
	NameEn   string  `json:"name_en"`
	Category string  `json:"category"` // category of the 2024 national catalogue
	Basis    []Basis `json:"basis"`
	Sharing  Sharing `json:"sharing"`
	// SubjectKinds are the kinds of subject a record of this item may concern.
	SubjectKinds []credit.SubjectKind `json:"subject_kinds"`
	// ReportWithinWorkdays is the deadline for reporting after the decision
	// (7 for 双公示); 0 = no deadline.
	ReportWithinWorkdays int `json:"report_within_workdays"`
	// Reporters are the kinds of department that may report records of
	// this item (courts for 失信被执行人, say); empty: any department.
	Reporters []string `json:"reporters,omitempty"`
	// ReportsList says that every record of this item is a list decision
	// made outside the platform (a court's 失信被执行人, a ministry's
	// 严重失信主体名单): it must name a list of the catalogue, through that
	// list's Reported rule, that its department decides.
	ReportsList bool     `json:"reports_list,omitempty"`
	Fields      []*Field `json:"fields"`
	Keys        Keys     `json:"keys"`
	// IgnoredHeaders are legacy columns that are recognised but not kept
	// (地方编码, 数据更新时间戳): keeping them would breach data minimisation,
	// rejecting the file for them would punish old systems.
	IgnoredHeaders  []string        `json:"ignored_headers,omitempty"`
	DefaultSeverity credit.Severity `json:"default_severity"`
	SeverityRules   []*SeverityRule `json:"severity_rules,omitempty"`
	Publication     Publication     `json:"publication"`
	Note            string          `json:"note,omitempty"`

	byCode   map[string]*Field
	byHeader map[string]*Field
	ignored  map[string]bool
	// pubDomains is Publication merged with each domain's overrides.
	pubDomains map[string]*domainRule
}

// ListKind says what a list is for.
type ListKind string

const (
	ListBlack    ListKind = "black"    // 严重失信主体名单
	ListRed      ListKind = "red"      // 诚信典型 / 红名单
	ListWatch    ListKind = "watch"    // 重点关注名单
	ListAbnormal ListKind = "abnormal" // 经营异常名录
)

// Criteria says who may be put on a list: the text of the rule and the
// machine rule, i.e. which items (and severities) may serve as its basis
// records.
type Criteria struct {
	Text  string   `json:"text"`
	Items []string `json:"items,omitempty"`
	// Severities allowed for the basis records; empty = any.
	Severities []credit.Severity `json:"severities,omitempty"`
	// ItemSeverities narrows Severities for one item, where a list rests
	// on items of different classes (a 严重 penalty, or 轻微 经营异常 that
	// ran for three years): a 轻微 penalty must not ground that listing.
	ItemSeverities map[string][]credit.Severity `json:"item_severities,omitempty"`
}

// SeveritiesFor returns the severities allowed for basis records of item.
func (c Criteria) SeveritiesFor(item string) []credit.Severity {
	if s, ok := c.ItemSeverities[item]; ok {
		return s
	}
	return c.Severities
}

// Exit is how a subject leaves a list.
type Exit struct {
	Text       string `json:"text"`
	Repairable bool   `json:"repairable"` // may leave early by 信用修复
	MinMonths  int    `json:"min_months,omitempty"`
}

// ListType is one kind of list (名单).
type ListType struct {
	Code         string               `json:"code"`
	Name         string               `json:"name"`
	NameEn       string               `json:"name_en"`
	Kind         ListKind             `json:"kind"`
	Domain       string               `json:"domain"`
	Basis        []Basis              `json:"basis"`
	SubjectKinds []credit.SubjectKind `json:"subject_kinds"`
	Criteria     Criteria             `json:"criteria"`
	PeriodMonths int                  `json:"period_months"` // 0 = until exit
	Exit         Exit                 `json:"exit"`
	// NoticeRequired: the subject must be told the grounds, basis and its
	// rights before listing (国办发〔2020〕49号); required for black lists.
	NoticeRequired    bool   `json:"notice_required"`
	ObjectionWorkdays int    `json:"objection_workdays"`
	DecidingUnit      string `json:"deciding_unit"` // department kind code
	// Reported, when set, says which reported records are entries of this
	// list: the deciding unit decides in its own system and reports the
	// decision as a record, which becomes an entry of the list (its period,
	// removal, revocation and repair following the record).
	Reported *Reported `json:"reported,omitempty"`
	// Bar, on a red list, says what keeps a subject off it: while the bar
	// holds the subject cannot be proposed, and an entry it has is neither
	// published nor rewarded (国发〔2016〕33号: no reward for the dishonest).
	Bar  *Bar   `json:"bar,omitempty"`
	Note string `json:"note,omitempty"`
}

// Bar is what keeps a subject off a red list: an entry in force on a list
// of one of ListKinds, or a record in force whose severity is one of
// Severities.
type Bar struct {
	Text       string            `json:"text"`
	ListKinds  []ListKind        `json:"list_kinds"`
	Severities []credit.Severity `json:"severities"`
}

// Reported is the rule by which reported records are entries of a list.
// A record is an entry when its item is one of Items, it was reported by a
// department of the list's deciding unit, it names the list in ListField
// (by code or name) when ListField is set, and every When condition holds.
type Reported struct {
	Items     []string `json:"items"`
	ListField string   `json:"list_field,omitempty"`
	When      []Cond   `json:"when,omitempty"`
	// EndsWhen: the entry ends when any condition holds on the record's
	// current content (a court reporting 全部履行).
	EndsWhen []Cond `json:"ends_when,omitempty"`
	// Only: entries come from reports alone; the platform takes no
	// proposals for the list.
	Only bool `json:"only,omitempty"`
	// GroundsField holds the entry's grounds (事由) in the record.
	GroundsField string `json:"grounds_field,omitempty"`
	Note         string `json:"note,omitempty"`
}

// MeasureKind is the kind of a measure (措施类型).
type MeasureKind string

const (
	MeasureAdministrative MeasureKind = "administrative" // 行政性
	MeasureMarket         MeasureKind = "market"         // 市场性
	MeasureIndustry       MeasureKind = "industry"       // 行业性
	MeasureSocial         MeasureKind = "social"         // 社会性
)

// Measure is one entry of the measure list (措施清单).
type Measure struct {
	Code        string      `json:"code"`
	Name        string      `json:"name"`
	NameEn      string      `json:"name_en"`
	Basis       []Basis     `json:"basis"` // each with its article
	Kind        MeasureKind `json:"kind"`
	Mandatory   bool        `json:"mandatory"`    // 强制性; false = 推荐性
	TriggeredBy []string    `json:"triggered_by"` // list codes
	Matters     []string    `json:"matters"`      // matter codes
	Departments []string    `json:"departments"`  // department kind codes
	Target      string      `json:"target"`       // "subject", "persons" or "both"
	Incentive   bool        `json:"incentive"`    // a reward for red-list subjects
	Note        string      `json:"note,omitempty"`
}

// Matter is a matter (事项) a business system handles and asks about.
type Matter struct {
	Code   string `json:"code"`
	Name   string `json:"name"`
	NameEn string `json:"name_en"`
	Note   string `json:"note,omitempty"`
}

// DeptKind is a kind of department (财政部门, 市场监管部门 ...): measures and
// lists name kinds, since every level of government has its own.
type DeptKind struct {
	Code   string `json:"code"`
	Name   string `json:"name"`
	NameEn string `json:"name_en"`
	// Domain is the regulatory domain whose severity and publication
	// rules the records of departments of this kind follow; "" = the
	// default rules.
	Domain string `json:"domain,omitempty"`
	// Registers lists the registration-authority codes (the first
	// character of a unified social credit code, GB 32100-2015) whose
	// organisations departments of this kind register: their registration
	// data (name, legal representative, status) is theirs to change.
	Registers []string `json:"registers,omitempty"`
}

// Department is a concrete department.
type Department struct {
	Code   string `json:"code"`
	Name   string `json:"name"`
	NameEn string `json:"name_en"`
	Level  string `json:"level"` // national, provincial, city, county
	Kind   string `json:"kind"`
	Region string `json:"region,omitempty"` // GB/T 2260 code
	// Domain overrides the domain of the department's kind.
	Domain string `json:"domain,omitempty"`
	// Superior is the department that may change this one's decisions
	// (a county bureau's city bureau of the same kind), "" for none.
	Superior string `json:"superior,omitempty"`
}

// Domain is a regulatory domain whose rules may differ (market regulation,
// tax, ecology ...). "default" holds the general rules.
type Domain struct {
	Code   string `json:"code"`
	Name   string `json:"name"`
	NameEn string `json:"name_en"`
	Note   string `json:"note,omitempty"`
}

// DefaultDomain is the domain of the general rules.
const DefaultDomain = "default"

// Catalog is a loaded, checked catalogue.
type Catalog struct {
	Version     string // of items.json
	Items       []*Item
	Lists       []*ListType
	Measures    []*Measure
	Matters     []*Matter
	Departments []*Department
	DeptKinds   []*DeptKind
	Domains     []*Domain
	// Commitments are the kinds of commitment, per matter whether and how
	// it may be handled by commitment, and the kinds of self-declared
	// information (commitments.json).
	Commitments Commitments
	// Reports are the kinds of credit report, purposes, special-report
	// domains, indicators and read bases (reports.json).
	Reports Reports
	// Versions holds each file's own version; Sources says where each file
	// was read from ("embedded" or a path), for the admin console.
	Versions map[string]string
	Sources  map[string]string

	// raw holds each file as read (versions.go).
	raw map[string][]byte
	// print fingerprints raw (Fingerprint).
	print string

	items    map[string]*Item
	lists    map[string]*ListType
	measures map[string]*Measure
	matters  map[string]*Matter
	depts    map[string]*Department
	kinds    map[string]*DeptKind
	domains  map[string]*Domain
}

var (
	defaultOnce sync.Once
	defaultCat  *Catalog
	defaultErr  error
)

// Default returns the embedded catalogue, parsed and checked once.
func Default() (*Catalog, error) {
	defaultOnce.Do(func() {
		sub, err := fs.Sub(embedded, "data")
		if err != nil {
			defaultErr = credit.E("", credit.Internal, "catalog: %w", err)
			return
		}
		defaultCat, defaultErr = LoadFS(sub)
		if defaultCat != nil {
			for _, n := range fileNames {
				defaultCat.Sources[n] = "embedded"
			}
		}
	})
	return defaultCat, defaultErr
}

// LoadFS loads a complete catalogue from the root of fsys: every file must
// be there.
func LoadFS(fsys fs.FS) (*Catalog, error) {
	return load(func(name string) ([]byte, string, error) {
		b, err := fs.ReadFile(fsys, name)
		return b, name, err
	})
}

// Load loads the catalogue with the files found in dir replacing the
// embedded ones, file by file; dir == "" gives Default(). The directory is
// the catalogue's own: a .json file in it that is not a catalogue file is an
// error, because a misspelt file name would otherwise be silently ignored.
func Load(dir string) (*Catalog, error) {
	if dir == "" {
		return Default()
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, credit.E("", credit.Invalid, "catalog: %w", err)
	}
	present := make(map[string]bool)
	var unknown []error
	for _, e := range entries {
		n := e.Name()
		if e.IsDir() || !strings.HasSuffix(n, ".json") {
			continue
		}
		if !contains(fileNames, n) {
			unknown = append(unknown, fmt.Errorf("catalog: %s: not a catalogue file (known: %s)", n, strings.Join(fileNames, ", ")))
			continue
		}
		present[n] = true
	}
	if len(unknown) > 0 {
		return nil, &credit.Error{Kind: credit.Invalid, Err: errors.Join(unknown...)}
	}
	sub, err := fs.Sub(embedded, "data")
	if err != nil {
		return nil, credit.E("", credit.Internal, "catalog: %w", err)
	}
	return load(func(name string) ([]byte, string, error) {
		if present[name] {
			p := filepath.Join(dir, name)
			b, err := os.ReadFile(p)
			return b, p, err
		}
		b, err := fs.ReadFile(sub, name)
		return b, "embedded", err
	})
}

// Item returns the item with the given code.
func (c *Catalog) Item(code string) (*Item, error) {
	if it, ok := c.items[code]; ok {
		return it, nil
	}
	return nil, c.notFound("catalogue item", "信息项", code, keys(c.items))
}

// List returns the list type with the given code.
func (c *Catalog) List(code string) (*ListType, error) {
	if l, ok := c.lists[code]; ok {
		return l, nil
	}
	return nil, c.notFound("list type", "名单", code, keys(c.lists))
}

// Measure returns the measure with the given code.
func (c *Catalog) Measure(code string) (*Measure, error) {
	if m, ok := c.measures[code]; ok {
		return m, nil
	}
	return nil, c.notFound("measure", "措施", code, keys(c.measures))
}

// Matter returns the matter with the given code.
func (c *Catalog) Matter(code string) (*Matter, error) {
	if m, ok := c.matters[code]; ok {
		return m, nil
	}
	return nil, c.notFound("matter", "事项", code, keys(c.matters))
}

// MayReport says whether department dept may report records of item:
// nil, or an error of kind Permission saying which departments may, or
// Invalid for an unknown item.
func (c *Catalog) MayReport(dept, item string) error {
	const op = "catalog.MayReport"
	it, err := c.Item(item)
	if err != nil {
		return credit.Wrap(op, credit.Invalid, err)
	}
	if len(it.Reporters) == 0 {
		return nil
	}
	names := make([]string, 0, len(it.Reporters))
	for _, k := range it.Reporters {
		if dk := c.kinds[k]; dk != nil {
			names = append(names, dk.Name)
		} else {
			names = append(names, k)
		}
	}
	d, err := c.Department(dept)
	if err != nil {
		return credit.Say(op, credit.Permission, "部门%s不在目录中；%s（%s）只能由%s报送", "department %s is not in the catalogue; %s（%s）is reported only by %s",
			dept, it.Name, it.Code, strings.Join(names, "、"))
	}
	if slices.Contains(it.Reporters, d.Kind) {
		return nil
	}
	return credit.Say(op, credit.Permission, "%s（%s）不能报送%s（%s）：该信息只能由%s报送", "%s（%s）may not report %s（%s）: it is reported only by %s",
		d.Name, d.Code, it.Name, it.Code, strings.Join(names, "、"))
}

// Department returns the department with the given code.
func (c *Catalog) Department(code string) (*Department, error) {
	if d, ok := c.depts[code]; ok {
		return d, nil
	}
	return nil, c.notFound("department", "部门", code, keys(c.depts))
}

// Fingerprint identifies the catalogue's content: two catalogues with the
// same files have the same fingerprint, any change to any file gives
// another. What is derived from a catalogue and kept (a file copy's memo
// of its records' windows) is kept under it, and refused under another.
func (c *Catalog) Fingerprint() string { return c.print }

// DeptDomain is the regulatory domain of department dept: the one set on
// the department, else its kind's, else DefaultDomain (also for a
// department the catalogue does not hold). A record's domain is its
// reporting department's: no caller chooses it.
func (c *Catalog) DeptDomain(dept string) string {
	d := c.depts[dept]
	if d == nil {
		return DefaultDomain
	}
	if d.Domain != "" {
		return d.Domain
	}
	if k := c.kinds[d.Kind]; k != nil && k.Domain != "" {
		return k.Domain
	}
	return DefaultDomain
}

// Oversees reports whether department sup is dept's superior, directly
// or through superiors of superiors: the units that may change dept's
// decisions besides dept itself.
func (c *Catalog) Oversees(sup, dept string) bool {
	for d, n := c.depts[dept], 0; d != nil && d.Superior != "" && n < len(c.Departments); d, n = c.depts[d.Superior], n+1 {
		if d.Superior == sup {
			return true
		}
	}
	return false
}

// Registers reports whether department dept is the registration
// authority of the organisation with unified social credit code code:
// its kind registers the code's registration-authority character.
func (c *Catalog) Registers(dept, code string) bool {
	d := c.depts[dept]
	if d == nil || code == "" {
		return false
	}
	k := c.kinds[d.Kind]
	return k != nil && slices.Contains(k.Registers, code[:1])
}

// DeptZh names a department in a Chinese message: its name with its
// code, or the code alone when the catalogue does not hold it.
func (c *Catalog) DeptZh(code string) string {
	if d := c.depts[code]; d != nil {
		return d.Name + "（" + code + "）"
	}
	return code
}

// DeptKindName names a kind of department (市场监管部门), or gives the
// code back when the catalogue does not hold it.
func (c *Catalog) DeptKindName(kind string) string {
	if k := c.kinds[kind]; k != nil {
		return k.Name
	}
	return kind
}

// Domain returns the domain with the given code.
func (c *Catalog) Domain(code string) (*Domain, error) {
	if d, ok := c.domains[code]; ok {
		return d, nil
	}
	return nil, c.notFound("domain", "领域", code, keys(c.domains))
}

// MeasuresFor returns the measures that membership of list triggers for
// matter, in catalogue order; matter "" returns them for every matter. Only
// these may be applied (国办发〔2020〕49号: no measure beyond the list).
func (c *Catalog) MeasuresFor(list, matter string) []*Measure {
	var out []*Measure
	for _, m := range c.Measures {
		if contains(m.TriggeredBy, list) && (matter == "" || contains(m.Matters, matter)) {
			out = append(out, m)
		}
	}
	return out
}

// notFound names what is known, so that a caller who misspelt a code sees
// the right one in the message.
func (c *Catalog) notFound(what, whatZh, code string, known []string) error {
	return credit.Say("", credit.NotFound, "目录（%[3]s版）中没有%[5]s“%[2]s”（现有：%[4]s）", "unknown %[1]s %[2]q: not in catalogue %[3]s (known: %[4]s)",
		what, code, c.Version, strings.Join(known, ", "), whatZh)
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func contains[T comparable](xs []T, x T) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// ReportedList returns the list type on which a record of item, reported by
// department dept with fields f, lists its subject (see Reported), or nil
// when it lists no one. For an item that ReportsList, a record naming no
// list of the catalogue is Invalid, and one from a department that does not
// decide the list it names is Permission, each saying why: such a record
// may not enter a credit file, since a list exists only with its basis in
// the catalogue and only its deciding unit may decide on it.
func (c *Catalog) ReportedList(item string, f credit.Fields, dept string) (*ListType, error) {
	const op = "catalog.ReportedList"
	it := c.items[item]
	if it == nil {
		return nil, c.notFound("catalogue item", "信息项", item, keys(c.items))
	}
	var found []*ListType
	for _, lt := range c.Lists {
		r := lt.Reported
		if r == nil || !contains(r.Items, item) {
			continue
		}
		if r.ListField != "" {
			if v := strings.TrimSpace(f[r.ListField]); v != lt.Code && v != lt.Name {
				continue
			}
		}
		ok := true
		for _, cd := range r.When {
			ok = ok && cd.holds(f)
		}
		if ok {
			found = append(found, lt)
		}
	}
	switch {
	case len(found) == 0 && !it.ReportsList:
		return nil, nil
	case len(found) == 0:
		var names []string
		field := ""
		for _, lt := range c.Lists {
			if r := lt.Reported; r != nil && contains(r.Items, item) {
				names = append(names, lt.Name+"（"+lt.Code+"）")
				if r.ListField != "" {
					field = r.ListField
				}
			}
		}
		if field != "" {
			label := field
			if fd := it.Field(field); fd != nil {
				label = fd.Label
			}
			return nil, credit.Say(op, credit.Invalid, "字段“%[5]s”（%[1]s）：“%[2]s”不是目录中的名单（以%[3]s报送的名单：%[4]s）",
				"field %[1]s: %[2]q is not a list of the catalogue (lists reported as %[3]s: %[4]s)", field, strings.TrimSpace(f[field]), it.Name, strings.Join(names, "、"), label)
		}
		return nil, credit.Say(op, credit.Invalid, "%s（%s）未写明目录中的名单（现有：%s）", "%s（%s）names no list of the catalogue (known: %s)", it.Name, it.Code, strings.Join(names, "、"))
	case len(found) > 1:
		return nil, credit.Say(op, credit.Invalid, "该信息同时符合多个名单（%[3]s（%[1]s）、%[4]s（%[2]s）），须在目录的报送规则中加以区分",
			"the record fits several lists (%[1]s, %[2]s): the catalogue's reported rules must tell them apart", found[0].Code, found[1].Code, found[0].Name, found[1].Name)
	}
	lt := found[0]
	d := c.depts[dept]
	if d == nil || d.Kind != lt.DecidingUnit {
		if !it.ReportsList {
			return nil, nil
		}
		return nil, credit.Say(op, credit.Permission, "%[1]s（%[2]s）由%[3]s认定，%[5]s不能报送该名单的条目", "%[1]s（%[2]s）is decided by %[3]s; %[4]s may not report its entries",
			lt.Name, lt.Code, c.DeptKindName(lt.DecidingUnit), dept, c.DeptZh(dept))
	}
	if k := it.SubjectKindOf(f); k != "" && !contains(lt.SubjectKinds, k) {
		if !it.ReportsList {
			return nil, nil
		}
		return nil, credit.Say(op, credit.Invalid, "%s（%s）不列入%s", "%s（%s）does not take subjects of kind %s", lt.Name, lt.Code, SubjectKindLabel(k))
	}
	return lt, nil
}

// EntryOnly reports whether the records of item are list decisions made
// elsewhere and are shown as the list entries they make (a court's
// 失信被执行人), not as records beside them.
func (c *Catalog) EntryOnly(item string) bool {
	if it := c.items[item]; it != nil && it.ReportsList {
		return true
	}
	for _, lt := range c.Lists {
		if r := lt.Reported; r != nil && r.Only && contains(r.Items, item) {
			return true
		}
	}
	return false
}

// EndsEntry reports whether a reported record's current content ends the
// entry it made on lt (a court reporting that the obligation is met).
func (lt *ListType) EndsEntry(f credit.Fields) bool {
	if lt.Reported == nil {
		return false
	}
	for _, cd := range lt.Reported.EndsWhen {
		if cd.holds(f) {
			return true
		}
	}
	return false
}
