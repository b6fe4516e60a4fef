package evaluation

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/publish"
)

func cat(t testing.TB) *catalog.Catalog {
	t.Helper()
	c, err := catalog.Default()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestDefaultModel(t *testing.T) {
	m, err := Default(cat(t))
	if err != nil {
		t.Fatal(err)
	}
	if m.Version == "" || len(m.Leaves()) < 10 || m.Public {
		t.Fatalf("model %s: %d leaves, public %v", m.Version, len(m.Leaves()), m.Public)
	}
	if m.SupervisionFor("SAMR-350100", "daily_supervision") == nil {
		t.Error("no supervision for SAMR daily supervision")
	}
}

// mutate returns the default model with fn applied to its JSON tree.
func mutate(t *testing.T, fn func(m map[string]any)) []byte {
	t.Helper()
	b, err := embedded.ReadFile("data/model.json")
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	fn(m)
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func indicator(m map[string]any, code string) map[string]any {
	for _, x := range m["indicators"].([]any) {
		in := x.(map[string]any)
		if in["code"] == code {
			return in
		}
	}
	panic("no indicator " + code)
}

// TestModelErrors: each kind of mistake is refused with the file, the
// indicator (or kind, department) and the field named.
func TestModelErrors(t *testing.T) {
	c := cat(t)
	cases := []struct {
		name string
		fn   func(m map[string]any)
		want []string
	}{
		{"weights do not add up", func(m map[string]any) { indicator(m, "penalties")["weight"] = 20.0 },
			[]string{"indicator compliance", "weight", "add up to 55"}},
		{"root weights", func(m map[string]any) { m["total"] = 90.0 }, []string{"root", "not the total 90"}},
		{"unknown item", func(m map[string]any) {
			indicator(m, "penalties")["rule"].(map[string]any)["items"] = []any{"admin_penalty", "no_such_item"}
		}, []string{"indicator penalties", "items", `"no_such_item"`}},
		{"unknown field", func(m map[string]any) {
			indicator(m, "commitments_kept")["rule"].(map[string]any)["when"] = []any{map[string]any{"field": "xx_zt", "in": []any{"全部履行"}}}
		}, []string{"indicator commitments_kept", "when", `"xx_zt"`}},
		{"cycle", func(m map[string]any) {
			indicator(m, "registration")["rule"] = nil
			indicator(m, "registration")["children"] = []any{"basic"}
		}, []string{"indicator", "cycle"}},
		{"two parents", func(m map[string]any) {
			b := indicator(m, "basic")
			b["children"] = []any{"registration", "honours"}
		}, []string{"indicator basic", "children", `"honours" is already under`}},
		{"unknown child", func(m map[string]any) { indicator(m, "basic")["children"] = []any{"nope"} },
			[]string{"indicator basic", "children", `unknown indicator "nope"`}},
		{"overlapping thresholds", func(m map[string]any) {
			k := m["kinds"].([]any)[3].(map[string]any)
			k["grades"].([]any)[1].(map[string]any)["max"] = 92.0
		}, []string{"kind enterprise", "grades", "overlap"}},
		{"gap in thresholds", func(m map[string]any) {
			k := m["kinds"].([]any)[3].(map[string]any)
			k["grades"].([]any)[1].(map[string]any)["max"] = 85.0
		}, []string{"kind enterprise", "grades", "gap"}},
		{"leaf without rule", func(m map[string]any) { indicator(m, "honours")["rule"] = nil },
			[]string{"indicator honours", "rule", "needs a rule"}},
		{"unknown list", func(m map[string]any) {
			indicator(m, "watch")["rule"].(map[string]any)["lists"] = []any{"grey"}
		}, []string{"indicator watch", "lists", `"grey"`}},
		{"unknown severity", func(m map[string]any) {
			indicator(m, "penalties")["rule"].(map[string]any)["severity_points"] = map[string]any{"很重": -3.0}
		}, []string{"indicator penalties", "severity_points", `"很重"`}},
		{"no basis", func(m map[string]any) { indicator(m, "honours")["basis"] = []any{} },
			[]string{"indicator honours", "basis"}},
		{"unknown department", func(m map[string]any) {
			m["supervision"].([]any)[0].(map[string]any)["dept"] = "SAMR-999999"
		}, []string{"supervision[0]", "dept", `"SAMR-999999"`}},
		{"grade without class", func(m map[string]any) {
			s := m["supervision"].([]any)[0].(map[string]any)
			s["classes"] = s["classes"].([]any)[:3]
		}, []string{"supervision SAMR-350100", "classes", `grade "D" has no class`}},
		{"unknown field in file", func(m map[string]any) { m["weights"] = 1 }, []string{"model-test.json", `unknown field "weights"`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("model-test.json", mutate(t, tc.fn), c)
			if err == nil {
				t.Fatal("accepted")
			}
			if !credit.Is(credit.Invalid, err) {
				t.Errorf("kind: %v", err)
			}
			msg := err.Error()
			if !strings.Contains(msg, "model-test.json") {
				t.Errorf("file not named: %s", msg)
			}
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("%q not in %s", w, msg)
				}
			}
		})
	}
}

