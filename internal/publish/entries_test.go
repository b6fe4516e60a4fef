package publish

import (
	"context"
	"fmt"
	"slices"
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

func (es entries) SubjectEntries(_ context.Context, subject string, _ time.Time) ([]ListedEntry, error) {
	var out []ListedEntry
	for _, le := range es {
		if le.SubjectID == subject {
			out = append(out, le)
		}
	}
	return out, nil
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
		got, err := e.List(context.Background(), "black", tc.aud, marks, 0, 0)
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
			page, err := e.List(context.Background(), "black", Public, marks, off, size)
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

	past, err := e.List(context.Background(), "black", Public, marks, len(want), 10)
	if err != nil || len(past.Entries) != 0 || past.More {
		t.Errorf("page past the end = %+v, %v", past, err)
	}
	for _, off := range []int{-1, MaxListOffset + 1} {
		if _, err := e.List(context.Background(), "black", Public, marks, off, 10); !credit.Is(credit.Invalid, err) {
			t.Errorf("offset %d: %v, want Invalid", off, err)
		}
	}

	cm := &countingMarks{markMap: marks}
	ce := &countingEntries{entries: es}
	e.Entries = ce
	if _, err := e.List(context.Background(), "black", Public, cm, 0, 10); err != nil {
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
