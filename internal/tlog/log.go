package tlog

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/pii"
)

// Cursor is the change-feed cursor of the log's follower: one for the
// installation, so that each fact enters the log once, whichever node
// appends it.
const Cursor = "tlog"

// Leaf kinds.
const (
	LeafFact   = "fact"
	LeafReport = "report"
)

// Store is what the log keeps and reads in the store.
type Store interface {
	credit.LogStore
	credit.ChangeFeed
	FactStore
}

// FactStore reads the facts the feed names.
type FactStore interface {
	Record(ctx context.Context, id string) (*credit.Record, error)
	Subject(ctx context.Context, id string) (*credit.Subject, error)
	SubjectRevisions(ctx context.Context, subjectID string) ([]credit.SubjectRevision, error)
	ListEvents(ctx context.Context, after int64, limit int) ([]credit.ListEvent, error)
	Verifications(ctx context.Context, after int64, limit int) ([]credit.VerificationMark, error)
	NameDecisions(ctx context.Context, after int64, limit int) ([]credit.NameDecision, error)
	Case(ctx context.Context, id string) (*credit.Case, error)
	CaseEvents(ctx context.Context, caseID string) ([]credit.CaseEvent, error)
	Report(ctx context.Context, no string) (*credit.Report, error)
	Grant(ctx context.Context, id string) (*credit.Grant, error)
}

// Log is the transparency log of one installation, as a node runs it.
type Log struct {
	Store  Store
	Reader *Reader
	// Origin names the log in its checkpoints (catalog Platform.LogOrigin).
	Origin string
	// Signer gives the note signer of the current signing key.
	Signer func() (note.Signer, error)
	// Sealer opens sealed fields, so that a fact's commitment is over its
	// clear content and survives a key rotation.
	Sealer *pii.Sealer
	Logger *slog.Logger
	Now    func() time.Time
}

func (l *Log) now() time.Time {
	if l.Now != nil {
		return l.Now().UTC()
	}
	return time.Now().UTC()
}

func (l *Log) logger() *slog.Logger {
	if l.Logger != nil {
		return l.Logger
	}
	return slog.Default()
}

// followPage is how many changes an append takes at most.
const followPage = 2000

// Sync appends the facts committed since the log's cursor, and returns
// how many leaves it appended. Every node runs it; an append another node
// made first (the cursor moved) ends this one's turn.
func (l *Log) Sync(ctx context.Context) (int, error) {
	const op = "tlog.Sync"
	appended := 0
	for {
		pos, ok, err := l.Store.FeedCursor(ctx, Cursor)
		if err != nil {
			return appended, credit.Wrap(op, credit.Other, err)
		}
		from := pos
		if !ok {
			from = -1
		}
		cs, err := l.Store.ChangesSince(ctx, pos, followPage)
		if err != nil {
			return appended, credit.Wrap(op, credit.Other, err)
		}
		if len(cs) == 0 {
			if !ok {
				err := l.Store.AppendLog(ctx, &credit.FeedMove{Name: Cursor, From: -1, To: 0}, func(credit.LogState) (*credit.LogAppend, error) { return nil, nil })
				if err != nil && !credit.Is(credit.Conflict, err) {
					return appended, err
				}
			}
			return appended, nil
		}
		pre, err := l.prefetch(ctx, cs)
		if err != nil {
			return appended, err
		}
		var leaves []credit.LogLeaf
		for _, c := range cs {
			if !Logged(c) {
				continue
			}
			leaf, err := l.factLeaf(ctx, c, pre)
			if err != nil {
				return appended, err
			}
			leaves = append(leaves, leaf)
		}
		err = l.Store.AppendLog(ctx, &credit.FeedMove{Name: Cursor, From: from, To: cs[len(cs)-1].Pos}, func(h credit.LogState) (*credit.LogAppend, error) {
			if len(leaves) == 0 {
				return nil, nil
			}
			return Append(h, leaves)
		})
		if credit.Is(credit.Conflict, err) {
			return appended, nil // another node appended these; it goes on
		}
		if err != nil {
			return appended, err
		}
		appended += len(leaves)
		if len(cs) < followPage {
			return appended, nil
		}
	}
}

