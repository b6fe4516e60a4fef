package pii

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/xinyong/xinyong/internal/credit"
)

// The variables that give a node its keys, named in what Check says.
const (
	keyVar      = "XINYONG_DATA_KEY"
	previousVar = "XINYONG_DATA_KEY_PREVIOUS"
)

// Check verifies the sealer's keys against the check values the store
// keeps, before anything is sealed or opened. On a store that has none yet
// it registers the key the data already there is sealed with (or, on an
// empty store, the sealer's current key); when the sealer's current key is
// new and its previous key is the store's current one, it registers the
// new key as the target of a rotation: nodes seal with it from then on and
// `xinyong key rotate` re-seals the rest.
//
// It returns the sealer to use, without the keys the store has retired or
// does not know (each such key is named in a note), and notes worth
// logging. A key the store does not accept is an error that says which key
// the store expects and what to set.
func Check(ctx context.Context, st credit.KeyStore, s *Sealer, now time.Time) (*Sealer, []string, error) {
	for range 3 { // a retry per registration another node may race
		keys, err := st.DataKeys(ctx)
		if err != nil {
			return nil, nil, err
		}
		var cur, next *credit.DataKey
		for i := range keys {
			switch keys[i].State {
			case credit.KeyCurrent:
				cur = &keys[i]
			case credit.KeyNext:
				next = &keys[i]
			}
		}
		if cur == nil {
			k, err := sealedWith(ctx, st, s)
			if err != nil {
				return nil, nil, err
			}
			err = st.AddDataKey(ctx, credit.DataKey{ID: k, Check: s.CheckValueOf(k), State: credit.KeyCurrent, Created: now})
			if err != nil && !credit.Is(credit.Exists, err) {
				return nil, nil, err
			}
			continue // and check again against what is registered now
		}
		if err := sameCheck(s, keys); err != nil {
			return nil, nil, err
		}
		if next == nil && s.KeyID() != cur.ID && s.holds(cur.ID) && !retired(keys, s.KeyID()) {
			err := st.AddDataKey(ctx, credit.DataKey{ID: s.KeyID(), Check: s.CheckValue(), State: credit.KeyNext, Created: now})
			if err != nil && !credit.Is(credit.Exists, err) {
				return nil, nil, err
			}
			continue // and check again (Exists: another node began a rotation first)
		}
		return accept(s, keys, cur, next)
	}
	return nil, nil, credit.E("pii.Check", credit.Unavailable, "the data keys in the database keep changing: try again")
}

// accept decides on a sealer against the registered keys.
func accept(s *Sealer, keys []credit.DataKey, cur, next *credit.DataKey) (*Sealer, []string, error) {
	var notes []string
	dropped := func(use []string) {
		for _, id := range s.KeyIDs() {
			keep := false
			for _, u := range use {
				keep = keep || id == u
			}
			if keep {
				continue
			}
			if retired(keys, id) {
				notes = append(notes, fmt.Sprintf("previous data key %s was retired by a finished key rotation: it is ignored, remove it from %s", id, previousVar))
			} else {
				notes = append(notes, fmt.Sprintf("previous data key %s is not one this database uses: it is ignored, remove it from %s", id, previousVar))
			}
		}
	}
	switch {
	case next == nil && s.KeyID() == cur.ID:
		dropped([]string{cur.ID})
		return s.Keep(cur.ID), notes, nil
	case next != nil && s.KeyID() == next.ID && s.holds(cur.ID):
		dropped([]string{next.ID, cur.ID})
		return s.Keep(next.ID, cur.ID), append(notes, fmt.Sprintf("a data key rotation from key %s to key %s is under way: new data is sealed with %s; `xinyong key rotate` re-seals the rest", cur.ID, next.ID, next.ID)), nil
	case next != nil && s.KeyID() == next.ID:
		return nil, nil, refuse("a data key rotation from key %s to key %s is under way and this node has only the new key: give the previous key too (%s) until `xinyong key rotate` has finished", cur.ID, next.ID, previousVar)
	case next != nil && s.KeyID() == cur.ID:
		return nil, nil, refuse("a data key rotation from key %s to key %s is under way: set %s to the new key and %s to this one (key %s)", cur.ID, next.ID, keyVar, previousVar, cur.ID)
	case retired(keys, s.KeyID()):
		var when time.Time
		for _, k := range keys {
			if k.ID == s.KeyID() {
				when = k.Changed
			}
		}
		return nil, nil, refuse("data key %s was retired by a key rotation on %s: set %s to the current key (key %s)", s.KeyID(), when.Format(time.DateOnly), keyVar, cur.ID)
	}
	if next != nil {
		return nil, nil, refuse("the data key (key %s) is neither key of the rotation under way from key %s to key %s: set %s to key %s and %s to key %s", s.KeyID(), cur.ID, next.ID, keyVar, next.ID, previousVar, cur.ID)
	}
	return nil, nil, refuse("the data key (key %s) is not the key this database is sealed with (key %s): set %s to that key, or restore the key file from the backup made with the database", s.KeyID(), cur.ID, keyVar)
}

