// Package search is the portal's subject search: an in-memory index of
// organisations' current and former names and codes, rebuilt from storage
// on start and kept up to date by following the store's changed subjects.
// Application nodes stay stateless: the index is a cache.
//
// Chinese names have no word boundaries and the portal's queries are short
// (华为, 宁德时代), so the index keeps, for every name, the posting list of
// each character (for one-character queries) and each pair of adjacent
// characters (bigrams). A two-character query is one posting list; a longer
// one intersects the postings of its bigrams and checks each candidate by
// substring. Trigram indexes (pg_trgm, SQLite FTS5 trigram) cannot answer a
// two-character query at all, which is why this index exists.
//
// Postings are sorted uint32 ordinals. A changed subject gets a new
// ordinal and its old one is left dead (every hit is verified against the
// live document, so a dead ordinal never surfaces); the index compacts
// itself when dead ordinals pile up.
//
// Natural persons are not indexed: their information is not published on
// the portal by default.
package search

import (
	"bytes"
	"context"
	"hash/maphash"
	"math"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/xinyong/xinyong/internal/credit"
)

// Match says how a hit matched, best first.
type Match string

const (
	MatchCode      Match = "code"      // the code, exactly
	MatchExact     Match = "exact"     // the whole name
	MatchPrefix    Match = "prefix"    // the name starts with the query
	MatchSubstring Match = "substring" // the name contains the query
	MatchCodePart  Match = "code_prefix"
)

// Hit is one search result.
type Hit struct {
	ID          string   `json:"id"`
	Code        string   `json:"code"`
	Name        string   `json:"name"`
	FormerNames []string `json:"former_names,omitempty"`
	Match       Match    `json:"match"`
	// Former is set when the query matched a former name, not the current one.
	Former bool `json:"former,omitempty"`
}

// Result is a page of hits.
type Result struct {
	Query string `json:"query"`
	Hits  []Hit  `json:"hits"`
	// Total counts the matches, up to CountCap; Capped says there are more.
	Total  int  `json:"total"`
	Capped bool `json:"capped,omitempty"`
}

// CountCap bounds the matches a query counts, so that a query matching
// most of the index ("公司") costs no more than one matching a hundred.
const CountCap = 100

// doc is one indexed subject: its strings as offsets into the index's
// byte arena. Former names live in a side map, because few subjects have
// any and a doc per subject should stay small.
type doc struct {
	id, code ref
	ucode    ref // the code in upper case (the same bytes as code when it is)
	name     ref
	folded   ref // normalised name (the same bytes as name when unchanged)
}

// ref is a string in the arena; a zero ref is the empty string, and a doc
// whose id is empty is dead.
type ref struct{ off, n uint32 }

// formerRefs are a subject's former names and their folded forms, each
// list joined by NUL bytes (names do not contain one).
type formerRefs struct{ names, folded ref }

const (
	fFormer = 1 << 0 // a former name
	fPrefix = 1 << 1 // at the start of the name
)

func key(flags int, a, b rune) uint64 {
	return uint64(flags)<<42 | uint64(a)<<21 | uint64(b)
}

// Index is the search index. It is safe for concurrent use.
//
// At a million subjects the index is hundreds of megabytes. Held as Go
// strings, slices and maps of them it was millions of heap objects, which
// the collector marked on every cycle of a node also answering hit checks
// and the API: a single-subject check's p99 went from ~2 ms to ~6 ms on a
// node that held it. Everything here is therefore kept in values without
// pointers, which the collector does not scan: the strings in one byte
// arena, documents as offsets, the look-ups by ID, code and exact name as
// open-addressed tables of ordinals (ordHash) checked against the
// documents, and the postings in one slab of ordinals (postings).
type Index struct {
	mu      sync.RWMutex
	seed    maphash.Seed
	arena   []byte
	docs    []doc
	live    int
	byID    ordHash // ID → ordinal
	codes   ordHash // upper-case code → ordinal, for codes that differ from the ID
	exact   ordHash // folded current or former name → ordinals
	post    postings
	formers map[uint32]formerRefs
	// sortedCodes are ordinals sorted by upper-case code, for prefix
	// queries; ordinals added since the last sort are in recentCodes.
	sortedCodes []uint32
	recentCodes []uint32
	dead        int

	// Follow state: the keyset cursor into the store's changed subjects.
	pos    int64 // the change-feed position read up to
	loaded bool
	kick   chan struct{}
}

// New returns an empty index.
func New() *Index {
	return &Index{seed: maphash.MakeSeed(), post: newPostings(), formers: make(map[uint32]formerRefs), kick: make(chan struct{}, 1)}
}