// Logged says whether a change enters the log as a fact: every fact of a
// credit file and of the procedures on it; not account changes (not
// credit facts), nor an issued report (it enters as its signed statement
// when it is issued).
func Logged(c credit.Change) bool {
	switch c.Kind {
	case credit.ChangeAccount:
		return false
	case credit.ChangeReport:
		return c.Tag != "issued"
	}
	return true
}

// FactLeafData is a fact leaf's data: what it commits to, never the fact.
//
//	xinyong-fact/1
//	pos <change position>
//	kind <change kind>
//	at <time of the change, RFC 3339 UTC>
//	ver <how much of a growing fact is committed to>
//	sha256 <hex of SHA-256(salt || the fact's content)>
//
// ver is the number of a case's events or a subject's revisions the
// content holds (0 for facts that never change), so that the content can
// be drawn again later exactly as it was committed to.
func FactLeafData(c credit.Change, ver int, digest []byte) []byte {
	return []byte("xinyong-fact/1\npos " + strconv.FormatInt(c.Pos, 10) + "\nkind " + string(c.Kind) +
		"\nat " + c.At.UTC().Format(time.RFC3339Nano) + "\nver " + strconv.Itoa(ver) + "\nsha256 " + hex.EncodeToString(digest) + "\n")
}

// LeafVersion reads the ver line of a fact leaf's data.
func LeafVersion(data []byte) int {
	for _, l := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(l, "ver "); ok {
			n, _ := strconv.Atoi(v)
			return n
		}
	}
	return 0
}

// Commit is the commitment to a fact's content under salt.
func Commit(salt, content []byte) []byte {
	h := sha256.New()
	h.Write(salt)
	h.Write(content)
	return h.Sum(nil)
}

// batchReader is a store that reads many facts at once.
type batchReader interface {
	RecordsByIDs(ctx context.Context, ids []string) (map[string]*credit.Record, error)
	SubjectsByIDs(ctx context.Context, ids []string) (map[string]*credit.Subject, error)
	SubjectRevisionsBySubjects(ctx context.Context, subjectIDs []string) (map[string][]credit.SubjectRevision, error)
}

// prefetched is what a page of changes names, read in one go: the
// records, and the subjects with their revisions (a subject absent from
// subjects was not found, or not read).
type prefetched struct {
	records   map[string]*credit.Record
	subjects  map[string]*credit.Subject
	revisions map[string][]credit.SubjectRevision
}

// prefetch reads the facts a page of changes names in one go, where the
// store can: after a large import a page is thousands of records and
// subjects, which read one by one (a subject in two queries) made the log
// fall behind by an hour.
func (l *Log) prefetch(ctx context.Context, cs []credit.Change) (*prefetched, error) {
	br, ok := l.Store.(batchReader)
	if !ok {
		return nil, nil
	}
	var records, subjects []string
	for _, c := range cs {
		switch c.Kind {
		case credit.ChangeRecord:
			records = append(records, c.Ref)
		case credit.ChangeSubject:
			subjects = append(subjects, c.Ref)
		}
	}
	var p prefetched
	var err error
	if len(records) > 0 {
		if p.records, err = br.RecordsByIDs(ctx, records); err != nil {
			return nil, credit.Wrap("tlog.Sync", credit.Other, err)
		}
	}
	if len(subjects) > 0 {
		if p.subjects, err = br.SubjectsByIDs(ctx, subjects); err != nil {
			return nil, credit.Wrap("tlog.Sync", credit.Other, err)
		}
		if p.revisions, err = br.SubjectRevisionsBySubjects(ctx, subjects); err != nil {
			return nil, credit.Wrap("tlog.Sync", credit.Other, err)
		}
	}
	return &p, nil
}

// record is the record id read in advance, if it was.
func (p *prefetched) record(id string) (*credit.Record, bool) {
	if p == nil {
		return nil, false
	}
	r, ok := p.records[id]
	return r, ok
}

// subject is the subject id and its revisions read in advance, if they
// were.
func (p *prefetched) subject(id string) (*credit.Subject, []credit.SubjectRevision, bool) {
	if p == nil {
		return nil, nil, false
	}
	s, ok := p.subjects[id]
	return s, p.revisions[id], ok
}

