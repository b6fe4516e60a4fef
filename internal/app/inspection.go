package app

import (
	"context"
	"math"

	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/evaluation"
	"github.com/xinyong/xinyong/internal/inspection"
)

// buildInspection wires the random inspections (双随机、一公开): the
// pool's supervision classes come from p.Classifier, the draws'
// randomness from the node's transparency log, failed inspections enter
// credit files through the records service.
//
// The classes are the evaluation's graded supervision (分级分类监管):
// the department's class of the subject for the matter (A–D by grade,
// key targets by list). A subject the department's mapping does not
// class (no mapping for the matter, no evaluation of the subject) is in
// inspection.DefaultClass ("regular": the regular ratio of
// 国办发〔2019〕35号 (七)); a department that grades its subjects itself
// names their classes in the task (inspection.Request.Classes).
func (a *App) buildInspection(p Parts) {
	cls := p.Classifier
	if cls == nil && a.Evaluation != nil {
		cls = gradedClasses{a.Evaluation}
	}
	if cls == nil {
		cls = inspection.OneClass(inspection.DefaultClass)
	}
	a.Inspection = &inspection.Service{Store: a.Store, Catalog: a.Catalog, Records: a.Records, Classifier: cls,
		Log: a.R.Log, KeySet: a.KeySet, Now: a.Now}
}

// gradedClasses gives the draws the evaluation's supervision classes.
type gradedClasses struct{ ev *evaluation.Service }

func (g gradedClasses) Class(ctx context.Context, dept, matter, subjectID string) (string, error) {
	ans, err := g.ev.Class(ctx, dept, matter, subjectID)
	switch {
	case err == nil:
		return ans.Class, nil
	case credit.Is(credit.NotFound, err), credit.Is(credit.Unavailable, err):
		return inspection.DefaultClass, nil
	}
	return "", err
}

// Ratio is the department's ratio of class for matter in the graded
// supervision, in basis points.
func (g gradedClasses) Ratio(_ context.Context, dept, matter, class string) (int, bool) {
	sup := g.ev.Model().SupervisionFor(dept, matter)
	if sup == nil {
		return 0, false
	}
	_, _, r, ok := sup.Named(class)
	return int(math.Round(r * 10000)), ok
}
