// Package monitor is the city credit monitoring (城市信用状况监测, 2025
// opinion 七, "持续开展城市信用监测"; 宿州市“十四五”规划 一（一）六是): the
// indicators as data (indicators.json, validated at load), their time
// series by month or week computed from the store, and the ranking of
// departments by data quality.
//
// Nothing here re-derives a rule: 双公示 timeliness and completeness come
// from the import's own counts through ingest.QualityOf, deadlines of
// objections and repairs from the dues the workflows wrote with the
// working-day calendar (workday.Overdue), list membership from
// sanction.Derive and Entry.Active, feedback deadlines from the sanction
// service.
package monitor

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
)

//go:embed indicators.json
var embedded []byte

// Basis is a policy text an indicator rests on (document, section).
type Basis struct {
	Doc     string `json:"doc"`
	Section string `json:"section"`
	Text    string `json:"text,omitempty"`
	// Uncertain marks a basis not found in the seeds' texts.
	Uncertain bool `json:"uncertain,omitempty"`
}

// Breakdowns of an indicator's series.
const (
	ByCity   = ""       // one line for the city
	ByDept   = "dept"   // a line per department (and the city's total)
	ByMatter = "matter" // a line per matter (and the total)
)

// Units of an indicator's values.
const (
	UnitPercent = "percent"  // a share in [0, 1], shown as %
	UnitPer1000 = "per_1000" // per 1,000 subjects
	UnitCount   = "count"
)

// Indicator is one monitored figure.
type Indicator struct {
	Code   string  `json:"code"`
	Source string  `json:"source"`
	By     string  `json:"by"`
	Unit   string  `json:"unit"`
	Name   string  `json:"name"`
	NameEn string  `json:"name_en"`
	Desc   string  `json:"desc"`
	DescEn string  `json:"desc_en"`
	Basis  []Basis `json:"basis"`
	// RankWeight is the indicator's weight in the departments' data
	// quality ranking (0: not ranked); only 双公示 quality figures rank.
	RankWeight float64 `json:"rank_weight,omitempty"`
}

// Set is a validated indicator file.
type Set struct {
	Version    string       `json:"version"`
	Basis      []Basis      `json:"basis"`
	Indicators []*Indicator `json:"indicators"`
}

// sourceSpec is what the code computes for a source: its breakdown and
// unit are fixed, the file must say the same.
type sourceSpec struct {
	by, unit string
	quality  bool // a 双公示 quality figure (may rank departments)
}

var sources = map[string]sourceSpec{
	"dsgs_timeliness":     {ByDept, UnitPercent, true},
	"dsgs_compliance":     {ByDept, UnitPercent, true},
	"dsgs_completeness":   {ByDept, UnitPercent, true},
	"records_per_1000":    {ByDept, UnitPer1000, false},
	"listed_share":        {ByCity, UnitPercent, false},
	"objection_on_time":   {ByDept, UnitPercent, false},
	"repair_on_time":      {ByDept, UnitPercent, false},
	"check_triggers":      {ByMatter, UnitCount, false},
	"check_feedback_rate": {ByMatter, UnitPercent, false},
}

// Sources are the computations an indicator may name, sorted.
func Sources() []string {
	out := make([]string, 0, len(sources))
	for k := range sources {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

var codeRE = regexp.MustCompile(`^[a-z][a-z0-9_]{1,39}$`)

// Parse reads and validates an indicator file: every problem is reported,
// each naming the indicator (position and code) and the field.
func Parse(data []byte) (*Set, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var s Set
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("indicators: not a valid indicator file: %w", err)
	}
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf("indicators: "+format, a...)) }
	if strings.TrimSpace(s.Version) == "" {
		bad("version is missing")
	}
	if len(s.Indicators) == 0 {
		bad("no indicators")
	}
	seen := map[string]int{}
	ranked := 0.0
	for i, in := range s.Indicators {
		if in == nil {
			bad("indicator %d is null", i+1)
			continue
		}
		at := fmt.Sprintf("indicator %d (%s)", i+1, in.Code)
		switch {
		case in.Code == "":
			bad("indicator %d: code is missing", i+1)
		case !codeRE.MatchString(in.Code):
			bad("%s: code must be lower-case letters, digits and _ (2 to 40), starting with a letter", at)
		}
		if j, dup := seen[in.Code]; dup && in.Code != "" {
			bad("%s: code already used by indicator %d", at, j)
		}
		seen[in.Code] = i + 1
		spec, ok := sources[in.Source]
		if !ok {
			bad("%s: unknown source %q (known: %s)", at, in.Source, strings.Join(Sources(), ", "))
		} else {
			if in.By != spec.by {
				bad("%s: source %s is broken down by %q, not %q", at, in.Source, spec.by, in.By)
			}
			if in.Unit != spec.unit {
				bad("%s: source %s gives %q values, not %q", at, in.Source, spec.unit, in.Unit)
			}
		}
		if strings.TrimSpace(in.Name) == "" || strings.TrimSpace(in.NameEn) == "" {
			bad("%s: name and name_en are both required", at)
		}
		if strings.TrimSpace(in.Desc) == "" || strings.TrimSpace(in.DescEn) == "" {
			bad("%s: desc and desc_en are both required", at)
		}
		if len(in.Basis) == 0 {
			bad("%s: no basis: cite the policy text (document and section) it rests on", at)
		}
		for j, b := range in.Basis {
			if strings.TrimSpace(b.Doc) == "" || strings.TrimSpace(b.Section) == "" {
				bad("%s: basis %d needs doc and section", at, j+1)
			}
		}
		switch {
		case in.RankWeight < 0:
			bad("%s: rank_weight %g is negative", at, in.RankWeight)
		case in.RankWeight > 0 && ok && !spec.quality:
			bad("%s: only 双公示 quality figures rank departments, not %s", at, in.Source)
		}
		ranked += in.RankWeight
	}
	if ranked == 0 && len(errs) == 0 {
		bad("no indicator has a rank_weight: the department ranking needs at least one")
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return &s, nil
}

// Embedded is the indicator file shipped with the binary.
func Embedded() (*Set, error) { return Parse(embedded) }

// Indicator returns the indicator with code, or nil.
func (s *Set) Indicator(code string) *Indicator {
	for _, in := range s.Indicators {
		if in.Code == code {
			return in
		}
	}
	return nil
}
