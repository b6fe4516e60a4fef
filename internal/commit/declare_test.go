package commit_test

import (
	"bytes"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/xinyong/xinyong/internal/apptest"
	"github.com/xinyong/xinyong/internal/chinatime"
	"github.com/xinyong/xinyong/internal/commit"
	"github.com/xinyong/xinyong/internal/credit"
)

var pdf = []byte("%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")

// TestDeclarations: a subject declares an honour and a social
// contribution with attachments; only the issuer it names confirms or
// rejects; a confirmed honour becomes an official record of the honour
// item reported by the issuer, while the declaration keeps its history;
// a contribution, which no catalogue item holds, is verified and stays
// self-declared; the public sees pending and verified declarations only,
// never a person's.
func TestDeclarations(t *testing.T) {
	f := newFixture(t, apptest.SQLite)
	ctx, svc := f.ctx, f.svc
	subj := f.org("福州守信食品有限公司", '1')
	me := subjectActor(subj)
	day := func(s string) time.Time {
		d, err := time.ParseInLocation(time.DateOnly, s, chinatime.Location)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	honour := commit.Declaring{SubjectID: subj, Kind: "honour", Issuer: samr, Title: "守合同重信用企业", Number: "榕市监〔2025〕18号",
		IssuedOn: day("2025-06-01"), ValidUntil: day("2027-05-31"), Description: "连续两年", Accepted: true}

	// Refusals: only the subject itself, with its commitment to the truth,
	// naming a department of the catalogue.
	for _, tt := range []struct {
		name string
		a    credit.Actor
		in   func(*commit.Declaring)
		kind credit.Kind
	}{
		{"another subject", subjectActor("91350100M000100Y43"), func(*commit.Declaring) {}, credit.Permission},
		{"a department", officer, func(*commit.Declaring) {}, credit.Permission},
		{"no commitment to the truth", me, func(d *commit.Declaring) { d.Accepted = false }, credit.Invalid},
		{"an unknown issuer", me, func(d *commit.Declaring) { d.Issuer = "NOWHERE" }, credit.Invalid},
		{"an unknown kind", me, func(d *commit.Declaring) { d.Kind = "fame" }, credit.Invalid},
		{"an honour without its number", me, func(d *commit.Declaring) { d.Number = "" }, credit.Invalid},
		{"issued in the future", me, func(d *commit.Declaring) { d.IssuedOn = day("2027-01-01") }, credit.Invalid},
	} {
		in := honour
		tt.in(&in)
		if _, err := svc.Declare(ctx, tt.a, in); !credit.Is(tt.kind, err) || credit.Chinese(err) == "" {
			t.Errorf("%s: %v", tt.name, err)
		}
	}

	d, err := svc.Declare(ctx, me, honour)
	if err != nil || d.State != commit.DeclPending {
		t.Fatalf("declare: %+v %v", d, err)
	}
	if _, err := svc.AddFile(ctx, me, d.ID, "证书.pdf", "application/pdf", pdf); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.AddFile(ctx, me, d.ID, "证书.exe", "", []byte("MZ\x90\x00")); !credit.Is(credit.Invalid, err) {
		t.Errorf("an executable attached: %v", err)
	}
	if _, err := svc.AddFile(ctx, subjectActor("91350100M000100Y43"), d.ID, "x.pdf", "", pdf); !credit.Is(credit.Permission, err) {
		t.Errorf("another subject's file: %v", err)
	}
	contrib, err := svc.Declare(ctx, me, commit.Declaring{SubjectID: subj, Kind: "contribution", Issuer: "CREDIT-350100", Title: "捐建乡村图书室",
		Description: "2025年捐资20万元", Accepted: true})
	if err != nil {
		t.Fatal(err)
	}
	wrong, err := svc.Declare(ctx, me, commit.Declaring{SubjectID: subj, Kind: "honour", Issuer: samr, Title: "质量标杆企业", Number: "榕市监〔2024〕9号",
		IssuedOn: day("2024-03-01"), Accepted: true})
	if err != nil {
		t.Fatal(err)
	}
	s, _ := f.env.Store.Subject(ctx, subj)
	if pub, err := svc.PublicDeclarations(ctx, s); err != nil || len(pub) != 3 {
		t.Errorf("public before checks: %+v %v", pub, err)
	}

	// Only the issuer named checks.
	if _, err := svc.Confirm(ctx, other, d.ID, "", ""); !credit.Is(credit.Permission, err) {
		t.Errorf("another department confirming: %v", err)
	} else if code, ok := commit.Refused(err); !ok || code != commit.RefusedNotIssuer {
		t.Errorf("not marked a refusal: %v", err)
	}
	if _, err := svc.Reject(ctx, officer, wrong.ID, ""); !credit.Is(credit.Invalid, err) {
		t.Errorf("a rejection without reason: %v", err)
	}
	if _, err := svc.Reject(ctx, officer, wrong.ID, "本局未授予该荣誉"); err != nil {
		t.Fatal(err)
	}
	cd, err := svc.Confirm(ctx, officer, d.ID, authority, "与本局表彰文件一致")
	if err != nil {
		t.Fatal(err)
	}
	if cd.State != commit.DeclConfirmed || cd.RecordID == "" {
		t.Fatalf("confirmed %+v", cd)
	}
	rec, err := f.env.Store.Record(ctx, cd.RecordID)
	if err != nil || rec.Item != "honour" || rec.Dept != samr || rec.DocNo != "榕市监〔2025〕18号" || rec.Fields["ry_rymc"] != "守合同重信用企业" ||
		rec.Fields["ry_shxym"] != subj || rec.Fields["ry_jg"] != "福州市市场监督管理局" || rec.Fields["ry_jgdm"] != authority || rec.Fields["ry_yxqzi"] != "2027-05-31" {
		t.Fatalf("record %+v %v", rec, err)
	}
	if _, err := svc.Confirm(ctx, officer, d.ID, "", ""); !credit.Is(credit.Conflict, err) {
		t.Errorf("confirming twice: %v", err)
	}
	if _, err := svc.AddFile(ctx, me, d.ID, "y.pdf", "", pdf); !credit.Is(credit.Conflict, err) {
		t.Errorf("a file after confirmation: %v", err)
	}
	evs, _ := svc.Events(ctx, d.ID)
	if len(evs) != 2 || evs[0].Action != "declare" || evs[1].Action != "confirm" || evs[1].Data["record"] != cd.RecordID || evs[0].Data["commitment"] == "" {
		t.Errorf("history %+v", evs)
	}
	vd, err := svc.Confirm(ctx, credit.Actor{Name: "co", Role: credit.RoleDept, Dept: "CREDIT-350100"}, contrib.ID, "", "")
	if err != nil || vd.State != commit.DeclVerified || vd.RecordID != "" {
		t.Fatalf("verified %+v %v", vd, err)
	}
	pub, _ := svc.PublicDeclarations(ctx, s)
	if len(pub) != 1 || pub[0].ID != contrib.ID {
		t.Errorf("public after checks: %+v", pub)
	}
	mine, _ := svc.Declarations(ctx, subj, "")
	var states []string
	for _, x := range mine {
		states = append(states, x.State)
	}
	if strings.Join(states, " ") != "confirmed verified rejected" {
		t.Errorf("the subject's own: %v", states)
	}
	if _, err := svc.Withdraw(ctx, me, wrong.ID); !credit.Is(credit.Conflict, err) {
		t.Errorf("withdrawing a rejected one: %v", err)
	}
	// A natural person's declarations are never public.
	p, err := f.env.Records.PutPerson(ctx, "王小明", "11010519491231002X")
	if err != nil {
		t.Fatal(err)
	}
	pd, err := svc.Declare(ctx, subjectActor(p.ID), commit.Declaring{SubjectID: p.ID, Kind: "contribution", Issuer: "CREDIT-350100", Title: "无偿献血", Accepted: true})
	if err != nil {
		t.Fatal(err)
	}
	if pub, _ := svc.PublicDeclarations(ctx, p); len(pub) != 0 {
		t.Errorf("a person's declarations public: %+v", pub)
	}
	if _, err := svc.Withdraw(ctx, subjectActor(p.ID), pd.ID); err != nil {
		t.Errorf("withdraw: %v", err)
	}
}

// TestStats: counts by matter and unit, their sums, and the workbook.
func TestStats(t *testing.T) {
	f := newFixture(t, apptest.SQLite)
	ctx, svc := f.ctx, f.svc
	var ids []string
	for i, n := range []string{"福州甲科技有限公司", "福州乙科技有限公司", "福州丙科技有限公司"} {
		subj := f.org(n, '1')
		c, _, err := svc.Sign(ctx, counter, rongque(subj))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, c.ID)
		if i == 0 {
			if _, err := svc.Fulfil(ctx, counter, c.ID, "材料已补齐"); err != nil {
				t.Fatal(err)
			}
		}
	}
	vol := f.org("福州丁科技有限公司", '1')
	if _, _, err := svc.Sign(ctx, subjectActor(vol), commit.Signing{SubjectID: vol, Matter: "credit_publicity", Kind: "voluntary", Unit: "CREDIT-350100", Accepted: true}); err != nil {
		t.Fatal(err)
	}
	f.env.Clock.Advance(20 * 24 * time.Hour)
	if _, err := svc.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Break(ctx, officer, ids[1], commit.Breach{DocNo: "榕市监违诺〔2026〕9号", Reason: "逾期未补交", Finding: commit.FindingPartial}); err != nil {
		t.Fatal(err)
	}
	stats, err := svc.Stats(ctx, time.Time{}, "")
	if err != nil {
		t.Fatal(err)
	}
	want := []commit.Stat{
		{Matter: "credit_publicity", Unit: "CREDIT-350100", Signed: 1, Pending: 1},
		{Matter: "licence_approval", Unit: samr, Signed: 3, Fulfilled: 1, Overdue: 1, Broken: 1},
	}
	if !slices.Equal(stats, want) {
		t.Fatalf("stats\n%+v\nwant\n%+v", stats, want)
	}
	if r := stats[1].Rate(); r != 0.5 {
		t.Errorf("rate %v", r)
	}
	if own, _ := svc.Stats(ctx, time.Time{}, samr); len(own) != 1 || own[0].Unit != samr {
		t.Errorf("a unit's own: %+v", own)
	}
	if tot := commit.Total(stats); tot.Signed != 4 || tot.Pending != 1 {
		t.Errorf("total %+v", tot)
	}
	b, err := commit.XLSX(stats, time.Time{}, func(code string) string {
		return map[string]string{samr: "福州市市场监督管理局", "licence_approval": "行政许可审批"}[code]
	})
	if err != nil {
		t.Fatal(err)
	}
	x, err := excelize.OpenReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if got := x.GetSheetList(); !slices.Equal(got, []string{"按事项和单位", "按事项", "按单位"}) {
		t.Errorf("sheets %v", got)
	}
	rows, _ := x.GetRows("按事项和单位")
	if len(rows) != 5 || rows[1][0] != "事项" || rows[3][0] != "行政许可审批" || rows[3][2] != "福州市市场监督管理局" || rows[3][4] != "3" || rows[3][9] != "50" || rows[4][0] != "合计" || rows[4][4] != "4" {
		t.Errorf("rows %q", rows)
	}
	units, _ := x.GetRows("按单位")
	if len(units) != 5 {
		t.Errorf("by unit %q", units)
	}
}
