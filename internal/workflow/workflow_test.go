package workflow_test

import (
	"context"
	"errors"
	"log/slog"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode"

	"github.com/xinyong/xinyong/internal/apptest"
	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/chinatime"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/publish"
	"github.com/xinyong/xinyong/internal/records"
	"github.com/xinyong/xinyong/internal/uscc"
	"github.com/xinyong/xinyong/internal/workflow"
)

// clock is a movable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time       { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time)      { c.mu.Lock(); c.t = t; c.mu.Unlock() }
func (c *clock) Move(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// sanctionStandIn is the part of the sanction store the workflow talks to,
// with a hit check that honours verification marks and removals: it stands
// in until feat/sanction is merged and its store is wired instead.
type sanctionStandIn struct {
	mu        sync.Mutex
	entries   map[string]string // record ID (origin) -> list entry ID
	verifying map[string]bool   // record or entry ID
	removed   map[string]bool   // record ID
	masked    map[string]bool   // subject ID
	calls     []string
}

func newSanction() *sanctionStandIn {
	return &sanctionStandIn{entries: map[string]string{}, verifying: map[string]bool{}, removed: map[string]bool{}, masked: map[string]bool{}}
}

func (s *sanctionStandIn) MarkUnderVerification(_ context.Context, t workflow.Target, actor, reason, ref string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.verifying[t.ID] = true
	s.calls = append(s.calls, "verify:"+t.ID)
	return nil
}

func (s *sanctionStandIn) ClearVerification(_ context.Context, t workflow.Target, actor, reason, ref string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.verifying, t.ID)
	s.calls = append(s.calls, "clear:"+t.ID)
	return nil
}

func (s *sanctionStandIn) RemoveForRepair(_ context.Context, subjectID, recordID, actor, ref string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.removed[recordID] = true
	return nil
}

func (s *sanctionStandIn) RestoreAfterRepair(_ context.Context, subjectID, recordID, actor, ref string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.removed, recordID)
	return nil
}

func (s *sanctionStandIn) Mask(_ context.Context, subjectID, actor, ref string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.masked[subjectID] = true
	return nil
}

func (s *sanctionStandIn) Unmask(_ context.Context, subjectID, actor, ref string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.masked, subjectID)
	return nil
}

// activeMeasures is the hit check: the records whose list entries would
// return measures now.
func (s *sanctionStandIn) activeMeasures(subjectID string) map[string]bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]bool{}
	for rec := range s.entries {
		if !s.verifying[rec] && !s.removed[rec] && !s.masked[subjectID] {
			out[rec] = true
		}
	}
	return out
}

type fixture struct {
	t     *testing.T
	ctx   context.Context
	st    credit.Store
	clock *clock
	rec   *records.Service
	wf    *workflow.Service
	sanc  *sanctionStandIn
	subj  *credit.Subject
	subjA workflow.Actor
	unit  workflow.Actor
	staff workflow.Actor
}

const unitDept = "SAMR-350100"

