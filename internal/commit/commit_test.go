package commit_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xinyong/xinyong/internal/apptest"
	"github.com/xinyong/xinyong/internal/chinatime"
	"github.com/xinyong/xinyong/internal/commit"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/records"
	"github.com/xinyong/xinyong/internal/uscc"
	"github.com/xinyong/xinyong/internal/workflow"
)

// Units and actors of the tests: a market regulator accepts licence
// commitments at its counter through its business system and decides
// them by its officers; the credit office oversees.
const (
	samr      = "SAMR-350100"
	ndrc      = "NDRC-350100"
	authority = "11350100570485441B" // a valid code for an authority's fields
)

var (
	officer  = credit.Actor{Name: "samr-officer", Role: credit.RoleDept, Dept: samr}
	counter  = credit.Actor{Name: "samr-counter", Role: credit.RoleBusiness, Dept: samr}
	other    = credit.Actor{Name: "tax-officer", Role: credit.RoleDept, Dept: "TAX-350100"}
	reviewer = credit.Actor{Name: "credit-office", Role: credit.RoleReviewer}
)

type fixture struct {
	t   testing.TB
	ctx context.Context
	env *apptest.Env
	svc *commit.Service
	gen *uscc.Generator
}

func newFixture(t testing.TB, backend string) *fixture {
	t.Helper()
	env := apptest.New(t, apptest.Options{Backend: backend})
	return &fixture{t: t, ctx: t.Context(), env: env, svc: env.Commit, gen: uscc.NewGenerator(int64(len(t.Name())))}
}

// org registers an organisation (or, with entity type '2', an individual
// business) and returns its code.
func (f *fixture) org(name string, entity byte) string {
	f.t.Helper()
	code := f.gen.USCC('9', entity, "350100")
	if _, err := f.env.Records.PutOrganisation(f.ctx, records.Organisation{Code: code, Name: name, LegalRep: "林一", Status: "存续",
		RegisteredOn: time.Date(2015, 3, 1, 0, 0, 0, 0, chinatime.Location)}); err != nil {
		f.t.Fatal(err)
	}
	return code
}

func subjectActor(code string) credit.Actor {
	return credit.Actor{Name: "subject-" + code, Role: credit.RoleSubject, Subject: code}
}

// penalty reports an administrative penalty of kind (处罚类别) decided
// daysAgo days ago by the development and reform commission.
func (f *fixture) penalty(code, name, doc, kind string, daysAgo int) *credit.Record {
	f.t.Helper()
	r, _, err := f.env.Records.Append(f.ctx, records.Report{Item: "admin_penalty", Dept: ndrc, SubjectID: code, Fields: credit.Fields{
		"cf_xdr_mc": name, "cf_xdr_lb": "法人及非法人组织", "cf_xdr_shxym": code, "cf_frdb": "林一",
		"cf_wsh": doc, "cf_wfxw": "价格违法", "cf_sy": "不执行政府定价", "cf_yj": "《中华人民共和国价格法》第三十九条",
		"cf_cflb": kind, "cf_nr": kind, "cf_jdrq": f.env.Clock.Date(-daysAgo),
		"cf_cfjg": "福州市发展和改革委员会", "cf_cfjgdm": authority, "cf_sjly": "福州市发展和改革委员会", "cf_sjlydm": authority,
	}})
	if err != nil {
		f.t.Fatal(err)
	}
	return r
}

// blackList reports the subject on the market regulator's serious
// dishonesty list.
func (f *fixture) blackList(code, name string) {
	f.t.Helper()
	if _, _, err := f.env.Records.Append(f.ctx, records.Report{Item: "serious_dishonest_list", Dept: samr, SubjectID: code, Fields: credit.Fields{
		"yz_mc": name, "yz_lb": "法人及非法人组织", "yz_shxym": code, "yz_frdb": "林一",
		"yz_md": "samr_serious_illegal", "yz_lrsy": "提供虚假材料骗取登记", "yz_rdyj": "《市场监督管理严重违法失信名单管理办法》第十条",
		"yz_wsh": "榕市监列〔2026〕" + code[10:14] + "号", "yz_lrrq": f.env.Clock.Date(-30), "yz_rdjg": "福州市市场监督管理局", "yz_rdjgdm": authority,
	}}); err != nil {
		f.t.Fatal(err)
	}
	if err := f.env.Sync(f.ctx); err != nil {
		f.t.Fatal(err)
	}
}