var now = time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)

const orgCode = "91350100M000100Y43"

// randomInput is a subject with a random file: penalties of every class,
// compulsion, commitments kept and broken, honours, industry ratings,
// list entries, some revoked, repaired or under objection.
func randomInput(r *rand.Rand, c *catalog.Catalog) Input {
	subj := &credit.Subject{ID: orgCode, Code: orgCode, Kind: credit.Organisation, Name: "测试公司", Status: []string{"存续", "吊销"}[r.IntN(2)]}
	var facts []credit.Record
	marks := map[string]publish.Marks{}
	n := r.IntN(12)
	day := func() time.Time { return now.AddDate(0, 0, -r.IntN(1400)) }
	id := 0
	nextID := func() string { id++; return fmt.Sprintf("01900000-0000-7000-8000-%012d", id) }
	for range n {
		on := day()
		rec := credit.Record{ID: nextID(), SubjectID: subj.ID, Dept: "SAMR-350100", DecidedOn: on, Fact: credit.Original, DocNo: fmt.Sprintf("榕罚〔%d〕%d号", on.Year(), r.IntN(1000))}
		switch r.IntN(6) {
		case 0, 1:
			rec.Item = "admin_penalty"
			rec.Fields = credit.Fields{"cf_cflb": []string{"警告", "罚款", "吊销许可证", "没收违法所得"}[r.IntN(4)], "cf_nr_fk": fmt.Sprint(r.IntN(200)), "cf_jdrq": on.Format("2006-01-02")}
		case 2:
			rec.Item = "admin_compulsion"
			rec.Dept = "ECO-350100"
			rec.Fields = credit.Fields{"qz_lb": "查封", "qz_jdrq": on.Format("2006-01-02")}
		case 3:
			rec.Item = "credit_commitment"
			rec.Fields = credit.Fields{"cn_lxzt": []string{"全部履行", "部分履行", "全部未履行"}[r.IntN(3)], "cn_zcrq": on.Format("2006-01-02")}
		case 4:
			rec.Item = "honour"
			rec.Fields = credit.Fields{"ry_rq": on.Format("2006-01-02")}
		case 5:
			rec.Item = "industry_rating"
			rec.Dept = "TAX-350100"
			rec.Fields = credit.Fields{"pj_pjlx": "纳税信用等级", "pj_pjjg": []string{"A", "B", "M", "C", "D"}[r.IntN(5)], "pj_rq": on.Format("2006-01-02")}
		}
		facts = append(facts, rec)
		switch r.IntN(8) {
		case 0:
			facts = append(facts, credit.Record{ID: nextID(), SubjectID: subj.ID, Item: rec.Item, Dept: rec.Dept, Fact: credit.Revocation, Supersedes: rec.ID, DecidedOn: rec.DecidedOn})
		case 1:
			marks[rec.ID] = publish.Marks{Repaired: true}
		case 2:
			marks[rec.ID] = publish.Marks{UnderObjection: true}
		}
	}
	var entries []publish.ListedEntry
	for i := range r.IntN(3) {
		l := []string{"court_defaulters", "abnormal_operation_list", "key_watch", "honest_typical", "samr_serious_illegal"}[r.IntN(5)]
		entries = append(entries, publish.ListedEntry{EntryID: fmt.Sprintf("E%d", i), List: l, SubjectID: subj.ID, Since: day(), DocNo: "D" + fmt.Sprint(i), UnderVerification: r.IntN(5) == 0})
	}
	return Input{Subject: subj, File: credit.Derive(facts), Marks: marks, Entries: entries, Now: now}
}

func scorer(t testing.TB) *Scorer {
	c := cat(t)
	m, err := Default(c)
	if err != nil {
		t.Fatal(err)
	}
	return &Scorer{Model: m, Catalog: c, Publish: publish.New(c, func() time.Time { return now })}
}

// checkSums: the score is the sum of the leaves' starts and their
// contributions, a group's points its children's, and no leaf leaves
// 0..weight.
func checkSums(t *testing.T, res *Result) {
	t.Helper()
	var sum int64
	children := map[string]int64{}
	for _, is := range res.Indicators {
		if !is.Leaf {
			continue
		}
		leaf := is.Start
		for _, c := range is.Contributions {
			leaf += c.Centi
			sum += c.Centi
		}
		sum += is.Start
		if leaf != is.Centi {
			t.Fatalf("indicator %s: %d points, start and contributions give %d", is.Code, is.Centi, leaf)
		}
		if is.Centi < 0 || float64(is.Centi) > is.Weight*100 {
			t.Fatalf("indicator %s: %d outside 0..%v", is.Code, is.Centi, is.Weight)
		}
	}
	for _, is := range res.Indicators {
		if is.Parent != "" {
			children[is.Parent] += is.Centi
		}
	}
	for _, is := range res.Indicators {
		if !is.Leaf && children[is.Code] != is.Centi {
			t.Fatalf("group %s: %d, children give %d", is.Code, is.Centi, children[is.Code])
		}
	}
	if sum != res.Centi {
		t.Fatalf("score %d, explained contributions sum to %d", res.Centi, sum)
	}
	if res.Grade == "" {
		t.Fatalf("no grade for %d", res.Centi)
	}
}

