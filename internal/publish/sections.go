package publish

import (
	"context"
	"time"

	"github.com/xinyong/xinyong/internal/credit"
)

// Section is one tab of a subject's public page (and section of a credit
// report), in the order of the national public credit report.
type Section struct {
	Code   string   `json:"code"`
	Name   string   `json:"name"`
	NameEn string   `json:"name_en"`
	Items  []string `json:"items"`
	// Placeholder marks a section whose feature is not built yet.
	Placeholder bool `json:"placeholder,omitempty"`
}

// Sections lists the subject page's tabs after 基本信息, which shows the
// subject's registration data. Items not named here are not shown on the
// portal.
var Sections = []Section{
	{Code: "licences", Name: "行政许可", NameEn: "Administrative licences", Items: []string{"admin_licence"}},
	{Code: "penalties", Name: "行政处罚", NameEn: "Administrative penalties", Items: []string{"admin_penalty", "admin_compulsion"}},
	{Code: "honesty", Name: "诚实守信", NameEn: "Honesty and honours", Items: []string{"honour", "contract_performance"}},
	{Code: "abnormal", Name: "经营异常", NameEn: "Abnormal operations", Items: []string{"abnormal_operation"}},
	{Code: "blacklist", Name: "严重失信主体名单", NameEn: "Serious dishonesty lists", Items: []string{"serious_dishonest_list", "court_defaulter"}},
	{Code: "commitments", Name: "信用承诺", NameEn: "Credit commitments", Items: []string{"credit_commitment"}},
	{Code: "evaluation", Name: "信用评价", NameEn: "Credit evaluation", Placeholder: true},
}

