package pii_test

import (
	"strings"
	"testing"

	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/pii"
	"github.com/xinyong/xinyong/internal/testenv"
)

// TestCheck: the first start registers the key; another key is refused
// with what to set; a database from before check values registers the key
// its data opens with and refuses one it does not.
func TestCheck(t *testing.T) {
	backends(t, func(t *testing.T, st credit.Store) {
		ctx := t.Context()
		now := testenv.DefaultNow
		old, other := sealer(t, oldKey), sealer(t, newKey)
		if has, err := pii.HasSealedData(ctx, st); err != nil || has {
			t.Fatalf("HasSealedData on an empty store = %v, %v", has, err)
		}
		s, notes, err := pii.Check(ctx, st, old, now)
		if err != nil || s.KeyID() != old.KeyID() || len(notes) != 0 {
			t.Fatalf("first Check = %v, %v, %v", s, notes, err)
		}
		ks, err := st.DataKeys(ctx)
		if err != nil || len(ks) != 1 || ks[0].ID != old.KeyID() || ks[0].Check != old.CheckValue() || ks[0].State != credit.KeyCurrent {
			t.Fatalf("registered %+v, %v", ks, err)
		}
		if strings.Contains(ks[0].Check, string(oldKey)) {
			t.Fatal("the store holds the key")
		}
		if has, err := pii.HasSealedData(ctx, st); err != nil || !has {
			t.Fatalf("HasSealedData with a check value = %v, %v", has, err)
		}
		// Again: fine. Another key: refused, naming both keys and what to set.
		if _, _, err := pii.Check(ctx, st, old, now); err != nil {
			t.Fatal(err)
		}
		_, _, err = pii.Check(ctx, st, other, now)
		if !credit.Is(credit.Invalid, err) || !strings.Contains(err.Error(), other.KeyID()) || !strings.Contains(err.Error(), old.KeyID()) ||
			!strings.Contains(err.Error(), "XINYONG_DATA_KEY") {
			t.Fatalf("wrong key: %v", err)
		}
		if err := pii.Usable(ctx, st, old); err != nil {
			t.Errorf("Usable(current key) = %v", err)
		}
		if err := pii.Usable(ctx, st, other); err == nil {
			t.Error("Usable(unknown key) = nil")
		}
		// A previous key that is no rotation's: ignored, with a note.
		s, notes, err = pii.Check(ctx, st, sealer(t, oldKey, newKey), now)
		if err != nil || len(s.KeyIDs()) != 1 || len(notes) != 1 || !strings.Contains(notes[0], "XINYONG_DATA_KEY_PREVIOUS") {
			t.Fatalf("stray previous key: %v %v %v", s.KeyIDs(), notes, err)
		}
		// Once a rotation has begun, a node with the old key alone is no
		// longer ready.
		if _, _, err := pii.Check(ctx, st, sealer(t, newKey, oldKey), now); err != nil {
			t.Fatal(err)
		}
		if err := pii.Usable(ctx, st, old); err == nil || !strings.Contains(err.Error(), "rotation") {
			t.Errorf("Usable(old key alone) during a rotation = %v", err)
		}
		if err := pii.Usable(ctx, st, sealer(t, newKey, oldKey)); err != nil {
			t.Errorf("Usable(both keys) = %v", err)
		}
	})
}

// TestCheckOlderDatabase: a database sealed before check values existed.
func TestCheckOlderDatabase(t *testing.T) {
	backends(t, func(t *testing.T, st credit.Store) {
		ctx := t.Context()
		now := testenv.DefaultNow
		old, other := sealer(t, oldKey), sealer(t, newKey)
		const id = "11010519491231002X"
		c, err := pii.LegacySeal(old, id)
		if err != nil {
			t.Fatal(err)
		}
		if err := st.PutSubject(ctx, &credit.Subject{ID: "P1", Kind: credit.Person, Name: "王", IDCipher: c, IDHash: old.Hash(id)}); err != nil {
			t.Fatal(err)
		}
		if has, err := pii.HasSealedData(ctx, st); err != nil || !has {
			t.Fatalf("HasSealedData = %v, %v", has, err)
		}
		// The wrong key registers nothing and is refused.
		if _, _, err := pii.Check(ctx, st, other, now); !credit.Is(credit.Invalid, err) || !strings.Contains(err.Error(), "does not open") {
			t.Fatalf("wrong key on an older database: %v", err)
		}
		if ks, _ := st.DataKeys(ctx); len(ks) != 0 {
			t.Fatalf("the wrong key was registered: %+v", ks)
		}
		// The right one is registered; given with a new key, a rotation
		// from it begins.
		s, _, err := pii.Check(ctx, st, sealer(t, newKey, oldKey), now)
		if err != nil || s.KeyID() != other.KeyID() {
			t.Fatalf("older database with a rotation: %v", err)
		}
		ks, _ := st.DataKeys(ctx)
		states := map[string]credit.DataKeyState{}
		for _, k := range ks {
			states[k.ID] = k.State
		}
		if len(ks) != 2 || states[old.KeyID()] != credit.KeyCurrent || states[other.KeyID()] != credit.KeyNext {
			t.Fatalf("keys %+v", ks)
		}
	})
}
