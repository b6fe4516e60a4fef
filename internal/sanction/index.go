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

// snapshot is an immutable view of everything a check reads. Checks load
// it with one atomic read and never lock. Its tables hold no pointers (see
// table), so its size does not add to the collector's work.
type snapshot struct {
	version   int64
	bySubject table // subject ID → encoded memberships as the subject
	byPerson  table // ID-number hash → encoded memberships as a responsible person
	names     table // normalised name → listed subject IDs
	display   table // subject ID → current name
	notThis   map[string]map[string]bool
	// bars holds, for each red-list entry's subject and list ("subject\x00
	// list"), until when (Unix microseconds; math.MaxInt64 for no end) a
	// record in force bars the subject from that list (catalog.Bar). Few
	// subjects are on red lists, so a map copied on change serves.
	bars map[string]int64
	// personIDs: ID-number hash → subject ID of a listed natural person
	// whose ID is not credit.PersonID of the hash: one registered
	// under an earlier data key keeps the ID that key's hash derived. Empty
	// until a key has been rotated.
	personIDs table
}

// index holds the hit-check snapshot and the state it is built from. One
// writer (refresh, under mu) applies changes in data-version order and
// swaps in a new snapshot; readers only load the pointer.
//
// The first load builds the snapshot in full. Later changes touch only
// the subjects and persons they concern: the snapshot's tables are cloned
// (two flat arrays copied; the byte arena is shared, append-only) and
// those keys rewritten, so a change is served within milliseconds of being
// read whatever the size.
//
// The writer's own state is kept in tables too, entries encoded
// (encodeEntry) without their histories: a node answering checks carries
// every listed entry, and as Go values they were most of its heap.
type index struct {
	cur atomic.Pointer[snapshot]

	mu        sync.Mutex
	built     bool // the first refresh builds the snapshot in full
	cat       *catalog.Catalog
	version   int64
	entries   table           // entry ID → encoded entry (current state)
	marks     map[string]bool // "record:<id>" / "entry:<id>" under verification (active marks only)
	decisions map[string]map[string]bool

	// Reverse indexes for incremental updates, as lists of IDs.
	subjEntries   table // subject ID → entry IDs
	personEntries table // ID-number hash → entry IDs
	recordEntries table // basis record ID → entry IDs
	subjNameKeys  table // subject ID → name keys in the snapshot

	bars map[string]int64 // as in the snapshot; replaced, never changed in place
	// pendingBars are the subjects whose files changed while bars could
	// not be weighed (a refresh without a bar function: before the
	// workflows' marks are set); the next refresh with one weighs them.
	pendingBars map[string]bool

	// Listed natural persons' stored hashes, where they do not give the
	// subject ID (snapshot.personIDs), read from the store for the persons
	// each refresh touches.
	personIDs table // hash → subject ID
}

// isPerson tells a natural person's subject from an entry's events: by the
// kind recorded at proposal, or by the form of IDs given to persons.
func isPerson(subjectID string, kind credit.SubjectKind) bool {
	return kind == credit.Person || (kind == "" && strings.HasPrefix(subjectID, "P"))
}

func newIndex(cat *catalog.Catalog) *index {
	x := &index{cat: cat, entries: newTable(), marks: make(map[string]bool), decisions: make(map[string]map[string]bool),
		subjEntries: newTable(), personEntries: newTable(), recordEntries: newTable(), subjNameKeys: newTable(),
		personIDs: newTable()}
	x.cur.Store(&snapshot{})
	return x
}

func (x *index) load() *snapshot { return x.cur.Load() }

// entry returns the current state of an entry in the index, or nil.
func (x *index) entry(id string) *Entry {
	b, ok := x.entries.get(id)
	if !ok {
		return nil
	}
	return decodeEntry(b)
}

// barFunc gives, for each query, until when records in force bar its
// subject from its red list (zero: not barred; math.MaxInt64 microseconds
// for no end). It is asked for many subjects at once: a full load weighs
// every red entry's file.
type barFunc func(ctx context.Context, qs []barQuery) ([]int64, error)

// barQuery asks whether a subject's records bar it from red list lt.
type barQuery struct {
	subj string
	lt   *catalog.ListType
}

// indexStore is what the index reads: the change feed, the sanction
// tables, and listed persons' ID-number hashes.
type indexStore interface {
	credit.SanctionStore
	credit.ChangeFeed
	SubjectsByIDs(ctx context.Context, ids []string) (map[string]*credit.Subject, error)
}

