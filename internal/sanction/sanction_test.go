package sanction_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xinyong/xinyong/internal/apptest"
	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/pii"
	"github.com/xinyong/xinyong/internal/sanction"
	"github.com/xinyong/xinyong/internal/uscc"
)

const (
	orgA    = "91350100M000100Y43" // GB 32100's example
	orgB    = "91350200MA2Y0XXX0X" // only a key; never checked by code
	repID   = "11010519491231002X" // GB 11643's example
	repName = "张三"
)

// clock is a movable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type fixture struct {
	t      *testing.T
	st     credit.Store
	cat    *catalog.Catalog
	sealer *pii.Sealer
	clk    *clock
	svc    *sanction.Service
	recs   map[string]string // name → record ID
}

var (
	reviewer = sanction.Actor{Name: "reviewer", Role: credit.RoleReviewer}
	samrDept = sanction.Actor{Name: "samr", Role: credit.RoleDept, Dept: "SAMR-350100"}
	taxDept  = sanction.Actor{Name: "tax", Role: credit.RoleDept, Dept: "TAX-350100"}
	procure  = sanction.Caller{Name: "procurement", Dept: "FIN-350100", Matters: []string{"gov_procurement", "bidding", "licence_approval", "honours_award"}}
)

func newFixture(t *testing.T) *fixture {
	t.Helper()
	st, cat, sealer := apptest.Store(t, ""), apptest.Catalog(t), apptest.Sealer(t)
	f := &fixture{t: t, st: st, cat: cat, sealer: sealer, clk: &clock{t: time.Date(2026, 3, 2, 2, 0, 0, 0, time.UTC)}, recs: map[string]string{}}
	for _, s := range []credit.Subject{
		{ID: orgA, Kind: credit.Organisation, Code: orgA, Name: "福州甲乙科技有限公司", FormerNames: []string{"福州甲乙网络有限公司"}},
		{ID: orgB, Kind: credit.Organisation, Code: orgB, Name: "厦门丙丁贸易有限公司"},
	} {
		s := s
		if err := st.PutSubject(t.Context(), &s); err != nil {
			t.Fatal(err)
		}
	}
	// The fields carry the severity: it is classified from them
	// (publish.WindowOf), never taken from the stored copy.
	typeOf := map[credit.Severity]string{credit.SeveritySerious: "吊销许可证", credit.SeverityMinor: "警告"}
	add := func(name, subject, item string, sev credit.Severity) string {
		fields := credit.Fields{}
		if item == "admin_penalty" {
			fields = credit.Fields{"cf_cflb": typeOf[sev], "cf_xdr_lb": "法人及非法人组织"}
		}
		r := credit.Record{ID: credit.NewID(), SubjectID: subject, Item: item, Fact: credit.Original, Dept: "SAMR-350100",
			DocNo: name, DecidedOn: f.clk.now().AddDate(0, -1, 0), Severity: sev, Fields: fields, Kind: credit.Organisation}
		if err := st.AppendRecords(t.Context(), []credit.Record{r}); err != nil {
			t.Fatal(err)
		}
		f.recs[name] = r.ID
		return r.ID
	}
	add("serious", orgA, "admin_penalty", credit.SeveritySerious)
	add("minor", orgA, "admin_penalty", credit.SeverityMinor)
	add("honour", orgA, "honour", credit.SeverityNone)
	add("other", orgB, "admin_penalty", credit.SeveritySerious)
	rev := add("revoked", orgA, "admin_penalty", credit.SeveritySerious)
	r, _ := st.Record(t.Context(), rev)
	r.ID, r.Fact, r.Supersedes, r.Reason = credit.NewID(), credit.Revocation, rev, "撤销"
	if err := st.AppendRecords(t.Context(), []credit.Record{*r}); err != nil {
		t.Fatal(err)
	}
	f.svc = f.service()
	return f
}

func (f *fixture) service() *sanction.Service {
	f.t.Helper()
	svc, err := sanction.New(f.t.Context(), sanction.Config{Store: f.st, Catalog: f.cat, Sealer: f.sealer, Now: f.clk.now})
	if err != nil {
		f.t.Fatal(err)
	}
	f.t.Cleanup(func() { svc.Close(context.Background()) })
	return svc
}

func wantKind(t *testing.T, what string, err error, k credit.Kind, contains string) {
	t.Helper()
	if err == nil || credit.KindOf(err) != k {
		t.Fatalf("%s: got %v (%v), want %v", what, credit.KindOf(err), err, k)
	}
	if !strings.Contains(err.Error(), contains) {
		t.Fatalf("%s: message %q does not say %q", what, err, contains)
	}
}

// listed proposes, notices and decides orgA on samr_serious_illegal.
func (f *fixture) listed() *sanction.Entry {
	f.t.Helper()
	ctx := f.t.Context()
	e, err := f.svc.Propose(ctx, samrDept, sanction.Proposal{List: "samr_serious_illegal", SubjectID: orgA,
		BasisRecords: []string{f.recs["serious"]}, Grounds: "提供虚假材料取得许可",
		Persons: []sanction.PersonInput{{Role: "法定代表人", Name: repName, IDNo: repID}}})
	if err != nil {
		f.t.Fatalf("Propose: %v", err)
	}
	if _, err := f.svc.Notice(ctx, samrDept, e.ID, sanction.NoticeInput{DocNo: "榕市监告〔2026〕1号"}); err != nil {
		f.t.Fatalf("Notice: %v", err)
	}
	f.clk.add(15 * 24 * time.Hour)
	e, err = f.svc.Decide(ctx, samrDept, e.ID, sanction.DecisionInput{DocNo: "榕市监严〔2026〕1号"})
	if err != nil {
		f.t.Fatalf("Decide: %v", err)
	}
	return e
}

