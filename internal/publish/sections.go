package publish

import (
	"context"
	"slices"
	"time"

	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/credit"
)

// Section is one tab of a subject's public page (and section of a credit
// report), in the order of the national public credit report. It shows the
// records of its items and the list entries (名单) of its list kinds.
type Section struct {
	Code   string   `json:"code"`
	Name   string   `json:"name"`
	NameEn string   `json:"name_en"`
	Items  []string `json:"items"`
	// Lists are the kinds of list whose entries in force the section
	// shows: one membership, as the hit check and the list pages hold it.
	Lists []catalog.ListKind `json:"lists,omitempty"`
	// Placeholder marks a section whose feature is not built yet.
	Placeholder bool `json:"placeholder,omitempty"`
}

// Sections lists the subject page's tabs after 基本信息, which shows the
// subject's registration data. Items not named here are not shown on the
// portal. Records of a list decided elsewhere (a court's 失信被执行人) are
// shown as the entries they are (catalog.Catalog.EntryOnly), not twice.
var Sections = []Section{
	{Code: "blacklist", Name: "严重失信主体名单", NameEn: "Serious dishonesty lists", Lists: []catalog.ListKind{catalog.ListBlack}},
	{Code: "penalties", Name: "行政处罚", NameEn: "Administrative penalties", Items: []string{"admin_penalty", "admin_compulsion"}},
	{Code: "abnormal", Name: "经营异常", NameEn: "Abnormal operations", Items: []string{"abnormal_operation"}, Lists: []catalog.ListKind{catalog.ListAbnormal}},
	{Code: "licences", Name: "行政许可", NameEn: "Administrative licences", Items: []string{"admin_licence"}},
	{Code: "honesty", Name: "诚实守信", NameEn: "Honesty and honours", Items: []string{"honour", "contract_performance"}, Lists: []catalog.ListKind{catalog.ListRed}},
	{Code: "commitments", Name: "信用承诺", NameEn: "Credit commitments", Items: []string{"credit_commitment", "false_commitment"}},
	{Code: "evaluation", Name: "信用评价", NameEn: "Credit evaluation", Placeholder: true},
}

// SectionOf returns the code of the section an item's records are shown
// in, or "".
func SectionOf(item string) string {
	for _, s := range Sections {
		if slices.Contains(s.Items, item) {
			return s.Code
		}
	}
	return ""
}

// MarkSource tells the engine which records carry workflow marks. The
// objection and repair workflows will provide one backed by storage.
type MarkSource interface {
	Marks(ctx context.Context, recordIDs []string) (map[string]Marks, error)
}

// NoMarks is the mark source while no workflow exists: nothing is marked.
type NoMarks struct{}

// Marks returns no marks.
func (NoMarks) Marks(context.Context, []string) (map[string]Marks, error) { return nil, nil }

