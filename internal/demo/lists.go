package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/records"
	"github.com/xinyong/xinyong/internal/sanction"
)

// SeedLists gives the demo a few list entries through the lawful path: a
// department reports 经营异常 records, the market regulator lists those
// subjects on the abnormal-operation list (no notice is required for it),
// proposes one serious-penalty subject for the serious-violation list and
// gives notice (the objection period then runs), and the procurement
// system makes a check and reports back, so the console pages have
// something to show. It does nothing when entries exist already.
func SeedLists(ctx context.Context, svc *records.Service, sanc *sanction.Service) error {
	if es, _, err := sanc.Entries(ctx, "", 0, 1); err != nil || len(es) > 0 {
		return err
	}
	subs, err := svc.Store.SubjectsByName(ctx, "有限公司", 12)
	if err != nil {
		return err
	}
	officer := sanction.Actor{Name: "samr", Role: credit.RoleDept, Dept: demoDept}
	now := svc.Now()
	var listed []string
	for i, s := range subs {
		if i >= 4 {
			break
		}
		rec, _, err := svc.Append(ctx, records.Report{Item: "abnormal_operation", Dept: demoDept, SubjectID: s.ID, Fields: credit.Fields{
			"yc_mc": s.Name, "yc_shxym": s.Code, "yc_lb": "法人及非法人组织", "yc_lryy": "未按照规定期限公示年度报告",
			"yc_lrrq": now.AddDate(0, -2, -i).Format(time.DateOnly), "yc_lrjg": "福州市市场监督管理局",
			"yc_lrwsh": fmt.Sprintf("榕市监异〔%d〕%03d号", now.Year(), i+1),
		}})
		if err != nil {
			return err
		}
		e, err := sanc.Propose(ctx, officer, sanction.Proposal{List: "abnormal_operation_list", SubjectID: s.ID,
			BasisRecords: []string{rec.ID}, Grounds: "未按照规定期限公示年度报告",
			Persons: []sanction.PersonInput{{Role: "法定代表人", Name: s.LegalRep}}})
		if err != nil {
			return err
		}
		if _, err := sanc.Decide(ctx, officer, e.ID, sanction.DecisionInput{DocNo: fmt.Sprintf("榕市监异决〔%d〕%03d号", now.Year(), i+1)}); err != nil {
			return err
		}
		listed = append(listed, s.ID)
	}
	// One serious-penalty subject goes through notice.
	for _, s := range subs {
		facts, err := svc.File(ctx, s.ID)
		if err != nil {
			return err
		}
		for _, st := range facts {
			if st.Current.Item == "admin_penalty" && st.Current.Severity == credit.SeveritySerious && !st.Revoked {
				e, err := sanc.Propose(ctx, officer, sanction.Proposal{List: "samr_serious_illegal", SubjectID: s.ID,
					BasisRecords: []string{st.Origin}, Grounds: "受到吊销许可证的较重行政处罚"})
				if err != nil {
					return err
				}
				if _, err := sanc.Notice(ctx, officer, e.ID, sanction.NoticeInput{DocNo: fmt.Sprintf("榕市监告〔%d〕001号", now.Year())}); err != nil {
					return err
				}
				goto checked
			}
		}
	}
checked:
	acc, err := svc.Store.Account(ctx, "procurement")
	if err != nil || len(listed) == 0 {
		return err
	}
	ms, err := sanc.Matters(ctx, acc.ID)
	if err != nil {
		return err
	}
	caller := sanction.Caller{Name: acc.Name, Dept: acc.Dept, Matters: ms}
	var qs []sanction.Query
	for _, id := range listed {
		qs = append(qs, sanction.Query{Code: id})
	}
	resp, err := sanc.Check(ctx, caller, sanction.Request{Matter: "gov_procurement", Subjects: qs})
	if err != nil {
		return err
	}
	var items []sanction.FeedbackItem
	for i, r := range resp.Results {
		for _, m := range r.Measures {
			if i%2 == 0 {
				items = append(items, sanction.FeedbackItem{SubjectID: r.SubjectID, Measure: m.Code, Outcome: credit.OutcomePunished, Amount: "35.5"})
			} else if i == 1 {
				items = append(items, sanction.FeedbackItem{SubjectID: r.SubjectID, Measure: m.Code, Outcome: credit.OutcomeNotAdopted, Reason: "已于列入前签订合同"})
			}
		}
	}
	if len(items) > 0 {
		if _, err := sanc.Feedback(ctx, caller, resp.CheckID, items); err != nil {
			return err
		}
	}
	return nil
}
