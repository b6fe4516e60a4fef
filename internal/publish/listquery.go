package publish

import (
	"context"
	"strings"
	"time"

	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/credit"
)

// ListQuery narrows a published list (ListWhere). Empty fields do not
// filter.
type ListQuery struct {
	// Kind is the kind of list: "black" or "red" (required).
	Kind string
	// List is one list type's code (重大税收违法失信主体 ...), of Kind.
	List string
	// Dept is the deciding department's code.
	Dept string
	// Region is a GB/T 2260 code: the deciding department's region is it
	// or lies within it (350100 holds 350102; 350000 holds both).
	Region string
	// From and To bound the date of listing: From <= since < To.
	From, To time.Time
	// Text must occur in the subject's name or the decision document's
	// number.
	Text string
}

// matches reports whether le passes q.
func (q ListQuery) matches(cat *catalog.Catalog, le ListedEntry) bool {
	if q.List != "" && le.List != q.List {
		return false
	}
	if q.Dept != "" && le.Dept != q.Dept {
		return false
	}
	if q.Region != "" {
		d, err := cat.Department(le.Dept)
		if err != nil || !RegionWithin(d.Region, q.Region) {
			return false
		}
	}
	if !q.From.IsZero() && le.Since.Before(q.From) {
		return false
	}
	if !q.To.IsZero() && !le.Since.Before(q.To) {
		return false
	}
	if t := strings.TrimSpace(q.Text); t != "" && !strings.Contains(le.Name, t) && !strings.Contains(le.DocNo, t) {
		return false
	}
	return true
}

// RegionWithin reports whether GB/T 2260 region code r lies within area:
// equal, or area is a province (two digits and 0000) or a city (four
// digits and 00) holding r.
func RegionWithin(r, area string) bool {
	if r == "" || len(area) != 6 {
		return false
	}
	prefix := strings.TrimRight(area, "0")
	if len(prefix)%2 == 1 {
		prefix += "0" // 350100 → 3501, 310000 → 31, 110101 → 110101
	}
	return strings.HasPrefix(r, prefix)
}

// EntryOf is one list entry in force on subjectID as aud sees it now, with
// its publication decision: the entry detail page's. NotFound when the
// entry is not in force, not of the subject, or not visible to aud (a
// natural person's, a repaired one on the public side), exactly as the
// list pages and the subject's page leave it out.
func (e *Engine) EntryOf(ctx context.Context, subjectID, entryID string, aud Audience, ms MarkSource) (ListEntry, error) {
	const op = "publish.EntryOf"
	if ms == nil {
		ms = NoMarks{}
	}
	if e.Entries == nil {
		return ListEntry{}, credit.E(op, credit.NotFound, "no list entries on this node")
	}
	les, err := e.Entries.SubjectEntries(ctx, subjectID, e.now())
	if err != nil {
		return ListEntry{}, err
	}
	for i, le := range les {
		if le.EntryID != entryID {
			continue
		}
		decided, err := e.entryDecisions(ctx, les[i:i+1], aud, ms)
		if err != nil {
			return ListEntry{}, err
		}
		d, ok := decided[0]
		if !ok {
			break
		}
		return ListEntry{SubjectID: le.SubjectID, Name: le.Name, Decision: d}, nil
	}
	return ListEntry{}, credit.E(op, credit.NotFound, "entry %s is not published", entryID)
}
