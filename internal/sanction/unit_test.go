package sanction_test

import (
	"testing"
	"time"

	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/sanction"
)

// TestEntryBelongsToItsUnit: a list entry is changed only by the unit it
// belongs to or by that unit's superior (recorded as acting on its
// behalf), not by another unit of the same kind, nor by the platform on
// grounds that are the unit's own. The county bureau once removed the
// city bureau's entry because removal checked only the kind of department.
func TestEntryBelongsToItsUnit(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	county := sanction.Actor{Name: "gulou", Role: credit.RoleDept, Dept: "SAMR-350102"}

	// The city's entry: the county may not touch it, the platform may not
	// revoke it, and nothing was written.
	cityEntry := f.listed()
	if cityEntry.Unit != "SAMR-350100" {
		t.Fatalf("unit of the city's entry = %q", cityEntry.Unit)
	}
	for _, tc := range []struct {
		who    sanction.Actor
		reason string
	}{{county, sanction.RemoveCorrection}, {county, sanction.RemoveRevocation}, {reviewer, sanction.RemoveCorrection}, {reviewer, sanction.RemoveRevocation}} {
		_, err := f.svc.Remove(ctx, tc.who, cityEntry.ID, sanction.RemovalInput{Reason: tc.reason})
		wantKind(t, tc.who.Name+" removes the city's entry ("+tc.reason+")", err, credit.Permission, "SAMR-350100")
	}
	if e, err := f.svc.Entry(ctx, cityEntry.ID); err != nil || e.State != credit.StepDecided || e.Seq != cityEntry.Seq {
		t.Fatalf("after refused removals: %+v, %v", e, err)
	}

	// The county's own entry: the county notices it; the city, its
	// superior, decides it on the county's behalf, which the history
	// records; the entry then belongs to the county still.
	e, err := f.svc.Propose(ctx, county, sanction.Proposal{List: "samr_serious_illegal", SubjectID: orgB,
		BasisRecords: []string{f.recs["other"]}, Grounds: "提供虚假材料取得许可"})
	if err != nil {
		t.Fatalf("county proposes: %v", err)
	}
	if e.Unit != "SAMR-350102" {
		t.Fatalf("unit of the county's proposal = %q", e.Unit)
	}
	_, err = f.svc.Notice(ctx, taxDept, e.ID, sanction.NoticeInput{DocNo: "告1"})
	wantKind(t, "a unit of another kind", err, credit.Permission, "")
	if _, err := f.svc.Notice(ctx, county, e.ID, sanction.NoticeInput{DocNo: "鼓市监告〔2026〕1号"}); err != nil {
		t.Fatalf("county notices its own entry: %v", err)
	}
	f.clk.add(15 * 24 * time.Hour)
	e, err = f.svc.Decide(ctx, samrDept, e.ID, sanction.DecisionInput{DocNo: "榕市监严〔2026〕2号"})
	if err != nil {
		t.Fatalf("the superior decides the county's entry: %v", err)
	}
	last := e.Events[len(e.Events)-1]
	if last.Dept != "SAMR-350100" || last.Detail.OnBehalfOf != "SAMR-350102" || e.Unit != "SAMR-350102" {
		t.Fatalf("superior's decision recorded as %+v (unit %q)", last, e.Unit)
	}
	// The county cannot act on its superior's entries, but on its own yes.
	if _, err := f.svc.Remove(ctx, county, e.ID, sanction.RemovalInput{Reason: sanction.RemoveCorrection, DocNo: "鼓市监更〔2026〕1号"}); err != nil {
		t.Fatalf("county corrects its own entry: %v", err)
	}

	// A repair decided on the platform removes a department's entry: the
	// platform's own ground.
	if _, err := f.svc.Remove(ctx, reviewer, cityEntry.ID, sanction.RemovalInput{Reason: sanction.RemoveRepair}); credit.KindOf(err) == credit.Permission {
		t.Fatalf("platform repair refused for want of rights: %v", err)
	}
}