// refresh follows the change feed from the last position read to its head
// and swaps in a new snapshot if anything the hit check reads changed:
// list events, verification marks and name decisions (whose seq is their
// feed position), and the records and cases of subjects on red lists,
// whose bars (catalog.Bar) bar may recompute. all recomputes every bar.
func (x *index) refresh(ctx context.Context, st indexStore, bar barFunc, all bool) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	head, err := st.ChangeHead(ctx)
	if err != nil {
		return err
	}
	if head == x.version && !all && (bar == nil || len(x.pendingBars) == 0) {
		return nil
	}
	after := x.version
	// Rows written after the head was read are left for the next refresh,
	// which reads from the head on: nothing between is skipped.
	events, err := st.ListEvents(ctx, after, 0)
	if err != nil {
		return err
	}
	events = upTo(events, head, func(e credit.ListEvent) int64 { return e.Seq })
	marks, err := st.Verifications(ctx, after, 0)
	if err != nil {
		return err
	}
	marks = upTo(marks, head, func(m credit.VerificationMark) int64 { return m.Seq })
	decisions, err := st.NameDecisions(ctx, after, 0)
	if err != nil {
		return err
	}
	decisions = upTo(decisions, head, func(d credit.NameDecision) int64 { return d.Seq })
	// The stored hashes of the natural persons these events list, read
	// before anything changes so that a failed read leaves the index as it
	// was.
	var ask []string
	asked := make(map[string]bool)
	for _, ev := range events {
		if !asked[ev.SubjectID] && isPerson(ev.SubjectID, ev.Detail.SubjectKind) {
			asked[ev.SubjectID] = true
			ask = append(ask, ev.SubjectID)
		}
	}
	personsChanged := false
	if len(ask) > 0 {
		subs, err := st.SubjectsByIDs(ctx, ask)
		if err != nil {
			return err
		}
		for _, sub := range subs {
			if h := sub.IDHash; len(h) >= 32 && sub.ID != credit.PersonID(h) {
				x.personIDs.put(h, []byte(sub.ID))
				personsChanged = true
			}
		}
	}
	// The subjects whose files changed: a red-list bar may start or end.
	files := map[string]bool{}
	if x.built && !all {
		for pos := after; pos < head; {
			cs, err := st.ChangesSince(ctx, pos, 10000, credit.ChangeRecord, credit.ChangeCase)
			if err != nil {
				return err
			}
			for _, c := range cs {
				if c.Pos <= head {
					files[c.SubjectID] = true
				}
			}
			if len(cs) < 10000 {
				break
			}
			pos = cs[len(cs)-1].Pos
		}
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
	// Events of one entry often come together (a first load reads every
	// entry's history): fold them in decoded form and encode each entry
	// once, at the end.
	changed := make(map[string]*Entry)
	var order []string
	for _, ev := range events {
		e := changed[ev.EntryID]
		if e == nil {
			if e = x.entry(ev.EntryID); e == nil {
				e = &Entry{ID: ev.EntryID, List: ev.List, SubjectID: ev.SubjectID}
				x.subjEntries.addID(e.SubjectID, e.ID)
			}
			changed[ev.EntryID] = e
			order = append(order, ev.EntryID)
		}
		first := e.State == ""
		apply(e, ev)
		// The index keeps an entry's current state, not its history: Entry
		// reads the history from the store.
		e.Events = nil
		if first {
			// The first event carries the persons and the basis.
			for _, p := range e.Detail.Persons {
				if p.IDHash != "" {
					x.personEntries.addID(p.IDHash, e.ID)
				}
			}
			for _, r := range e.Detail.BasisRecords {
				x.recordEntries.addID(r, e.ID)
			}
		}
		touch(e)
	}
	for _, id := range order {
		x.entries.put(id, encodeEntry(changed[id]))
	}
	for _, m := range marks {
		key := m.TargetKind + ":" + m.TargetID
		if m.Active {
			x.marks[key] = true
		} else {
			delete(x.marks, key)
		}
		var ids []string
		if m.TargetKind == credit.VerifyEntry {
			ids = []string{m.TargetID}
		} else {
			ids = x.recordEntries.ids(m.TargetID)
		}
		for _, id := range ids {
			if e := x.entry(id); e != nil {
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
	// Bars: every red entry's on a full load, else those of subjects whose
	// files or entries changed.
	barsChanged := false
	if !x.built || all {
		x.bars = map[string]int64{}
		barsChanged = true
		x.subjEntries.each(func(k, _ []byte) bool {
			files[string(k)] = true
			return true
		})
	}
	for subj := range subjects {
		files[subj] = true
	}
	if bar == nil {
		if x.pendingBars == nil {
			x.pendingBars = map[string]bool{}
		}
		for subj := range files {
			x.pendingBars[subj] = true
		}
	} else {
		for subj := range x.pendingBars {
			files[subj] = true
		}
	}
	if len(files) > 0 && bar != nil {
		nb, changed, err := x.barsFor(ctx, files, bar)
		if err != nil {
			return err
		}
		if changed {
			x.bars, barsChanged = nb, true
			for subj := range files {
				subjects[subj] = true
			}
		}
	}
	if bar != nil {
		x.pendingBars = nil // weighed above
	}
	x.version = head
	x.entries = x.entries.compacted()
	x.subjEntries = x.subjEntries.compacted()
	x.personEntries = x.personEntries.compacted()
	x.recordEntries = x.recordEntries.compacted()
	old := x.cur.Load()
	if !x.built || all {
		x.built = true
		x.cur.Store(x.build())
		return nil
	}
	s := x.update(old, subjects, persons, len(decisions) > 0 || barsChanged)
	if personsChanged {
		s.personIDs = x.personIDs.clone()
	}
	x.cur.Store(s)
	return nil
}

// upTo keeps the rows at or below position head.
func upTo[T any](rows []T, head int64, pos func(T) int64) []T {
	out := rows[:0]
	for _, r := range rows {
		if pos(r) <= head {
			out = append(out, r)
		}
	}
	return out
}

// barsFor recomputes the bars of the red entries of subjects and returns
// the new bars, and whether they differ from the current ones.
func (x *index) barsFor(ctx context.Context, subjects map[string]bool, bar barFunc) (map[string]int64, bool, error) {
	nb := maps.Clone(x.bars)
	if nb == nil {
		nb = map[string]int64{}
	}
	changed := false
	// The entries whose bars are weighed, then one batched question.
	type item struct {
		key   string
		query int // index into qs; -1: not weighed (until 0)
	}
	var items []item
	var qs []barQuery
	for subj := range subjects {
		for _, id := range x.subjEntries.ids(subj) {
			e := x.entry(id)
			if e == nil {
				continue
			}
			lt, err := x.cat.List(e.List)
			if err != nil || lt.Bar == nil {
				continue
			}
			it := item{key: subj + "\x00" + lt.Code, query: -1}
			if e.State == credit.StepDecided || e.State == credit.StepProposed || e.State == credit.StepNoticed {
				it.query = len(qs)
				qs = append(qs, barQuery{subj: subj, lt: lt})
			}
			items = append(items, it)
		}
	}
	var untils []int64
	if len(qs) > 0 {
		var err error
		if untils, err = bar(ctx, qs); err != nil {
			return nil, false, err
		}
	}
	for _, it := range items {
		key := it.key
		until := int64(0)
		if it.query >= 0 {
			until = untils[it.query]
		}
		if old, ok := nb[key]; ok != (until != 0) || old != until {
			changed = true
			if until == 0 {
				delete(nb, key)
			} else {
				nb[key] = until
			}
		}
	}
	return nb, changed, nil
}

// membershipsOf computes the memberships of the given entries, through a
// responsible person's ID hash when person is set, with the entries they
// come from.
func (x *index) membershipsOf(ids []string, person string) ([]membership, []*Entry) {
	var out []membership
	var es []*Entry
	for _, id := range ids {
		e := x.entry(id)
		if e == nil || e.State != credit.StepDecided {
			continue
		}
		lt, err := x.cat.List(e.List)
		if err != nil {
			continue // a list type dropped from the catalogue lists no one
		}
		m := membership{lt: lt, entryID: e.ID, docNo: e.DocNo, since: e.Detail.Since, until: e.Detail.Until, suspended: x.suspension(e)}
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
		es = append(es, e)
	}
	return out, es
}

// nameKeysOf returns the name keys under which a subject is found, and its
// display name, from its listed (decided) entries.
func nameKeysOf(es []*Entry) ([]string, string) {
	var keys []string
	display := ""
	for _, e := range es {
		d := e.Detail
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
	s := &snapshot{version: x.version, bySubject: newTable(), byPerson: newTable(), names: newTable(), display: newTable(),
		notThis: x.copyDecisions(), bars: x.bars, personIDs: x.personIDs.clone()}
	x.subjNameKeys = newTable()
	// Names gather in a map first: many subjects can share a name, and
	// adding them one at a time would rewrite its list each time.
	names := make(map[string][]string)
	x.subjEntries.each(func(k, v []byte) bool {
		subj := string(k)
		ms, es := x.membershipsOf(splitIDs(v), "")
		if len(ms) == 0 {
			return true
		}
		s.bySubject.put(subj, encodeMemberships(ms))
		keys, display := nameKeysOf(es)
		x.subjNameKeys.put(subj, joinIDs(keys))
		for _, k := range keys {
			names[k] = append(names[k], subj)
		}
		if display != "" {
			s.display.put(subj, []byte(display))
		}
		return true
	})
	for k, ids := range names {
		s.names.put(k, joinIDs(ids))
	}
	x.personEntries.each(func(k, v []byte) bool {
		h := string(k)
		if ms, _ := x.membershipsOf(splitIDs(v), h); len(ms) > 0 {
			s.byPerson.put(h, encodeMemberships(ms))
		}
		return true
	})
	return s
}

// update makes a new snapshot from old, recomputing only the given
// subjects and persons.
func (x *index) update(old *snapshot, subjects, persons map[string]bool, decisions bool) *snapshot {
	s := *old
	s.version = x.version
	s.bars = x.bars
	if decisions {
		s.notThis = x.copyDecisions()
	}
	if len(subjects) > 0 {
		s.bySubject = old.bySubject.clone()
		s.display = old.display.clone()
		s.names = old.names.clone()
		for subj := range subjects {
			ms, es := x.membershipsOf(x.subjEntries.ids(subj), "")
			s.bySubject.put(subj, encodeMemberships(ms)) // none: deleted
			keys, display := nameKeysOf(es)
			s.display.put(subj, []byte(display))
			for _, k := range x.subjNameKeys.ids(subj) {
				if !contains(keys, k) {
					rest := slices.DeleteFunc(s.names.ids(k), func(id string) bool { return id == subj })
					s.names.put(k, joinIDs(rest))
				}
			}
			for _, k := range keys {
				s.names.addID(k, subj)
			}
			x.subjNameKeys.put(subj, joinIDs(keys))
		}
		s.bySubject = s.bySubject.compacted()
		s.display = s.display.compacted()
		s.names = s.names.compacted()
		x.subjNameKeys = x.subjNameKeys.compacted()
	}
	if len(persons) > 0 {
		s.byPerson = old.byPerson.clone()
		for h := range persons {
			ms, _ := x.membershipsOf(x.personEntries.ids(h), h)
			s.byPerson.put(h, encodeMemberships(ms))
		}
		s.byPerson = s.byPerson.compacted()
	}
	return &s
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

// listEntries lists the entries of a list (all lists when list is ""),
// newest change first, from offset, at most limit, keeping only those keep
// accepts (all when keep is nil), and says how many there are in all.
// Entries are filtered and sorted on their encoded heads, and only those
// returned are decoded.
func (x *index) listEntries(list string, offset, limit int, keep func(*entryHead) bool) ([]*Entry, int) {
	var lists map[string]int
	if list != "" {
		lists = map[string]int{list: 0}
	}
	refs := x.entryRefs(lists, keep)
	page := refs[min(offset, len(refs)):]
	out := make([]*Entry, min(len(page), limit))
	for i := range out {
		out[i] = decodeEntry(page[i])
	}
	return out, len(refs)
}

// entryRefs returns the encoded entries of the lists that lists ranks (all
// lists when it is nil) that keep accepts (all when keep is nil), ordered
// by their list's rank and then newest change first, for the caller to
// decode as it needs them. Arena bytes are never rewritten, so the
// references stay valid after the lock is released.
func (x *index) entryRefs(lists map[string]int, keep func(*entryHead) bool) [][]byte {
	type found struct {
		rank int
		seq  int64
		b    []byte
	}
	var fs []found
	x.mu.Lock()
	x.entries.each(func(_, v []byte) bool {
		h := peekEntry(v)
		rank, ok := 0, lists == nil
		if !ok {
			rank, ok = lists[string(h.list)]
		}
		if ok && (keep == nil || keep(&h)) {
			fs = append(fs, found{rank, h.seq, v})
		}
		return true
	})
	x.mu.Unlock()
	sort.Slice(fs, func(i, j int) bool {
		if fs[i].rank != fs[j].rank {
			return fs[i].rank < fs[j].rank
		}
		return fs[i].seq > fs[j].seq
	})
	out := make([][]byte, len(fs))
	for i, f := range fs {
		out[i] = f.b
	}
	return out
}

// subjectEntryIDs returns the IDs of a subject's entries.
func (x *index) subjectEntryIDs(subjectID string) []string {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.subjEntries.ids(subjectID)
}

// listedCounts counts the entries of each list in force at t.
func (x *index) listedCounts(t time.Time) map[string]int {
	out := make(map[string]int)
	x.mu.Lock()
	defer x.mu.Unlock()
	x.entries.each(func(_, v []byte) bool {
		if h := peekEntry(v); h.active(t) {
			out[string(h.list)]++
		}
		return true
	})
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
