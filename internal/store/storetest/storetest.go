// Package storetest is the conformance suite every credit.Store must pass.
// Backends run it from their own tests with a function that opens a fresh,
// empty store; the suite calls it once per subtest so cases cannot leak
// state into each other.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xinyong/xinyong/internal/chinatime"
	"github.com/xinyong/xinyong/internal/credit"
)

// Migrator is implemented by stores with versioned schemas; the suite
// checks that migrating again is harmless.
type Migrator interface {
	Migrate(ctx context.Context) error
}

// Run runs the conformance suite.
func Run(t *testing.T, open func(t *testing.T) credit.Store) {
	cases := []struct {
		name string
		fn   func(t *testing.T, s credit.Store)
	}{
		{"Backend", testBackend},
		{"Subject", testSubject},
		{"SubjectRevisions", testSubjectRevisions},
		{"SubjectByIDHash", testSubjectByIDHash},
		{"SubjectsByName", testSubjectsByName},
		{"Counts", testCounts},
		{"AppendRecords", testAppendRecords},
		{"AppendAtomic", testAppendAtomic},
		{"Chains", testChains},
		{"CrossSubjectSupersedes", testCrossSubject},
		{"LatestByDoc", testLatestByDoc},
		{"Accounts", testAccounts},
		{"APIKeys", testAPIKeys},
		{"AccountLists", testAccountLists},
		{"CatalogVersions", testCatalogVersions},
		{"Sessions", testSessions},
		{"LoginFailures", testLoginFailures},
		{"Audit", testAudit},
		{"Migrate", testMigrate},
		{"Times", testTimes},
		{"Chinese", testChinese},
		{"Concurrent", testConcurrent},
		{"Workflow", testWorkflow},
		{"Sanction", testSanction},
		{"ListEventBatch", testListEventBatch},
		{"Publish", testPublish},
		{"Changes", testChanges},
		{"ChangeOrder", testChangeOrder},
		{"DataKeys", testDataKeys},
		{"Reseal", testReseal},
		{"Commitments", testCommitments},
		{"Reports", testReports},
		{"Grants", testGrants},
		{"SigningKeys", testSigningKeys},
		{"Log", testLog},
		{"AuditSubject", testAuditSubject},
		{"Exchange", testExchange},
		{"Monitor", testMonitor},
		{"SiteContent", testSiteContent},
		{"FindRecords", testFindRecords},
		{"Inspections", testInspections},
		{"Evaluation", testEvaluation},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := open(t)
			c.fn(t, s)
		})
	}
	t.Run("Batches", func(t *testing.T) { runBatches(t, open) })
}

// Fixtures.

func org(id, name string, former ...string) *credit.Subject {
	return &credit.Subject{
		ID: id, Kind: credit.Organisation, Code: id, Name: name, FormerNames: former,
		OrgType: "91", Region: "110105", LegalRep: "张三", Status: "存续",
		RegisteredOn: time.Date(2015, 3, 1, 0, 0, 0, 0, time.UTC),
	}
}

func person(id, hash, name string) *credit.Subject {
	return &credit.Subject{
		ID: id, Kind: credit.Person, Name: name,
		IDCipher: []byte{0x00, 0x01, 0xfe, 0xff, 'x'}, IDHash: hash, IDMasked: "110101********1234",
	}
}

// rec builds an original fact with a fresh time-ordered ID.
func rec(subject, docNo string) credit.Record {
	return credit.Record{
		ID: credit.NewID(), SubjectID: subject, Item: "XZCF", Catalog: "2025.1",
		Fact: credit.Original, Dept: "110000-SCJG", BatchID: "b1", DocNo: docNo,
		DecidedOn: time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC),
		Received:  time.Date(2025, 6, 2, 9, 30, 0, 0, time.UTC),
		Severity:  credit.SeverityGeneral,
		Fields:    credit.Fields{"cfnr": "罚款人民币五千元", "amount": "5000"},
		Hash:      "deadbeef", Kind: credit.Organisation,
	}
}

// follow builds a correction or revocation of prev.
func follow(prev credit.Record, fact credit.FactKind, reason string) credit.Record {
	r := prev
	r.ID = credit.NewID()
	r.Fact, r.Supersedes, r.Reason = fact, prev.ID, reason
	r.Fields = credit.Fields{}
	for k, v := range prev.Fields {
		r.Fields[k] = v
	}
	return r
}

func ctx(t *testing.T) context.Context { return t.Context() }

func mustPutSubject(t *testing.T, s credit.Store, subj *credit.Subject) {
	t.Helper()
	if err := s.PutSubject(ctx(t), subj); err != nil {
		t.Fatalf("PutSubject(%s): %v", subj.ID, err)
	}
}

func mustAppend(t *testing.T, s credit.Store, recs ...credit.Record) {
	t.Helper()
	if err := s.AppendRecords(ctx(t), recs); err != nil {
		t.Fatalf("AppendRecords: %v", err)
	}
}

func wantKind(t *testing.T, what string, err error, kind credit.Kind) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: got no error, want %v", what, kind)
	}
	if credit.KindOf(err) != kind {
		t.Fatalf("%s: got %v (%v), want %v", what, credit.KindOf(err), err, kind)
	}
	var ce *credit.Error
	if !errors.As(err, &ce) {
		t.Fatalf("%s: %T is not a *credit.Error", what, err)
	}
}

func count(t *testing.T, s credit.Store) int {
	t.Helper()
	n, err := s.CountRecords(ctx(t))
	if err != nil {
		t.Fatalf("CountRecords: %v", err)
	}
	return n
}

func sameSubject(t *testing.T, got, want *credit.Subject) {
	t.Helper()
	w := *want
	w.RegisteredOn = norm(w.RegisteredOn)
	w.CreatedAt, w.UpdatedAt = norm(w.CreatedAt), norm(w.UpdatedAt)
	if !reflect.DeepEqual(*got, w) {
		t.Fatalf("subject mismatch\n got %+v\nwant %+v", *got, w)
	}
}

func sameRecord(t *testing.T, got, want credit.Record) {
	t.Helper()
	want.DecidedOn, want.Received = norm(want.DecidedOn), norm(want.Received)
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("record mismatch\n got %+v\nwant %+v", got, want)
	}
}

// norm is the stored form of a time: UTC at microsecond precision.
func norm(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.Truncate(time.Microsecond).UTC()
}

// Cases.

func testBackend(t *testing.T, s credit.Store) {
	if s.Backend() == "" {
		t.Error("Backend() is empty")
	}
	if err := s.Ping(ctx(t)); err != nil {
		t.Fatalf("Ping: %v", err)
	}
}