func counted(res *Result, origin string) *Contribution {
	for _, is := range res.Indicators {
		for i, c := range is.Contributions {
			if c.Ref == origin && c.Kind == ContribRecord {
				return &is.Contributions[i]
			}
		}
	}
	return nil
}

// TestScoreIsItsExplanation: over many random files, the score equals the
// sum of its explained contributions.
func TestScoreIsItsExplanation(t *testing.T) {
	sc := scorer(t)
	r := rand.New(rand.NewPCG(1, 2))
	lean := *sc
	lean.Lean = true
	contributions := 0
	for range 3000 {
		in := randomInput(r, sc.Catalog)
		res := sc.Evaluate(in)
		checkSums(t, res)
		if l := lean.Evaluate(in); l.Centi != res.Centi || l.Grade != res.Grade || !l.NextChange.Equal(res.NextChange) || len(l.Indicators) != 0 {
			t.Fatalf("lean %d %s %v, full %d %s %v", l.Centi, l.Grade, l.NextChange, res.Centi, res.Grade, res.NextChange)
		}
		for _, is := range res.Indicators {
			contributions += len(is.Contributions)
		}
	}
	if contributions < 3000 {
		t.Fatalf("only %d contributions over 3000 files: the generator scores too little", contributions)
	}
}

// TestRemovalLeavesNothing: revoking, repairing or letting the window of
// a counted record end removes its contribution, and removing a deduction
// never lowers the score.
func TestRemovalLeavesNothing(t *testing.T) {
	sc := scorer(t)
	r := rand.New(rand.NewPCG(3, 4))
	tried := map[string]int{}
	for range 3000 {
		in := randomInput(r, sc.Catalog)
		before := sc.Evaluate(in)
		for i, st := range in.File {
			c := counted(before, st.Origin)
			if c == nil {
				continue
			}
			for _, how := range []string{"revocation", "repair", "window_end"} {
				in2 := in
				in2.File = append([]credit.State(nil), in.File...)
				in2.Marks = map[string]publish.Marks{}
				for k, v := range in.Marks {
					in2.Marks[k] = v
				}
				switch how {
				case "revocation":
					in2.File[i].Revoked = true
				case "repair":
					in2.Marks[st.Origin] = publish.Marks{Repaired: true}
				case "window_end":
					w, end, _, ok := sc.Publish.Shared(st, in.Subject, in.Marks[st.Origin], now)
					if !ok || end.IsZero() {
						_ = w
						continue
					}
					in2.Now = end
				}
				after := sc.Evaluate(in2)
				checkSums(t, after)
				if c2 := counted(after, st.Origin); c2 != nil {
					t.Fatalf("%s of %s left its contribution %+v", how, st.Origin, c2)
				}
				if how == "revocation" && c.Centi < 0 && after.Centi < before.Centi {
					t.Fatalf("revoking a deduction of %d lowered the score %d → %d", c.Centi, before.Centi, after.Centi)
				}
				tried[how]++
			}
		}
	}
	for _, how := range []string{"revocation", "repair", "window_end"} {
		if tried[how] < 50 {
			t.Errorf("%s tried only %d times", how, tried[how])
		}
	}
}

func TestClassify(t *testing.T) {
	sc := scorer(t)
	sup := sc.Model.SupervisionFor("TAX-350100", "daily_supervision")
	in := Input{Subject: &credit.Subject{ID: orgCode, Code: orgCode, Kind: credit.Organisation}, Now: now}
	res := sc.Evaluate(in)
	a := classify(sup, sc.Catalog, in, res)
	if a.Class != res.Grade || a.KeyTarget || len(a.Reasons) < 2 {
		t.Errorf("plain subject: %+v (grade %s)", a, res.Grade)
	}
	in.File = credit.Derive([]credit.Record{{ID: "01900000-0000-7000-8000-000000000001", SubjectID: orgCode, Item: IndustryItem, Dept: "TAX-350100", DecidedOn: now.AddDate(0, -2, 0),
		Fields: credit.Fields{IndustryKindField: "纳税信用等级", IndustryResultField: "D"}, DocNo: "税评2026-1"}})
	a = classify(sup, sc.Catalog, in, sc.Evaluate(in))
	if a.Class != "D" || a.Ratio != 0.30 {
		t.Errorf("tax D: %+v", a)
	}
	in.Entries = []publish.ListedEntry{{EntryID: "E1", List: "tax_major_dishonest", SubjectID: orgCode, Since: now.AddDate(0, -1, 0), DocNo: "X"}}
	a = classify(sup, sc.Catalog, in, sc.Evaluate(in))
	if !a.KeyTarget || a.Ratio != 1 {
		t.Errorf("listed: %+v", a)
	}
}

func BenchmarkEvaluate(b *testing.B) {
	sc := scorer(b)
	sc.Lean = true
	r := rand.New(rand.NewPCG(5, 6))
	ins := make([]Input, 1000)
	for i := range ins {
		ins[i] = randomInput(r, sc.Catalog)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		sc.Evaluate(ins[i%len(ins)])
	}
}
