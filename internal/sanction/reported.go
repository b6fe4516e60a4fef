package sanction

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/publish"
)

// Lists decided outside the platform (a court's 失信被执行人, a tax bureau's
// A级纳税人, a market regulator's 经营异常名录) arrive as records. Each such
// record chain is an entry of its list (catalog.Catalog.ReportedList), so
// that the hit check, the list pages, the subject page and the statistics
// read one membership. The follower below keeps the entries in step with
// the records, through the change feed: the entry's ID is the record
// chain's origin, its period the record's publication window (the one
// classification, publish.WindowOf), and a revocation, a correction or a
// reported end (履行完毕) ends it.

// ReportedCursor is the change-feed cursor of the reported-list follower:
// one for the whole installation, so each record is turned into its entry
// once, whichever node does it.
const ReportedCursor = "sanction.reported"

// SyncReported brings the entries of reported lists up to the records
// committed so far, and returns how many list events it wrote. Every node
// runs it (Run); several may at once: an entry moved on by another is
// left to it (Conflict), and the shared cursor moves only forward
// (credit.FollowItems). A store whose records predate the change feed has
// every subject with reported records reconciled first.
func (s *Service) SyncReported(ctx context.Context) (int, error) {
	const op = "sanction.SyncReported"
	n, err := credit.FollowItems(ctx, s.Store, ReportedCursor, s.reportedItems(), func(ctx context.Context, subjects []string) (int, error) {
		n, err := s.reconcile(ctx, subjects)
		if err == nil && n > 0 {
			err = s.Refresh(ctx)
		}
		return n, err
	})
	return n, credit.Wrap(op, credit.Other, err)
}

// reportedItems are the items whose records may be entries of a list.
func (s *Service) reportedItems() []string {
	var out []string
	for _, lt := range s.Catalog.Lists {
		if r := lt.Reported; r != nil {
			for _, it := range r.Items {
				if !slices.Contains(out, it) {
					out = append(out, it)
				}
			}
		}
	}
	return out
}

// reconcile brings the reported entries of each subject in step with its
// records, subject by subject in the order given (the order their records
// were written, so that entries are made in that order too).
func (s *Service) reconcile(ctx context.Context, subjects []string) (int, error) {
	const op = "sanction.reconcile"
	items := s.reportedItems()
	written := 0
	// In chunks, a few queries each: a node started on a store filled in
	// bulk reconciles every subject with reported records (10M records: a
	// million subjects, which one query each kept for a quarter of an hour).
	for len(subjects) > 0 {
		chunk := subjects[:min(len(subjects), 500)]
		subjects = subjects[len(chunk):]
		facts, err := s.Store.RecordsBySubjects(ctx, chunk)
		if err != nil {
			return written, credit.Wrap(op, credit.Other, err)
		}
		events, err := s.Store.ListEventsBySubjects(ctx, chunk)
		if err != nil {
			return written, credit.Wrap(op, credit.Other, err)
		}
		var found map[string]*credit.Subject // read once a chunk has a chain to weigh
		var evs []*credit.ListEvent
		var prevs []int64
		for _, subjectID := range chunk {
			entries := map[string]*Entry{}
			for _, e := range Derive(events[subjectID]) {
				entries[e.ID] = e
			}
			var subj *credit.Subject
			for _, st := range credit.Derive(facts[subjectID]) {
				if !slices.Contains(items, st.Current.Item) {
					continue
				}
				if subj == nil {
					if found == nil {
						if found, err = s.Store.SubjectsByIDs(ctx, chunk); err != nil {
							return written, credit.Wrap(op, credit.Other, err)
						}
					}
					if subj = found[subjectID]; subj == nil {
						return written, credit.E(op, credit.NotFound, "subject %s of reported records not found", subjectID)
					}
				}
				if ev, prev := s.reportedEvent(st, subj, entries[st.Origin]); ev != nil {
					evs, prevs = append(evs, ev), append(prevs, prev)
				}
			}
		}
		n, err := s.appendReported(ctx, evs, prevs)
		written += n
		if err != nil {
			return written, err
		}
	}
	return written, nil
}

// appendReported writes a chunk's events in one transaction (after a bulk
// import, one each made a hundred thousand entries take minutes on
// PostgreSQL) and returns how many it wrote. If another node moved one of
// the entries meanwhile, the batch is refused whole; the events are then
// written one by one, and those whose entry moved are left to the next
// pass, which compares again.
func (s *Service) appendReported(ctx context.Context, evs []*credit.ListEvent, prevs []int64) (int, error) {
	const op = "sanction.reconcile"
	err := s.Store.AppendListEvents(ctx, evs, prevs)
	if err == nil {
		return len(evs), nil
	}
	if !credit.Is(credit.Conflict, err) && !credit.Is(credit.Exists, err) {
		return 0, credit.Wrap(op, credit.Other, err)
	}
	written := 0
	for i, ev := range evs {
		err := s.Store.AppendListEvent(ctx, ev, prevs[i])
		switch {
		case credit.Is(credit.Conflict, err), credit.Is(credit.Exists, err):
			// Another node wrote it first; the next pass compares again.
		case err != nil:
			return written, credit.Wrap(op, credit.Other, err)
		default:
			written++
		}
	}
	return written, nil
}