func refuse(format string, args ...any) error {
	return credit.E("", credit.Invalid, "bad data key: "+format, args...)
}

// sameCheck refuses a key whose ID is registered with another check value:
// a different key whose ID happens to match.
func sameCheck(s *Sealer, keys []credit.DataKey) error {
	for _, k := range keys {
		if c := s.CheckValueOf(k.ID); c != "" && c != k.Check {
			return refuse("data key %s does not match the check value the database keeps for key %s: it is another key", k.ID, k.ID)
		}
	}
	return nil
}

func retired(keys []credit.DataKey, id string) bool {
	for _, k := range keys {
		if k.ID == id && k.State == credit.KeyRetired {
			return true
		}
	}
	return false
}

func (s *Sealer) holds(id string) bool { return s.byID(id) != nil }

// sealedWith finds, on a store with no check value yet, which of the
// sealer's keys the data already there is sealed with: on a database from
// before check values, the first start registers the key that opens it,
// never a key that does not. On an empty store it is the current key.
func sealedWith(ctx context.Context, st credit.KeyStore, s *Sealer) (string, error) {
	for _, c := range Columns {
		v, err := st.SampleSealed(ctx, c.SealedColumn)
		if err != nil {
			return "", err
		}
		if v == nil {
			continue
		}
		tells := false
		for _, id := range s.KeyIDs() {
			opens, t := c.Opens(s.Keep(id), v)
			if opens {
				return id, nil
			}
			tells = tells || t
		}
		if !tells {
			continue
		}
		return "", refuse("the data key (key %s) does not open the ID numbers already in the database (%s): set %s to the key they were sealed with, or restore the key file from the backup made with the database",
			strings.Join(s.KeyIDs(), ", "), c.Table, keyVar)
	}
	return s.KeyID(), nil
}

// HasSealedData reports whether the store holds anything sealed with a
// data key (a check value, or a row of a registered column): a node must
// then never generate a new key, which would leave it unreadable.
func HasSealedData(ctx context.Context, st credit.KeyStore) (bool, error) {
	keys, err := st.DataKeys(ctx)
	if err != nil {
		return false, err
	}
	if len(keys) > 0 {
		return true, nil
	}
	return st.HasSealed(ctx, sealedColumns())
}

// Usable reports, for a node running with s, whether the store still
// accepts its keys: its current key must be current or the target of a
// rotation, and while a rotation is under way it must hold both keys. A
// node left running with a key a rotation has since begun to replace, or
// retired, is not ready. One small read, for the readiness probe.
func Usable(ctx context.Context, st credit.KeyStore, s *Sealer) error {
	keys, err := st.DataKeys(ctx)
	if err != nil {
		return err
	}
	known := false
	for _, k := range keys {
		switch {
		case k.ID == s.KeyID() && k.State == credit.KeyRetired:
			return fmt.Errorf("data key %s was retired by a key rotation on %s: restart the node with the current key", k.ID, k.Changed.Format(time.DateOnly))
		case k.ID == s.KeyID():
			known = true
		case k.State == credit.KeyNext && !s.holds(k.ID):
			return fmt.Errorf("a data key rotation to key %s is under way: restart the node with it as %s and key %s as %s", k.ID, keyVar, s.KeyID(), previousVar)
		}
	}
	if !known {
		return fmt.Errorf("data key %s is not registered in the database", s.KeyID())
	}
	return nil
}
