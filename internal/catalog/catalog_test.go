package catalog

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xinyong/xinyong/internal/credit"
)

func mustDefault(t *testing.T) *Catalog {
	t.Helper()
	c, err := Default()
	if err != nil {
		t.Fatalf("Default: %v", err)
	}
	return c
}

func mustItem(t *testing.T, code string) *Item {
	t.Helper()
	it, err := mustDefault(t).Item(code)
	if err != nil {
		t.Fatal(err)
	}
	return it
}

func TestDefaultCoversRequiredItems(t *testing.T) {
	c := mustDefault(t)
	if c.Version != "2024.1" {
		t.Errorf("Version = %q", c.Version)
	}
	for _, code := range []string{
		"registration", "admin_licence", "admin_penalty", "admin_compulsion", "court_defaulter",
		"serious_dishonest_list", "abnormal_operation", "credit_commitment", "honour", "contract_performance",
	} {
		it, err := c.Item(code)
		if err != nil {
			t.Errorf("Item(%q): %v", code, err)
			continue
		}
		if len(it.Basis) == 0 || it.Keys.SubjectName == "" || it.Keys.DecidedOn == "" {
			t.Errorf("item %q lacks basis or keys", code)
		}
	}
	for _, code := range []string{"court_defaulters", "tax_major_dishonest", "samr_serious_illegal", "gp_serious_dishonest", "key_watch", "abnormal_operation_list", "honest_typical"} {
		if _, err := c.List(code); err != nil {
			t.Errorf("List(%q): %v", code, err)
		}
	}
	// The measures 中办发〔2016〕64号 and rules.md §8 name, and the incentives of 国发〔2016〕33号.
	for _, code := range []string{
		"restrict_gov_procurement", "restrict_gov_subsidy", "restrict_soe_appointment", "restrict_fin_appointment",
		"restrict_bond_issue", "stricter_credit_review", "restrict_real_estate", "restrict_high_consumption",
		"green_channel", "priority_subsidy", "fewer_inspections", "credit_loan_facility",
	} {
		m, err := c.Measure(code)
		if err != nil {
			t.Errorf("Measure(%q): %v", code, err)
			continue
		}
		for _, b := range m.Basis {
			if b.Ref == "" {
				t.Errorf("measure %q: basis %s has no article", code, b.Title)
			}
		}
	}
	if d, err := c.Department("SAMR-350100"); err != nil || d.Kind != "samr" {
		t.Errorf("Department(SAMR-350100) = %v, %v", d, err)
	}
	if c.Sources["items.json"] != "embedded" {
		t.Errorf("Sources = %v", c.Sources)
	}
}

func TestShuangGongShiFieldCodes(t *testing.T) {
	want := map[string][]string{
		"admin_penalty": {"cf_xdr_mc", "cf_xdr_lb", "cf_xdr_shxym", "cf_xdr_gszc", "cf_xdr_zzjg", "cf_xdr_swdj",
			"cf_xdr_sydw", "cf_xdr_shzz", "cf_frdb", "cf_fr_zjlx", "cf_fr_zjhm", "cf_xdr_zjlx", "cf_xdr_zjhm",
			"cf_wsh", "cf_wfxw", "cf_sy", "cf_yj", "cf_cflb", "cf_nr", "cf_nr_fk", "cf_nr_wfff", "cf_nr_zkdx",
			"cf_jdrq", "cf_yxq", "cf_gsjzq", "cf_cfjg", "cf_cfjgdm", "cf_sjly", "cf_sjlydm", "bz"},
		"admin_licence": {"xk_xdr_mc", "xk_xdr_lb", "xk_xdr_shxym", "xk_xdr_gszc", "xk_xdr_zzjg", "xk_xdr_swdj",
			"xk_xdr_sydw", "xk_xdr_shzz", "xk_frdb", "xk_fr_zjlx", "xk_fr_zjhm", "xk_xdr_zjlx", "xk_xdr_zjhm",
			"xk_xkws", "xk_wsh", "xk_xklb", "xk_xkzs", "xk_xkbh", "xk_nr", "xk_jdrq", "xk_yxqz", "xk_yxqzi",
			"xk_xkjg", "xk_xkjgdm", "xk_zt", "xk_lydw", "xk_lydwdm", "bz"},
	}
	for item, codes := range want {
		it := mustItem(t, item)
		for _, code := range codes {
			if it.Field(code) == nil {
				t.Errorf("%s: missing field %s", item, code)
			}
		}
		if len(it.Fields) != len(codes) {
			t.Errorf("%s: %d fields, want exactly the %d national ones", item, len(it.Fields), len(codes))
		}
	}
	p := mustItem(t, "admin_penalty")
	keys := Keys{SubjectName: "cf_xdr_mc", SubjectCode: "cf_xdr_shxym", SubjectIDNo: "cf_xdr_zjhm", SubjectKind: "cf_xdr_lb",
		DocNo: "cf_wsh", DecidedOn: "cf_jdrq", Authority: "cf_cfjg", AuthorityCode: "cf_cfjgdm"}
	if p.Keys != keys {
		t.Errorf("admin_penalty keys = %+v", p.Keys)
	}
}

