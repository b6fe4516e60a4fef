package catalog

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/xinyong/xinyong/internal/credit"
)

// 信用承诺 as data (commitments.json): the kinds of commitment, for each
// matter whether the law allows it to be handled by commitment and with
// which templates, the conditions of 容缺受理, what counts as a broken
// commitment in a credit file, and the kinds of self-declared information
// (自主申报). The commitment service (internal/commit) reads nothing else.

// CommitmentItem is the catalogue item a signed commitment is a record of.
const CommitmentItem = "credit_commitment"

// Commitments is the content of commitments.json.
type Commitments struct {
	Kinds        []*CommitmentKind    `json:"kinds"`
	Tracking     Tracking             `json:"tracking"`
	Breaches     []*BreachRule        `json:"breaches"`
	Matters      []*MatterCommitments `json:"matters"`
	Declarations Declarations         `json:"declarations"`

	kinds   map[string]*CommitmentKind
	matters map[string]*MatterCommitments
	decl    map[string]*DeclarationKind
}

// Due says whether a kind of commitment has a due date.
type Due string

const (
	DueRequired Due = "required" // every commitment of the kind is followed to a due date
	DueOptional Due = "optional" // when its template (or the caller) gives one
	DueNone     Due = "none"     // no due date: in force until broken or withdrawn
)

// CommitmentKind is one kind of commitment (承诺类型). Its name is a
// value of the commitment item's 承诺类型 field.
type CommitmentKind struct {
	Code   string  `json:"code"`
	Name   string  `json:"name"`
	NameEn string  `json:"name_en"`
	Basis  []Basis `json:"basis"`
	Due    Due     `json:"due"`
	// Eligibility: a commitment of the kind is accepted only from a
	// subject the matter's conditions find eligible (容缺受理).
	Eligibility bool `json:"eligibility,omitempty"`
	// Materials: the commitment lists the materials missing from the
	// application, to be supplied by the due date.
	Materials bool `json:"materials,omitempty"`
	// Portal: a subject may sign it on its own through the portal or the
	// API; false for a kind signed as part of another procedure (信用修复型,
	// in a repair application).
	Portal bool `json:"portal"`
	// Text is the kind's own commitment text, for a kind signed as part
	// of another procedure.
	Text   string `json:"text,omitempty"`
	TextEn string `json:"text_en,omitempty"`
	Note   string `json:"note,omitempty"`
}

// Tracking holds the rules of fulfilment tracking.
type Tracking struct {
	// DecideWorkdays is how many working days after a commitment became
	// overdue the accepting unit has to decide it (fulfilled late, or
	// broken) before it is escalated to the credit office.
	DecideWorkdays int     `json:"decide_workdays"`
	Basis          []Basis `json:"basis"`
}

// BreachRule says which records of a credit file are broken commitments:
// records of Item whose current content meets every When condition, dated
// by DateField (a breach counts for eligibility from that date).
type BreachRule struct {
	Item      string `json:"item"`
	When      []Cond `json:"when,omitempty"`
	DateField string `json:"date_field"`
	Note      string `json:"note,omitempty"`
}

// Holds reports whether the record content f is a broken commitment
// under the rule.
func (b *BreachRule) Holds(f credit.Fields) bool {
	for _, c := range b.When {
		if !c.holds(f) {
			return false
		}
	}
	return true
}

// MatterCommitments says how a matter may be handled by commitment.
type MatterCommitments struct {
	Matter string `json:"matter"`
	// Allowed is false for a matter the law does not allow to be handled
	// by commitment; Reason says why, with its basis.
	Allowed     bool        `json:"allowed"`
	Reason      string      `json:"reason,omitempty"`
	ReasonEn    string      `json:"reason_en,omitempty"`
	Basis       []Basis     `json:"basis"`
	Eligibility *Conditions `json:"eligibility,omitempty"`
	Templates   []*Template `json:"templates,omitempty"`
	Note        string      `json:"note,omitempty"`
}

// Conditions are a matter's conditions of eligibility (容缺受理): the
// subject has no 严重 失信 record in force, is on no list of the kinds
// named, has broken no commitment in the last BreachYears years, has no
// overdue commitment, and is of one of SubjectKinds.
type Conditions struct {
	NoSeriousRecord bool                 `json:"no_serious_record,omitempty"`
	NoListKinds     []ListKind           `json:"no_list_kinds,omitempty"`
	BreachYears     int                  `json:"breach_years,omitempty"`
	NoOverdue       bool                 `json:"no_overdue,omitempty"`
	SubjectKinds    []credit.SubjectKind `json:"subject_kinds,omitempty"`
	Basis           []Basis              `json:"basis"`
	Note            string               `json:"note,omitempty"`
}

