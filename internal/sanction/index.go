package sanction

import (
	"context"
	"maps"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"

	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/credit"
)

// membership is one way a subject or a person is on a list: as the listed
// subject (via "") or as one of its responsible persons (via = role).
type membership struct {
	entry *Entry
	lt    *catalog.ListType
	via   string
	// suspended names what is under verification ("" when nothing is):
	// the entry itself or one of its basis records.
	suspended string
}

// snapshot is an immutable view of everything a check reads. Checks load
// it with one atomic read and never lock.
type snapshot struct {
	version   int64
	bySubject map[string][]membership // subject ID → memberships as the subject
	byPerson  map[string][]membership // ID-number hash → memberships as a responsible person
	names     map[string][]string     // normalised name → listed subject IDs
	display   map[string]string       // subject ID → current name
	notThis   map[string]map[string]bool
	nameKeys  []string // sorted keys of names, for substring matching
}

// index holds the hit-check snapshot and the state it is built from. One
// writer (refresh, under mu) applies changes in data-version order and
// swaps in a new snapshot; readers only load the pointer.
//
// The first load builds the snapshot in full. Later changes touch only
// the subjects and persons they concern: the maps are copied (a shallow
// copy of 50k entries takes milliseconds) and those keys recomputed, so a
// change is served within milliseconds of being read whatever the size.
type index struct {
	cur atomic.Pointer[snapshot]

	mu        sync.Mutex
	cat       *catalog.Catalog
	version   int64
	entries   map[string]*Entry
	marks     map[string]bool // "record:<id>" / "entry:<id>" → under verification
	decisions map[string]map[string]bool

	// Reverse indexes for incremental updates.
	subjEntries   map[string][]string // subject ID → entry IDs
	personEntries map[string][]string // ID-number hash → entry IDs
	recordEntries map[string][]string // basis record ID → entry IDs
	subjNameKeys  map[string][]string // subject ID → name keys in the snapshot
}

func newIndex(cat *catalog.Catalog) *index {
	x := &index{cat: cat, entries: make(map[string]*Entry), marks: make(map[string]bool), decisions: make(map[string]map[string]bool),
		subjEntries: make(map[string][]string), personEntries: make(map[string][]string),
		recordEntries: make(map[string][]string), subjNameKeys: make(map[string][]string)}
	x.cur.Store(&snapshot{})
	return x
}

func (x *index) load() *snapshot { return x.cur.Load() }

// refresh loads everything after the last version seen and swaps in a new
// snapshot if anything changed.
func (x *index) refresh(ctx context.Context, st credit.SanctionStore) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	v, err := st.SanctionVersion(ctx)
	if err != nil {
		return err
	}
	if v == x.version {
		return nil
	}
	after := x.version
	events, err := st.ListEvents(ctx, after, 0)
	if err != nil {
		return err
	}
	marks, err := st.Verifications(ctx, after, 0)
	if err != nil {
		return err
	}
	decisions, err := st.NameDecisions(ctx, after, 0)
	if err != nil {
		return err
	}
	subjects := make(map[string]bool)
	persons := make(map[string]bool)
	touch := func(e *Entry) {
		subjects[e.SubjectID] = true
		for _, p := range e.Detail.Persons {
			if p.IDHash != "" {
				persons[p.IDHash] = true
			}
		}
	}
	for _, ev := range events {
		e := x.entries[ev.EntryID]
		if e == nil {
			e = &Entry{ID: ev.EntryID, List: ev.List, SubjectID: ev.SubjectID}
			x.subjEntries[e.SubjectID] = append(x.subjEntries[e.SubjectID], e.ID)
		} else {
			c := *e // entries already in a snapshot are never mutated
			e = &c
		}
		apply(e, ev)
		// The index keeps an entry's current state, not its history: the
		// history is most of an entry's memory, which the collector would
		// mark on every cycle of a node answering checks. Entry reads it.
		e.Events = nil
		if ev.Step == credit.StepProposed {
			for _, p := range e.Detail.Persons {
				if p.IDHash != "" {
					x.personEntries[p.IDHash] = append(x.personEntries[p.IDHash], e.ID)
				}
			}
			for _, r := range e.Detail.BasisRecords {
				x.recordEntries[r] = append(x.recordEntries[r], e.ID)
			}
		}
		x.entries[ev.EntryID] = e
		touch(e)
	}
	for _, m := range marks {
		x.marks[m.TargetKind+":"+m.TargetID] = m.Active
		var ids []string
		if m.TargetKind == credit.VerifyEntry {
			ids = []string{m.TargetID}
		} else {
			ids = x.recordEntries[m.TargetID]
		}
		for _, id := range ids {
			if e := x.entries[id]; e != nil {
				touch(e)
			}
		}
	}
	for _, d := range decisions {
		if x.decisions[d.NameKey] == nil {
			x.decisions[d.NameKey] = make(map[string]bool)
		}
		x.decisions[d.NameKey][d.SubjectID] = true
	}
	// Reading the version first and the rows after may load rows newer
	// than v; remember the highest seq actually applied.
	nv := v
	for _, ev := range events {
		nv = max(nv, ev.Seq)
	}
	for _, m := range marks {
		nv = max(nv, m.Seq)
	}
	for _, d := range decisions {
		nv = max(nv, d.Seq)
	}
	x.version = nv
	old := x.cur.Load()
	if old.bySubject == nil {
		x.cur.Store(x.build())
		return nil
	}
	x.cur.Store(x.update(old, subjects, persons, len(decisions) > 0))
	return nil
}