// reportedBreach reports, as a department's own record, a commitment of
// the subject found unperformed daysAgo days ago.
func (f *fixture) reportedBreach(code, name, doc string, daysAgo int) *credit.Record {
	f.t.Helper()
	r, _, err := f.env.Records.Append(f.ctx, records.Report{Item: "credit_commitment", Dept: samr, SubjectID: code, Fields: credit.Fields{
		"cn_bm": doc, "cn_crr_mc": name, "cn_crr_lb": "法人及非法人组织", "cn_crr_dm": code, "cn_lx": "容缺受理型",
		"cn_sy": "行政许可审批（容缺受理型）", "cn_nr": "补齐材料", "cn_wnzr": "撤销审批", "cn_zcrq": f.env.Clock.Date(-daysAgo - 30),
		"cn_lxzt": "全部未履行", "cn_wlxnr": "未补交消防验收意见", "cn_ztrdrq": f.env.Clock.Date(-daysAgo), "cn_ztrddw": "福州市市场监督管理局",
		"cn_sldw": "福州市市场监督管理局", "cn_gklx": "可向社会公开",
	}})
	if err != nil {
		f.t.Fatal(err)
	}
	return r
}

func codes(rs []commit.Reason) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.Code
	}
	return out
}

// TestEligibility: every condition of a matter gives its own reason, in
// both languages, naming what it rests on; what is under objection or
// repaired is weighed and noted, not counted; each answer is kept under
// its ID as given.
func TestEligibility(t *testing.T) {
	f := newFixture(t, apptest.SQLite)
	good := f.org("福州良信电子有限公司", '1')
	serious := f.org("福州严失科技有限公司", '1')
	sp := f.penalty(serious, "福州严失科技有限公司", "榕发改罚〔2026〕11号", "责令停产停业", 20)
	black := f.org("福州黑单贸易有限公司", '1')
	f.blackList(black, "福州黑单贸易有限公司")
	broke := f.org("福州违诺建材有限公司", '1')
	br := f.reportedBreach(broke, "福州违诺建材有限公司", "350100202501010000Z1", 200)
	longAgo := f.org("福州旧诺建材有限公司", '1')
	f.reportedBreach(longAgo, "福州旧诺建材有限公司", "350100202201010000Z2", 800) // more than 2 years: not counted
	objected := f.org("福州异议科技有限公司", '1')
	op := f.penalty(objected, "福州异议科技有限公司", "榕发改罚〔2026〕12号", "责令停产停业", 20)
	c, _, err := f.env.Workflow.FileObjection(f.ctx, subjectActor(objected), workflow.Objection{SubjectID: objected, RecordID: op.ID, Reasons: "处罚决定已被复议撤销"})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.env.Workflow.Act(f.ctx, credit.Actor{Name: "ndrc", Role: credit.RoleDept, Dept: ndrc}, c.ID, workflow.Action{Name: "accept"}); err != nil {
		t.Fatal(err)
	}
	indiv := f.org("福州个体五金店", '2')

	tests := []struct {
		name, subject, matter string
		eligible              bool
		reasons               []string
		ref                   string
		notes                 []string
		zh                    string
	}{
		{"a good subject", good, "licence_approval", true, nil, "", nil, ""},
		{"a serious record in force", serious, "licence_approval", false, []string{"serious_record"}, sp.ID, nil, "榕发改罚〔2026〕11号"},
		{"on a black list", black, "licence_approval", false, []string{"listed"}, "", nil, "市场监督管理严重违法失信名单"},
		{"a commitment broken within the years", broke, "licence_approval", false, []string{"breach"}, br.ID, nil, "350100202501010000Z1"},
		{"a breach longer ago", longAgo, "licence_approval", true, nil, "", nil, ""},
		{"a serious record under objection", objected, "licence_approval", true, nil, "", []string{"serious_record_under_objection"}, ""},
		{"organisations only", indiv, "project_approval", false, []string{"subject_kind"}, "", nil, "个体工商户"},
		{"a matter the law keeps from commitments", good, "fin_company_setup", false, []string{commit.RefusedNotAllowed}, "", nil, "审慎监管"},
		{"a matter not on the list", good, "soe_appointment", false, []string{commit.RefusedNotListed}, "", nil, "未列入信用承诺事项清单"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := f.svc.Eligibility(f.ctx, counter, tt.subject, tt.matter)
			if err != nil {
				t.Fatal(err)
			}
			got := codes(a.Reasons)
			if a.Eligible != tt.eligible || !containsAll(got, tt.reasons) || (tt.eligible && len(got) > 0) {
				t.Fatalf("eligible %v reasons %v, want %v %v\n%+v", a.Eligible, got, tt.eligible, tt.reasons, a)
			}
			if !containsAll(codes(a.Notes), tt.notes) {
				t.Errorf("notes %v, want %v", codes(a.Notes), tt.notes)
			}
			for _, r := range a.Reasons {
				if r.Message == "" || r.MessageZh == "" || r.Message == r.MessageZh {
					t.Errorf("reason %+v is not in both languages", r)
				}
			}
			if tt.ref != "" && !slices.ContainsFunc(a.Reasons, func(r commit.Reason) bool { return r.Ref == tt.ref }) {
				t.Errorf("no reason rests on %s: %+v", tt.ref, a.Reasons)
			}
			if tt.zh != "" && !strings.Contains(a.Summary().Zh, tt.zh) {
				t.Errorf("summary %q lacks %q", a.Summary().Zh, tt.zh)
			}
			kept, e, err := f.svc.Answer(f.ctx, a.ID)
			if err != nil || kept.ID != a.ID || kept.Eligible != a.Eligible || len(kept.Reasons) != len(a.Reasons) || e.Actor != counter.Name || e.Dept != samr {
				t.Errorf("kept answer %+v %+v %v", kept, e, err)
			}
		})
	}

	// A subject asks about itself only.
	if _, err := f.svc.Eligibility(f.ctx, subjectActor(good), serious, "licence_approval"); !credit.Is(credit.Permission, err) {
		t.Errorf("a subject asking about another: %v", err)
	} else if code, ok := commit.Refused(err); !ok || code != commit.RefusedOtherSubject {
		t.Errorf("not marked a refusal: %v", err)
	}
	if _, err := f.svc.Eligibility(f.ctx, counter, "91350100MA00000000", "licence_approval"); !credit.Is(credit.NotFound, err) {
		t.Errorf("unknown subject: %v", err)
	}
	if _, err := f.svc.Eligibility(f.ctx, counter, good, "no_such_matter"); !credit.Is(credit.Invalid, err) {
		t.Errorf("unknown matter: %v", err)
	}
}