func (f *fixture) check(c sanction.Caller, matter string, qs ...sanction.Query) *sanction.Response {
	f.t.Helper()
	resp, err := f.svc.Check(f.t.Context(), c, sanction.Request{Matter: matter, Subjects: qs})
	if err != nil {
		f.t.Fatalf("Check(%s): %v", matter, err)
	}
	return resp
}

func codes(ms []sanction.MeasureHit) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Code)
	}
	return out
}

func TestProposalRefusedOutsideCriteria(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	cases := []struct {
		name  string
		actor sanction.Actor
		p     sanction.Proposal
		kind  credit.Kind
		says  string
	}{
		{"minor record", samrDept, sanction.Proposal{List: "samr_serious_illegal", SubjectID: orgA, BasisRecords: []string{f.recs["minor"]}, Grounds: "x"}, credit.Invalid, ""},
		{"wrong item", samrDept, sanction.Proposal{List: "samr_serious_illegal", SubjectID: orgA, BasisRecords: []string{f.recs["honour"]}, Grounds: "x"}, credit.Invalid, "accepts only admin_penalty"},
		{"revoked record", samrDept, sanction.Proposal{List: "samr_serious_illegal", SubjectID: orgA, BasisRecords: []string{f.recs["revoked"]}, Grounds: "x"}, credit.Invalid, "revoked"},
		{"another subject's record", samrDept, sanction.Proposal{List: "samr_serious_illegal", SubjectID: orgA, BasisRecords: []string{f.recs["other"]}, Grounds: "x"}, credit.Invalid, "not a record of subject"},
		{"no basis", samrDept, sanction.Proposal{List: "samr_serious_illegal", SubjectID: orgA, Grounds: "x"}, credit.Invalid, "at least one basis record"},
		{"no grounds", samrDept, sanction.Proposal{List: "samr_serious_illegal", SubjectID: orgA, BasisRecords: []string{f.recs["serious"]}}, credit.Invalid, "grounds"},
		{"unknown list", samrDept, sanction.Proposal{List: "nope", SubjectID: orgA, BasisRecords: []string{f.recs["serious"]}, Grounds: "x"}, credit.Invalid, "unknown list type"},
		{"not the deciding unit", taxDept, sanction.Proposal{List: "samr_serious_illegal", SubjectID: orgA, BasisRecords: []string{f.recs["serious"]}, Grounds: "x"}, credit.Permission, "not a deciding unit"},
		{"bad person role", samrDept, sanction.Proposal{List: "samr_serious_illegal", SubjectID: orgA, BasisRecords: []string{f.recs["serious"]}, Grounds: "x",
			Persons: []sanction.PersonInput{{Role: "股东", Name: "李四"}}}, credit.Invalid, "role must be one of"},
		{"bad person ID", samrDept, sanction.Proposal{List: "samr_serious_illegal", SubjectID: orgA, BasisRecords: []string{f.recs["serious"]}, Grounds: "x",
			Persons: []sanction.PersonInput{{Role: "法定代表人", Name: "李四", IDNo: "110105194912310021"}}}, credit.Invalid, "invalid resident ID"},
	}
	before, err := f.st.ChangeHead(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := f.svc.Propose(ctx, c.actor, c.p)
			wantKind(t, c.name, err, c.kind, c.says)
		})
	}
	if after, _ := f.st.ChangeHead(ctx); after != before {
		t.Fatalf("refused proposals wrote something: the change feed moved from %d to %d", before, after)
	}
	// The minor record is refused because of its severity, said in words.
	_, err = f.svc.Propose(ctx, samrDept, cases[0].p)
	if !strings.Contains(err.Error(), "severity 轻微") {
		t.Fatalf("message %q does not name the severity", err)
	}
}

