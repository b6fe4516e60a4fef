package search

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"time"
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

// snapMark is the feed entry a snapshot was taken after: the store must
// still hold it, unchanged, for the snapshot to be used.
type snapMark struct {
	Pos  int64
	Kind string
	Ref  string
	At   int64 // UnixMicro
}

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// WriteSnapshot writes the index to w, marked with the feed entry at the
// index's position (read from src). A write in progress holds the index's
// read lock: searches go on, changes wait.
func (x *Index) WriteSnapshot(ctx context.Context, w io.Writer, src Source) error {
	x.mu.RLock()
	defer x.mu.RUnlock()
	if !x.loaded {
		return errors.New("search: snapshot of an index never loaded")
	}
	mark, err := markAt(ctx, src, x.pos)
	if err != nil {
		return err
	}
	sw := &snapWriter{w: bufio.NewWriterSize(w, 1<<20), crc: crc32.New(crcTable)}
	sw.write([]byte(snapMagic))
	sw.u64(uint64(mark.Pos))
	sw.str(mark.Kind)
	sw.str(mark.Ref)
	sw.u64(uint64(mark.At))
	sw.u64(uint64(x.live))
	sw.u64(uint64(x.dead))
	sw.bytes(x.arena)
	docs := make([]uint32, 0, 10*len(x.docs))
	for _, d := range x.docs {
		docs = append(docs, d.id.off, d.id.n, d.code.off, d.code.n, d.ucode.off, d.ucode.n, d.name.off, d.name.n, d.folded.off, d.folded.n)
	}
	sw.u32s(docs)
	docs = nil
	formers := make([]uint32, 0, 5*len(x.formers))
	for o, f := range x.formers {
		formers = append(formers, o, f.names.off, f.names.n, f.folded.off, f.folded.n)
	}
	sw.u32s(formers)
	keys := make([]uint64, 0, len(x.post.idx))
	lists := make([]uint32, 0, 3*len(x.post.idx))
	for k, i := range x.post.idx {
		l := x.post.lists[i]
		keys = append(keys, k)
		// Written compacted: each list's run in a fresh slab, in key order
		// of the map's iteration; offsets are rewritten below.
		lists = append(lists, l.off, l.n, 0)
	}
	sw.u64s(keys)
	// The lists and their ordinals, each list's ordinals in a row.
	total := 0
	for i := 0; i < len(lists); i += 3 {
		total += int(lists[i+1])
	}
	sw.u64(uint64(len(keys)))
	sw.u64(uint64(total))
	for i := 0; i < len(lists); i += 3 {
		off, n := lists[i], lists[i+1]
		sw.u32(n)
		sw.u32sRaw(x.post.slab[off : off+n])
	}
	sw.u32s(x.sortedCodes)
	sw.u32s(x.recentCodes)
	if sw.err != nil {
		return sw.err
	}
	var sum [4]byte
	binary.LittleEndian.PutUint32(sum[:], sw.crc.Sum32())
	if _, err := sw.w.Write(sum[:]); err != nil {
		return err
	}
	return sw.w.Flush()
}

