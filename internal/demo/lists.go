package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/xinyong/xinyong/internal/app"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/publish"
	"github.com/xinyong/xinyong/internal/records"
	"github.com/xinyong/xinyong/internal/sanction"
)

// seedLists gives the demo a few list entries through the lawful path: the
// market regulator reports 经营异常 records (its list's entries follow from
// them), proposes one serious-penalty subject for the serious-violation
// list and gives notice (the objection period then runs), the credit office
// names two honoured companies with clean files 诚信典型, and the
// procurement system makes a check and reports back, so the console pages
// have something to show. It does nothing when it has run before.
func seedLists(ctx context.Context, node *app.App) error {
	svc, st, sanc := node.Records, node.Store, node.Sanction
	if es, _, err := sanc.Entries(ctx, "samr_serious_illegal", 0, 1); err != nil || len(es) > 0 {
		return err
	}
	subs, err := st.SubjectsByName(ctx, "有限公司", 12)
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
		if _, _, err := svc.Append(ctx, records.Report{Item: "abnormal_operation", Dept: demoDept, SubjectID: s.ID, Fields: credit.Fields{
			"yc_mc": s.Name, "yc_shxym": s.Code, "yc_lb": "法人及非法人组织", "yc_lryy": "未按照规定期限公示年度报告",
			"yc_lrrq": now.AddDate(0, -2, -i).Format(time.DateOnly), "yc_lrjg": "福州市市场监督管理局",
			"yc_lrwsh": fmt.Sprintf("榕市监异〔%d〕%03d号", now.Year(), i+1),
		}}); err != nil {
			return err
		}
		listed = append(listed, s.ID)
	}
	if err := sanc.Sync(ctx); err != nil {
		return err
	}
	if err := seedRedList(ctx, node); err != nil {
		return err
	}
	// One serious-penalty subject goes through notice.
	for _, s := range subs {
		facts, err := svc.File(ctx, s.ID)
		if err != nil {
			return err
		}
		for _, st := range facts {
			it, err := node.Catalog.Item(st.Current.Item)
			if err != nil || st.Current.Item != "admin_penalty" || st.Revoked || publish.WindowOf(node.Catalog, it, &st.Current, nil).Severity != credit.SeveritySerious {
				continue
			}
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
checked:
	acc, err := st.Account(ctx, "procurement")
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

// seedRedList has the credit office name up to two companies honoured by
// the market regulator 诚信典型: the list's bar refuses any with a serious
// record or a black-list entry in force, so only clean files are named.
func seedRedList(ctx context.Context, node *app.App) error {
	svc, st, sanc := node.Records, node.Store, node.Sanction
	office := sanction.Actor{Name: "reviewer", Role: credit.RoleReviewer}
	honours, err := st.NewestRecordsByItems(ctx, []string{"honour"}, "", 200)
	if err != nil {
		return err
	}
	named := 0
	for _, h := range honours {
		if named == 2 {
			break
		}
		if h.Dept != demoDept || h.Kind == credit.Person {
			continue
		}
		e, err := sanc.Propose(ctx, office, sanction.Proposal{List: "honest_typical", SubjectID: h.SubjectID, BasisRecords: []string{h.ID},
			Grounds: "被评为" + h.Fields["ry_rymc"] + "，无严重失信记录"})
		if credit.Is(credit.Conflict, err) || credit.Is(credit.Invalid, err) {
			continue // barred, or already named
		}
		if err != nil {
			return err
		}
		if _, err := sanc.Decide(ctx, office, e.ID, sanction.DecisionInput{DocNo: fmt.Sprintf("榕信用〔%d〕%d号", svc.Now().Year(), named+1)}); err != nil {
			return err
		}
		named++
	}
	return nil
}
