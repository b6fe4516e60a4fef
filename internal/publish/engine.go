// Package publish is the publication engine: for every record, every
// audience and any moment it decides whether the record is visible and
// which fields are, masked how. Handlers, pages, reports and feeds ask it;
// none decides visibility on its own.
//
// The rules (rules.md §2, the catalogue's Publication and field scopes):
//
//   - Severity (轻微/一般/严重) is classified by the catalogue's rules for the
//     record's domain, which is its reporting department's (department
//     data: a market regulator's penalty falls under the market-regulation
//     rules), in WindowOf, the one function every other part calls.
//     A penalty of several types takes its most severe type, so the longest
//     period; a term attached to the decision extends the window.
//   - The window runs from the decision date; publication stops by itself at
//     its maximum. A class the rules do not publish is never public.
//   - Natural persons are never public (PublicSubject).
//   - Revoked chains are never public or shared; a repaired or
//     bankruptcy-masked record is neither public nor shared.
//   - Records under objection or under repair stay visible and are marked.
//
// Audiences:
//
//	public       社会公开 fields only, inside the publication window, masked.
//	gov          政务共享: public and gov fields, masked. Sharing lasts as long
//	             as the publication window: the maximum ends the record's use
//	             as 失信 information, not only its display. A class that is
//	             not published (轻微) is still shared for MinorShareMonths,
//	             because the deciding departments need it for repeat-offence
//	             judgments. Licences, honours and registration are shared
//	             without end.
//	institution  授权查询: an institution reading under the subject's grant
//	             (auth.Grants: purpose, scope, validity, uses), the gov
//	             rule, kept to the grant's scope by the caller; without a
//	             grant an institution is the public (api, report).
//	subject      the subject itself: every field of its own records, always,
//	             revoked and repaired ones too, with marks; nothing of others.
//	admin        everything.
package publish

import (
	"sort"
	"strings"
	"time"

	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/pii"
	"github.com/xinyong/xinyong/internal/uscc"
)

// Audience is who is looking.
type Audience string

const (
	Public      Audience = "public"      // 社会公开
	Gov         Audience = "gov"         // 政务共享
	Institution Audience = "institution" // 授权查询
	Self        Audience = "subject"     // the subject itself
	Admin       Audience = "admin"
	// Audit is the auditor's view: every record, as Admin sees them, but
	// masked like government sharing (an auditor checks what was done,
	// not who a person is).
	Audit Audience = "audit"
)

// Audiences lists every audience, for tables and tests.
var Audiences = []Audience{Public, Gov, Institution, Self, Admin, Audit}

// Valid reports whether a is a known audience.
func (a Audience) Valid() bool {
	for _, b := range Audiences {
		if a == b {
			return true
		}
	}
	return false
}

// Marks are workflow states of a record that change what is shown. The
// objection and repair workflows fill them from storage; until then they
// are empty.
type Marks struct {
	UnderObjection   bool `json:"under_objection,omitempty"`   // 异议处理中
	UnderRepair      bool `json:"under_repair,omitempty"`      // 信用修复中
	Repaired         bool `json:"repaired,omitempty"`          // 已修复: publication and sharing end
	BankruptcyMasked bool `json:"bankruptcy_masked,omitempty"` // 破产重整/和解屏蔽
}

// Any reports whether any mark is set.
func (m Marks) Any() bool {
	return m.UnderObjection || m.UnderRepair || m.Repaired || m.BankruptcyMasked
}

// Reason says why a decision came out as it did, in stable codes.
type Reason string

const (
	InWindow        Reason = "in_window"         // published and within its window
	OpenEnded       Reason = "open_ended"        // published while valid (licences, honours)
	NotYet          Reason = "not_yet"           // before the decision date
	WindowEnded     Reason = "window_ended"      // the maximum period has passed
	NotPublished    Reason = "not_published"     // the rules do not publish this class
	PersonNotPublic Reason = "person_not_public" // a natural person's 失信 information
	Revoked         Reason = "revoked"           // the decision was revoked
	Repaired        Reason = "repaired"          // credit repair ended publication
	Bankruptcy      Reason = "bankruptcy_masked" // masked during court-approved reorganisation
	UnknownItem     Reason = "unknown_item"      // the item is not in the catalogue
	NotOwn          Reason = "not_own_record"    // a subject asking for another's record
	SharedMinor     Reason = "shared_minor"      // unpublished class, shared within MinorShareMonths
	OwnRecord       Reason = "own_record"        // the subject's own file
	AdminView       Reason = "admin"
	BadAudience     Reason = "unknown_audience"
)

