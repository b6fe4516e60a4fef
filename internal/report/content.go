package report

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/chinatime"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/publish"
	"github.com/xinyong/xinyong/internal/uscc"
)

// Body is a report's content: what the publication engine lets the
// kind's audience see of the subject's file at the moment of issue,
// drawn as the kind's layout says.
//
// The fields of Body and of every type in it are declared in the order of
// their JSON names, so that encoding/json writes the canonical form
// (Canonical) directly: issuing hashes the bytes as written, and a
// verifier of an untouched report hashes them as read (a test holds it).
type Body struct {
	Audience   string      `json:"audience"`
	Basis      []string    `json:"basis"`
	Domains    []Domain    `json:"domains,omitempty"`
	Format     string      `json:"format"`
	GrantID    string      `json:"grant_id,omitempty"`
	Indicators []Indicator `json:"indicators,omitempty"`
	IssuedAt   string      `json:"issued_at"`
	Issuer     Named       `json:"issuer"`
	Kind       string      `json:"kind"`
	KindName   string      `json:"kind_name"`
	KindNameEn string      `json:"kind_name_en"`
	Layout     string      `json:"layout"`
	LogOrigin  string      `json:"log_origin"`
	Notes      []Note      `json:"notes"`
	Period     *Period     `json:"period,omitempty"`
	Purpose    Named       `json:"purpose"`
	Recipient  string      `json:"recipient,omitempty"`
	No         string      `json:"report_no"`
	Scope      *GrantScope `json:"scope,omitempty"`
	Sections   []Section   `json:"sections,omitempty"`
	Subject    SubjectInfo `json:"subject"`
	ValidUntil string      `json:"valid_until"`
	VerifyURL  string      `json:"verify_url"`
}

// Named is a code with its names.
type Named struct {
	Code   string `json:"code,omitempty"`
	Name   string `json:"name"`
	NameEn string `json:"name_en"`
}

// Note is a legal note in both languages.
type Note struct {
	En string `json:"en"`
	Zh string `json:"zh"`
}

// GrantScope is what the grant a report was drawn under covers.
type GrantScope struct {
	Codes []string `json:"codes"`
	Kind  string   `json:"kind"`
}

// SubjectInfo is the subject's registration data as the report shows it.
type SubjectInfo struct {
	Code         string `json:"code"` // USCC, or a person's masked ID number
	ID           string `json:"id"`
	Kind         string `json:"kind"`
	KindName     string `json:"kind_name"`
	LegalRep     string `json:"legal_rep,omitempty"`
	Name         string `json:"name"`
	Region       string `json:"region,omitempty"`
	RegisteredOn string `json:"registered_on,omitempty"`
	Status       string `json:"status,omitempty"`
}

// Period is a special report's period, both ends included (China dates).
type Period struct {
	From string `json:"from"`
	To   string `json:"to"`
}

// Section is one section of a file report.
type Section struct {
	Code    string  `json:"code"`
	Entries []Entry `json:"entries"`
	Name    string  `json:"name"`
	NameEn  string  `json:"name_en"`
}

// Entry is one record or list entry as the report shows it.
type Entry struct {
	DecidedOn  string  `json:"decided_on,omitempty"`
	Fields     []Field `json:"fields,omitempty"`
	Item       string  `json:"item"`
	ItemName   string  `json:"item_name"`
	ItemNameEn string  `json:"item_name_en"`
	Marks      []Named `json:"marks,omitempty"`
	// Public is, on the subject's own report, whether and why the public
	// sees the record now.
	Public     *Named `json:"public,omitempty"`
	Severity   string `json:"severity,omitempty"`
	Source     string `json:"source"`
	SourceCode string `json:"source_code"`
	Until      string `json:"until,omitempty"`
}

// Field is one field of an entry.
type Field struct {
	Label   string `json:"label"`
	LabelEn string `json:"label_en"`
	Value   string `json:"value"`
}

// Domain is one domain of a special report: its departments and its
// statement. Covered is false when no department of the domain reports to
// the platform: then nothing can be certified for it.
type Domain struct {
	Clean       bool    `json:"clean"`
	Code        string  `json:"code"`
	Covered     bool    `json:"covered"`
	Departments []Named `json:"departments"`
	Entries     []Entry `json:"entries"`
	Name        string  `json:"name"`
	NameEn      string  `json:"name_en"`
	Statement   string  `json:"statement"`
	StatementEn string  `json:"statement_en"`
}

// Indicator is one derived indicator with its value.
type Indicator struct {
	Code         string  `json:"code"`
	Definition   string  `json:"definition"`
	DefinitionEn string  `json:"definition_en"`
	Name         string  `json:"name"`
	NameEn       string  `json:"name_en"`
	Rows         []Field `json:"rows,omitempty"`
	Value        string  `json:"value"`
	ValueEn      string  `json:"value_en"`
}