func (l *Log) factLeaf(ctx context.Context, c credit.Change, pre *prefetched) (credit.LogLeaf, error) {
	content, ver, err := l.content(ctx, c, -1, pre)
	if err != nil {
		return credit.LogLeaf{}, err
	}
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return credit.LogLeaf{}, err
	}
	return credit.LogLeaf{Kind: LeafFact, Ref: strconv.FormatInt(c.Pos, 10), Data: FactLeafData(c, ver, Commit(salt, content)), Salt: salt, At: l.now()}, nil
}

// Content is the canonical content of the fact a change names, and its
// version: its JSON, with sealed personal fields opened so that a key
// rotation, which re-seals them, leaves the content as it was. Facts that
// never change (records, list events, marks, name decisions, report
// revocations) are committed to whole. Those that grow are committed to
// as far as they had grown: a case by its fixed part and its first ver
// events, a subject by its identity and its first ver revisions, a grant
// by its terms (given) or its revocation (revoked). ver < 0 takes the
// fact as it is now (when it is logged); a verifier passes the leaf's
// ver. A fact the store no longer finds is committed to as the change
// entry alone.
func (l *Log) Content(ctx context.Context, c credit.Change, ver int) ([]byte, int, error) {
	return l.content(ctx, c, ver, nil)
}