// VisibleField is one field as the audience sees it.
type VisibleField struct {
	Code    string `json:"code"`
	Label   string `json:"label"`
	LabelEn string `json:"label_en"`
	Value   string `json:"value"`
	Masked  bool   `json:"masked,omitempty"`
}

// Decision is what the engine decided for one record and audience.
type Decision struct {
	Visible  bool            `json:"visible"`
	Reason   Reason          `json:"reason"`
	RecordID string          `json:"record_id"`
	Origin   string          `json:"origin"`
	Item     string          `json:"item"`
	Severity credit.Severity `json:"severity,omitempty"`
	Domain   string          `json:"domain"`
	// Published says whether the rules publish this record to the public at
	// all (class, person, conditions), whatever the moment.
	Published bool `json:"published"`
	// PublishedFrom is the decision date; RepairableFrom the end of the
	// minimum period; PublishedUntil the end of the maximum period
	// (exclusive). A zero PublishedUntil means no fixed end.
	PublishedFrom  time.Time      `json:"published_from,omitzero"`
	RepairableFrom time.Time      `json:"repairable_from,omitzero"`
	PublishedUntil time.Time      `json:"published_until,omitzero"`
	Fields         []VisibleField `json:"fields,omitempty"`
	Marks          Marks          `json:"marks,omitzero"`
	Revoked        bool           `json:"revoked,omitempty"`
	// Source is the reporting department (数据来源).
	Source     string `json:"source"`
	SourceCode string `json:"source_code"`
	// Entry is set when the decision is about a list entry, not a record.
	Entry *ListedEntry `json:"entry,omitempty"`
}

// Engine decides publication. The zero clock is time.Now.
type Engine struct {
	Catalog *catalog.Catalog
	Now     func() time.Time
	// MinorShareMonths is how long an unpublished (轻微) record is shared
	// between departments; 0 means 3 months.
	MinorShareMonths int
	// Entries gives the list entries in force (the sanction service);
	// nil for none.
	Entries EntrySource
	// Sealer opens personal fields (ID numbers, sealed at rest) for the
	// audiences entitled to them, administrators and the subject itself;
	// nil shows them masked to everyone.
	Sealer *pii.Sealer
}

// New returns an engine over cat with the clock now (nil = time.Now).
func New(cat *catalog.Catalog, now func() time.Time) *Engine {
	return &Engine{Catalog: cat, Now: now}
}

func (e *Engine) now() time.Time {
	if e.Now != nil {
		return e.Now()
	}
	return time.Now()
}

// Window is the publication window of a record as the engine computes it:
// the one classification of a record that every part of the platform uses
// (records when storing it, the publication engine, list criteria, repair
// eligibility, reports).
type Window struct {
	Severity credit.Severity
	// Domain is the reporting department's regulatory domain
	// (catalog.DeptDomain): a record's rules are its reporter's.
	Domain    string
	Published bool
	// From is the decision date; MinEnd the end of the minimum period
	// (repairable from then); MaxEnd the end of the maximum period (zero:
	// no fixed end). Ends are exclusive instants at midnight China time.
	From, MinEnd    time.Time
	MaxEnd          time.Time
	PersonDishonest bool
}

// WindowOf classifies a record of item it: its domain from its reporting
// department, its severity under that domain's rules, its publication
// window from its decision date. subj may be nil. It is the one home of
// these rules: call it, never catalog.Item.Severity or Window directly.
func WindowOf(cat *catalog.Catalog, it *catalog.Item, rec *credit.Record, subj *credit.Subject) Window {
	dom := cat.DeptDomain(rec.Dept)
	sev := it.Severity(rec.Fields, dom)
	from, minEnd, maxEnd, published := it.Window(rec.Fields, sev, dom, rec.DecidedOn)
	w := Window{Severity: sev, Domain: dom, Published: published, From: from, MinEnd: minEnd, MaxEnd: maxEnd}
	if sev != credit.SeverityNone && isPerson(it, rec, subj) {
		w.PersonDishonest = true
	}
	return w
}

