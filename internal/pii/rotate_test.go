package pii_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/pii"
	"github.com/xinyong/xinyong/internal/records"
	"github.com/xinyong/xinyong/internal/sanction"
	"github.com/xinyong/xinyong/internal/store/postgres"
	"github.com/xinyong/xinyong/internal/store/postgres/pgtest"
	"github.com/xinyong/xinyong/internal/store/sqlite"
	"github.com/xinyong/xinyong/internal/testenv"
	"github.com/xinyong/xinyong/internal/uscc"
)

var (
	oldKey = bytes.Repeat([]byte{7}, 32)
	newKey = bytes.Repeat([]byte{8}, 32)
)

func sealer(t *testing.T, keys ...[]byte) *pii.Sealer {
	t.Helper()
	s, err := pii.New(keys[0], keys[1:]...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// backends runs fn on a fresh store of each backend.
func backends(t *testing.T, fn func(t *testing.T, st credit.Store)) {
	t.Run("sqlite", func(t *testing.T) {
		st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "x.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		fn(t, st)
	})
	t.Run("postgres", func(t *testing.T) {
		st, err := postgres.Open(t.Context(), pgtest.TestDSN(t))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		fn(t, st)
	})
}

// population is what the test store holds: persons by ID number, and the
// ID numbers a hit check must find on a list.
type population struct {
	persons  map[string]string // ID number → subject ID
	listed   string            // a listed natural person's ID number
	reps     []string          // responsible persons' ID numbers (sealed beside the hash)
	legacy   string            // a responsible person stored with only the hash (before this change)
	subjects int
}

const (
	orgCode = "91350100M000100Y43"
	dept    = "SAMR-350100"
)

var officer = sanction.Actor{Name: "samr", Role: credit.RoleDept, Dept: dept}

// populate fills st under the old key: persons (some sealed as older
// versions did, without a key name), an organisation listed with
// responsible persons, a natural person listed, and a responsible person
// stored with only the hash, as list entries were before.
func populate(t *testing.T, st credit.Store, cat *catalog.Catalog, clk *testenv.Clock, old *pii.Sealer) *population {
	t.Helper()
	ctx := t.Context()
	if _, _, err := pii.Check(ctx, st, old, clk.Now()); err != nil {
		t.Fatal(err)
	}
	recs := &records.Service{Store: st, Catalog: cat, Sealer: old, Now: clk.Now}
	g := uscc.NewGenerator(13)
	p := &population{persons: map[string]string{}}
	birth := time.Date(1960, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 40 {
		id := g.ResidentID("110105", birth.AddDate(0, 0, 97*i), i%2 == 0)
		sub, err := recs.PutPerson(ctx, fmt.Sprintf("人%d", i), id)
		if err != nil {
			t.Fatal(err)
		}
		if i%5 == 0 { // as an older version sealed it
			sub.IDCipher, err = pii.LegacySeal(old, id)
			if err != nil {
				t.Fatal(err)
			}
			if err := st.PutSubject(ctx, sub); err != nil {
				t.Fatal(err)
			}
		}
		p.persons[id] = sub.ID
	}
	if err := st.PutSubject(ctx, &credit.Subject{ID: orgCode, Kind: credit.Organisation, Code: orgCode, Name: "福州甲乙科技有限公司"}); err != nil {
		t.Fatal(err)
	}
	basis := func(subject string, kind credit.SubjectKind) string {
		r := credit.Record{ID: credit.NewID(), SubjectID: subject, Item: "admin_penalty", Fact: credit.Original, Dept: dept,
			DocNo: credit.NewID(), DecidedOn: clk.Now().AddDate(0, -1, 0), Severity: credit.SeveritySerious, Kind: kind,
			// Severity is read from the fields: a licence revoked is 严重.
			Fields: credit.Fields{"cf_cflb": "吊销许可证", "cf_xdr_lb": catalog.SubjectKindLabel(kind)}}
		if err := st.AppendRecords(ctx, []credit.Record{r}); err != nil {
			t.Fatal(err)
		}
		return r.ID
	}
	svc, err := sanction.New(ctx, sanction.Config{Store: st, Catalog: cat, Sealer: old, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close(context.Background())
	ids := make([]string, 0, len(p.persons))
	for id := range p.persons {
		ids = append(ids, id)
	}
	p.listed, p.reps = ids[0], ids[1:4]
	var persons []sanction.PersonInput
	for i, id := range p.reps {
		persons = append(persons, sanction.PersonInput{Role: sanction.PersonRoles[i%len(sanction.PersonRoles)], Name: "负责人", IDNo: id})
	}
	list := func(subject string, kind credit.SubjectKind, persons []sanction.PersonInput) {
		e, err := svc.Propose(ctx, officer, sanction.Proposal{List: "samr_serious_illegal", SubjectID: subject,
			BasisRecords: []string{basis(subject, kind)}, Grounds: "提供虚假材料", Persons: persons})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Notice(ctx, officer, e.ID, sanction.NoticeInput{DocNo: "告" + e.ID}); err != nil {
			t.Fatal(err)
		}
		clk.Advance(15 * 24 * time.Hour)
		if _, err := svc.Decide(ctx, officer, e.ID, sanction.DecisionInput{DocNo: "决" + e.ID}); err != nil {
			t.Fatal(err)
		}
	}
	list(orgCode, credit.Organisation, persons)
	list(p.persons[p.listed], credit.Person, nil)
	// A listing written by an older version: the responsible person's
	// hash and masked number, no sealed number.
	p.legacy = ids[4]
	entry := credit.NewID()
	proposed := &credit.ListEvent{ID: credit.NewID(), EntryID: entry, List: "samr_serious_illegal", SubjectID: orgCode, Step: credit.StepProposed,
		Actor: "samr", Dept: dept, At: clk.Now(), Detail: credit.EntryDetail{
			BasisRecords: []string{basis(orgCode, credit.Organisation)}, Grounds: "旧", SubjectName: "福州甲乙科技有限公司", SubjectKind: credit.Organisation,
			Persons: []credit.ResponsiblePerson{{Role: "实际控制人", Name: "旧", IDHash: old.Hash(p.legacy), IDMasked: uscc.MaskResidentID(p.legacy)}}}}
	if err := st.AppendListEvent(ctx, proposed, 0); err != nil {
		t.Fatal(err)
	}
	decided := &credit.ListEvent{ID: credit.NewID(), EntryID: entry, List: "samr_serious_illegal", SubjectID: orgCode, Step: credit.StepDecided,
		Actor: "samr", Dept: dept, At: clk.Now(), DocNo: "旧〔2025〕1号", Detail: credit.EntryDetail{Since: clk.Now().AddDate(0, -1, 0)}}
	if err := st.AppendListEvent(ctx, decided, proposed.Seq); err != nil {
		t.Fatal(err)
	}
	if p.subjects, err = st.CountSubjects(ctx); err != nil {
		t.Fatal(err)
	}
	return p
}

// found checks that every person is found by ID number with s, opens to
// the same number and is the same subject, and that the hit check with s
// finds the listed person and every responsible person.
func (p *population) found(t *testing.T, st credit.Store, cat *catalog.Catalog, clk *testenv.Clock, s *pii.Sealer) {
	t.Helper()
	ctx := t.Context()
	recs := &records.Service{Store: st, Catalog: cat, Sealer: s, Now: clk.Now}
	for id, sid := range p.persons {
		sub, err := recs.PutPerson(ctx, "再次登记", id) // registering again finds the person
		if err != nil {
			t.Fatal(err)
		}
		if sub.ID != sid {
			t.Fatalf("%s: registering again gave subject %s, want %s", uscc.MaskResidentID(id), sub.ID, sid)
		}
		clear, err := s.Open(sub.IDCipher)
		if err != nil || clear != id {
			t.Fatalf("%s: opens to %q, %v", uscc.MaskResidentID(id), clear, err)
		}
	}
	if n, err := st.CountSubjects(ctx); err != nil || n != p.subjects {
		t.Fatalf("%d subjects, want %d: a person was registered twice", n, p.subjects)
	}
	svc, err := sanction.New(ctx, sanction.Config{Store: st, Catalog: cat, Sealer: s, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close(context.Background())
	qs := []sanction.Query{{Code: p.listed}, {Code: p.legacy}}
	for _, id := range p.reps {
		qs = append(qs, sanction.Query{Code: id})
	}
	resp, err := svc.Check(ctx, sanction.Caller{Name: "biz", Dept: "FIN-350100", Matters: []string{"gov_procurement"}},
		sanction.Request{Matter: "gov_procurement", Subjects: qs})
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range resp.Results {
		if !r.Listed {
			t.Errorf("hit check %d (%s): not listed", i, r.Query.Code)
		}
	}
	if resp.Results[0].SubjectID != p.persons[p.listed] {
		t.Errorf("the listed person is subject %s, want %s", resp.Results[0].SubjectID, p.persons[p.listed])
	}
}

// TestRotate rotates the data key of a populated store, is stopped in the
// middle, serves reads with both keys meanwhile, resumes, and leaves every
// person found by ID number with the new key alone, opening to the same
// number, and the old key refused.
func TestRotate(t *testing.T) {
	backends(t, func(t *testing.T, st credit.Store) {
		ctx := t.Context()
		cat, err := catalog.Default()
		if err != nil {
			t.Fatal(err)
		}
		clk := testenv.NewClock(testenv.DefaultNow)
		old, both, fresh := sealer(t, oldKey), sealer(t, newKey, oldKey), sealer(t, newKey)
		p := populate(t, st, cat, clk, old)

		// Nodes restarted with both keys register the new one; a node
		// still on the old key alone is refused.
		both, notes, err := pii.Check(ctx, st, both, clk.Now())
		if err != nil || len(notes) != 1 || !strings.Contains(notes[0], "rotation") {
			t.Fatalf("Check(new, old) = %v, %v", notes, err)
		}
		if _, _, err := pii.Check(ctx, st, old, clk.Now()); err == nil || !strings.Contains(err.Error(), "XINYONG_DATA_KEY_PREVIOUS") {
			t.Fatalf("old key alone during a rotation: %v", err)
		}

		// The rotation is stopped after three batches.
		rctx, cancel := context.WithCancel(ctx)
		batches := 0
		err = pii.Rotate(rctx, st, both, pii.RotateOptions{Batch: 7, Progress: func(credit.ResealProgress) {
			if batches++; batches == 3 {
				cancel()
			}
		}})
		cancel()
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("stopped rotation: %v", err)
		}
		ps, err := st.RotationProgress(ctx, both.KeyID())
		if err != nil || len(ps) != 1 || ps[0].Resealed == 0 || ps[0].Done {
			t.Fatalf("progress kept: %+v, %v", ps, err)
		}
		// Half re-sealed: nodes with both keys find everyone.
		p.found(t, st, cat, clk, both)

		var last credit.ResealProgress
		if err := pii.Rotate(ctx, st, both, pii.RotateOptions{Batch: 7, Progress: func(q credit.ResealProgress) { last = q }}); err != nil {
			t.Fatalf("resumed rotation: %v", err)
		}
		if !last.Done {
			t.Fatalf("last progress %+v", last)
		}
		ks, err := st.DataKeys(ctx)
		if err != nil || len(ks) != 2 || ks[0].ID != old.KeyID() || ks[0].State != credit.KeyRetired || ks[1].ID != fresh.KeyID() || ks[1].State != credit.KeyCurrent {
			t.Fatalf("keys after the rotation: %+v, %v", ks, err)
		}
		// Everything is sealed with the new key: the new key alone finds
		// and opens everyone, and no old hash is left.
		fresh, _, err = pii.Check(ctx, st, fresh, clk.Now())
		if err != nil {
			t.Fatal(err)
		}
		p.found(t, st, cat, clk, fresh)
		for id, sid := range p.persons {
			sub, err := st.Subject(ctx, sid)
			if err != nil || pii.KeyOf(sub.IDCipher) != fresh.KeyID() || sub.IDHash != fresh.Hash(id) {
				t.Fatalf("%s after the rotation: key %s, %v", sid, pii.KeyOf(sub.IDCipher), err)
			}
		}
		evs, err := st.ListEvents(ctx, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range evs {
			for _, rp := range ev.Detail.Persons {
				if rp.IDHash == "" {
					continue
				}
				id, err := fresh.Open(rp.IDCipher)
				if err != nil || rp.IDHash != fresh.Hash(id) || rp.IDMasked != uscc.MaskResidentID(id) {
					t.Errorf("event %s: person %s not re-sealed: %v", ev.ID, rp.IDMasked, err)
				}
			}
		}
		// The old key is refused, alone or as the current key.
		for _, s := range []*pii.Sealer{old, sealer(t, oldKey, newKey)} {
			if _, _, err := pii.Check(ctx, st, s, clk.Now()); err == nil || !strings.Contains(err.Error(), "retired") {
				t.Errorf("old key after the rotation: %v", err)
			}
		}
		// A node still holding both is told to drop the old one.
		if s, notes, err := pii.Check(ctx, st, sealer(t, newKey, oldKey), clk.Now()); err != nil || len(s.KeyIDs()) != 1 || len(notes) != 1 || !strings.Contains(notes[0], "retired") {
			t.Errorf("both keys after the rotation: %v %v", notes, err)
		}
		// A finished rotation run again does nothing.
		if err := pii.Rotate(ctx, st, fresh, pii.RotateOptions{}); err != nil {
			t.Errorf("rotate again: %v", err)
		}
	})
}