func testSubject(t *testing.T, s credit.Store) {
	a := org("91110105MA01ABCD2X", "北京甲乙科技有限公司", "北京甲乙网络有限公司")
	a.CodeFlag = "checksum"
	mustPutSubject(t, s, a)
	if a.CreatedAt.IsZero() || a.UpdatedAt.IsZero() {
		t.Fatalf("PutSubject left CreatedAt/UpdatedAt zero: %+v", a)
	}
	got, err := s.Subject(ctx(t), a.ID)
	if err != nil {
		t.Fatalf("Subject: %v", err)
	}
	sameSubject(t, got, a)

	// Replace: registration data changes, creation time stays.
	created := got.CreatedAt
	b := org(a.ID, "北京甲乙数字科技有限公司", "北京甲乙科技有限公司", "北京甲乙网络有限公司")
	b.Status = "注销"
	b.RegisteredOn = time.Time{}
	b.UpdatedAt = created.Add(time.Hour)
	mustPutSubject(t, s, b)
	got, err = s.Subject(ctx(t), a.ID)
	if err != nil {
		t.Fatalf("Subject after replace: %v", err)
	}
	if !got.CreatedAt.Equal(created) {
		t.Errorf("replace changed CreatedAt: %v -> %v", created, got.CreatedAt)
	}
	sameSubject(t, got, b)
	if got.Name != "北京甲乙数字科技有限公司" || got.Status != "注销" || !got.RegisteredOn.IsZero() || len(got.FormerNames) != 2 {
		t.Errorf("replace not applied: %+v", got)
	}
	if n, _ := s.CountSubjects(ctx(t)); n != 1 {
		t.Errorf("CountSubjects after replace = %d, want 1", n)
	}

	_, err = s.Subject(ctx(t), "no-such-subject")
	wantKind(t, "Subject(missing)", err, credit.NotFound)
	if !strings.Contains(err.Error(), "no-such-subject") {
		t.Errorf("NotFound message does not name what was looked for: %v", err)
	}

	wantKind(t, "PutSubject(no ID)", s.PutSubject(ctx(t), &credit.Subject{Kind: credit.Organisation, Name: "x"}), credit.Invalid)
	wantKind(t, "PutSubject(bad kind)", s.PutSubject(ctx(t), &credit.Subject{ID: "x", Kind: "alien", Name: "x"}), credit.Invalid)
}

