package tlog_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/transparency-dev/merkle/compact"

	"github.com/xinyong/xinyong/internal/apptest"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/signing"
	"github.com/xinyong/xinyong/internal/testenv"
	"github.com/xinyong/xinyong/internal/tlog"
)

// appendN appends n leaves with data "leaf i" in batches of batch.
func appendN(t testing.TB, st credit.LogStore, from, n, batch int) {
	t.Helper()
	ctx := context.Background()
	for i := from; i < from+n; i += batch {
		var leaves []credit.LogLeaf
		for j := i; j < min(i+batch, from+n); j++ {
			leaves = append(leaves, credit.LogLeaf{Kind: "fact", Ref: fmt.Sprint(j), Data: []byte(fmt.Sprintf("leaf %d", j))})
		}
		if err := st.AppendLog(ctx, nil, func(h credit.LogState) (*credit.LogAppend, error) { return tlog.Append(h, leaves) }); err != nil {
			t.Fatal(err)
		}
	}
}

// refRoot is the root of the first n leaves, computed in memory.
func refRoot(n int) []byte {
	f := &compact.RangeFactory{Hash: tlog.Hasher.HashChildren}
	r := f.NewEmptyRange(0)
	for i := range n {
		_ = r.Append(tlog.Hasher.HashLeaf([]byte(fmt.Sprintf("leaf %d", i))), nil)
	}
	if n == 0 {
		return tlog.Hasher.EmptyRoot()
	}
	root, _ := r.GetRootHash(nil)
	return root
}

func TestTreeProofs(t *testing.T) {
	for _, backend := range []string{apptest.SQLite, apptest.Postgres} {
		t.Run(backend, func(t *testing.T) {
			ctx := t.Context()
			st := apptest.Store(t, backend)
			r := &tlog.Reader{Store: st, CacheTiles: 4}
			// Uneven batches across tile edges: 1, 255, 1, 300, 70000.
			total := 0
			for _, n := range []int{1, 255, 1, 300, 70000 - 557} {
				appendN(t, st, total, n, 997)
				total += n
				head, err := st.LogHead(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if head.Size != int64(total) || !bytes.Equal(head.Root, refRoot(total)) {
					t.Fatalf("after %d leaves: head size %d, root differs from the reference", total, head.Size)
				}
			}
			for _, size := range []int64{1, 2, 256, 257, 511, 65536, 65537, 70000} {
				root, err := r.RootAt(ctx, size)
				if err != nil || !bytes.Equal(root, refRoot(int(size))) {
					t.Fatalf("root at %d: %v", size, err)
				}
				cp := tlog.Checkpoint{Origin: "test/log", Size: size, Root: root}
				for _, idx := range []int64{0, size / 2, size - 1, size / 3} {
					p, err := r.Inclusion(ctx, idx, size)
					if err != nil {
						t.Fatal(err)
					}
					leaf := tlog.Hasher.HashLeaf([]byte(fmt.Sprintf("leaf %d", idx)))
					if err := tlog.VerifyInclusion(cp, idx, leaf, p); err != nil {
						t.Errorf("inclusion of %d in %d: %v", idx, size, err)
					}
					other := tlog.Hasher.HashLeaf([]byte("leaf x"))
					if err := tlog.VerifyInclusion(cp, idx, other, p); err == nil || !strings.Contains(err.Error(), "not to the checkpoint's root") {
						t.Errorf("a changed leaf verifies: %v", err)
					}
				}
				for _, old := range []int64{1, size / 2, size} {
					p, err := r.Consistency(ctx, old, size)
					if err != nil {
						t.Fatal(err)
					}
					oldRoot, _ := r.RootAt(ctx, old)
					ocp := tlog.Checkpoint{Origin: "test/log", Size: old, Root: oldRoot}
					if err := tlog.VerifyConsistency(ocp, cp, p); err != nil {
						t.Errorf("consistency %d→%d: %v", old, size, err)
					}
					if old > 1 && old < size {
						bad := tlog.Checkpoint{Origin: "test/log", Size: old, Root: refRoot(int(old - 1))}
						if err := tlog.VerifyConsistency(bad, cp, p); err == nil || !strings.Contains(err.Error(), "rewritten") {
							t.Errorf("consistency from a forged checkpoint verifies: %v", err)
						}
					}
				}
			}
		})
	}
}

func TestCheckpointSignatures(t *testing.T) {
	k, err := signing.ParseKey("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=")
	if err != nil {
		t.Fatal(err)
	}
	s, err := k.NoteSigner("test/log")
	if err != nil {
		t.Fatal(err)
	}
	ks, err := signing.NewKeySet("t", "t", "test/log", []credit.SigningKey{k.Record(testenv.DefaultNow)})
	if err != nil {
		t.Fatal(err)
	}
	vs, err := ks.Verifiers()
	if err != nil {
		t.Fatal(err)
	}
	cp := tlog.Checkpoint{Origin: "test/log", Size: 3, Root: refRoot(3)}
	signed, err := cp.Sign(s)
	if err != nil {
		t.Fatal(err)
	}
	got, err := tlog.OpenCheckpoint([]byte(signed), vs, "test/log")
	if err != nil || got.Size != 3 || !bytes.Equal(got.Root, cp.Root) {
		t.Fatalf("open: %+v %v", got, err)
	}
	if _, err := tlog.OpenCheckpoint([]byte(signed), vs, "other/log"); err == nil {
		t.Error("another log's checkpoint accepted")
	}
	forged := strings.Replace(signed, "\n3\n", "\n4\n", 1)
	if _, err := tlog.OpenCheckpoint([]byte(forged), vs, "test/log"); err == nil || !strings.Contains(err.Error(), "changed after it was signed") {
		t.Errorf("forged size: %v", err)
	}
	k2, _ := signing.ParseKey("HwECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=")
	s2, _ := k2.NoteSigner("test/log")
	other, _ := cp.Sign(s2)
	if _, err := tlog.OpenCheckpoint([]byte(other), vs, "test/log"); err == nil || !strings.Contains(err.Error(), "not signed by any of the keys given") {
		t.Errorf("unknown key: %v", err)
	}
}

// LastInclusion, from the head before a leaf, is the proof the tiles give.
func TestLastInclusion(t *testing.T) {
	st := apptest.Store(t, apptest.SQLite)
	r := &tlog.Reader{Store: st}
	ctx := t.Context()
	for n := 0; n < 300; n++ {
		before, err := st.LogHead(ctx)
		if err != nil {
			t.Fatal(err)
		}
		appendN(t, st, n, 1, 1)
		got, ok := tlog.LastInclusion(before)
		if !ok {
			t.Fatalf("no proof at %d", n)
		}
		want, err := r.Inclusion(ctx, int64(n), int64(n+1))
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(want) {
			t.Fatalf("at %d: %d hashes, want %d", n, len(got), len(want))
		}
		for i := range got {
			if !bytes.Equal(got[i], want[i]) {
				t.Fatalf("at %d: hash %d differs", n, i)
			}
		}
	}
}