// Template is a matter's commitment text of one kind: what is promised,
// by when, and the consequences of a false or broken commitment.
type Template struct {
	Kind      string `json:"kind"`
	Promise   string `json:"promise"`
	PromiseEn string `json:"promise_en"`
	// DueWorkdays is the due date, in working days from signing (the
	// one calendar); 0 for none.
	DueWorkdays    int    `json:"due_workdays,omitempty"`
	Consequences   string `json:"consequences"`
	ConsequencesEn string `json:"consequences_en"`
	// Disclosure is the commitment's 公开类型 (the item's cn_gklx).
	Disclosure string `json:"disclosure"`
	// RevokesApproval: a broken or false commitment revokes the approval
	// granted on it.
	RevokesApproval bool `json:"revokes_approval,omitempty"`
	// Units are the kinds of department that accept the commitment;
	// empty: any.
	Units []string `json:"units,omitempty"`
	Basis []Basis  `json:"basis,omitempty"`
	Note  string   `json:"note,omitempty"`
}

// Declarations are the kinds of self-declared information and the
// commitment a subject makes to their truth.
type Declarations struct {
	Basis        []Basis            `json:"basis"`
	Commitment   string             `json:"commitment"`
	CommitmentEn string             `json:"commitment_en"`
	Kinds        []*DeclarationKind `json:"kinds"`
}

// DeclarationKind is a kind of self-declared information. When Item is
// set, a declaration confirmed by its issuing department becomes a record
// of that item: Map gives each item field from the declaration ("title",
// "number", "issued_on", "valid_until", "description") or a literal
// ("=其他"); PersonMap adds fields for a natural person; Authority and
// AuthorityCode take the confirming department's name and the code it
// gives. Without an item (nothing in the catalogue holds such
// information) a confirmation verifies the declaration, which stays
// self-declared.
type DeclarationKind struct {
	Code          string            `json:"code"`
	Name          string            `json:"name"`
	NameEn        string            `json:"name_en"`
	Item          string            `json:"item,omitempty"`
	Map           map[string]string `json:"map,omitempty"`
	PersonMap     map[string]string `json:"person_map,omitempty"`
	Authority     []string          `json:"authority,omitempty"`
	AuthorityCode []string          `json:"authority_code,omitempty"`
	Note          string            `json:"note,omitempty"`
}

// DeclarationSources are the parts of a declaration a field may be
// mapped from.
var DeclarationSources = []string{"title", "number", "issued_on", "valid_until", "description"}

// Placeholders are the names a commitment text may use.
var Placeholders = []string{"subject", "matter", "unit", "due", "materials", "approval"}

var placeholderRE = regexp.MustCompile(`\{([^{}]*)\}`)

// CommitmentKind returns a kind of commitment by code.
func (c *Catalog) CommitmentKind(code string) (*CommitmentKind, error) {
	if k := c.Commitments.kinds[code]; k != nil {
		return k, nil
	}
	return nil, c.notFound("commitment kind", "承诺类型", code, keys(c.Commitments.kinds))
}

// MatterCommitments returns how a matter may be handled by commitment:
// nil (and no error) for a matter of the catalogue that has no commitment
// data, which therefore takes no commitment; NotFound for an unknown
// matter.
func (c *Catalog) MatterCommitments(matter string) (*MatterCommitments, error) {
	if _, err := c.Matter(matter); err != nil {
		return nil, err
	}
	return c.Commitments.matters[matter], nil
}

// Template returns the matter's template of a kind, or nil.
func (m *MatterCommitments) Template(kind string) *Template {
	for _, t := range m.Templates {
		if t.Kind == kind {
			return t
		}
	}
	return nil
}

// DeclarationKind returns a kind of self-declared information by code.
func (c *Catalog) DeclarationKind(code string) (*DeclarationKind, error) {
	if k := c.Commitments.decl[code]; k != nil {
		return k, nil
	}
	return nil, c.notFound("declaration kind", "自主申报类别", code, keys(c.Commitments.decl))
}

// Fill puts values into a commitment text's placeholders.
func Fill(text string, values map[string]string) string {
	return placeholderRE.ReplaceAllStringFunc(text, func(m string) string {
		return values[m[1:len(m)-1]]
	})
}