// marks names the workflow marks.
var markNames = map[string]Named{
	"under_objection":   {Code: "under_objection", Name: "异议处理中", NameEn: "under objection"},
	"under_repair":      {Code: "under_repair", Name: "信用修复中", NameEn: "under credit repair"},
	"repaired":          {Code: "repaired", Name: "已修复", NameEn: "repaired"},
	"bankruptcy_masked": {Code: "bankruptcy_masked", Name: "破产重整屏蔽", NameEn: "masked (bankruptcy reorganisation)"},
	"revoked":           {Code: "revoked", Name: "已撤销", NameEn: "revoked"},
}

// publicReasons names the publication engine's reasons, for the public
// state of a record on the subject's own report.
var publicReasons = map[publish.Reason][2]string{
	publish.InWindow:        {"公示期内", "within the publication period"},
	publish.OpenEnded:       {"有效期内", "while valid"},
	publish.NotYet:          {"未到公示起始日", "before the publication start"},
	publish.WindowEnded:     {"公示期已满，已停止公示", "publication period ended"},
	publish.NotPublished:    {"依规定不予公示", "not published under the rules"},
	publish.PersonNotPublic: {"自然人失信信息不公示", "natural persons' dishonesty information is not published"},
	publish.Revoked:         {"决定已撤销", "decision revoked"},
	publish.Repaired:        {"已信用修复", "credit repaired"},
	publish.Bankruptcy:      {"破产重整期间屏蔽", "masked during bankruptcy reorganisation"},
	publish.UnknownItem:     {"目录外信息", "not in the catalogue"},
}

func dateOf(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(chinatime.Location).Format(time.DateOnly)
}

// lastDay is the last day of a window whose end is exclusive.
func lastDay(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return dateOf(t.Add(-time.Nanosecond))
}

// builder draws a body from the publication engine's decisions.
type builder struct {
	cat   *catalog.Catalog
	eng   *publish.Engine
	marks publish.MarkSource
	now   time.Time
}

func (b *builder) subjectInfo(s *credit.Subject) SubjectInfo {
	si := SubjectInfo{ID: s.ID, Name: s.Name, Code: s.Code, Kind: string(s.Kind), LegalRep: s.LegalRep, Status: s.Status,
		RegisteredOn: dateOf(s.RegisteredOn)}
	switch s.Kind {
	case credit.Person:
		si.Code, si.KindName = s.IDMasked, "自然人"
	case credit.IndividualBusiness:
		si.KindName = "个体工商户"
	default:
		si.KindName = "法人和非法人组织"
	}
	if n := uscc.RegionName(s.Region); n != "" {
		si.Region = n + "（" + s.Region + "）"
	} else {
		si.Region = s.Region
	}
	return si
}

// entry shapes one decision of the engine.
func (b *builder) entry(d publish.Decision) Entry {
	e := Entry{Item: d.Item, ItemName: d.Item, ItemNameEn: d.Item, Severity: string(d.Severity), Source: d.Source, SourceCode: d.SourceCode,
		DecidedOn: dateOf(d.PublishedFrom), Until: lastDay(d.PublishedUntil)}
	if it, err := b.cat.Item(d.Item); err == nil {
		e.ItemName, e.ItemNameEn = it.Name, it.NameEn
	} else if lt, err := b.cat.List(d.Item); err == nil {
		e.ItemName, e.ItemNameEn = lt.Name, lt.NameEn
	}
	m := d.Marks
	for _, mk := range []struct {
		on   bool
		code string
	}{{m.UnderObjection, "under_objection"}, {m.UnderRepair, "under_repair"}, {m.Repaired, "repaired"}, {m.BankruptcyMasked, "bankruptcy_masked"}, {d.Revoked, "revoked"}} {
		if mk.on {
			e.Marks = append(e.Marks, markNames[mk.code])
		}
	}
	for _, f := range d.Fields {
		e.Fields = append(e.Fields, Field{Label: f.Label, LabelEn: f.LabelEn, Value: f.Value})
	}
	if d.Entry != nil && len(e.Fields) == 0 {
		le := d.Entry
		for _, f := range []Field{{"名单", "List", e.ItemName}, {"决定书文号", "Decision document", le.DocNo}, {"事由", "Grounds", le.Grounds}} {
			if f.Value != "" {
				e.Fields = append(e.Fields, f)
			}
		}
	}
	return e
}

