package credit

import (
	"context"
	"fmt"
	"slices"
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

// ItemFeed is what FollowItems reads: the change feed, and the records of
// items newest first for a follower that starts without a cursor.
type ItemFeed interface {
	ChangeFeed
	NewestRecordsByItems(ctx context.Context, items []string, beforeID string, limit int) ([]Record, error)
}

// followPage is how many changes FollowItems reads at a time.
const followPage = 5000

// FollowItems moves the shared cursor named cursor over the change feed,
// handing apply the subjects whose records of items were committed since,
// a page at a time in the order of their first change, and returns the sum
// of what apply returned. Without the cursor it first hands apply every
// subject with records of items (oldest first) and creates the cursor at
// the head read before. Applying a subject again must change nothing: a
// page is read up to the head, and changes after the page are handed over
// again next time. When another node moved the cursor meanwhile, the call
// ends without error and that node continues.
func FollowItems(ctx context.Context, feed ItemFeed, cursor string, items []string, apply func(ctx context.Context, subjects []string) (int, error)) (int, error) {
	if len(items) == 0 {
		return 0, nil
	}
	pos, ok, err := feed.FeedCursor(ctx, cursor)
	if err != nil {
		return 0, err
	}
	done := 0
	if !ok {
		head, err := feed.ChangeHead(ctx)
		if err != nil {
			return 0, err
		}
		var subjects []string // newest record first, reversed below
		seen := map[string]bool{}
		for before := ""; ; {
			recs, err := feed.NewestRecordsByItems(ctx, items, before, 10000)
			if err != nil {
				return 0, err
			}
			for _, r := range recs {
				if !seen[r.SubjectID] {
					seen[r.SubjectID] = true
					subjects = append(subjects, r.SubjectID)
				}
			}
			if len(recs) < 10000 {
				break
			}
			before = recs[len(recs)-1].ID
		}
		slices.Reverse(subjects)
		if done, err = apply(ctx, subjects); err != nil {
			return done, err
		}
		if err := feed.MoveFeedCursor(ctx, cursor, -1, head); err != nil && !Is(Exists, err) {
			return done, err
		}
		pos = head
	}
	for {
		head, err := feed.ChangeHead(ctx)
		if err != nil {
			return done, err
		}
		if head <= pos {
			return done, nil
		}
		cs, err := feed.ChangesSince(ctx, pos, followPage, ChangeRecord)
		if err != nil {
			return done, err
		}
		var subjects []string // in the order of their first change
		seen := map[string]bool{}
		for _, c := range cs {
			if slices.Contains(items, c.Tag) && !seen[c.SubjectID] {
				seen[c.SubjectID] = true
				subjects = append(subjects, c.SubjectID)
			}
		}
		n, err := apply(ctx, subjects)
		done += n
		if err != nil {
			return done, err
		}
		// Up to the head when the page was not full: changes after it were
		// read too, none before it is left behind.
		next := head
		if len(cs) == followPage {
			next = cs[len(cs)-1].Pos
		}
		if err := feed.MoveFeedCursor(ctx, cursor, pos, next); err != nil {
			if Is(Conflict, err) {
				return done, nil
			}
			return done, err
		}
		pos = next
	}
}
