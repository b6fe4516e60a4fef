package inspection

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/signing"
	"github.com/xinyong/xinyong/internal/tlog"
)

// File is a task as published (TASK.json): the statement, the pool
// snapshot, the draw once made, the platform's key set (for a checkpoint)
// and the published results. `xinyong draw verify` reads it offline.
type File struct {
	Format    string                    `json:"format"`
	Statement Statement                 `json:"statement"`
	Pool      []PoolEntry               `json:"pool"`
	Draw      *Draw                     `json:"draw,omitempty"`
	Keys      *signing.KeySet           `json:"keys,omitempty"`
	Results   []credit.InspectionResult `json:"results,omitempty"`
}

// ReadFile decodes a task file, refusing fields it does not know (a field
// the verifier ignored could not be checked).
func ReadFile(r io.Reader) (*File, error) {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	var f File
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("task file: %w", err)
	}
	if f.Format != Format {
		return nil, fmt.Errorf("task file: format %q, not %q", f.Format, Format)
	}
	return &f, nil
}

// Verified is what a verification established.
type Verified struct {
	Task          string
	StatementHash string
	PoolSize      int
	Drawn         int
	Source        string
	// CheckpointSize is the size of the checkpoint that decided the draw
	// (source checkpoint) and KeyID the key that signed it.
	CheckpointSize int64
	Seed           string
}

// Verify re-runs a published draw from its file: the pool against its
// hash and the statement's counts, the statement against the hash the
// draw names, the randomness (a checkpoint: its signature under keys,
// or the file's own key set when keys is nil, and that its tree holds
// the publication's leaf), the seed, and the lists. The error says what
// differs.
func Verify(f *File, keys *signing.KeySet) (*Verified, error) {
	st := &f.Statement
	if st.Format != Format {
		return nil, fmt.Errorf("the statement's format is %q, not %q", st.Format, Format)
	}
	ph, err := PoolHash(f.Pool)
	if err != nil {
		return nil, err
	}
	if ph != st.PoolHash {
		return nil, fmt.Errorf("the pool's hash is %s, the statement published %s: the pool snapshot was changed", ph, st.PoolHash)
	}
	if len(f.Pool) != st.PoolSize {
		return nil, fmt.Errorf("the pool holds %d subjects, the statement published %d", len(f.Pool), st.PoolSize)
	}
	ratios := make(map[string]int, len(st.Classes))
	for _, c := range st.Classes {
		ratios[c.Class] = c.RatioBP
	}
	var plan Statement
	if err := Plan(&plan, f.Pool, ratios); err != nil {
		return nil, err
	}
	if len(plan.Classes) != len(st.Classes) {
		return nil, fmt.Errorf("the statement lists %d classes, its ratios make %d", len(st.Classes), len(plan.Classes))
	}
	for i, c := range plan.Classes {
		if s := st.Classes[i]; s != c {
			return nil, fmt.Errorf("class %s: the statement says pool %d, draw %d at %d basis points; the pool and ratio give pool %d, draw %d", s.Class, s.Pool, s.Draw, s.RatioBP, c.Pool, c.Draw)
		}
	}
	d := f.Draw
	if d == nil {
		return nil, errors.New("the file holds no draw yet: the task is published, not drawn")
	}
	if d.Format != Format {
		return nil, fmt.Errorf("the draw's format is %q, not %q", d.Format, Format)
	}
	sh, err := StatementHash(st)
	if err != nil {
		return nil, err
	}
	if sh != d.StatementHash {
		return nil, fmt.Errorf("the statement's hash is %s, the draw was made from statement %s: the statement was changed after publication", sh, d.StatementHash)
	}
	v := &Verified{Task: st.Task, StatementHash: sh, PoolSize: len(f.Pool), Drawn: len(d.Subjects), Source: d.Randomness.Source}
	if d.Randomness.Source != st.Randomness.Source {
		return nil, fmt.Errorf("the statement published randomness from %q, the draw used %q", st.Randomness.Source, d.Randomness.Source)
	}
	switch d.Randomness.Source {
	case SourceCheckpoint:
		if keys == nil {
			keys = f.Keys
		}
		if keys == nil {
			return nil, errors.New("the draw used a log checkpoint, and neither the file nor the command gives the platform's key set to check its signature")
		}
		size, err := verifyCheckpoint(st, d.Randomness, keys)
		if err != nil {
			return nil, err
		}
		v.CheckpointSize = size
	case SourceBeacon:
		if strings.TrimSpace(d.Randomness.Value) == "" || d.Randomness.Value != strings.TrimSpace(d.Randomness.Value) {
			return nil, errors.New("the beacon value is empty or not trimmed")
		}
	default:
		return nil, fmt.Errorf("unknown randomness source %q", d.Randomness.Source)
	}
	seed := Seed(sh, d.Randomness)
	if got := hex.EncodeToString(seed); got != d.Seed {
		return nil, fmt.Errorf("the seed from the statement and the randomness is %s, the file says %s", got, d.Seed)
	}
	v.Seed = d.Seed
	want, err := Run(st, f.Pool, seed)
	if err != nil {
		return nil, err
	}
	if err := Compare(d.Subjects, want); err != nil {
		return nil, err
	}
	return v, nil
}

