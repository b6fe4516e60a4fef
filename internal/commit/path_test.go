package commit_test

import (
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xinyong/xinyong/internal/apptest"
	"github.com/xinyong/xinyong/internal/chinatime"
	"github.com/xinyong/xinyong/internal/commit"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/publish"
	"github.com/xinyong/xinyong/internal/records"
	"github.com/xinyong/xinyong/internal/sanction"
)

// TestCommitmentPath takes one 容缺受理 commitment the whole way on each
// backend: the eligibility question → the commitment registered at the
// counter with its missing materials and a due date in working days → the
// record published → overdue in the unit's queue → escalated once →
// broken by the unit's decision → the commitment's record published as a
// 失信 record, the approval granted on it revoked → the subject ineligible
// now → listed on the key-attention list on that record → and a 告知承诺
// found false later, recorded by the one false-commitment path.
func TestCommitmentPath(t *testing.T) {
	for _, backend := range []string{apptest.SQLite, apptest.Postgres} {
		t.Run(backend, func(t *testing.T) { commitmentPath(t, backend) })
	}
}

func commitmentPath(t *testing.T, backend string) {
	f := newFixture(t, backend)
	ctx, env, svc := f.ctx, f.env, f.svc
	name := "福州承诺示范科技有限公司"
	subj := f.org(name, '1')
	// The licence the market regulator grants on the commitment, which
	// it reports as 双公示 licence information.
	licence, _, err := env.Records.Append(ctx, records.Report{Item: "admin_licence", Dept: samr, SubjectID: subj, Fields: credit.Fields{
		"xk_xdr_mc": name, "xk_xdr_lb": "法人及非法人组织", "xk_xdr_shxym": subj, "xk_frdb": "林一",
		"xk_xkws": "食品经营许可决定书", "xk_wsh": "榕市监许〔2026〕101号", "xk_xklb": "普通", "xk_xkzs": "食品经营许可证", "xk_xkbh": "JY13501000000001",
		"xk_nr": "食品销售经营者", "xk_jdrq": env.Clock.Date(0), "xk_yxqz": env.Clock.Date(0), "xk_yxqzi": "2031-11-19",
		"xk_xkjg": "福州市市场监督管理局", "xk_xkjgdm": authority, "xk_zt": "有效", "xk_lydw": "福州市市场监督管理局", "xk_lydwdm": authority,
	}})
	if err != nil {
		t.Fatal(err)
	}

	// 1. The business system asks, and keeps the answer's ID.
	ans, err := svc.Eligibility(ctx, counter, subj, "licence_approval")
	if err != nil || !ans.Eligible || ans.ID == "" || len(ans.Conditions) < 4 {
		t.Fatalf("eligibility: %+v %v", ans, err)
	}

	// 2. It registers the commitment signed at its counter.
	in := rongque(subj)
	in.CheckID = ans.ID
	c, used, err := svc.Sign(ctx, counter, in)
	if err != nil {
		t.Fatal(err)
	}
	due, err := env.Calendar.Due(env.Clock.Now(), 10)
	if err != nil {
		t.Fatal(err)
	}
	if c.State != commit.StateDue || !c.Open || !c.Due.Equal(due.Date) || c.Unit != samr || used == nil || c.CheckID != used.ID || c.Approval != "榕市监许〔2026〕101号" {
		t.Fatalf("signed %+v (answer %+v)", c, used)
	}
	if !regexp.MustCompile(`^35010020261120[0-9A-Z]{6}$`).MatchString(c.Code) {
		t.Errorf("承诺编码 %q", c.Code)
	}
	if !strings.Contains(c.Detail.Promise, "消防验收意见书、环境影响评价批复") || !strings.Contains(c.Detail.Promise, chinatime.Format(due.Date)) || !strings.Contains(c.Detail.Promise, name) {
		t.Errorf("promise %q", c.Detail.Promise)
	}
	// The commitment is a record of the commitment item, published.
	rec, err := env.Store.Record(ctx, c.RecordID)
	if err != nil || rec.Item != "credit_commitment" || rec.DocNo != c.Code || rec.Dept != samr || rec.Severity != credit.SeverityNone {
		t.Fatalf("record %+v %v", rec, err)
	}
	pub := func(item string) publish.Decision {
		t.Helper()
		file, err := env.Records.File(ctx, subj)
		if err != nil {
			t.Fatal(err)
		}
		s, _ := env.Store.Subject(ctx, subj)
		for _, st := range file {
			if st.Current.Item == item && (item != "credit_commitment" || st.Current.DocNo == c.Code) {
				marks, _ := env.Marks.Marks(ctx, []string{st.Origin})
				return env.Publish.Decide(st, s, publish.Public, marks[st.Origin])
			}
		}
		t.Fatalf("no %s record", item)
		return publish.Decision{}
	}
	field := func(d publish.Decision, code string) string {
		for _, vf := range d.Fields {
			if vf.Code == code {
				return vf.Value
			}
		}
		return ""
	}
	if d := pub("credit_commitment"); !d.Visible || field(d, "cn_lx") != "容缺受理型" || field(d, "cn_lxzt") != "" || field(d, "cn_bm") != c.Code {
		t.Errorf("public commitment %+v", d)
	}

	// 3. Before the due date nothing moves; the unit's queue holds it.
	if n, err := svc.Sweep(ctx); err != nil || n != 0 {
		t.Fatalf("early sweep: %d %v", n, err)
	}
	q, err := svc.Queue(ctx, samr)
	if err != nil || len(q) != 1 || q[0].ID != c.ID || q[0].Late {
		t.Fatalf("queue %+v %v", q, err)
	}
	if q, _ := svc.Queue(ctx, "TAX-350100"); len(q) != 0 {
		t.Errorf("another unit's queue %+v", q)
	}

	// 4. The day after the due date the sweep makes it overdue; the unit
	// has five working days to decide.
	env.Clock.Set(chinatime.EndOfDay(due.Date).Add(10 * time.Hour))
	if n, err := svc.Sweep(ctx); err != nil || n != 1 {
		t.Fatalf("sweep at due: %d %v", n, err)
	}
	c, _ = svc.Commitment(ctx, c.ID)
	decideBy, _ := env.Calendar.Deadline(due.Date, 5)
	if c.State != commit.StateOverdue || !c.DecideBy.Equal(decideBy) || !c.Open {
		t.Fatalf("overdue %+v", c)
	}
	q, _ = svc.Queue(ctx, samr, commit.StateOverdue)
	if len(q) != 1 || !q[0].Late || q[0].Escalated {
		t.Errorf("overdue queue %+v", q)
	}
	// An overdue commitment keeps the subject from another 容缺受理.
	if a, _ := svc.Eligibility(ctx, counter, subj, "licence_approval"); a.Eligible || !slices.Contains(codes(a.Reasons), "overdue") {
		t.Errorf("eligibility while overdue: %+v", a)
	}

	// 5. Left undecided, it is escalated to the credit office, once.
	env.Clock.Set(chinatime.EndOfDay(decideBy).Add(9 * time.Hour))
	if n, err := svc.Sweep(ctx); err != nil || n != 1 {
		t.Fatalf("escalation: %d %v", n, err)
	}
	if n, err := svc.Sweep(ctx); err != nil || n != 0 {
		t.Fatalf("second sweep: %d %v", n, err)
	}
	evs, _ := svc.Events(ctx, c.ID)
	var actions []string
	for _, ev := range evs {
		actions = append(actions, ev.Action)
	}
	if strings.Join(actions, " ") != "sign overdue escalate" || evs[2].Data["to"] != "credit_office" {
		t.Fatalf("events %v %+v", actions, evs)
	}
	if q, _ := svc.Queue(ctx, samr); len(q) != 1 || !q[0].Escalated {
		t.Errorf("escalated queue %+v", q)
	}

	// 6. Only the accepting unit's officers (or the credit office) decide a
	// breach, with a document.
	breach := commit.Breach{DocNo: "榕市监违诺〔2026〕8号", Reason: "逾期未补交消防验收意见书和环境影响评价批复", Finding: commit.FindingUnperformed}
	for _, a := range []credit.Actor{other, counter} {
		if _, err := svc.Break(ctx, a, c.ID, breach); !credit.Is(credit.Permission, err) {
			t.Errorf("%s breaking: %v", a.Name, err)
		} else if code, ok := commit.Refused(err); !ok || code != commit.RefusedOtherUnit {
			t.Errorf("%s: not an audited refusal: %v", a.Name, err)
		}
	}
	if _, err := svc.Break(ctx, officer, c.ID, commit.Breach{Reason: "逾期"}); !credit.Is(credit.Invalid, err) {
		t.Errorf("a breach without a document: %v", err)
	}
	br, err := svc.Break(ctx, officer, c.ID, breach)
	if err != nil {
		t.Fatal(err)
	}
	if br.Commitment.State != commit.StateBroken || br.Commitment.Open || br.Record.Severity != credit.SeverityGeneral || br.FalseRecord != nil {
		t.Fatalf("broken %+v record %+v", br.Commitment, br.Record)
	}
	// The record states the breach and is published as 失信 information
	// from today, by the item's rules.
	d := pub("credit_commitment")
	today := chinatime.Date(env.Clock.Now())
	if !d.Visible || d.Severity != credit.SeverityGeneral || field(d, "cn_lxzt") != "全部未履行" || field(d, "cn_rdwsh") != breach.DocNo ||
		!d.PublishedFrom.Equal(today) || !d.PublishedUntil.Equal(today.AddDate(1, 0, 0)) {
		t.Errorf("public breach %+v", d)
	}
	// The licence granted on the commitment is revoked: the decision
	// withdrawn, the step recorded.
	if br.ApprovalRevoked != "榕市监许〔2026〕101号" || br.Revocation == nil || br.Revocation.Supersedes != licence.ID {
		t.Errorf("approval %q revocation %+v", br.ApprovalRevoked, br.Revocation)
	}
	if d := pub("admin_licence"); d.Visible || d.Reason != publish.Revoked {
		t.Errorf("the revoked licence is still public: %+v", d)
	}
	evs, _ = svc.Events(ctx, c.ID)
	if last := evs[len(evs)-1]; last.Action != "revoke_approval" || last.Data["approval"] != "榕市监许〔2026〕101号" || last.Data["record_revoked"] != licence.ID {
		t.Errorf("last event %+v", last)
	}
	if p, _ := env.Store.PendingRecompute(ctx, 100); !slices.ContainsFunc(p, func(m credit.RecomputeMark) bool { return m.SubjectID == subj }) {
		t.Errorf("evaluation not marked for recompute: %+v", p)
	}
	// A settled commitment is decided once.
	if _, err := svc.Fulfil(ctx, officer, c.ID, "补交了"); !credit.Is(credit.Conflict, err) {
		t.Errorf("fulfilling a broken commitment: %v", err)
	}

	// 7. The breach keeps the subject from 容缺受理 for the matter's years.
	a, err := svc.Eligibility(ctx, counter, subj, "licence_approval")
	if err != nil || a.Eligible || !slices.Contains(codes(a.Reasons), "breach") {
		t.Fatalf("eligibility after the breach: %+v %v", a, err)
	}

	// 8. The breach grounds a listing on the key-attention list (its
	// criteria take 一般 commitment records): proposed, noticed, decided.
	e, err := env.Sanction.Propose(ctx, reviewer, sanction.Proposal{List: "key_watch", SubjectID: subj, BasisRecords: []string{c.RecordID},
		Grounds: "违背容缺受理承诺，逾期未补交材料"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := env.Sanction.Notice(ctx, reviewer, e.ID, sanction.NoticeInput{DocNo: "榕信告〔2026〕3号"}); err != nil {
		t.Fatal(err)
	}
	env.Clock.Advance(14 * 24 * time.Hour)
	if _, err := env.Sanction.Decide(ctx, reviewer, e.ID, sanction.DecisionInput{DocNo: "榕信决〔2026〕3号"}); err != nil {
		t.Fatal(err)
	}
	les, err := env.Sanction.SubjectEntries(ctx, subj, env.Clock.Now())
	if err != nil || !slices.ContainsFunc(les, func(le publish.ListedEntry) bool { return le.List == "key_watch" && le.EntryID == e.ID }) {
		t.Fatalf("listed: %+v %v", les, err)
	}
	res, err := env.Sanction.Check(ctx, sanction.Caller{Name: "biz", Dept: samr, Matters: []string{"daily_supervision"}},
		sanction.Request{Matter: "daily_supervision", Subjects: []sanction.Query{{Code: subj}}})
	if err != nil || !res.Results[0].Listed || len(res.Results[0].Measures) == 0 {
		t.Errorf("hit check after listing: %+v %v", res, err)
	}
	if a, _ := svc.Eligibility(ctx, counter, subj, "project_approval"); a.Eligible || !slices.Contains(codes(a.Reasons), "listed") {
		t.Errorf("project approval eligibility while on the watch list: %+v", a)
	}

	// 9. A 告知承诺 (no eligibility asked) recorded as kept, then found
	// false: the false commitment's record by workflow's one path, 严重,
	// published for three years, naming the commitment.
	tz := commit.Signing{SubjectID: subj, Matter: "licence_approval", Kind: "approval", Signer: "林一", SignerRole: "法定代表人",
		Document: "告知承诺书第2026-009号", Approval: "榕市监许〔2026〕120号", Accepted: true}
	c2, _, err := svc.Sign(ctx, counter, tz)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Fulfil(ctx, counter, c2.ID, "核查符合"); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Break(ctx, officer, c2.ID, commit.Breach{DocNo: "榕市监认〔2027〕2号", Reason: "场所面积不足", Finding: commit.FindingUnperformed}); !credit.Is(credit.Conflict, err) {
		t.Errorf("a kept commitment found merely unperformed: %v", err)
	}
	fb, err := svc.Break(ctx, officer, c2.ID, commit.Breach{DocNo: "榕市监认〔2027〕2号", Reason: "经现场核查，经营场所面积与承诺不符", Finding: commit.FindingFalse})
	if err != nil {
		t.Fatal(err)
	}
	if fb.FalseRecord == nil || fb.FalseRecord.Item != "false_commitment" || fb.FalseRecord.Severity != credit.SeveritySerious ||
		fb.FalseRecord.Fields["xj_cnbm"] != c2.Code || fb.FalseRecord.Fields["xj_rdjg"] != "福州市市场监督管理局" {
		t.Fatalf("false commitment record %+v", fb.FalseRecord)
	}
	if d := pub("false_commitment"); !d.Visible || !d.PublishedUntil.Equal(chinatime.Date(env.Clock.Now()).AddDate(3, 0, 0)) {
		t.Errorf("public false commitment %+v", d)
	}
	if a, _ := svc.Eligibility(ctx, counter, subj, "licence_approval"); !slices.Contains(codes(a.Reasons), "serious_record") {
		t.Errorf("eligibility after the false commitment: %+v", a)
	}

	// The statistics count both.
	stats, err := svc.Stats(ctx, time.Time{}, "")
	if err != nil || len(stats) != 1 || stats[0] != (commit.Stat{Matter: "licence_approval", Unit: samr, Signed: 2, Broken: 2}) {
		t.Errorf("stats %+v %v", stats, err)
	}
}