// ReportDeadline is how many working days after its decision a record of
// item reported by dept must be reported and published (双公示: 7; market
// regulation: 20); 0 = no deadline. Timeliness figures count against it.
func ReportDeadline(cat *catalog.Catalog, it *catalog.Item, dept string) int {
	return it.PublishWithinWorkdays(cat.DeptDomain(dept))
}

// PublicSubject reports whether anything about a subject of kind k may be
// shown to the public: organisations and individual businesses, yes;
// natural persons, never (rules.md §2: natural persons' information is not
// published on the portal; the platform keeps persons off every public page,
// list, search and answer). It is the one place that decides it.
func PublicSubject(k credit.SubjectKind) bool { return k != credit.Person }

// InForce says whether the record chain st counts against its subject as
// 失信 information, and over which window (from its decision date to the
// end of its maximum period, zero for no fixed end): a revoked, repaired
// or bankruptcy-masked record does not count, nor one that is no 失信
// information or that the rules never publish. Red-list bars read it.
func (e *Engine) InForce(st credit.State, subj *credit.Subject, m Marks) (Window, bool) {
	if st.Revoked || m.Repaired || m.BankruptcyMasked {
		return Window{}, false
	}
	it, err := e.Catalog.Item(st.Current.Item)
	if err != nil {
		return Window{}, false
	}
	w := e.WindowOf(it, &st.Current, subj)
	return w, w.Severity != credit.SeverityNone && w.Published
}

// WindowOf is the package's WindowOf over the engine's catalogue.
func (e *Engine) WindowOf(it *catalog.Item, rec *credit.Record, subj *credit.Subject) Window {
	return WindowOf(e.Catalog, it, rec, subj)
}

func isPerson(it *catalog.Item, rec *credit.Record, subj *credit.Subject) bool {
	if subj != nil && subj.Kind == credit.Person {
		return true
	}
	if rec.Kind == credit.Person {
		return true
	}
	return it.SubjectKindOf(rec.Fields) == credit.Person
}

// Decide decides what aud sees of the record chain st, which belongs to
// subj (nil when unknown), at the engine's current time.
func (e *Engine) Decide(st credit.State, subj *credit.Subject, aud Audience, marks Marks) Decision {
	rec := &st.Current
	d := Decision{
		RecordID: rec.ID, Origin: st.Origin, Item: rec.Item, Marks: marks, Revoked: st.Revoked,
		SourceCode: rec.Dept, Source: rec.Dept,
	}
	if dept, err := e.Catalog.Department(rec.Dept); err == nil {
		d.Source = dept.Name
	}
	it, err := e.Catalog.Item(rec.Item)
	if err != nil {
		// Nothing outside the catalogue is published; its owner and the
		// administrator still see the raw fields.
		d.Reason = UnknownItem
		if aud == Admin || aud == Audit || (aud == Self && owns(subj, rec)) {
			d.Visible = true
			d.Fields = rawFields(rec.Fields, aud == Audit)
		}
		return d
	}
	if d.Source == rec.Dept && it.Keys.Authority != "" && rec.Fields[it.Keys.Authority] != "" {
		d.Source = rec.Fields[it.Keys.Authority]
	}
	w := e.WindowOf(it, rec, subj)
	d.Severity, d.Domain = w.Severity, w.Domain
	person := isPerson(it, rec, subj)
	d.Published = w.Published && !person
	d.PublishedFrom, d.RepairableFrom, d.PublishedUntil = w.From, w.MinEnd, w.MaxEnd
	if !w.Published {
		d.RepairableFrom, d.PublishedUntil = time.Time{}, time.Time{}
	}
	now := e.now()

	switch aud {
	case Admin:
		d.Visible, d.Reason = true, AdminView
		d.Fields = e.fieldsFor(it, rec, subj, catalog.ScopeAuthorised, false)
		return d
	case Audit:
		d.Visible, d.Reason = true, AdminView
		d.Fields = e.fieldsFor(it, rec, subj, catalog.ScopeAuthorised, true)
		return d
	case Self:
		if !owns(subj, rec) {
			d.Reason = NotOwn
			return d
		}
		d.Visible, d.Reason = true, OwnRecord
		d.Fields = e.fieldsFor(it, rec, subj, catalog.ScopeAuthorised, false)
		return d
	case Public, Gov, Institution:
	default:
		d.Reason = BadAudience
		return d
	}

	// Facts that end publication and sharing alike.
	switch {
	case st.Revoked:
		d.Reason = Revoked
		return d
	case marks.Repaired:
		d.Reason = Repaired
		return d
	case marks.BankruptcyMasked:
		d.Reason = Bankruptcy
		return d
	}
	if !w.From.IsZero() && now.Before(w.From) {
		d.Reason = NotYet
		return d
	}

	if aud == Public {
		switch {
		case !w.Published:
			d.Reason = NotPublished
		case person:
			d.Reason = PersonNotPublic
		case !w.MaxEnd.IsZero() && !now.Before(w.MaxEnd):
			d.Reason = WindowEnded
		default:
			d.Visible, d.Reason = true, InWindow
			if w.MaxEnd.IsZero() {
				d.Reason = OpenEnded
			}
			d.Fields = e.fieldsFor(it, rec, subj, catalog.ScopePublic, true)
		}
		return d
	}

	// Government sharing and authorised queries.
	end, reason := e.sharedEnd(w, rec)
	if reason == SharedMinor {
		d.PublishedUntil = end
	}
	if !end.IsZero() && !now.Before(end) {
		d.Reason = WindowEnded
		return d
	}
	d.Visible, d.Reason = true, reason
	d.Fields = e.fieldsFor(it, rec, subj, catalog.ScopeGov, true)
	return d
}