func TestFieldByHeader(t *testing.T) {
	p := mustItem(t, "admin_penalty")
	l := mustItem(t, "admin_licence")
	tests := []struct {
		it     *Item
		header string
		want   string // "" = no field
	}{
		{p, "cf_wsh", "cf_wsh"},
		{p, " CF_WSH ", "cf_wsh"},
		{p, "行政处罚决定书文号", "cf_wsh"},
		{p, "*行政相对人名称", "cf_xdr_mc"},
		{p, "罚款金额（万元）", "cf_nr_fk"},
		{p, "罚款金额(万元)", "cf_nr_fk"},
		{p, "\ufeff处罚决定日期", "cf_jdrq"},
		{p, "处罚名称", "cf_wfxw"},
		{p, "处罚类别1", "cf_cflb"},
		{p, "处罚类别2", "cf_cflb"},
		{p, "处罚事由", "cf_sy"},
		{p, "处罚结果", "cf_nr"},
		{p, "行政相对人代码_1(统一社会信用代码)", "cf_xdr_shxym"},
		{p, "Decision date", "cf_jdrq"},
		{p, "地方编码", ""},
		{p, "no such column", ""},
		{l, "项目名称", "xk_xkws"},
		{l, "审批类别", "xk_xklb"},
		{l, "许可截止期", "xk_yxqzi"},
		{l, "当前状态", "xk_zt"},
		{l, "有效期至", "xk_yxqzi"},
	}
	for _, tt := range tests {
		got := ""
		if f := tt.it.FieldByHeader(tt.header); f != nil {
			got = f.Code
		}
		if got != tt.want {
			t.Errorf("%s.FieldByHeader(%q) = %q, want %q", tt.it.Code, tt.header, got, tt.want)
		}
	}
	for _, h := range []string{"地方编码", "数据更新时间戳", "当前状态"} {
		if !p.IgnoredHeader(h) {
			t.Errorf("admin_penalty.IgnoredHeader(%q) = false", h)
		}
	}
}

func TestNotFound(t *testing.T) {
	c := mustDefault(t)
	_, err := c.Item("x")
	if !credit.Is(credit.NotFound, err) {
		t.Fatalf("kind = %v", credit.KindOf(err))
	}
	want := `unknown catalogue item "x": not in catalogue 2024.1 (known: abnormal_operation, admin_compulsion, admin_licence, admin_penalty, contract_performance, court_defaulter, credit_commitment, false_commitment, honour, industry_rating, inspection_result, registration, serious_dishonest_list)`
	if err.Error() != want {
		t.Errorf("got  %s\nwant %s", err, want)
	}
	if _, err := c.List("x"); !credit.Is(credit.NotFound, err) || !strings.HasPrefix(err.Error(), `unknown list type "x": not in catalogue 2024.1 (known: abnormal_operation_list, `) {
		t.Errorf("List: %v", err)
	}
	if _, err := c.Measure("x"); !credit.Is(credit.NotFound, err) {
		t.Errorf("Measure: %v", err)
	}
}

