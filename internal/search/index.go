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
	"context"
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

// doc is one indexed subject. Former names live in a side map, because
// few subjects have any and a doc per subject should stay small.
type doc struct {
	id, code, name string
	folded         string // normalised name
}

type formerNames struct {
	names, folded []string
}

func (x *Index) formerOf(ord uint32) *formerNames {
	if f := x.formers[ord]; f != nil {
		return f
	}
	return &formerNames{}
}

const (
	fFormer = 1 << 0 // a former name
	fPrefix = 1 << 1 // at the start of the name
)

func key(flags int, a, b rune) uint64 {
	return uint64(flags)<<42 | uint64(a)<<21 | uint64(b)
}

// Index is the search index. It is safe for concurrent use.
type Index struct {
	mu    sync.RWMutex
	docs  []doc
	byID  map[string]uint32
	post  map[uint64][]uint32
	exact map[string][]uint32
	codes map[string]uint32
	// sortedCodes is sorted for prefix queries; codes added since the last
	// sort are in recentCodes.
	sortedCodes []string
	recentCodes []string
	dead        int
	formers     map[uint32]*formerNames

	// Follow state: the keyset cursor into the store's changed subjects.
	since   time.Time
	afterID string
	loaded  bool
	kick    chan struct{}
}

// New returns an empty index.
func New() *Index {
	return &Index{
		byID: make(map[string]uint32), post: make(map[uint64][]uint32),
		exact: make(map[string][]uint32), codes: make(map[string]uint32),
		formers: make(map[uint32]*formerNames), kick: make(chan struct{}, 1),
	}
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
	return len(x.byID)
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
	old, had := x.byID[s.ID]
	if had {
		d := &x.docs[old]
		if s.Kind != credit.Person && d.name == s.Name && d.code == s.Code && slices.Equal(x.formerOf(old).names, s.FormerNames) {
			return
		}
		x.remove(old)
	}
	if s.Kind == credit.Person || s.ID == "" {
		return
	}
	ord := uint32(len(x.docs))
	d := doc{id: s.ID, code: s.Code, name: s.Name, folded: Fold(s.Name)}
	if d.code == d.id {
		d.code = d.id // one string for both, as organisations are keyed by their code
	}
	var fn *formerNames
	if len(s.FormerNames) > 0 {
		fn = &formerNames{names: slices.Clone(s.FormerNames)}
		for _, f := range s.FormerNames {
			fn.folded = append(fn.folded, Fold(f))
		}
		x.formers[ord] = fn
	}
	x.docs = append(x.docs, d)
	x.byID[s.ID] = ord
	x.addName(ord, d.folded, 0)
	if fn != nil {
		for _, f := range fn.folded {
			x.addName(ord, f, fFormer)
		}
	}
	if s.Code != "" {
		c := strings.ToUpper(d.code)
		if c == d.code {
			c = d.code
		}
		if c != d.id {
			// Codes equal to the ID are found through byID.
			x.codes[c] = ord
		}
		x.recentCodes = append(x.recentCodes, c)
		// Sorting when the unsorted tail reaches half the sorted part keeps
		// the total cost O(n log n) while an index loads.
		if len(x.recentCodes) > max(4096, len(x.sortedCodes)/2) {
			x.sortCodes()
		}
	}
}

func (x *Index) sortCodes() {
	all := append(x.sortedCodes, x.recentCodes...)
	live := all[:0]
	for _, c := range all {
		if _, ok := x.codeOrd(c); ok {
			live = append(live, c)
		}
	}
	slices.Sort(live)
	x.sortedCodes = slices.Compact(live)
	x.recentCodes = nil
}

func (x *Index) remove(ord uint32) {
	d := &x.docs[ord]
	delete(x.byID, d.id)
	if c := strings.ToUpper(d.code); c != "" {
		if o, ok := x.codes[c]; ok && o == ord {
			delete(x.codes, c)
		}
	}
	for _, n := range append([]string{d.folded}, x.formerOf(ord).folded...) {
		x.exact[n] = slices.DeleteFunc(x.exact[n], func(o uint32) bool { return o == ord })
		if len(x.exact[n]) == 0 {
			delete(x.exact, n)
		}
	}
	*d = doc{}
	delete(x.formers, ord)
	x.dead++
}