// membershipsOf computes the memberships of the given entries, through a
// responsible person's ID hash when person is set.
func (x *index) membershipsOf(ids []string, person string) []membership {
	var out []membership
	for _, id := range ids {
		e := x.entries[id]
		if e == nil || e.State != credit.StepDecided {
			continue
		}
		lt, err := x.cat.List(e.List)
		if err != nil {
			continue // a list type dropped from the catalogue lists no one
		}
		m := membership{entry: e, lt: lt, suspended: x.suspension(e)}
		if person != "" {
			found := false
			for _, p := range e.Detail.Persons {
				if p.IDHash == person {
					m.via, found = p.Role, true
					break
				}
			}
			if !found {
				continue
			}
		}
		out = append(out, m)
	}
	return out
}

// nameKeysOf returns the name keys under which a subject is found, and its
// display name, from its listed (decided) entries.
func (x *index) nameKeysOf(subject string, ms []membership) ([]string, string) {
	var keys []string
	display := ""
	for _, m := range ms {
		d := m.entry.Detail
		if d.SubjectKind == credit.Person {
			continue
		}
		for _, n := range append([]string{d.SubjectName}, d.FormerNames...) {
			if k := NameKey(n); k != "" && !contains(keys, k) {
				keys = append(keys, k)
			}
		}
		if d.SubjectName != "" {
			display = d.SubjectName
		}
	}
	return keys, display
}

// build makes a snapshot from the writer state. Removed entries stay in
// x.entries (for the console) but not in the snapshot; expired ones stay in
// it and are dropped by the check's own clock, so expiry needs no write.
func (x *index) build() *snapshot {
	s := &snapshot{
		version:   x.version,
		bySubject: make(map[string][]membership),
		byPerson:  make(map[string][]membership),
		names:     make(map[string][]string),
		display:   make(map[string]string),
		notThis:   x.copyDecisions(),
	}
	for subj, ids := range x.subjEntries {
		ms := x.membershipsOf(ids, "")
		if len(ms) == 0 {
			continue
		}
		s.bySubject[subj] = ms
		keys, display := x.nameKeysOf(subj, ms)
		x.subjNameKeys[subj] = keys
		for _, k := range keys {
			s.names[k] = append(s.names[k], subj)
		}
		if display != "" {
			s.display[subj] = display
		}
	}
	for h, ids := range x.personEntries {
		if ms := x.membershipsOf(ids, h); len(ms) > 0 {
			s.byPerson[h] = ms
		}
	}
	s.nameKeys = sortedKeys(s.names)
	return s
}