func TestMeasuresFor(t *testing.T) {
	c := mustDefault(t)
	var got []string
	for _, m := range c.MeasuresFor("court_defaulters", "gov_procurement") {
		got = append(got, m.Code)
	}
	if strings.Join(got, ",") != "restrict_gov_procurement" {
		t.Errorf("court_defaulters/gov_procurement = %v", got)
	}
	for _, m := range c.MeasuresFor("honest_typical", "") {
		if !m.Incentive {
			t.Errorf("red list triggers sanction %s", m.Code)
		}
	}
	if len(c.MeasuresFor("honest_typical", "credit_lending")) != 1 {
		t.Errorf("no lending incentive for red list")
	}
}

// embeddedFile returns an embedded data file, for tests that break one
// thing in an otherwise valid file.
func embeddedFile(t *testing.T, name string) string {
	t.Helper()
	b, err := embedded.ReadFile("data/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func replaceOnce(t *testing.T, s, old, new string) string {
	t.Helper()
	if strings.Count(s, old) != 1 {
		t.Fatalf("%q occurs %d times", old, strings.Count(s, old))
	}
	return strings.Replace(s, old, new, 1)
}

// at gives "line:col" of the first occurrence of sub in s, counting
// columns in characters, so expected messages do not hard-code positions
// that move whenever the data files are edited.
func at(t *testing.T, s, sub string) string {
	t.Helper()
	i := strings.Index(s, sub)
	if i < 0 {
		t.Fatalf("%q not found", sub)
	}
	before := s[:i]
	line := strings.Count(before, "\n") + 1
	col := len([]rune(before[strings.LastIndex(before, "\n")+1:])) + 1
	return fmt.Sprintf("%d:%d", line, col)
}

const miniLists = `{
  "version": "t",
  "lists": [
    {"code": "court_defaulters", "name": "失信被执行人名单", "name_en": "Defaulters", "kind": "black", "domain": "judicial",
     "basis": [{"title": "中办发〔2016〕64号"}], "subject_kinds": ["org", "person"],
     "criteria": {"text": "拒不履行", "items": ["court_defaulter"], "severities": ["严重"]},
     "period_months": 24, "exit": {"text": "履行完毕", "repairable": false},
     "notice_required": true, "objection_workdays": 7, "deciding_unit": "court",
     "reported": {"items": ["court_defaulter"], "only": true}},
    {"code": "tax_major_dishonest", "name": "重大税收违法失信主体名单", "name_en": "Tax", "kind": "black", "domain": "tax",
     "basis": [{"title": "国家税务总局令第54号"}], "subject_kinds": ["org"],
     "criteria": {"text": "偷税", "items": ["admin_penalty"], "severities": ["严重"]},
     "period_months": 36, "exit": {"text": "缴清", "repairable": true},
     "notice_required": true, "objection_workdays": 7, "deciding_unit": "tax",
     "reported": {"items": ["serious_dishonest_list"], "list_field": "yz_md"}}
  ]
}`

const miniMeasures = `{
  "version": "t",
  "measures": [
    {"code": "restrict_gov_procurement", "name": "限制政府采购", "name_en": "No procurement",
     "basis": [{"title": "中办发〔2016〕64号", "ref": "二、（一）7"}], "kind": "administrative", "mandatory": true,
     "triggered_by": ["court_defaulters"], "matters": ["gov_procurement"], "departments": ["finance"], "target": "subject", "incentive": false}
  ]
}`

// TestUnitsAndRegistrars: a county bureau's superior is its city bureau
// (and not the other way round, nor another kind's); market regulation
// registers 9-codes, civil affairs 5-codes.
func TestUnitsAndRegistrars(t *testing.T) {
	c, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		sup, dept string
		want      bool
	}{{"SAMR-350100", "SAMR-350102", true}, {"SAMR-350102", "SAMR-350100", false}, {"TAX-350100", "SAMR-350102", false},
		{"SAMR-350100", "SAMR-350100", false}, {"SAMR-350100", "NOPE-1", false}} {
		if got := c.Oversees(tc.sup, tc.dept); got != tc.want {
			t.Errorf("Oversees(%s, %s) = %v", tc.sup, tc.dept, got)
		}
	}
	for _, tc := range []struct {
		dept, code string
		want       bool
	}{{"SAMR-350100", "91350100M000100Y43", true}, {"SAMR-350102", "92350100M000100Y43", true}, {"SAMR-350100", "51350100M000100Y43", false},
		{"TAX-350100", "91350100M000100Y43", false}, {"SAMR-350100", "", false}} {
		if got := c.Registers(tc.dept, tc.code); got != tc.want {
			t.Errorf("Registers(%s, %s) = %v", tc.dept, tc.code, got)
		}
	}
}