// Removal reasons of reported entries.
const (
	// RemoveFulfilled: the deciding unit reported that the subject met
	// its obligation (catalog.Reported.EndsWhen).
	RemoveFulfilled = "fulfilled"
)

// reportedEvent is the list event that brings entry e (nil when there is
// none) in step with the record chain st of subj, and the seq it follows;
// nil when nothing is to be written.
func (s *Service) reportedEvent(st credit.State, subj *credit.Subject, e *Entry) (*credit.ListEvent, int64) {
	cur := st.Current
	lt, err := s.Catalog.ReportedList(cur.Item, cur.Fields, cur.Dept)
	if err != nil {
		lt = nil // a record the catalogue no longer places on a list
	}
	now := s.now()
	base := credit.ListEvent{ID: credit.NewID(), EntryID: st.Origin, SubjectID: cur.SubjectID,
		Actor: cur.Dept, Dept: cur.Dept, At: now, DocNo: cur.DocNo}
	removal := func(reason, note string) (*credit.ListEvent, int64) {
		if e == nil || e.State == credit.StepRemoved {
			return nil, 0
		}
		ev := base
		ev.List, ev.Step = e.List, credit.StepRemoved
		ev.Detail = credit.EntryDetail{RemovalReason: reason, Note: note}
		return &ev, e.Seq
	}
	switch {
	case st.Revoked:
		return removal(RemoveRevocation, "认定单位撤销了该信息："+st.RevokedBy.Reason)
	case lt == nil || (e != nil && e.List != lt.Code):
		return removal(RemoveCorrection, "认定单位更正后，该信息不再列入本名单")
	case lt.EndsEntry(cur.Fields):
		return removal(RemoveFulfilled, "认定单位报送：已履行义务")
	}
	if e != nil && e.State == credit.StepRemoved {
		return nil, 0 // an ended entry is not revived; a new decision is a new record
	}
	it, err := s.Catalog.Item(cur.Item)
	if err != nil {
		return nil, 0
	}
	w := publish.WindowOf(s.Catalog, it, &cur, subj)
	since, until := w.From, w.MaxEnd
	if until.IsZero() && lt.PeriodMonths > 0 {
		until = since.AddDate(0, lt.PeriodMonths, 0)
	}
	if e == nil && !until.IsZero() && !now.Before(until) {
		return nil, 0 // its period is over: nothing to apply
	}
	if e != nil && e.Detail.Since.Equal(since) && e.Detail.Until.Equal(until) && e.DocNo == cur.DocNo {
		return nil, 0
	}
	ev := base
	ev.List, ev.Step = lt.Code, credit.StepDecided
	var measures []string
	for _, m := range s.Catalog.MeasuresFor(lt.Code, "") {
		measures = append(measures, m.Code)
	}
	ev.Detail = credit.EntryDetail{
		BasisRecords: []string{st.Origin}, Grounds: groundsOf(lt, cur.Fields), Basis: basisTexts(lt),
		SubjectName: subj.Name, FormerNames: subj.FormerNames, SubjectKind: subj.Kind,
		Persons: reportedPersons(it, cur.Fields), Measures: measures, Exit: lt.Exit.Text,
		Since: since.UTC(), Until: until.UTC(), Reported: true,
	}
	if until.IsZero() {
		ev.Detail.Until = time.Time{}
	}
	if e == nil {
		return &ev, 0
	}
	return &ev, e.Seq
}

// groundsOf is the entry's 事由 from the record.
func groundsOf(lt *catalog.ListType, f credit.Fields) string {
	if lt.Reported != nil && lt.Reported.GroundsField != "" {
		if g := strings.TrimSpace(f[lt.Reported.GroundsField]); g != "" {
			return g
		}
	}
	return lt.Criteria.Text
}

// basisTexts are a list type's legal bases as text.
func basisTexts(lt *catalog.ListType) []string {
	out := make([]string, 0, len(lt.Basis))
	for _, b := range lt.Basis {
		out = append(out, b.String())
	}
	return out
}

// reportedPersons are the responsible persons a reported record names
// (its legal representative), by name only: measures reach them by ID
// number only through entries decided on the platform.
func reportedPersons(it *catalog.Item, f credit.Fields) []credit.ResponsiblePerson {
	if code := it.LegalRepField(); code != "" {
		if n := strings.TrimSpace(f[code]); n != "" {
			return []credit.ResponsiblePerson{{Role: "法定代表人", Name: n}}
		}
	}
	return nil
}
