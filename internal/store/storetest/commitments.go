package storetest

import (
	"bytes"
	"testing"
	"time"

	"github.com/xinyong/xinyong/internal/chinatime"
	"github.com/xinyong/xinyong/internal/credit"
)

// testCommitments covers commitments with their events, the queue order,
// counts, eligibility answers, declarations, files, and their feed
// entries.
func testCommitments(t *testing.T, s credit.Store) {
	c := ctx(t)
	t0 := time.Date(2026, 11, 20, 2, 0, 0, 0, time.UTC)
	day := func(m time.Month, d int) time.Time { return time.Date(2026, m, d, 0, 0, 0, 0, chinatime.Location) }
	head0, err := s.ChangeHead(c)
	if err != nil {
		t.Fatal(err)
	}

	mk := func(code, subj, matter, unit string, due time.Time) *credit.Commitment {
		cm := &credit.Commitment{Code: code, SubjectID: subj, Matter: matter, Kind: "rongque", Unit: unit, RecordID: "R-" + code,
			State: "due", Open: true, SignedOn: day(11, 20), Due: due,
			Detail: credit.CommitmentDetail{Signer: "张三", SignerRole: "法定代表人", Channel: "counter", Materials: []string{"环评批复", "消防验收意见"},
				Promise: "于期限内补齐材料", Consequences: "撤销审批", Disclosure: "可向社会公开", RevokesApproval: true}}
		ev := &credit.TrackEvent{Action: "sign", Actor: "biz", Role: credit.RoleBusiness, At: t0, Data: map[string]string{"channel": "counter"}}
		if err := s.CreateCommitment(c, cm, ev); err != nil {
			t.Fatalf("CreateCommitment: %v", err)
		}
		if cm.ID == "" || cm.Seq != 1 || ev.Seq != 1 || ev.Of != cm.ID || ev.State != "due" || cm.Created.IsZero() {
			t.Fatalf("after create: %+v %+v", cm, ev)
		}
		return cm
	}
	a := mk("350100202611200000A1", "S1", "licence_approval", "SAMR-350100", day(12, 4))
	b := mk("350100202611200000B2", "S1", "project_approval", "SAMR-350100", day(11, 27))
	_ = mk("350100202611200000C3", "S2", "licence_approval", "TAX-350100", time.Time{})

	// A code is unique.
	dup := &credit.Commitment{Code: a.Code, SubjectID: "S3", Matter: "m", Kind: "k", Unit: "u", State: "due", Open: true, SignedOn: day(11, 20)}
	if err := s.CreateCommitment(c, dup, &credit.TrackEvent{Action: "sign", Actor: "x", At: t0}); !credit.Is(credit.Exists, err) {
		t.Errorf("duplicate code: %v", err)
	}
	if err := s.CreateCommitment(c, &credit.Commitment{Code: "x"}, &credit.TrackEvent{}); !credit.Is(credit.Invalid, err) {
		t.Errorf("incomplete commitment: %v", err)
	}

	got, err := s.Commitment(c, a.ID)
	if err != nil || got.Code != a.Code || !got.Due.Equal(day(12, 4)) || !got.SignedOn.Equal(day(11, 20)) || !got.Open ||
		len(got.Detail.Materials) != 2 || got.Detail.Materials[1] != "消防验收意见" || !got.Detail.RevokesApproval {
		t.Fatalf("Commitment: %+v %v", got, err)
	}
	if _, err := s.Commitment(c, "nope"); !credit.Is(credit.NotFound, err) {
		t.Errorf("unknown commitment: %v", err)
	}

	// The queue: a unit's open commitments, earliest due first, those
	// without a due date last.
	q, err := s.Commitments(c, credit.CommitmentFilter{Unit: "SAMR-350100", OpenOnly: true})
	if err != nil || len(q) != 2 || q[0].ID != b.ID || q[1].ID != a.ID {
		t.Fatalf("queue: %+v %v", q, err)
	}
	all, err := s.Commitments(c, credit.CommitmentFilter{})
	if err != nil || len(all) != 3 || all[2].Due.IsZero() == false {
		t.Fatalf("all: %+v %v", all, err)
	}
	if due, err := s.Commitments(c, credit.CommitmentFilter{DueBy: day(11, 30)}); err != nil || len(due) != 1 || due[0].ID != b.ID {
		t.Errorf("due by: %+v %v", due, err)
	}
	if m, err := s.Commitments(c, credit.CommitmentFilter{SubjectID: "S1", Matter: "licence_approval"}); err != nil || len(m) != 1 || m[0].ID != a.ID {
		t.Errorf("by subject and matter: %+v %v", m, err)
	}

	// Advance: overdue, then broken; a stale copy is refused.
	stale := *b
	b.State, b.DecideBy = "overdue", day(12, 4)
	if err := s.AdvanceCommitment(c, b, &credit.TrackEvent{Action: "overdue", Actor: "platform", Role: credit.RoleAdmin, At: t0.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if b.Seq != 2 {
		t.Errorf("seq %d", b.Seq)
	}
	stale.State, stale.Open = "fulfilled", false
	if err := s.AdvanceCommitment(c, &stale, &credit.TrackEvent{Action: "fulfil", Actor: "u", At: t0.Add(2 * time.Hour)}); !credit.Is(credit.Conflict, err) || credit.Chinese(err) == "" {
		t.Errorf("stale advance: %v", err)
	}
	b.State, b.Open, b.Approval = "broken", false, "榕市监许〔2026〕9号"
	if err := s.AdvanceCommitment(c, b, &credit.TrackEvent{Action: "break", Actor: "u", Role: credit.RoleDept, At: t0.Add(3 * time.Hour),
		Reason: "逾期未补齐", Data: map[string]string{"doc_no": "榕市监违诺〔2026〕1号"}}); err != nil {
		t.Fatal(err)
	}
	got, _ = s.Commitment(c, b.ID)
	if got.State != "broken" || got.Open || got.Seq != 3 || got.Approval != "榕市监许〔2026〕9号" || !got.DecideBy.Equal(day(12, 4)) {
		t.Errorf("after break: %+v", got)
	}
	evs, err := s.TrackEvents(c, b.ID)
	if err != nil || len(evs) != 3 || evs[0].Action != "sign" || evs[2].Data["doc_no"] != "榕市监违诺〔2026〕1号" || evs[2].State != "broken" || evs[1].Seq != 2 {
		t.Fatalf("events: %+v %v", evs, err)
	}
	if err := s.AdvanceCommitment(c, &credit.Commitment{ID: "nope", State: "x", Seq: 1}, &credit.TrackEvent{Action: "x"}); !credit.Is(credit.NotFound, err) {
		t.Errorf("advance unknown: %v", err)
	}

	// Counts by matter, unit and state, of those signed since a date.
	counts, err := s.CommitmentCounts(c, day(11, 1))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{"licence_approval/SAMR-350100/due": 1, "project_approval/SAMR-350100/broken": 1, "licence_approval/TAX-350100/due": 1}
	if len(counts) != len(want) {
		t.Errorf("counts: %+v", counts)
	}
	for _, n := range counts {
		if want[n.Matter+"/"+n.Unit+"/"+n.State] != n.N {
			t.Errorf("count %+v", n)
		}
	}
	if counts, err := s.CommitmentCounts(c, day(11, 21)); err != nil || len(counts) != 0 {
		t.Errorf("counts since later: %+v %v", counts, err)
	}

	// Eligibility answers are kept as given.
	e := &credit.EligibilityCheck{SubjectID: "S1", Matter: "licence_approval", Actor: "biz", Role: credit.RoleBusiness, Dept: "FIN-350100",
		At: t0, Eligible: false, Answer: []byte(`{"reasons":[{"code":"serious_record"}]}`)}
	if err := s.AppendEligibility(c, e); err != nil || e.ID == "" {
		t.Fatal(err)
	}
	ge, err := s.Eligibility(c, e.ID)
	if err != nil || ge.Eligible || ge.Dept != "FIN-350100" || !bytes.Equal(ge.Answer, e.Answer) || !ge.At.Equal(t0) || ge.Role != credit.RoleBusiness {
		t.Errorf("Eligibility: %+v %v", ge, err)
	}
	if _, err := s.Eligibility(c, "nope"); !credit.Is(credit.NotFound, err) {
		t.Errorf("unknown answer: %v", err)
	}

	// Declarations.
	d := &credit.Declaration{SubjectID: "S1", Kind: "honour", Issuer: "SAMR-350100", Title: "守合同重信用企业", Number: "榕市监〔2025〕8号",
		IssuedOn: day(3, 1), Description: "连续三年", State: "pending"}
	if err := s.CreateDeclaration(c, d, &credit.TrackEvent{Action: "declare", Actor: "subj", Role: credit.RoleSubject, At: t0}); err != nil {
		t.Fatal(err)
	}
	d2 := &credit.Declaration{SubjectID: "S2", Kind: "contribution", Issuer: "TAX-350100", Title: "捐资助学", State: "pending"}
	if err := s.CreateDeclaration(c, d2, &credit.TrackEvent{Action: "declare", Actor: "subj2", At: t0}); err != nil {
		t.Fatal(err)
	}
	d.State, d.RecordID = "confirmed", "REC-1"
	if err := s.AdvanceDeclaration(c, d, &credit.TrackEvent{Action: "confirm", Actor: "u", Role: credit.RoleDept, At: t0.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	gd, err := s.Declaration(c, d.ID)
	if err != nil || gd.State != "confirmed" || gd.RecordID != "REC-1" || gd.Seq != 2 || !gd.IssuedOn.Equal(day(3, 1)) || !gd.ValidUntil.IsZero() || gd.Title != "守合同重信用企业" {
		t.Errorf("Declaration: %+v %v", gd, err)
	}
	if ds, err := s.Declarations(c, credit.DeclarationFilter{Issuer: "SAMR-350100", States: []string{"pending"}}); err != nil || len(ds) != 0 {
		t.Errorf("pending for the issuer: %+v %v", ds, err)
	}
	if ds, err := s.Declarations(c, credit.DeclarationFilter{States: []string{"pending", "confirmed"}}); err != nil || len(ds) != 2 || ds[0].ID != d.ID {
		t.Errorf("declarations: %+v %v", ds, err)
	}
	stale2 := *d2
	d2.State, d2.Reason = "rejected", "无此记录"
	if err := s.AdvanceDeclaration(c, d2, &credit.TrackEvent{Action: "reject", Actor: "u2", At: t0.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	stale2.State = "confirmed"
	if err := s.AdvanceDeclaration(c, &stale2, &credit.TrackEvent{Action: "confirm", Actor: "u2", At: t0.Add(time.Hour)}); !credit.Is(credit.Conflict, err) {
		t.Errorf("stale declaration step: %v", err)
	}

	// Files belong to a commitment or a declaration that exists.
	f := &credit.OwnedFile{Of: a.ID, Name: "承诺书.pdf", ContentType: "application/pdf", SHA256: "ab", Body: []byte("%PDF-1.4"), UploadedBy: "biz"}
	if err := s.PutOwnedFile(c, f); err != nil || f.Size != 8 {
		t.Fatalf("PutOwnedFile: %v", err)
	}
	if err := s.PutOwnedFile(c, &credit.OwnedFile{Of: d.ID, Name: "证书.png", ContentType: "image/png", SHA256: "cd", Body: []byte{1}}); err != nil {
		t.Fatal(err)
	}
	if err := s.PutOwnedFile(c, &credit.OwnedFile{Of: "nope", Name: "x", SHA256: "x", Body: []byte{1}}); !credit.Is(credit.NotFound, err) {
		t.Errorf("file of nothing: %v", err)
	}
	fs, err := s.OwnedFiles(c, a.ID)
	if err != nil || len(fs) != 1 || fs[0].Body != nil || fs[0].Name != "承诺书.pdf" {
		t.Errorf("OwnedFiles: %+v %v", fs, err)
	}
	gf, err := s.OwnedFile(c, f.ID)
	if err != nil || string(gf.Body) != "%PDF-1.4" || gf.Of != a.ID {
		t.Errorf("OwnedFile: %+v %v", gf, err)
	}

	// Every step is in the change feed, with its subject and state.
	chs, err := s.ChangesSince(c, head0, 0, credit.ChangeCommitment, credit.ChangeDeclaration)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, ch := range chs {
		kinds = append(kinds, string(ch.Kind)+":"+ch.Tag)
	}
	wantKinds := "commitment:due commitment:due commitment:due commitment:overdue commitment:broken declaration:pending declaration:pending declaration:confirmed declaration:rejected"
	if got := joinSpace(kinds); got != wantKinds {
		t.Errorf("feed:\n%s\nwant\n%s", got, wantKinds)
	}
	if chs[4].Ref != b.ID || chs[4].SubjectID != "S1" {
		t.Errorf("feed entry %+v", chs[4])
	}
}

func joinSpace(ss []string) string {
	var b bytes.Buffer
	for i, s := range ss {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(s)
	}
	return b.String()
}