func containsAll(have, want []string) bool {
	for _, w := range want {
		if !slices.Contains(have, w) {
			return false
		}
	}
	return true
}

// rongque is a 容缺受理 registration at the market regulator's counter.
func rongque(subject string) commit.Signing {
	return commit.Signing{SubjectID: subject, Matter: "licence_approval", Kind: "rongque", Signer: "林一", SignerRole: "法定代表人",
		Document: "容缺承诺书第2026-001号", Materials: []string{"消防验收意见书", "环境影响评价批复"}, Approval: "榕市监许〔2026〕101号", Accepted: true}
}

// TestSignRefusals: a matter the law keeps from commitments, a matter not
// listed, a kind the matter does not take, an ineligible subject, a
// commitment for another subject or another unit are refused in both
// languages and marked for the audit; nothing is written for them.
func TestSignRefusals(t *testing.T) {
	f := newFixture(t, apptest.SQLite)
	good := f.org("福州良信电子有限公司", '1')
	bad := f.org("福州严失科技有限公司", '1')
	f.penalty(bad, "福州严失科技有限公司", "榕发改罚〔2026〕21号", "吊销许可证件", 10)
	with := func(s commit.Signing, set func(*commit.Signing)) commit.Signing { set(&s); return s }
	tests := []struct {
		name    string
		actor   credit.Actor
		in      commit.Signing
		kind    credit.Kind
		refusal string
		zh      string
	}{
		{"matter not allowed", counter, with(rongque(good), func(s *commit.Signing) { s.Matter = "fin_company_setup" }), credit.Invalid, commit.RefusedNotAllowed, "不适用信用承诺"},
		{"matter not listed", counter, with(rongque(good), func(s *commit.Signing) { s.Matter = "civil_service" }), credit.Invalid, commit.RefusedNotListed, "未列入信用承诺事项清单"},
		{"ineligible subject", counter, rongque(bad), credit.Conflict, commit.RefusedIneligible, "不符合"},
		{"another subject", subjectActor(good), with(rongque(bad), func(s *commit.Signing) { s.Unit = samr }), credit.Permission, commit.RefusedOtherSubject, "只能为本主体"},
		{"another unit", counter, with(rongque(good), func(s *commit.Signing) { s.Unit = "TAX-350100" }), credit.Permission, commit.RefusedOtherUnit, "只能登记本单位"},
		{"a kind the matter does not take", counter, with(rongque(good), func(s *commit.Signing) { s.Kind = "voluntary"; s.Materials = nil }), credit.Invalid, "", "不接受主动型承诺"},
		{"a repair commitment on its own", counter, with(rongque(good), func(s *commit.Signing) { s.Kind = "repair"; s.Materials = nil }), credit.Invalid, "", "不单独签署"},
		{"no materials", counter, with(rongque(good), func(s *commit.Signing) { s.Materials = []string{" "} }), credit.Invalid, "", "缺少的材料"},
		{"not accepted", counter, with(rongque(good), func(s *commit.Signing) { s.Accepted = false }), credit.Invalid, "", "阅读并同意"},
		{"no signed document at the counter", counter, with(rongque(good), func(s *commit.Signing) { s.Document = "" }), credit.Invalid, "", "承诺书编号"},
		{"a longer due date than the matter allows", counter, with(rongque(good), func(s *commit.Signing) { s.DueWorkdays = 30 }), credit.Invalid, "", "最长为10个工作日"},
		{"a unit of a kind the template excludes", credit.Actor{Name: "x", Role: credit.RoleAdmin}, with(rongque(good), func(s *commit.Signing) {
			s.Matter, s.Kind, s.Materials, s.Unit = "gov_subsidy", "certificate", nil, samr
		}), credit.Invalid, "", "不受理"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _, err := f.svc.Sign(f.ctx, tt.actor, tt.in)
			if err == nil {
				t.Fatalf("signed %+v", c)
			}
			if !credit.Is(tt.kind, err) {
				t.Errorf("kind %v, want %v: %v", credit.KindOf(err), tt.kind, err)
			}
			code, ok := commit.Refused(err)
			if tt.refusal != "" && (!ok || code != tt.refusal) || tt.refusal == "" && ok {
				t.Errorf("refusal %q %v, want %q", code, ok, tt.refusal)
			}
			if zh := credit.Chinese(err); !strings.Contains(zh, tt.zh) || zh == err.Error() {
				t.Errorf("Chinese %q lacks %q (English %q)", zh, tt.zh, err)
			}
		})
	}
	for _, subj := range []string{good, bad} {
		cs, err := f.svc.SubjectCommitments(f.ctx, subj)
		if err != nil || len(cs) != 0 {
			t.Errorf("refused signings left commitments: %+v %v", cs, err)
		}
		file, _ := f.env.Records.File(f.ctx, subj)
		for _, st := range file {
			if st.Current.Item == "credit_commitment" {
				t.Errorf("refused signing left a record %+v", st.Current)
			}
		}
	}
	// The ineligible subject's answer is kept, with every reason.
	_, ans, err := f.svc.Sign(f.ctx, counter, rongque(bad))
	if ans == nil || ans.Eligible || ans.ID == "" || !strings.Contains(credit.Chinese(err), ans.ID) {
		t.Errorf("ineligible answer %+v %v", ans, err)
	}
}

