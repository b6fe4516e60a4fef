package sanction

import (
	"context"
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
type index struct {
	cur atomic.Pointer[snapshot]

	mu        sync.Mutex
	cat       *catalog.Catalog
	version   int64
	entries   map[string]*Entry
	marks     map[string]bool // "record:<id>" / "entry:<id>" → under verification
	decisions map[string]map[string]bool
}

func newIndex(cat *catalog.Catalog) *index {
	x := &index{cat: cat, entries: make(map[string]*Entry), marks: make(map[string]bool), decisions: make(map[string]map[string]bool)}
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
	for _, ev := range events {
		e := x.entries[ev.EntryID]
		if e == nil {
			e = &Entry{ID: ev.EntryID, List: ev.List, SubjectID: ev.SubjectID}
		} else {
			c := *e // entries already in a snapshot are never mutated
			c.Events = c.Events[:len(c.Events):len(c.Events)]
			e = &c
		}
		apply(e, ev)
		x.entries[ev.EntryID] = e
	}
	for _, m := range marks {
		x.marks[m.TargetKind+":"+m.TargetID] = m.Active
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
	x.cur.Store(x.build())
	return nil
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
		notThis:   x.decisions,
	}
	for _, e := range x.entries {
		if e.State != credit.StepDecided {
			continue
		}
		lt, err := x.cat.List(e.List)
		if err != nil {
			continue // a list type dropped from the catalogue lists no one
		}
		why := x.suspension(e)
		s.bySubject[e.SubjectID] = append(s.bySubject[e.SubjectID], membership{entry: e, lt: lt, suspended: why})
		for _, p := range e.Detail.Persons {
			if p.IDHash != "" {
				s.byPerson[p.IDHash] = append(s.byPerson[p.IDHash], membership{entry: e, lt: lt, via: p.Role, suspended: why})
			}
		}
		if e.Detail.SubjectKind != credit.Person {
			for _, n := range append([]string{e.Detail.SubjectName}, e.Detail.FormerNames...) {
				if k := NameKey(n); k != "" && !contains(s.names[k], e.SubjectID) {
					s.names[k] = append(s.names[k], e.SubjectID)
				}
			}
			s.display[e.SubjectID] = e.Detail.SubjectName
		}
	}
	s.nameKeys = make([]string, 0, len(s.names))
	for k := range s.names {
		s.nameKeys = append(s.nameKeys, k)
	}
	sort.Strings(s.nameKeys)
	return s
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
