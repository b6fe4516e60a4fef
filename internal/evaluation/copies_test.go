package evaluation_test

import (
	"context"
	"io"
	"maps"
	"reflect"
	"slices"
	"sync"
	"testing"

	"github.com/xinyong/xinyong/internal/apptest"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/evaluation"
	"github.com/xinyong/xinyong/internal/evaluation/evalbench"
	"github.com/xinyong/xinyong/internal/publish"
)

// passFiles runs a full pass and returns each subject's derived file and
// how the pass read it.
func passFiles(t *testing.T, ev *evaluation.Service) (map[string][]credit.State, evaluation.Stats) {
	t.Helper()
	var mu sync.Mutex
	out := map[string][]credit.State{}
	st, err := ev.Pass(t.Context(), ev.Model().Items(), func(in evaluation.Input) error {
		mu.Lock()
		defer mu.Unlock()
		file := slices.Clone(in.File)
		for i := range file { // a pass reuses the maps of the fields it reads
			file[i].Current.Fields = maps.Clone(file[i].Current.Fields)
		}
		out[in.Subject.ID] = file
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out, st
}

// memoWindows runs a full pass on ev and checks every window a copy's memo
// gave against what WindowOf gives under pub's catalogue; it returns how
// many chains had one and how many had none.
func memoWindows(t *testing.T, ev *evaluation.Service, pub *publish.Engine) (with, without int) {
	t.Helper()
	var mu sync.Mutex
	_, err := ev.Pass(t.Context(), ev.Model().Items(), func(in evaluation.Input) error {
		mu.Lock()
		defer mu.Unlock()
		for i := range in.File {
			got, ok := in.MemoWindow(i)
			if !ok {
				without++
				continue
			}
			with++
			it, err := pub.Catalog.Item(in.File[i].Current.Item)
			if err != nil {
				t.Errorf("record %s of an unknown item has a memo window", in.File[i].Current.ID)
				continue
			}
			if want := pub.WindowOf(it, &in.File[i].Current, in.Subject); !reflect.DeepEqual(got, want) {
				t.Errorf("record %s: memo window %+v, WindowOf %+v", in.File[i].Current.ID, got, want)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return with, without
}

// recordFiles is what the records give for every subject, one query each,
// without the columns a pass does not read.
func recordFiles(t *testing.T, st evalbench.Store, items []string) map[string][]credit.State {
	t.Helper()
	rows, err := st.ReadDB().QueryContext(t.Context(), `SELECT id FROM subjects`)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	out := map[string][]credit.State{}
	for _, id := range ids {
		recs, err := st.RecordsBySubject(t.Context(), id)
		if err != nil {
			t.Fatal(err)
		}
		var facts []credit.Record
		for _, r := range recs {
			if slices.Contains(items, r.Item) {
				r.BatchID, r.Reason, r.Hash = "", "", ""
				facts = append(facts, r)
			}
		}
		out[id] = credit.DeriveCurrent(facts) // as a pass derives them
	}
	return out
}

func sameFiles(t *testing.T, what string, got, want map[string][]credit.State) {
	t.Helper()
	norm := func(m map[string][]credit.State) {
		for id, f := range m {
			for i := range f {
				recs := []*credit.Record{&f[i].Current, f[i].RevokedBy}
				for j := range f[i].History {
					recs = append(recs, &f[i].History[j])
				}
				for _, r := range recs {
					if r != nil && len(r.Fields) == 0 {
						r.Fields = nil // no fields, however the reader spells it
					}
				}
			}
			if len(f) == 0 {
				m[id] = nil
			}
		}
	}
	norm(got)
	norm(want)
	if len(got) != len(want) {
		t.Fatalf("%s: %d subjects, the records give %d", what, len(got), len(want))
	}
	for id, w := range want {
		if !reflect.DeepEqual(got[id], w) {
			t.Fatalf("%s: subject %s\ngot  %+v\nwant %+v", what, id, got[id], w)
		}
	}
}

// filledNode is a node on backend whose store evalbench.Fill filled as o
// says, dated by the node's clock.
func filledNode(t *testing.T, backend string, o evalbench.Options) (*apptest.Env, evalbench.Store) {
	t.Helper()
	node := apptest.New(t, apptest.Options{Backend: backend, NoSearchIndex: true})
	st := node.Store.(evalbench.Store)
	o.Now = node.Clock.Now
	if _, err := evalbench.Fill(t.Context(), st, o, io.Discard); err != nil {
		t.Fatal(err)
	}
	return node, st
}

// TestPassFromCopies: a full pass reads the kept file copies once they are
// built after the initial evaluation, and gives what the records give:
// then, for subjects whose files changed since the follower's cursor
// (read afresh), after the follower rewrote their copies, and as kept
// scores equal to each subject's own evaluation from its records.
func TestPassFromCopies(t *testing.T) {
	for _, backend := range []string{apptest.SQLite, apptest.Postgres} {
		t.Run(backend, func(t *testing.T) {
			node, st := filledNode(t, backend, evalbench.Options{Subjects: 60, Records: 500, Seed: 3})
			ctx := t.Context()
			ev := node.Evaluation
			items := ev.Model().Items()
			if _, err := ev.Step(ctx); err != nil { // the initial evaluation
				t.Fatal(err)
			}
			files, s := passFiles(t, ev)
			if s.FromCopies || s.Subjects != 60 {
				t.Fatalf("pass before the copies were built: %+v", s)
			}
			if b, err := ev.BuildFiles(ctx); err != nil || b.Subjects != 60 {
				t.Fatalf("BuildFiles: %+v %v", b, err)
			}
			if _, built, err := st.FeedCursor(ctx, evaluation.FilesCursor); err != nil || !built {
				t.Fatalf("BuildFiles left the copies untrusted: %v %v", built, err)
			}
			files, s = passFiles(t, ev)
			if !s.FromCopies || s.Fresh != 0 || s.Subjects != 60 {
				t.Fatalf("pass after BuildFiles: %+v", s)
			}
			sameFiles(t, "from copies", files, recordFiles(t, st, items))
			// Every chain's window comes from the memo, as WindowOf gives it.
			if with, without := memoWindows(t, ev, node.Publish); with == 0 || without != 0 {
				t.Fatalf("after BuildFiles, %d chains with a memo window, %d without", with, without)
			}

			// New facts the follower has not seen: a revocation and more
			// records for a few subjects.
			var subjects []string
			for id := range files {
				subjects = append(subjects, id)
			}
			slices.Sort(subjects)
			changed := subjects[:5]
			var add []credit.Record
			for i, id := range changed {
				recs, err := st.RecordsBySubject(ctx, id)
				if err != nil {
					t.Fatal(err)
				}
				r := credit.Record{ID: credit.NewID(), SubjectID: id, Item: "admin_penalty", Catalog: "2024.1", Fact: credit.Original, Dept: "SAMR-350100",
					DocNo: "补测〔2026〕" + id[len(id)-4:] + "号", DecidedOn: node.Clock.Now().AddDate(0, -i-1, 0), Received: node.Clock.Now(), Kind: credit.Organisation, Hash: "t",
					Fields: credit.Fields{"cf_cflb": "吊销许可证", "cf_wsh": "补测"}}
				add = append(add, r)
				if len(recs) > 0 {
					add = append(add, credit.Record{ID: credit.NewID(), SubjectID: id, Item: recs[0].Item, Catalog: "2024.1", Fact: credit.Revocation, Supersedes: recs[0].ID,
						Dept: recs[0].Dept, DocNo: recs[0].DocNo, DecidedOn: recs[0].DecidedOn, Received: node.Clock.Now(), Kind: credit.Organisation, Hash: "t"})
				}
			}
			if err := st.AppendRecords(ctx, add); err != nil {
				t.Fatal(err)
			}
			files, s = passFiles(t, ev)
			if !s.FromCopies || s.Fresh != len(changed) || s.Subjects != 60 {
				t.Fatalf("pass with %d changed files: %+v", len(changed), s)
			}
			sameFiles(t, "changed since the cursor", files, recordFiles(t, st, items))

			// The follower rewrites their copies; nothing is read afresh.
			if _, err := ev.Step(ctx); err != nil {
				t.Fatal(err)
			}
			files, s = passFiles(t, ev)
			if !s.FromCopies || s.Fresh != 0 || s.Subjects != 60 {
				t.Fatalf("pass after the follower's step: %+v", s)
			}
			sameFiles(t, "after the follower's step", files, recordFiles(t, st, items))
			if with, without := memoWindows(t, ev, node.Publish); with == 0 || without != 0 {
				t.Fatalf("after the follower's step, %d chains with a memo window, %d without", with, without)
			}

			// What is kept equals each subject's own evaluation from its
			// records: the follower's step scored the changed subjects
			// with the windows of the memos it made; a recompute from the
			// copies scores them all.
			sameKept := func(what string, ev *evaluation.Service, subjects []string) {
				t.Helper()
				for _, id := range subjects {
					kept, err := st.EvalScore(ctx, id)
					if err != nil {
						t.Fatal(err)
					}
					res, err := ev.Evaluate(ctx, id)
					if err != nil {
						t.Fatal(err)
					}
					if kept.Score != res.Centi || kept.Grade != res.Grade {
						t.Fatalf("%s, subject %s: kept %d %s, evaluated %d %s", what, id, kept.Score, kept.Grade, res.Centi, res.Grade)
					}
				}
			}
			sameKept("after the follower's step", ev, changed)
			checkKept := func(what string, ev *evaluation.Service) {
				t.Helper()
				if _, err := ev.Recompute(ctx, "test"); err != nil {
					t.Fatal(err)
				}
				sameKept(what, ev, subjects)
			}
			checkKept("from copies", ev)

			// A node under another catalogue (a department moved to another
			// domain, whose rules classify its records) reads no memo made
			// under the first, and its recompute keeps what its own
			// evaluations say.
			other := apptest.OtherCatalog(t)
			node2 := apptest.New(t, apptest.Options{Backend: backend, Store: node.Store, Catalog: other, NoSearchIndex: true})
			ev2 := node2.Evaluation
			if with, without := memoWindows(t, ev2, node2.Publish); with != 0 || without == 0 {
				t.Fatalf("under another catalogue, %d chains with a memo window, %d without", with, without)
			}
			checkKept("another catalogue", ev2)
			// Its memos are made again from the copies, once (7 at a
			// time: ranges end inside the subjects and at the last).
			defer evaluation.SetRefreshChunk(evaluation.SetRefreshChunk(7))
			if n, err := ev2.RefreshMemos(ctx); err != nil || n != 60 {
				t.Fatalf("RefreshMemos under another catalogue: %d, %v", n, err)
			}
			if with, without := memoWindows(t, ev2, node2.Publish); with == 0 || without != 0 {
				t.Fatalf("after RefreshMemos, %d chains with a memo window, %d without", with, without)
			}
			if n, err := ev2.RefreshMemos(ctx); err != nil || n != 0 {
				t.Fatalf("RefreshMemos again: %d, %v", n, err)
			}
			files, _ = passFiles(t, ev2)
			sameFiles(t, "after RefreshMemos", files, recordFiles(t, st, items))
			checkKept("another catalogue's memos", ev2)
		})
	}
}

// TestBuildFiles: a store whose follower began before copies were kept
// reads the records until BuildFiles has kept a copy of every file; then
// the copies give what the records give.
func TestBuildFiles(t *testing.T) {
	for _, backend := range []string{apptest.SQLite, apptest.Postgres} {
		t.Run(backend, func(t *testing.T) {
			node, st := filledNode(t, backend, evalbench.Options{Subjects: 40, Records: 300, Seed: 4})
			ctx := context.Background()
			ev := node.Evaluation
			// An earlier version's follower: its cursor, no copies.
			head, err := st.ChangeHead(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if err := st.MoveFeedCursor(ctx, evaluation.CursorName, -1, head); err != nil {
				t.Fatal(err)
			}
			want := recordFiles(t, st, ev.Model().Items())
			files, s := passFiles(t, ev)
			if s.FromCopies {
				t.Fatalf("copies trusted before they were built: %+v", s)
			}
			sameFiles(t, "from the records", files, want)
			b, err := ev.BuildFiles(ctx)
			if err != nil || b.Subjects != 40 {
				t.Fatalf("BuildFiles: %+v %v", b, err)
			}
			files, s = passFiles(t, ev)
			if !s.FromCopies || s.Fresh != 0 {
				t.Fatalf("pass after BuildFiles: %+v", s)
			}
			sameFiles(t, "from the built copies", files, want)
			if again, err := ev.BuildFiles(ctx); err != nil || again.Subjects != 0 {
				t.Fatalf("BuildFiles once built: %+v %v", again, err)
			}
		})
	}
}
