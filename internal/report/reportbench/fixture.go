// Package reportbench builds the subjects that the report tests and
// `xinyong bench report` draw reports for, and measures issuing,
// rendering and verifying reports and the transparency log.
package reportbench

import (
	"context"
	"fmt"
	"time"

	"github.com/xinyong/xinyong/internal/chinatime"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/records"
)

// The fixture's organisation: the GB 32100 standard's example code.
const (
	OrgCode  = "91350100M000100Y43"
	OrgName  = "福州示例科技有限公司"
	Dept     = "SAMR-350100"
	TaxDept  = "TAX-350100"
	AuthCode = "11350100570485441B"
)

// Organisation registers the fixture's organisation (or another code and
// name) and reports n administrative penalties about it from the market
// regulator, decided on days spread over the last three years before now,
// plus a licence. It returns the subject.
func Organisation(ctx context.Context, svc *records.Service, code, name string, n int, now time.Time) (*credit.Subject, error) {
	s, err := svc.PutOrganisation(ctx, records.Organisation{Code: code, Name: name, LegalRep: "张三", Status: "存续",
		RegisteredOn: time.Date(2016, 3, 1, 0, 0, 0, 0, chinatime.Location)})
	if err != nil {
		return nil, err
	}
	for i := range n {
		decided := now.AddDate(0, 0, -10-(i*1000)/max(n, 1))
		if _, _, err := svc.Append(ctx, records.Report{Item: "admin_penalty", Dept: Dept, SubjectID: s.ID,
			Fields: Penalty(code, name, fmt.Sprintf("榕市监罚〔%d〕%s-%d号", decided.Year(), code[8:14], 100+i), decided, i)}); err != nil {
			return nil, fmt.Errorf("penalty %d: %w", i, err)
		}
	}
	if _, _, err := svc.Append(ctx, records.Report{Item: "admin_licence", Dept: Dept, SubjectID: s.ID, Fields: credit.Fields{
		"xk_xdr_mc": name, "xk_xdr_lb": "法人及非法人组织", "xk_xdr_shxym": code, "xk_frdb": "张三",
		"xk_xkws": "食品经营许可证", "xk_wsh": "JY135010" + code[8:16], "xk_xklb": "普通", "xk_xkzs": "食品经营许可证", "xk_xkbh": "JY13501000000001",
		"xk_nr": "预包装食品销售", "xk_zt": "有效", "xk_jdrq": chinatime.Format(now.AddDate(-1, 0, 0)), "xk_yxqz": chinatime.Format(now.AddDate(-1, 0, 0)),
		"xk_yxqzi": chinatime.Format(now.AddDate(4, 0, 0)), "xk_xkjg": "福州市市场监督管理局", "xk_xkjgdm": AuthCode,
		"xk_lydw": "福州市市场监督管理局", "xk_lydwdm": AuthCode,
	}}); err != nil {
		return nil, fmt.Errorf("licence: %w", err)
	}
	return s, nil
}

// Penalty is an administrative penalty's fields; i varies its content.
func Penalty(code, name, docNo string, decided time.Time, i int) credit.Fields {
	content := []string{"警告", "罚款人民币2000元", "罚款人民币5万元，没收违法所得1.2万元", "责令停产停业"}[i%4]
	kind := []string{"警告", "罚款", "罚款", "责令停产停业"}[i%4]
	return credit.Fields{
		"cf_xdr_mc": name, "cf_xdr_lb": "法人及非法人组织", "cf_xdr_shxym": code, "cf_frdb": "张三",
		"cf_wsh": docNo, "cf_wfxw": "虚假宣传", "cf_sy": "在其经营场所发布含有虚假内容的广告，误导消费者，情节较轻，当事人积极配合调查并及时改正",
		"cf_yj": "《中华人民共和国广告法》第五十五条", "cf_cflb": kind, "cf_nr": content,
		"cf_jdrq": chinatime.Format(decided), "cf_cfjg": "福州市市场监督管理局", "cf_cfjgdm": AuthCode,
		"cf_sjly": "福州市市场监督管理局", "cf_sjlydm": AuthCode,
	}
}
