package search

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/snapfile"
)

// A snapshot is the index written to a file, so that a node restarts in
// seconds instead of reading every subject from the store again (at two
// million subjects the full load takes a minute or more). It holds the
// index's own pointer-free arrays as they are, the change-feed position
// they reflect and the feed entry at that position; a node loads it, checks
// that the store still has that entry (the snapshot is of this store),
// and then catches up through the change feed like any refresh. The
// look-up tables hashed with the process's random seed are not written:
// they are rebuilt from the documents when the snapshot is read.
//
// The file ends with a CRC-32C of everything before it. A snapshot that
// is truncated, corrupt, of another version or of another store is
// refused, and the node loads from the store as it always did: the
// snapshot is a cache of a cache.

const snapMagic = "XYSEARCH1\n"

// SnapshotFile is the snapshot's name in its directory.
const SnapshotFile = "search.snap"

// WriteSnapshot writes the index to w, marked with the feed entry at the
// index's position (read from src). A write in progress holds the index's
// read lock: searches go on, changes wait.
func (x *Index) WriteSnapshot(ctx context.Context, w io.Writer, src Source) error {
	x.mu.RLock()
	defer x.mu.RUnlock()
	if !x.loaded {
		return errors.New("search: snapshot of an index never loaded")
	}
	mark, err := credit.MarkAt(ctx, src, x.pos)
	if err != nil {
		return err
	}
	sw := snapfile.NewWriter(w)
	sw.Head(snapMagic, mark)
	sw.U64(uint64(x.live))
	sw.U64(uint64(x.dead))
	sw.Bytes(x.arena)
	docs := make([]uint32, 0, 10*len(x.docs))
	for _, d := range x.docs {
		docs = append(docs, d.id.off, d.id.n, d.code.off, d.code.n, d.ucode.off, d.ucode.n, d.name.off, d.name.n, d.folded.off, d.folded.n)
	}
	sw.U32s(docs)
	docs = nil
	formers := make([]uint32, 0, 5*len(x.formers))
	for o, f := range x.formers {
		formers = append(formers, o, f.names.off, f.names.n, f.folded.off, f.folded.n)
	}
	sw.U32s(formers)
	keys := make([]uint64, 0, len(x.post.idx))
	lists := make([]uint32, 0, 3*len(x.post.idx))
	for k, i := range x.post.idx {
		l := x.post.lists[i]
		keys = append(keys, k)
		// Written compacted: each list's run in a fresh slab, in key order
		// of the map's iteration; offsets are rewritten below.
		lists = append(lists, l.off, l.n, 0)
	}
	sw.U64s(keys)
	// The lists and their ordinals, each list's ordinals in a row.
	total := 0
	for i := 0; i < len(lists); i += 3 {
		total += int(lists[i+1])
	}
	sw.U64(uint64(len(keys)))
	sw.U64(uint64(total))
	for i := 0; i < len(lists); i += 3 {
		off, n := lists[i], lists[i+1]
		sw.U32(n)
		sw.U32sRaw(x.post.slab[off : off+n])
	}
	sw.U32s(x.sortedCodes)
	sw.U32s(x.recentCodes)
	return sw.Finish()
}