// TestPersonCommitment: a natural person's commitment names the person by
// the ID number, sealed at rest in every version (the correction that
// states the breach reopens it only to seal it again), and is never
// public.
func TestPersonCommitment(t *testing.T) {
	f := newFixture(t, apptest.SQLite)
	ctx, svc := f.ctx, f.svc
	p, err := f.env.Records.PutPerson(ctx, "王小明", "11010519491231002X")
	if err != nil {
		t.Fatal(err)
	}
	c, _, err := svc.Sign(ctx, counter, commit.Signing{SubjectID: p.ID, Matter: "public_service", Kind: "certificate", Signer: "王小明",
		Document: "承诺书第7号", Accepted: true})
	if err != nil {
		t.Fatal(err)
	}
	if c.State != commit.StateActive || !c.Due.IsZero() {
		t.Errorf("a commitment without a due date: %+v", c)
	}
	br, err := svc.Break(ctx, officer, c.ID, commit.Breach{DocNo: "榕市监认〔2026〕7号", Reason: "所述事实不实", Finding: commit.FindingFalse})
	if err != nil {
		t.Fatal(err)
	}
	facts, err := f.env.Store.RecordsBySubject(ctx, p.ID)
	if err != nil || len(facts) != 3 {
		t.Fatalf("facts %d %v", len(facts), err)
	}
	for _, r := range facts {
		for k, v := range r.Fields {
			if strings.Contains(v, "11010519491231002X") {
				t.Errorf("%s %s holds the number in clear", r.Item, k)
			}
		}
	}
	if br.Record.Fields["cn_crr_zjhm"] == "" || br.FalseRecord.Fields["xj_zjhm"] == "" || br.FalseRecord.Fields["xj_zjlx"] != "身份证" {
		t.Errorf("the person is not named: %+v %+v", br.Record.Fields, br.FalseRecord.Fields)
	}
	opened, err := f.env.Records.OpenFields(br.Record.Fields)
	if err != nil || opened["cn_crr_zjhm"] != "11010519491231002X" {
		t.Errorf("opened %q %v", opened["cn_crr_zjhm"], err)
	}
}
