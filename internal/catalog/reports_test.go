package catalog

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/xinyong/xinyong/internal/credit"
)

func TestReportsData(t *testing.T) {
	c, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	for _, code := range []string{"public_credit", "special", "authorised", "indicators"} {
		k, err := c.ReportKind(code)
		if err != nil {
			t.Fatal(err)
		}
		if len(k.Basis) == 0 || len(k.Notes) == 0 {
			t.Errorf("%s: no basis or notes", code)
		}
	}
	if k, _ := c.ReportKind("authorised"); !k.Grant || k.MayRequest(credit.RoleSubject) || !k.MayRequest(credit.RoleInstitution) {
		t.Errorf("authorised report: grant %v, requesters %v", k.Grant, k.Requesters)
	}
	if _, err := c.ReportKind("lottery"); !credit.Is(credit.NotFound, err) || !strings.Contains(err.Error(), "public_credit") {
		t.Errorf("unknown kind: %v", err)
	}
	p, err := c.Purpose("credit_approval")
	if err != nil || !p.For(UseGrant) {
		t.Errorf("credit_approval: %v %v", p, err)
	}
	if p, _ := c.Purpose("self_check"); p.For(UseGrant) {
		t.Error("self_check is a purpose for grants")
	}
	d, err := c.SpecialDomain("market_regulation")
	if err != nil {
		t.Fatal(err)
	}
	var codes []string
	for _, dep := range c.DomainDepartments(d) {
		codes = append(codes, dep.Code)
	}
	if !slices.Contains(codes, "SAMR-350100") || !slices.Contains(codes, "SAMR-350102") || slices.Contains(codes, "TAX-350100") {
		t.Errorf("market regulation departments: %v", codes)
	}
	if got := c.DeptSpecialDomain("TAX-350100"); got != "tax" {
		t.Errorf("TAX-350100 domain %q", got)
	}
	if c.ReadBasisOf(credit.RoleInstitution) == nil || c.ReadBasisOf(credit.RolePublic) != nil {
		t.Error("read bases")
	}
	if g := c.Reports.GrantRules; g.MaxDays > 366 || g.MaxDays <= 0 {
		t.Errorf("grant max days %d", g.MaxDays)
	}
}

func TestReportsLoadErrors(t *testing.T) {
	data, err := os.ReadFile("data/reports.json")
	if err != nil {
		t.Fatal(err)
	}
	reports := string(data)
	tests := []struct {
		name     string
		old, new string
		want     string
	}{
		{"lifetime grant", `"max_days": 365`, `"max_days": 36500`,
			`catalog: reports.json: grant_rules: max_days 36500: an authorisation lasts at least a day and at most a year (国办发〔2020〕49号 forbids lifetime grants)`},
		{"institution without grant", `"requesters": ["institution"],
      "grant": true,`, `"requesters": ["institution"],`,
			`catalog: reports.json: report kind "authorised": institutions draw a report only under the subject's grant: set grant`},
		{"unknown item", `"items": ["admin_penalty", "admin_compulsion", "serious_dishonest_list", "court_defaulter", "false_commitment"],
      "list_kinds"`, `"items": ["admin_penaltyx"],
      "list_kinds"`, `catalog: reports.json: report kind "special": unknown item "admin_penaltyx"`},
		{"unknown department kind", `"dept_kinds": ["samr"]`, `"dept_kinds": ["smar"]`,
			`catalog: reports.json: special domain "market_regulation": unknown department kind "smar"`},
		{"unknown indicator calc", `"calc": "marked", "mark": "under_repair"`, `"calc": "guess", "mark": "under_repair"`,
			`catalog: reports.json: indicator "under_repair": unknown calc "guess" (known: count, list_status, marked, clean_years)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !strings.Contains(reports, tt.old) {
				t.Fatalf("reports.json does not hold %q", tt.old)
			}
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "reports.json"), []byte(strings.Replace(reports, tt.old, tt.new, 1)), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := Load(dir)
			if err == nil {
				t.Fatal("loaded")
			}
			if tt.want != "" && !slices.Contains(strings.Split(err.Error(), "\n"), tt.want) {
				t.Errorf("errors:\n%v\nwant the line:\n%s", err, tt.want)
			}
		})
	}
}