// File decides every record chain of a subject for aud and returns the
// visible ones, newest decision first.
func (e *Engine) File(ctx context.Context, states []credit.State, subj *credit.Subject, aud Audience, ms MarkSource) ([]Decision, error) {
	if ms == nil {
		ms = NoMarks{}
	}
	ids := make([]string, 0, len(states))
	for _, st := range states {
		ids = append(ids, st.Origin)
	}
	marks, err := ms.Marks(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make([]Decision, 0, len(states))
	for i := len(states) - 1; i >= 0; i-- {
		d := e.Decide(states[i], subj, aud, marks[states[i].Origin])
		if d.Visible {
			out = append(out, d)
		}
	}
	return out, nil
}

// SectionView is one section with the entries an audience sees.
type SectionView struct {
	Section
	Entries []Decision `json:"entries"`
}

// SectionsOf sorts the visible records of a subject's file, and the list
// entries in force on it (from Entries, the sanction service), into the
// portal's sections. Records of items outside every section are left out
// of the public and shared views; the owner and the administrator find them
// in an "other" section. A record that is the report of a list entry (a
// court's 失信被执行人) is shown as that entry.
func (e *Engine) SectionsOf(ctx context.Context, states []credit.State, subj *credit.Subject, aud Audience, ms MarkSource) ([]SectionView, error) {
	if ms == nil {
		ms = NoMarks{}
	}
	if aud == Public && subj != nil && !PublicSubject(subj.Kind) {
		return nil, credit.E("publish.SectionsOf", credit.NotFound, "natural persons are not published")
	}
	ds, err := e.File(ctx, states, subj, aud, ms)
	if err != nil {
		return nil, err
	}
	out := make([]SectionView, 0, len(Sections)+1)
	for _, s := range Sections {
		out = append(out, SectionView{Section: s, Entries: []Decision{}})
	}
	shown := map[string]bool{}        // origins of records shown, by section
	reported := map[string]Decision{} // records shown as the entries they make
	other := SectionView{Section: Section{Code: "other", Name: "其他", NameEn: "Other"}, Entries: []Decision{}}
	for _, d := range ds {
		if e.Catalog.EntryOnly(d.Item) {
			reported[d.Origin] = d
			continue
		}
		code := SectionOf(d.Item)
		placed := false
		for i := range out {
			if out[i].Code == code && code != "" {
				out[i].Entries = append(out[i].Entries, d)
				shown[code+"\x00"+d.Origin] = true
				placed = true
			}
		}
		if !placed && (aud == Admin || aud == Audit || aud == Self) {
			other.Entries = append(other.Entries, d)
		}
	}
	if subj != nil && e.Entries != nil {
		les, err := e.Entries.SubjectEntries(ctx, subj.ID, e.now())
		if err != nil {
			return nil, err
		}
		decided, err := e.entryDecisions(ctx, les, aud, ms)
		if err != nil {
			return nil, err
		}
		for i, le := range les {
			d, ok := decided[i]
			if !ok {
				continue
			}
			lt, err := e.Catalog.List(le.List)
			if err != nil {
				continue
			}
			for j := range out {
				if !slices.Contains(out[j].Lists, lt.Kind) {
					continue
				}
				// An entry reported as a record the section already shows
				// (an honour that is an A级纳税人 listing) is not repeated:
				// the record says that it is the list's entry.
				if le.Reported && len(le.BasisRecords) > 0 && shown[out[j].Code+"\x00"+le.BasisRecords[0]] {
					for k := range out[j].Entries {
						if rd := &out[j].Entries[k]; rd.Entry == nil && rd.Origin == le.BasisRecords[0] {
							rd.Entry = d.Entry
						}
					}
					continue
				}
				// An entry reported as a record shows the record's fields
				// as the audience may see them (the court's 案号, 义务...).
				if rd, ok := reported[le.EntryID]; ok && le.Reported {
					d.Fields, d.Severity, d.Domain = rd.Fields, rd.Severity, rd.Domain
				}
				out[j].Entries = append(out[j].Entries, d)
			}
		}
	}
	if len(other.Entries) > 0 {
		out = append(out, other)
	}
	return out, nil
}

// ListedEntry is a list entry in force, as the sanction service holds it:
// decided on the platform, or reported by the unit that decided it.
type ListedEntry struct {
	EntryID     string
	List        string // list type code
	SubjectID   string
	SubjectKind credit.SubjectKind
	Name        string
	Dept        string // the deciding unit
	DocNo       string // the decision document
	Grounds     string // 事由
	Since       time.Time
	Until       time.Time // zero: until removed
	// UnderVerification is set while an objection to the entry is checked.
	UnderVerification bool
	// BasisRecords are the origin IDs of the records the listing rests on:
	// their marks (repaired, bankruptcy-masked, under objection) carry over.
	BasisRecords []string
	// Reported is set for an entry decided outside the platform and
	// reported as the record BasisRecords[0].
	Reported bool
}

// EntrySource gives the list entries in force at now: those of a kind of
// list ("black", "red", "watch", "abnormal") in publication order, and
// those of one subject. The sanction service is the one source, so that
// list pages, subject pages and the hit check agree.
type EntrySource interface {
	ListedEntries(ctx context.Context, kind string, now time.Time) (ListedEntries, error)
	SubjectEntries(ctx context.Context, subjectID string, now time.Time) ([]ListedEntry, error)
}

// ListedEntries is a sequence of list entries read one at a time, so that a
// page of a list with tens of thousands of entries builds only the entries
// it looks at.
type ListedEntries interface {
	Len() int
	At(i int) ListedEntry
}

// entryDecision is the publication decision for a list entry in force: it
// is published for its period, except that natural persons are never
// public. m holds the marks of the entry and of its basis records: a
// repaired or bankruptcy-masked basis takes the entry off the public lists;
// an objection marks it.
func (e *Engine) entryDecision(le ListedEntry, aud Audience, m Marks) (Decision, bool) {
	if aud == Public && !PublicSubject(le.SubjectKind) {
		return Decision{}, false
	}
	if aud != Admin && aud != Audit && (m.Repaired || m.BankruptcyMasked) {
		return Decision{}, false
	}
	m.UnderObjection = m.UnderObjection || le.UnderVerification
	d := Decision{
		Visible: true, Published: PublicSubject(le.SubjectKind), RecordID: le.EntryID, Origin: le.EntryID, Item: le.List,
		PublishedFrom: le.Since, PublishedUntil: le.Until,
		Marks: m, Source: le.Dept, SourceCode: le.Dept, Entry: &le,
	}
	if dept, err := e.Catalog.Department(le.Dept); err == nil {
		d.Source = dept.Name
	}
	return d, true
}

// entryDecisions decides les for aud with their marks, read in one query;
// the result holds the visible ones by position.
func (e *Engine) entryDecisions(ctx context.Context, les []ListedEntry, aud Audience, ms MarkSource) (map[int]Decision, error) {
	var ids []string
	for _, le := range les {
		ids = append(append(ids, le.EntryID), le.BasisRecords...)
	}
	marks, err := ms.Marks(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := map[int]Decision{}
	for i, le := range les {
		if d, ok := e.entryDecision(le, aud, entryMarks(le, marks)); ok {
			out[i] = d
		}
	}
	return out, nil
}

// entryMarks merges the marks of an entry and of its basis records.
func entryMarks(le ListedEntry, marks map[string]Marks) Marks {
	m := marks[le.EntryID]
	for _, b := range le.BasisRecords {
		bm := marks[b]
		m.UnderObjection = m.UnderObjection || bm.UnderObjection
		m.UnderRepair = m.UnderRepair || bm.UnderRepair
		m.Repaired = m.Repaired || bm.Repaired
		m.BankruptcyMasked = m.BankruptcyMasked || bm.BankruptcyMasked
	}
	return m
}

// ListEntry is one published list entry.
type ListEntry struct {
	SubjectID string   `json:"subject_id"`
	Name      string   `json:"name"`
	Decision  Decision `json:"decision"`
}

// ListPage is one page of a published list.
type ListPage struct {
	Entries []ListEntry `json:"entries"`
	// Offset is the position of the page's first entry among the entries
	// aud sees; More says whether any follow the page.
	Offset int  `json:"offset"`
	More   bool `json:"more"`
}

// MaxListPage bounds a page of a published list, and MaxListOffset how far
// into it a page may start. A page is found by walking the list from its
// newest entry, so the offset bounds the work one public request can cause;
// a subject further down is found by name or code.
const (
	MaxListPage   = 500
	MaxListOffset = 10000
)

// listChunk is how many entries List decides per mark query. Marks are
// read for the entries a page needs, never for the whole list: a public
// list holds tens of thousands of entries, and the page is public.
const listChunk = 500

// ListKinds are the kinds of list the portal publishes.
var ListKinds = []catalog.ListKind{catalog.ListBlack, catalog.ListRed}

// List returns a page of the entries in force of the lists of kind
// ("black" or "red") as aud sees them now, in the sanction service's order
// (lists in catalogue order, newest decision first): the visible entries
// from offset, at most limit (0 or more than MaxListPage means
// MaxListPage). Every entry is decided by entryDecision with its marks, so
// a page holds exactly what the whole list would show at those positions.
func (e *Engine) List(ctx context.Context, kind string, aud Audience, ms MarkSource, offset, limit int) (ListPage, error) {
	return e.ListWhere(ctx, ListQuery{Kind: kind}, aud, ms, offset, limit)
}

// ListWhere is List narrowed by q: the entries of one list type, of a
// deciding department or region, listed within dates, or whose subject's
// name or decision document holds a text. The filter is applied to the
// entries in force before they are decided, so a filtered page holds
// exactly the entries the whole list shows that match, in its order.
func (e *Engine) ListWhere(ctx context.Context, q ListQuery, aud Audience, ms MarkSource, offset, limit int) (ListPage, error) {
	const op = "publish.List"
	kind := q.Kind
	if !slices.Contains(ListKinds, catalog.ListKind(kind)) {
		return ListPage{}, credit.Say(op, credit.NotFound, "没有“%s”类名单（现有：black 失信名单、red 红名单）", "no list kind %q (known: black, red)", kind)
	}
	if offset < 0 || offset > MaxListOffset {
		return ListPage{}, credit.Say(op, credit.Invalid, "起始位置%d超出0至%d的范围：名单靠后的主体请按名称或代码查询", "offset %d is outside 0 to %d: search by name or code for a subject further down the list", offset, MaxListOffset)
	}
	if limit <= 0 || limit > MaxListPage {
		limit = MaxListPage
	}
	if ms == nil {
		ms = NoMarks{}
	}
	out := ListPage{Entries: []ListEntry{}, Offset: offset}
	if e.Entries == nil {
		return out, nil
	}
	les, err := e.Entries.ListedEntries(ctx, kind, e.now())
	if err != nil {
		return ListPage{}, err
	}
	seen := 0 // visible entries passed so far
	for next := 0; next < les.Len(); {
		chunk := make([]ListedEntry, 0, min(listChunk, les.Len()-next))
		for len(chunk) < listChunk && next < les.Len() {
			if le := les.At(next); q.matches(e.Catalog, le) {
				chunk = append(chunk, le)
			}
			next++
		}
		decided, err := e.entryDecisions(ctx, chunk, aud, ms)
		if err != nil {
			return ListPage{}, err
		}
		for i, le := range chunk {
			d, ok := decided[i]
			if !ok {
				continue
			}
			if seen >= offset+limit {
				out.More = true
				return out, nil
			}
			if seen >= offset {
				out.Entries = append(out.Entries, ListEntry{SubjectID: le.SubjectID, Name: le.Name, Decision: d})
			}
			seen++
		}
	}
	return out, nil
}
