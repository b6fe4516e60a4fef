package workflow_test

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/chinatime"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/publish"
	"github.com/xinyong/xinyong/internal/records"
	"github.com/xinyong/xinyong/internal/sanction"
	"github.com/xinyong/xinyong/internal/uscc"
	"github.com/xinyong/xinyong/internal/workflow"
)

// TestOneClassification draws random penalties reported by random
// departments and checks that every consumer of a record's severity,
// publication window and repairable-from date agrees with the one
// classification (publish.WindowOf, by the reporting department's domain):
// the severity records stored, the publication engine's decision, a list's
// criteria (a proposal on the serious-violation list is taken exactly for
// 严重 records) and repair eligibility (its severity, the date it gives to
// apply from, a publication that ended).
func TestOneClassification(t *testing.T) {
	f := newFixture(t, at("2026-11-23"))
	cat, _ := catalog.Default()
	sanc, err := sanction.New(f.ctx, sanction.Config{Store: f.st, Catalog: cat, Now: f.clock.Now, Logger: slog.New(slog.DiscardHandler)})
	f.must(err)
	t.Cleanup(func() { sanc.Close(context.Background()) })
	gate := workflow.SanctionGate{S: sanc}
	wf, err := workflow.New(workflow.Config{Store: f.st, Records: f.rec, Catalog: cat, Now: f.clock.Now, Suspender: gate, Lists: gate, Logger: slog.New(slog.DiscardHandler)})
	f.must(err)
	eng := publish.New(cat, f.clock.Now)
	reviewer := sanction.Actor{Name: "reviewer", Role: credit.RoleReviewer}
	lt, _ := cat.List("samr_serious_illegal")

	// Departments by domain, so that every domain's rules are drawn.
	byDomain := map[string][]string{}
	var domains []string
	for _, d := range cat.Departments {
		if cat.MayReport(d.Code, "admin_penalty") != nil {
			continue
		}
		dom := cat.DeptDomain(d.Code)
		if byDomain[dom] == nil {
			domains = append(domains, dom)
		}
		byDomain[dom] = append(byDomain[dom], d.Code)
	}
	types := []string{"警告", "通报批评", "罚款", "罚款;没收违法所得", "没收违法所得", "暂扣许可证", "吊销许可证", "责令停产停业", "罚款并处限制从业三年"}
	amounts := []string{"", "0.1", "0.5", "1", "3", "4.99", "5", "20", "49", "99", "100", "150"}
	rng := rand.New(rand.NewPCG(20261123, 7))
	gen := uscc.NewGenerator(77)
	seen := map[credit.Severity]int{}
	eligibleSeen := 0
	for i := range 300 {
		ds := byDomain[domains[rng.IntN(len(domains))]]
		dept := ds[rng.IntN(len(ds))]
		code := gen.USCC('9', '1', "350100")
		subj, err := f.rec.PutOrganisation(f.ctx, records.Organisation{Code: code, Name: fmt.Sprintf("福州分类%d有限公司", i)})
		f.must(err)
		cflb := "罚款" // fines most often: their bands differ by domain
		if rng.IntN(2) == 0 {
			cflb = types[rng.IntN(len(types))]
		}
		amt := amounts[rng.IntN(len(amounts))]
		nr := cflb
		if amt != "" {
			nr = "罚款人民币" + amt + "万元"
		}
		decided := f.clock.Now().AddDate(0, 0, -rng.IntN(4*365))
		fields := credit.Fields{
			"cf_xdr_mc": subj.Name, "cf_xdr_lb": "法人及非法人组织", "cf_xdr_shxym": code, "cf_frdb": "王伟",
			"cf_wsh": fmt.Sprintf("榕罚〔2026〕%d号", i), "cf_wfxw": "违法行为", "cf_sy": "经查……", "cf_yj": "《某法》第一条",
			"cf_cflb": cflb, "cf_nr": nr, "cf_nr_fk": amt, "cf_jdrq": chinatime.Format(decided),
			"cf_cfjg": "某机关", "cf_cfjgdm": "11350100570485441B", "cf_sjly": "某机关", "cf_sjlydm": "11350100570485441B",
		}
		if rng.IntN(4) == 0 {
			fields["bz"] = "简易程序"
		}
		rec, _, err := f.rec.Append(f.ctx, records.Report{Item: "admin_penalty", Dept: dept, SubjectID: code, Fields: fields})
		f.must(err)
		it, _ := cat.Item(rec.Item)
		w := publish.WindowOf(cat, it, rec, subj)
		seen[w.Severity]++
		where := fmt.Sprintf("#%d %s by %s (%s), %s %s万元, decided %s", i, w.Severity, dept, w.Domain, cflb, amt, chinatime.Format(decided))

		// Stored and decided alike.
		if w.Domain != cat.DeptDomain(dept) {
			t.Errorf("%s: domain %s, the department's is %s", where, w.Domain, cat.DeptDomain(dept))
		}
		if rec.Severity != w.Severity {
			t.Errorf("%s: stored severity %s", where, rec.Severity)
		}
		file, err := f.rec.File(f.ctx, code)
		f.must(err)
		d := eng.Decide(file[0], subj, publish.Admin, publish.Marks{})
		if d.Severity != w.Severity || d.Domain != w.Domain || (w.Published && (!d.RepairableFrom.Equal(w.MinEnd) || !d.PublishedUntil.Equal(w.MaxEnd))) {
			t.Errorf("%s: the engine decides %s %s, window %s–%s; WindowOf %s–%s", where, d.Severity, d.Domain, d.RepairableFrom, d.PublishedUntil, w.MinEnd, w.MaxEnd)
		}

		// A list's criteria take it exactly when it is 严重.
		en, err := sanc.Propose(f.ctx, reviewer, sanction.Proposal{List: lt.Code, SubjectID: code, BasisRecords: []string{rec.ID}, Grounds: "x"})
		if taken := err == nil; taken != slices.Contains(lt.Criteria.SeveritiesFor("admin_penalty"), w.Severity) {
			t.Errorf("%s: proposal on %s taken %v (%v)", where, lt.Code, taken, err)
		}
		if err == nil {
			_, err := sanc.Remove(f.ctx, reviewer, en.ID, sanction.RemovalInput{Reason: sanction.RemoveWithdrawn})
			f.must(err)
		}

		// Repair eligibility reads the same window.
		e, err := wf.Eligibility(f.ctx, code, rec.ID)
		f.must(err)
		now := f.clock.Now()
		if e.Severity != w.Severity {
			t.Errorf("%s: eligibility says %s", where, e.Severity)
		}
		reason := ""
		if len(e.Reasons) > 0 {
			reason = e.Reasons[0].Code
		}
		saysChinese(t, where, e.Reasons)
		switch {
		case w.Severity == credit.SeverityNone:
			t.Errorf("%s: a penalty without severity", where)
		case !w.Published && w.Severity != credit.SeverityMinor:
			if reason != "not_published" {
				t.Errorf("%s: unpublished record: %+v", where, e)
			}
		case !w.MaxEnd.IsZero() && !now.Before(w.MaxEnd):
			if reason != "ended" {
				t.Errorf("%s: publication ended %s but eligibility says %+v", where, w.MaxEnd, e)
			}
		case w.Severity != credit.SeverityMinor && now.Before(w.MinEnd):
			if reason != "min_period" || !e.From.Equal(w.MinEnd) {
				t.Errorf("%s: minimum period until %s but eligibility says %+v", where, w.MinEnd, e)
			}
		default:
			if !e.Eligible {
				t.Errorf("%s: within its window past the minimum, but refused: %+v", where, e.Reasons)
			}
			eligibleSeen++
		}
	}
	for _, s := range []credit.Severity{credit.SeverityMinor, credit.SeverityGeneral, credit.SeveritySerious} {
		if seen[s] < 5 {
			t.Errorf("only %d %s records drawn: the test no longer covers every class (%v)", seen[s], s, seen)
		}
	}
	if eligibleSeen < 5 {
		t.Errorf("only %d eligible records drawn", eligibleSeen)
	}
}