// Fold normalises text for matching: full-width ASCII to half-width, the
// ideographic space to a space, ASCII letters to lower case. It returns s
// itself when nothing changes, so that most names are stored once.
func Fold(s string) string {
	s = strings.TrimSpace(s)
	need := false
	for _, r := range s {
		if (r >= 0xFF01 && r <= 0xFF5E) || r == 0x3000 || (r >= 'A' && r <= 'Z') {
			need = true
			break
		}
	}
	if !need {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case r >= 0xFF01 && r <= 0xFF5E:
			r -= 0xFEE0
		case r == 0x3000:
			r = ' '
		}
		if r >= 'A' && r <= 'Z' {
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Len returns how many subjects are indexed.
func (x *Index) Len() int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.live
}

// Put adds or replaces subjects. Natural persons are removed instead.
func (x *Index) Put(subs ...credit.SubjectName) {
	x.mu.Lock()
	defer x.mu.Unlock()
	for i := range subs {
		x.put(&subs[i])
	}
	x.maybeCompact()
}

func (x *Index) put(s *credit.SubjectName) {
	former := joinNames(s.FormerNames)
	old, had := x.idOrd(s.ID)
	if had {
		d := &x.docs[old]
		if s.Kind != credit.Person && x.is(d.name, s.Name) && x.is(d.code, s.Code) && x.is(x.formers[old].names, former) {
			return
		}
		x.remove(old)
	}
	if s.Kind == credit.Person || s.ID == "" {
		return
	}
	ord := uint32(len(x.docs))
	d := doc{id: x.intern(s.ID)}
	d.code = x.internAs(s.Code, s.ID, d.id) // organisations are keyed by their code: one copy
	ucode := strings.ToUpper(s.Code)
	d.ucode = x.internAs(ucode, s.Code, d.code)
	d.name = x.intern(s.Name)
	folded := Fold(s.Name)
	d.folded = x.internAs(folded, s.Name, d.name)
	var formerFolded []string
	if len(s.FormerNames) > 0 {
		for _, f := range s.FormerNames {
			formerFolded = append(formerFolded, Fold(f))
		}
		x.formers[ord] = formerRefs{names: x.intern(former), folded: x.intern(joinNames(formerFolded))}
	}
	x.docs = append(x.docs, d)
	x.live++
	x.byID.add(x.hash(s.ID), ord)
	x.addName(ord, folded, 0)
	for _, f := range formerFolded {
		x.addName(ord, f, fFormer)
	}
	if s.Code != "" {
		if ucode != s.ID {
			// Codes equal to the ID are found through byID.
			x.codes.add(x.hash(ucode), ord)
		}
		x.recentCodes = append(x.recentCodes, ord)
		// Sorting when the unsorted tail reaches half the sorted part keeps
		// the total cost O(n log n) while an index loads.
		if len(x.recentCodes) > max(4096, len(x.sortedCodes)/2) {
			x.sortCodes()
		}
	}
}

// hash and hashBytes give the same value for the same bytes (maphash's
// guarantee): keys are hashed as strings when added and looked up, as
// arena bytes when removed.
func (x *Index) hash(s string) uint64      { return maphash.String(x.seed, s) }
func (x *Index) hashBytes(b []byte) uint64 { return maphash.Bytes(x.seed, b) }

// intern appends s to the arena.
func (x *Index) intern(s string) ref {
	if s == "" {
		return ref{}
	}
	if len(x.arena)+len(s) > math.MaxUint32 {
		panic("search: index arena over 4 GiB") // ~10× the size of a million subjects
	}
	r := ref{off: uint32(len(x.arena)), n: uint32(len(s))}
	x.arena = append(x.arena, s...)
	return r
}

// internAs reuses r, the interned form of same, when s equals same.
func (x *Index) internAs(s, same string, r ref) ref {
	if s == same {
		return r
	}
	return x.intern(s)
}

// bytes returns r's bytes; str returns them as a new string, for answers.
func (x *Index) bytes(r ref) []byte { return x.arena[r.off : r.off+r.n : r.off+r.n] }
func (x *Index) str(r ref) string   { return string(x.bytes(r)) }
func (x *Index) is(r ref, s string) bool {
	return string(x.bytes(r)) == s // compared in place: no allocation
}

func joinNames(names []string) string { return strings.Join(names, "\x00") }

// eachName calls fn with every name of a NUL-joined list until it returns
// false.
func eachName(b []byte, fn func([]byte) bool) {
	for len(b) > 0 {
		i := bytes.IndexByte(b, 0)
		if i < 0 {
			fn(b)
			return
		}
		if !fn(b[:i]) {
			return
		}
		b = b[i+1:]
	}
}

// idOrd finds the live subject with ID id.
func (x *Index) idOrd(id string) (uint32, bool) {
	if id == "" {
		return 0, false // dead documents have an empty ID
	}
	return x.lookup(&x.byID, id, func(d *doc) ref { return d.id })
}

// lookup finds the ordinal under key in m whose document has key in the
// field at returns (m stores hash bits only).
func (x *Index) lookup(m *ordHash, key string, at func(*doc) ref) (uint32, bool) {
	var found uint32
	ok := false
	m.each(x.hash(key), func(o uint32) bool {
		if x.is(at(&x.docs[o]), key) {
			found, ok = o, true
			return false
		}
		return true
	})
	return found, ok
}

func (x *Index) sortCodes() {
	all := append(x.sortedCodes, x.recentCodes...)
	live := all[:0]
	for _, o := range all {
		if x.docs[o].id.n > 0 {
			live = append(live, o)
		}
	}
	slices.SortFunc(live, func(a, b uint32) int { return bytes.Compare(x.bytes(x.docs[a].ucode), x.bytes(x.docs[b].ucode)) })
	x.sortedCodes = slices.Compact(live)
	x.recentCodes = nil
}

func (x *Index) remove(ord uint32) {
	d := &x.docs[ord]
	x.byID.remove(x.hashBytes(x.bytes(d.id)), ord)
	if d.ucode.n > 0 {
		x.codes.remove(x.hashBytes(x.bytes(d.ucode)), ord)
	}
	x.exact.remove(x.hashBytes(x.bytes(d.folded)), ord)
	eachName(x.bytes(x.formers[ord].folded), func(n []byte) bool {
		x.exact.remove(x.hashBytes(n), ord)
		return true
	})
	// Only the ID goes: a dead doc keeps its code, which the sorted code
	// list is still ordered by.
	d.id = ref{}
	delete(x.formers, ord)
	x.dead++
	x.live--
}

func (x *Index) addName(ord uint32, name string, flags int) {
	if name == "" {
		return
	}
	x.exact.add(x.hash(name), ord)
	var prev rune
	i := 0
	for _, r := range name {
		x.post.add(key(flags, r, 0), ord)
		switch i {
		case 0:
			x.post.add(key(flags|fPrefix, r, 0), ord)
		case 1:
			x.post.add(key(flags|fPrefix, prev, r), ord)
		}
		if i > 0 {
			x.post.add(key(flags, prev, r), ord)
		}
		prev = r
		i++
	}
}

// maybeCompact rebuilds the index when more than a quarter of the
// ordinals are dead.
func (x *Index) maybeCompact() {
	if x.dead < 1024 || x.dead*4 < len(x.docs) {
		return
	}
	subs := make([]credit.SubjectName, 0, x.live)
	for o := range x.docs {
		d := &x.docs[o]
		if d.id.n == 0 {
			continue
		}
		subs = append(subs, credit.SubjectName{ID: x.str(d.id), Kind: credit.Organisation, Code: x.str(d.code), Name: x.str(d.name),
			FormerNames: x.formerNames(uint32(o))})
	}
	x.arena, x.docs, x.live, x.dead = nil, make([]doc, 0, len(subs)), 0, 0
	x.byID, x.codes, x.exact = ordHash{}, ordHash{}, ordHash{}
	x.post = newPostings()
	x.formers = make(map[uint32]formerRefs)
	x.sortedCodes, x.recentCodes = nil, nil
	for i := range subs {
		x.put(&subs[i])
	}
	x.trim()
}

// formerNames returns a subject's former names as new strings, or nil.
func (x *Index) formerNames(ord uint32) []string {
	f, ok := x.formers[ord]
	if !ok {
		return nil
	}
	var out []string
	eachName(x.bytes(f.names), func(n []byte) bool {
		out = append(out, string(n))
		return true
	})
	return out
}

// trim gives every posting list its exact capacity. Lists grow by
// doubling while the index loads; trimming after a bulk load returns the
// slack (a third of the postings' memory at a million subjects).
func (x *Index) trim() {
	x.post.trim()
	x.sortCodes()
}

// Search finds up to limit organisations by code, code prefix, or any part
// of a current or former name, best matches first: code, exact name,
// prefix, substring; the current name before a former one.
func (x *Index) Search(q string, limit int) Result {
	if limit <= 0 {
		limit = 20
	}
	fq := Fold(q)
	res := Result{Query: q, Hits: []Hit{}}
	if fq == "" {
		return res
	}
	x.mu.RLock()
	defer x.mu.RUnlock()
	seen := make(map[uint32]bool, limit)
	total := 0
	add := func(ord uint32, m Match, former bool) bool {
		if seen[ord] {
			return true
		}
		seen[ord] = true
		total++
		if len(res.Hits) < limit {
			d := &x.docs[ord]
			res.Hits = append(res.Hits, Hit{ID: x.str(d.id), Code: x.str(d.code), Name: x.str(d.name), FormerNames: x.formerNames(ord), Match: m, Former: former})
		}
		return total < CountCap
	}
	more := x.searchCodes(fq, add)
	rs := []rune(fq)
	for _, flags := range []int{0, fFormer} {
		if !more {
			break
		}
		x.exact.each(x.hash(fq), func(o uint32) bool {
			d := &x.docs[o]
			current := x.is(d.folded, fq)
			if flags == 0 && !current || flags != 0 && (current || !x.verify(o, d, fq, fFormer|fExact)) {
				return true
			}
			if !add(o, MatchExact, flags != 0) {
				more = false
			}
			return more
		})
	}
	for _, tier := range []struct {
		flags  int
		match  Match
		former bool
	}{
		{fPrefix, MatchPrefix, false},
		{fPrefix | fFormer, MatchPrefix, true},
		{0, MatchSubstring, false},
		{fFormer, MatchSubstring, true},
	} {
		if !more {
			break
		}
		more = x.walk(rs, tier.flags, func(ord uint32) bool {
			d := &x.docs[ord]
			if d.id.n == 0 || seen[ord] {
				return true
			}
			if !x.verify(ord, d, fq, tier.flags) {
				return true
			}
			return add(ord, tier.match, tier.former)
		})
	}
	res.Total, res.Capped = total, !more
	return res
}

// fExact asks verify for equality (the exact tier checks its candidates,
// which share a hash with the query, by it).
const fExact = 1 << 2

func (x *Index) verify(ord uint32, d *doc, q string, flags int) bool {
	match := func(n []byte) bool {
		switch {
		case flags&fExact != 0:
			return string(n) == q
		case flags&fPrefix != 0:
			return bytes.HasPrefix(n, []byte(q))
		default:
			return bytes.Contains(n, []byte(q))
		}
	}
	if flags&fFormer == 0 {
		return match(x.bytes(d.folded))
	}
	found := false
	eachName(x.bytes(x.formers[ord].folded), func(n []byte) bool {
		found = match(n)
		return !found
	})
	return found
}

// walk calls fn for every candidate ordinal of query runes rs in the
// postings selected by flags, in ordinal order, until fn returns false;
// it returns false if fn did.
func (x *Index) walk(rs []rune, flags int, fn func(uint32) bool) bool {
	var lists [][]uint32
	switch {
	case len(rs) == 1:
		lists = append(lists, x.post.get(key(flags, rs[0], 0)))
	default:
		if flags&fPrefix != 0 {
			lists = append(lists, x.post.get(key(flags, rs[0], rs[1])))
		}
		base := flags &^ fPrefix
		for i := 1; i < len(rs); i++ {
			if flags&fPrefix != 0 && i == 1 {
				continue
			}
			lists = append(lists, x.post.get(key(base, rs[i-1], rs[i])))
		}
	}
	sort.Slice(lists, func(i, j int) bool { return len(lists[i]) < len(lists[j]) })
	if len(lists) == 0 || len(lists[0]) == 0 {
		return true
	}
	cur := make([]int, len(lists))
next:
	for _, o := range lists[0] {
		for i := 1; i < len(lists); i++ {
			l := lists[i]
			j := cur[i]
			// Gallop to the first element >= o.
			step := 1
			for j+step < len(l) && l[j+step] < o {
				j += step
				step *= 2
			}
			j += sort.Search(min(step, len(l)-j), func(k int) bool { return l[j+k] >= o })
			cur[i] = j
			if j >= len(l) {
				return true
			}
			if l[j] != o {
				continue next
			}
		}
		if !fn(o) {
			return false
		}
	}
	return true
}

// searchCodes adds code matches: the exact code, then codes starting with
// the query (at least 4 characters of the code alphabet).
func (x *Index) searchCodes(fq string, add func(uint32, Match, bool) bool) bool {
	q := strings.ToUpper(fq)
	if len(q) < 4 || len(q) > 18 || !isCodeText(q) {
		return true
	}
	if o, ok := x.codeOrd(q); ok {
		if !add(o, MatchCode, false) {
			return false
		}
	}
	i := sort.Search(len(x.sortedCodes), func(i int) bool { return string(x.bytes(x.docs[x.sortedCodes[i]].ucode)) >= q })
	for ; i < len(x.sortedCodes); i++ {
		d := &x.docs[x.sortedCodes[i]]
		if !bytes.HasPrefix(x.bytes(d.ucode), []byte(q)) {
			break
		}
		if d.id.n == 0 {
			continue // changed since the sort: its new ordinal is in recentCodes
		}
		if !add(x.sortedCodes[i], MatchCodePart, false) {
			return false
		}
	}
	for _, o := range x.recentCodes {
		if d := &x.docs[o]; d.id.n > 0 && bytes.HasPrefix(x.bytes(d.ucode), []byte(q)) {
			if !add(o, MatchCodePart, false) {
				return false
			}
		}
	}
	return true
}

// codeOrd finds the live subject holding code c (upper case).
func (x *Index) codeOrd(c string) (uint32, bool) {
	if o, ok := x.idOrd(c); ok && strings.EqualFold(x.str(x.docs[o].code), c) {
		return o, true
	}
	return x.lookup(&x.codes, c, func(d *doc) ref { return d.ucode })
}

func isCodeText(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}

// Source is what the index reads: a streaming read of every subject for
// the first load, then the store's change feed, whose subject changes say
// which subjects to read again.
type Source interface {
	EachSubjectName(ctx context.Context, fn func(credit.SubjectName) error) error
	SubjectNamesByID(ctx context.Context, ids []string) ([]credit.SubjectName, error)
	ChangeHead(ctx context.Context) (int64, error)
	ChangesSince(ctx context.Context, after int64, limit int, kinds ...credit.ChangeKind) ([]credit.Change, error)
}

// feedPage is how many feed entries one refresh step reads.
const feedPage = 10000

// Refresh reads the subjects changed since the last refresh (everything,
// the first time) and returns how many it read. progress, when not nil, is
// called after each page with the running count.
func (x *Index) Refresh(ctx context.Context, src Source, progress func(n int)) (int, error) {
	x.mu.RLock()
	pos, loaded := x.pos, x.loaded
	x.mu.RUnlock()
	if !loaded {
		return x.load(ctx, src, progress)
	}
	n := 0
	for {
		cs, err := src.ChangesSince(ctx, pos, feedPage, credit.ChangeSubject)
		if err != nil {
			return n, err
		}
		if len(cs) == 0 {
			return n, nil
		}
		seen := make(map[string]bool, len(cs))
		ids := make([]string, 0, len(cs))
		for _, c := range cs {
			if !seen[c.Ref] {
				seen[c.Ref] = true
				ids = append(ids, c.Ref)
			}
		}
		names, err := src.SubjectNamesByID(ctx, ids)
		if err != nil {
			return n, err
		}
		x.Put(names...)
		n += len(names)
		pos = cs[len(cs)-1].Pos
		x.mu.Lock()
		x.pos = max(x.pos, pos)
		x.mu.Unlock()
		if progress != nil {
			progress(n)
		}
		if len(cs) < feedPage {
			return n, nil
		}
	}
}

// Position is the change-feed position the index has read up to.
func (x *Index) Position() int64 {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.pos
}

// load reads every subject in one streaming read, then trims the
// postings. The feed's head is taken first: the first refresh after the
// load reads again the subjects changed while it ran.
func (x *Index) load(ctx context.Context, src Source, progress func(n int)) (int, error) {
	head, err := src.ChangeHead(ctx)
	if err != nil {
		return 0, err
	}
	const batch = 10000
	buf := make([]credit.SubjectName, 0, batch)
	n := 0
	flush := func() {
		x.Put(buf...)
		n += len(buf)
		buf = buf[:0]
		if progress != nil {
			progress(n)
		}
	}
	err = src.EachSubjectName(ctx, func(s credit.SubjectName) error {
		buf = append(buf, s)
		if len(buf) == batch {
			flush()
		}
		return nil
	})
	if err != nil {
		return n, err
	}
	if len(buf) > 0 {
		flush()
	}
	x.mu.Lock()
	x.trim()
	x.pos = max(x.pos, head)
	x.loaded = true
	x.mu.Unlock()
	return n, nil
}

// Kick asks a running Follow to refresh now (after a write).
func (x *Index) Kick() {
	select {
	case x.kick <- struct{}{}:
	default:
	}
}

// Follow refreshes the index every interval, or at once when kicked, until
// ctx ends. Errors are passed to onErr (which may be nil) and retried at
// the next tick.
func (x *Index) Follow(ctx context.Context, src Source, every time.Duration, onErr func(error)) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-x.kick:
		}
		if _, err := x.Refresh(ctx, src, nil); err != nil && onErr != nil && ctx.Err() == nil {
			onErr(err)
		}
	}
}