// SectionOf returns the code of the section an item is shown in, or "".
func SectionOf(item string) string {
	for _, s := range Sections {
		for _, it := range s.Items {
			if it == item {
				return s.Code
			}
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

// SectionsOf sorts the visible records of a subject's file into the
// portal's sections. Records of items outside every section are left out
// of the public and shared views; the owner and the administrator find them
// in an "other" section.
func (e *Engine) SectionsOf(ctx context.Context, states []credit.State, subj *credit.Subject, aud Audience, ms MarkSource) ([]SectionView, error) {
	ds, err := e.File(ctx, states, subj, aud, ms)
	if err != nil {
		return nil, err
	}
	out := make([]SectionView, 0, len(Sections)+1)
	for _, s := range Sections {
		out = append(out, SectionView{Section: s, Entries: []Decision{}})
	}
	other := SectionView{Section: Section{Code: "other", Name: "其他", NameEn: "Other"}, Entries: []Decision{}}
	for _, d := range ds {
		code := SectionOf(d.Item)
		placed := false
		for i := range out {
			if out[i].Code == code && code != "" {
				out[i].Entries = append(out[i].Entries, d)
				placed = true
			}
		}
		if !placed && (aud == Admin || aud == Self) {
			other.Entries = append(other.Entries, d)
		}
	}
	if len(other.Entries) > 0 {
		out = append(out, other)
	}
	return out, nil
}

// Lists are the reported records that the portal's list pages publish, by
// kind: records of list items for the black list and honours for the red
// list. List decisions made on the platform come from Engine.Entries.
var Lists = map[string][]string{
	"black": {"serious_dishonest_list", "court_defaulter"},
	"red":   {"honour"},
}

// ListedEntry is a list decision made on the platform, as the sanction
// service holds it.
type ListedEntry struct {
	EntryID     string
	List        string // list type code
	SubjectID   string
	SubjectKind credit.SubjectKind
	Name        string
	Dept        string // the deciding unit
	Since       time.Time
	Until       time.Time // zero: until removed
	// UnderVerification is set while an objection to the entry is checked.
	UnderVerification bool
	// BasisRecords are the origin IDs of the records the listing rests on:
	// their marks (repaired, bankruptcy-masked, under objection) carry over.
	BasisRecords []string
}

// EntrySource gives the list entries of a kind ("black", "red") in force at
// now, in publication order.
type EntrySource interface {
	ListedEntries(ctx context.Context, kind string, now time.Time) (ListedEntries, error)
}

// ListedEntries is a sequence of list entries read one at a time, so that a
// page of a list with tens of thousands of entries builds only the entries
// it looks at.
type ListedEntries interface {
	Len() int
	At(i int) ListedEntry
}

// entryDecision is the publication decision for a platform list entry: an
// entry in force is published to the public for its period, except a
// natural person's black-list entry, which the national rules keep off the
// portal unless PublishPersons is set. m holds the marks of the entry and of
// its basis records: a repaired or bankruptcy-masked basis takes the entry
// off the public lists; an objection marks it.
func (e *Engine) entryDecision(le ListedEntry, aud Audience, m Marks) (Decision, bool) {
	if aud == Public && le.SubjectKind == credit.Person && !e.PublishPersons {
		return Decision{}, false
	}
	if aud != Admin && (m.Repaired || m.BankruptcyMasked) {
		return Decision{}, false
	}
	m.UnderObjection = m.UnderObjection || le.UnderVerification
	return Decision{
		Visible: true, Published: true, RecordID: le.EntryID, Origin: le.EntryID, Item: le.List,
		PublishedFrom: le.Since, PublishedUntil: le.Until,
		Marks:  m,
		Source: le.Dept,
	}, true
}

// ListEntry is one published list entry.
type ListEntry struct {
	SubjectID string   `json:"subject_id"`
	Name      string   `json:"name"` // as published: masked for natural persons
	Decision  Decision `json:"decision"`
}

// ListStore is what List reads.
type ListStore interface {
	NewestRecordsByItems(ctx context.Context, items []string, beforeID string, limit int) ([]credit.Record, error)
	SubjectsByIDs(ctx context.Context, ids []string) (map[string]*credit.Subject, error)
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

// listChunk is how many candidates List decides per mark query. Marks are
// read for the candidates a page needs, never for the whole list: a public
// list holds tens of thousands of entries, and the page is public.
const listChunk = 500

// listCandidate is a reported list record (state) or a list decision made
// on the platform (entry), before its publication decision.
type listCandidate struct {
	state *credit.State
	entry *ListedEntry
}

// candidates are a list's reported records, newest chain first, then the
// platform's entries. Both are read as far as a page needs: the records a
// store page at a time, the entries one at a time.
type candidates struct {
	st    ListStore
	items []string

	states  []credit.State             // whole chains, newest original first
	pending map[string][]credit.Record // facts read, by the fact they supersede
	before  string                     // the oldest fact read
	drained bool                       // every fact of the items is read

	source  EntrySource // nil: no platform entries
	kind    string
	now     time.Time
	entries ListedEntries // from source, asked for when first needed
	built   []ListedEntry // entries.At(i), in order
}

// recordPage is how many facts candidates reads from the store at a time.
const recordPage = 1000

// at returns candidate i; ok is false past the last one.
func (c *candidates) at(ctx context.Context, i int) (cand listCandidate, ok bool, err error) {
	for i >= len(c.states) && !c.drained {
		if err := c.readRecords(ctx); err != nil {
			return listCandidate{}, false, err
		}
	}
	if i < len(c.states) {
		return listCandidate{state: &c.states[i]}, true, nil
	}
	i -= len(c.states)
	if c.entries == nil && c.source != nil {
		if c.entries, err = c.source.ListedEntries(ctx, c.kind, c.now); err != nil {
			return listCandidate{}, false, err
		}
	}
	if c.entries == nil || i >= c.entries.Len() {
		return listCandidate{}, false, nil
	}
	for len(c.built) <= i {
		c.built = append(c.built, c.entries.At(len(c.built)))
	}
	return listCandidate{entry: &c.built[i]}, true, nil
}

// readRecords reads the next store page of facts, newest first. A chain's
// later facts come after its original, so reading backwards a chain is
// whole once its original is read: its facts wait in pending until then,
// and Derive then gives exactly the state a derivation of every fact would.
// Facts whose original is never read (another item's chain) are left out,
// as Derive leaves them out.
func (c *candidates) readRecords(ctx context.Context) error {
	facts, err := c.st.NewestRecordsByItems(ctx, c.items, c.before, recordPage)
	if err != nil {
		return err
	}
	if c.pending == nil {
		c.pending = map[string][]credit.Record{}
	}
	for _, f := range facts {
		chain := append(c.pending[f.ID], f)
		delete(c.pending, f.ID)
		switch f.Fact {
		case credit.Original, "":
			c.states = append(c.states, credit.Derive(chain)...)
		case credit.Correction, credit.Revocation:
			c.pending[f.Supersedes] = append(c.pending[f.Supersedes], chain...)
		}
	}
	if len(facts) < recordPage {
		c.drained = true
	} else {
		c.before = facts[len(facts)-1].ID
	}
	return nil
}

// List returns a page of list kind ("black" or "red") as aud sees it now,
// newest reported records first, then the platform's list decisions: the
// visible entries from offset, at most limit (0 or more than MaxListPage
// means MaxListPage). Every entry is decided by Decide or entryDecision
// with its marks, so a page holds exactly what the whole list would show
// at those positions.
func (e *Engine) List(ctx context.Context, st ListStore, kind string, aud Audience, ms MarkSource, offset, limit int) (ListPage, error) {
	const op = "publish.List"
	items, ok := Lists[kind]
	if !ok {
		return ListPage{}, credit.E(op, credit.NotFound, "no list kind %q (known: black, red)", kind)
	}
	if offset < 0 || offset > MaxListOffset {
		return ListPage{}, credit.E(op, credit.Invalid, "offset %d is outside 0 to %d: search by name or code for a subject further down the list", offset, MaxListOffset)
	}
	if limit <= 0 || limit > MaxListPage {
		limit = MaxListPage
	}
	if ms == nil {
		ms = NoMarks{}
	}
	cands := &candidates{st: st, items: items, source: e.Entries, kind: kind, now: e.now()}

	out := ListPage{Entries: []ListEntry{}, Offset: offset}
	subjects := map[string]*credit.Subject{}
	seen := 0 // visible entries passed so far
	chunk := make([]listCandidate, 0, listChunk)
	for next := 0; ; {
		chunk = chunk[:0]
		for len(chunk) < listChunk {
			c, ok, err := cands.at(ctx, next)
			if err != nil {
				return ListPage{}, err
			}
			if !ok {
				break
			}
			chunk = append(chunk, c)
			next++
		}
		if len(chunk) == 0 {
			break
		}
		var ids, subjIDs []string
		for _, c := range chunk {
			if c.state != nil {
				ids = append(ids, c.state.Origin)
				if _, known := subjects[c.state.Current.SubjectID]; !known {
					subjIDs = append(subjIDs, c.state.Current.SubjectID)
				}
			} else {
				ids = append(append(ids, c.entry.EntryID), c.entry.BasisRecords...)
			}
		}
		marks, err := ms.Marks(ctx, ids)
		if err != nil {
			return ListPage{}, err
		}
		if len(subjIDs) > 0 {
			found, err := st.SubjectsByIDs(ctx, subjIDs)
			if err != nil {
				return ListPage{}, err
			}
			for _, id := range subjIDs {
				subjects[id] = found[id] // nil: no registration data, decided as unknown
			}
		}
		for _, c := range chunk {
			le, ok := e.listDecision(c, aud, marks, subjects)
			if !ok {
				continue
			}
			if seen >= offset+limit {
				out.More = true
				return out, nil
			}
			if seen >= offset {
				out.Entries = append(out.Entries, le)
			}
			seen++
		}
	}
	return out, nil
}

// listDecision decides one list candidate for aud; ok is false when aud
// does not see it. subjects holds the registration data of the reported
// records' subjects (nil for a subject the store does not hold).
func (e *Engine) listDecision(c listCandidate, aud Audience, marks map[string]Marks, subjects map[string]*credit.Subject) (ListEntry, bool) {
	if le := c.entry; le != nil {
		m := marks[le.EntryID]
		for _, b := range le.BasisRecords {
			bm := marks[b]
			m.UnderObjection = m.UnderObjection || bm.UnderObjection
			m.UnderRepair = m.UnderRepair || bm.UnderRepair
			m.Repaired = m.Repaired || bm.Repaired
			m.BankruptcyMasked = m.BankruptcyMasked || bm.BankruptcyMasked
		}
		d, ok := e.entryDecision(*le, aud, m)
		return ListEntry{SubjectID: le.SubjectID, Name: le.Name, Decision: d}, ok
	}
	s := c.state
	d := e.Decide(*s, subjects[s.Current.SubjectID], aud, marks[s.Origin])
	if !d.Visible {
		return ListEntry{}, false
	}
	name := ""
	if it, err := e.Catalog.Item(s.Current.Item); err == nil {
		for _, f := range d.Fields {
			if f.Code == it.Keys.SubjectName {
				name = f.Value
			}
		}
	}
	return ListEntry{SubjectID: s.Current.SubjectID, Name: name, Decision: d}, true
}
