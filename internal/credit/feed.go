package credit

import (
	"context"
	"fmt"
	"time"
)

// ChangeKind says what a change-feed entry is about.
type ChangeKind string

const (
	ChangeRecord       ChangeKind = "record"        // a record fact; Tag is its item
	ChangeSubject      ChangeKind = "subject"       // a subject registered or changed
	ChangeListEvent    ChangeKind = "list_event"    // a list event; Tag is its list
	ChangeVerification ChangeKind = "verification"  // a verification mark
	ChangeNameDecision ChangeKind = "name_decision" // a hit-check name decision
	ChangeCase         ChangeKind = "case"          // a case event; Tag is the case kind
	ChangeAccount      ChangeKind = "account"       // an account, key or matter change
	ChangeCommitment   ChangeKind = "commitment"    // a commitment event; Tag is its state
	ChangeDeclaration  ChangeKind = "declaration"   // a self-declared information event; Tag is its state
)

// Change is one entry of the change feed: what changed (Kind and Ref, the
// changed row's ID), about whom (SubjectID, when there is one) and at which
// position. Positions only grow, in commit order.
type Change struct {
	Pos       int64      `json:"pos"`
	Kind      ChangeKind `json:"kind"`
	Ref       string     `json:"ref"`
	SubjectID string     `json:"subject_id,omitempty"`
	Tag       string     `json:"tag,omitempty"`
	At        time.Time  `json:"at"`
}

// ChangeFeed is the store's one feed of every fact it keeps. Every write
// of a fact adds its entries in the same transaction, so a follower that
// has read up to a position has seen every fact committed up to it, and
// will never be handed one with a smaller position later.
type ChangeFeed interface {
	// ChangeHead returns the position of the newest committed change (0
	// when there is none).
	ChangeHead(ctx context.Context) (int64, error)
	// ChangesSince returns up to limit changes (1000 when limit <= 0, at
	// most 10000) with a position after after, in position order. kinds,
	// when given, keeps only those kinds.
	ChangesSince(ctx context.Context, after int64, limit int, kinds ...ChangeKind) ([]Change, error)
	// FeedCursor returns the shared position of the named follower, and
	// whether it has one (a follower without one starts from a full load).
	FeedCursor(ctx context.Context, name string) (pos int64, ok bool, err error)
	// MoveFeedCursor moves the named follower from position from to to.
	// Conflict if another process moved it meanwhile (the caller reads it
	// again); from < 0 creates the cursor, Exists if it is there already.
	MoveFeedCursor(ctx context.Context, name string, from, to int64) error
}

// FeedReader is the part of the change feed a follower's snapshot reads.
type FeedReader interface {
	ChangeHead(ctx context.Context) (int64, error)
	ChangesSince(ctx context.Context, after int64, limit int, kinds ...ChangeKind) ([]Change, error)
}

// FeedMark is the feed entry an in-memory index's snapshot was taken
// at. A snapshot is of a store only if the store still holds that entry,
// unchanged: a snapshot of another store (or of this one before it was
// restored from a backup) is refused, and the index loads in full.
type FeedMark struct {
	Pos  int64
	Kind string
	Ref  string
	At   int64 // UnixMicro
}

// MarkAt is the mark of position pos of feed (zero for an empty feed).
func MarkAt(ctx context.Context, feed FeedReader, pos int64) (FeedMark, error) {
	if pos <= 0 {
		return FeedMark{}, nil
	}
	cs, err := feed.ChangesSince(ctx, pos-1, 1)
	if err != nil {
		return FeedMark{}, err
	}
	if len(cs) == 0 || cs[0].Pos != pos {
		// The position is past the entries (a head read with nothing
		// at it): the position alone marks it.
		return FeedMark{Pos: pos}, nil
	}
	return FeedMark{Pos: pos, Kind: string(cs[0].Kind), Ref: cs[0].Ref, At: cs[0].At.UnixMicro()}, nil
}

// Check reports why feed does not hold the entry m marks, nil if it does.
func (m FeedMark) Check(ctx context.Context, feed FeedReader) error {
	head, err := feed.ChangeHead(ctx)
	if err != nil {
		return err
	}
	if head < m.Pos {
		return fmt.Errorf("the snapshot is at feed position %d, past the store's head %d: of another store", m.Pos, head)
	}
	got, err := MarkAt(ctx, feed, m.Pos)
	if err != nil {
		return err
	}
	if got != m {
		return fmt.Errorf("the store's feed entry %d is not the one the snapshot was taken at: of another store", m.Pos)
	}
	return nil
}