// checkCommitments checks commitments.json against the other files.
func (c *Catalog) checkCommitments(l *errList, broken map[string]bool) {
	const file = "commitments.json"
	cm := &c.Commitments
	cm.kinds = index(l, file, "kind", cm.Kinds, func(k *CommitmentKind) string { return k.Code }, codeRE)
	var lx *Field
	if it := c.items[CommitmentItem]; it != nil {
		lx = it.Field("cn_lx")
	} else if c.items != nil {
		l.add(file, "the commitment item %q is not in items.json", CommitmentItem)
	}
	var gk *Field
	if it := c.items[CommitmentItem]; it != nil {
		gk = it.Field("cn_gklx")
	}
	for _, k := range cm.Kinds {
		p := fmt.Sprintf("kind %q", k.Code)
		if k.Name == "" || k.NameEn == "" {
			l.add(file, "%s: missing name or name_en", p)
		}
		if lx != nil {
			if v, ok := lx.Canonical(k.Name); !ok || v != k.Name {
				l.add(file, "%s: name %q is not a 承诺类型 of %s (known: %s)", p, k.Name, CommitmentItem, strings.Join(lx.Enum, ", "))
			}
		}
		checkBasis(l, file, p, k.Basis, false)
		if !slices.Contains([]Due{DueRequired, DueOptional, DueNone}, k.Due) {
			l.add(file, "%s: due: unknown value %q (known: required, optional, none)", p, k.Due)
		}
		if k.Materials && k.Due != DueRequired {
			l.add(file, "%s: a kind that lists missing materials needs a due date (due: required)", p)
		}
		if !k.Portal && (k.Text == "" || k.TextEn == "") {
			l.add(file, "%s: a kind signed in another procedure carries its own text and text_en", p)
		}
	}
	if cm.Tracking.DecideWorkdays < 1 {
		l.add(file, "tracking: decide_workdays: at least 1")
	}
	checkBasis(l, file, "tracking", cm.Tracking.Basis, false)
	if len(cm.Breaches) == 0 {
		l.add(file, "breaches: missing (what counts as a broken commitment)")
	}
	for i, b := range cm.Breaches {
		p := fmt.Sprintf("breaches[%d]", i)
		if c.items == nil {
			continue
		}
		it := c.items[b.Item]
		if it == nil {
			l.add(file, "%s: unknown item %q", p, b.Item)
			continue
		}
		if fd := it.Field(b.DateField); fd == nil || fd.Type != TypeDate {
			l.add(file, "%s: date_field %q is not a date field of %s", p, b.DateField, b.Item)
		}
		for j, cd := range b.When {
			if it.Field(cd.Field) == nil {
				l.add(file, "%s: when[%d]: unknown field %q of %s", p, j, cd.Field, b.Item)
			}
			if len(cd.Any) == 0 && len(cd.Only) == 0 {
				l.add(file, "%s: when[%d]: needs any or only", p, j)
			}
		}
	}
	cm.matters = index(l, file, "matter", cm.Matters, func(m *MatterCommitments) string { return m.Matter }, codeRE)
	for _, m := range cm.Matters {
		p := fmt.Sprintf("matter %q", m.Matter)
		if c.matters != nil && c.matters[m.Matter] == nil {
			l.add(file, "%s: not a matter of matters.json", p)
		}
		checkBasis(l, file, p, m.Basis, false)
		if !m.Allowed {
			if m.Reason == "" || m.ReasonEn == "" {
				l.add(file, "%s: a matter that allows no commitment says why (reason, reason_en)", p)
			}
			if len(m.Templates) > 0 || m.Eligibility != nil {
				l.add(file, "%s: a matter that allows no commitment has no templates or eligibility", p)
			}
			continue
		}
		if len(m.Templates) == 0 {
			l.add(file, "%s: templates: missing", p)
		}
		if e := m.Eligibility; e != nil {
			checkBasis(l, file, p+": eligibility", e.Basis, false)
			for _, k := range e.NoListKinds {
				if !contains(listKinds, k) {
					l.add(file, "%s: eligibility: no_list_kinds: unknown list kind %q (known: %s)", p, k, oneOf(k, listKinds))
				}
			}
			checkKinds(l, file, p+": eligibility", "subject_kinds", e.SubjectKinds)
			if e.BreachYears < 0 || e.BreachYears > 10 {
				l.add(file, "%s: eligibility: breach_years %d: between 0 and 10", p, e.BreachYears)
			}
		}
		seen := map[string]bool{}
		for i, t := range m.Templates {
			tp := fmt.Sprintf("%s: templates[%d]", p, i)
			k := cm.kinds[t.Kind]
			switch {
			case k == nil:
				l.add(file, "%s: unknown kind %q", tp, t.Kind)
				continue
			case seen[t.Kind]:
				l.add(file, "%s: a second template of kind %q", tp, t.Kind)
			case !k.Portal:
				l.add(file, "%s: kind %q is signed in another procedure, not on a matter", tp, t.Kind)
			}
			seen[t.Kind] = true
			if k.Eligibility && m.Eligibility == nil {
				l.add(file, "%s: kind %q needs the matter's eligibility conditions", tp, t.Kind)
			}
			switch {
			case t.DueWorkdays < 0:
				l.add(file, "%s: due_workdays: negative", tp)
			case k.Due == DueRequired && t.DueWorkdays == 0:
				l.add(file, "%s: kind %q has a due date: due_workdays missing", tp, t.Kind)
			case k.Due == DueNone && t.DueWorkdays != 0:
				l.add(file, "%s: kind %q has no due date: due_workdays must be 0", tp, t.Kind)
			}
			for _, txt := range []struct{ name, v string }{{"promise", t.Promise}, {"promise_en", t.PromiseEn},
				{"consequences", t.Consequences}, {"consequences_en", t.ConsequencesEn}} {
				if strings.TrimSpace(txt.v) == "" {
					l.add(file, "%s: %s: missing", tp, txt.name)
				}
				for _, ph := range placeholderRE.FindAllStringSubmatch(txt.v, -1) {
					switch {
					case !slices.Contains(Placeholders, ph[1]):
						l.add(file, "%s: %s: unknown placeholder {%s} (known: %s)", tp, txt.name, ph[1], strings.Join(Placeholders, ", "))
					case ph[1] == "materials" && !k.Materials:
						l.add(file, "%s: %s: {materials} in a kind that lists no missing materials", tp, txt.name)
					case ph[1] == "due" && t.DueWorkdays == 0:
						l.add(file, "%s: %s: {due} in a template without a due date", tp, txt.name)
					}
				}
			}
			if k.Materials && !strings.Contains(t.Promise, "{materials}") {
				l.add(file, "%s: promise: a commitment to supply missing materials names them ({materials})", tp)
			}
			if gk != nil {
				if v, ok := gk.Canonical(t.Disclosure); !ok || v != t.Disclosure {
					l.add(file, "%s: disclosure %q is not a 公开类型 (known: %s)", tp, t.Disclosure, strings.Join(gk.Enum, ", "))
				}
			}
			for _, u := range t.Units {
				if c.kinds != nil && c.kinds[u] == nil {
					l.add(file, "%s: units: unknown department kind %q", tp, u)
				}
			}
		}
	}
	d := &cm.Declarations
	checkBasis(l, file, "declarations", d.Basis, false)
	if d.Commitment == "" || d.CommitmentEn == "" {
		l.add(file, "declarations: commitment and commitment_en: missing")
	}
	cm.decl = index(l, file, "declaration kind", d.Kinds, func(k *DeclarationKind) string { return k.Code }, codeRE)
	for _, k := range d.Kinds {
		p := fmt.Sprintf("declaration kind %q", k.Code)
		if k.Name == "" || k.NameEn == "" {
			l.add(file, "%s: missing name or name_en", p)
		}
		if k.Item == "" {
			if len(k.Map)+len(k.PersonMap)+len(k.Authority)+len(k.AuthorityCode) > 0 {
				l.add(file, "%s: fields mapped without an item", p)
			}
			continue
		}
		if c.items == nil {
			continue
		}
		it := c.items[k.Item]
		if it == nil {
			l.add(file, "%s: unknown item %q", p, k.Item)
			continue
		}
		for _, m := range []map[string]string{k.Map, k.PersonMap} {
			for _, f := range sortedKeys(m) {
				src := m[f]
				fd := it.Field(f)
				switch {
				case fd == nil:
					l.add(file, "%s: unknown field %q of %s", p, f, k.Item)
				case strings.HasPrefix(src, "="):
					if v, ok := fd.Canonical(src[1:]); !ok || v != src[1:] {
						l.add(file, "%s: %s: %q is not a value of the field", p, f, src[1:])
					}
				case !slices.Contains(DeclarationSources, src):
					l.add(file, "%s: %s: unknown source %q (known: %s, or =value)", p, f, src, strings.Join(DeclarationSources, ", "))
				}
			}
		}
		for _, f := range append(slices.Clone(k.Authority), k.AuthorityCode...) {
			if it.Field(f) == nil {
				l.add(file, "%s: unknown field %q of %s", p, f, k.Item)
			}
		}
		if !broken["items.json"] && it.Keys.DocNo != "" && k.Map[it.Keys.DocNo] == "" {
			l.add(file, "%s: the item's document number %q is not mapped", p, it.Keys.DocNo)
		}
	}
}