// update makes a new snapshot from old, recomputing only the given
// subjects and persons.
func (x *index) update(old *snapshot, subjects, persons map[string]bool, decisions bool) *snapshot {
	s := &snapshot{version: x.version, bySubject: old.bySubject, byPerson: old.byPerson, names: old.names,
		display: old.display, notThis: old.notThis, nameKeys: old.nameKeys}
	if decisions {
		s.notThis = x.copyDecisions()
	}
	if len(subjects) > 0 {
		s.bySubject = maps.Clone(old.bySubject)
		s.display = maps.Clone(old.display)
		s.names = maps.Clone(old.names)
		keysChanged := false
		for subj := range subjects {
			ms := x.membershipsOf(x.subjEntries[subj], "")
			if len(ms) == 0 {
				delete(s.bySubject, subj)
				delete(s.display, subj)
			} else {
				s.bySubject[subj] = ms
			}
			keys, display := x.nameKeysOf(subj, ms)
			if display != "" {
				s.display[subj] = display
			}
			for _, k := range x.subjNameKeys[subj] {
				if !contains(keys, k) {
					rest := slices.DeleteFunc(slices.Clone(s.names[k]), func(id string) bool { return id == subj })
					if len(rest) == 0 {
						delete(s.names, k)
						keysChanged = true
					} else {
						s.names[k] = rest
					}
				}
			}
			for _, k := range keys {
				if !contains(s.names[k], subj) {
					if _, ok := s.names[k]; !ok {
						keysChanged = true
					}
					s.names[k] = append(slices.Clone(s.names[k]), subj)
				}
			}
			x.subjNameKeys[subj] = keys
		}
		if keysChanged {
			s.nameKeys = sortedKeys(s.names)
		}
	}
	if len(persons) > 0 {
		s.byPerson = maps.Clone(old.byPerson)
		for h := range persons {
			if ms := x.membershipsOf(x.personEntries[h], h); len(ms) > 0 {
				s.byPerson[h] = ms
			} else {
				delete(s.byPerson, h)
			}
		}
	}
	return s
}

// copyDecisions copies the name decisions for a snapshot: the writer keeps
// adding to its own maps, which readers must never see change.
func (x *index) copyDecisions() map[string]map[string]bool {
	out := make(map[string]map[string]bool, len(x.decisions))
	for k, v := range x.decisions {
		out[k] = maps.Clone(v)
	}
	return out
}

func sortedKeys(m map[string][]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// suspension says what of e is under verification, or "".
func (x *index) suspension(e *Entry) string {
	if x.marks[credit.VerifyEntry+":"+e.ID] {
		return "list entry " + e.ID
	}
	for _, r := range e.Detail.BasisRecords {
		if x.marks[credit.VerifyRecord+":"+r] {
			return "basis record " + r
		}
	}
	return ""
}

func (x *index) underVerification(e *Entry) string {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.suspension(e)
}

// entries lists entries of a list, newest change first.
func (x *index) listEntries(list string, limit int) []*Entry {
	x.mu.Lock()
	var out []*Entry
	for _, e := range x.entries {
		if list == "" || e.List == list {
			out = append(out, e)
		}
	}
	x.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].Seq > out[j].Seq })
	if len(out) > limit {
		out = out[:limit]
	}
	return out
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// NameKey normalises a name for matching: full-width forms to half-width,
// Chinese brackets to ASCII ones, spaces removed, letters lower-cased.
func NameKey(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case r == 0x3000 || unicode.IsSpace(r):
			continue
		case r >= 0xFF01 && r <= 0xFF5E:
			r -= 0xFEE0
		case r == '【' || r == '〔' || r == '［':
			r = '('
		case r == '】' || r == '〕' || r == '］':
			r = ')'
		}
		switch r {
		case '[':
			r = '('
		case ']':
			r = ')'
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

// now returns the clock of a check.
func nowOf(f func() time.Time) time.Time {
	if f != nil {
		return f().UTC()
	}
	return time.Now().UTC()
}
