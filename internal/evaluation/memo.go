package evaluation

import (
	"slices"
	"strings"

	"github.com/xinyong/xinyong/internal/credit"
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

// memoWindow is a chain's current record's window from a copy's memo.
type memoWindow struct {
	w  publish.Window
	ok bool
}

// windowsOf gives, aligned with file (the chains derived from facts), the
// window of each chain's current record from memo, when memo was made
// under the catalogue whose fingerprint is key; nil when it was not.
func windowsOf(key string, file []credit.State, facts []credit.Record, memo credit.EvalMemo) []memoWindow {
	if memo.Key == "" || memo.Key != key || len(memo.Records) != len(facts) {
		return nil
	}
	out := make([]memoWindow, len(file))
	for i := range file {
		// A copy's records are in ID order; a record not found by ID is
		// classified afresh.
		j, found := slices.BinarySearchFunc(facts, file[i].Current.ID, func(r credit.Record, id string) int { return strings.Compare(r.ID, id) })
		if found {
			out[i].w, out[i].ok = publish.ParseWindow(memo.Records[j])
		}
	}
	return out
}

// window is the memo's window of in.File[i], if in carries one made under
// the scorer's catalogue.
func (sc *Scorer) window(in *Input, i int) (publish.Window, bool) {
	if in.windows == nil || in.windowsKey != sc.Publish.Catalog.Fingerprint() {
		return publish.Window{}, false
	}
	mw := in.windows[i]
	return mw.w, mw.ok
}
