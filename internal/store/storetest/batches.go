package storetest

import (
	"encoding/json"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/xinyong/xinyong/internal/credit"
)

// runBatches runs the import-batch cases (credit.BatchStore).
func runBatches(t *testing.T, open func(t *testing.T) credit.Store) {
	cases := []struct {
		name string
		fn   func(t *testing.T, s credit.Store)
	}{
		{"Batch", testBatch},
		{"CommitChunk", testCommitChunk},
		{"CommitChunkAtomic", testCommitChunkAtomic},
		{"LatestByDocs", testLatestByDocs},
		{"SubjectsByKeys", testSubjectsByKeys},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { c.fn(t, open(t)) })
	}
}

func newBatch(t *testing.T, s credit.Store, hash string) *credit.Batch {
	t.Helper()
	b := &credit.Batch{
		ID: credit.NewID(), Dept: "SAMR-350100", Item: "admin_penalty", FileName: "处罚.csv",
		Format: "csv", Encoding: "gb18030", HeaderStyle: "legacy", ContentHash: hash,
		Header: []string{"行政相对人名称", "处罚类别1"}, Unknown: []string{"多余列"}, Actor: "cli",
	}
	if err := s.CreateBatch(ctx(t), b); err != nil {
		t.Fatalf("CreateBatch: %v", err)
	}
	return b
}

func testBatch(t *testing.T, s credit.Store) {
	b := newBatch(t, s, "h1")
	got, err := s.Batch(ctx(t), b.ID)
	if err != nil {
		t.Fatalf("Batch: %v", err)
	}
	if got.Status != credit.BatchRunning || !reflect.DeepEqual(got.Header, b.Header) || !reflect.DeepEqual(got.Unknown, b.Unknown) ||
		got.Encoding != "gb18030" || got.HeaderStyle != "legacy" || !got.StartedAt.Equal(norm(b.StartedAt)) || !got.FinishedAt.IsZero() {
		t.Fatalf("Batch = %+v, want %+v", got, b)
	}
	wantKind(t, "CreateBatch twice", s.CreateBatch(ctx(t), b), credit.Exists)
	_, err = s.Batch(ctx(t), "nope")
	wantKind(t, "Batch(nope)", err, credit.NotFound)

	// One batch per file per department and item: a second batch of the
	// same bytes is refused (two imports racing must not both write).
	same := *b
	same.ID = credit.NewID()
	wantKind(t, "CreateBatch(same content)", s.CreateBatch(ctx(t), &same), credit.Exists)
	other := same
	other.ID, other.Dept = credit.NewID(), "TAX-350100"
	if err := s.CreateBatch(ctx(t), &other); err != nil {
		t.Fatalf("CreateBatch(same content, other department): %v", err)
	}
	b2 := newBatch(t, s, "h2")
	got, err = s.BatchByContent(ctx(t), b.Dept, b.Item, "h1")
	if err != nil || got.ID != b.ID {
		t.Fatalf("BatchByContent = %v, %v; want %s", got, err, b.ID)
	}
	_, err = s.BatchByContent(ctx(t), b.Dept, "honour", "h1")
	wantKind(t, "BatchByContent(other item)", err, credit.NotFound)

	// Heartbeat: set at creation, moved by BatchAlive, only on running
	// batches.
	got, _ = s.Batch(ctx(t), b.ID)
	if !got.HeartbeatAt.Equal(got.StartedAt) {
		t.Fatalf("new batch's heartbeat %s, want its start %s", got.HeartbeatAt, got.StartedAt)
	}
	alive := got.StartedAt.Add(time.Minute + 7*time.Microsecond)
	if err := s.BatchAlive(ctx(t), b.ID, alive); err != nil {
		t.Fatalf("BatchAlive: %v", err)
	}
	if got, _ = s.Batch(ctx(t), b.ID); !got.HeartbeatAt.Equal(norm(alive)) || got.Stalled(alive.Add(credit.BatchStallAfter)) || !got.Stalled(alive.Add(credit.BatchStallAfter+time.Second)) {
		t.Fatalf("after BatchAlive: heartbeat %s (want %s), stalled just within / after the window %v / %v", got.HeartbeatAt, alive,
			got.Stalled(alive.Add(credit.BatchStallAfter)), got.Stalled(alive.Add(credit.BatchStallAfter+time.Second)))
	}
	wantKind(t, "BatchAlive(nope)", s.BatchAlive(ctx(t), "nope", alive), credit.NotFound)

	at := time.Date(2026, 11, 23, 10, 0, 0, 123456789, time.UTC)
	if err := s.FinishBatch(ctx(t), b.ID, credit.BatchFailed, "disk full", at); err != nil {
		t.Fatalf("FinishBatch: %v", err)
	}
	got, _ = s.Batch(ctx(t), b.ID)
	if got.Status != credit.BatchFailed || got.Error != "disk full" || !got.FinishedAt.Equal(norm(at)) {
		t.Fatalf("after FinishBatch: %+v", got)
	}
	wantKind(t, "FinishBatch(nope)", s.FinishBatch(ctx(t), "nope", credit.BatchDone, "", at), credit.NotFound)
	wantKind(t, "BatchAlive(failed batch)", s.BatchAlive(ctx(t), b.ID, at), credit.NotFound)
	if got.Stalled(at.Add(24 * time.Hour)) {
		t.Fatal("a failed batch reads as stalled")
	}
	// Resuming (status running again) clears the finish and is a sign of life.
	before := time.Now()
	if err := s.FinishBatch(ctx(t), b.ID, credit.BatchRunning, "", time.Time{}); err != nil {
		t.Fatalf("FinishBatch(running): %v", err)
	}
	if got, _ := s.Batch(ctx(t), b.ID); got.Status != credit.BatchRunning || !got.FinishedAt.IsZero() || got.HeartbeatAt.Before(before.Add(-time.Second)) {
		t.Fatalf("after resuming: %+v", got)
	}
	if err := s.FinishBatch(ctx(t), b.ID, credit.BatchFailed, "disk full", at); err != nil {
		t.Fatal(err)
	}
	if err := s.SetBatchUnknown(ctx(t), b.ID, []string{"多余列", "late_key"}); err != nil {
		t.Fatalf("SetBatchUnknown: %v", err)
	}
	if got, _ := s.Batch(ctx(t), b.ID); !reflect.DeepEqual(got.Unknown, []string{"多余列", "late_key"}) {
		t.Fatalf("after SetBatchUnknown: unknown %q", got.Unknown)
	}
	wantKind(t, "SetBatchUnknown(nope)", s.SetBatchUnknown(ctx(t), "nope", nil), credit.NotFound)

	list, err := s.Batches(ctx(t), credit.BatchFilter{Dept: b.Dept})
	if err != nil || len(list) != 2 || list[0].ID != b2.ID {
		t.Fatalf("Batches = %d, %v; want 2, newest first", len(list), err)
	}
	if list, _ := s.Batches(ctx(t), credit.BatchFilter{Dept: "other"}); len(list) != 0 {
		t.Fatalf("Batches(other) = %d", len(list))
	}
}