func newFixture(t *testing.T, start time.Time) *fixture {
	t.Helper()
	ctx := t.Context()
	st, cat, seal := apptest.Store(t, ""), apptest.Catalog(t), apptest.Sealer(t)
	clk := &clock{t: start}
	rs := &records.Service{Store: st, Catalog: cat, Sealer: seal, Now: clk.Now}
	sanc := newSanction()
	wf, err := workflow.New(workflow.Config{Store: st, Records: rs, Catalog: cat, Now: clk.Now, Suspender: sanc, Lists: sanc, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	code := uscc.NewGenerator(1).USCC('9', '1', "350100")
	subj, err := rs.PutOrganisation(ctx, records.Organisation{Code: code, Name: "福州恒泰电子科技有限公司"})
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{t: t, ctx: ctx, st: st, clock: clk, rec: rs, wf: wf, sanc: sanc, subj: subj,
		subjA: workflow.Actor{Name: "恒泰", Role: credit.RoleSubject, Subject: subj.ID},
		unit:  workflow.Actor{Name: "samr-officer", Role: credit.RoleDept, Dept: unitDept},
		staff: workflow.Actor{Name: "reviewer", Role: credit.RoleReviewer}}
}

// penalty reports a fine of amount 万元 decided on date.
func (f *fixture) penalty(doc, amount, date string) *credit.Record {
	f.t.Helper()
	authority := uscc.NewGenerator(9).USCC('1', '1', "350100")
	r, _, err := f.rec.Append(f.ctx, records.Report{Item: "admin_penalty", Dept: unitDept, SubjectID: f.subj.ID, Fields: credit.Fields{
		"cf_xdr_mc": f.subj.Name, "cf_xdr_lb": "法人及非法人组织", "cf_xdr_shxym": f.subj.Code, "cf_frdb": "王伟",
		"cf_wsh": doc, "cf_wfxw": "经营超过保质期的食品", "cf_sy": "经查……", "cf_yj": "《食品安全法》第一百二十四条",
		"cf_cflb": "罚款", "cf_nr": "罚款", "cf_nr_fk": amount, "cf_jdrq": date,
		"cf_cfjg": "福州市市场监督管理局", "cf_cfjgdm": authority, "cf_sjly": "福州市市场监督管理局", "cf_sjlydm": authority,
	}})
	if err != nil {
		f.t.Fatal(err)
	}
	f.sanc.mu.Lock()
	f.sanc.entries[r.ID] = "entry-" + r.ID
	f.sanc.mu.Unlock()
	return r
}

func (f *fixture) must(err error) {
	f.t.Helper()
	if err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) marks(recordID string) workflow.Marks {
	f.t.Helper()
	m, err := f.wf.RecordMarks(f.ctx, f.subj.ID, recordID)
	f.must(err)
	return m
}

func day(s string) time.Time {
	t, _ := time.ParseInLocation(time.DateOnly, s, chinatime.Location)
	return t
}

// at is 10:00 China time on date s.
func at(s string) time.Time { return day(s).Add(10 * time.Hour) }

func TestObjectionUpheld(t *testing.T) {
	f := newFixture(t, at("2026-09-29")) // Tuesday before 国庆
	r := f.penalty("榕市监罚〔2026〕1号", "2", "2026-09-01")

	// Only the subject (or the credit office for an agent) may object.
	other := workflow.Actor{Name: "x", Role: credit.RoleSubject, Subject: "91350100M000100Y43"}
	if _, _, err := f.wf.FileObjection(f.ctx, other, workflow.Objection{SubjectID: f.subj.ID, RecordID: r.ID, Reasons: "x"}); !credit.Is(credit.Permission, err) {
		t.Errorf("another subject objected: %v", err)
	}
	if _, _, err := f.wf.FileObjection(f.ctx, f.staff, workflow.Objection{SubjectID: f.subj.ID, RecordID: r.ID, Reasons: "x",
		Applicant: workflow.Applicant{Name: "李律师", Agent: true}}); !credit.Is(credit.Invalid, err) || !strings.Contains(err.Error(), "authorisation") {
		t.Errorf("agent without authorisation: %v", err)
	}

	c, code, err := f.wf.FileObjection(f.ctx, f.subjA, workflow.Objection{SubjectID: f.subj.ID, RecordID: r.ID,
		Reasons: "罚款金额录入错误，应为0.2万元", Applicant: workflow.Applicant{Name: "王伟", Contact: "13800000000"}})
	f.must(err)
	if c.State != workflow.StateRouted || c.Unit != unitDept {
		t.Fatalf("after filing: state %s unit %s", c.State, c.Unit)
	}
	// Routed on 9.29 (Tue): acceptance within 2 working days → 9.30, then 国庆 → 10.8.
	if got := c.Due.In(chinatime.Location).Format(time.DateOnly); got != "2026-10-08" {
		t.Errorf("acceptance due %s, want 2026-10-08", got)
	}
	if _, _, err := f.wf.FileObjection(f.ctx, f.subjA, workflow.Objection{SubjectID: f.subj.ID, RecordID: r.ID, Reasons: "again"}); !credit.Is(credit.Conflict, err) {
		t.Errorf("second open objection: %v", err)
	}
	got, err := f.wf.ByTrackCode(f.ctx, strings.ToLower(strings.ReplaceAll(code, "-", " ")))
	if err != nil || got.ID != c.ID {
		t.Fatalf("tracking code lookup: %v", err)
	}
	if _, err := f.wf.ByTrackCode(f.ctx, "AAAA-AAAA-AAAA-AAAA"); !credit.Is(credit.NotFound, err) {
		t.Errorf("wrong code: %v", err)
	}
	if m := f.marks(r.ID); m.UnderObjection {
		t.Error("marked before acceptance")
	}

	// Another department cannot decide.
	if err := f.wf.AcceptObjection(f.ctx, workflow.Actor{Name: "tax", Role: credit.RoleDept, Dept: "TAX"}, c.ID); !credit.Is(credit.Permission, err) {
		t.Errorf("other unit accepted: %v", err)
	}
	f.clock.Set(at("2026-10-08"))
	f.must(f.wf.AcceptObjection(f.ctx, f.unit, c.ID))
	c, _ = f.wf.Case(f.ctx, c.ID)
	if got := c.Due.In(chinatime.Location).Format(time.DateOnly); got != "2026-10-16" { // 7 working days, Saturday 10.10 (调休) counts
		t.Errorf("verification due %s, want 2026-10-16", got)
	}
	if m := f.marks(r.ID); !m.UnderObjection || !m.Suspended() || !m.Published() {
		t.Errorf("under verification: %+v", m)
	}
	if f.sanc.activeMeasures(f.subj.ID)[r.ID] {
		t.Error("hit check returns a measure based on a record under verification")
	}

	f.must(f.wf.UpholdObjection(f.ctx, f.unit, c.ID, workflow.Decision{Fields: credit.Fields{"cf_nr_fk": "0.2"}, Reason: "金额录入错误"}))
	file, _ := f.rec.File(f.ctx, f.subj.ID)
	if len(file) != 1 || file[0].Current.Fields["cf_nr_fk"] != "0.2" || file[0].Current.Fact != credit.Correction || file[0].Current.Severity != credit.SeverityMinor {
		t.Errorf("correction not applied as a new fact: %+v", file[0].Current)
	}
	if m := f.marks(r.ID); m.UnderObjection {
		t.Error("still marked after the decision")
	}
	if !f.sanc.activeMeasures(f.subj.ID)[r.ID] {
		t.Error("verification mark not cleared in the sanction store")
	}
	evs, _ := f.wf.Events(f.ctx, c.ID)
	var acts []string
	for _, e := range evs {
		acts = append(acts, e.Action+"/"+e.State+"/"+e.Actor)
	}
	want := "file/submitted/恒泰 route/routed/platform accept/verifying/samr-officer uphold/upheld/samr-officer"
	if strings.Join(acts, " ") != want {
		t.Errorf("history: %s\nwant     %s", strings.Join(acts, " "), want)
	}
	hist, _ := f.wf.History(f.ctx, f.subj.ID)
	if len(hist) != 1 || len(hist[0].Events) != 4 {
		t.Errorf("subject history: %+v", hist)
	}
}

func TestObjectionDismissRefuseExtendEscalate(t *testing.T) {
	f := newFixture(t, at("2026-11-23"))
	r1 := f.penalty("榕市监罚〔2026〕2号", "2", "2026-10-08")
	r2 := f.penalty("榕市监罚〔2026〕3号", "2", "2026-10-09")

	c1, _, err := f.wf.FileObjection(f.ctx, f.subjA, workflow.Objection{SubjectID: f.subj.ID, RecordID: r1.ID, Reasons: "不服"})
	f.must(err)
	if err := f.wf.RefuseObjection(f.ctx, f.unit, c1.ID, ""); !credit.Is(credit.Invalid, err) {
		t.Errorf("refusal without reasons: %v", err)
	}
	f.must(f.wf.RefuseObjection(f.ctx, f.unit, c1.ID, "非本单位认定的信息"))
	if err := f.wf.AcceptObjection(f.ctx, f.unit, c1.ID); !credit.Is(credit.Conflict, err) {
		t.Errorf("accept after refusal: %v", err)
	}

	c2, _, err := f.wf.FileObjection(f.ctx, f.subjA, workflow.Objection{SubjectID: f.subj.ID, RecordID: r2.ID, Reasons: "不服"})
	f.must(err)
	f.must(f.wf.AcceptObjection(f.ctx, f.unit, c2.ID))
	f.must(f.wf.Extend(f.ctx, f.unit, c2.ID, "需向执法机构调取卷宗"))
	if err := f.wf.Extend(f.ctx, f.unit, c2.ID, "again"); !credit.Is(credit.Conflict, err) {
		t.Errorf("second extension: %v", err)
	}
	c2, _ = f.wf.Case(f.ctx, c2.ID)
	if got := c2.Due.In(chinatime.Location).Format(time.DateOnly); got != "2026-12-11" { // 11.23 +7 = 12.2, +7 = 12.11
		t.Errorf("extended due %s", got)
	}
	// Overdue: one escalation per missed deadline.
	f.clock.Set(at("2026-12-14"))
	n, err := f.wf.Sweep(f.ctx)
	if err != nil || n != 1 {
		t.Fatalf("sweep: %d %v", n, err)
	}
	if n, _ := f.wf.Sweep(f.ctx); n != 0 {
		t.Errorf("escalated twice for one deadline: %d", n)
	}
	q, _ := f.wf.Queue(f.ctx, credit.CaseObjection, unitDept)
	if len(q) != 1 || !q[0].Overdue {
		t.Errorf("queue: %+v", q)
	}
	f.must(f.wf.DismissObjection(f.ctx, f.unit, c2.ID, "经核实信息准确"))
	if m := f.marks(r2.ID); m.UnderObjection {
		t.Error("marked after dismissal")
	}
	if !f.sanc.activeMeasures(f.subj.ID)[r2.ID] {
		t.Error("measures not restored after dismissal")
	}
}

func TestRepair(t *testing.T) {
	f := newFixture(t, at("2026-11-23"))
	// A market regulator's 20万元 fine: 一般 under the market-regulation
	// rules (its department's domain), published 1 to 3 years.
	r := f.penalty("榕市监罚〔2026〕9号", "20", "2026-10-08")

	e, err := f.wf.Eligibility(f.ctx, f.subj.ID, r.ID)
	f.must(err)
	if e.Eligible || e.Severity != credit.SeverityGeneral || e.From.In(chinatime.Location).Format(time.DateOnly) != "2027-10-08" || e.Reasons[0].Code != "min_period" || !strings.Contains(e.Reasons[0].Message, "apply from 2027-10-08") {
		t.Fatalf("eligibility before the minimum period: %+v", e)
	}
	if zh := e.Reasons[0].MessageZh; !strings.Contains(zh, "请于2027-10-08起申请") {
		t.Errorf("the reason in Chinese: %q", zh)
	}
	saysChinese(t, "before the minimum period", e.Reasons)
	in := workflow.Repair{SubjectID: f.subj.ID, RecordID: r.ID, Statement: "已缴纳罚款并完成整改", ObligationsMet: true, CommitmentAccepted: true}
	_, _, err = f.wf.FileRepair(f.ctx, f.subjA, in)
	var ie *workflow.IneligibleError
	if !errors.As(err, &ie) || !credit.Is(credit.Invalid, err) {
		t.Fatalf("early application: %v", err)
	}

	f.clock.Set(at("2027-10-11"))
	bad := in
	bad.CommitmentAccepted, bad.ObligationsMet = false, false
	_, _, err = f.wf.FileRepair(f.ctx, f.subjA, bad)
	if !errors.As(err, &ie) || len(ie.E.Reasons) != 2 || !strings.Contains(err.Error(), "信用承诺书") {
		t.Fatalf("missing commitment and obligations: %v", err)
	}
	if zh := credit.Chinese(err); !strings.HasPrefix(zh, "不符合申请信用修复的条件：") || !strings.Contains(zh, "请签署信用承诺书") {
		t.Errorf("the refusal in Chinese: %q", zh)
	}
	saysChinese(t, "missing commitment and obligations", ie.E.Reasons)
	c, code, err := f.wf.FileRepair(f.ctx, f.subjA, in)
	f.must(err)
	if c.State != workflow.StateRouted || code == "" {
		t.Fatalf("filed: %+v", c)
	}
	if m := f.marks(r.ID); !m.UnderRepair || !m.Published() {
		t.Errorf("under repair: %+v", m)
	}
	// Evidence: content checked.
	if _, err := f.wf.AddFile(f.ctx, f.subjA, c.ID, "a.exe", "", []byte("MZ\x90\x00binary")); !credit.Is(credit.Invalid, err) {
		t.Errorf("exe accepted: %v", err)
	}
	pdf := []byte("%PDF-1.4\n1 0 obj\n<<>>\nendobj\n%%EOF\n")
	if _, err := f.wf.AddFile(f.ctx, f.subjA, c.ID, "收据.pdf", "image/png", pdf); !credit.Is(credit.Invalid, err) {
		t.Errorf("mislabelled file accepted: %v", err)
	}
	fl, err := f.wf.AddFile(f.ctx, f.subjA, c.ID, "../../收据.pdf", "application/pdf", pdf)
	f.must(err)
	if fl.Name != "收据.pdf" || len(fl.SHA256) != 64 {
		t.Errorf("file: %+v", fl)
	}

	f.must(f.wf.RequestMaterials(f.ctx, f.unit, c.ID, []string{"罚款缴纳凭证", "整改报告"}))
	if err := f.wf.AcceptRepair(f.ctx, f.unit, c.ID); !credit.Is(credit.Conflict, err) {
		t.Errorf("accepted while awaiting materials: %v", err)
	}
	f.must(f.wf.Supplement(f.ctx, f.subjA, c.ID, "已补交"))
	if err := f.wf.RequestMaterials(f.ctx, f.unit, c.ID, []string{"又一份"}); !credit.Is(credit.Conflict, err) || !strings.Contains(err.Error(), "一次性告知") {
		t.Errorf("second request for materials: %v", err)
	}
	f.must(f.wf.AcceptRepair(f.ctx, f.unit, c.ID))
	f.must(f.wf.Extend(f.ctx, f.unit, c.ID, "案情复杂"))
	c, _ = f.wf.Case(f.ctx, c.ID)
	if got, _ := f.wf.Calendar().Between(at("2027-10-11"), c.Due); got != 17 {
		t.Errorf("decision due %s is %d working days away, want 7+10", c.Due, got)
	}
	f.must(f.wf.ApproveRepair(f.ctx, f.unit, c.ID, "准予修复"))
	m := f.marks(r.ID)
	if !m.Repaired || m.Published() || !m.Suspended() || m.UnderRepair {
		t.Errorf("after repair: %+v", m)
	}
	if f.sanc.activeMeasures(f.subj.ID)[r.ID] {
		t.Error("list entry not removed by the repair")
	}
	if p, _ := f.st.PendingRecompute(f.ctx, 10); len(p) != 1 || p[0].SubjectID != f.subj.ID {
		t.Errorf("recompute not marked: %+v", p)
	}
	if e, _ := f.wf.Eligibility(f.ctx, f.subj.ID, r.ID); e.Eligible || e.Reasons[0].Code != "repaired" {
		t.Errorf("eligible after repair: %+v", e)
	} else {
		saysChinese(t, "after repair", e.Reasons)
	}

	// A false commitment: a new record for 3 years, repair revoked, locked out.
	nr, err := f.wf.FalseCommitment(f.ctx, f.unit, c.ID, "榕市监认〔2027〕1号", "整改报告系伪造")
	f.must(err)
	if nr.Item != workflow.FalseCommitmentItem || nr.Severity != credit.SeveritySerious {
		t.Errorf("false-commitment record: %+v", nr)
	}
	if m := f.marks(r.ID); m.Repaired || !m.Published() {
		t.Errorf("repair not revoked: %+v", m)
	}
	if !f.sanc.activeMeasures(f.subj.ID)[r.ID] {
		t.Error("list entry not restored after the false commitment")
	}
	e, _ = f.wf.Eligibility(f.ctx, f.subj.ID, r.ID)
	if e.Eligible || e.From.In(chinatime.Location).Format(time.DateOnly) != "2030-10-11" {
		t.Errorf("lockout: %+v", e)
	}
	saysChinese(t, "lockout", e.Reasons)
	if e, _ := f.wf.Eligibility(f.ctx, f.subj.ID, nr.ID); e.Eligible || e.Reasons[0].Code != "no_early_end" {
		t.Errorf("false-commitment record repairable: %+v", e)
	} else {
		saysChinese(t, "false-commitment record", e.Reasons)
	}
	cat, _ := catalog.Default()
	it, _ := cat.Item(workflow.FalseCommitmentItem)
	w := publish.WindowOf(cat, it, nr, nil)
	if !w.Published || !w.MinEnd.Equal(w.MaxEnd) || w.MinEnd.Year() != 2030 {
		t.Errorf("false-commitment window: %+v", w)
	}
}

func TestBankruptcy(t *testing.T) {
	f := newFixture(t, at("2026-11-23"))
	r := f.penalty("榕市监罚〔2026〕5号", "2", "2026-10-08")
	if _, err := f.wf.FileBankruptcy(f.ctx, f.subjA, f.subj.ID, "(2026)闽01破1号", ""); !credit.Is(credit.Permission, err) {
		t.Errorf("subject registered its own bankruptcy: %v", err)
	}
	c, err := f.wf.FileBankruptcy(f.ctx, f.staff, f.subj.ID, "(2026)闽01破1号", "重整计划已获批准")
	f.must(err)
	if got, _ := f.wf.Calendar().Between(at("2026-11-23"), c.Due); got != 10 {
		t.Errorf("masking due in %d working days", got)
	}
	f.must(f.wf.Mask(f.ctx, f.staff, c.ID))
	if m := f.marks(r.ID); !m.BankruptcyMasked || m.Published() {
		t.Errorf("masked: %+v", m)
	}
	if f.sanc.activeMeasures(f.subj.ID)[r.ID] {
		t.Error("measures apply while masked")
	}
	f.must(f.wf.EndBankruptcy(f.ctx, f.staff, c.ID, true, "重整计划执行失败"))
	if m := f.marks(r.ID); m.BankruptcyMasked {
		t.Errorf("still masked after the plan failed: %+v", m)
	}
	if !f.sanc.activeMeasures(f.subj.ID)[r.ID] {
		t.Error("entries not restored after the plan failed")
	}
}

func TestMissingCalendarYear(t *testing.T) {
	f := newFixture(t, at("2027-12-31"))
	r := f.penalty("榕市监罚〔2027〕5号", "2", "2027-10-08")
	_, _, err := f.wf.FileObjection(f.ctx, f.subjA, workflow.Objection{SubjectID: f.subj.ID, RecordID: r.ID, Reasons: "x"})
	if !credit.Is(credit.Conflict, err) || !strings.Contains(err.Error(), "2028") {
		t.Fatalf("deadline into a year without calendar: %v", err)
	}
	if zh := credit.Chinese(err); !strings.Contains(zh, "尚无2028年的工作日历") {
		t.Errorf("the refusal in Chinese: %q", zh)
	}
	if cs, _ := f.st.Cases(f.ctx, credit.CaseFilter{}); len(cs) != 0 {
		t.Errorf("a case was opened without a deadline: %+v", cs)
	}
}

// TestMarksForMatchesSubjectMarks: the publication engine's mark source
// says the same as SubjectMarks.
func TestMarksForMatchesSubjectMarks(t *testing.T) {
	f := newFixture(t, at("2027-10-11"))
	a := f.penalty("榕市监罚〔2026〕31号", "20", "2026-10-08")
	b := f.penalty("榕市监罚〔2026〕32号", "20", "2026-10-08")
	c := f.penalty("榕市监罚〔2026〕33号", "20", "2026-10-08")
	oc, _, err := f.wf.FileObjection(f.ctx, f.subjA, workflow.Objection{SubjectID: f.subj.ID, RecordID: a.ID, Reasons: "x"})
	f.must(err)
	f.must(f.wf.AcceptObjection(f.ctx, f.unit, oc.ID))
	_, _, err = f.wf.FileRepair(f.ctx, f.subjA, workflow.Repair{SubjectID: f.subj.ID, RecordID: b.ID, Statement: "已整改", ObligationsMet: true, CommitmentAccepted: true})
	f.must(err)
	check := func() {
		t.Helper()
		want, _, err := f.wf.SubjectMarks(f.ctx, f.subj.ID)
		f.must(err)
		// A list entry's ID is not a record's: it is asked about beside
		// the records and gets no mark from them.
		got, err := f.wf.MarksFor(f.ctx, []string{a.ID, b.ID, c.ID, "list-entry"})
		f.must(err)
		if m := got["list-entry"]; m != (workflow.Marks{}) {
			t.Errorf("an ID that is no record is marked %+v", m)
		}
		for _, id := range []string{a.ID, b.ID, c.ID} {
			if got[id] != want[id] {
				t.Errorf("record %s: MarksFor %+v, SubjectMarks %+v", id, got[id], want[id])
			}
		}
	}
	check()
	bc, err := f.wf.FileBankruptcy(f.ctx, f.staff, f.subj.ID, "(2027)闽01破2号", "")
	f.must(err)
	f.must(f.wf.Mask(f.ctx, f.staff, bc.ID))
	check()
	if m, _ := f.wf.MarksFor(f.ctx, []string{c.ID}); !m[c.ID].BankruptcyMasked {
		t.Error("masked record not marked")
	}
}

// englishRun is a run of four or more English words.
var englishRun = regexp.MustCompile(`[A-Za-z]+(?:[ ,;:'()-]+[A-Za-z]+){3,}`)

// saysChinese checks that every reason has a Chinese message with no
// English sentence in it.
func saysChinese(t *testing.T, where string, rs []workflow.Reason) {
	t.Helper()
	for _, r := range rs {
		if r.MessageZh == "" || englishRun.MatchString(r.MessageZh) || !strings.ContainsFunc(r.MessageZh, func(c rune) bool { return unicode.Is(unicode.Han, c) }) {
			t.Errorf("%s: reason %s has no Chinese message: %+v", where, r.Code, r)
		}
	}
}
