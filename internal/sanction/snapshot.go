package sanction

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"

	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/snapfile"
)

// The hit-check index's snapshot is its writer's state written to a file
// (SnapshotFile in the node's index directory), so that a node restarts
// without reading every list event and weighing every red entry's file
// again: at a city's hundred thousand entries that was most of a start.
// It holds the entries as the index encodes them, the reverse indexes,
// the verification marks, the name decisions and the red-list bars,
// marked with the change-feed entry it reflects (credit.FeedMark) and
// with a fingerprint of the catalogue the bars were weighed under. A node
// loads it, checks both, rebuilds the checks' snapshot from it (build),
// and catches up through the change feed like any refresh, the bars of
// the subjects changed since weighed with the workflows' marks. A file
// that is corrupt, of another store or of another catalogue is refused
// and the index loads from the store: the snapshot is a cache.

// SnapshotFile is the hit-check snapshot's name in its directory.
const SnapshotFile = "hitcheck.snap"

const snapMagic = "XYHITCHECK1\n"

// catalogPrint fingerprints what the index's content depends on besides
// the store: the catalogue (the items' severity and publication rules, the
// departments' domains that choose among them, the lists) weighs the bars.
func catalogPrint(cat *catalog.Catalog) ([]byte, error) {
	return hex.DecodeString(cat.Fingerprint())
}

// writeSnapshot writes the index's state to w. It holds the writer's
// lock, so refreshes wait; checks go on.
func (x *index) writeSnapshot(ctx context.Context, w io.Writer, feed credit.FeedReader) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	if !x.built || len(x.pendingBars) > 0 {
		return errors.New("sanction: the index has not weighed every bar yet")
	}
	mark, err := credit.MarkAt(ctx, feed, x.version)
	if err != nil {
		return err
	}
	print, err := catalogPrint(x.cat)
	if err != nil {
		return err
	}
	sw := snapfile.NewWriter(w)
	sw.Head(snapMagic, mark)
	sw.Bytes(print)
	for _, t := range []*table{&x.entries, &x.subjEntries, &x.personEntries, &x.recordEntries, &x.personIDs} {
		writeTable(sw, t)
	}
	keys := slices.Sorted(maps.Keys(x.marks))
	sw.U64(uint64(len(keys)))
	for _, k := range keys {
		sw.Str(k)
	}
	keys = slices.Sorted(maps.Keys(x.decisions))
	sw.U64(uint64(len(keys)))
	for _, k := range keys {
		sw.Str(k)
		subs := slices.Sorted(maps.Keys(x.decisions[k]))
		sw.U64(uint64(len(subs)))
		for _, s := range subs {
			sw.Str(s)
		}
	}
	keys = slices.Sorted(maps.Keys(x.bars))
	sw.U64(uint64(len(keys)))
	for _, k := range keys {
		sw.Str(k)
		sw.U64(uint64(x.bars[k]))
	}
	return sw.Finish()
}

func writeTable(sw *snapfile.Writer, t *table) {
	sw.U64(uint64(t.len()))
	t.each(func(k, v []byte) bool {
		sw.Bytes(k)
		sw.Bytes(v)
		return true
	})
}

func readTable(sr *snapfile.Reader) table {
	t := newTable()
	n := sr.Length(2)
	for i := 0; i < n && sr.Err == nil; i++ {
		k := sr.Str()
		v := sr.Bytes()
		if sr.Err == nil && len(v) > 0 {
			t.put(k, v)
		}
	}
	return t
}

// readSnapshot replaces the index's state with the snapshot in r, after
// checking it whole, its catalogue and that feed holds the entry it was
// taken at. The index is then as it was at that position; a refresh
// catches up from there.
func (x *index) readSnapshot(ctx context.Context, r io.Reader, feed credit.FeedReader) error {
	sr := snapfile.NewReader(r)
	mark, err := sr.Head(snapMagic)
	if err != nil {
		return fmt.Errorf("sanction: %w", err)
	}
	print := sr.Bytes()
	var tables [5]table
	for i := range tables {
		tables[i] = readTable(sr)
	}
	marks := map[string]bool{}
	for n, i := sr.Length(1), 0; i < n && sr.Err == nil; i++ {
		marks[sr.Str()] = true
	}
	decisions := map[string]map[string]bool{}
	for n, i := sr.Length(1), 0; i < n && sr.Err == nil; i++ {
		k := sr.Str()
		subs := map[string]bool{}
		for m, j := sr.Length(1), 0; j < m && sr.Err == nil; j++ {
			subs[sr.Str()] = true
		}
		decisions[k] = subs
	}
	bars := map[string]int64{}
	for n, i := sr.Length(1), 0; i < n && sr.Err == nil; i++ {
		k := sr.Str()
		bars[k] = int64(sr.U64())
	}
	if err := sr.Verify(); err != nil {
		return fmt.Errorf("sanction: %w", err)
	}
	want, err := catalogPrint(x.cat)
	if err != nil {
		return err
	}
	if string(print) != string(want) {
		return errors.New("sanction: the hit-check snapshot was taken under another catalogue")
	}
	if err := mark.Check(ctx, feed); err != nil {
		return fmt.Errorf("sanction: %w", err)
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	x.entries, x.subjEntries, x.personEntries, x.recordEntries, x.personIDs = tables[0], tables[1], tables[2], tables[3], tables[4]
	x.marks, x.decisions, x.bars = marks, decisions, bars
	x.version, x.built = mark.Pos, true
	x.pendingBars = map[string]bool{}
	x.cur.Store(x.build())
	return nil
}

// SaveSnapshot writes the hit-check index to dir/SnapshotFile. It is
// refused before the workflows' marks were given (Config.Marks or
// SetMarks): bars weighed without them would be trusted by the next start.
func (s *Service) SaveSnapshot(ctx context.Context, dir string) error {
	if s.marks.Load() == nil {
		return errors.New("sanction: no snapshot before the workflows' marks are set: the red-list bars would be weighed without them")
	}
	err := snapfile.Save(dir, SnapshotFile, func(w io.Writer) error { return s.index.writeSnapshot(ctx, w, s.Store) })
	if err != nil {
		return fmt.Errorf("sanction: write the hit-check snapshot: %w", err)
	}
	return nil
}

// loadSnapshot restores the index from dir's snapshot, if there is a good
// one; it says why one present was not used.
func (s *Service) loadSnapshot(ctx context.Context, dir string) (bool, error) {
	f, err := snapfile.Open(dir, SnapshotFile)
	if err != nil || f == nil {
		return false, err
	}
	defer f.Close()
	if err := s.index.readSnapshot(ctx, f, s.Store); err != nil {
		return false, err
	}
	return true, nil
}