func testCommitChunk(t *testing.T, s credit.Store) {
	b := newBatch(t, s, "h2")
	// An hour of silence, then the chunks below must move the heartbeat.
	if err := s.BatchAlive(ctx(t), b.ID, time.Now().Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	subj := *org("91350100M000100Y43", "福州某某科技有限公司")
	r1 := rec(subj.ID, "榕罚〔2026〕1号")
	r1.Dept, r1.Item, r1.BatchID = b.Dept, b.Item, b.ID
	c1 := &credit.Chunk{
		BatchID: b.ID, Seq: 1, LastRow: 3, Subjects: []credit.Subject{subj}, Records: []credit.Record{r1},
		Rejects: []credit.Reject{
			// A row's cells are kept once, as the importer gives them
			// (sealed: here a stand-in), or as JSON when it gives none.
			{Row: 2, Field: "cf_jdrq", Reason: "future", ReasonZh: "决定日期晚于今天", Raw: []string{"甲", "罚款"}, Sealed: "PIIB1|c2VhbGVk"},
			{Row: 2, Field: "cf_xdr_shxym", Reason: "bad code", Raw: []string{"甲", "罚款"}},
			{Row: 3, Reason: "too many cells", Raw: []string{"a", "b", "c"}},
		},
		Counts: credit.BatchCounts{Total: 3, Accepted: 1, Created: 1, Rejected: 2, Timed: 1, Late: 1, CodesChecked: 2, CodeErrors: 1, Filled: 3, Fillable: 10},
	}
	if err := s.CommitChunk(ctx(t), c1); err != nil {
		t.Fatalf("CommitChunk: %v", err)
	}
	wantKind(t, "CommitChunk replayed", s.CommitChunk(ctx(t), c1), credit.Conflict)
	got, _ := s.Batch(ctx(t), b.ID)
	if got.Chunks != 1 || got.LastRow != 3 || got.Counts != c1.Counts {
		t.Fatalf("after chunk 1: %+v", got)
	}
	if n := count(t, s); n != 1 {
		t.Fatalf("records = %d, want 1", n)
	}
	rej, err := s.Rejects(ctx(t), b.ID)
	if err != nil || len(rej) != 3 || rej[0].Field != "cf_jdrq" || rej[1].Field != "cf_xdr_shxym" || rej[2].Row != 3 ||
		rej[0].Sealed != "PIIB1|c2VhbGVk" || rej[1].Sealed != rej[0].Sealed || rej[2].Sealed != `["a","b","c"]` ||
		rej[0].Reason != "future" || rej[0].ReasonZh != "决定日期晚于今天" || rej[1].Reason != "bad code" || rej[1].ReasonZh != "" ||
		rej[0].Raw != nil || rej[0].BatchID != b.ID {
		t.Fatalf("Rejects = %+v, %v", rej, err)
	}

	// Chunk 2 renames the subject (upsert) and versions the record; its
	// two rejected rows are past the batch's cap: counted, not stored.
	subj2 := subj
	subj2.Name, subj2.FormerNames = "福州某某数字科技有限公司", []string{subj.Name}
	r2 := follow(r1, credit.Correction, "resent with changed content")
	r2.Fields["cf_nr"] = "罚款人民币一万元 <更正>"
	enc, _ := json.Marshal(r2.Fields)
	c2 := &credit.Chunk{BatchID: b.ID, Seq: 2, LastRow: 5, Subjects: []credit.Subject{subj2}, Records: []credit.Record{r2},
		Counts: credit.BatchCounts{Total: 4, Accepted: 2, Versioned: 1, Unchanged: 1, Rejected: 2, RejectedNotKept: 2}, FieldsJSON: []string{string(enc)}}
	bad := *c2
	bad.FieldsJSON = []string{"{}", "{}"}
	wantKind(t, "CommitChunk with mismatched FieldsJSON", s.CommitChunk(ctx(t), &bad), credit.Invalid)
	wantKind(t, "CommitChunk out of order", s.CommitChunk(ctx(t), &credit.Chunk{BatchID: b.ID, Seq: 3, LastRow: 9}), credit.Conflict)
	if err := s.CommitChunk(ctx(t), c2); err != nil {
		t.Fatalf("CommitChunk 2: %v", err)
	}
	st, err := s.Subject(ctx(t), subj.ID)
	if err != nil || st.Name != subj2.Name || !reflect.DeepEqual(st.FormerNames, subj2.FormerNames) {
		t.Fatalf("subject after chunk 2: %+v, %v", st, err)
	}
	if back, err := s.Record(ctx(t), r2.ID); err != nil || !reflect.DeepEqual(back.Fields, r2.Fields) {
		t.Fatalf("record written with pre-encoded fields: %+v, %v", back, err)
	}
	got, _ = s.Batch(ctx(t), b.ID)
	if got.Chunks != 2 || got.LastRow != 5 || got.Counts.Total != 7 || got.Counts.Accepted != 3 || got.Counts.Versioned != 1 ||
		got.Counts.Rejected != 4 || got.Counts.RejectedNotKept != 2 {
		t.Fatalf("after chunk 2: %+v", got)
	}
	if time.Since(got.HeartbeatAt) > time.Minute {
		t.Fatalf("a committed chunk is a heartbeat: heartbeat still %s", got.HeartbeatAt)
	}
	if err := s.FinishBatch(ctx(t), b.ID, credit.BatchDone, "", time.Now()); err != nil {
		t.Fatal(err)
	}
	wantKind(t, "CommitChunk after done", s.CommitChunk(ctx(t), &credit.Chunk{BatchID: b.ID, Seq: 3, LastRow: 9}), credit.Conflict)

	q, err := s.Quality(ctx(t))
	if err != nil || len(q) != 1 || q[0].Dept != b.Dept || q[0].Batches != 1 || q[0].Counts.Total != 7 || q[0].Counts.Late != 1 || q[0].Counts.CodeErrors != 1 ||
		q[0].Counts.RejectedNotKept != 2 {
		t.Fatalf("Quality = %+v, %v", q, err)
	}
}

func testCommitChunkAtomic(t *testing.T, s credit.Store) {
	b := newBatch(t, s, "h3")
	good := *org("91350100M000100Y43", "福州某某科技有限公司")
	r1 := rec(good.ID, "doc-1")
	bad := rec("91999999999999999X", "doc-2") // no such subject: the whole chunk must fail
	c := &credit.Chunk{BatchID: b.ID, Seq: 1, LastRow: 2, Subjects: []credit.Subject{good}, Records: []credit.Record{r1, bad},
		Rejects: []credit.Reject{{Row: 1, Reason: "x"}}, Counts: credit.BatchCounts{Total: 2, Accepted: 2}}
	if err := s.CommitChunk(ctx(t), c); err == nil {
		t.Fatal("CommitChunk with a record of an unknown subject succeeded")
	}
	got, _ := s.Batch(ctx(t), b.ID)
	if got.Chunks != 0 || got.LastRow != 0 || got.Counts.Total != 0 {
		t.Fatalf("batch progressed after a failed chunk: %+v", got)
	}
	if n := count(t, s); n != 0 {
		t.Fatalf("records = %d after a failed chunk", n)
	}
	if _, err := s.Subject(ctx(t), good.ID); !credit.Is(credit.NotFound, err) {
		t.Fatalf("subject written by a failed chunk: %v", err)
	}
	if rej, _ := s.Rejects(ctx(t), b.ID); len(rej) != 0 {
		t.Fatalf("rejects written by a failed chunk: %v", rej)
	}
	// The same chunk without the bad record goes in as chunk 1.
	c.Records = c.Records[:1]
	if err := s.CommitChunk(ctx(t), c); err != nil {
		t.Fatalf("CommitChunk retry: %v", err)
	}
}

func testLatestByDocs(t *testing.T, s credit.Store) {
	a := org("91350100M000100Y43", "甲")
	mustPutSubject(t, s, a)
	r1 := rec(a.ID, "D1")
	r2 := rec(a.ID, "D2")
	mustAppend(t, s, r1, r2)
	r1b := follow(r1, credit.Correction, "fix")
	mustAppend(t, s, r1b)
	other := rec(a.ID, "D3")
	other.Dept = "OTHER"
	mustAppend(t, s, other)
	got, err := s.LatestByDocs(ctx(t), r1.Dept, r1.Item, []string{"D1", "D2", "D3", "D4"})
	if err != nil {
		t.Fatalf("LatestByDocs: %v", err)
	}
	if len(got) != 2 || got["D1"].ID != r1b.ID || got["D2"].ID != r2.ID {
		t.Fatalf("LatestByDocs = %v", got)
	}
	// Many numbers at once cross the IN-list chunking.
	docs := make([]string, 1200)
	for i := range docs {
		docs[i] = "X" + string(rune('a'+i%26)) + time.Duration(i).String()
	}
	docs[1100] = "D2"
	got, err = s.LatestByDocs(ctx(t), r1.Dept, r1.Item, docs)
	if err != nil || len(got) != 1 || got["D2"] == nil {
		t.Fatalf("LatestByDocs(1200) = %v, %v", got, err)
	}
}

func testSubjectsByKeys(t *testing.T, s credit.Store) {
	a := org("91350100M000100Y43", "甲")
	p := person("P0001", "hash-1", "张三")
	mustPutSubject(t, s, a)
	mustPutSubject(t, s, p)
	got, err := s.SubjectsByIDs(ctx(t), []string{a.ID, p.ID, "nope"})
	if err != nil || len(got) != 2 || got[a.ID].Name != "甲" || got[p.ID].IDHash != "hash-1" {
		t.Fatalf("SubjectsByIDs = %v, %v", got, err)
	}
	// Many at once: more IDs than one IN list takes, some missing, one twice.
	ids := []string{"no-such-subject", a.ID}
	for i := range 700 {
		sub := org(fmt.Sprintf("B%04d", i), fmt.Sprintf("批量%d有限公司", i))
		if i%2 == 0 {
			mustPutSubject(t, s, sub)
		}
		ids = append(ids, sub.ID)
	}
	ids = append(ids, a.ID)
	many, err := s.SubjectsByIDs(ctx(t), ids)
	if err != nil {
		t.Fatalf("SubjectsByIDs: %v", err)
	}
	if len(many) != 351 || many["no-such-subject"] != nil || many["B0001"] != nil || many["B0698"] == nil {
		t.Fatalf("SubjectsByIDs gave %d subjects, want 351", len(many))
	}
	sameSubject(t, many[a.ID], a)
	if many["B0698"].Name != "批量698有限公司" {
		t.Errorf("SubjectsByIDs B0698 = %+v", many["B0698"])
	}
	if none, err := s.SubjectsByIDs(ctx(t), nil); err != nil || len(none) != 0 {
		t.Errorf("SubjectsByIDs(none) = %v, %v", none, err)
	}
	byHash, err := s.SubjectsByIDHashes(ctx(t), []string{"hash-1", "hash-2"})
	if err != nil || len(byHash) != 1 || byHash["hash-1"].ID != p.ID {
		t.Fatalf("SubjectsByIDHashes = %v, %v", byHash, err)
	}
}
