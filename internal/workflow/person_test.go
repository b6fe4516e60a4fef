package workflow_test

import (
	"testing"

	"github.com/xinyong/xinyong/internal/apptest"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/records"
	"github.com/xinyong/xinyong/internal/uscc"
	"github.com/xinyong/xinyong/internal/workflow"
)

// TestUpholdOnAPersonsRecord: an upheld objection corrects one field of a
// natural person's record; the correction carries the record's other
// fields, the sealed ID number among them, which is sealed again, not
// refused.
func TestUpholdOnAPersonsRecord(t *testing.T) {
	node := apptest.New(t, apptest.Options{})
	ctx := t.Context()
	const idno = "11010519491231002X"
	p, err := node.Records.PutPerson(ctx, "王小明", idno)
	if err != nil {
		t.Fatal(err)
	}
	authority := uscc.NewGenerator(9).USCC('1', '1', "350100")
	rec, _, err := node.Records.Append(ctx, records.Report{Item: "admin_penalty", Dept: "SAMR-350100", SubjectID: p.ID, Fields: credit.Fields{
		"cf_xdr_mc": "王小明", "cf_xdr_lb": "自然人", "cf_xdr_zjlx": "身份证", "cf_xdr_zjhm": idno,
		"cf_wsh": "榕市监罚〔2026〕19号", "cf_wfxw": "无证经营", "cf_sy": "经查……", "cf_yj": "《某法》", "cf_cflb": "罚款", "cf_nr": "罚款五千元",
		"cf_nr_fk": "0.5", "cf_jdrq": node.Clock.Date(-10), "cf_cfjg": "福州市市场监督管理局", "cf_cfjgdm": authority, "cf_sjly": "福州市市场监督管理局", "cf_sjlydm": authority,
	}})
	if err != nil {
		t.Fatal(err)
	}
	c, _, err := node.Workflow.FileObjection(ctx, credit.Actor{Name: "wxm", Role: credit.RoleSubject, Subject: p.ID},
		workflow.Objection{SubjectID: p.ID, RecordID: rec.ID, Reasons: "罚款金额有误"})
	if err != nil {
		t.Fatal(err)
	}
	unit := credit.Actor{Name: "samr-officer", Role: credit.RoleDept, Dept: "SAMR-350100"}
	if err := node.Workflow.Act(ctx, unit, c.ID, workflow.Action{Name: "accept"}); err != nil {
		t.Fatal(err)
	}
	if err := node.Workflow.UpholdObjection(ctx, unit, c.ID, workflow.Decision{Fields: credit.Fields{"cf_nr_fk": "0.3"}, Reason: "金额录入错误"}); err != nil {
		t.Fatalf("uphold on a person's record: %v", err)
	}
	file, _ := node.Records.File(ctx, p.ID)
	if len(file) != 1 || file[0].Current.Fields["cf_nr_fk"] != "0.3" || file[0].Current.Fields["cf_xdr_zjhm"] == idno {
		t.Errorf("after the correction: %+v", file)
	}
}
