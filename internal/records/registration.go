package records

import (
	"context"
	"slices"

	"github.com/xinyong/xinyong/internal/credit"
)

// Registration records (items with catalog.Keys.Status, 登记注册基本信息)
// are the registration authority's statement of a subject's registration
// data. The follower below keeps each subject's name, legal
// representative, status and registration date in step with its newest
// such record, through the change feed and PutOrganisation, the one home
// of who may change registration data: a record from a department that is
// not the subject's registration authority (catalog.Registers) stays a
// record and changes nothing on the subject.
//
// Basis: 《企业信息公示暂行条例》 第六条 and 《市场主体登记管理条例》
// 第三十五条, cited by the catalogue's registration item: the registration
// authority publishes the registration data it holds.

// RegistrationCursor is the change-feed cursor of the registration
// follower: one for the installation, so that each record is applied once
// whichever node does it (applying one again changes nothing).
const RegistrationCursor = "records.registration"

// RegistrationFeed is what the follower reads besides Store.
type RegistrationFeed interface {
	FeedCursor(ctx context.Context, name string) (int64, bool, error)
	MoveFeedCursor(ctx context.Context, name string, from, to int64) error
	ChangeHead(ctx context.Context) (int64, error)
	ChangesSince(ctx context.Context, pos int64, limit int, kinds ...credit.ChangeKind) ([]credit.Change, error)
	NewestRecordsByItems(ctx context.Context, items []string, beforeID string, limit int) ([]credit.Record, error)
	RecordsBySubjects(ctx context.Context, subjectIDs []string) (map[string][]credit.Record, error)
}

// registrationPage is how many changes the follower reads at a time.
const registrationPage = 5000

// SyncRegistrations applies the registration records committed since its
// cursor to their subjects and returns how many subjects' registration
// data changed. On a store without the cursor it applies every subject's
// registration records first.
func (s *Service) SyncRegistrations(ctx context.Context, feed RegistrationFeed) (int, error) {
	const op = "records.SyncRegistrations"
	var items []string
	for _, it := range s.Catalog.Items {
		if it.RegistrationData() {
			items = append(items, it.Code)
		}
	}
	if len(items) == 0 {
		return 0, nil
	}
	pos, ok, err := feed.FeedCursor(ctx, RegistrationCursor)
	if err != nil {
		return 0, credit.Wrap(op, credit.Other, err)
	}
	changed := 0
	if !ok {
		head, err := feed.ChangeHead(ctx)
		if err != nil {
			return 0, credit.Wrap(op, credit.Other, err)
		}
		var subjects []string
		seen := map[string]bool{}
		for before := ""; ; {
			recs, err := feed.NewestRecordsByItems(ctx, items, before, 10000)
			if err != nil {
				return 0, credit.Wrap(op, credit.Other, err)
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
		if changed, err = s.applyRegistrations(ctx, feed, items, subjects); err != nil {
			return changed, err
		}
		if err := feed.MoveFeedCursor(ctx, RegistrationCursor, -1, head); err != nil && !credit.Is(credit.Exists, err) {
			return changed, credit.Wrap(op, credit.Other, err)
		}
		pos = head
	}
	for {
		head, err := feed.ChangeHead(ctx)
		if err != nil {
			return changed, credit.Wrap(op, credit.Other, err)
		}
		if head <= pos {
			return changed, nil
		}
		cs, err := feed.ChangesSince(ctx, pos, registrationPage, credit.ChangeRecord)
		if err != nil {
			return changed, credit.Wrap(op, credit.Other, err)
		}
		var subjects []string
		seen := map[string]bool{}
		for _, c := range cs {
			if slices.Contains(items, c.Tag) && !seen[c.SubjectID] {
				seen[c.SubjectID] = true
				subjects = append(subjects, c.SubjectID)
			}
		}
		n, err := s.applyRegistrations(ctx, feed, items, subjects)
		changed += n
		if err != nil {
			return changed, err
		}
		// As the reported-list follower: up to the head when the page was
		// not full (changes after the page are applied again next time, to
		// no effect), else to the page's last change.
		next := head
		if len(cs) == registrationPage {
			next = cs[len(cs)-1].Pos
		}
		if err := feed.MoveFeedCursor(ctx, RegistrationCursor, pos, next); err != nil {
			if credit.Is(credit.Conflict, err) {
				return changed, nil // another node moved on; it continues
			}
			return changed, credit.Wrap(op, credit.Other, err)
		}
		pos = next
	}
}

// applyRegistrations sets each subject's registration data from its
// newest current registration record, and returns how many changed.
func (s *Service) applyRegistrations(ctx context.Context, feed RegistrationFeed, items, subjects []string) (int, error) {
	const op = "records.SyncRegistrations"
	changed := 0
	for len(subjects) > 0 {
		part := subjects[:min(len(subjects), 500)]
		subjects = subjects[len(part):]
		files, err := feed.RecordsBySubjects(ctx, part)
		if err != nil {
			return changed, credit.Wrap(op, credit.Other, err)
		}
		for _, id := range part {
			rec := newestRegistration(files[id], items)
			if rec == nil || rec.Kind == credit.Person {
				continue
			}
			it, err := s.Catalog.Item(rec.Item)
			if err != nil {
				continue // an item the active catalogue no longer has
			}
			before, err := s.Store.Subject(ctx, rec.SubjectID)
			if err != nil {
				return changed, credit.Wrap(op, credit.Other, err)
			}
			after, err := s.PutOrganisation(ctx, Organisation{
				Code: before.Code, Name: rec.Fields[it.Keys.SubjectName], LegalRep: rec.Fields[it.LegalRepField()],
				Status: rec.Fields[it.Keys.Status], RegisteredOn: rec.DecidedOn,
				By: credit.Actor{Role: credit.RoleDept, Dept: rec.Dept, Name: s.Catalog.DeptZh(rec.Dept)},
			})
			switch {
			case credit.Is(credit.Permission, err):
				continue // not the subject's registration authority: the record stays a record
			case err != nil:
				return changed, err
			}
			if registrationOf(after) != registrationOf(before) {
				changed++
			}
		}
	}
	return changed, nil
}

// registrationOf is what a registration record sets on a subject.
func registrationOf(s *credit.Subject) [4]string {
	return [4]string{s.Name, s.LegalRep, s.Status, dateOf(s.RegisteredOn)}
}

// newestRegistration is the newest current record of items in a subject's
// facts: the last reported statement of its registration data, after
// corrections and revocations.
func newestRegistration(facts []credit.Record, items []string) *credit.Record {
	var newest *credit.Record
	for _, st := range credit.DeriveCurrent(facts) {
		r := st.Current
		if st.Revoked || !slices.Contains(items, r.Item) {
			continue
		}
		if newest == nil || r.ID > newest.ID {
			newest = &r
		}
	}
	return newest
}