func TestLoadErrors(t *testing.T) {
	items := embeddedFile(t, "items.json")
	nmae := replaceOnce(t, items, `"name": "行政处罚信息"`, `"nmae": "行政处罚信息"`)
	maxLen := replaceOnce(t, items, `"code": "cf_wsh", "label": "行政处罚决定书文号", "label_en": "Penalty decision number", "type": "string", "max_len": 128`,
		`"code": "cf_wsh", "label": "行政处罚决定书文号", "label_en": "Penalty decision number", "type": "string", "max_len": "128"`)
	badJSON := "{\n  \"version\": \"x\",\n  \"items\": [\n    {\"code\": }\n  ]\n}\n"

	tests := []struct {
		name  string
		files map[string]string
		want  []string
	}{
		{
			name: "superiors and registration codes",
			files: map[string]string{"departments.json": replaceOnce(t, replaceOnce(t, replaceOnce(t, embeddedFile(t, "departments.json"),
				`"kind": "pboc", "region": "350000"}`, `"kind": "pboc", "region": "350000", "superior": "PBOC-100000"}`),
				`"level": "city", "kind": "samr", "region": "350100"}`, `"level": "city", "kind": "samr", "region": "350100", "superior": "SAMR-350102"}`),
				`"registers": ["5"]`, `"registers": ["Q"]`)},
			want: []string{
				`catalog: departments.json: department "SAMR-350100": superior "SAMR-350102" is not a department of the same kind at a higher level`,
				`catalog: departments.json: department "SAMR-350100": its superiors form a cycle through "SAMR-350100"`,
				`catalog: departments.json: department "SAMR-350102": its superiors form a cycle through "SAMR-350102"`,
				`catalog: departments.json: department "PBOC-350000": unknown superior "PBOC-100000"`,
				`catalog: departments.json: department kind "civil_affairs": "Q" is not a registration-authority code`,
			},
		},
		{
			name:  "bad JSON",
			files: map[string]string{"items.json": badJSON},
			want:  []string{`catalog: items.json:4:14: invalid character '}' looking for beginning of value`},
		},
		{
			name:  "truncated file",
			files: map[string]string{"matters.json": `{"version": "x", "matters": [`},
			want:  []string{`catalog: matters.json:1:30: unexpected end of JSON input`},
		},
		{
			name:  "unknown field in an item",
			files: map[string]string{"items.json": nmae},
			want:  []string{`catalog: items.json:` + at(t, nmae, `"nmae"`) + `: item "admin_penalty": unknown field "nmae"`},
		},
		{
			name:  "wrong JSON type",
			files: map[string]string{"items.json": maxLen},
			want:  []string{`catalog: items.json:` + at(t, maxLen, `"128"`) + `: item "admin_penalty": "fields.max_len": expected integer, got string`},
		},
		{
			name:  "unknown top-level field and missing array",
			files: map[string]string{"matters.json": `{"version": "x", "matter": []}`},
			want: []string{
				`catalog: matters.json:1:18: unknown field "matter"`,
				`catalog: matters.json: missing "matters"`,
			},
		},
		{
			name:  "data after the object",
			files: map[string]string{"matters.json": `{"version": "x", "matters": []} {}`},
			want:  []string{`catalog: matters.json:1:33: invalid character '{' after top-level value`},
		},
		{
			name: "unknown field type",
			files: map[string]string{"items.json": replaceOnce(t, items,
				`"code": "cf_jdrq", "label": "处罚决定日期", "label_en": "Decision date", "type": "date"`,
				`"code": "cf_jdrq", "label": "处罚决定日期", "label_en": "Decision date", "type": "datum"`)},
			want: []string{
				`catalog: items.json: item "admin_penalty": field "cf_jdrq": unknown type "datum"`,
				`catalog: items.json: item "admin_penalty": field "cf_yxq": not_before: field "cf_jdrq" is not a date`,
				`catalog: items.json: item "admin_penalty": field "cf_gsjzq": not_before: field "cf_jdrq" is not a date`,
				`catalog: items.json: item "admin_penalty": keys: decided_on: field "cf_jdrq" has type "datum", want date`,
			},
		},
		{
			name: "dangling key, bad publish scope and mask",
			files: map[string]string{"items.json": replaceOnce(t, replaceOnce(t, items,
				`"subject_code": "cf_xdr_shxym"`, `"subject_code": "cf_xdr_shxymm"`),
				`"code": "cf_sy", "label": "违法事实", "label_en": "Facts of the violation", "type": "text", "max_len": 5000, "required": true, "publish": "public", "mask": "none"`,
				`"code": "cf_sy", "label": "违法事实", "label_en": "Facts of the violation", "type": "text", "max_len": 5000, "required": true, "publish": "open", "mask": "blur"`)},
			want: []string{
				`catalog: items.json: item "admin_penalty": field "cf_sy": unknown publish scope "open" (known: public, gov, authorised)`,
				`catalog: items.json: item "admin_penalty": field "cf_sy": unknown mask "blur" (known: none, name, idno, phone, hide)`,
				`catalog: items.json: item "admin_penalty": keys: subject_code: unknown field "cf_xdr_shxymm"`,
			},
		},
		{
			name: "period min above max and unknown severity",
			files: map[string]string{"items.json": replaceOnce(t, replaceOnce(t, items,
				`{"severity": "严重", "published": true, "max_months": 24}`,
				`{"severity": "严重", "published": true, "min_months": 36, "max_months": 24}`),
				`{"below": 0.2, "severity": "轻微"}`, `{"below": 0.2, "severity": "较轻"}`)},
			want: []string{
				`catalog: items.json: item "admin_penalty": severity_rules[4]: bands[0]: unknown severity "较轻" (known: 轻微, 一般, 严重)`,
				`catalog: items.json: item "admin_penalty": publication: no period for severity "较轻"`,
				`catalog: items.json: item "court_defaulter": publication: periods[0]: min_months 36 > max_months 24`,
			},
		},
		{
			name: "missing basis, dangling references, black list without notice",
			files: map[string]string{
				"lists.json": replaceOnce(t, replaceOnce(t, replaceOnce(t, miniLists,
					`"basis": [{"title": "中办发〔2016〕64号"}]`, `"basis": []`),
					`"拒不履行", "items": ["court_defaulter"]`, `"拒不履行", "items": ["court_defaulterx"]`),
					`"notice_required": true, "objection_workdays": 7, "deciding_unit": "court"`, `"notice_required": false, "objection_workdays": 7, "deciding_unit": "court"`),
				"measures.json": replaceOnce(t, replaceOnce(t, replaceOnce(t, miniMeasures,
					`"triggered_by": ["court_defaulters"]`, `"triggered_by": ["court_defaulters", "no_such_list"]`),
					`"matters": ["gov_procurement"]`, `"matters": ["gov_procurment"]`),
					`"ref": "二、（一）7"`, `"ref": ""`),
			},
			want: []string{
				`catalog: lists.json: list "court_defaulters": basis: missing (a legal basis is required)`,
				`catalog: lists.json: list "court_defaulters": criteria: unknown item "court_defaulterx"`,
				`catalog: lists.json: list "court_defaulters": notice_required must be true for a black list (国办发〔2020〕49号)`,
				`catalog: measures.json: measure "restrict_gov_procurement": basis[0]: 中办发〔2016〕64号: missing article (ref)`,
				`catalog: measures.json: measure "restrict_gov_procurement": triggered_by: unknown list "no_such_list"`,
				`catalog: measures.json: measure "restrict_gov_procurement": matters: unknown matter "gov_procurment"`,
			},
		},
		{
			name: "incentive triggered by a black list, duplicate code",
			files: map[string]string{
				"lists.json": miniLists,
				"measures.json": replaceOnce(t, miniMeasures, `"incentive": false}`,
					`"incentive": true},
    {"code": "restrict_gov_procurement", "name": "x", "name_en": "x", "basis": [{"title": "t", "ref": "r"}], "kind": "social", "mandatory": false,
     "triggered_by": ["court_defaulters"], "matters": ["gov_procurement"], "departments": ["finance"], "target": "everyone", "incentive": false}`),
			},
			want: []string{
				`catalog: measures.json: measure "restrict_gov_procurement": duplicate code`,
				`catalog: measures.json: measure "restrict_gov_procurement": triggered_by: an incentive triggered by black list "court_defaulters"`,
				`catalog: measures.json: measure "restrict_gov_procurement": unknown target "everyone" (known: subject, persons, both)`,
			},
		},
		{
			name:  "unknown file in the directory",
			files: map[string]string{"itemz.json": "{}"},
			want:  []string{`catalog: itemz.json: not a catalogue file (known: domains.json, departments.json, matters.json, items.json, lists.json, measures.json, commitments.json, reports.json)`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, data := range tt.files {
				if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			c, err := Load(dir)
			if err == nil {
				t.Fatalf("Load succeeded: %d items", len(c.Items))
			}
			if !credit.Is(credit.Invalid, err) {
				t.Errorf("kind = %v", credit.KindOf(err))
			}
			got := strings.Split(err.Error(), "\n")
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

func TestLoadOverride(t *testing.T) {
	dir := t.TempDir()
	lists := replaceOnce(t, embeddedFile(t, "lists.json"), `"period_months": 24,`, `"period_months": 36,`)
	if err := os.WriteFile(filepath.Join(dir, "lists.json"), []byte(lists), 0o644); err != nil {
		t.Fatal(err)
	}
	// Files that are not JSON are left alone (a README beside the data).
	if err := os.WriteFile(filepath.Join(dir, "README.md"), []byte("local lists"), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	l, err := c.List("court_defaulters")
	if err != nil {
		t.Fatal(err)
	}
	if l.PeriodMonths != 36 {
		t.Errorf("period = %d, want the override's 36", l.PeriodMonths)
	}
	if c.Sources["lists.json"] != filepath.Join(dir, "lists.json") || c.Sources["items.json"] != "embedded" {
		t.Errorf("Sources = %v", c.Sources)
	}
	if d := mustDefault(t); d == c {
		t.Error("Load returned the shared default")
	} else if dl, _ := d.List("court_defaulters"); dl.PeriodMonths != 24 {
		t.Error("override leaked into the default catalogue")
	}
	if c2, err := Load(""); err != nil || c2 != mustDefault(t) {
		t.Errorf("Load(\"\") = %p, %v; want Default()", c2, err)
	}
	if _, err := Load(filepath.Join(dir, "missing")); err == nil {
		t.Error("Load of a missing directory succeeded")
	}
}

func TestLoadFS(t *testing.T) {
	// LoadFS wants every file; a directory with one file lacks the rest.
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "matters.json"), []byte(embeddedFile(t, "matters.json")), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := LoadFS(os.DirFS(dir))
	if err == nil || !strings.Contains(err.Error(), "catalog: items.json: missing file") {
		t.Errorf("err = %v", err)
	}
	var ce *credit.Error
	if !errors.As(err, &ce) {
		t.Errorf("not a credit.Error: %T", err)
	}
}
