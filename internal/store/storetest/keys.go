package storetest

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/xinyong/xinyong/internal/credit"
)

// testDataKeys: the key check values, their states and how a rotation
// finishes.
func testDataKeys(t *testing.T, s credit.Store) {
	ks, err := s.DataKeys(ctx(t))
	if err != nil || len(ks) != 0 {
		t.Fatalf("DataKeys on an empty store = %v, %v", ks, err)
	}
	at := time.Date(2026, 11, 20, 2, 0, 0, 0, time.UTC)
	first := credit.DataKey{ID: "aaaa0001", Check: strings.Repeat("a", 64), State: credit.KeyCurrent, Created: at}
	if err := s.AddDataKey(ctx(t), first); err != nil {
		t.Fatal(err)
	}
	// One current key; a known ID cannot come back in another state.
	wantKind(t, "a second current key", s.AddDataKey(ctx(t), credit.DataKey{ID: "bbbb0002", Check: "b", State: credit.KeyCurrent}), credit.Exists)
	wantKind(t, "the same key as next", s.AddDataKey(ctx(t), credit.DataKey{ID: "aaaa0001", Check: first.Check, State: credit.KeyNext}), credit.Exists)
	wantKind(t, "a retired key", s.AddDataKey(ctx(t), credit.DataKey{ID: "cccc0003", Check: "c", State: credit.KeyRetired}), credit.Invalid)
	next := credit.DataKey{ID: "bbbb0002", Check: strings.Repeat("b", 64), State: credit.KeyNext, Created: at.Add(time.Hour)}
	if err := s.AddDataKey(ctx(t), next); err != nil {
		t.Fatal(err)
	}
	wantKind(t, "a second next key", s.AddDataKey(ctx(t), credit.DataKey{ID: "dddd0004", Check: "d", State: credit.KeyNext}), credit.Exists)
	ks, err = s.DataKeys(ctx(t))
	if err != nil || len(ks) != 2 || ks[0] != (credit.DataKey{ID: first.ID, Check: first.Check, State: credit.KeyCurrent, Created: at, Changed: at}) ||
		ks[1].ID != next.ID || ks[1].State != credit.KeyNext || ks[1].Check != next.Check {
		t.Fatalf("DataKeys = %+v, %v", ks, err)
	}

	// A rotation finishes only to the next key, once every column is done.
	wantKind(t, "finish to the current key", s.FinishRotation(ctx(t), first.ID, nil, at), credit.Conflict)
	wantKind(t, "finish with a column not started", s.FinishRotation(ctx(t), next.ID, []string{"t.c"}, at), credit.Conflict)
	mustPutSubject(t, s, person("P1", "h1", "甲"))
	col := subjectColumn()
	if _, err := s.Reseal(ctx(t), col, next.ID, 10, func(string, [][]byte) ([][]byte, error) { return nil, nil }); err != nil {
		t.Fatal(err)
	}
	if err := s.FinishRotation(ctx(t), next.ID, []string{col.Name}, at.Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	ks, err = s.DataKeys(ctx(t))
	if err != nil || len(ks) != 2 || ks[0].State != credit.KeyRetired || ks[1].State != credit.KeyCurrent ||
		!ks[0].Changed.Equal(at.Add(2*time.Hour)) || !ks[1].Changed.Equal(at.Add(2*time.Hour)) {
		t.Fatalf("after the rotation: %+v, %v", ks, err)
	}
	// The retired key is gone for good; a new rotation can begin.
	wantKind(t, "a retired key again", s.AddDataKey(ctx(t), credit.DataKey{ID: first.ID, Check: first.Check, State: credit.KeyNext}), credit.Exists)
	if err := s.AddDataKey(ctx(t), credit.DataKey{ID: "eeee0005", Check: "e", State: credit.KeyNext}); err != nil {
		t.Fatal(err)
	}
}

// subjectColumn is natural persons' sealed ID numbers, as pii registers
// them.
func subjectColumn() credit.SealedColumn {
	return credit.SealedColumn{Name: "subjects.id_number", Table: "subjects", Key: "id",
		Fields: []credit.SealedField{{Name: "id_cipher", Binary: true}, {Name: "id_hash"}}, Where: "id_cipher IS NOT NULL"}
}

// testReseal: a rotation's batches over a sealed column, with a cursor
// that survives between calls, a second pass that finds what was written
// behind the cursor, and rows rewritten meanwhile left alone.
func testReseal(t *testing.T, s credit.Store) {
	col := subjectColumn()
	if ok, err := s.HasSealed(ctx(t), []credit.SealedColumn{col}); err != nil || ok {
		t.Fatalf("HasSealed on an empty store = %v, %v", ok, err)
	}
	if v, err := s.SampleSealed(ctx(t), col); err != nil || v != nil {
		t.Fatalf("SampleSealed on an empty store = %v, %v", v, err)
	}
	mustPutSubject(t, s, org("91110000000000001A", "甲公司")) // holds nothing sealed
	for i := 1; i <= 7; i++ {
		p := person(fmt.Sprintf("P%02d", i), fmt.Sprintf("old-hash-%d", i), "某")
		p.IDCipher = []byte(fmt.Sprintf("old\x00cipher-%d", i))
		mustPutSubject(t, s, p)
	}
	if ok, err := s.HasSealed(ctx(t), []credit.SealedColumn{col}); err != nil || !ok {
		t.Fatalf("HasSealed = %v, %v", ok, err)
	}
	if v, err := s.SampleSealed(ctx(t), col); err != nil || len(v) != 2 || !bytes.HasPrefix(v[0], []byte("old\x00")) || !strings.HasPrefix(string(v[1]), "old-hash-") {
		t.Fatalf("SampleSealed = %q, %v", v, err)
	}
	// The re-sealing: old values become new ones; a new one is left.
	var seen []string
	fn := func(key string, v [][]byte) ([][]byte, error) {
		seen = append(seen, key)
		if !bytes.HasPrefix(v[0], []byte("old\x00")) {
			return nil, nil
		}
		return [][]byte{bytes.Replace(v[0], []byte("old"), []byte("new"), 1), []byte(strings.Replace(string(v[1]), "old", "new", 1))}, nil
	}
	const target = "ffff0001"
	step := func() *credit.ResealProgress {
		t.Helper()
		p, err := s.Reseal(ctx(t), col, target, 3, fn)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	p := step()
	if p.Pass != 1 || p.LastKey != "P03" || p.Changed != 3 || p.Done || strings.Join(seen, ",") != "P01,P02,P03" {
		t.Fatalf("first batch: %+v, saw %v", p, seen)
	}
	// A node still on the old key writes behind the cursor meanwhile.
	behind := person("P02", "old-hash-2", "某")
	behind.IDCipher = []byte("old\x00cipher-2")
	mustPutSubject(t, s, behind)
	for p = step(); p.Pass == 1; p = step() {
	}
	// Pass 1 saw 7 rows; pass 2 finds P02 again, pass 3 nothing.
	for !p.Done {
		p = step()
	}
	if p.Pass != 3 || p.Resealed != 8 || p.Changed != 0 {
		t.Errorf("final progress %+v, want pass 3 with 8 rows re-sealed in all", p)
	}
	// Done is done: no more reads.
	seen = nil
	if p := step(); !p.Done || len(seen) != 0 {
		t.Errorf("after done: %+v, saw %v", p, seen)
	}
	for i := 1; i <= 7; i++ {
		got, err := s.SubjectByIDHash(ctx(t), fmt.Sprintf("new-hash-%d", i))
		if err != nil || string(got.IDCipher) != fmt.Sprintf("new\x00cipher-%d", i) {
			t.Errorf("person %d after the rotation: %+v, %v", i, got, err)
		}
	}
	ps, err := s.RotationProgress(ctx(t), target)
	if err != nil || len(ps) != 1 || ps[0].Column != col.Name || !ps[0].Done || ps[0].Resealed != 8 || ps[0].Updated.IsZero() {
		t.Errorf("RotationProgress = %+v, %v", ps, err)
	}
	if ps, err := s.RotationProgress(ctx(t), "other"); err != nil || len(ps) != 0 {
		t.Errorf("RotationProgress(other) = %+v, %v", ps, err)
	}

	// A row rewritten between the read and the write is left as the other
	// writer left it, and looked at again in the next pass.
	const target2 = "ffff0002"
	raced := false
	racer := func(key string, v [][]byte) ([][]byte, error) {
		if key == "P04" && !raced {
			raced = true
			// What another node writes now, through its own connection,
			// cannot be seen here on SQLite (the writer is this
			// transaction); the value read is changed in place instead,
			// which the compare-and-set cannot match.
			v[0] = []byte("stale")
		}
		if bytes.HasPrefix(v[0], []byte("v2\x00")) {
			return nil, nil
		}
		return [][]byte{[]byte("v2\x00" + key), []byte("v2-" + key)}, nil
	}
	var q *credit.ResealProgress
	for q == nil || !q.Done {
		if q, err = s.Reseal(ctx(t), col, target2, 100, racer); err != nil {
			t.Fatal(err)
		}
	}
	if q.Pass != 3 || q.Resealed != 7 {
		t.Errorf("with a race: %+v, want the row re-sealed in pass 2 and a quiet pass 3", q)
	}
	if got, err := s.Subject(ctx(t), "P04"); err != nil || string(got.IDCipher) != "v2\x00P04" {
		t.Errorf("raced row: %+v, %v", got, err)
	}
	// An error in the re-sealing stops the batch: nothing of it is kept.
	boom := func(key string, v [][]byte) ([][]byte, error) {
		if key == "P03" {
			return nil, credit.E("test", credit.Conflict, "cannot")
		}
		return [][]byte{[]byte("v3"), []byte("v3-" + key)}, nil
	}
	_, err = s.Reseal(ctx(t), col, "ffff0003", 100, boom)
	wantKind(t, "Reseal with a failing row", err, credit.Conflict)
	if got, _ := s.Subject(ctx(t), "P01"); string(got.IDCipher) != "v2\x00P01" {
		t.Errorf("a failed batch left P01 as %q", got.IDCipher)
	}
	if ps, _ := s.RotationProgress(ctx(t), "ffff0003"); len(ps) != 0 {
		t.Errorf("a failed batch recorded progress %+v", ps)
	}
}