func TestLifecycleAndCheck(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	e, err := f.svc.Propose(ctx, samrDept, sanction.Proposal{List: "samr_serious_illegal", SubjectID: orgA,
		BasisRecords: []string{f.recs["serious"]}, Grounds: "提供虚假材料取得许可",
		Persons: []sanction.PersonInput{{Role: "法定代表人", Name: repName, IDNo: repID}}})
	if err != nil {
		t.Fatalf("Propose: %v", err)
	}
	if e.State != credit.StepProposed || len(e.Detail.Basis) == 0 || e.Detail.Persons[0].IDMasked == "" || strings.Contains(e.Detail.Persons[0].IDMasked, "19491231") {
		t.Fatalf("proposed entry: %+v", e.Detail)
	}
	_, err = f.svc.Propose(ctx, reviewer, sanction.Proposal{List: "samr_serious_illegal", SubjectID: orgA, BasisRecords: []string{f.recs["serious"]}, Grounds: "again"})
	wantKind(t, "second open entry", err, credit.Conflict, "already has an open entry")
	_, err = f.svc.Decide(ctx, samrDept, e.ID, sanction.DecisionInput{DocNo: "d"})
	wantKind(t, "decide before notice", err, credit.Conflict, "requires notice")

	e, err = f.svc.Notice(ctx, samrDept, e.ID, sanction.NoticeInput{DocNo: "榕市监告〔2026〕1号"})
	if err != nil {
		t.Fatalf("Notice: %v", err)
	}
	if !e.Detail.ObjectionDeadline.After(f.clk.now().Add(7*24*time.Hour)) || !strings.Contains(e.Detail.Rights, "7个工作日") {
		t.Fatalf("notice: deadline %v rights %q", e.Detail.ObjectionDeadline, e.Detail.Rights)
	}
	_, err = f.svc.Decide(ctx, samrDept, e.ID, sanction.DecisionInput{DocNo: "d"})
	wantKind(t, "decide in the objection period", err, credit.Conflict, "objection period")
	// Not listed yet: nothing to return.
	if r := f.check(procure, "gov_procurement", sanction.Query{Code: orgA}).Results[0]; r.Listed {
		t.Fatalf("a proposal is returned as a listing: %+v", r)
	}

	f.clk.add(15 * 24 * time.Hour)
	e, err = f.svc.Decide(ctx, samrDept, e.ID, sanction.DecisionInput{DocNo: "榕市监严〔2026〕1号"})
	if err != nil {
		t.Fatalf("Decide: %v", err)
	}
	if e.State != credit.StepDecided || e.Detail.Exit == "" || e.Detail.Remedies == "" || len(e.Detail.Measures) == 0 ||
		!e.Detail.Until.Equal(e.Detail.Since.AddDate(0, 36, 0)) || e.Detail.Grounds == "" {
		t.Fatalf("decision document incomplete: %+v", e.Detail)
	}

	resp := f.check(procure, "gov_procurement", sanction.Query{Code: strings.ToLower(orgA), Ref: "r1"}, sanction.Query{Code: "91350100MA00000000"})
	if resp.DataVersion != f.svc.Version() || resp.CheckID == "" {
		t.Fatalf("response version %d, service %d", resp.DataVersion, f.svc.Version())
	}
	r := resp.Results[0]
	if !r.Listed || r.SubjectID != orgA || r.Query.Ref != "r1" || len(r.Lists) != 1 || r.Lists[0].DocNo != "榕市监严〔2026〕1号" {
		t.Fatalf("result: %+v", r)
	}
	got := strings.Join(codes(r.Measures), ",")
	if got != "restrict_gov_procurement,abnormal_consideration" {
		t.Fatalf("measures for gov_procurement by finance = %s", got)
	}
	for _, m := range r.Measures {
		if len(m.Basis) == 0 || !m.Mandatory {
			t.Fatalf("measure without basis or mandatory flag: %+v", m)
		}
	}
	if resp.Results[1].Listed || len(resp.Results[1].Measures) > 0 {
		t.Fatalf("unlisted subject: %+v", resp.Results[1])
	}

	// 落实到人: the legal representative, checked by ID number, gets the
	// measures aimed at persons, not those aimed at the company alone.
	pr := f.check(procure, "honours_award", sanction.Query{Code: repID}).Results[0]
	if !pr.Listed || pr.Lists[0].Via != "法定代表人" || strings.Join(codes(pr.Measures), ",") != "restrict_honours" || strings.Contains(pr.Query.Code, "19491231") {
		t.Fatalf("person result: %+v", pr)
	}
	if pr := f.check(procure, "gov_procurement", sanction.Query{Code: repID}).Results[0]; len(pr.Measures) != 0 {
		t.Fatalf("a measure aimed at the company reached its representative: %+v", pr.Measures)
	}

	// 核实期间暂不执行.
	v := f.svc.Version()
	if err := f.svc.MarkUnderVerification(ctx, credit.VerifyRecord, f.recs["serious"], orgA, "reviewer", "异议", "obj-1"); err != nil {
		t.Fatal(err)
	}
	r = f.check(procure, "gov_procurement", sanction.Query{Code: orgA}).Results[0]
	if len(r.Measures) != 0 || len(r.Suspended) != 2 || r.Suspended[0].Note != sanction.SuspendedNote || r.Lists[0].UnderVerification == "" {
		t.Fatalf("under verification: %+v", r)
	}
	if err := f.svc.ClearVerification(ctx, credit.VerifyRecord, f.recs["serious"], orgA, "reviewer", "核实无误", "obj-1"); err != nil {
		t.Fatal(err)
	}
	if r := f.check(procure, "gov_procurement", sanction.Query{Code: orgA}).Results[0]; len(r.Measures) != 2 || len(r.Suspended) != 0 {
		t.Fatalf("after verification: %+v", r)
	}
	if f.svc.Version() != v+2 {
		t.Fatalf("version %d after two marks from %d", f.svc.Version(), v)
	}

	// Removal.
	_, err = f.svc.Remove(ctx, samrDept, e.ID, sanction.RemovalInput{Reason: sanction.RemoveRepair})
	wantKind(t, "early repair", err, credit.Conflict, "only after 12 months")
	_, err = f.svc.Remove(ctx, samrDept, e.ID, sanction.RemovalInput{Reason: sanction.RemoveExpiry})
	wantKind(t, "early expiry", err, credit.Conflict, "has not expired")
	_, err = f.svc.Remove(ctx, samrDept, e.ID, sanction.RemovalInput{Reason: "forgiven"})
	wantKind(t, "unknown reason", err, credit.Invalid, "removal reason")
	if _, err := f.svc.Remove(ctx, samrDept, e.ID, sanction.RemovalInput{Reason: sanction.RemoveRevocation, DocNo: "撤〔2026〕1号"}); err != nil {
		t.Fatalf("Remove: %v", err)
	}
	if r := f.check(procure, "gov_procurement", sanction.Query{Code: orgA}).Results[0]; r.Listed {
		t.Fatalf("removed entry still listed: %+v", r)
	}
	_, err = f.svc.Remove(ctx, samrDept, e.ID, sanction.RemovalInput{Reason: sanction.RemoveRevocation})
	wantKind(t, "remove twice", err, credit.Conflict, "already removed")
}

