package storetest

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/xinyong/xinyong/internal/credit"
)

// fakeAppend appends leaves with a stand-in hashing (the tree's own is
// the tlog package's, tested there): the store checks indices and sizes
// and keeps what it is given.
func fakeAppend(kind string, refs ...string) credit.LogAppendFunc {
	return func(h credit.LogState) (*credit.LogAppend, error) {
		a := &credit.LogAppend{}
		root := h.Root
		for i, ref := range refs {
			sum := sha256.Sum256([]byte(ref))
			a.Leaves = append(a.Leaves, credit.LogLeaf{Index: h.Size + int64(i), Kind: kind, Ref: ref, Hash: sum[:], Data: []byte("data " + ref)})
			r := sha256.Sum256(append(append([]byte{}, root...), sum[:]...))
			root = r[:]
		}
		a.State = credit.LogState{Size: h.Size + int64(len(refs)), Root: root, Range: [][]byte{root}}
		if (h.Size+int64(len(refs)))/256 > h.Size/256 {
			a.Nodes = append(a.Nodes, credit.LogNode{Level: 8, Index: h.Size / 256, Hash: root})
		}
		return a, nil
	}
}

func testReports(t *testing.T, s credit.Store) {
	mustPutSubject(t, s, org("91350100M000100Y43", "福州示例科技有限公司"))
	t0 := time.Date(2026, 11, 20, 2, 0, 0, 0, time.UTC)
	r := &credit.Report{No: "XY20261120-AAAA", Kind: "public_credit", SubjectID: "91350100M000100Y43", Requester: "subj", Role: credit.RoleSubject,
		Purpose: "self_check", IssuedAt: t0, ValidUntil: t0.AddDate(0, 0, 30), KeyID: "k1", Digest: "sha256:00", Statement: `{"a":1}`,
		Signature: "c2ln", Envelope: "PIIB1|x"}
	if err := s.IssueReport(ctx(t), r, fakeAppend("report", r.No)); err != nil {
		t.Fatalf("IssueReport: %v", err)
	}
	if r.LeafIndex != 0 {
		t.Errorf("leaf index %d, want 0", r.LeafIndex)
	}
	got, err := s.Report(ctx(t), r.No)
	if err != nil {
		t.Fatal(err)
	}
	want := *r
	want.IssuedAt, want.ValidUntil = norm(want.IssuedAt), norm(want.ValidUntil)
	if !reflect.DeepEqual(*got, want) {
		t.Errorf("Report = %+v\nwant %+v", *got, want)
	}
	leaf, err := s.LogLeafByRef(ctx(t), "report", r.No)
	if err != nil || leaf.Index != 0 || string(leaf.Data) != "data "+r.No {
		t.Errorf("the report's leaf: %+v %v", leaf, err)
	}
	// A second report takes the next leaf; the number is unique.
	r2 := *r
	r2.No = "XY20261120-BBBB"
	if err := s.IssueReport(ctx(t), &r2, fakeAppend("report", r2.No)); err != nil || r2.LeafIndex != 1 {
		t.Fatalf("second report: %v, leaf %d", err, r2.LeafIndex)
	}
	dup := *r
	wantKind(t, "IssueReport(number taken)", s.IssueReport(ctx(t), &dup, fakeAppend("report", "dup")), credit.Exists)
	if head, _ := s.LogHead(ctx(t)); head.Size != 2 {
		t.Errorf("a refused report left its leaf: size %d", head.Size)
	}
	bad := *r
	bad.No, bad.SubjectID = "XY-C", "91350100MA00000000"
	wantKind(t, "IssueReport(unknown subject)", s.IssueReport(ctx(t), &bad, fakeAppend("report", "c")), credit.NotFound)

	list, err := s.Reports(ctx(t), credit.ReportFilter{SubjectID: r.SubjectID})
	if err != nil || len(list) != 2 || list[0].No != r2.No {
		t.Errorf("Reports(subject) = %v, %v", list, err)
	}
	if list, _ := s.Reports(ctx(t), credit.ReportFilter{Requester: "nobody"}); len(list) != 0 {
		t.Errorf("Reports(other requester) = %v", list)
	}
	rv := &credit.ReportRevocation{ReportNo: r.No, Actor: "admin", Reason: "出具有误", At: t0.Add(time.Hour)}
	if err := s.RevokeReport(ctx(t), rv); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Report(ctx(t), r.No); got.Revocation == nil || got.Revocation.Reason != "出具有误" || !got.Revocation.At.Equal(norm(rv.At)) {
		t.Errorf("revocation: %+v", got.Revocation)
	}
	wantKind(t, "RevokeReport(again)", s.RevokeReport(ctx(t), &credit.ReportRevocation{ReportNo: r.No, Actor: "admin", Reason: "x"}), credit.Exists)
	wantKind(t, "RevokeReport(unknown)", s.RevokeReport(ctx(t), &credit.ReportRevocation{ReportNo: "nope", Actor: "admin", Reason: "x"}), credit.NotFound)
	_, err = s.Report(ctx(t), "nope")
	wantKind(t, "Report(unknown)", err, credit.NotFound)

	// Issue and revocation are in the change feed.
	cs, err := s.ChangesSince(ctx(t), 0, 100, credit.ChangeReport)
	if err != nil || len(cs) != 3 || cs[0].Tag != "issued" || cs[2].Tag != "revoked" || cs[2].Ref != r.No {
		t.Errorf("report changes: %+v %v", cs, err)
	}
}

