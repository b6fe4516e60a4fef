package demo

import (
	"context"

	"github.com/xinyong/xinyong/internal/app"
	"github.com/xinyong/xinyong/internal/chinatime"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/inspection"
)

// seedInspections publishes a 双随机 task of the market regulator over the
// demo's subjects of 福州 (region 3501) at 20 %, draws it with the
// transparency log's first checkpoint after the publication, and
// publishes two results (one found a problem, and became a record), so
// the portal's /inspections page shows a draw that verifies.
func seedInspections(ctx context.Context, node *app.App, subject string) error {
	svc := node.Inspection
	t, err := svc.Create(ctx, demoDept, inspection.Request{Matter: "daily_supervision", Title: "2026年度企业公示信息双随机抽查（第四批）",
		Item: "企业年度报告公示信息", Filter: credit.PoolFilter{Region: "3501"}, Ratios: map[string]int{inspection.DefaultClass: 2000},
		Inspectors: []inspection.Inspector{{ID: "FZ-SAMR-001", Name: "林建华", Region: "350102"}, {ID: "FZ-SAMR-002", Name: "陈秀英", Region: "350103"},
			{ID: "FZ-SAMR-003", Name: "黄志明", Region: "350104"}, {ID: "FZ-SAMR-004", Name: "郑丽娟", Region: "350105"},
			{ID: "FZ-SAMR-005", Name: "吴国平", Region: "350111"}, {ID: "FZ-SAMR-006", Name: "刘海燕", Region: "350121"}},
		Avoid: inspection.Avoidance{OwnRegion: true, RecentMonths: 12}})
	if err != nil {
		return err
	}
	_, d, err := svc.Draw(ctx, demoDept, t.ID, "")
	if err != nil {
		return err
	}
	day := node.Now().In(chinatime.Location).Format("2006-01-02")
	results := []inspection.ResultInput{{Result: inspection.ResultPassed}, {Result: inspection.ResultFailed, Detail: "2025年度报告未按规定公示从业人数和资产状况信息"}}
	for _, x := range d.Subjects {
		if len(results) == 0 {
			break
		}
		if x.Subject == subject {
			continue // the demo subject's own file stays as the data made it
		}
		in := results[0]
		in.Subject, in.InspectedOn = x.Subject, day
		if _, err := svc.Record(ctx, demoDept, "samr", t.ID, in); err != nil {
			return err
		}
		results = results[1:]
	}
	return nil
}