func testSubjectRevisions(t *testing.T, s credit.Store) {
	sub := &credit.Subject{ID: "91350100M000100Y43", Kind: credit.Organisation, Code: "91350100M000100Y43", Name: "福州甲", Status: "存续"}
	if err := s.PutSubject(ctx(t), sub); err != nil {
		t.Fatal(err)
	}
	head, err := s.ChangeHead(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.ReviseSubject(ctx(t), sub, &credit.SubjectRevision{ID: "r0"}); !credit.Is(credit.Invalid, err) {
		t.Fatalf("a revision without changes: %v", err)
	}
	t0 := time.Date(2026, 5, 1, 2, 3, 4, 0, time.UTC)
	for i, st := range []string{"吊销", "注销"} {
		old := sub.Status
		sub.Status = st
		rev := &credit.SubjectRevision{ID: fmt.Sprintf("r%d", i+1), At: t0.Add(time.Duration(i) * time.Hour), Actor: "登记员", Dept: "SAMR-350100",
			Changes: []credit.FieldChange{{Field: "status", Old: old, New: st}}}
		if err := s.ReviseSubject(ctx(t), sub, rev); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.Subject(ctx(t), sub.ID)
	if err != nil || got.Status != "注销" {
		t.Fatalf("subject after revisions: %+v, %v", got, err)
	}
	revs, err := s.SubjectRevisions(ctx(t), sub.ID)
	if err != nil || len(revs) != 2 || revs[0].ID != "r1" || !revs[1].At.Equal(t0.Add(time.Hour)) || revs[1].Dept != "SAMR-350100" ||
		revs[1].Changes[0] != (credit.FieldChange{Field: "status", Old: "吊销", New: "注销"}) || revs[0].SubjectID != sub.ID {
		t.Fatalf("revisions: %+v, %v", revs, err)
	}
	// Each revision is a change of the subject in the feed.
	cs, err := s.ChangesSince(ctx(t), head, 10)
	if err != nil || len(cs) != 2 || cs[0].Kind != credit.ChangeSubject || cs[1].Ref != sub.ID {
		t.Fatalf("changes after revisions: %+v, %v", cs, err)
	}
	// A revision of an unknown subject writes nothing.
	ghost := &credit.Subject{ID: "X", Kind: credit.SubjectKind("bad")}
	if err := s.ReviseSubject(ctx(t), ghost, &credit.SubjectRevision{ID: "r9", Changes: []credit.FieldChange{{Field: "name"}}}); err == nil {
		t.Fatal("a revision of an invalid subject was stored")
	}
	if revs, _ := s.SubjectRevisions(ctx(t), "X"); len(revs) != 0 {
		t.Fatalf("revisions of the invalid subject: %+v", revs)
	}
	// Read for many subjects at once: each one's as read alone, in the
	// same order; subjects without revisions are left out.
	other := &credit.Subject{ID: "91350100M000200Y44", Kind: credit.Organisation, Code: "91350100M000200Y44", Name: "福州乙"}
	if err := s.PutSubject(ctx(t), other); err != nil {
		t.Fatal(err)
	}
	// Given at an earlier time than r1 and r2, so that the subjects'
	// revisions interleave by time.
	other.Name = "福州丙"
	if err := s.ReviseSubject(ctx(t), other, &credit.SubjectRevision{ID: "r3", At: t0.Add(30 * time.Minute), Actor: "登记员",
		Changes: []credit.FieldChange{{Field: "name", Old: "福州乙", New: "福州丙"}}}); err != nil {
		t.Fatal(err)
	}
	byID, err := s.SubjectRevisionsBySubjects(ctx(t), []string{other.ID, "missing", sub.ID})
	if err != nil || len(byID) != 2 {
		t.Fatalf("SubjectRevisionsBySubjects = %+v, %v; want two subjects' revisions", byID, err)
	}
	for _, id := range []string{sub.ID, other.ID} {
		alone, err := s.SubjectRevisions(ctx(t), id)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(byID[id], alone) {
			t.Errorf("revisions of %s read with others %+v, alone %+v", id, byID[id], alone)
		}
	}
	// A subject named many times (a page of changes names one for each of
	// its changes), across more IDs than one IN list takes: its revisions
	// once each.
	many := []string{sub.ID}
	for i := range 1200 {
		many = append(many, fmt.Sprintf("missing-%d", i), other.ID)
	}
	if again, err := s.SubjectRevisionsBySubjects(ctx(t), append(many, sub.ID)); err != nil || !reflect.DeepEqual(again, byID) {
		t.Errorf("SubjectRevisionsBySubjects with each subject named many times = %+v, %v; want %+v", again, err, byID)
	}
	if none, err := s.SubjectRevisionsBySubjects(ctx(t), nil); err != nil || len(none) != 0 {
		t.Errorf("SubjectRevisionsBySubjects(nil) = %+v, %v", none, err)
	}
}

func testSubjectByIDHash(t *testing.T, s credit.Store) {
	p := person("Pabc123", "abc123", "李四")
	mustPutSubject(t, s, p)
	got, err := s.SubjectByIDHash(ctx(t), "abc123")
	if err != nil {
		t.Fatalf("SubjectByIDHash: %v", err)
	}
	sameSubject(t, got, p)

	_, err = s.SubjectByIDHash(ctx(t), "nope")
	wantKind(t, "SubjectByIDHash(missing)", err, credit.NotFound)

	// Subjects without an ID hash do not collide with each other...
	mustPutSubject(t, s, org("91110000000000001A", "甲公司"))
	mustPutSubject(t, s, org("91110000000000002B", "乙公司"))
	// ...but two persons with the same hash do.
	err = s.PutSubject(ctx(t), person("Pother", "abc123", "王五"))
	wantKind(t, "PutSubject(duplicate ID hash)", err, credit.Exists)
}

func testSubjectsByName(t *testing.T, s credit.Store) {
	for _, subj := range []*credit.Subject{
		org("S1", "北京甲乙科技有限公司", "北京甲乙网络公司", "甲乙老名"),
		org("S2", "上海丙丁贸易有限公司", "北京丙丁贸易公司"),
		org("S3", "广州戊己商贸有限公司"),
		org("S4", "测试2号", "旧名,含逗号"),
		org("S5", "测试1号"),
		org("S6", "测试3号"),
		org("S7", "100%纯净水厂"),
		org("S8", "Acme 中国 Ltd"),
		org("S9", "无曾用名公司"),
	} {
		mustPutSubject(t, s, subj)
	}
	ids := func(q string, limit int) []string {
		t.Helper()
		got, err := s.SubjectsByName(ctx(t), q, limit)
		if err != nil {
			t.Fatalf("SubjectsByName(%q): %v", q, err)
		}
		out := []string{}
		for _, g := range got {
			out = append(out, g.ID)
		}
		return out
	}
	check := func(q string, limit int, want ...string) {
		t.Helper()
		got := ids(q, limit)
		if want == nil {
			want = []string{}
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("SubjectsByName(%q, %d) = %v, want %v", q, limit, got, want)
		}
	}
	check("测试", 10, "S5", "S4", "S6") // ordered by name
	check("测试", 2, "S5", "S4")
	check("网络", 10, "S1") // former name only
	check("贸易", 10, "S2") // current and former name: listed once
	// Order between differently named subjects depends on the collation
	// (code point or pinyin), so only the set is checked here.
	if got := ids("北京", 10); len(got) != 2 || !slices.Contains(got, "S1") || !slices.Contains(got, "S2") {
		t.Errorf("SubjectsByName(北京) = %v, want S1 and S2", got)
	}
	check("100%", 10, "S7") // % is literal
	check("0%纯", 10, "S7")
	check("1_0", 10)        // _ is literal
	check("acme", 10, "S8") // ASCII case is ignored
	check("含逗号", 10, "S4")
	check(`","`, 10)  // JSON punctuation of the former-names column does not match
	check("null", 10) // nor the JSON of an empty list
	check("不存在", 10)  // no match
	if got := ids("", 3); len(got) != 3 {
		t.Errorf("SubjectsByName(\"\", 3) returned %d subjects, want 3", len(got))
	}
	got, err := s.SubjectsByName(ctx(t), "网络", 10)
	if err != nil || len(got) != 1 || !reflect.DeepEqual(got[0].FormerNames, []string{"北京甲乙网络公司", "甲乙老名"}) {
		t.Errorf("SubjectsByName did not return the whole subject: %+v, %v", got, err)
	}
}

func testCounts(t *testing.T, s credit.Store) {
	if n, err := s.CountSubjects(ctx(t)); err != nil || n != 0 {
		t.Fatalf("CountSubjects on empty store = %d, %v", n, err)
	}
	if n := count(t, s); n != 0 {
		t.Fatalf("CountRecords on empty store = %d", n)
	}
	mustPutSubject(t, s, org("A", "甲"))
	mustPutSubject(t, s, org("B", "乙"))
	mustAppend(t, s, rec("A", "1"), rec("A", "2"), rec("B", "3"))
	if n, err := s.CountSubjects(ctx(t)); err != nil || n != 2 {
		t.Errorf("CountSubjects = %d, %v; want 2", n, err)
	}
	if n := count(t, s); n != 3 {
		t.Errorf("CountRecords = %d; want 3", n)
	}
}

func testAppendRecords(t *testing.T, s credit.Store) {
	mustPutSubject(t, s, org("A", "甲"))
	r1, r2 := rec("A", "京市监罚〔2025〕1号"), rec("A", "京市监罚〔2025〕2号")
	r2.Fields, r2.Severity, r2.DecidedOn, r2.BatchID = nil, credit.SeverityNone, time.Time{}, ""
	mustAppend(t, s, r1, r2)
	got, err := s.Record(ctx(t), r1.ID)
	if err != nil {
		t.Fatalf("Record: %v", err)
	}
	sameRecord(t, *got, r1)

	all, err := s.RecordsBySubject(ctx(t), "A")
	if err != nil {
		t.Fatalf("RecordsBySubject: %v", err)
	}
	if len(all) != 2 {
		t.Fatalf("RecordsBySubject returned %d records, want 2", len(all))
	}
	sameRecord(t, all[0], r1) // oldest first
	sameRecord(t, all[1], r2)

	if none, err := s.RecordsBySubject(ctx(t), "nobody"); err != nil || len(none) != 0 {
		t.Errorf("RecordsBySubject(unknown) = %v, %v; want empty", none, err)
	}
	byID, err := s.RecordsByIDs(ctx(t), []string{r2.ID, "missing-record", r1.ID})
	if err != nil || len(byID) != 2 || byID["missing-record"] != nil {
		t.Fatalf("RecordsByIDs = %v, %v; want the two records", byID, err)
	}
	sameRecord(t, *byID[r1.ID], r1)
	sameRecord(t, *byID[r2.ID], r2)
	bySubj, err := s.RecordsBySubjects(ctx(t), []string{"A", "nobody"})
	if err != nil || len(bySubj) != 1 || len(bySubj["A"]) != 2 {
		t.Fatalf("RecordsBySubjects = %v, %v; want A's two records", bySubj, err)
	}
	sameRecord(t, bySubj["A"][0], r1) // oldest first
	sameRecord(t, bySubj["A"][1], r2)
	if none, err := s.RecordsByIDs(ctx(t), nil); err != nil || len(none) != 0 {
		t.Errorf("RecordsByIDs(nil) = %v, %v; want empty", none, err)
	}
	_, err = s.Record(ctx(t), "missing-record")
	wantKind(t, "Record(missing)", err, credit.NotFound)
	if !strings.Contains(err.Error(), "missing-record") {
		t.Errorf("NotFound message does not name the record: %v", err)
	}
	if err := s.AppendRecords(ctx(t), nil); err != nil {
		t.Errorf("AppendRecords(nil): %v", err)
	}

	// Large slice: several INSERT batches in one transaction.
	big := make([]credit.Record, 2345)
	for i := range big {
		big[i] = rec("A", fmt.Sprintf("big-%d", i))
	}
	mustAppend(t, s, big...)
	if n := count(t, s); n != 2+len(big) {
		t.Errorf("CountRecords after large append = %d, want %d", n, 2+len(big))
	}
}

func testAppendAtomic(t *testing.T, s credit.Store) {
	mustPutSubject(t, s, org("A", "甲"))
	base := rec("A", "base")
	mustAppend(t, s, base)

	bad := rec("A", "bad")
	bad.Fact, bad.Supersedes = credit.Correction, credit.NewID() // points at nothing
	before := count(t, s)
	wantKind(t, "AppendRecords(dangling supersedes)",
		s.AppendRecords(ctx(t), []credit.Record{rec("A", "ok1"), rec("A", "ok2"), bad}), credit.Conflict)

	noSub := rec("Z", "z")
	wantKind(t, "AppendRecords(unknown subject)",
		s.AppendRecords(ctx(t), []credit.Record{rec("A", "ok3"), noSub}), credit.Invalid)

	noItem := rec("A", "x")
	noItem.Item = ""
	wantKind(t, "AppendRecords(no item)", s.AppendRecords(ctx(t), []credit.Record{rec("A", "ok4"), noItem}), credit.Invalid)
	noID := rec("A", "x")
	noID.ID = ""
	wantKind(t, "AppendRecords(no ID)", s.AppendRecords(ctx(t), []credit.Record{noID}), credit.Invalid)

	noTarget := rec("A", "x")
	noTarget.Fact = credit.Revocation
	wantKind(t, "AppendRecords(revocation without supersedes)", s.AppendRecords(ctx(t), []credit.Record{noTarget}), credit.Conflict)

	// A stored ID again, behind fresh records: Exists, and nothing lands.
	err := s.AppendRecords(ctx(t), []credit.Record{rec("A", "ok5"), base})
	wantKind(t, "AppendRecords(existing ID)", err, credit.Exists)
	if !strings.Contains(err.Error(), base.ID) {
		t.Errorf("Exists message does not name the record: %v", err)
	}
	twice := rec("A", "twice")
	wantKind(t, "AppendRecords(ID twice in batch)", s.AppendRecords(ctx(t), []credit.Record{twice, twice}), credit.Exists)

	if n := count(t, s); n != before {
		t.Fatalf("failed appends wrote records: count %d, want %d", n, before)
	}
	// The store is still usable after the failures.
	mustAppend(t, s, rec("A", "after"))
}

func testChains(t *testing.T, s credit.Store) {
	mustPutSubject(t, s, org("A", "甲"))
	o1 := rec("A", "doc-1")
	mustAppend(t, s, o1)
	// Two corrections in one slice, the second pointing at the first.
	c1 := follow(o1, credit.Correction, "金额有误")
	c1.Fields["amount"] = "6000"
	c2 := follow(c1, credit.Correction, "再次更正")
	c2.Fields["amount"] = "7000"
	o2 := rec("A", "doc-2")
	r2 := follow(o2, credit.Revocation, "行政复议撤销")
	r2.DocNo = "京复决〔2025〕9号" // a revocation may carry its own document number
	mustAppend(t, s, c1, c2, o2, r2)

	// Supersedes pointing later in the same slice is refused.
	o3 := rec("A", "doc-3")
	c3 := follow(o3, credit.Correction, "x")
	wantKind(t, "AppendRecords(supersedes later in slice)", s.AppendRecords(ctx(t), []credit.Record{c3, o3}), credit.Conflict)
	// A correction that sorts before its target would be invisible to Derive.
	early := follow(o1, credit.Correction, "x")
	early.ID = "00000000-0000-7000-8000-000000000000"
	wantKind(t, "AppendRecords(correction older than target)", s.AppendRecords(ctx(t), []credit.Record{early}), credit.Conflict)

	facts, err := s.RecordsBySubject(ctx(t), "A")
	if err != nil {
		t.Fatalf("RecordsBySubject: %v", err)
	}
	if len(facts) != 5 {
		t.Fatalf("got %d facts, want 5", len(facts))
	}
	states := credit.Derive(facts)
	if len(states) != 2 {
		t.Fatalf("Derive gave %d chains, want 2", len(states))
	}
	st := states[0]
	if st.Origin != o1.ID || st.Revoked || st.Current.ID != c2.ID || st.Current.Fields["amount"] != "7000" || len(st.History) != 3 {
		t.Errorf("chain 1 = %+v", st)
	}
	st = states[1]
	if st.Origin != o2.ID || !st.Revoked || st.RevokedBy == nil || st.RevokedBy.ID != r2.ID || st.Current.ID != o2.ID {
		t.Errorf("chain 2 = %+v", st)
	}
	if facts[1].Supersedes != o1.ID || facts[1].Reason != "金额有误" || facts[1].Fact != credit.Correction {
		t.Errorf("correction did not round-trip: %+v", facts[1])
	}
}

func testCrossSubject(t *testing.T, s credit.Store) {
	mustPutSubject(t, s, org("A", "甲"))
	mustPutSubject(t, s, org("B", "乙"))
	a := rec("A", "a")
	mustAppend(t, s, a)
	x := follow(a, credit.Correction, "wrong subject")
	x.SubjectID = "B"
	wantKind(t, "AppendRecords(cross-subject, stored target)", s.AppendRecords(ctx(t), []credit.Record{x}), credit.Conflict)
	a2 := rec("A", "a2")
	y := follow(a2, credit.Revocation, "wrong subject")
	y.SubjectID = "B"
	wantKind(t, "AppendRecords(cross-subject, in batch)", s.AppendRecords(ctx(t), []credit.Record{a2, y}), credit.Conflict)
	if n := count(t, s); n != 1 {
		t.Errorf("count = %d, want 1", n)
	}
}

func testLatestByDoc(t *testing.T, s credit.Store) {
	mustPutSubject(t, s, org("A", "甲"))
	o := rec("A", "京市监罚〔2025〕7号")
	mustAppend(t, s, o)
	got, err := s.LatestByDoc(ctx(t), o.Dept, o.Item, o.DocNo)
	if err != nil || got.ID != o.ID {
		t.Fatalf("LatestByDoc after original = %v, %v; want %s", got, err, o.ID)
	}
	c := follow(o, credit.Correction, "更正")
	mustAppend(t, s, c)
	if got, err = s.LatestByDoc(ctx(t), o.Dept, o.Item, o.DocNo); err != nil || got.ID != c.ID {
		t.Fatalf("LatestByDoc after correction = %v, %v; want %s", got, err, c.ID)
	}
	r := follow(c, credit.Revocation, "撤销")
	r.DocNo = "京市监撤〔2025〕1号"
	other := rec("A", "other-doc")
	mustAppend(t, s, r, other)
	if got, err = s.LatestByDoc(ctx(t), o.Dept, o.Item, o.DocNo); err != nil || got.ID != r.ID || got.Fact != credit.Revocation {
		t.Fatalf("LatestByDoc after revocation = %+v, %v; want %s", got, err, r.ID)
	}
	_, err = s.LatestByDoc(ctx(t), o.Dept, "OTHER", o.DocNo)
	wantKind(t, "LatestByDoc(missing)", err, credit.NotFound)
	if !strings.Contains(err.Error(), o.DocNo) {
		t.Errorf("NotFound message does not name the document: %v", err)
	}
}

func testAccounts(t *testing.T, s credit.Store) {
	a := &credit.Account{ID: credit.NewID(), Name: "alice", Display: "爱丽丝", Role: credit.RoleReviewer,
		Dept: "110000", PassHash: "$argon2id$v=19$..."}
	if err := s.PutAccount(ctx(t), a); err != nil {
		t.Fatalf("PutAccount: %v", err)
	}
	got, err := s.Account(ctx(t), "alice")
	if err != nil {
		t.Fatalf("Account: %v", err)
	}
	want := *a
	want.Created = norm(want.Created)
	if !reflect.DeepEqual(*got, want) {
		t.Fatalf("Account = %+v, want %+v", *got, want)
	}
	if got, err := s.AccountByID(ctx(t), a.ID); err != nil || got.Name != "alice" {
		t.Fatalf("AccountByID = %v, %v", got, err)
	}
	// Replace by ID.
	a.Disabled, a.Role, a.Display = true, credit.RoleAuditor, "审计员"
	if err := s.PutAccount(ctx(t), a); err != nil {
		t.Fatalf("PutAccount(replace): %v", err)
	}
	if got, err := s.Account(ctx(t), "alice"); err != nil || !got.Disabled || got.Role != credit.RoleAuditor || got.Display != "审计员" {
		t.Fatalf("replaced account = %+v, %v", got, err)
	}
	// Another account cannot take the name.
	wantKind(t, "PutAccount(name taken)",
		s.PutAccount(ctx(t), &credit.Account{ID: credit.NewID(), Name: "alice", Role: credit.RoleDept}), credit.Exists)
	wantKind(t, "PutAccount(bad role)",
		s.PutAccount(ctx(t), &credit.Account{ID: credit.NewID(), Name: "bob", Role: "king"}), credit.Invalid)

	_, err = s.Account(ctx(t), "nobody")
	wantKind(t, "Account(missing)", err, credit.NotFound)
	if !strings.Contains(err.Error(), "nobody") {
		t.Errorf("NotFound message does not name the account: %v", err)
	}
	_, err = s.AccountByID(ctx(t), "no-id")
	wantKind(t, "AccountByID(missing)", err, credit.NotFound)
}

func testAPIKeys(t *testing.T, s credit.Store) {
	a := &credit.Account{ID: credit.NewID(), Name: "approval-system", Role: credit.RoleBusiness}
	if err := s.PutAccount(ctx(t), a); err != nil {
		t.Fatalf("PutAccount: %v", err)
	}
	k := &credit.APIKey{ID: credit.NewID(), AccountID: a.ID, Hash: "h1", Prefix: "xy_ab12"}
	if err := s.PutAPIKey(ctx(t), k); err != nil {
		t.Fatalf("PutAPIKey: %v", err)
	}
	got, err := s.APIKeyByHash(ctx(t), "h1")
	if err != nil {
		t.Fatalf("APIKeyByHash: %v", err)
	}
	want := *k
	want.Created = norm(want.Created)
	if !reflect.DeepEqual(*got, want) {
		t.Fatalf("APIKeyByHash = %+v, want %+v", *got, want)
	}
	wantKind(t, "PutAPIKey(duplicate hash)",
		s.PutAPIKey(ctx(t), &credit.APIKey{ID: credit.NewID(), AccountID: a.ID, Hash: "h1"}), credit.Exists)
	wantKind(t, "PutAPIKey(unknown account)",
		s.PutAPIKey(ctx(t), &credit.APIKey{ID: credit.NewID(), AccountID: "ghost", Hash: "h2"}), credit.Invalid)

	k.Revoked = true
	if err := s.PutAPIKey(ctx(t), k); err != nil {
		t.Fatalf("PutAPIKey(revoke): %v", err)
	}
	_, err = s.APIKeyByHash(ctx(t), "h1")
	wantKind(t, "APIKeyByHash(revoked)", err, credit.NotFound)
	_, err = s.APIKeyByHash(ctx(t), "never")
	wantKind(t, "APIKeyByHash(missing)", err, credit.NotFound)
}

func testSessions(t *testing.T, s credit.Store) {
	a := &credit.Account{ID: credit.NewID(), Name: "bob", Role: credit.RoleDept}
	if err := s.PutAccount(ctx(t), a); err != nil {
		t.Fatalf("PutAccount: %v", err)
	}
	now := time.Date(2026, 1, 1, 8, 0, 0, 123456789, chinatime.Location)
	ss := &credit.Session{Hash: "sh1", AccountID: a.ID, Expires: now.Add(time.Hour)}
	if err := s.PutSession(ctx(t), ss); err != nil {
		t.Fatalf("PutSession: %v", err)
	}
	got, err := s.SessionByHash(ctx(t), "sh1", now)
	if err != nil {
		t.Fatalf("SessionByHash: %v", err)
	}
	if got.AccountID != a.ID || !got.Expires.Equal(norm(ss.Expires)) || got.Expires.Location() != time.UTC {
		t.Fatalf("SessionByHash = %+v", got)
	}
	_, err = s.SessionByHash(ctx(t), "sh1", now.Add(2*time.Hour))
	wantKind(t, "SessionByHash(expired)", err, credit.NotFound)
	_, err = s.SessionByHash(ctx(t), "sh1", now.Add(time.Hour)) // expiry instant itself is expired
	wantKind(t, "SessionByHash(at expiry)", err, credit.NotFound)

	// Renewal replaces the expiry.
	ss.Expires = now.Add(3 * time.Hour)
	if err := s.PutSession(ctx(t), ss); err != nil {
		t.Fatalf("PutSession(renew): %v", err)
	}
	if _, err := s.SessionByHash(ctx(t), "sh1", now.Add(2*time.Hour)); err != nil {
		t.Fatalf("SessionByHash after renewal: %v", err)
	}
	wantKind(t, "PutSession(unknown account)",
		s.PutSession(ctx(t), &credit.Session{Hash: "sh2", AccountID: "ghost", Expires: now}), credit.Invalid)

	if err := s.DeleteSession(ctx(t), "sh1"); err != nil {
		t.Fatalf("DeleteSession: %v", err)
	}
	_, err = s.SessionByHash(ctx(t), "sh1", now)
	wantKind(t, "SessionByHash(deleted)", err, credit.NotFound)
	if err := s.DeleteSession(ctx(t), "sh1"); err != nil {
		t.Errorf("DeleteSession twice: %v", err)
	}
}

func testAudit(t *testing.T, s credit.Store) {
	t0 := time.Date(2026, 3, 1, 10, 0, 0, 0, chinatime.Location)
	type in struct{ actor, target string }
	var entries []credit.AuditEntry
	for i, x := range []in{{"alice", "S1"}, {"bob", "S1"}, {"alice", "S2"}, {"carol", "S3"}, {"alice", "S1"}} {
		e := credit.AuditEntry{At: t0.Add(time.Duration(i) * time.Minute), Actor: x.actor, Role: credit.RoleReviewer,
			Action: "subject.read", Target: x.target, Purpose: "行政许可审查", Outcome: "ok", Remote: "10.0.0.1"}
		if err := s.AppendAudit(ctx(t), &e); err != nil {
			t.Fatalf("AppendAudit: %v", err)
		}
		if e.ID == "" {
			t.Fatal("AppendAudit did not assign an ID")
		}
		entries = append(entries, e)
	}
	ids := func(f credit.AuditFilter) []string {
		t.Helper()
		got, err := s.Audit(ctx(t), f)
		if err != nil {
			t.Fatalf("Audit(%+v): %v", f, err)
		}
		var out []string
		for _, g := range got {
			out = append(out, g.ID)
		}
		return out
	}
	e := func(i ...int) []string {
		var out []string
		for _, j := range i {
			out = append(out, entries[j].ID)
		}
		return out
	}
	cases := []struct {
		f    credit.AuditFilter
		want []string
	}{
		{credit.AuditFilter{}, e(4, 3, 2, 1, 0)},
		{credit.AuditFilter{Actor: "alice"}, e(4, 2, 0)},
		{credit.AuditFilter{Target: "S1"}, e(4, 1, 0)},
		{credit.AuditFilter{Actor: "alice", Target: "S1"}, e(4, 0)},
		{credit.AuditFilter{Since: t0.Add(2 * time.Minute)}, e(4, 3, 2)},
		{credit.AuditFilter{Limit: 2}, e(4, 3)},
		{credit.AuditFilter{Actor: "nobody"}, nil},
	}
	for _, c := range cases {
		if got := ids(c.f); !reflect.DeepEqual(got, c.want) {
			t.Errorf("Audit(%+v) = %v, want %v", c.f, got, c.want)
		}
	}
	got, err := s.Audit(ctx(t), credit.AuditFilter{Limit: 1})
	if err != nil || len(got) != 1 {
		t.Fatalf("Audit(limit 1) = %v, %v", got, err)
	}
	want := entries[4]
	want.At = norm(want.At)
	if !reflect.DeepEqual(got[0], want) {
		t.Errorf("audit entry round trip\n got %+v\nwant %+v", got[0], want)
	}
	// A zero time is stamped with now.
	z := credit.AuditEntry{Actor: "anonymous", Role: credit.RolePublic, Action: "denied", Outcome: "denied"}
	if err := s.AppendAudit(ctx(t), &z); err != nil || z.At.IsZero() {
		t.Fatalf("AppendAudit(zero time) = %v, At %v", err, z.At)
	}
	dup := entries[0]
	wantKind(t, "AppendAudit(duplicate ID)", s.AppendAudit(ctx(t), &dup), credit.Exists)
}

func testMigrate(t *testing.T, s credit.Store) {
	m, ok := s.(Migrator)
	if !ok {
		t.Skipf("%T has no Migrate method", s)
	}
	for i := range 2 {
		if err := m.Migrate(ctx(t)); err != nil {
			t.Fatalf("Migrate #%d: %v", i+1, err)
		}
	}
	// Migrating again keeps the data.
	mustPutSubject(t, s, org("A", "甲"))
	if err := m.Migrate(ctx(t)); err != nil {
		t.Fatalf("Migrate with data: %v", err)
	}
	if n, err := s.CountSubjects(ctx(t)); err != nil || n != 1 {
		t.Fatalf("CountSubjects after Migrate = %d, %v", n, err)
	}
	// Concurrent migrations (several nodes starting at once) all succeed.
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for range 4 {
		wg.Go(func() { errs <- m.Migrate(ctx(t)) })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("concurrent Migrate: %v", err)
		}
	}
}

func testTimes(t *testing.T, s credit.Store) {
	// Nanoseconds in a non-UTC zone: stored as UTC microseconds.
	at := time.Date(2025, 12, 31, 23, 59, 59, 987654321, chinatime.Location)
	old := time.Date(1949, 10, 1, 15, 0, 0, 1500, chinatime.Location) // before the Unix epoch
	subj := org("T", "时间测试")
	subj.RegisteredOn, subj.CreatedAt, subj.UpdatedAt = old, at, at
	mustPutSubject(t, s, subj)
	got, err := s.Subject(ctx(t), "T")
	if err != nil {
		t.Fatalf("Subject: %v", err)
	}
	for name, pair := range map[string][2]time.Time{
		"RegisteredOn": {got.RegisteredOn, old},
		"CreatedAt":    {got.CreatedAt, at},
		"UpdatedAt":    {got.UpdatedAt, at},
	} {
		g, w := pair[0], pair[1]
		if !g.Equal(w.Truncate(time.Microsecond)) || g.Location() != time.UTC || g.Nanosecond()%1000 != 0 {
			t.Errorf("%s = %v (%v), want %v in UTC", name, g, g.Location(), w.Truncate(time.Microsecond).UTC())
		}
	}
	r := rec("T", "t")
	r.DecidedOn, r.Received = old, at
	mustAppend(t, s, r)
	gr, err := s.Record(ctx(t), r.ID)
	if err != nil {
		t.Fatalf("Record: %v", err)
	}
	if gr.DecidedOn != norm(old) || gr.Received != norm(at) {
		t.Errorf("record times = %v, %v; want %v, %v", gr.DecidedOn, gr.Received, norm(old), norm(at))
	}
	// Zero times stay zero.
	z := rec("T", "z")
	z.DecidedOn, z.Received = time.Time{}, time.Time{}
	mustAppend(t, s, z)
	if gz, err := s.Record(ctx(t), z.ID); err != nil || !gz.DecidedOn.IsZero() || !gz.Received.IsZero() {
		t.Errorf("zero times: %+v, %v", gz, err)
	}
	// Audit Since compares instants, not wall clocks of different zones.
	e := credit.AuditEntry{At: at, Actor: "a", Action: "x", Outcome: "ok"}
	if err := s.AppendAudit(ctx(t), &e); err != nil {
		t.Fatalf("AppendAudit: %v", err)
	}
	if got, err := s.Audit(ctx(t), credit.AuditFilter{Since: at.UTC().Truncate(time.Microsecond)}); err != nil || len(got) != 1 || got[0].At != norm(at) {
		t.Errorf("Audit since exact instant = %+v, %v", got, err)
	}
	if got, err := s.Audit(ctx(t), credit.AuditFilter{Since: at.Add(time.Microsecond)}); err != nil || len(got) != 0 {
		t.Errorf("Audit since later instant = %+v, %v", got, err)
	}
}

func testChinese(t *testing.T, s credit.Store) {
	// CJK, an Extension B character (4-byte UTF-8), full-width punctuation,
	// an emoji and characters JSON and HTML treat specially.
	name := "𠀀龘（北京）信用服务有限公司·“测试” & <x> 😀"
	subj := org("91110000MA00000000", name, "旧名：甲乙丙丁", `引号"与\反斜杠`)
	subj.LegalRep, subj.Status = "欧阳𠮷", "吊销，未注销"
	mustPutSubject(t, s, subj)
	got, err := s.Subject(ctx(t), subj.ID)
	if err != nil {
		t.Fatalf("Subject: %v", err)
	}
	sameSubject(t, got, subj)
	if res, err := s.SubjectsByName(ctx(t), "（北京）", 5); err != nil || len(res) != 1 {
		t.Errorf("SubjectsByName full-width = %v, %v", res, err)
	}
	if res, err := s.SubjectsByName(ctx(t), `"与\`, 5); err != nil || len(res) != 1 {
		t.Errorf("SubjectsByName with quote and backslash = %v, %v", res, err)
	}
	r := rec(subj.ID, "京（2025）第𠀀号")
	r.Fields = credit.Fields{"处罚内容": "警告；罚款 5,000 元", "依据": "《中华人民共和国行政处罚法》第二十八条", "空": ""}
	r.Reason = "原因：😀"
	mustAppend(t, s, r)
	gr, err := s.Record(ctx(t), r.ID)
	if err != nil {
		t.Fatalf("Record: %v", err)
	}
	sameRecord(t, *gr, r)
	if l, err := s.LatestByDoc(ctx(t), r.Dept, r.Item, "京（2025）第𠀀号"); err != nil || l.ID != r.ID {
		t.Errorf("LatestByDoc with Chinese document number = %v, %v", l, err)
	}
}

func testConcurrent(t *testing.T, s credit.Store) {
	const writers, batches, per = 8, 5, 40
	for w := range writers {
		mustPutSubject(t, s, org(fmt.Sprintf("C%d", w), fmt.Sprintf("并发%d", w)))
	}
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		wg.Go(func() {
			subj := fmt.Sprintf("C%d", w)
			var last *credit.Record
			for b := range batches {
				recs := make([]credit.Record, 0, per)
				for i := range per {
					r := rec(subj, fmt.Sprintf("%d-%d-%d", w, b, i))
					if i == 0 && last != nil {
						r = follow(*last, credit.Correction, "并发更正")
					}
					recs = append(recs, r)
				}
				if err := s.AppendRecords(ctx(t), recs); err != nil {
					errs <- err
					return
				}
				last = &recs[len(recs)-1]
				// Reads interleave with other writers' transactions.
				if _, err := s.RecordsBySubject(ctx(t), subj); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("concurrent append: %v", err)
	}
	if n := count(t, s); n != writers*batches*per {
		t.Fatalf("CountRecords = %d, want %d", n, writers*batches*per)
	}
}

// BenchmarkAppendRecords measures AppendRecords with slices of 1000 records
// spread over 100 subjects, the shape of a bulk import batch.
func BenchmarkAppendRecords(b *testing.B, s credit.Store) {
	const subjects, size = 100, 1000
	c := b.Context()
	for i := range subjects {
		if err := s.PutSubject(c, org(fmt.Sprintf("B%03d", i), fmt.Sprintf("基准%d", i))); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	n := 0
	for b.Loop() {
		b.StopTimer()
		recs := make([]credit.Record, size)
		for i := range recs {
			recs[i] = rec(fmt.Sprintf("B%03d", i%subjects), fmt.Sprintf("doc-%d-%d", n, i))
		}
		n++
		b.StartTimer()
		if err := s.AppendRecords(c, recs); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n*size)/b.Elapsed().Seconds(), "records/s")
}

func testLoginFailures(t *testing.T, s credit.Store) {
	t0 := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	for i := range 4 {
		if err := s.AddLoginFailures(ctx(t), t0.Add(time.Duration(i)*time.Minute), "a:张三", "c:192.0.2.7"); err != nil {
			t.Fatalf("AddLoginFailures: %v", err)
		}
	}
	if err := s.AddLoginFailures(ctx(t), t0, "a:李四"); err != nil {
		t.Fatal(err)
	}
	keys, err := s.LoginFailureKeys(ctx(t), "a:", t0.Add(-time.Second), 2)
	if err != nil || !slices.Equal(keys, []string{"a:张三"}) {
		t.Fatalf("LoginFailureKeys(a:, at least 2) = %v, %v; want [a:张三]", keys, err)
	}
	if keys, _ := s.LoginFailureKeys(ctx(t), "a:", t0.Add(-time.Second), 1); !slices.Equal(keys, []string{"a:张三", "a:李四"}) {
		t.Fatalf("LoginFailureKeys(a:, at least 1) = %v", keys)
	}
	if keys, _ := s.LoginFailureKeys(ctx(t), "a:", t0.Add(2*time.Minute), 2); len(keys) != 0 {
		t.Fatalf("LoginFailureKeys(a:, after t0+2m, at least 2) = %v; want none", keys)
	}
	if keys, _ := s.LoginFailureKeys(ctx(t), "c:", t0.Add(-time.Second), 4); !slices.Equal(keys, []string{"c:192.0.2.7"}) {
		t.Fatalf("LoginFailureKeys(c:) = %v", keys)
	}
	got, err := s.LoginFailures(ctx(t), "a:张三", t0, 10) // after t0: three
	if err != nil || len(got) != 3 || !got[0].Equal(t0.Add(3*time.Minute)) || !got[2].Equal(t0.Add(time.Minute)) {
		t.Fatalf("LoginFailures(after t0) = %v, %v; want the last three, newest first", got, err)
	}
	if got, _ := s.LoginFailures(ctx(t), "c:192.0.2.7", t0.Add(-time.Second), 2); len(got) != 2 || !got[0].Equal(t0.Add(3*time.Minute)) {
		t.Fatalf("LoginFailures(limit 2) = %v", got)
	}
	if err := s.ClearLoginFailures(ctx(t), "a:张三"); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.LoginFailures(ctx(t), "a:张三", time.Time{}, 10); len(got) != 0 {
		t.Fatalf("after ClearLoginFailures: %v", got)
	}
	if got, _ := s.LoginFailures(ctx(t), "c:192.0.2.7", time.Time{}, 10); len(got) != 4 {
		t.Fatalf("clearing the account cleared the address: %v", got)
	}
	n, err := s.PruneLoginFailures(ctx(t), t0.Add(time.Minute))
	if err != nil || n != 3 { // the address's t0 and t0+1m, 李四's t0
		t.Fatalf("PruneLoginFailures = %d, %v; want 3", n, err)
	}
	if got, _ := s.LoginFailures(ctx(t), "c:192.0.2.7", time.Time{}, 10); len(got) != 2 {
		t.Fatalf("after pruning: %v", got)
	}
}

// testAccountLists: the administration console's lists of accounts (by
// name) and of an account's keys (newest first, revoked ones too), and a
// key by ID.
func testAccountLists(t *testing.T, s credit.Store) {
	base := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	for i, n := range []string{"zeta-system", "alpha-office", "mid-dept"} {
		if err := s.PutAccount(ctx(t), &credit.Account{ID: credit.NewID(), Name: n, Role: credit.RoleDept, Dept: "D1",
			Created: base.Add(time.Duration(i) * time.Hour)}); err != nil {
			t.Fatalf("PutAccount %s: %v", n, err)
		}
	}
	accs, err := s.Accounts(ctx(t))
	if err != nil {
		t.Fatalf("Accounts: %v", err)
	}
	var names []string
	for _, a := range accs {
		names = append(names, a.Name)
	}
	if !reflect.DeepEqual(names, []string{"alpha-office", "mid-dept", "zeta-system"}) {
		t.Fatalf("Accounts = %v, want by name", names)
	}
	owner, err := s.Account(ctx(t), "zeta-system")
	if err != nil {
		t.Fatal(err)
	}
	other, _ := s.Account(ctx(t), "alpha-office")
	k1 := &credit.APIKey{ID: credit.NewID(), AccountID: owner.ID, Hash: "list-h1", Prefix: "xy_k1", Created: base}
	k2 := &credit.APIKey{ID: credit.NewID(), AccountID: owner.ID, Hash: "list-h2", Prefix: "xy_k2", Created: base.Add(time.Hour)}
	k3 := &credit.APIKey{ID: credit.NewID(), AccountID: other.ID, Hash: "list-h3", Prefix: "xy_k3", Created: base}
	for _, k := range []*credit.APIKey{k1, k2, k3} {
		if err := s.PutAPIKey(ctx(t), k); err != nil {
			t.Fatalf("PutAPIKey: %v", err)
		}
	}
	k1.Revoked = true
	if err := s.PutAPIKey(ctx(t), k1); err != nil {
		t.Fatalf("PutAPIKey(revoke): %v", err)
	}
	ks, err := s.APIKeys(ctx(t), owner.ID)
	if err != nil {
		t.Fatalf("APIKeys: %v", err)
	}
	if len(ks) != 2 || ks[0].ID != k2.ID || ks[1].ID != k1.ID || !ks[1].Revoked || ks[0].Revoked || ks[0].Hash != "list-h2" {
		t.Fatalf("APIKeys = %+v, want k2 then k1 (revoked)", ks)
	}
	got, err := s.APIKey(ctx(t), k1.ID)
	if err != nil || !got.Revoked || got.AccountID != owner.ID || !got.Created.Equal(norm(base)) {
		t.Fatalf("APIKey = %+v, %v", got, err)
	}
	wantKind(t, "APIKey(unknown)", func() error { _, err := s.APIKey(ctx(t), "no-such-key"); return err }(), credit.NotFound)
	if ks, err := s.APIKeys(ctx(t), "no-such-account"); err != nil || len(ks) != 0 {
		t.Fatalf("APIKeys(unknown account) = %v, %v", ks, err)
	}
}

// testCatalogVersions: uploaded versions kept as uploaded, newest first;
// at most one active per file; activating another leaves the previous
// inactive and kept.
func testCatalogVersions(t *testing.T, s credit.Store) {
	base := time.Date(2026, 4, 1, 9, 0, 0, 0, time.UTC)
	mk := func(file, version string, at time.Time) *credit.CatalogVersion {
		v := &credit.CatalogVersion{ID: credit.NewID(), File: file, Version: version, SHA256: "h-" + version,
			Content: []byte(`{"version":"` + version + `"}`), UploadedBy: "admin", Uploaded: at}
		if err := s.AddCatalogVersion(ctx(t), v); err != nil {
			t.Fatalf("AddCatalogVersion: %v", err)
		}
		return v
	}
	m1 := mk("measures.json", "2026.1", base)
	m2 := mk("measures.json", "2026.2", base.Add(time.Hour))
	d1 := mk("departments.json", "2026.1", base.Add(2*time.Hour))
	all, err := s.CatalogVersions(ctx(t), "")
	if err != nil || len(all) != 3 || all[0].ID != d1.ID || all[2].ID != m1.ID || all[0].Content != nil {
		t.Fatalf("CatalogVersions(all) = %+v, %v", all, err)
	}
	ms, err := s.CatalogVersions(ctx(t), "measures.json")
	if err != nil || len(ms) != 2 || ms[0].ID != m2.ID || ms[0].Active {
		t.Fatalf("CatalogVersions(measures) = %+v, %v", ms, err)
	}
	if act, err := s.ActiveCatalogVersions(ctx(t)); err != nil || len(act) != 0 {
		t.Fatalf("active before activation = %+v, %v", act, err)
	}
	if err := s.ActivateCatalogVersion(ctx(t), m1.ID, "admin", base.Add(3*time.Hour)); err != nil {
		t.Fatalf("ActivateCatalogVersion: %v", err)
	}
	if err := s.ActivateCatalogVersion(ctx(t), m2.ID, "admin2", base.Add(4*time.Hour)); err != nil {
		t.Fatalf("ActivateCatalogVersion(2): %v", err)
	}
	if err := s.ActivateCatalogVersion(ctx(t), d1.ID, "admin", base.Add(5*time.Hour)); err != nil {
		t.Fatalf("ActivateCatalogVersion(dept): %v", err)
	}
	act, err := s.ActiveCatalogVersions(ctx(t))
	if err != nil || len(act) != 2 || act[0].ID != d1.ID || act[1].ID != m2.ID || string(act[1].Content) != `{"version":"2026.2"}` ||
		act[1].ActivatedBy != "admin2" || !act[1].Activated.Equal(base.Add(4*time.Hour)) {
		t.Fatalf("ActiveCatalogVersions = %+v, %v", act, err)
	}
	prev, err := s.CatalogVersion(ctx(t), m1.ID)
	if err != nil || prev.Active || string(prev.Content) != `{"version":"2026.1"}` || prev.ActivatedBy != "admin" {
		t.Fatalf("the previous version = %+v, %v", prev, err)
	}
	wantKind(t, "CatalogVersion(unknown)", func() error { _, err := s.CatalogVersion(ctx(t), "nope"); return err }(), credit.NotFound)
	wantKind(t, "ActivateCatalogVersion(unknown)", s.ActivateCatalogVersion(ctx(t), "nope", "admin", base), credit.NotFound)
}

// BenchmarkAppendChecks measures the checks log's writes in the shape a
// node's writer flushes them at 5 000 single-subject checks a second:
// 500 checks a flush, one in twenty returning three measures.
func BenchmarkAppendChecks(b *testing.B, s credit.Store) {
	const size = 500
	c := b.Context()
	at := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	n := 0
	for b.Loop() {
		b.StopTimer()
		checks := make([]credit.CheckLog, size)
		for i := range checks {
			ch := credit.CheckLog{ID: credit.NewID(), At: at, Caller: "采购系统", Dept: "FIN-350100", Matter: "government_procurement", Subjects: 1, Version: 42}
			if i%20 == 0 {
				subj := fmt.Sprintf("91350100M%09dY", n*size+i)
				for _, m := range []string{"m_procurement_ban", "m_subsidy_limit", "m_key_supervision"} {
					ch.Measures = append(ch.Measures, credit.CheckMeasure{SubjectID: subj, Measure: m, List: "court_defaulters", EntryID: credit.NewID()})
				}
			}
			checks[i] = ch
		}
		n++
		b.StartTimer()
		if err := s.AppendChecks(c, checks); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(b.Elapsed().Seconds()*1e6/float64(n*size), "µs/check")
}
