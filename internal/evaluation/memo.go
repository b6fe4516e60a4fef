package evaluation

import (
	"context"
	"maps"
	"slices"
	"strings"

	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/gcpace"
	"github.com/xinyong/xinyong/internal/publish"
)

// A file copy carries a memo: each record's window as publish.WindowOf
// gave it when the copy was kept, under the catalogue's fingerprint. A
// full pass reads it instead of classifying ten million records again
// (half of the scoring's CPU at 1M subjects, BENCHMARKS.md); a memo of
// another catalogue, a record without an entry, or a subject read from the
// records is classified as always. The window depends on the catalogue,
// the record and the subject's kind, all of which the copy holds as they
// were when the memo was made.

// memoOf is the memo kept with the copy of subj's file facts.
func (s *Service) memoOf(subj *credit.Subject, facts []credit.Record) credit.EvalMemo {
	pub := s.cfg.Publish
	m := credit.EvalMemo{Key: pub.Catalog.Fingerprint(), Records: make([]string, len(facts))}
	var buf []byte
	for i := range facts {
		it, err := pub.Catalog.Item(facts[i].Item)
		if err != nil {
			continue // no window: the scorer says why
		}
		buf = publish.AppendWindow(buf[:0], pub.WindowOf(it, &facts[i], subj))
		m.Records[i] = string(buf)
	}
	return m
}

// memoEntries gives, aligned with file (the chains derived from facts),
// the memo entry of each chain's current record ("" for none), when memo
// was made under the catalogue whose fingerprint is key; nil when it was
// not. The entries are read when a leaf asks (Scorer.window). They are
// written into dst's array when it is large enough.
func memoEntries(dst []string, key string, file []credit.State, facts []credit.Record, memo credit.EvalMemo) []string {
	if memo.Key == "" || memo.Key != key || len(memo.Records) != len(facts) {
		return nil
	}
	out := dst[:0]
	if cap(out) < len(file) {
		out = make([]string, len(file))
	}
	out = out[:len(file)]
	clear(out)
	for i := range file {
		// A copy's records are in ID order; a record not found by ID is
		// classified afresh.
		j, found := slices.BinarySearchFunc(facts, file[i].Current.ID, func(r credit.Record, id string) int { return strings.Compare(r.ID, id) })
		if found {
			out[i] = memo.Records[j]
		}
	}
	return out
}

// window is the memo's window of in.File[i], if in carries one made under
// the scorer's catalogue.
func (sc *Scorer) window(in *Input, i int) (publish.Window, bool) {
	if in.memo == nil || in.memoKey != sc.Publish.Catalog.Fingerprint() {
		return publish.Window{}, false
	}
	return publish.ParseWindow(in.memo[i])
}

// memosCursor is the feed cursor that marks the copies' memos made under
// the catalogue with fingerprint key: once it exists, RefreshMemos has
// nothing to do under that catalogue. Its position is the follower's when
// the refresh ended.
func memosCursor(key string) string { return FilesCursor + ".memos." + key[:min(len(key), 16)] }

// RefreshMemos makes the memos of the kept copies again under the active
// catalogue where they were made under another (the catalogue changed:
// an administrator activated a version) or not at all (a copy of format
// 2): from the copy itself, which holds all that a window depends on.
// Without it a copy's memo would wait for the subject's next change, and
// every pass until then would classify its records again. The copies
// are read once to find those; then a range of a few hundred of them at a
// time is read again and written back beside this node's follower (its
// lock is held for a range), in a transaction that checks the follower's
// cursor has not moved since the range was read (another node's
// follower), so no newer copy is overwritten; a range that lost that race
// is read again. Nothing to do before the
// copies are built or once refreshed under this catalogue. It returns how
// many copies it wrote.
func (s *Service) RefreshMemos(ctx context.Context) (int, error) {
	key := s.cfg.Publish.Catalog.Fingerprint()
	if _, built, err := s.cfg.Store.FeedCursor(ctx, FilesCursor); err != nil || !built {
		return 0, err
	}
	if _, done, err := s.cfg.Store.FeedCursor(ctx, memosCursor(key)); err != nil || done {
		return 0, err
	}
	defer gcpace.Bulk()()
	// The subjects whose memo is of another catalogue, in ID order: read
	// without the follower's lock, then rewritten a few hundred at a time
	// under it.
	var stale []string
	err := s.cfg.Store.ScanEvalFileCopies(ctx, nil, credit.SubjectRange{}, func(subj *credit.Subject, _ []credit.Record, memo credit.EvalMemo) error {
		if memo.Key != key {
			stale = append(stale, subj.ID)
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	n := 0
	pos, _, err := s.cfg.Store.FeedCursor(ctx, CursorName)
	if err != nil {
		return 0, err
	}
	chunk := refreshChunk
	for i := 0; i < len(stale); i += chunk {
		r := credit.SubjectRange{From: stale[i]}
		if i+chunk < len(stale) {
			r.To = stale[i+chunk]
		}
		for try := 0; ; try++ {
			var wrote int
			wrote, pos, err = s.refreshRange(ctx, key, r)
			n += wrote
			if err == nil || !credit.Is(credit.Conflict, err) || try == 3 {
				break
			}
		}
		if err != nil {
			return n, err
		}
	}
	if err := s.cfg.Store.MoveFeedCursor(ctx, memosCursor(key), -1, pos); err != nil && !credit.Is(credit.Exists, err) {
		return n, err
	}
	if n > 0 {
		s.log.Info("evaluation: file copies' memos made under the active catalogue", "copies", n)
	}
	return n, nil
}

// refreshChunk is how many copies RefreshMemos rewrites under the
// follower's lock at a time (a variable for the tests).
var refreshChunk = 500

// refreshRange is RefreshMemos for the subjects of r; it returns the
// copies written and the follower's position they reflect.
func (s *Service) refreshRange(ctx context.Context, key string, r credit.SubjectRange) (int, int64, error) {
	s.stepMu.Lock()
	defer s.stepMu.Unlock()
	pos, ok, err := s.cfg.Store.FeedCursor(ctx, CursorName)
	if err != nil || !ok {
		return 0, pos, err
	}
	var batch []credit.EvalFile
	err = s.cfg.Store.ScanEvalFileCopies(ctx, nil, r, func(subj *credit.Subject, facts []credit.Record, memo credit.EvalMemo) error {
		if memo.Key != key {
			batch = append(batch, credit.EvalFile{Subject: subj, Records: cloneRecords(facts), Memo: s.memoOf(subj, facts)})
		}
		return nil
	})
	if err != nil || len(batch) == 0 {
		return 0, pos, err
	}
	mv := &credit.CursorMove{Name: CursorName, From: pos, To: pos}
	if err := s.cfg.Store.PutEvalScores(ctx, nil, nil, batch, mv); err != nil {
		return 0, pos, err
	}
	return len(batch), pos, nil
}

// cloneRecords copies recs with their fields: a copy's reader reuses both.
func cloneRecords(recs []credit.Record) []credit.Record {
	out := slices.Clone(recs)
	for i := range out {
		out[i].Fields = maps.Clone(out[i].Fields)
	}
	return out
}
