package credit

import (
	"context"
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
