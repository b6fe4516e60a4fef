package publish

import (
	"context"
	"testing"
	"time"

	"github.com/xinyong/xinyong/internal/credit"
)

// entries is a fixed set of list decisions, as the sanction service would
// give them; the marks map stands for the workflows' marks.
type entries []ListedEntry

func (es entries) ListedEntries(context.Context, string, time.Time) ([]ListedEntry, error) {
	return es, nil
}

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

func (noRecords) RecordsByItems(context.Context, []string, string, int) ([]credit.Record, error) {
	return nil, nil
}
func (noRecords) Subject(context.Context, string) (*credit.Subject, error) {
	return nil, credit.E("", credit.NotFound, "none")
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
		got, err := e.List(context.Background(), noRecords{}, "black", tc.aud, marks, 0)
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		for _, le := range got {
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