func (x *Index) addName(ord uint32, name string, flags int) {
	if name == "" {
		return
	}
	x.exact[name] = appendOnce(x.exact[name], ord)
	var prev rune
	i := 0
	for _, r := range name {
		x.add(key(flags, r, 0), ord)
		switch i {
		case 0:
			x.add(key(flags|fPrefix, r, 0), ord)
		case 1:
			x.add(key(flags|fPrefix, prev, r), ord)
		}
		if i > 0 {
			x.add(key(flags, prev, r), ord)
		}
		prev = r
		i++
	}
}

func (x *Index) add(k uint64, ord uint32) {
	x.post[k] = appendOnce(x.post[k], ord)
}

// appendOnce appends ord unless it is already the last element: ordinals
// are added in increasing order, so this keeps lists sorted and unique.
func appendOnce(l []uint32, ord uint32) []uint32 {
	if n := len(l); n > 0 && l[n-1] == ord {
		return l
	}
	return append(l, ord)
}

// maybeCompact rebuilds the postings when more than a quarter of the
// ordinals are dead.
func (x *Index) maybeCompact() {
	if x.dead < 1024 || x.dead*4 < len(x.docs) {
		return
	}
	docs, formers := x.docs, x.formers
	x.formers = make(map[uint32]*formerNames, len(formers))
	x.docs = make([]doc, 0, len(docs)-x.dead)
	x.byID = make(map[string]uint32, len(docs)-x.dead)
	x.post = make(map[uint64][]uint32, len(x.post))
	x.exact = make(map[string][]uint32, len(x.exact))
	x.codes = make(map[string]uint32, len(x.codes))
	x.sortedCodes, x.recentCodes, x.dead = nil, nil, 0
	for o, d := range docs {
		if d.id != "" {
			var former []string
			if f := formers[uint32(o)]; f != nil {
				former = f.names
			}
			x.put(&credit.SubjectName{ID: d.id, Kind: credit.Organisation, Code: d.code, Name: d.name, FormerNames: former})
		}
	}
	x.sortCodes()
}

