package pii

import (
	"context"
	"time"

	"github.com/xinyong/xinyong/internal/credit"
)

// RotateOptions tune Rotate.
type RotateOptions struct {
	// Batch is how many rows one transaction re-seals (default 500).
	Batch int
	// Progress, when set, is told after every batch.
	Progress func(credit.ResealProgress)
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Rotate re-seals everything in the registry (Columns) with s's current
// key, which must be the target of the rotation under way (Check registers
// it when a node starts with the new key and the old one as previous),
// opening what is sealed with s's previous key, and then finishes the
// rotation: the new key becomes current and the old one is retired and
// refused from then on.
//
// Each batch commits its rows with the column's cursor, so a rotation that
// is killed or cancelled resumes where it stopped when Rotate is called
// again. Readers are never blocked beyond one batch's transaction, and
// nodes holding both keys open either kind of value and find persons by
// either hash meanwhile. On a store with no rotation under way Rotate does
// nothing and reports done.
func Rotate(ctx context.Context, st credit.KeyStore, s *Sealer, o RotateOptions) error {
	const op = "pii.Rotate"
	if o.Batch <= 0 {
		o.Batch = 500
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	keys, err := st.DataKeys(ctx)
	if err != nil {
		return err
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
	switch {
	case next == nil && cur != nil && cur.ID == s.KeyID():
		return nil // finished already, or never begun: nothing to re-seal
	case next == nil || cur == nil:
		return credit.E(op, credit.Conflict, "no data key rotation is under way")
	case next.ID != s.KeyID() || !s.holds(cur.ID):
		return refuse("the rotation under way is from key %s to key %s: give the new key as %s and the old one as %s", cur.ID, next.ID, keyVar, previousVar)
	}
	r := &Rekey{From: s.Keep(next.ID, cur.ID), To: s.Keep(next.ID)}
	for _, c := range Columns {
		for {
			p, err := st.Reseal(ctx, c.SealedColumn, next.ID, o.Batch, func(key string, v [][]byte) ([][]byte, error) {
				return c.Reseal(r, key, v)
			})
			if err != nil {
				return credit.Wrap(op, credit.Other, err)
			}
			if o.Progress != nil {
				o.Progress(*p)
			}
			if p.Done {
				break
			}
		}
	}
	return st.FinishRotation(ctx, next.ID, ColumnNames(), o.Now())
}

// SealClear seals, with s's current key, what the registry's columns hold
// in clear: data written before the platform sealed it (record fields that
// name a person's ID number, rejected rows). It is the migration of an
// older installation, run at every start: once a column has been sealed
// whole it is marked done for the key and costs one read from then on. It
// returns how many rows it sealed.
func SealClear(ctx context.Context, st credit.KeyStore, s *Sealer, o RotateOptions) (int64, error) {
	const op = "pii.SealClear"
	if o.Batch <= 0 {
		o.Batch = 500
	}
	r := &Rekey{From: s, To: s.Keep(s.KeyID())}
	var n int64
	for _, c := range Columns {
		if !c.Clear {
			continue
		}
		for {
			p, err := st.Reseal(ctx, c.SealedColumn, s.KeyID(), o.Batch, func(key string, v [][]byte) ([][]byte, error) {
				return c.Reseal(r, key, v)
			})
			if err != nil {
				return n, credit.Wrap(op, credit.Other, err)
			}
			if o.Progress != nil {
				o.Progress(*p)
			}
			if p.Done {
				n += p.Resealed
				break
			}
		}
	}
	return n, nil
}
