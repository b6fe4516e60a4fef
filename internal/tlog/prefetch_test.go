package tlog_test

import (
	"bytes"
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/xinyong/xinyong/internal/apptest"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/tlog"
)

// countingStore counts the subjects read one at a time.
type countingStore struct {
	credit.Store
	subjects int
}

func (s *countingStore) Subject(ctx context.Context, id string) (*credit.Subject, error) {
	s.subjects++
	return s.Store.Subject(ctx, id)
}

// TestPrefetchedContent: a page of changes is logged from its records and
// subjects read in one go, and every leaf commits to the content a
// verifier draws again one fact at a time (Content, with the leaf's ver),
// for subjects with and without revisions, on both backends.
func TestPrefetchedContent(t *testing.T) {
	for _, backend := range []string{apptest.SQLite, apptest.Postgres} {
		t.Run(backend, func(t *testing.T) {
			ctx := t.Context()
			st := &countingStore{Store: apptest.Store(t, backend)}
			at := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
			var recs []credit.Record
			for i := range 5 {
				code := fmt.Sprintf("91350100M0001%02dY4", i)
				sub := &credit.Subject{ID: code, Kind: credit.Organisation, Code: code, Name: "福州公司" + strconv.Itoa(i), Status: "存续", CreatedAt: at}
				if err := st.PutSubject(ctx, sub); err != nil {
					t.Fatal(err)
				}
				for j := range i % 3 { // none, one or two revisions
					old := sub.Name
					sub.Name = fmt.Sprintf("%s（更名%d）", old, j)
					rev := &credit.SubjectRevision{ID: fmt.Sprintf("rev-%d-%d", i, j), At: at.Add(time.Duration(j) * time.Hour),
						Actor: "登记员", Dept: "SAMR-350100", Changes: []credit.FieldChange{{Field: "name", Old: old, New: sub.Name}}}
					if err := st.ReviseSubject(ctx, sub, rev); err != nil {
						t.Fatal(err)
					}
				}
				recs = append(recs, credit.Record{ID: credit.NewID(), SubjectID: code, Item: "honour", Catalog: "2024.1", Fact: credit.Original,
					Dept: "SAMR-350100", DocNo: "荣" + strconv.Itoa(i), Kind: credit.Organisation, Hash: "h", Received: at,
					Fields: credit.Fields{"ry_mc": "守信企业"}})
			}
			if err := st.AppendRecords(ctx, recs); err != nil {
				t.Fatal(err)
			}
			log := &tlog.Log{Store: st, Sealer: apptest.Sealer(t), Now: func() time.Time { return at }}
			n, err := log.Sync(ctx)
			if err != nil {
				t.Fatal(err)
			}
			cs, err := st.ChangesSince(ctx, 0, 100)
			if err != nil {
				t.Fatal(err)
			}
			if n != len(cs) || n < 5+5+3 {
				t.Fatalf("%d leaves for %d changes", n, len(cs))
			}
			if st.subjects != 0 {
				t.Errorf("%d subjects read one at a time while logging a page", st.subjects)
			}
			for _, c := range cs {
				leaf, err := st.LogLeafByRef(ctx, tlog.LeafFact, strconv.FormatInt(c.Pos, 10))
				if err != nil {
					t.Fatalf("change %d: %v", c.Pos, err)
				}
				ver := tlog.LeafVersion(leaf.Data)
				if c.Kind == credit.ChangeSubject {
					// Logged after every revision: committed to all of them.
					revs, err := st.SubjectRevisions(ctx, c.Ref)
					if err != nil || ver != len(revs) {
						t.Errorf("change %d of subject %s: committed to %d revisions of %d (%v)", c.Pos, c.Ref, ver, len(revs), err)
					}
				}
				content, _, err := log.Content(ctx, c, ver)
				if err != nil {
					t.Fatal(err)
				}
				if want := tlog.FactLeafData(c, ver, tlog.Commit(leaf.Salt, content)); !bytes.Equal(leaf.Data, want) {
					t.Errorf("change %d (%s %s): the leaf\n%s\ndoes not commit to the content drawn again\n%s", c.Pos, c.Kind, c.Ref, leaf.Data, content)
				}
			}
		})
	}
}
