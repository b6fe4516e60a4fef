package storetest

import (
	"context"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xinyong/xinyong/internal/credit"
)

// testEvaluation covers model versions, scores with their grade history
// and the follower's cursor moved in the same transaction, the time-due
// scores, and the bulk read of credit files.
func testEvaluation(t *testing.T, s credit.Store) {
	c := ctx(t)
	t0 := time.Date(2026, 11, 20, 2, 0, 0, 0, time.UTC)

	// Model versions: one active, a candidate activated retires it.
	if err := s.PutEvalModel(c, &credit.EvalModel{Version: "v1", Body: []byte(`{"version":"v1"}`), State: credit.EvalActive, UploadedBy: "platform", UploadedAt: t0}); err != nil {
		t.Fatal(err)
	}
	if err := s.PutEvalModel(c, &credit.EvalModel{Version: "v1", Body: []byte(`{}`), State: credit.EvalCandidate, UploadedAt: t0}); !credit.Is(credit.Exists, err) {
		t.Errorf("duplicate version: %v", err)
	}
	if err := s.PutEvalModel(c, &credit.EvalModel{Version: "v2", Body: []byte(`{"version":"v2","名":"模型"}`), State: credit.EvalCandidate, UploadedBy: "admin", UploadedAt: t0.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetEvalComparison(c, "v2", []byte(`{"moved":3}`)); err != nil {
		t.Fatal(err)
	}
	if err := s.SetEvalComparison(c, "v9", []byte(`{}`)); !credit.Is(credit.NotFound, err) {
		t.Errorf("comparison of unknown version: %v", err)
	}
	if err := s.ActivateEvalModel(c, "v1", "admin", t0); !credit.Is(credit.Conflict, err) {
		t.Errorf("activating the active version: %v", err)
	}
	if err := s.ActivateEvalModel(c, "v2", "admin", t0.Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	ms, err := s.EvalModels(c)
	if err != nil || len(ms) != 2 || ms[0].Version != "v2" || ms[0].State != credit.EvalActive || ms[1].State != credit.EvalRetired || ms[0].ActivatedBy != "admin" || !ms[0].ActivatedAt.Equal(t0.Add(2*time.Hour)) {
		t.Fatalf("EvalModels: %+v %v", ms, err)
	}
	m, err := s.EvalModel(c, "v2")
	if err != nil || string(m.Body) != `{"version":"v2","名":"模型"}` || string(m.Comparison) != `{"moved":3}` {
		t.Fatalf("EvalModel: %+v %v", m, err)
	}
	if _, err := s.EvalModel(c, "nope"); !credit.Is(credit.NotFound, err) {
		t.Errorf("unknown version: %v", err)
	}

	// Scores and grade changes, with the cursor in the same transaction.
	sc := func(id, grade string, score int64, next time.Time) credit.EvalScore {
		return credit.EvalScore{SubjectID: id, Model: "v2", Kind: "enterprise", Score: score, Grade: grade, At: t0, NextChange: next}
	}
	ch := func(id, from, to string) credit.GradeChange {
		return credit.GradeChange{ID: credit.NewID(), SubjectID: id, At: t0, Model: "v2", FromGrade: from, ToGrade: to, ToScore: 8200, Reason: "record 1"}
	}
	if err := s.PutEvalScores(c, []credit.EvalScore{sc("A", "B", 8200, t0.Add(24*time.Hour)), sc("B", "A", 9500, time.Time{})},
		[]credit.GradeChange{ch("A", "", "B"), ch("B", "", "A")}, nil, &credit.CursorMove{Name: "ev-test", From: -1, To: 7}); err != nil {
		t.Fatal(err)
	}
	if pos, ok, err := s.FeedCursor(c, "ev-test"); err != nil || !ok || pos != 7 {
		t.Fatalf("cursor: %d %v %v", pos, ok, err)
	}
	// A stale cursor refuses the whole transaction.
	if err := s.PutEvalScores(c, []credit.EvalScore{sc("A", "D", 100, time.Time{})}, []credit.GradeChange{ch("A", "B", "D")}, nil, &credit.CursorMove{Name: "ev-test", From: 3, To: 9}); !credit.Is(credit.Conflict, err) {
		t.Fatalf("stale cursor: %v", err)
	}
	got, err := s.EvalScore(c, "A")
	if err != nil || got.Grade != "B" || got.Score != 8200 || !got.NextChange.Equal(t0.Add(24*time.Hour)) {
		t.Fatalf("score after refused write: %+v %v", got, err)
	}
	if err := s.PutEvalScores(c, []credit.EvalScore{sc("A", "C", 7000, time.Time{})}, []credit.GradeChange{ch("A", "B", "C")}, nil, &credit.CursorMove{Name: "ev-test", From: 7, To: 9}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.EvalScore(c, "Z"); !credit.Is(credit.NotFound, err) {
		t.Errorf("no score: %v", err)
	}
	all, err := s.EvalScoresFor(c, []string{"A", "B", "Z"})
	if err != nil || len(all) != 2 || all["A"].Grade != "C" || all["B"].Score != 9500 {
		t.Fatalf("EvalScoresFor: %+v %v", all, err)
	}
	var scanned []string
	if err := s.ScanEvalScores(c, func(e credit.EvalScore) error { scanned = append(scanned, e.SubjectID); return nil }); err != nil || len(scanned) != 2 || scanned[0] != "A" {
		t.Fatalf("ScanEvalScores: %v %v", scanned, err)
	}
	if err := s.PutEvalScores(c, []credit.EvalScore{sc("B", "A", 9500, t0.Add(time.Hour))}, nil, nil, nil); err != nil {
		t.Fatal(err)
	}
	due, err := s.EvalScoresDue(c, t0.Add(2*time.Hour), 10)
	if err != nil || len(due) != 1 || due[0] != "B" {
		t.Fatalf("EvalScoresDue: %v %v", due, err)
	}
	hist, err := s.GradeChanges(c, "A", 10)
	if err != nil || len(hist) != 2 || hist[0].ToGrade != "C" || hist[1].ToGrade != "B" || hist[1].Reason != "record 1" {
		t.Fatalf("GradeChanges: %+v %v", hist, err)
	}

	// The bulk read: every subject in ID order with its facts of the items
	// asked for, oldest first; a subject without facts has none.
	for _, id := range []string{"S3", "S1", "S2"} {
		if err := s.PutSubject(c, org(id, "公司"+id)); err != nil {
			t.Fatal(err)
		}
	}
	r1 := rec("S1", "D1")
	r1.Item = "admin_penalty"
	r2 := rec("S3", "D2")
	r2.Item = "admin_penalty"
	r3 := rec("S3", "D3")
	r3.Item = "honour"
	r4 := follow(r1, credit.Revocation, "撤销")
	r5 := rec("S1", "D5")
	r5.Item = "registration"
	if err := s.AppendRecords(c, []credit.Record{r1, r2, r3, r5}); err != nil {
		t.Fatal(err)
	}
	if err := s.AppendRecords(c, []credit.Record{r4}); err != nil {
		t.Fatal(err)
	}
	type file struct {
		id    string
		facts []string
	}
	var files []file
	err = s.ScanEvalFiles(c, []string{"admin_penalty", "honour"}, credit.SubjectRange{}, func(subj *credit.Subject, facts []credit.Record) error {
		f := file{id: subj.ID}
		for _, r := range facts {
			f.facts = append(f.facts, r.ID)
		}
		files = append(files, f)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []file{{"S1", []string{r1.ID, r4.ID}}, {"S2", nil}, {"S3", []string{r2.ID, r3.ID}}}
	if len(files) != len(want) {
		t.Fatalf("ScanEvalFiles: %+v", files)
	}
	for i := range want {
		if files[i].id != want[i].id || len(files[i].facts) != len(want[i].facts) {
			t.Fatalf("ScanEvalFiles[%d]: %+v, want %+v", i, files[i], want[i])
		}
		for j := range want[i].facts {
			if files[i].facts[j] != want[i].facts[j] {
				t.Fatalf("ScanEvalFiles[%d]: %+v, want %+v", i, files[i], want[i])
			}
		}
	}

	// A range holds the subjects from its From up to, not including, its
	// To; the ranges EvalRanges gives cover every subject once.
	for _, tc := range []struct {
		r    credit.SubjectRange
		want []string
	}{
		{credit.SubjectRange{From: "S2"}, []string{"S2", "S3"}},
		{credit.SubjectRange{To: "S2"}, []string{"S1"}},
		{credit.SubjectRange{From: "S1", To: "S3"}, []string{"S1", "S2"}},
		{credit.SubjectRange{From: "S3", To: "S4"}, []string{"S3"}},
		{credit.SubjectRange{From: "S4"}, nil},
	} {
		var got []string
		err := s.ScanEvalFiles(c, []string{"admin_penalty", "honour"}, tc.r, func(subj *credit.Subject, facts []credit.Record) error {
			got = append(got, subj.ID)
			if subj.ID == "S3" && len(facts) != 2 {
				t.Errorf("range %+v: S3 has %d facts, want 2", tc.r, len(facts))
			}
			return nil
		})
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("ScanEvalFiles(%+v) = %v, %v; want %v", tc.r, got, err, tc.want)
		}
	}
	rs, err := s.EvalRanges(c, 2)
	if err != nil || len(rs) != 2 || rs[0].From != "" || rs[len(rs)-1].To != "" {
		t.Fatalf("EvalRanges = %+v, %v", rs, err)
	}
	for i := 1; i < len(rs); i++ {
		if rs[i].From != rs[i-1].To || rs[i].From == "" {
			t.Fatalf("EvalRanges leave a gap or overlap: %+v", rs)
		}
	}

	// The kept copies give what the records give, one row per subject; a
	// copy already kept is not replaced by PutEvalFiles, and is by
	// PutEvalScores (the follower's write).
	memos := map[string]credit.EvalMemo{}
	scanAll := func(scan func(context.Context, []string, credit.SubjectRange, func(*credit.Subject, []credit.Record, credit.EvalMemo) error) error, r credit.SubjectRange) map[string][]credit.Record {
		t.Helper()
		out := map[string][]credit.Record{}
		clear(memos)
		err := scan(c, []string{"admin_penalty", "honour"}, r, func(subj *credit.Subject, facts []credit.Record, memo credit.EvalMemo) error {
			memos[subj.ID] = credit.EvalMemo{Key: memo.Key, Records: slices.Clone(memo.Records)}
			out[subj.ID] = []credit.Record{}
			for _, f := range facts {
				if len(f.Fields) == 0 {
					f.Fields = nil // no fields, however the reader spells it
				}
				f.Fields = maps.Clone(f.Fields) // a copy's reader reuses the maps
				out[subj.ID] = append(out[subj.ID], f)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	byRecords := scanAll(func(ctx context.Context, items []string, r credit.SubjectRange, fn func(*credit.Subject, []credit.Record, credit.EvalMemo) error) error {
		return s.ScanEvalFiles(ctx, items, r, func(subj *credit.Subject, facts []credit.Record) error { return fn(subj, facts, credit.EvalMemo{}) })
	}, credit.SubjectRange{})
	held, err := s.RecordsBySubjects(c, []string{"S1", "S3"})
	if err != nil {
		t.Fatal(err)
	}
	subs, err := s.SubjectsByIDs(c, []string{"S1", "S2", "S3"})
	if err != nil {
		t.Fatal(err)
	}
	copyOf := func(id string, recs []credit.Record) credit.EvalFile {
		return credit.EvalFile{Subject: subs[id], Records: recs}
	}
	// S3's copy is long enough to be cut into several parts.
	long := slices.Clone(held["S3"])
	long[0].Fields = credit.Fields{"cf_nr": strings.Repeat("没收违法所得并处罚款", 100)}
	if err := s.PutEvalFiles(c, []credit.EvalFile{copyOf("S1", held["S1"]), copyOf("S2", nil), copyOf("S3", long)}); err != nil {
		t.Fatal(err)
	}
	if got := scanAll(s.ScanEvalFileCopies, credit.SubjectRange{}); len(got["S3"]) != 2 || got["S3"][0].Fields["cf_nr"] != long[0].Fields["cf_nr"] {
		t.Fatalf("the copy in parts read back as %+v", got["S3"])
	}
	// Replaced by a copy in one part: none of the former parts may be left
	// (read with them, the copy would not decode).
	if err := s.PutEvalScores(c, nil, nil, []credit.EvalFile{copyOf("S3", held["S3"])}, nil); err != nil {
		t.Fatal(err)
	}
	if got := scanAll(s.ScanEvalFileCopies, credit.SubjectRange{}); !reflect.DeepEqual(got, byRecords) {
		t.Fatalf("ScanEvalFileCopies = %+v\nScanEvalFiles    = %+v", got, byRecords)
	}
	// A memo comes back with its copy, each entry with its record: given
	// out of ID order, read back in it; of the records asked for, only
	// theirs.
	rev := slices.Clone(held["S1"])
	slices.Reverse(rev)
	memo := credit.EvalMemo{Key: "k1"}
	for _, r := range rev {
		memo.Records = append(memo.Records, "memo of "+r.ID)
	}
	if err := s.PutEvalScores(c, nil, nil, []credit.EvalFile{{Subject: subs["S1"], Records: rev, Memo: memo}}, nil); err != nil {
		t.Fatal(err)
	}
	if got := scanAll(s.ScanEvalFileCopies, credit.SubjectRange{}); !reflect.DeepEqual(got, byRecords) {
		t.Fatalf("with a memo, ScanEvalFileCopies = %+v\nScanEvalFiles    = %+v", got, byRecords)
	}
	if m := memos["S1"]; m.Key != "k1" || len(m.Records) != len(byRecords["S1"]) || len(byRecords["S1"]) == 0 {
		t.Fatalf("S1's memo read back as %+v for %d records", m, len(byRecords["S1"]))
	}
	for i, r := range byRecords["S1"] {
		if want := "memo of " + r.ID; memos["S1"].Records[i] != want {
			t.Errorf("S1's memo entry %d = %q, want %q", i, memos["S1"].Records[i], want)
		}
	}
	if m := memos["S2"]; m.Key != "" || len(m.Records) != 0 {
		t.Errorf("a copy kept without a memo read back with %+v", m)
	}
	err = s.ScanEvalFileCopies(c, nil, credit.SubjectRange{From: "S2"}, func(subj *credit.Subject, facts []credit.Record, _ credit.EvalMemo) error {
		if want := subs[subj.ID]; subj.Name != want.Name || subj.Kind != want.Kind || subj.Code != want.Code || subj.Status != want.Status {
			t.Errorf("subject from its copy %+v, stored %+v", subj, want)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := scanAll(s.ScanEvalFileCopies, credit.SubjectRange{From: "S2"}); len(got) != 2 || len(got["S2"]) != 0 || len(got["S3"]) != 2 {
		t.Fatalf("ScanEvalFileCopies from S2 = %+v", got)
	}
	if err := s.PutEvalFiles(c, []credit.EvalFile{copyOf("S3", held["S3"][:1])}); err != nil {
		t.Fatal(err)
	}
	if got := scanAll(s.ScanEvalFileCopies, credit.SubjectRange{}); len(got["S3"]) != 2 {
		t.Fatalf("PutEvalFiles replaced a kept copy: %+v", got["S3"])
	}
	if err := s.PutEvalScores(c, nil, nil, []credit.EvalFile{copyOf("S3", held["S3"][:1])}, nil); err != nil {
		t.Fatal(err)
	}
	if got := scanAll(s.ScanEvalFileCopies, credit.SubjectRange{}); len(got["S3"]) != 1 || got["S3"][0].ID != held["S3"][0].ID {
		t.Fatalf("PutEvalScores did not replace the copy: %+v", got["S3"])
	}
}