// sharedEnd is when sharing of a record with window w ends (zero: no
// fixed end) and why: 失信 information is shared as long as its
// publication window; an unpublished class (轻微) for MinorShareMonths;
// licences, honours and registration without end.
func (e *Engine) sharedEnd(w Window, rec *credit.Record) (time.Time, Reason) {
	switch {
	case w.Severity == credit.SeverityNone:
		return time.Time{}, OpenEnded
	case !w.Published:
		months := e.MinorShareMonths
		if months <= 0 {
			months = 3
		}
		start := w.From
		if start.IsZero() {
			start = rec.DecidedOn
		}
		return start.AddDate(0, months, 0), SharedMinor
	}
	return w.MaxEnd, InWindow
}

// Shared says whether the record chain st counts as information shared
// with government units at now (政务共享), by the rule Decide applies to the
// gov audience, without building its fields: revoked, repaired or
// bankruptcy-masked chains do not; nor before the decision date or after
// sharing ends. It returns the record's window, the end of its sharing
// (zero: no fixed end) and the reason. The evaluation reads records
// through it, so a record counts there exactly while departments see it.
func (e *Engine) Shared(st credit.State, subj *credit.Subject, m Marks, now time.Time) (w Window, end time.Time, reason Reason, ok bool) {
	it, err := e.Catalog.Item(st.Current.Item)
	if err != nil {
		return Window{}, time.Time{}, UnknownItem, false
	}
	return e.SharedIn(e.WindowOf(it, &st.Current, subj), st, m, now)
}

// SharedIn is Shared with the current record's window w given: what
// WindowOf gave for it under the engine's catalogue, kept from earlier
// (a file copy's memo).
func (e *Engine) SharedIn(w Window, st credit.State, m Marks, now time.Time) (Window, time.Time, Reason, bool) {
	switch {
	case st.Revoked:
		return w, time.Time{}, Revoked, false
	case m.Repaired:
		return w, time.Time{}, Repaired, false
	case m.BankruptcyMasked:
		return w, time.Time{}, Bankruptcy, false
	case !w.From.IsZero() && now.Before(w.From):
		return w, time.Time{}, NotYet, false
	}
	end, reason := e.sharedEnd(w, &st.Current)
	if !end.IsZero() && !now.Before(end) {
		return w, end, WindowEnded, false
	}
	return w, end, reason, true
}

func owns(subj *credit.Subject, rec *credit.Record) bool {
	return subj != nil && subj.ID == rec.SubjectID
}

var scopeRank = map[catalog.Scope]int{catalog.ScopePublic: 0, catalog.ScopeGov: 1, catalog.ScopeAuthorised: 2}

