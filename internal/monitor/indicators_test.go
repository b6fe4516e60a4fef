package monitor_test

import (
	"strings"
	"testing"

	"github.com/xinyong/xinyong/internal/monitor"
)

func TestEmbeddedIndicators(t *testing.T) {
	set, err := monitor.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, in := range set.Indicators {
		seen[in.Source] = true
	}
	for _, s := range monitor.Sources() {
		if !seen[s] {
			t.Errorf("no indicator computes %s", s)
		}
	}
}

// TestIndicatorErrors: each broken file is refused with an error that
// names the indicator and the field.
func TestIndicatorErrors(t *testing.T) {
	const ok = `{"code": "tt", "source": "dsgs_timeliness", "by": "dept", "unit": "percent", "rank_weight": 1,
		"name": "及时率", "name_en": "Timeliness", "desc": "说明", "desc_en": "About", "basis": [{"doc": "国发〔2016〕33号", "section": "（十七）"}]}`
	file := func(inds ...string) string {
		return `{"version": "t1", "indicators": [` + strings.Join(inds, ",") + `]}`
	}
	with := func(old, new string) string { return strings.Replace(ok, old, new, 1) }
	if _, err := monitor.Parse([]byte(file(ok))); err != nil {
		t.Fatalf("a valid file refused: %v", err)
	}
	cases := []struct{ name, data, want string }{
		{"not json", `{"version": `, "not a valid indicator file"},
		{"unknown field", `{"version": "1", "indicators": [], "colour": "red"}`, "unknown field"},
		{"no version", `{"indicators": [` + ok + `]}`, "version is missing"},
		{"no indicators", `{"version": "1", "indicators": []}`, "no indicators"},
		{"bad code", file(with(`"code": "tt"`, `"code": "Bad-Code"`)), "indicator 1 (Bad-Code): code must be"},
		{"duplicate", file(with(`"code": "tt"`, `"code": "aa"`), with(`"code": "tt"`, `"code": "aa"`)), "indicator 2 (aa): code already used by indicator 1"},
		{"unknown source", file(with(`"source": "dsgs_timeliness"`, `"source": "gdp"`)), `unknown source "gdp" (known: check_feedback_rate`},
		{"wrong breakdown", file(with(`"by": "dept"`, `"by": "matter"`)), `source dsgs_timeliness is broken down by "dept", not "matter"`},
		{"wrong unit", file(with(`"unit": "percent"`, `"unit": "count"`)), `source dsgs_timeliness gives "percent" values, not "count"`},
		{"no english name", file(with(`"name_en": "Timeliness"`, `"name_en": ""`)), "name and name_en are both required"},
		{"no basis", file(with(`"basis": [{"doc": "国发〔2016〕33号", "section": "（十七）"}]`, `"basis": []`)), "no basis: cite the policy text"},
		{"basis without section", file(with(`"section": "（十七）"`, `"section": ""`)), "basis 1 needs doc and section"},
		{"negative weight", file(with(`"rank_weight": 1`, `"rank_weight": -1`)), "rank_weight -1 is negative"},
		{"ranked non-quality", file(ok, `{"code": "r", "source": "repair_on_time", "by": "dept", "unit": "percent", "rank_weight": 1,
			"name": "修复", "name_en": "Repair", "desc": "说明", "desc_en": "About", "basis": [{"doc": "国办发〔2020〕49号", "section": "（十二）"}]}`),
			"indicator 2 (r): only 双公示 quality figures rank departments, not repair_on_time"},
		{"nothing ranked", file(with(`"rank_weight": 1`, `"rank_weight": 0`)), "no indicator has a rank_weight"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := monitor.Parse([]byte(c.data))
			if err == nil {
				t.Fatalf("accepted:\n%s", c.data)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q\nwant it to say %q", err, c.want)
			}
		})
	}
}
