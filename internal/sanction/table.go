package sanction

import (
	"bytes"
	"hash/maphash"
	"math"
)

// table maps string keys to byte-string values, held in three arrays that
// contain no pointers: an open-addressed slot array, a record array of
// offsets, and one byte arena for every key and value.
//
// Why not a map[string][]byte: the hit-check index holds tens of
// thousands of entries, and as Go maps of strings and slices that is
// hundreds of thousands of heap objects which the collector marks on every
// cycle, taking both cores of a small node for ~100 ms every few seconds
// while it answers checks. Arrays without pointers are never scanned, so
// a cycle costs the same whatever the size of the index.
//
// The arena is append-only: a value that is replaced or deleted leaves its
// bytes behind as garbage until compact. A table that has been cloned
// shares its arena with the clone, which may append to it; bytes below the
// original's length are never written again, so the original stays valid
// for readers. Only the newest clone may be written to.
type table struct {
	slots   []uint32 // 0: empty; otherwise 1 + the record's index
	recs    []tableRec
	arena   []byte
	live    int // records with a value
	garbage int // arena bytes no record refers to
	seed    maphash.Seed
}

type tableRec struct {
	koff, klen, voff, vlen uint32
}

func newTable() table { return table{seed: maphash.MakeSeed()} }

func (t *table) key(r *tableRec) []byte { return t.arena[r.koff : r.koff+r.klen] }

// find returns the index of key's record, or -1, and the slot where the
// search ended.
func (t *table) find(key string) (int, int) {
	if len(t.slots) == 0 {
		return -1, -1
	}
	mask := len(t.slots) - 1
	for i := int(maphash.String(t.seed, key)) & mask; ; i = (i + 1) & mask {
		s := t.slots[i]
		if s == 0 {
			return -1, i
		}
		r := &t.recs[s-1]
		if string(t.key(r)) == key { // compared in place: no allocation
			return int(s - 1), i
		}
	}
}

// get returns key's value, or nil and false. The value is a view into the
// arena, valid for as long as the caller holds it (the bytes are never
// rewritten).
func (t *table) get(key string) ([]byte, bool) {
	i, _ := t.find(key)
	if i < 0 || t.recs[i].vlen == 0 {
		return nil, false
	}
	r := &t.recs[i]
	return t.arena[r.voff : r.voff+r.vlen : r.voff+r.vlen], true
}

// put sets key's value; an empty value deletes it.
func (t *table) put(key string, val []byte) {
	i, slot := t.find(key)
	if i >= 0 {
		r := &t.recs[i]
		t.garbage += int(r.vlen)
		if r.vlen > 0 {
			t.live--
		}
		r.voff, r.vlen = t.appendBytes(val), uint32(len(val))
		if len(val) > 0 {
			t.live++
		}
		return
	}
	if len(val) == 0 {
		return
	}
	if (len(t.recs)+1)*2 > len(t.slots) {
		t.grow()
		_, slot = t.find(key)
	}
	koff := t.appendBytes([]byte(key))
	voff := t.appendBytes(val)
	t.recs = append(t.recs, tableRec{koff: koff, klen: uint32(len(key)), voff: voff, vlen: uint32(len(val))})
	t.slots[slot] = uint32(len(t.recs))
	t.live++
}

func (t *table) appendBytes(b []byte) uint32 {
	off := len(t.arena)
	if off+len(b) > math.MaxUint32 {
		// Offsets are 32-bit. The index of every list entry of a
		// province is a few hundred megabytes; reaching this is a bug
		// (a value rewritten without compaction), not a size to support.
		panic("sanction: index table arena over 4 GiB")
	}
	t.arena = append(t.arena, b...)
	return uint32(off)
}

// grow doubles the slot array (at least 64 slots) and re-slots every
// record.
func (t *table) grow() {
	n := max(64, 2*len(t.slots))
	for n < 2*(len(t.recs)+1) {
		n *= 2
	}
	t.slots = make([]uint32, n)
	mask := n - 1
	for ri := range t.recs {
		i := int(maphash.Bytes(t.seed, t.key(&t.recs[ri]))) & mask
		for t.slots[i] != 0 {
			i = (i + 1) & mask
		}
		t.slots[i] = uint32(ri + 1)
	}
}

// clone returns a table that can be written without changing t: slots and
// records are copied, the append-only arena is shared.
func (t *table) clone() table {
	c := *t
	c.slots = append([]uint32(nil), t.slots...)
	c.recs = append([]tableRec(nil), t.recs...)
	return c
}

// compacted returns t rebuilt without deleted keys and garbage bytes once
// garbage is most of the arena, and t itself otherwise.
func (t *table) compacted() table {
	if t.garbage < 1<<16 || t.garbage < len(t.arena)/2 {
		return *t
	}
	c := table{seed: t.seed}
	t.each(func(k, v []byte) bool {
		c.put(string(k), v)
		return true
	})
	return c
}

// len is the number of keys with a value.
func (t *table) len() int { return t.live }

// each calls fn with every key and value (views into the arena) until fn
// returns false.
func (t *table) each(fn func(k, v []byte) bool) {
	for i := range t.recs {
		r := &t.recs[i]
		if r.vlen == 0 {
			continue
		}
		if !fn(t.key(r), t.arena[r.voff:r.voff+r.vlen:r.voff+r.vlen]) {
			return
		}
	}
}

// Lists of IDs are kept as values joined by a NUL byte (IDs are generated
// or validated codes and never contain one).

func splitIDs(v []byte) []string {
	if len(v) == 0 {
		return nil
	}
	var out []string
	for len(v) > 0 {
		i := bytes.IndexByte(v, 0)
		if i < 0 {
			out = append(out, string(v))
			break
		}
		out = append(out, string(v[:i]))
		v = v[i+1:]
	}
	return out
}

func joinIDs(ids []string) []byte {
	var b []byte
	for i, id := range ids {
		if i > 0 {
			b = append(b, 0)
		}
		b = append(b, id...)
	}
	return b
}

// addID adds id to key's list unless it is there.
func (t *table) addID(key, id string) {
	v, _ := t.get(key)
	for _, x := range splitIDs(v) {
		if x == id {
			return
		}
	}
	if len(v) > 0 {
		v = append(append(append([]byte(nil), v...), 0), id...)
	} else {
		v = []byte(id)
	}
	t.put(key, v)
}

func (t *table) ids(key string) []string {
	v, _ := t.get(key)
	return splitIDs(v)
}