// fileSections draws the sections a kind names, for aud, from the
// engine's sections; items, when set, keeps only records of those items.
func (b *builder) fileSections(ctx context.Context, k *catalog.ReportKind, states []credit.State, subj *credit.Subject, aud publish.Audience, items []string) ([]Section, error) {
	secs, err := b.eng.SectionsOf(ctx, states, subj, aud, b.marks)
	if err != nil {
		return nil, err
	}
	// On the subject's own report each record says whether and why the
	// public sees it now: the engine decides, with the record's marks.
	var public map[string]publish.Decision
	if aud == publish.Self {
		ids := make([]string, len(states))
		for i, st := range states {
			ids[i] = st.Origin
		}
		ms, err := b.marks.Marks(ctx, ids)
		if err != nil {
			return nil, err
		}
		public = map[string]publish.Decision{}
		for _, st := range states {
			public[st.Origin] = b.eng.Decide(st, subj, publish.Public, ms[st.Origin])
		}
	}
	want := slices.Clone(k.Sections)
	if aud == publish.Self {
		want = append(want, "other") // everything the subject may see of itself
	}
	var out []Section
	for _, code := range want {
		i := slices.IndexFunc(secs, func(s publish.SectionView) bool { return s.Code == code })
		if i < 0 {
			continue
		}
		sv := secs[i]
		sec := Section{Code: sv.Code, Name: sv.Name, NameEn: sv.NameEn, Entries: []Entry{}}
		for _, d := range sv.Entries {
			if items != nil && !slices.Contains(items, d.Item) {
				continue
			}
			e := b.entry(d)
			if pd, ok := public[d.Origin]; ok {
				r := publicReasons[pd.Reason]
				if pd.Visible {
					e.Public = &Named{Code: "published", Name: "公示中 · " + r[0], NameEn: "published · " + r[1]}
				} else {
					e.Public = &Named{Code: "not_published", Name: "不公示 · " + r[0], NameEn: "not published · " + r[1]}
				}
			}
			sec.Entries = append(sec.Entries, e)
		}
		out = append(out, sec)
	}
	return out, nil
}

// special draws a special report: for each domain, the records of the
// kind's items (and the entries on its lists) decided in the period by the
// domain's departments, or the statement that there are none.
func (b *builder) special(ctx context.Context, k *catalog.ReportKind, states []credit.State, subj *credit.Subject, domains []string, from, to time.Time) ([]Domain, error) {
	ds, err := b.eng.File(ctx, states, subj, publish.Self, b.marks)
	if err != nil {
		return nil, err
	}
	// List entries decided on the platform (reported lists are records of
	// the items above, counted as records).
	if secs, err := b.eng.SectionsOf(ctx, states, subj, publish.Self, b.marks); err == nil {
		for _, sv := range secs {
			for _, d := range sv.Entries {
				if d.Entry == nil || d.Entry.Reported {
					continue
				}
				if lt, err := b.cat.List(d.Entry.List); err == nil && slices.Contains(k.ListKinds, lt.Kind) {
					ds = append(ds, d)
				}
			}
		}
	} else {
		return nil, err
	}
	found := map[string][]Entry{}
	for _, d := range ds {
		if d.Revoked || (d.Entry == nil && !slices.Contains(k.Items, d.Item)) {
			continue
		}
		on := d.PublishedFrom
		if on.IsZero() || on.Before(from) || !on.Before(to) {
			continue
		}
		dom := b.cat.DeptSpecialDomain(d.SourceCode)
		found[dom] = append(found[dom], b.entry(d))
	}
	var out []Domain
	for _, code := range domains {
		sd, err := b.cat.SpecialDomain(code)
		if err != nil {
			return nil, credit.Wrap("report.special", credit.Invalid, err)
		}
		dom := Domain{Code: sd.Code, Name: sd.Name, NameEn: sd.NameEn, Departments: []Named{}, Entries: []Entry{}}
		for _, dep := range b.cat.DomainDepartments(sd) {
			dom.Departments = append(dom.Departments, Named{Code: dep.Code, Name: dep.Name, NameEn: dep.NameEn})
		}
		dom.Covered = len(dom.Departments) > 0
		es := found[sd.Code]
		repaired := 0
		for _, e := range es {
			if slices.ContainsFunc(e.Marks, func(m Named) bool { return m.Code == "repaired" }) {
				repaired++
			}
		}
		switch {
		case len(es) > 0:
			dom.Entries = es
			dom.Statement = fmt.Sprintf("查询期内，该主体在本领域有违法违规记录%d条", len(es))
			dom.StatementEn = fmt.Sprintf("In the period the subject has %d illegal or irregular record(s) in this domain", len(es))
			if repaired > 0 {
				dom.Statement += fmt.Sprintf("（其中%d条已信用修复）", repaired)
				dom.StatementEn += fmt.Sprintf(" (%d repaired)", repaired)
			}
			dom.Statement += "，详见下表。"
			dom.StatementEn += "; see below."
		case !dom.Covered:
			dom.Statement = "本平台未归集该领域部门报送的信息，不能出具该领域的证明。"
			dom.StatementEn = "No department of this domain reports to the platform: nothing can be certified for it."
		default:
			dom.Clean = true
			dom.Statement = "查询期内，未发现该主体在本领域的违法违规记录（无违法违规记录）。"
			dom.StatementEn = "In the period no illegal or irregular record of the subject was found in this domain (no illegal or irregular record)."
		}
		out = append(out, dom)
	}
	return out, nil
}

