// Package tlog is the platform's transparency log: an append-only Merkle
// tree (RFC 6962 hashing, through transparency-dev/merkle) of every issued
// credit report and of every fact the platform keeps (records, subjects,
// list events, verification marks, name decisions, cases, report
// revocations, authorisations), fed from the store's change feed, with
// signed checkpoints in the C2SP signed-note checkpoint format.
//
// A fact enters the log as a commitment: the SHA-256 of a random salt and
// the fact's content, never the content, so that no personal data is in
// the log in clear and none can be guessed from it. A report enters as its
// signed statement (its number, times and content digests).
//
// The tree lives in the store (leaves, and the complete nodes at every
// fourth level: tiles of 16), so that any node computes proofs; appends are
// serialised on the store's log head. Anyone holding the platform's
// public key and a checkpoint verifies a report's or a fact's inclusion,
// and the consistency of two checkpoints (the log was never rewritten),
// offline (Verify*).
package tlog

import (
	"container/list"
	"context"
	"fmt"
	"sync"

	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"

	"github.com/xinyong/xinyong/internal/credit"
)

// Hasher is the tree's hashing: RFC 6962 over SHA-256.
var Hasher = rfc6962.DefaultHasher

var factory = &compact.RangeFactory{Hash: Hasher.HashChildren}

// stratum is the height of a tile: the store keeps the nodes of every
// stratum-th level (0: the leaf hashes).
const (
	stratum   = 4
	tileWidth = 1 << stratum
)

// Append returns the append of leaves (Data set) after head: their
// indices and hashes, the complete nodes of stored levels they make, and
// the new head. leaves is filled in place.
func Append(head credit.LogState, leaves []credit.LogLeaf) (*credit.LogAppend, error) {
	// The range's hashes are copied: compact.Range merges a new leaf into
	// its last hashes in place, which would change head.Range under the
	// caller (LastInclusion reads it after the append).
	hashes := make([][]byte, len(head.Range))
	for i, h := range head.Range {
		hashes[i] = append([]byte(nil), h...)
	}
	rng, err := factory.NewRange(0, uint64(head.Size), hashes)
	if err != nil {
		return nil, fmt.Errorf("tlog: the log's head does not hold its compact range: %w", err)
	}
	a := &credit.LogAppend{Leaves: leaves}
	visit := func(id compact.NodeID, h []byte) {
		if id.Level > 0 && id.Level%stratum == 0 {
			a.Nodes = append(a.Nodes, credit.LogNode{Level: int(id.Level), Index: int64(id.Index), Hash: append([]byte(nil), h...)})
		}
	}
	for i := range leaves {
		leaves[i].Index = head.Size + int64(i)
		leaves[i].Hash = Hasher.HashLeaf(leaves[i].Data)
		if err := rng.Append(leaves[i].Hash, visit); err != nil {
			return nil, err
		}
	}
	root, err := rng.GetRootHash(nil)
	if err != nil {
		return nil, err
	}
	hs := rng.Hashes()
	st := credit.LogState{Size: int64(rng.End()), Root: root, Range: make([][]byte, len(hs))}
	for i, h := range hs {
		st.Range[i] = append([]byte(nil), h...)
	}
	a.State = st
	return a, nil
}

// RootOf is the root of the head (the empty tree's when it is empty).
func RootOf(head credit.LogState) []byte {
	if head.Size == 0 || len(head.Root) == 0 {
		return Hasher.EmptyRoot()
	}
	return head.Root
}

// TileStore is what proofs read of the store.
type TileStore interface {
	LogRanges(ctx context.Context, rs []credit.LogRange) ([][][]byte, error)
}

// Reader computes proofs from the store's tiles. Full tiles never change:
// it keeps the most recent CacheTiles of them, expanded, in memory.
type Reader struct {
	Store TileStore
	// CacheTiles bounds the cache (default 2048 tiles, about 32 MiB).
	CacheTiles int

	mu    sync.Mutex
	cache map[tileKey]*list.Element
	lru   list.List
}

type tileKey struct {
	level int // the stratum's tree level (0, 4, 8 ...)
	index int64
}

// tile is a tile expanded: levels[0] its stored hashes, levels[j] the
// complete nodes j levels above them.
type tile struct {
	key    tileKey
	levels [][][]byte
}

func expand(k tileKey, bottom [][]byte) *tile {
	t := &tile{key: k, levels: [][][]byte{bottom}}
	for cur := bottom; len(cur) > 1; {
		next := make([][]byte, len(cur)/2)
		for i := range next {
			next[i] = Hasher.HashChildren(cur[2*i], cur[2*i+1])
		}
		t.levels = append(t.levels, next)
		cur = next
	}
	return t
}

func (r *Reader) cached(k tileKey) *tile {
	r.mu.Lock()
	defer r.mu.Unlock()
	if e, ok := r.cache[k]; ok {
		r.lru.MoveToFront(e)
		return e.Value.(*tile)
	}
	return nil
}