// ReadSnapshot replaces the index's contents with the snapshot in r, after
// checking it whole (checksum, bounds) and checking that src holds the
// feed entry it was taken at. The index is then as it was when the
// snapshot was written: a Refresh catches up from there.
func (x *Index) ReadSnapshot(ctx context.Context, r io.Reader, src Source) error {
	sr := &snapReader{r: bufio.NewReaderSize(r, 1<<20), crc: crc32.New(crcTable)}
	if string(sr.bytes(len(snapMagic))) != snapMagic {
		return errors.New("search: not a snapshot of this version")
	}
	var mark snapMark
	mark.Pos = int64(sr.u64())
	mark.Kind = sr.str()
	mark.Ref = sr.str()
	mark.At = int64(sr.u64())
	live, dead := int(sr.u64()), int(sr.u64())
	arena := sr.bytesLen()
	docsFlat := sr.u32s()
	formersFlat := sr.u32s()
	keys := sr.u64s()
	nLists, total := sr.u64(), sr.u64()
	if sr.err == nil && (nLists != uint64(len(keys)) || total > 1<<34) {
		sr.err = errors.New("search: snapshot posting counts do not agree")
	}
	var p postings
	if sr.err == nil {
		p = postings{idx: make(map[uint64]uint32, len(keys)), lists: make([]postingList, len(keys)), slab: make([]uint32, 0, total)}
		for i, k := range keys {
			n := sr.u32()
			if sr.err != nil || uint64(len(p.slab))+uint64(n) > total {
				if sr.err == nil {
					sr.err = errors.New("search: snapshot posting lists overrun their total")
				}
				break
			}
			off := uint32(len(p.slab))
			p.slab = sr.u32sInto(p.slab, int(n))
			p.lists[i] = postingList{off: off, n: n, room: n}
			p.idx[k] = uint32(i)
		}
	}
	sorted := sr.u32s()
	recent := sr.u32s()
	if sr.err != nil {
		return fmt.Errorf("search: snapshot unreadable: %w", sr.err)
	}
	want := sr.crc.Sum32()
	var sum [4]byte
	if _, err := io.ReadFull(sr.r, sum[:]); err != nil {
		return fmt.Errorf("search: snapshot truncated: %w", err)
	}
	if binary.LittleEndian.Uint32(sum[:]) != want {
		return errors.New("search: snapshot checksum does not match")
	}
	if _, err := sr.r.ReadByte(); err != io.EOF {
		return errors.New("search: snapshot has bytes after its checksum")
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
	if err := checkMark(ctx, src, mark); err != nil {
		return err
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

// markAt is the feed entry at pos (zero for an empty feed).
func markAt(ctx context.Context, src Source, pos int64) (snapMark, error) {
	if pos <= 0 {
		return snapMark{}, nil
	}
	cs, err := src.ChangesSince(ctx, pos-1, 1)
	if err != nil {
		return snapMark{}, err
	}
	if len(cs) == 0 || cs[0].Pos != pos {
		// The position is past the entries (a head read with nothing at
		// it): mark the last entry at or before it instead.
		return snapMark{Pos: pos}, nil
	}
	return snapMark{Pos: pos, Kind: string(cs[0].Kind), Ref: cs[0].Ref, At: cs[0].At.UnixMicro()}, nil
}

// checkMark says whether src holds the entry a snapshot was marked with.
func checkMark(ctx context.Context, src Source, m snapMark) error {
	head, err := src.ChangeHead(ctx)
	if err != nil {
		return err
	}
	if head < m.Pos {
		return fmt.Errorf("search: snapshot is at feed position %d, past the store's head %d: of another store", m.Pos, head)
	}
	got, err := markAt(ctx, src, m.Pos)
	if err != nil {
		return err
	}
	if got != m {
		return fmt.Errorf("search: the store's feed entry %d is not the one the snapshot was taken at: of another store", m.Pos)
	}
	return nil
}

// SaveSnapshot writes the index to dir/SnapshotFile through a temporary
// file, renamed over the old snapshot once it is complete and synced.
func (x *Index) SaveSnapshot(ctx context.Context, dir string, src Source) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, SnapshotFile+".*.tmp")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp) // after the rename, a no-op
	if err := x.WriteSnapshot(ctx, f, src); err != nil {
		f.Close()
		return fmt.Errorf("search: write snapshot: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(dir, SnapshotFile))
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
		f, err := os.Open(filepath.Join(dir, SnapshotFile))
		switch {
		case err == nil:
			err = x.ReadSnapshot(ctx, f, src)
			f.Close()
			if err == nil {
				res.FromSnapshot = true
			} else {
				res.SnapshotErr = err
			}
		case !errors.Is(err, os.ErrNotExist):
			res.SnapshotErr = err
		}
	}
	n, err := x.Refresh(ctx, src, progress)
	res.Read, res.Took = n, time.Since(start)
	return res, err
}

// snapWriter writes little-endian values and keeps a running checksum;
// the first error sticks.
type snapWriter struct {
	w   *bufio.Writer
	crc hash.Hash32
	err error
	buf [8]byte
}

func (s *snapWriter) write(b []byte) {
	if s.err != nil {
		return
	}
	s.crc.Write(b)
	_, s.err = s.w.Write(b)
}

func (s *snapWriter) u32(v uint32) {
	binary.LittleEndian.PutUint32(s.buf[:4], v)
	s.write(s.buf[:4])
}

func (s *snapWriter) u64(v uint64) {
	binary.LittleEndian.PutUint64(s.buf[:], v)
	s.write(s.buf[:])
}

func (s *snapWriter) bytes(b []byte) { s.u64(uint64(len(b))); s.write(b) }
func (s *snapWriter) str(v string)   { s.bytes([]byte(v)) }

func (s *snapWriter) u32s(v []uint32) { s.u64(uint64(len(v))); s.u32sRaw(v) }

func (s *snapWriter) u32sRaw(v []uint32) {
	var b [4096]byte
	for len(v) > 0 {
		n := min(len(v), len(b)/4)
		for i := 0; i < n; i++ {
			binary.LittleEndian.PutUint32(b[4*i:], v[i])
		}
		s.write(b[:4*n])
		v = v[n:]
	}
}

func (s *snapWriter) u64s(v []uint64) {
	s.u64(uint64(len(v)))
	var b [4096]byte
	for len(v) > 0 {
		n := min(len(v), len(b)/8)
		for i := 0; i < n; i++ {
			binary.LittleEndian.PutUint64(b[8*i:], v[i])
		}
		s.write(b[:8*n])
		v = v[n:]
	}
}

// snapReader is snapWriter's counterpart. Lengths are bounded so that a
// corrupt length cannot ask for more memory than the file could hold.
type snapReader struct {
	r   *bufio.Reader
	crc hash.Hash32
	err error
	buf [8]byte
}

// maxSnapLen bounds any one array of a snapshot (16 GiB of bytes).
const maxSnapLen = 1 << 34

func (s *snapReader) read(b []byte) {
	if s.err != nil {
		return
	}
	if _, err := io.ReadFull(s.r, b); err != nil {
		s.err = err
		return
	}
	s.crc.Write(b)
}

func (s *snapReader) u32() uint32 {
	s.read(s.buf[:4])
	if s.err != nil {
		return 0
	}
	return binary.LittleEndian.Uint32(s.buf[:4])
}

func (s *snapReader) u64() uint64 {
	s.read(s.buf[:])
	if s.err != nil {
		return 0
	}
	return binary.LittleEndian.Uint64(s.buf[:])
}

func (s *snapReader) length(unit int) int {
	n := s.u64()
	if s.err == nil && n*uint64(unit) > maxSnapLen {
		s.err = fmt.Errorf("array of %d elements", n)
	}
	if s.err != nil {
		return 0
	}
	return int(n)
}

func (s *snapReader) bytes(n int) []byte {
	b := make([]byte, n)
	s.read(b)
	return b
}

func (s *snapReader) bytesLen() []byte { return s.bytes(s.length(1)) }
func (s *snapReader) str() string      { return string(s.bytesLen()) }

func (s *snapReader) u32s() []uint32 {
	n := s.length(4)
	return s.u32sInto(make([]uint32, 0, n), n)
}

func (s *snapReader) u32sInto(dst []uint32, n int) []uint32 {
	var b [4096]byte
	for n > 0 && s.err == nil {
		k := min(n, len(b)/4)
		s.read(b[:4*k])
		if s.err != nil {
			break
		}
		for i := 0; i < k; i++ {
			dst = append(dst, binary.LittleEndian.Uint32(b[4*i:]))
		}
		n -= k
	}
	return dst
}

func (s *snapReader) u64s() []uint64 {
	n := s.length(8)
	out := make([]uint64, 0, n)
	var b [4096]byte
	for n > 0 && s.err == nil {
		k := min(n, len(b)/8)
		s.read(b[:8*k])
		if s.err != nil {
			break
		}
		for i := 0; i < k; i++ {
			out = append(out, binary.LittleEndian.Uint64(b[8*i:]))
		}
		n -= k
	}
	return out
}