// indicators computes a kind's indicators from what aud sees.
func (b *builder) indicators(ctx context.Context, k *catalog.ReportKind, states []credit.State, subj *credit.Subject, aud publish.Audience) ([]Indicator, error) {
	secs, err := b.eng.SectionsOf(ctx, states, subj, aud, b.marks)
	if err != nil {
		return nil, err
	}
	ds, err := b.eng.File(ctx, states, subj, aud, b.marks)
	if err != nil {
		return nil, err
	}
	inForce := map[catalog.ListKind]int{}
	for _, sv := range secs {
		for _, d := range sv.Entries {
			if d.Entry == nil {
				continue
			}
			if lt, err := b.cat.List(d.Entry.List); err == nil {
				inForce[lt.Kind]++
			}
		}
	}
	now := b.now.In(chinatime.Location)
	var out []Indicator
	for _, code := range k.Indicators {
		in, err := b.cat.Indicator(code)
		if err != nil {
			return nil, err
		}
		v := Indicator{Code: in.Code, Name: in.Name, NameEn: in.NameEn, Definition: in.Definition, DefinitionEn: in.DefinitionEn}
		switch in.Calc {
		case catalog.CalcCount:
			first := now.Year() - in.Years + 1
			counts := map[string]int{}
			total := 0
			for _, d := range ds {
				if !slices.Contains(in.Items, d.Item) || d.PublishedFrom.IsZero() {
					continue
				}
				y := d.PublishedFrom.In(chinatime.Location).Year()
				if y < first {
					continue
				}
				sev := string(d.Severity)
				if sev == "" {
					sev = "—"
				}
				counts[fmt.Sprintf("%d|%s", y, sev)]++
				total++
			}
			v.Value, v.ValueEn = fmt.Sprintf("%d条", total), fmt.Sprint(total)
			for y := now.Year(); y >= first; y-- {
				for _, sev := range []string{"严重", "一般", "轻微"} {
					if n := counts[fmt.Sprintf("%d|%s", y, sev)]; n > 0 || in.ByYear {
						v.Rows = append(v.Rows, Field{Label: fmt.Sprintf("%d年 %s", y, sev), LabelEn: fmt.Sprintf("%d %s", y, sev), Value: fmt.Sprint(n)})
					}
				}
			}
		case catalog.CalcListStatus:
			n := 0
			for _, lk := range in.ListKinds {
				n += inForce[lk]
			}
			v.Value, v.ValueEn = "未列入", "not listed"
			if n > 0 {
				v.Value, v.ValueEn = fmt.Sprintf("列入%d个名单", n), fmt.Sprintf("on %d list(s)", n)
			}
		case catalog.CalcMarked:
			n := 0
			for _, d := range ds {
				m := d.Marks
				if (in.Mark == "under_objection" && m.UnderObjection) || (in.Mark == "under_repair" && m.UnderRepair) ||
					(in.Mark == "repaired" && m.Repaired) || (in.Mark == "bankruptcy_masked" && m.BankruptcyMasked) {
					n++
				}
			}
			v.Value, v.ValueEn = fmt.Sprintf("%d条", n), fmt.Sprint(n)
		case catalog.CalcCleanYears:
			var newest time.Time
			for _, d := range ds {
				if slices.Contains(in.Items, d.Item) && d.Severity != credit.SeverityNone && d.PublishedFrom.After(newest) {
					newest = d.PublishedFrom
				}
			}
			if newest.IsZero() {
				v.Value, v.ValueEn = fmt.Sprintf("%d年以上", in.Years), fmt.Sprintf("%d or more", in.Years)
			} else {
				years := wholeYears(newest.In(chinatime.Location), now)
				v.Value, v.ValueEn = fmt.Sprintf("%d年", years), fmt.Sprint(years)
				if years >= in.Years {
					v.Value, v.ValueEn = fmt.Sprintf("%d年以上", in.Years), fmt.Sprintf("%d or more", in.Years)
				}
			}
		}
		out = append(out, v)
	}
	return out, nil
}

// wholeYears is how many whole years lie between from and to.
func wholeYears(from, to time.Time) int {
	n := to.Year() - from.Year()
	if to.YearDay() < from.YearDay() {
		n--
	}
	return max(n, 0)
}

func basisText(bs []catalog.Basis) []string {
	out := make([]string, 0, len(bs))
	for _, b := range bs {
		s := b.Title + b.Ref
		out = append(out, strings.TrimSpace(s))
	}
	return out
}