func (r *Reader) keep(t *tile) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cache == nil {
		r.cache = map[tileKey]*list.Element{}
	}
	if _, ok := r.cache[t.key]; ok {
		return
	}
	r.cache[t.key] = r.lru.PushFront(t)
	limit := r.CacheTiles
	if limit <= 0 {
		limit = 2048
	}
	for r.lru.Len() > limit {
		e := r.lru.Back()
		r.lru.Remove(e)
		delete(r.cache, e.Value.(*tile).key)
	}
}

// Nodes returns the hashes of complete nodes, reading the tiles they are
// in that the cache does not hold in one round trip.
func (r *Reader) Nodes(ctx context.Context, ids []compact.NodeID) ([][]byte, error) {
	keyOf := func(id compact.NodeID) (tileKey, uint, uint64) {
		base := int(id.Level) / stratum * stratum
		up := id.Level - uint(base)
		first := id.Index << up // the node's first descendant at the stratum's level
		return tileKey{level: base, index: int64(first / tileWidth)}, up, (first % tileWidth) >> up
	}
	tiles := map[tileKey]*tile{}
	var missing []tileKey
	for _, id := range ids {
		k, _, _ := keyOf(id)
		if _, ok := tiles[k]; ok {
			continue
		}
		tiles[k] = r.cached(k)
		if tiles[k] == nil {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		rs := make([]credit.LogRange, len(missing))
		for i, k := range missing {
			rs[i] = credit.LogRange{Level: k.level, From: k.index * tileWidth, To: (k.index + 1) * tileWidth}
		}
		got, err := r.Store.LogRanges(ctx, rs)
		if err != nil {
			return nil, err
		}
		for i, k := range missing {
			t := expand(k, got[i])
			if len(got[i]) == tileWidth {
				r.keep(t)
			}
			tiles[k] = t
		}
	}
	out := make([][]byte, len(ids))
	for i, id := range ids {
		k, up, off := keyOf(id)
		t := tiles[k]
		if int(up) >= len(t.levels) || off >= uint64(len(t.levels[up])) {
			return nil, credit.E("tlog.Nodes", credit.NotFound, "the log holds no complete node at level %d, index %d", id.Level, id.Index)
		}
		out[i] = t.levels[up][off]
	}
	return out, nil
}

// LastInclusion is the proof that the last leaf of the tree a head
// describes is in it, from the head's compact range before that leaf was
// appended alone (the roots of the perfect subtrees to its left): no read
// of the store. ok is false when the range does not hold the nodes.
func LastInclusion(before credit.LogState) ([][]byte, bool) {
	n := uint64(before.Size)
	ids := compact.RangeNodes(0, n, nil)
	if len(ids) != len(before.Range) {
		return nil, false
	}
	byID := make(map[compact.NodeID][]byte, len(ids))
	for i, id := range ids {
		byID[id] = before.Range[i]
	}
	ns, err := proof.Inclusion(n, n+1)
	if err != nil {
		return nil, false
	}
	hs := make([][]byte, len(ns.IDs))
	for i, id := range ns.IDs {
		h, ok := byID[id]
		if !ok {
			return nil, false
		}
		hs[i] = h
	}
	out, err := ns.Rehash(hs, Hasher.HashChildren)
	return out, err == nil
}

// Inclusion returns the proof that leaf index is in the tree of size.
func (r *Reader) Inclusion(ctx context.Context, index, size int64) ([][]byte, error) {
	if index < 0 || index >= size {
		return nil, credit.Say("tlog.Inclusion", credit.Invalid, "第%d条不在规模为%d的日志中", "leaf %d is not in a log of size %d", index, size)
	}
	ns, err := proof.Inclusion(uint64(index), uint64(size))
	if err != nil {
		return nil, credit.Wrap("tlog.Inclusion", credit.Invalid, err)
	}
	hs, err := r.Nodes(ctx, ns.IDs)
	if err != nil {
		return nil, err
	}
	return ns.Rehash(hs, Hasher.HashChildren)
}

// Consistency returns the proof that the tree of size1 is a prefix of the
// tree of size2.
func (r *Reader) Consistency(ctx context.Context, size1, size2 int64) ([][]byte, error) {
	if size1 < 0 || size1 > size2 {
		return nil, credit.Say("tlog.Consistency", credit.Invalid, "规模%d与%d不能比较：前者须不大于后者", "sizes %d and %d: the first must not exceed the second", size1, size2)
	}
	ns, err := proof.Consistency(uint64(size1), uint64(size2))
	if err != nil {
		return nil, credit.Wrap("tlog.Consistency", credit.Invalid, err)
	}
	hs, err := r.Nodes(ctx, ns.IDs)
	if err != nil {
		return nil, err
	}
	return ns.Rehash(hs, Hasher.HashChildren)
}

// RootAt computes the root of the tree of size from the stored tiles.
func (r *Reader) RootAt(ctx context.Context, size int64) ([]byte, error) {
	if size == 0 {
		return Hasher.EmptyRoot(), nil
	}
	ids := compact.RangeNodes(0, uint64(size), nil)
	hs, err := r.Nodes(ctx, ids)
	if err != nil {
		return nil, err
	}
	rng, err := factory.NewRange(0, uint64(size), hs)
	if err != nil {
		return nil, err
	}
	return rng.GetRootHash(nil)
}
