package publish

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xinyong/xinyong/internal/credit"
)

// entries is a fixed set of list decisions, as the sanction service would
// give them; the marks map stands for the workflows' marks.
type entries []ListedEntry

func (es entries) ListedEntries(context.Context, string, time.Time) (ListedEntries, error) {
	return es, nil
}

func (es entries) Len() int { return len(es) }

func (es entries) At(i int) ListedEntry { return es[i] }

type markMap map[string]Marks

func (m markMap) Marks(_ context.Context, ids []string) (map[string]Marks, error) {
	out := map[string]Marks{}
	for _, id := range ids {
		if v, ok := m[id]; ok {
			out[id] = v
		}
	}
	return out, nil
}

type noRecords struct{}

func (noRecords) NewestRecordsByItems(context.Context, []string, string, int) ([]credit.Record, error) {
	return nil, nil
}
func (noRecords) SubjectsByIDs(context.Context, []string) (map[string]*credit.Subject, error) {
	return nil, nil
}

func TestListedEntries(t *testing.T) {
	now := day(2026, 11, 23)
	e := engineAt(t, &now)
	org := func(id string, basis ...string) ListedEntry {
		return ListedEntry{EntryID: "E-" + id, List: "samr_serious_illegal", SubjectID: id, SubjectKind: credit.Organisation,
			Name: id, Since: day(2026, 6, 1), BasisRecords: basis}
	}
	person := org("person")
	person.SubjectKind = credit.Person
	disputed := org("disputed")
	disputed.UnderVerification = true
	e.Entries = entries{org("plain", "R1"), org("repaired", "R2"), org("masked", "R3"), org("objected", "R4"), person, disputed}
	marks := markMap{"R2": {Repaired: true}, "R3": {BankruptcyMasked: true}, "R4": {UnderObjection: true}}

	cases := []struct {
		aud  Audience
		want map[string]bool // subject -> shown under objection mark
	}{
		{Public, map[string]bool{"plain": false, "objected": true, "disputed": true}},
		{Admin, map[string]bool{"plain": false, "repaired": false, "masked": false, "objected": true, "person": false, "disputed": true}},
	}
	for _, tc := range cases {
		got, err := e.List(context.Background(), noRecords{}, "black", tc.aud, marks, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		if got.More {
			t.Errorf("%s: More on the only page", tc.aud)
		}
		seen := map[string]bool{}
		for _, le := range got.Entries {
			seen[le.SubjectID] = le.Decision.Marks.UnderObjection
			if le.Decision.Item != "samr_serious_illegal" || !le.Decision.Visible {
				t.Errorf("%s: entry %s decided %+v", tc.aud, le.SubjectID, le.Decision)
			}
		}
		if len(seen) != len(tc.want) {
			t.Errorf("%s: shown %v, want %v", tc.aud, seen, tc.want)
		}
		for id, mark := range tc.want {
			if m, ok := seen[id]; !ok || m != mark {
				t.Errorf("%s: entry %s shown=%v objection mark=%v, want shown with mark=%v", tc.aud, id, ok, m, mark)
			}
		}
	}
}

// countingMarks records how many IDs each Marks call asked for.
type countingMarks struct {
	markMap
	calls, ids int
}

func (c *countingMarks) Marks(ctx context.Context, ids []string) (map[string]Marks, error) {
	c.calls++
	c.ids += len(ids)
	return c.markMap.Marks(ctx, ids)
}

// TestListPages pages through a list longer than one mark query, in which
// some entries are hidden from the public (a repaired basis, a natural
// person), against the visible sequence worked out here: the pages put
// together are that sequence, More is set on every page but the last, and
// a first page asks for the marks of its candidates only.
func TestListPages(t *testing.T) {
	now := day(2026, 11, 23)
	e := engineAt(t, &now)
	const n = 2*listChunk + 200
	var es entries
	marks := markMap{}
	var want []string
	for i := range n {
		id := fmt.Sprintf("S%04d", i)
		le := ListedEntry{EntryID: "E-" + id, List: "samr_serious_illegal", SubjectID: id, SubjectKind: credit.Organisation,
			Name: id, Since: day(2026, 6, 1), BasisRecords: []string{"R-" + id}}
		hidden := false
		switch {
		case i%7 == 3:
			marks["R-"+id] = Marks{Repaired: true}
			hidden = true
		case i%11 == 5:
			le.SubjectKind = credit.Person
			hidden = true
		}
		es = append(es, le)
		if !hidden {
			want = append(want, id)
		}
	}
	e.Entries = es

	for _, size := range []int{1, 37, listChunk, MaxListPage + 1} {
		var got []string
		for off := 0; ; {
			page, err := e.List(context.Background(), noRecords{}, "black", Public, marks, off, size)
			if err != nil {
				t.Fatal(err)
			}
			if page.Offset != off {
				t.Fatalf("size %d: page at %d says offset %d", size, off, page.Offset)
			}
			for _, le := range page.Entries {
				got = append(got, le.SubjectID)
			}
			off += len(page.Entries)
			if !page.More {
				break
			}
			if len(page.Entries) != min(size, MaxListPage) {
				t.Fatalf("size %d: a page before the last holds %d entries", size, len(page.Entries))
			}
		}
		if !slices.Equal(got, want) {
			t.Fatalf("size %d: pages give %d entries, want %d (first difference near %v)", size, len(got), len(want), firstDiff(got, want))
		}
	}

	past, err := e.List(context.Background(), noRecords{}, "black", Public, marks, len(want), 10)
	if err != nil || len(past.Entries) != 0 || past.More {
		t.Errorf("page past the end = %+v, %v", past, err)
	}
	for _, off := range []int{-1, MaxListOffset + 1} {
		if _, err := e.List(context.Background(), noRecords{}, "black", Public, marks, off, 10); !credit.Is(credit.Invalid, err) {
			t.Errorf("offset %d: %v, want Invalid", off, err)
		}
	}

	cm := &countingMarks{markMap: marks}
	ce := &countingEntries{entries: es}
	e.Entries = ce
	if _, err := e.List(context.Background(), noRecords{}, "black", Public, cm, 0, 10); err != nil {
		t.Fatal(err)
	}
	if cm.calls != 1 || cm.ids > 2*listChunk || ce.built > listChunk {
		t.Errorf("a first page of 10 asked for marks %d times, %d IDs, and built %d entries; the list has %d entries", cm.calls, cm.ids, ce.built, n)
	}
}

// countingEntries counts the entries a page builds.
type countingEntries struct {
	entries
	built int
}

func (c *countingEntries) ListedEntries(context.Context, string, time.Time) (ListedEntries, error) {
	return c, nil
}

func (c *countingEntries) At(i int) ListedEntry { c.built++; return c.entries[i] }

func firstDiff(a, b []string) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// memRecords is a ListStore over records in memory.
type memRecords struct {
	recs     []credit.Record
	subjects map[string]*credit.Subject
	reads    int
}

func (m *memRecords) NewestRecordsByItems(_ context.Context, items []string, beforeID string, limit int) ([]credit.Record, error) {
	m.reads++
	var out []credit.Record
	for _, r := range m.recs {
		if slices.Contains(items, r.Item) && (beforeID == "" || r.ID < beforeID) {
			out = append(out, r)
		}
	}
	slices.SortFunc(out, func(a, b credit.Record) int { return strings.Compare(b.ID, a.ID) })
	return out[:min(len(out), limit)], nil
}

func (m *memRecords) SubjectsByIDs(_ context.Context, ids []string) (map[string]*credit.Subject, error) {
	out := map[string]*credit.Subject{}
	for _, id := range ids {
		if s, ok := m.subjects[id]; ok {
			out[id] = s
		}
	}
	return out, nil
}

// TestListRecordChains pages a black list of reported records whose chains
// (corrections that move the publication date in and out of its window,
// revocations, facts of other items) span the store pages List reads,
// against the derivation of every fact at once: the pages put together are
// exactly the visible chains, newest original first.
func TestListRecordChains(t *testing.T) {
	now := day(2026, 11, 23)
	e := engineAt(t, &now)
	rng := rand.New(rand.NewPCG(5, 7))
	st := &memRecords{subjects: map[string]*credit.Subject{orgID: org, personID: person}}
	seq := 0
	newID := func() string { seq++; return fmt.Sprintf("R%06d", seq) }
	fields := func(recent bool) credit.Fields {
		d := now.AddDate(0, -3, 0)
		if !recent {
			d = now.AddDate(-3, 0, 0) // past the two-year window
		}
		return credit.Fields{"sx_bzxr_mc": org.Name, "sx_bzxr_lb": "法人及非法人组织", "sx_shxym": orgID, "sx_fbrq": d.Format(time.DateOnly)}
	}
	var heads []credit.Record // the newest fact of each chain so far
	for range 3 * recordPage {
		if len(heads) > 0 && rng.IntN(3) == 0 {
			i := rng.IntN(len(heads))
			prev := heads[i]
			f := prev
			f.ID, f.Supersedes = newID(), prev.ID
			if rng.IntN(4) == 0 {
				f.Fact = credit.Revocation
				heads = slices.Delete(heads, i, i+1)
			} else {
				f.Fact, f.Fields = credit.Correction, fields(rng.IntN(2) == 0)
				heads[i] = f
			}
			st.recs = append(st.recs, f)
			continue
		}
		r := credit.Record{ID: newID(), SubjectID: orgID, Item: "court_defaulter", Fact: credit.Original, Dept: "COURT-350100",
			DocNo: fmt.Sprintf("执%d", seq), DecidedOn: now.AddDate(0, -4, 0), Severity: credit.SeveritySerious, Kind: credit.Organisation,
			Fields: fields(rng.IntN(3) > 0)}
		switch rng.IntN(10) {
		case 0:
			r.Item = "admin_penalty" // not a list item: never on the list
		case 1:
			// A natural person known only from the registration data (the
			// record's own kind and fields say organisation): not public.
			r.SubjectID = personID
		case 2:
			r.SubjectID = "unregistered" // no registration data
		}
		st.recs = append(st.recs, r)
		heads = append(heads, r)
	}
	states := credit.Derive(st.recs)
	var want []string
	for i := len(states) - 1; i >= 0; i-- {
		s := states[i]
		if slices.Contains(Lists["black"], s.Current.Item) {
			if d := e.Decide(s, st.subjects[s.Current.SubjectID], Public, Marks{}); d.Visible {
				want = append(want, d.RecordID)
			}
		}
	}
	if len(want) < recordPage/2 || len(want) > len(states)-recordPage/4 {
		t.Fatalf("the generated list shows %d of %d chains: the test no longer mixes shown and hidden chains", len(want), len(states))
	}
	for _, size := range []int{97, MaxListPage} {
		var got []string
		for off := 0; ; {
			page, err := e.List(context.Background(), st, "black", Public, nil, off, size)
			if err != nil {
				t.Fatal(err)
			}
			for _, le := range page.Entries {
				got = append(got, le.Decision.RecordID)
			}
			off += len(page.Entries)
			if !page.More {
				break
			}
		}
		if !slices.Equal(got, want) {
			t.Fatalf("size %d: pages give %d entries, want %d (first difference at %d)", size, len(got), len(want), firstDiff(got, want))
		}
	}
	st.reads = 0
	if _, err := e.List(context.Background(), st, "black", Public, nil, 0, 10); err != nil {
		t.Fatal(err)
	}
	if st.reads != 1 {
		t.Errorf("a first page of 10 read %d store pages", st.reads)
	}
}