func TestExpiryNeedsNoWrite(t *testing.T) {
	f := newFixture(t)
	f.listed()
	if r := f.check(procure, "gov_procurement", sanction.Query{Code: orgA}).Results[0]; !r.Listed {
		t.Fatal("not listed")
	}
	f.clk.add(37 * 30 * 24 * time.Hour)
	if r := f.check(procure, "gov_procurement", sanction.Query{Code: orgA}).Results[0]; r.Listed {
		t.Fatalf("listed past the period: %+v", r.Lists)
	}
}

// TestRemoveExpired: the sweep writes the removal of an entry past its
// period, once, even with several nodes sweeping; a node that has not yet
// seen the removal leaves the entry alone; Run sweeps when it starts.
func TestRemoveExpired(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	e := f.listed()
	if e.Detail.Until.IsZero() {
		t.Fatal("samr_serious_illegal entry has no period")
	}
	stale := f.service() // loaded now; never refreshed below
	if n, err := f.svc.RemoveExpired(ctx); n != 0 || err != nil {
		t.Fatalf("before the end of the period: removed %d, %v", n, err)
	}
	f.clk.add(e.Detail.Until.Sub(f.clk.now()) - time.Second)
	if n, err := f.svc.RemoveExpired(ctx); n != 0 || err != nil {
		t.Fatalf("a second before the end: removed %d, %v", n, err)
	}
	f.clk.add(time.Second)

	runner := f.service()
	rctx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { runner.Run(rctx); close(done) }()
	defer func() { stop(); <-done }()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if err := f.svc.Refresh(ctx); err != nil {
			t.Fatal(err)
		}
		got, err := f.svc.Entry(ctx, e.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.State == credit.StepRemoved {
			last := got.Events[len(got.Events)-1]
			if got.Detail.RemovalReason != sanction.RemoveExpiry || last.Actor != sanction.ExpiryActor || !strings.Contains(got.Detail.Note, "有效期届满") {
				t.Fatalf("removal: reason %q actor %q note %q", got.Detail.RemovalReason, last.Actor, got.Detail.Note)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("Run did not remove the expired entry: state %s", got.State)
		}
	}
	if n, err := f.svc.RemoveExpired(ctx); n != 0 || err != nil {
		t.Fatalf("sweep after removal: removed %d, %v", n, err)
	}
	if n, err := stale.RemoveExpired(ctx); n != 0 || err != nil {
		t.Fatalf("stale node: removed %d, %v; want the changed entry left alone", n, err)
	}
	got, err := f.svc.Entry(ctx, e.ID)
	if err != nil {
		t.Fatal(err)
	}
	removals := 0
	for _, ev := range got.Events {
		if ev.Step == credit.StepRemoved {
			removals++
		}
	}
	if removals != 1 {
		t.Fatalf("%d removal events, want 1", removals)
	}
	if r := f.check(procure, "gov_procurement", sanction.Query{Code: orgA}).Results[0]; r.Listed {
		t.Fatalf("removed entry still listed: %+v", r.Lists)
	}
}

func TestCheckScope(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	many := make([]sanction.Query, sanction.MaxSubjects+1)
	cases := []struct {
		name string
		c    sanction.Caller
		req  sanction.Request
		kind credit.Kind
		says string
	}{
		{"unknown matter", procure, sanction.Request{Matter: "nope", Subjects: []sanction.Query{{Code: orgA}}}, credit.Invalid, "unknown matter"},
		{"matter out of scope", procure, sanction.Request{Matter: "bond_issue", Subjects: []sanction.Query{{Code: orgA}}}, credit.Permission, "may check only"},
		{"no matters", sanction.Caller{Name: "x", Dept: "FIN-350100"}, sanction.Request{Matter: "bidding", Subjects: []sanction.Query{{Code: orgA}}}, credit.Permission, "no matters configured"},
		{"unknown department", sanction.Caller{Name: "x", Dept: "NOPE", Matters: []string{"bidding"}}, sanction.Request{Matter: "bidding", Subjects: []sanction.Query{{Code: orgA}}}, credit.Permission, "not in the catalogue"},
		{"too many", procure, sanction.Request{Matter: "bidding", Subjects: many}, credit.Invalid, "at most 1000"},
		{"none", procure, sanction.Request{Matter: "bidding"}, credit.Invalid, "at least one"},
	}
	for _, c := range cases {
		_, err := f.svc.Check(ctx, c.c, c.req)
		wantKind(t, c.name, err, c.kind, c.says)
	}
	r := f.check(procure, "bidding", sanction.Query{}, sanction.Query{Code: "110105194912310021"})
	if r.Results[0].Error == "" || !strings.Contains(r.Results[1].Error, "not a valid unified social credit code or resident ID") {
		t.Fatalf("per-query errors: %+v", r.Results)
	}
}

func TestNameCandidates(t *testing.T) {
	f := newFixture(t)
	f.listed()
	ctx := t.Context()
	cases := []struct {
		name  string
		score float64
	}{
		{"福州甲乙科技有限公司", 1.0},
		{"福州甲乙科技有限公司 ", 1.0}, // trimmed
		{"福州甲乙 科技有限公司", 0.9},
		{"ＦＵＺＨＯＵ", -1},      // no match
		{"福州甲乙网络有限公司", 0.9}, // former name
		{"甲乙科技", 0.6},
		{"公司", -1}, // too short for a substring match
	}
	for _, c := range cases {
		r := f.check(procure, "gov_procurement", sanction.Query{Name: c.name}).Results[0]
		if r.Listed || r.SubjectID != "" {
			t.Fatalf("%q: a name query resolved silently: %+v", c.name, r)
		}
		if c.score < 0 {
			if len(r.Candidates) != 0 {
				t.Fatalf("%q: candidates %+v, want none", c.name, r.Candidates)
			}
			continue
		}
		if len(r.Candidates) != 1 || r.Candidates[0].SubjectID != orgA || len(r.Candidates[0].Measures) == 0 {
			t.Fatalf("%q: candidates %+v", c.name, r.Candidates)
		}
		if got := r.Candidates[0].Score; got < c.score-0.001 || (c.score < 0.9 && got >= 0.9) {
			t.Fatalf("%q: score %v, want %v", c.name, got, c.score)
		}
	}
	// An officer rules the candidate out for that name.
	if _, err := f.svc.NotThisSubject(ctx, reviewer, "福州甲乙 科技有限公司", orgA, "统一社会信用代码不同"); err != nil {
		t.Fatal(err)
	}
	if r := f.check(procure, "gov_procurement", sanction.Query{Name: "福州甲乙科技有限公司"}).Results[0]; len(r.Candidates) != 0 {
		t.Fatalf("ruled-out candidate returned: %+v", r.Candidates)
	}
	if r := f.check(procure, "gov_procurement", sanction.Query{Name: "甲乙科技"}).Results[0]; len(r.Candidates) != 1 {
		t.Fatalf("ruling covers only that name; other names still match: %+v", r.Candidates)
	}
	// The candidate's measures are logged as candidate measures.
	resp := f.check(procure, "gov_procurement", sanction.Query{Name: "甲乙科技"})
	chk, err := f.svc.CheckLog(ctx, resp.CheckID)
	if err != nil || len(chk.Measures) == 0 || !chk.Measures[0].Candidate {
		t.Fatalf("logged check: %+v, %v", chk, err)
	}
}

// TestRedListIncentives: a clean subject on a red list gets its rewards;
// the list's bar (catalog.Bar) keeps a subject with a serious record in
// force off it, and takes the rewards and the published entry away from a
// red-listed subject while a serious record is in force or it is on a
// black list, and gives them back when the record is revoked.
func TestRedListIncentives(t *testing.T) {
	testRedListIncentives(t)
}

// TestRedListIncentivesOneByOne: the same with the bars read one subject
// per chunk, so that every chunk boundary of the batched read is crossed.
func TestRedListIncentivesOneByOne(t *testing.T) {
	defer sanction.SetBarChunk(1)()
	testRedListIncentives(t)
}

func testRedListIncentives(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	const orgC = "91350100MA2XN0CQ7K"
	if err := f.st.PutSubject(ctx, &credit.Subject{ID: orgC, Kind: credit.Organisation, Code: orgC, Name: "福州守信科技有限公司"}); err != nil {
		t.Fatal(err)
	}
	record := func(item string, fields credit.Fields) string {
		r := credit.Record{ID: credit.NewID(), SubjectID: orgC, Item: item, Fact: credit.Original, Dept: "SAMR-350100",
			DocNo: "c-" + credit.NewID(), DecidedOn: f.clk.now().AddDate(0, -1, 0), Fields: fields, Kind: credit.Organisation}
		if err := f.st.AppendRecords(ctx, []credit.Record{r}); err != nil {
			t.Fatal(err)
		}
		return r.ID
	}
	honour := record("honour", credit.Fields{})

	// orgA has a serious penalty in force: the bar refuses it.
	_, err := f.svc.Propose(ctx, reviewer, sanction.Proposal{List: "honest_typical", SubjectID: orgA, BasisRecords: []string{f.recs["honour"]}, Grounds: "诚信典型"})
	wantKind(t, "red list for a subject with a serious record", err, credit.Conflict, "严重")

	e, err := f.svc.Propose(ctx, reviewer, sanction.Proposal{List: "honest_typical", SubjectID: orgC, BasisRecords: []string{honour}, Grounds: "诚信典型"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Decide(ctx, reviewer, e.ID, sanction.DecisionInput{DocNo: "榕信用〔2026〕1号"}); err != nil {
		t.Fatalf("red list needs no notice: %v", err)
	}
	rewarded := func() bool {
		t.Helper()
		if err := f.svc.Refresh(ctx); err != nil {
			t.Fatal(err)
		}
		r := f.check(procure, "licence_approval", sanction.Query{Code: orgC}).Results[0]
		les, err := f.svc.ListedEntries(ctx, "red", f.clk.now())
		if err != nil {
			t.Fatal(err)
		}
		published := les.Len() == 1 && les.At(0).SubjectID == orgC
		counted := f.svc.ListedCounts(f.clk.now())["honest_typical"] == 1
		rewards := strings.Join(codes(r.Incentives), ",") == "green_channel"
		onRed := slices.ContainsFunc(r.Lists, func(h sanction.ListHit) bool { return h.List == "honest_typical" })
		if published != rewards || counted != rewards || onRed != rewards {
			t.Fatalf("the check (red list %v, incentives %v), the published list (%v) and the counts (%v) disagree", onRed, codes(r.Incentives), published, counted)
		}
		return rewards
	}
	if !rewarded() {
		t.Fatal("a clean subject on the red list is not rewarded")
	}
	// A serious penalty in force bars it; its revocation lifts the bar.
	serious := record("admin_penalty", credit.Fields{"cf_cflb": "吊销许可证", "cf_xdr_lb": "法人及非法人组织"})
	if rewarded() {
		t.Fatal("a serious record in force did not bar the red list")
	}
	r, _ := f.st.Record(ctx, serious)
	r.ID, r.Fact, r.Supersedes, r.Reason = credit.NewID(), credit.Revocation, serious, "撤销"
	if err := f.st.AppendRecords(ctx, []credit.Record{*r}); err != nil {
		t.Fatal(err)
	}
	if !rewarded() {
		t.Fatal("the revoked record still bars the red list")
	}
	// A minor penalty does not bar it.
	record("admin_penalty", credit.Fields{"cf_cflb": "警告", "cf_xdr_lb": "法人及非法人组织"})
	if !rewarded() {
		t.Fatal("a minor record barred the red list")
	}
	// A black-list entry bars it, whatever its basis (here a 一般 record).
	general := record("admin_penalty", credit.Fields{"cf_cflb": "没收违法所得", "cf_xdr_lb": "法人及非法人组织"})
	b, err := f.svc.Propose(ctx, reviewer, sanction.Proposal{List: "wage_arrears_dishonest", SubjectID: orgC, BasisRecords: []string{general}, Grounds: "拖欠工资"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Notice(ctx, reviewer, b.ID, sanction.NoticeInput{DocNo: "榕人社告〔2026〕1号"}); err != nil {
		t.Fatal(err)
	}
	f.clk.add(30 * 24 * time.Hour)
	if _, err := f.svc.Decide(ctx, reviewer, b.ID, sanction.DecisionInput{DocNo: "榕人社决〔2026〕1号"}); err != nil {
		t.Fatal(err)
	}
	if rewarded() {
		t.Fatal("a black-list entry did not bar the red list")
	}
	if r := f.check(procure, "gov_procurement", sanction.Query{Code: orgC}).Results[0]; !r.Listed {
		t.Fatalf("black-listed subject: %+v", r)
	}
}

func TestOtherNodeSeesChange(t *testing.T) {
	f := newFixture(t)
	other := f.service() // a second node on the same database
	f.listed()
	if r := f.svc.Version(); r == other.Version() {
		t.Fatal("the other node saw the change without refreshing: test is not testing anything")
	}
	if err := other.Refresh(t.Context()); err != nil {
		t.Fatal(err)
	}
	if other.Version() != f.svc.Version() {
		t.Fatalf("versions differ after refresh: %d vs %d", other.Version(), f.svc.Version())
	}
	resp, err := other.Check(t.Context(), procure, sanction.Request{Matter: "gov_procurement", Subjects: []sanction.Query{{Code: orgA}}})
	if err != nil || !resp.Results[0].Listed {
		t.Fatalf("other node: %+v, %v", resp, err)
	}
	// A fresh node builds the same state from storage.
	if n := f.service(); n.Version() != f.svc.Version() {
		t.Fatalf("rebuilt node version %d, want %d", n.Version(), f.svc.Version())
	}
}

func TestFeedbackAndStats(t *testing.T) {
	f := newFixture(t)
	f.listed()
	ctx := t.Context()
	resp := f.check(procure, "gov_procurement", sanction.Query{Code: orgA})
	item := func(measure, outcome, reason string) sanction.FeedbackItem {
		return sanction.FeedbackItem{SubjectID: orgA, Measure: measure, Outcome: outcome, Reason: reason, Amount: "120.5", ActedAt: f.clk.now()}
	}
	cases := []struct {
		name string
		c    sanction.Caller
		it   sanction.FeedbackItem
		kind credit.Kind
		says string
	}{
		{"not on the measure list", procure, item("public_flogging", credit.OutcomePunished, ""), credit.Invalid, "not on the measure list"},
		{"not returned", procure, item("restrict_bond_issue", credit.OutcomePunished, ""), credit.Invalid, "did not return"},
		{"未采纳 without reason", procure, item("restrict_gov_procurement", credit.OutcomeNotAdopted, ""), credit.Invalid, "needs the reason"},
		{"reward for a punishment", procure, item("restrict_gov_procurement", credit.OutcomeRewarded, ""), credit.Invalid, "punishment measure"},
		{"bad outcome", procure, item("restrict_gov_procurement", "done", ""), credit.Invalid, "outcome must be"},
		{"another department", sanction.Caller{Name: "x", Dept: "TAX-350100"}, item("restrict_gov_procurement", credit.OutcomePunished, ""), credit.Permission, "made by department"},
	}
	for _, c := range cases {
		_, err := f.svc.Feedback(ctx, c.c, resp.CheckID, []sanction.FeedbackItem{c.it})
		wantKind(t, c.name, err, c.kind, c.says)
	}
	bad := item("restrict_gov_procurement", credit.OutcomePunished, "")
	bad.Amount = "1,000"
	_, err := f.svc.Feedback(ctx, procure, resp.CheckID, []sanction.FeedbackItem{bad})
	wantKind(t, "bad amount", err, credit.Invalid, "decimal number")

	fb, err := f.svc.Feedback(ctx, procure, resp.CheckID, []sanction.FeedbackItem{
		item("restrict_gov_procurement", credit.OutcomePunished, ""),
		item("abnormal_consideration", credit.OutcomeNotAdopted, "该项目不属于限制范围"),
	})
	if err != nil || len(fb) != 2 {
		t.Fatalf("Feedback: %v", err)
	}
	_, err = f.svc.Feedback(ctx, procure, resp.CheckID, []sanction.FeedbackItem{item("restrict_gov_procurement", credit.OutcomePunished, "")})
	wantKind(t, "feedback twice", err, credit.Exists, "already been given")

	// A second check without feedback goes overdue after the due time.
	f.check(procure, "gov_procurement", sanction.Query{Code: orgA})
	f.svc.Flush(ctx)
	f.clk.add(8 * 24 * time.Hour)
	st, err := f.svc.Stats(ctx, "", "gov_procurement", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if len(st) != 2 {
		t.Fatalf("stats rows: %+v", st)
	}
	for _, s := range st {
		if s.Triggers != 2 || s.Feedback != 1 || s.Overdue != 1 || s.FeedbackRate != 0.5 || s.MeasureName == "" || s.DeptName == "" {
			t.Fatalf("stat: %+v", s)
		}
	}
}

func TestCloseFlushesLog(t *testing.T) {
	f := newFixture(t)
	svc, err := sanction.New(t.Context(), sanction.Config{Store: f.st, Catalog: f.cat, Sealer: f.sealer, Now: f.clk.now})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for range 50 {
		resp, err := svc.Check(t.Context(), procure, sanction.Request{Matter: "bidding", Subjects: []sanction.Query{{Code: orgA}, {Code: orgB}}})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, resp.CheckID)
	}
	if err := svc.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		c, err := f.st.Check(t.Context(), id)
		if err != nil || c.Subjects != 2 {
			t.Fatalf("check %s after Close: %+v, %v", id, c, err)
		}
	}
	if _, err := svc.Check(t.Context(), procure, sanction.Request{Matter: "bidding", Subjects: []sanction.Query{{Code: orgA}}}); !credit.Is(credit.Unavailable, err) {
		t.Fatalf("check after Close: %v", err)
	}
}

func TestNameKey(t *testing.T) {
	cases := map[string]string{
		"福州甲乙（集团）有限公司":    "福州甲乙(集团)有限公司",
		"福州 甲乙\u3000有限公司": "福州甲乙有限公司",
		"ＡＢＣ科技【福建】有限公司":   "abc科技(福建)有限公司",
		"abc科技[福建]有限公司":   "abc科技(福建)有限公司",
	}
	for in, want := range cases {
		if got := sanction.NameKey(in); got != want {
			t.Errorf("NameKey(%q) = %q, want %q", in, got, want)
		}
	}
}

// The fast code checks agree with internal/uscc on valid and broken codes.
func TestFastChecksAgree(t *testing.T) {
	g := uscc.NewGenerator(11)
	for i := 0; i < 2000; i++ {
		c := g.RandomUSCC()
		if !sanction.UsccChecksumOK(c) {
			t.Fatalf("valid USCC %s refused", c)
		}
		bad := c[:17] + string("0123456789ABCDEFGHJKLMNPQRTUWXY"[(strings.IndexByte("0123456789ABCDEFGHJKLMNPQRTUWXY", c[17])+1)%31])
		if sanction.UsccChecksumOK(bad) {
			t.Fatalf("broken USCC %s accepted", bad)
		}
		id := g.ResidentID("350102", time.Date(1960+i%50, 1, 1+i%28, 0, 0, 0, 0, time.UTC), i%2 == 0)
		if !sanction.ResidentChecksumOK(id) || uscc.CheckResidentID(id).Status == uscc.Invalid {
			t.Fatalf("valid resident ID %s refused", id)
		}
	}
	for _, c := range []string{"91350100M000100Y43", "91350100M000100Y4Z", "111111111111111111"} {
		if got, want := sanction.UsccChecksumOK(c), uscc.CheckUSCC(c).Status == uscc.Valid; got != want {
			t.Errorf("%s: fast %v, uscc %v", c, got, want)
		}
	}
}

// The incrementally updated index answers exactly like one built from
// scratch, after any sequence of listings, removals, verification marks
// and name decisions.
func TestIncrementalMatchesRebuild(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	rng := rand.New(rand.NewPCG(3, 4))
	g := uscc.NewGenerator(21)
	var codes []string
	for i := 0; i < 12; i++ {
		c := g.USCC('9', '1', "350100")
		name := fmt.Sprintf("福州测试%d有限公司", i%6) // shared names
		if err := f.st.PutSubject(ctx, &credit.Subject{ID: c, Kind: credit.Organisation, Code: c, Name: name}); err != nil {
			t.Fatal(err)
		}
		codes = append(codes, c)
	}
	type open struct {
		entry, subject string
		seq            int64
		rec            string
		decided        bool
	}
	var opens []open
	persons := []string{"h1", "h2", "h3"}
	queries := []sanction.Query{{Name: "福州测试1有限公司"}, {Name: "测试2有限"}}
	for _, c := range codes {
		queries = append(queries, sanction.Query{Code: c})
	}
	for step := 0; step < 120; step++ {
		switch op := rng.IntN(6); {
		case op <= 1 || len(opens) == 0:
			c := codes[rng.IntN(len(codes))]
			rec := credit.NewID()
			list := []string{"court_defaulters", "honest_typical", "samr_serious_illegal"}[rng.IntN(3)]
			p := &credit.ListEvent{ID: credit.NewID(), EntryID: credit.NewID(), List: list, SubjectID: c, Step: credit.StepProposed, Actor: "t",
				Detail: credit.EntryDetail{BasisRecords: []string{rec}, SubjectKind: credit.Organisation, SubjectName: fmt.Sprintf("福州测试%d有限公司", step%6),
					Persons: []credit.ResponsiblePerson{{Role: "法定代表人", Name: "某", IDHash: persons[rng.IntN(3)]}}}}
			if err := f.st.AppendListEvent(ctx, p, 0); err != nil {
				t.Fatal(err)
			}
			opens = append(opens, open{p.EntryID, c, p.Seq, rec, false})
		case op == 2:
			i := rng.IntN(len(opens))
			o := &opens[i]
			step := credit.StepDecided
			if o.decided {
				step = credit.StepRemoved
			}
			ev := &credit.ListEvent{ID: credit.NewID(), EntryID: o.entry, List: "x", SubjectID: o.subject, Step: step, Actor: "t",
				Detail: credit.EntryDetail{Since: f.clk.now().Add(-time.Hour), RemovalReason: "revocation"}}
			// The list code of later events is the entry's own.
			evs, _ := f.st.EntryEvents(ctx, o.entry)
			ev.List = evs[0].List
			if err := f.st.AppendListEvent(ctx, ev, o.seq); err != nil {
				t.Fatal(err)
			}
			if step == credit.StepRemoved {
				opens = append(opens[:i], opens[i+1:]...)
			} else {
				o.seq, o.decided = ev.Seq, true
			}
		case op == 3:
			o := opens[rng.IntN(len(opens))]
			kind, target := credit.VerifyRecord, o.rec
			if rng.IntN(2) == 0 {
				kind, target = credit.VerifyEntry, o.entry
			}
			if err := f.st.AppendVerification(ctx, &credit.VerificationMark{ID: credit.NewID(), TargetKind: kind, TargetID: target, Active: rng.IntN(2) == 0}); err != nil {
				t.Fatal(err)
			}
		case op == 4:
			if err := f.st.AppendNameDecision(ctx, &credit.NameDecision{ID: credit.NewID(), NameKey: sanction.NameKey("福州测试1有限公司"), SubjectID: codes[rng.IntN(len(codes))]}); err != nil {
				t.Fatal(err)
			}
		default:
			continue
		}
		if err := f.svc.Refresh(ctx); err != nil {
			t.Fatal(err)
		}
		if step%10 != 9 {
			continue
		}
		fresh := f.service()
		for _, matter := range []string{"gov_procurement", "licence_approval", "honours_award"} {
			a, err1 := f.svc.Probe(procure, sanction.Request{Matter: matter, Subjects: queries})
			b, err2 := fresh.Probe(procure, sanction.Request{Matter: matter, Subjects: queries})
			if err1 != nil || err2 != nil || a != b {
				t.Fatalf("step %d %s: incremental %d (%v), rebuilt %d (%v)", step, matter, a, err1, b, err2)
			}
			ra, _ := f.svc.Check(ctx, procure, sanction.Request{Matter: matter, Subjects: append(queries, sanction.Query{Code: repID})})
			rb, _ := fresh.Check(ctx, procure, sanction.Request{Matter: matter, Subjects: append(queries, sanction.Query{Code: repID})})
			for i := range ra.Results {
				x, y := ra.Results[i], rb.Results[i]
				if fmt.Sprint(x.Hits, x.Candidates) != fmt.Sprint(y.Hits, y.Candidates) {
					t.Fatalf("step %d %s query %+v:\n incremental %+v\n rebuilt     %+v", step, matter, x.Query, x, y)
				}
			}
		}
	}
}

// TestListedEntriesForPublication: the publication engine's sequence holds
// the decided entries of a kind's lists in force, newest change first, and
// not proposals or entries past their period.
func TestListedEntriesForPublication(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	a := f.listed()
	b, err := f.svc.Propose(ctx, samrDept, sanction.Proposal{List: "samr_serious_illegal", SubjectID: orgB,
		BasisRecords: []string{f.recs["other"]}, Grounds: "提供虚假材料取得许可"})
	if err != nil {
		t.Fatal(err)
	}
	seq := func(kind string) []string {
		t.Helper()
		es, err := f.svc.ListedEntries(ctx, kind, f.clk.now())
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for i := range es.Len() {
			le := es.At(i)
			if le.List != "samr_serious_illegal" || le.Dept != "SAMR-350100" || le.Since.IsZero() || len(le.BasisRecords) != 1 {
				t.Errorf("entry %d: %+v", i, le)
			}
			ids = append(ids, le.SubjectID)
		}
		return ids
	}
	if got := seq("black"); !slices.Equal(got, []string{orgA}) {
		t.Fatalf("with one decided entry and one proposal: %v", got)
	}
	if _, err := f.svc.Notice(ctx, samrDept, b.ID, sanction.NoticeInput{DocNo: "榕市监告〔2026〕2号"}); err != nil {
		t.Fatal(err)
	}
	f.clk.add(15 * 24 * time.Hour)
	if _, err := f.svc.Decide(ctx, samrDept, b.ID, sanction.DecisionInput{DocNo: "榕市监严〔2026〕2号"}); err != nil {
		t.Fatal(err)
	}
	if got := seq("black"); !slices.Equal(got, []string{orgB, orgA}) {
		t.Fatalf("newest change first: got %v, want %v", got, []string{orgB, orgA})
	}
	if got := seq("red"); len(got) != 0 {
		t.Fatalf("red: %v", got)
	}
	f.clk.add(37 * 30 * 24 * time.Hour)
	if got := seq("black"); len(got) != 0 {
		t.Fatalf("past the period: %v (entry %s)", got, a.ID)
	}
}
