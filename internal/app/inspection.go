package app

import (
	"github.com/xinyong/xinyong/internal/inspection"
)

// buildInspection wires the random inspections (双随机、一公开): the
// pool's supervision classes come from p.Classifier, the draws'
// randomness from the node's transparency log, failed inspections enter
// credit files through the records service.
//
// Until the graded supervision of the evaluation (issue 17 §3) is wired
// as the classifier, a node puts every subject in one class,
// inspection.DefaultClass ("regular": the regular ratio of
// 国办发〔2019〕35号 (七)); a department that grades its subjects itself
// names their classes in the task (inspection.Request.Classes).
func (a *App) buildInspection(p Parts) {
	cls := p.Classifier
	if cls == nil {
		cls = inspection.OneClass(inspection.DefaultClass)
	}
	a.Inspection = &inspection.Service{Store: a.Store, Catalog: a.Catalog, Records: a.Records, Classifier: cls,
		Log: a.R.Log, KeySet: a.KeySet, Now: a.Now}
}