// content is Content with the records and subjects of pre read already
// (one absent from pre, or all with pre nil, is read from the store).
func (l *Log) content(ctx context.Context, c credit.Change, ver int, pre *prefetched) ([]byte, int, error) {
	var (
		v   any
		err error
	)
	upTo := func(n int) int {
		if ver >= 0 && ver <= n {
			return ver
		}
		return n
	}
	switch c.Kind {
	case credit.ChangeRecord:
		r, ok := pre.record(c.Ref)
		if !ok {
			r, err = l.Store.Record(ctx, c.Ref)
		}
		if err == nil {
			v = l.opened(*r)
		}
	case credit.ChangeSubject:
		s, revs, ok := pre.subject(c.Ref)
		if !ok {
			if s, err = l.Store.Subject(ctx, c.Ref); err == nil {
				revs, err = l.Store.SubjectRevisions(ctx, c.Ref)
			}
		}
		if err == nil {
			ver = upTo(len(revs))
			v = struct {
				ID        string                   `json:"id"`
				Kind      credit.SubjectKind       `json:"kind"`
				Code      string                   `json:"code,omitempty"`
				IDMasked  string                   `json:"id_masked,omitempty"`
				Created   time.Time                `json:"created_at"`
				Revisions []credit.SubjectRevision `json:"revisions"`
			}{s.ID, s.Kind, s.Code, s.IDMasked, s.CreatedAt, revs[:ver]}
		}
	case credit.ChangeListEvent:
		v, err = seqOf(l.Store.ListEvents(ctx, c.Pos-1, 1))
	case credit.ChangeVerification:
		v, err = seqOf(l.Store.Verifications(ctx, c.Pos-1, 1))
	case credit.ChangeNameDecision:
		v, err = seqOf(l.Store.NameDecisions(ctx, c.Pos-1, 1))
	case credit.ChangeCase:
		var cs *credit.Case
		if cs, err = l.Store.Case(ctx, c.Ref); err == nil {
			var evs []credit.CaseEvent
			if evs, err = l.Store.CaseEvents(ctx, c.Ref); err == nil {
				ver = upTo(len(evs))
				v = struct {
					ID        string             `json:"id"`
					Kind      credit.CaseKind    `json:"kind"`
					SubjectID string             `json:"subject_id"`
					RecordID  string             `json:"record_id,omitempty"`
					EntryID   string             `json:"entry_id,omitempty"`
					Unit      string             `json:"unit"`
					Created   time.Time          `json:"created_at"`
					Events    []credit.CaseEvent `json:"events"`
				}{cs.ID, cs.Kind, cs.SubjectID, cs.RecordID, cs.EntryID, cs.Unit, cs.Created, evs[:ver]}
			}
		}
	case credit.ChangeReport:
		var r *credit.Report
		if r, err = l.Store.Report(ctx, c.Ref); err == nil {
			v = r.Revocation
		}
	case credit.ChangeGrant:
		var g *credit.Grant
		if g, err = l.Store.Grant(ctx, c.Ref); err == nil {
			if c.Tag == "revoked" {
				v = struct {
					ID     string    `json:"id"`
					At     time.Time `json:"revoked_at"`
					By     string    `json:"revoked_by"`
					Reason string    `json:"reason"`
				}{g.ID, g.RevokedAt, g.RevokedBy, g.RevokeReason}
			} else {
				g.Uses, g.RecipientName, g.RevokedAt, g.RevokedBy, g.RevokeReason = 0, "", time.Time{}, "", ""
				v = g
			}
		}
	}
	if ver < 0 {
		ver = 0
	}
	if credit.Is(credit.NotFound, err) || isNil(v) {
		v, err = struct {
			Change credit.Change `json:"change"`
		}{c}, nil
	}
	if err != nil {
		return nil, 0, credit.Wrap("tlog.Content", credit.Other, err)
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(struct {
		Kind credit.ChangeKind `json:"kind"`
		Ref  string            `json:"ref"`
		Fact any               `json:"fact"`
	}{c.Kind, c.Ref, v}); err != nil {
		return nil, 0, err
	}
	return b.Bytes(), ver, nil
}

func isNil(v any) bool {
	if v == nil {
		return true
	}
	switch x := v.(type) {
	case *credit.ReportRevocation:
		return x == nil
	}
	return false
}

// seqOf is the one element a read after pos-1 returns when it is the one
// at pos: list events, marks and name decisions are numbered by their
// change position.
func seqOf[T any](xs []T, err error) (any, error) {
	if err != nil || len(xs) == 0 {
		return nil, err
	}
	return xs[0], nil
}

func (l *Log) opened(r credit.Record) credit.Record {
	f := make(credit.Fields, len(r.Fields))
	for k, v := range r.Fields {
		if pii.IsSealedField(v) && l.Sealer != nil {
			if clear, err := l.Sealer.OpenField(v); err == nil {
				v = clear
			}
		}
		f[k] = v
	}
	r.Fields = f
	return r
}

// Sign signs a checkpoint of the head.
func (l *Log) Sign(head credit.LogState) (*credit.LogCheckpoint, error) {
	s, err := l.Signer()
	if err != nil {
		return nil, err
	}
	cp := Checkpoint{Origin: l.Origin, Size: head.Size, Root: RootOf(head)}
	text, err := cp.Sign(s)
	if err != nil {
		return nil, err
	}
	return &credit.LogCheckpoint{Size: head.Size, Root: cp.Root, Note: text, At: l.now()}, nil
}

// SignHead signs a checkpoint of the head and keeps it.
func (l *Log) SignHead(ctx context.Context, head credit.LogState) (*credit.LogCheckpoint, error) {
	c, err := l.Sign(head)
	if err != nil {
		return nil, err
	}
	if err := l.Store.PutCheckpoint(ctx, *c); err != nil {
		return nil, err
	}
	return c, nil
}

// Checkpoint signs a checkpoint of the log's head unless one of its size
// is kept, and returns the newest.
func (l *Log) Checkpoint(ctx context.Context) (*credit.LogCheckpoint, error) {
	head, err := l.Store.LogHead(ctx)
	if err != nil {
		return nil, err
	}
	last, err := l.Store.Checkpoint(ctx, -1)
	if err != nil && !credit.Is(credit.NotFound, err) {
		return nil, err
	}
	if last != nil && last.Size >= head.Size {
		return last, nil
	}
	return l.SignHead(ctx, head)
}

// Interval is how often a node follows the feed and signs a checkpoint.
const Interval = time.Second

// Run follows the feed and signs checkpoints every interval until ctx ends.
func (l *Log) Run(ctx context.Context, every time.Duration) {
	if every <= 0 {
		every = Interval
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if _, err := l.Sync(ctx); err != nil && ctx.Err() == nil {
			l.logger().Warn("transparency log: following the change feed failed; retrying", "err", err)
		} else if _, err := l.Checkpoint(ctx); err != nil && ctx.Err() == nil {
			l.logger().Warn("transparency log: signing a checkpoint failed; retrying", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Inclusion is a leaf's proof of inclusion against a signed checkpoint:
// with the platform's public key, anyone verifies it offline.
type Inclusion struct {
	Origin     string   `json:"origin"`
	Index      int64    `json:"index"`
	TreeSize   int64    `json:"tree_size"`
	LeafHash   []byte   `json:"leaf_hash"`
	Hashes     [][]byte `json:"hashes"`
	Checkpoint string   `json:"checkpoint"`
}

// Prove returns the inclusion of leaf index against checkpoint cp (the
// newest when nil).
func (l *Log) Prove(ctx context.Context, index int64, cp *credit.LogCheckpoint) (*Inclusion, error) {
	if cp == nil {
		var err error
		if cp, err = l.Checkpoint(ctx); err != nil {
			return nil, err
		}
	}
	leaf, err := l.Store.LogLeaf(ctx, index)
	if err != nil {
		return nil, err
	}
	hs, err := l.Reader.Inclusion(ctx, index, cp.Size)
	if err != nil {
		return nil, err
	}
	if hs == nil {
		hs = [][]byte{}
	}
	return &Inclusion{Origin: l.Origin, Index: index, TreeSize: cp.Size, LeafHash: leaf.Hash, Hashes: hs, Checkpoint: cp.Note}, nil
}

// Consistency is the proof that the log at the older checkpoint is a
// prefix of the log at the newer one.
type Consistency struct {
	Origin        string   `json:"origin"`
	OldSize       int64    `json:"old_size"`
	NewSize       int64    `json:"new_size"`
	Hashes        [][]byte `json:"hashes"`
	OldCheckpoint string   `json:"old_checkpoint"`
	NewCheckpoint string   `json:"new_checkpoint"`
}

// ProveConsistency returns the consistency proof between the checkpoints
// of sizes old and new (new < 0: the newest).
func (l *Log) ProveConsistency(ctx context.Context, old, new int64) (*Consistency, error) {
	var nc *credit.LogCheckpoint
	var err error
	if new < 0 {
		nc, err = l.Checkpoint(ctx)
	} else {
		nc, err = l.Store.Checkpoint(ctx, new)
	}
	if err != nil {
		return nil, err
	}
	oc, err := l.Store.Checkpoint(ctx, old)
	if err != nil {
		return nil, err
	}
	if oc.Size > nc.Size {
		return nil, credit.Say("tlog.ProveConsistency", credit.Invalid, "较早的检查点（%d）须不大于较新的（%d）", "the older checkpoint (%d) must not be larger than the newer (%d)", oc.Size, nc.Size)
	}
	hs, err := l.Reader.Consistency(ctx, oc.Size, nc.Size)
	if err != nil {
		return nil, err
	}
	if hs == nil {
		hs = [][]byte{}
	}
	return &Consistency{Origin: l.Origin, OldSize: oc.Size, NewSize: nc.Size, Hashes: hs, OldCheckpoint: oc.Note, NewCheckpoint: nc.Note}, nil
}

// VerifyInclusionProof verifies an inclusion proof offline: the
// checkpoint's signature with the verifiers, then the path from leafHash
// (the hash of the leaf data the verifier holds) to its root.
func VerifyInclusionProof(p *Inclusion, leafData []byte, vs note.Verifiers, origin string) (Checkpoint, error) {
	cp, err := OpenCheckpoint([]byte(p.Checkpoint), vs, origin)
	if err != nil {
		return cp, err
	}
	if cp.Size != p.TreeSize {
		return cp, fmt.Errorf("the proof is for a tree of %d leaves, its checkpoint for %d", p.TreeSize, cp.Size)
	}
	h := Hasher.HashLeaf(leafData)
	if p.LeafHash != nil && !bytes.Equal(h, p.LeafHash) {
		return cp, fmt.Errorf("the leaf's data hashes to %s, the proof names leaf hash %s: the data was changed", short(h), short(p.LeafHash))
	}
	return cp, VerifyInclusion(cp, p.Index, h, p.Hashes)
}

// VerifyConsistencyProof verifies a consistency proof offline.
func VerifyConsistencyProof(p *Consistency, vs note.Verifiers, origin string) (old, new Checkpoint, err error) {
	if old, err = OpenCheckpoint([]byte(p.OldCheckpoint), vs, origin); err != nil {
		return old, new, fmt.Errorf("older checkpoint: %w", err)
	}
	if new, err = OpenCheckpoint([]byte(p.NewCheckpoint), vs, origin); err != nil {
		return old, new, fmt.Errorf("newer checkpoint: %w", err)
	}
	return old, new, VerifyConsistency(old, new, p.Hashes)
}