func testGrants(t *testing.T, s credit.Store) {
	mustPutSubject(t, s, org("91350100M000100Y43", "福州示例科技有限公司"))
	bank := &credit.Account{ID: credit.NewID(), Name: "bank", Display: "示范银行", Role: credit.RoleInstitution}
	if err := s.PutAccount(ctx(t), bank); err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 11, 20, 2, 0, 0, 0, time.UTC)
	g := &credit.Grant{ID: credit.NewID(), SubjectID: "91350100M000100Y43", Recipient: bank.ID, Purpose: "credit_approval",
		ScopeKind: credit.ScopeReports, Scope: []string{"authorised", "indicators"}, ValidFrom: t0, ValidUntil: t0.AddDate(0, 3, 0),
		MaxUses: 2, Created: t0, CreatedBy: "subj"}
	if err := s.PutGrant(ctx(t), g); err != nil {
		t.Fatal(err)
	}
	got, err := s.Grant(ctx(t), g.ID)
	if err != nil || got.RecipientName != "bank" || !reflect.DeepEqual(got.Scope, g.Scope) || got.Uses != 0 || got.Revoked() {
		t.Fatalf("Grant = %+v, %v", got, err)
	}
	wantKind(t, "PutGrant(unknown recipient)", s.PutGrant(ctx(t), &credit.Grant{ID: credit.NewID(), SubjectID: g.SubjectID, Recipient: "nobody",
		Purpose: "x", ScopeKind: credit.ScopeItems, Scope: []string{"admin_penalty"}, MaxUses: 1, ValidUntil: t0}), credit.NotFound)

	// Uses: only in the validity, only up to the number, one at a time.
	if _, err := s.UseGrant(ctx(t), g.ID, t0.Add(-time.Minute)); !credit.Is(credit.Conflict, err) {
		t.Errorf("use before the validity: %v", err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 5)
	for range 5 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := s.UseGrant(ctx(t), g.ID, t0.Add(time.Hour))
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	ok := 0
	for err := range errs {
		if err == nil {
			ok++
		} else if !credit.Is(credit.Conflict, err) {
			t.Errorf("concurrent use: %v", err)
		}
	}
	if ok != 2 {
		t.Errorf("%d uses of a grant of 2 succeeded", ok)
	}
	if got, _ := s.Grant(ctx(t), g.ID); got.Uses != 2 {
		t.Errorf("uses %d", got.Uses)
	}
	g2 := *g
	g2.ID = credit.NewID()
	if err := s.PutGrant(ctx(t), &g2); err != nil {
		t.Fatal(err)
	}
	if _, err := s.UseGrant(ctx(t), g2.ID, t0.AddDate(0, 3, 0)); !credit.Is(credit.Conflict, err) {
		t.Errorf("use at the end of the validity: %v", err)
	}
	if err := s.RevokeGrant(ctx(t), g2.ID, "subj", "不再需要", t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	wantKind(t, "RevokeGrant(again)", s.RevokeGrant(ctx(t), g2.ID, "subj", "x", t0), credit.Conflict)
	wantKind(t, "RevokeGrant(unknown)", s.RevokeGrant(ctx(t), "nope", "subj", "x", t0), credit.NotFound)
	if g, err := s.UseGrant(ctx(t), g2.ID, t0.Add(2*time.Hour)); !credit.Is(credit.Conflict, err) || g == nil || !g.Revoked() || g.RevokeReason != "不再需要" {
		t.Errorf("use of a revoked grant: %+v %v", g, err)
	}
	bySubj, err := s.Grants(ctx(t), credit.GrantFilter{SubjectID: g.SubjectID})
	if err != nil || len(bySubj) != 2 {
		t.Errorf("Grants(subject) = %d, %v", len(bySubj), err)
	}
	if byBank, _ := s.Grants(ctx(t), credit.GrantFilter{Recipient: bank.ID}); len(byBank) != 2 {
		t.Errorf("Grants(recipient) = %d", len(byBank))
	}
	cs, _ := s.ChangesSince(ctx(t), 0, 100, credit.ChangeGrant)
	if len(cs) != 3 || cs[2].Tag != "revoked" {
		t.Errorf("grant changes: %+v", cs)
	}
}

func testSigningKeys(t *testing.T, s credit.Store) {
	t0 := time.Date(2026, 11, 20, 2, 0, 0, 0, time.UTC)
	k1 := credit.SigningKey{ID: "k1", Public: bytes.Repeat([]byte{1}, 32), Created: t0}
	k2 := credit.SigningKey{ID: "k2", Public: bytes.Repeat([]byte{2}, 32), Created: t0.Add(time.Hour)}
	for _, k := range []credit.SigningKey{k2, k1} {
		if err := s.AddSigningKey(ctx(t), k); err != nil {
			t.Fatal(err)
		}
	}
	wantKind(t, "AddSigningKey(again)", s.AddSigningKey(ctx(t), k1), credit.Exists)
	if err := s.RetireSigningKey(ctx(t), "k1", t0.Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	wantKind(t, "RetireSigningKey(unknown)", s.RetireSigningKey(ctx(t), "k9", t0), credit.NotFound)
	ks, err := s.SigningKeys(ctx(t))
	if err != nil || len(ks) != 2 || ks[0].ID != "k1" || !ks[0].Retired.Equal(t0.Add(2*time.Hour)) || !ks[1].Retired.IsZero() || !bytes.Equal(ks[1].Public, k2.Public) {
		t.Errorf("SigningKeys = %+v, %v", ks, err)
	}
}

func testLog(t *testing.T, s credit.Store) {
	head, err := s.LogHead(ctx(t))
	if err != nil || head.Size != 0 || head.Root != nil {
		t.Fatalf("empty head %+v %v", head, err)
	}
	var refs []string
	for i := range 300 {
		refs = append(refs, fmt.Sprint(i))
	}
	if err := s.AppendLog(ctx(t), &credit.FeedMove{Name: "tlog", From: -1, To: 7}, fakeAppend("fact", refs...)); err != nil {
		t.Fatal(err)
	}
	if pos, ok, _ := s.FeedCursor(ctx(t), "tlog"); !ok || pos != 7 {
		t.Errorf("cursor %d %v", pos, ok)
	}
	// A stale cursor refuses the whole append.
	wantKind(t, "AppendLog(stale cursor)", s.AppendLog(ctx(t), &credit.FeedMove{Name: "tlog", From: 3, To: 9}, fakeAppend("fact", "x")), credit.Conflict)
	if head, _ := s.LogHead(ctx(t)); head.Size != 300 {
		t.Errorf("size after a refused append %d", head.Size)
	}
	// A bad append (indices that do not follow the head) is refused.
	wantKind(t, "AppendLog(bad index)", s.AppendLog(ctx(t), nil, func(h credit.LogState) (*credit.LogAppend, error) {
		a, _ := fakeAppend("fact", "y")(h)
		a.Leaves[0].Index = 5
		return a, nil
	}), credit.Invalid)
	hs, err := s.LogLeafHashes(ctx(t), 250, 310)
	if err != nil || len(hs) != 50 {
		t.Errorf("LogLeafHashes = %d, %v", len(hs), err)
	}
	ns, err := s.LogNodes(ctx(t), 8, 0, 4)
	if err != nil || len(ns) != 1 {
		t.Errorf("LogNodes = %d, %v", len(ns), err)
	}
	rs, err := s.LogRanges(ctx(t), []credit.LogRange{{Level: 0, From: 290, To: 310}, {Level: 8, From: 0, To: 4}, {Level: 0, From: 0, To: 3}})
	if err != nil || len(rs) != 3 || len(rs[0]) != 10 || len(rs[1]) != 1 || len(rs[2]) != 3 || len(rs[2][1]) != 32 {
		t.Errorf("LogRanges = %d ranges, %v", len(rs), err)
	}
	if l, err := s.LogLeaf(ctx(t), 299); err != nil || l.Ref != "299" {
		t.Errorf("LogLeaf = %+v %v", l, err)
	}
	_, err = s.LogLeaf(ctx(t), 300)
	wantKind(t, "LogLeaf(beyond)", err, credit.NotFound)
	_, err = s.Checkpoint(ctx(t), -1)
	wantKind(t, "Checkpoint(none)", err, credit.NotFound)
	for _, size := range []int64{100, 300, 100} {
		if err := s.PutCheckpoint(ctx(t), credit.LogCheckpoint{Size: size, Root: []byte{byte(size)}, Note: fmt.Sprint("note ", size)}); err != nil {
			t.Fatal(err)
		}
	}
	if c, err := s.Checkpoint(ctx(t), -1); err != nil || c.Size != 300 {
		t.Errorf("newest checkpoint %+v %v", c, err)
	}
	if c, err := s.Checkpoint(ctx(t), 100); err != nil || c.Note != "note 100" {
		t.Errorf("checkpoint 100 %+v %v", c, err)
	}
}

func testAuditSubject(t *testing.T, s credit.Store) {
	t0 := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	for i, e := range []credit.AuditEntry{
		{Actor: "bank", Role: credit.RoleInstitution, Action: "report.issue", Target: "/api/v1/reports", Subject: "S1", Grant: "G1", Basis: "grant"},
		{Actor: "dept", Role: credit.RoleDept, Action: "subject.records.read", Target: "S1"},
		{Actor: "dept", Role: credit.RoleDept, Action: "subject.records.read", Target: "S2", Subject: "S2"},
	} {
		e.At, e.Outcome = t0.Add(time.Duration(i)*time.Minute), "ok"
		if err := s.AppendAudit(ctx(t), &e); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.Audit(ctx(t), credit.AuditFilter{Subject: "S1"})
	if err != nil || len(got) != 2 || got[1].Grant != "G1" || got[1].Basis != "grant" || got[1].Subject != "S1" {
		t.Errorf("Audit(subject S1) = %+v, %v", got, err)
	}
}