// verifyCheckpoint checks the checkpoint's signature and origin, and that
// its tree holds the leaf of the task's publication.
func verifyCheckpoint(st *Statement, r Randomness, keys *signing.KeySet) (int64, error) {
	vs, err := keys.Verifiers()
	if err != nil {
		return 0, err
	}
	origin := st.Randomness.Origin
	if origin != keys.LogOrigin {
		return 0, fmt.Errorf("the statement names log %q, the key set is of log %q", origin, keys.LogOrigin)
	}
	cp, err := tlog.OpenCheckpoint([]byte(r.Value), vs, origin)
	if err != nil {
		return 0, err
	}
	if r.LeafIndex < 0 || r.LeafIndex >= cp.Size {
		return 0, fmt.Errorf("the checkpoint's tree of %d leaves does not hold the publication's leaf %d: it may have been signed before the task was published", cp.Size, r.LeafIndex)
	}
	if len(r.LeafData) == 0 {
		return 0, errors.New("the file holds no leaf of the publication to prove that the checkpoint came after it")
	}
	if err := publicationLeaf(st.Task, r); err != nil {
		return 0, fmt.Errorf("log leaf %d: %w", r.LeafIndex, err)
	}
	if err := tlog.VerifyInclusion(cp, r.LeafIndex, tlog.Hasher.HashLeaf(r.LeafData), r.Proof); err != nil {
		return 0, err
	}
	return cp.Size, nil
}

// publicationLeaf checks that a leaf is the log's fact leaf
// (tlog.FactLeafData) of task's publication: its commitment opens, with
// the salt, to the change-feed entry of the task tagged "published".
func publicationLeaf(task string, r Randomness) error {
	s := string(r.LeafData)
	if !strings.HasPrefix(s, "xinyong-fact/1\npos ") || !strings.Contains(s, "\nkind "+string(credit.ChangeInspection)+"\n") {
		return errors.New("not the log's entry of an inspection task")
	}
	_, digest, _ := strings.Cut(s, "\nsha256 ")
	digest = strings.TrimSuffix(digest, "\n")
	if hex.EncodeToString(tlog.Commit(r.LeafSalt, r.LeafContent)) != digest {
		return errors.New("the leaf's commitment does not open to the content the file gives")
	}
	var c struct {
		Kind credit.ChangeKind `json:"kind"`
		Ref  string            `json:"ref"`
		Fact struct {
			Change credit.Change `json:"change"`
		} `json:"fact"`
	}
	if err := json.Unmarshal(r.LeafContent, &c); err != nil {
		return fmt.Errorf("its content: %w", err)
	}
	if c.Kind != credit.ChangeInspection || c.Ref != task || c.Fact.Change.Tag != credit.InspectionPublished || c.Fact.Change.Pos != LeafPos(r.LeafData) {
		return fmt.Errorf("it is the log's entry of %s %s (%s), not of the publication of task %s", c.Kind, c.Ref, c.Fact.Change.Tag, task)
	}
	return nil
}

// LeafPos reads the change position a fact leaf names (0 if none).
func LeafPos(data []byte) int64 {
	for _, l := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(l, "pos "); ok {
			n, _ := strconv.ParseInt(v, 10, 64)
			return n
		}
	}
	return 0
}