// ReadSnapshot replaces the index's contents with the snapshot in r, after
// checking it whole (checksum, bounds) and checking that src holds the
// feed entry it was taken at. The index is then as it was when the
// snapshot was written: a Refresh catches up from there.
func (x *Index) ReadSnapshot(ctx context.Context, r io.Reader, src Source) error {
	sr := snapfile.NewReader(r)
	mark, err := sr.Head(snapMagic)
	if err != nil {
		return fmt.Errorf("search: %w", err)
	}
	live, dead := int(sr.U64()), int(sr.U64())
	arena := sr.Bytes()
	docsFlat := sr.U32s()
	formersFlat := sr.U32s()
	keys := sr.U64s()
	nLists, total := sr.U64(), sr.U64()
	if sr.Err == nil && (nLists != uint64(len(keys)) || total > 1<<34) {
		sr.Err = errors.New("search: snapshot posting counts do not agree")
	}
	var p postings
	if sr.Err == nil {
		p = postings{idx: make(map[uint64]uint32, len(keys)), lists: make([]postingList, len(keys)), slab: make([]uint32, 0, total)}
		for i, k := range keys {
			n := sr.U32()
			if sr.Err != nil || uint64(len(p.slab))+uint64(n) > total {
				if sr.Err == nil {
					sr.Err = errors.New("search: snapshot posting lists overrun their total")
				}
				break
			}
			off := uint32(len(p.slab))
			p.slab = sr.U32sInto(p.slab, int(n))
			p.lists[i] = postingList{off: off, n: n, room: n}
			p.idx[k] = uint32(i)
		}
	}
	sorted := sr.U32s()
	recent := sr.U32s()
	if err := sr.Verify(); err != nil {
		return fmt.Errorf("search: %w", err)
	}
	// Bounds: every reference inside the arena, every ordinal a document.
	if len(docsFlat)%10 != 0 || len(formersFlat)%5 != 0 {
		return errors.New("search: snapshot arrays have the wrong shape")
	}
	nd := uint32(len(docsFlat) / 10)
	inArena := func(off, n uint32) bool { return uint64(off)+uint64(n) <= uint64(len(arena)) }
	docs := make([]doc, nd)
	for i := range docs {
		f := docsFlat[10*i : 10*i+10]
		for j := 0; j < 10; j += 2 {
			if !inArena(f[j], f[j+1]) {
				return errors.New("search: snapshot document outside its arena")
			}
		}
		docs[i] = doc{id: ref{f[0], f[1]}, code: ref{f[2], f[3]}, ucode: ref{f[4], f[5]}, name: ref{f[6], f[7]}, folded: ref{f[8], f[9]}}
	}
	docsFlat = nil
	formers := make(map[uint32]formerRefs, len(formersFlat)/5)
	for i := 0; i < len(formersFlat); i += 5 {
		f := formersFlat[i : i+5]
		if f[0] >= nd || !inArena(f[1], f[2]) || !inArena(f[3], f[4]) {
			return errors.New("search: snapshot former names out of bounds")
		}
		formers[f[0]] = formerRefs{names: ref{f[1], f[2]}, folded: ref{f[3], f[4]}}
	}
	for _, o := range p.slab {
		if o >= nd {
			return errors.New("search: snapshot posting names no document")
		}
	}
	for _, l := range [][]uint32{sorted, recent} {
		for _, o := range l {
			if o >= nd {
				return errors.New("search: snapshot code list names no document")
			}
		}
	}
	n := 0
	for i := range docs {
		if docs[i].id.n > 0 {
			n++
		}
	}
	if n != live || int(nd)-n != dead {
		return errors.New("search: snapshot counts do not agree with its documents")
	}
	if err := mark.Check(ctx, src); err != nil {
		return fmt.Errorf("search: %w", err)
	}

	// The look-up tables are hashed with this process's seed: rebuilt.
	nx := &Index{seed: x.seed, arena: arena, docs: docs, live: live, dead: dead, post: p, formers: formers,
		sortedCodes: sorted, recentCodes: recent}
	for o := range nx.docs {
		d := &nx.docs[o]
		if d.id.n == 0 {
			continue
		}
		ord := uint32(o)
		nx.byID.add(nx.hashBytes(nx.bytes(d.id)), ord)
		if d.ucode.n > 0 && string(nx.bytes(d.ucode)) != string(nx.bytes(d.id)) {
			nx.codes.add(nx.hashBytes(nx.bytes(d.ucode)), ord)
		}
		if d.folded.n > 0 {
			nx.exact.add(nx.hashBytes(nx.bytes(d.folded)), ord)
		}
		eachName(nx.bytes(nx.formers[ord].folded), func(b []byte) bool {
			if len(b) > 0 {
				nx.exact.add(nx.hashBytes(b), ord)
			}
			return true
		})
	}
	x.mu.Lock()
	x.arena, x.docs, x.live, x.dead = nx.arena, nx.docs, nx.live, nx.dead
	x.byID, x.codes, x.exact, x.post, x.formers = nx.byID, nx.codes, nx.exact, nx.post, nx.formers
	x.sortedCodes, x.recentCodes = nx.sortedCodes, nx.recentCodes
	x.pos, x.loaded = mark.Pos, true
	x.mu.Unlock()
	return nil
}

// SaveSnapshot writes the index to dir/SnapshotFile through a temporary
// file, renamed over the old snapshot once it is complete and synced.
func (x *Index) SaveSnapshot(ctx context.Context, dir string, src Source) error {
	err := snapfile.Save(dir, SnapshotFile, func(w io.Writer) error { return x.WriteSnapshot(ctx, w, src) })
	if err != nil {
		return fmt.Errorf("search: write snapshot: %w", err)
	}
	return nil
}

// LoadResult says how an index was loaded at start.
type LoadResult struct {
	FromSnapshot bool
	// SnapshotErr is why a snapshot present in the directory was not used
	// (nil when there was none, or it was used).
	SnapshotErr error
	// Read is how many subjects were read from the store: all of them on a
	// full load, those changed since the snapshot otherwise.
	Read int
	Took time.Duration
}

// LoadFrom loads the index from the snapshot in dir when there is a good
// one, then catches up through the change feed; otherwise (none, or one
// refused) from the store, in full. dir "" skips the snapshot.
func (x *Index) LoadFrom(ctx context.Context, dir string, src Source, progress func(n int)) (LoadResult, error) {
	start := time.Now()
	var res LoadResult
	if dir != "" {
		f, err := snapfile.Open(dir, SnapshotFile)
		switch {
		case err != nil:
			res.SnapshotErr = err
		case f != nil:
			err = x.ReadSnapshot(ctx, f, src)
			f.Close()
			if err == nil {
				res.FromSnapshot = true
			} else {
				res.SnapshotErr = err
			}
		}
	}
	n, err := x.Refresh(ctx, src, progress)
	res.Read, res.Took = n, time.Since(start)
	return res, err
}
