package search

import "slices"

// ordHash is a hash multimap from string keys to ordinals that stores no
// keys and no pointers: a slot holds 32 bits of the key's hash and the
// ordinal. A look-up yields every ordinal stored under the same hash bits,
// and the caller checks each against its document, so collisions cost a
// comparison, never a wrong answer. Open addressing with linear probing;
// removed slots are tombstones until the next growth.
type ordHash struct {
	slots []uint64 // 0: empty; tombstone; otherwise tag<<32 | ordinal+1
	used  int      // slots that are not empty (live and tombstones)
}

const tombstone = ^uint64(0)

func (m *ordHash) tagged(h uint64, ord uint32) uint64 { return h>>32<<32 | uint64(ord) + 1 }

func (m *ordHash) add(h uint64, ord uint32) {
	if (m.used+1)*2 > len(m.slots) {
		m.rehash()
	}
	mask := len(m.slots) - 1
	for i := int(h>>32) & mask; ; i = (i + 1) & mask {
		if m.slots[i] == 0 {
			m.slots[i] = m.tagged(h, ord)
			m.used++
			return
		}
	}
}

// remove removes every occurrence of ord under h's tag (its top 32 bits),
// so also ord stored under another key with the same tag. The index only
// removes an ordinal with all of its keys at once, which makes that moot.
func (m *ordHash) remove(h uint64, ord uint32) {
	if len(m.slots) == 0 {
		return
	}
	want := m.tagged(h, ord)
	mask := len(m.slots) - 1
	for i := int(h>>32) & mask; m.slots[i] != 0; i = (i + 1) & mask {
		if m.slots[i] == want {
			m.slots[i] = tombstone
		}
	}
}

// each calls fn with the ordinals stored under h until fn returns false.
func (m *ordHash) each(h uint64, fn func(uint32) bool) {
	if len(m.slots) == 0 {
		return
	}
	tag := h >> 32
	mask := len(m.slots) - 1
	for i := int(tag) & mask; m.slots[i] != 0; i = (i + 1) & mask {
		if s := m.slots[i]; s != tombstone && s>>32 == tag {
			if !fn(uint32(s) - 1) {
				return
			}
		}
	}
}

// rehash makes room: live slots are re-placed in a table at most a
// quarter full, tombstones dropped.
func (m *ordHash) rehash() {
	live := 0
	for _, s := range m.slots {
		if s != 0 && s != tombstone {
			live++
		}
	}
	n := 64
	for n < 4*(live+1) {
		n *= 2
	}
	old := m.slots
	m.slots, m.used = make([]uint64, n), live
	mask := n - 1
	for _, s := range old {
		if s == 0 || s == tombstone {
			continue
		}
		i := int(s>>32) & mask
		for m.slots[i] != 0 {
			i = (i + 1) & mask
		}
		m.slots[i] = s
	}
}

// postings are the posting lists, each a run of one slab of ordinals. A
// list that outgrows its run moves to the end of the slab (twice the
// room), leaving its old run as waste until trim.
type postings struct {
	idx   map[uint64]uint32 // posting key → list number (a map without pointers: not scanned)
	lists []postingList
	slab  []uint32
}

type postingList struct{ off, n, room uint32 }

func newPostings() postings { return postings{idx: make(map[uint64]uint32)} }

// get returns the list of key k (a view into the slab).
func (p *postings) get(k uint64) []uint32 {
	i, ok := p.idx[k]
	if !ok {
		return nil
	}
	l := p.lists[i]
	return p.slab[l.off : l.off+l.n : l.off+l.n]
}

// add appends ord to k's list unless it is already its last element:
// ordinals are added in increasing order, so lists stay sorted and unique.
func (p *postings) add(k uint64, ord uint32) {
	i, ok := p.idx[k]
	if !ok {
		i = uint32(len(p.lists))
		p.idx[k] = i
		p.lists = append(p.lists, postingList{off: uint32(len(p.slab))})
	}
	l := &p.lists[i]
	if l.n > 0 && p.slab[l.off+l.n-1] == ord {
		return
	}
	if l.n == l.room {
		room := max(2, 2*l.room)
		if int(l.off+l.room) == len(p.slab) {
			// The run ends the slab: extend it in place.
			p.slab = slices.Grow(p.slab, int(room-l.room))[:int(l.off+room)]
		} else {
			off := uint32(len(p.slab))
			p.slab = append(p.slab, p.slab[l.off:l.off+l.n]...)
			p.slab = slices.Grow(p.slab, int(room-l.n))[:int(off+room)]
			l.off = off
		}
		l.room = room
	}
	p.slab[l.off+l.n] = ord
	l.n++
}

// trim copies every list into a new slab with no room to spare. Lists grow
// by doubling while the index loads; trimming after a bulk load returns
// the slack and the moved lists' old runs.
func (p *postings) trim() {
	total := 0
	for _, l := range p.lists {
		total += int(l.n)
	}
	slab := make([]uint32, 0, total)
	for i := range p.lists {
		l := &p.lists[i]
		off := uint32(len(slab))
		slab = append(slab, p.slab[l.off:l.off+l.n]...)
		l.off, l.room = off, l.n
	}
	p.slab = slab
}
