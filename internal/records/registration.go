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
// Basis: the legal basis the catalogue's registration item cites (the
// registration authority holds and publishes registration data).

// RegistrationCursor is the change-feed cursor of the registration
// follower: one for the installation, so that each record is applied once
// whichever node does it (applying one again changes nothing).
const RegistrationCursor = "records.registration"

// RegistrationFeed is what the follower reads besides Store.
type RegistrationFeed interface {
	credit.ItemFeed
	RecordsBySubjects(ctx context.Context, subjectIDs []string) (map[string][]credit.Record, error)
}

// SyncRegistrations applies the registration records committed since its
// cursor to their subjects and returns how many subjects' registration
// data changed. On a store without the cursor it applies every subject's
// registration records first (credit.FollowItems).
func (s *Service) SyncRegistrations(ctx context.Context, feed RegistrationFeed) (int, error) {
	var items []string
	for _, it := range s.Catalog.Items {
		if it.RegistrationData() {
			items = append(items, it.Code)
		}
	}
	n, err := credit.FollowItems(ctx, feed, RegistrationCursor, items, func(ctx context.Context, subjects []string) (int, error) {
		return s.applyRegistrations(ctx, feed, items, subjects)
	})
	return n, credit.Wrap("records.SyncRegistrations", credit.Other, err)
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
			// An organisation's subject ID is its code.
			_, wrote, err := s.putOrganisation(ctx, Organisation{
				Code: rec.SubjectID, Name: rec.Fields[it.Keys.SubjectName], LegalRep: rec.Fields[it.LegalRepField()],
				Status: rec.Fields[it.Keys.Status], RegisteredOn: rec.DecidedOn,
				By: credit.Actor{Role: credit.RoleDept, Dept: rec.Dept, Name: s.Catalog.DeptZh(rec.Dept)},
			})
			switch {
			case credit.Is(credit.Permission, err):
				continue // not the subject's registration authority: the record stays a record
			case err != nil:
				return changed, err
			}
			if wrote {
				changed++
			}
		}
	}
	return changed, nil
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
