package catalog

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xinyong/xinyong/internal/credit"
)

// TestCommitmentsData: the shipped commitment data loads, every kind is a
// 承诺类型 of the commitment item, every matter it names is a matter, and
// the lookups answer as the pages and the service need.
func TestCommitmentsData(t *testing.T) {
	c, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	rq, err := c.CommitmentKind("rongque")
	if err != nil || rq.Name != "容缺受理型" || !rq.Eligibility || !rq.Materials || rq.Due != DueRequired {
		t.Fatalf("rongque: %+v %v", rq, err)
	}
	if _, err := c.CommitmentKind("lucky"); !credit.Is(credit.NotFound, err) || credit.Chinese(err) == "" {
		t.Errorf("unknown kind: %v", err)
	}
	m, err := c.MatterCommitments("licence_approval")
	if err != nil || m == nil || !m.Allowed || m.Template("rongque") == nil || m.Eligibility == nil || m.Eligibility.BreachYears != 2 {
		t.Fatalf("licence_approval: %+v %v", m, err)
	}
	if m, err := c.MatterCommitments("fin_company_setup"); err != nil || m == nil || m.Allowed || m.Reason == "" {
		t.Errorf("fin_company_setup: %+v %v", m, err)
	}
	if m, err := c.MatterCommitments("soe_appointment"); err != nil || m != nil {
		t.Errorf("a matter without commitment data: %+v %v", m, err)
	}
	if _, err := c.MatterCommitments("no_such_matter"); !credit.Is(credit.NotFound, err) {
		t.Errorf("unknown matter: %v", err)
	}
	rep, _ := c.CommitmentKind("repair")
	if rep == nil || rep.Portal || rep.Text == "" {
		t.Errorf("repair kind: %+v", rep)
	}
	if got := Fill("由{unit}于{due}前核查{nope}", map[string]string{"unit": "市场监管局", "due": "2026-12-01"}); got != "由市场监管局于2026-12-01前核查" {
		t.Errorf("Fill: %q", got)
	}
	hk, err := c.DeclarationKind("honour")
	if err != nil || hk.Item != "honour" || hk.Map["ry_wh"] != "number" {
		t.Errorf("honour declarations: %+v %v", hk, err)
	}
	// A breach rule reads the current content of a commitment record.
	var rule *BreachRule
	for _, b := range c.Commitments.Breaches {
		if b.Item == CommitmentItem {
			rule = b
		}
	}
	if rule == nil || !rule.Holds(credit.Fields{"cn_lxzt": "全部未履行"}) || rule.Holds(credit.Fields{"cn_lxzt": "全部履行"}) || rule.Holds(credit.Fields{}) {
		t.Errorf("breach rule: %+v", rule)
	}
}

// TestCommitmentWindow: a broken commitment is published from the date
// its breach was determined (from_field), not from the day it was made.
func TestCommitmentWindow(t *testing.T) {
	c, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	it, _ := c.Item(CommitmentItem)
	f := credit.Fields{"cn_zcrq": "2024-01-10", "cn_lxzt": "全部未履行", "cn_ztrdrq": "2026-03-02", "cn_gklx": "可向社会公开"}
	sev := it.Severity(f, "")
	if sev != credit.SeverityGeneral {
		t.Fatalf("severity %q", sev)
	}
	start, minEnd, maxEnd, pub := it.Window(f, sev, "", mustDate(t, "2024-01-10"))
	if !pub || !start.Equal(mustDate(t, "2026-03-02")) || !minEnd.Equal(mustDate(t, "2026-06-02")) || !maxEnd.Equal(mustDate(t, "2027-03-02")) {
		t.Errorf("window %v %v %v %v", start, minEnd, maxEnd, pub)
	}
}

func mustDate(t *testing.T, s string) time.Time {
	t.Helper()
	d, err := ParseDate(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestCommitmentsErrors: mistakes in commitments.json are reported on
// load, each with where it is.
func TestCommitmentsErrors(t *testing.T) {
	data := embeddedFile(t, "commitments.json")
	tests := []struct {
		name, old, new, want string
	}{
		{"kind not a 承诺类型", `"name": "主动型"`, `"name": "自愿型"`, `kind "voluntary": name "自愿型" is not a 承诺类型 of credit_commitment`},
		{"unknown matter", `"matter": "credit_publicity"`, `"matter": "credit_publicityx"`, `matter "credit_publicityx": not a matter of matters.json`},
		{"forbidden without reason", `"reason": "债券发行涉及金融业审慎监管，不适用信用承诺制",`, ``, `matter "bond_issue": a matter that allows no commitment says why (reason, reason_en)`},
		{"unknown placeholder", `已符合该事项规定的全部审批条件`, `已符合{conditions}`, `unknown placeholder {conditions}`},
		{"due where there is none", `主动接受{unit}和社会监督`, `于{due}前主动接受{unit}和社会监督`, `{due} in a template without a due date`},
		{"rongque without a due date", `"due_workdays": 10,`, ``, `kind "rongque" has a due date: due_workdays missing`},
		{"unknown list kind", `"no_list_kinds": ["black", "watch"]`, `"no_list_kinds": ["black", "grey"]`, `no_list_kinds: unknown list kind "grey"`},
		{"bad disclosure", `"disclosure": "特定范围内公开"`, `"disclosure": "内部"`, `disclosure "内部" is not a 公开类型`},
		{"unknown unit kind", `"units": ["finance", "ndrc"]`, `"units": ["finance", "ndrcx"]`, `units: unknown department kind "ndrcx"`},
		{"breach on an unknown field", `{"field": "cn_lxzt", "any": ["部分履行", "全部未履行"]}`, `{"field": "cn_lxztt", "any": ["部分履行"]}`, `breaches[0]: when[0]: unknown field "cn_lxztt" of credit_commitment`},
		{"declaration literal outside the enum", `"xk_xklb": "=其他"`, `"xk_xklb": "=随便"`, `xk_xklb: "随便" is not a value of the field`},
		{"misspelt key in tracking", `"decide_workdays": 5`, `"decide_workday": 5`, `"tracking": json: unknown field "decide_workday"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "commitments.json"), []byte(replaceOnce(t, data, tt.old, tt.new)), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := Load(dir)
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "catalog: commitments.json: ") {
				t.Errorf("Load: %v\nwant an error with %q", err, tt.want)
			}
		})
	}
}