// trim gives every posting list its exact capacity. Lists grow by
// doubling while the index loads; trimming after a bulk load returns the
// slack (a third of the postings' memory at a million subjects).
func (x *Index) trim() {
	for k, l := range x.post {
		if cap(l)-len(l) > 2 {
			x.post[k] = slices.Clone(l)
		}
	}
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
			res.Hits = append(res.Hits, Hit{ID: d.id, Code: d.code, Name: d.name, FormerNames: x.formers[ord].namesOrNil(), Match: m, Former: former})
		}
		return total < CountCap
	}
	more := x.searchCodes(fq, add)
	rs := []rune(fq)
	for _, flags := range []int{0, fFormer} {
		if !more {
			break
		}
		for _, o := range x.exact[fq] {
			d := &x.docs[o]
			if (flags == 0) == (d.folded == fq) {
				if !add(o, MatchExact, flags != 0) {
					more = false
					break
				}
			}
		}
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
			if d.id == "" || seen[ord] {
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

func (f *formerNames) namesOrNil() []string {
	if f == nil {
		return nil
	}
	return f.names
}

func (x *Index) verify(ord uint32, d *doc, q string, flags int) bool {
	names := []string{d.folded}
	if flags&fFormer != 0 {
		names = x.formerOf(ord).folded
	}
	for _, n := range names {
		if flags&fPrefix != 0 {
			if strings.HasPrefix(n, q) {
				return true
			}
		} else if strings.Contains(n, q) {
			return true
		}
	}
	return false
}

// walk calls fn for every candidate ordinal of query runes rs in the
// postings selected by flags, in ordinal order, until fn returns false;
// it returns false if fn did.
func (x *Index) walk(rs []rune, flags int, fn func(uint32) bool) bool {
	var lists [][]uint32
	switch {
	case len(rs) == 1:
		lists = append(lists, x.post[key(flags, rs[0], 0)])
	default:
		if flags&fPrefix != 0 {
			lists = append(lists, x.post[key(flags, rs[0], rs[1])])
		}
		base := flags &^ fPrefix
		for i := 1; i < len(rs); i++ {
			if flags&fPrefix != 0 && i == 1 {
				continue
			}
			lists = append(lists, x.post[key(base, rs[i-1], rs[i])])
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
	i := sort.SearchStrings(x.sortedCodes, q)
	for ; i < len(x.sortedCodes) && strings.HasPrefix(x.sortedCodes[i], q); i++ {
		if o, ok := x.codeOrd(x.sortedCodes[i]); ok && !add(o, MatchCodePart, false) {
			return false
		}
	}
	for _, c := range x.recentCodes {
		if strings.HasPrefix(c, q) {
			if o, ok := x.codeOrd(c); ok && !add(o, MatchCodePart, false) {
				return false
			}
		}
	}
	return true
}

// codeOrd finds the live subject holding code c.
func (x *Index) codeOrd(c string) (uint32, bool) {
	if o, ok := x.byID[c]; ok && strings.EqualFold(x.docs[o].code, c) {
		return o, true
	}
	o, ok := x.codes[c]
	return o, ok
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
// the first load, then the store's keyset scan of changed subjects.
type Source interface {
	SubjectsChangedSince(ctx context.Context, since time.Time, afterID string, limit int) ([]credit.SubjectName, error)
	EachSubjectName(ctx context.Context, fn func(credit.SubjectName) error) error
}

// Overlap is how far back each refresh re-reads, so that a subject written
// by another node whose clock is slightly behind is not missed. Re-reading
// an unchanged subject costs a map lookup.
const Overlap = 2 * time.Second

// Refresh reads the subjects changed since the last refresh (everything,
// the first time) and returns how many it read. progress, when not nil, is
// called after each page with the running count.
func (x *Index) Refresh(ctx context.Context, src Source, progress func(n int)) (int, error) {
	x.mu.RLock()
	since, after, loaded := x.since, x.afterID, x.loaded
	x.mu.RUnlock()
	if !loaded {
		return x.load(ctx, src, progress)
	}
	since, after = since.Add(-Overlap), ""
	n := 0
	for {
		page, err := src.SubjectsChangedSince(ctx, since, after, 10000)
		if err != nil {
			return n, err
		}
		if len(page) == 0 {
			return n, nil
		}
		x.Put(page...)
		n += len(page)
		last := page[len(page)-1]
		since, after = last.UpdatedAt, last.ID
		x.mu.Lock()
		if last.UpdatedAt.After(x.since) || (last.UpdatedAt.Equal(x.since) && last.ID > x.afterID) {
			x.since, x.afterID = last.UpdatedAt, last.ID
		}
		x.mu.Unlock()
		if progress != nil {
			progress(n)
		}
	}
}

// load reads every subject in one streaming read, then trims the
// postings. The cursor becomes the newest update seen; the first refresh
// after it re-reads from Overlap before that, which covers writes made
// while the load ran.
func (x *Index) load(ctx context.Context, src Source, progress func(n int)) (int, error) {
	const batch = 10000
	buf := make([]credit.SubjectName, 0, batch)
	var newest time.Time
	n := 0
	flush := func() {
		x.Put(buf...)
		n += len(buf)
		buf = buf[:0]
		if progress != nil {
			progress(n)
		}
	}
	err := src.EachSubjectName(ctx, func(s credit.SubjectName) error {
		if s.UpdatedAt.After(newest) {
			newest = s.UpdatedAt
		}
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
	if newest.After(x.since) {
		x.since, x.afterID = newest, ""
	}
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