// fieldsFor lists the item's fields of the record that an audience cleared
// up to scope may see, in catalogue order, masked when mask is set. A
// sealed personal field is opened only when mask is not set (the audiences
// entitled to it) and the engine holds the key; otherwise its masked form
// is shown.
func (e *Engine) fieldsFor(it *catalog.Item, rec *credit.Record, subj *credit.Subject, scope catalog.Scope, mask bool) []VisibleField {
	person := isPerson(it, rec, subj)
	var out []VisibleField
	known := make(map[string]bool, len(it.Fields))
	for _, f := range it.Fields {
		known[f.Code] = true
		v, ok := rec.Fields[f.Code]
		if !ok || strings.TrimSpace(v) == "" {
			continue
		}
		r, ok := scopeRank[f.Publish]
		if !ok || r > scopeRank[scope] {
			continue
		}
		vf := VisibleField{Code: f.Code, Label: f.Label, LabelEn: f.LabelEn, Value: v}
		if pii.IsSealedField(v) {
			vf.Value, vf.Masked = pii.MaskedField(v), true
			if !mask && e.Sealer != nil {
				if clear, err := e.Sealer.OpenField(v); err == nil {
					vf.Value, vf.Masked = clear, false
				}
			}
			if vf.Masked && f.Mask == catalog.MaskHide {
				continue
			}
			out = append(out, vf)
			continue
		}
		if mask {
			switch f.Mask {
			case catalog.MaskHide:
				continue
			case catalog.MaskName:
				if person {
					vf.Value, vf.Masked = uscc.MaskName(v), true
				}
			case catalog.MaskIDNo:
				vf.Value, vf.Masked = uscc.MaskResidentID(v), true
			case catalog.MaskPhone:
				vf.Value, vf.Masked = MaskPhone(v), true
			}
		}
		out = append(out, vf)
	}
	if scope == catalog.ScopeAuthorised {
		// Fields kept under an older catalogue edition: only the subject and
		// the administrator see them, by code.
		for _, f := range rawFields(rec.Fields, mask) {
			if !known[f.Code] {
				out = append(out, f)
			}
		}
	}
	return out
}

// rawFields lists fields by code, for fields the catalogue does not name:
// a sealed value is never opened for them, and is masked like any other
// when mask is set.
func rawFields(fs credit.Fields, mask bool) []VisibleField {
	keys := make([]string, 0, len(fs))
	for k := range fs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]VisibleField, 0, len(keys))
	for _, k := range keys {
		v := fs[k]
		if pii.IsSealedField(v) || mask {
			v = pii.MaskedField(v)
		}
		out = append(out, VisibleField{Code: k, Label: k, LabelEn: k, Value: v})
	}
	return out
}

// MaskPhone keeps the first three and last four digits of a telephone
// number: 138****5678. Shorter numbers are masked entirely.
func MaskPhone(v string) string {
	rs := []rune(strings.TrimSpace(v))
	n := len(rs)
	if n <= 7 {
		return strings.Repeat("*", n)
	}
	return string(rs[:3]) + strings.Repeat("*", n-7) + string(rs[n-4:])
}

// Chains gives record chains whole (every fact, with history) to an
// audience that sees everything of them (Admin, Self), with each sealed
// personal field opened when the engine holds the key, masked otherwise:
// a sealed value (its cipher and keyed hash) never leaves the platform.
func (e *Engine) Chains(states []credit.State, aud Audience) []credit.State {
	out := make([]credit.State, len(states))
	for i, st := range states {
		st.Current = e.openRecord(st.Current, aud)
		hist := make([]credit.Record, len(st.History))
		for j, r := range st.History {
			hist[j] = e.openRecord(r, aud)
		}
		st.History = hist
		if st.RevokedBy != nil {
			r := e.openRecord(*st.RevokedBy, aud)
			st.RevokedBy = &r
		}
		out[i] = st
	}
	return out
}

// openRecord is rec with its sealed fields opened for Admin and Self, and
// masked for anyone else.
func (e *Engine) openRecord(rec credit.Record, aud Audience) credit.Record {
	f := make(credit.Fields, len(rec.Fields))
	for k, v := range rec.Fields {
		if pii.IsSealedField(v) {
			open := ""
			if (aud == Admin || aud == Self) && e.Sealer != nil {
				open, _ = e.Sealer.OpenField(v)
			}
			if open == "" {
				open = pii.MaskedField(v)
			}
			v = open
		}
		f[k] = v
	}
	rec.Fields = f
	return rec
}
