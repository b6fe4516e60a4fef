package search

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/gen"
	"github.com/xinyong/xinyong/internal/store/sqlite"
)

// snapStore is a store of generated organisations, some with former names,
// one renamed (so the index has a dead ordinal).
func snapStore(t *testing.T, n int) *sqlite.Store {
	t.Helper()
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "x.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	names := gen.NewNames(3)
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	var subs []credit.Subject
	for i := range n {
		s := credit.Subject{ID: fmt.Sprintf("91350100%09dX", i), Kind: credit.Organisation, Name: names.Company("福州"), UpdatedAt: now}
		s.Code = s.ID
		if i%7 == 0 {
			s.FormerNames = []string{names.Company("厦门")}
		}
		subs = append(subs, s)
	}
	if err := st.PutSubjects(t.Context(), subs); err != nil {
		t.Fatal(err)
	}
	return st
}

// answers is what the index answers to a set of queries drawn from its
// names, codes and odd strings.
func answers(x *Index, qs []string) []Result {
	out := make([]Result, len(qs))
	for i, q := range qs {
		out[i] = x.Search(q, 20)
	}
	return out
}

func snapQueries(x *Index) []string {
	qs := []string{"公司", "有限", "福州", "厦门", "9135", "91350100000000003X", "科技", "无此名称"}
	x.mu.RLock()
	defer x.mu.RUnlock()
	for o := 0; o < len(x.docs); o += 37 {
		d := x.docs[o]
		rs := []rune(x.str(d.name))
		if len(rs) >= 4 {
			qs = append(qs, string(rs[1:3]), string(rs[2:5]), x.str(d.name))
		}
	}
	return qs
}

func TestSnapshotRoundTrip(t *testing.T) {
	st := snapStore(t, 3000)
	full := New()
	if _, err := full.Refresh(t.Context(), st, nil); err != nil {
		t.Fatal(err)
	}
	// A rename after the load: a dead ordinal and a former name.
	later := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	if err := st.PutSubjects(t.Context(), []credit.Subject{{ID: "91350100000000001X", Code: "91350100000000001X", Kind: credit.Organisation,
		Name: "宁德恒信新能源科技有限公司", FormerNames: []string{"旧名称有限公司"}, UpdatedAt: later}}); err != nil {
		t.Fatal(err)
	}
	if _, err := full.Refresh(t.Context(), st, nil); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := full.WriteSnapshot(t.Context(), &buf, st); err != nil {
		t.Fatal(err)
	}
	snap := New()
	if err := snap.ReadSnapshot(t.Context(), bytes.NewReader(buf.Bytes()), st); err != nil {
		t.Fatal(err)
	}
	if snap.Len() != full.Len() || snap.Position() != full.Position() {
		t.Fatalf("snapshot: %d subjects at %d; full load: %d at %d", snap.Len(), snap.Position(), full.Len(), full.Position())
	}
	qs := snapQueries(full)
	if got, want := answers(snap, qs), answers(full, qs); !reflect.DeepEqual(got, want) {
		for i := range got {
			if !reflect.DeepEqual(got[i], want[i]) {
				t.Fatalf("query %q: snapshot answers %+v, full load %+v", qs[i], got[i], want[i])
			}
		}
	}
	// Both follow the store the same way after the snapshot.
	if err := st.PutSubjects(t.Context(), []credit.Subject{{ID: "N1", Code: "N1", Kind: credit.Organisation, Name: "福州华为达电子科技有限公司", UpdatedAt: later.Add(time.Hour)}}); err != nil {
		t.Fatal(err)
	}
	for _, x := range []*Index{full, snap} {
		if _, err := x.Refresh(t.Context(), st, nil); err != nil {
			t.Fatal(err)
		}
	}
	if got, want := answers(snap, append(qs, "华为", "宁德")), answers(full, append(qs, "华为", "宁德")); !reflect.DeepEqual(got, want) {
		t.Fatal("after a refresh the snapshot's index and the full load answer differently")
	}
	if r := snap.Search("华为", 5); len(r.Hits) != 1 || r.Hits[0].ID != "N1" {
		t.Fatalf("华为 after catching up = %+v", r.Hits)
	}
}

func TestSnapshotFallsBack(t *testing.T) {
	st := snapStore(t, 500)
	dir := t.TempDir()
	x := New()
	res, err := x.LoadFrom(t.Context(), dir, st, nil)
	if err != nil || res.FromSnapshot || res.SnapshotErr != nil || res.Read != 500 {
		t.Fatalf("first load = %+v, %v: want a full load of 500 with no snapshot", res, err)
	}
	if err := x.SaveSnapshot(t.Context(), dir, st); err != nil {
		t.Fatal(err)
	}
	y := New()
	res, err = y.LoadFrom(t.Context(), dir, st, nil)
	if err != nil || !res.FromSnapshot || res.Read != 0 || y.Len() != 500 {
		t.Fatalf("load from the snapshot = %+v, %v, %d subjects", res, err, y.Len())
	}
	good, err := os.ReadFile(filepath.Join(dir, SnapshotFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		data []byte
	}{
		{"one bit flipped", func() []byte { b := bytes.Clone(good); b[len(b)/2] ^= 0x10; return b }()},
		{"truncated", good[:len(good)-9]},
		{"empty", nil},
		{"bytes after the end", append(bytes.Clone(good), 0)},
	} {
		if err := os.WriteFile(filepath.Join(dir, SnapshotFile), c.data, 0o600); err != nil {
			t.Fatal(err)
		}
		z := New()
		res, err := z.LoadFrom(t.Context(), dir, st, nil)
		if err != nil || res.FromSnapshot || res.SnapshotErr == nil || res.Read != 500 || z.Len() != 500 {
			t.Fatalf("%s: load = %+v, %v, %d subjects: want the snapshot refused and a full load", c.name, res, err, z.Len())
		}
		if r := z.Search("公司", 3); len(r.Hits) != 3 {
			t.Fatalf("%s: the full load after a refused snapshot answers %+v", c.name, r)
		}
	}
	// A snapshot of another store (same size, other feed) is refused.
	if err := os.WriteFile(filepath.Join(dir, SnapshotFile), good, 0o600); err != nil {
		t.Fatal(err)
	}
	other := snapStore(t, 500)
	w := New()
	res, err = w.LoadFrom(t.Context(), dir, other, nil)
	if err != nil || res.FromSnapshot || res.SnapshotErr == nil || w.Len() != 500 {
		t.Fatalf("snapshot of another store: %+v, %v", res, err)
	}
}
