// Package demo fills an empty store with a small, realistic data set and
// demo accounts, so `xinyong serve --demo` shows a working platform at once.
package demo

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/gen"
	"github.com/xinyong/xinyong/internal/records"
	"github.com/xinyong/xinyong/internal/uscc"
)

// Password is the demo accounts' password. It is printed at start-up and is
// only ever set by --demo.
const Password = "xinyong-demo-2026"

// Options sizes the demo data.
type Options struct {
	Subjects int    // organisations to create; default 300
	Seed     uint64 // default 1
}

// Login is one demo sign-in printed for the user.
type Login struct {
	Name, Password string
	Role           credit.Role
	Note           string
}

// demoDept is the department the demo operator and records belong to.
const demoDept = "SAMR-350100"

// Seed loads the demo data into an empty store (subjects and records are
// skipped when the store already holds subjects) and makes sure the demo
// accounts exist. It returns the sign-ins to print.
func Seed(ctx context.Context, svc *records.Service, o Options) ([]Login, error) {
	if o.Subjects <= 0 {
		o.Subjects = 300
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
	n, err := svc.Store.CountSubjects(ctx)
	if err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	var firstOrg string
	if n == 0 {
		if firstOrg, err = seedData(ctx, svc, o); err != nil {
			return nil, fmt.Errorf("demo: %w", err)
		}
	} else {
		subs, err := svc.Store.SubjectsByName(ctx, "宁德", 1)
		if err == nil && len(subs) > 0 {
			firstOrg = subs[0].ID
		}
	}
	logins, err := seedAccounts(ctx, svc, firstOrg)
	if err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	return logins, nil
}

func seedAccounts(ctx context.Context, svc *records.Service, subject string) ([]Login, error) {
	acc := &auth.Accounts{Store: svc.Store, Now: svc.Now}
	specs := []struct {
		name, display string
		role          credit.Role
		dept, subject string
		note          string
	}{
		{"admin", "平台管理员", credit.RoleAdmin, "", "", "administrator"},
		{"reviewer", "信用办审核员", credit.RoleReviewer, "", "", "credit-office reviewer"},
		{"samr", "福州市市场监督管理局", credit.RoleDept, demoDept, "", "department operator"},
		{"auditor", "审计员", credit.RoleAuditor, "", "", "auditor"},
		{"bank", "示范银行", credit.RoleInstitution, "", "", "access institution"},
		{"subject", "示范企业", credit.RoleSubject, "", subject, "the subject " + subject},
	}
	var out []Login
	for _, s := range specs {
		if s.role == credit.RoleSubject && s.subject == "" {
			continue
		}
		if _, err := svc.Store.Account(ctx, s.name); err == nil {
			out = append(out, Login{s.name, Password, s.role, s.note})
			continue
		} else if !credit.Is(credit.NotFound, err) {
			return nil, err
		}
		if _, err := acc.CreateAccount(ctx, s.name, s.display, s.role, s.dept, s.subject, Password); err != nil {
			return nil, err
		}
		out = append(out, Login{s.name, Password, s.role, s.note})
	}
	// A business system signs in with an API key only; a new key is issued
	// on every demo start because only its hash is kept.
	if _, err := svc.Store.Account(ctx, "procurement"); credit.Is(credit.NotFound, err) {
		if _, err := acc.CreateAccount(ctx, "procurement", "政府采购系统", credit.RoleBusiness, "FIN-350100", "", ""); err != nil {
			return nil, err
		}
	} else if err != nil {
		return nil, err
	}
	if pa, err := svc.Store.Account(ctx, "procurement"); err == nil {
		// The matters the procurement system may ask the hit check about.
		if err := svc.Store.SetAccountMatters(ctx, pa.ID, []string{"gov_procurement", "bidding", "public_resource_trading", "gov_subsidy"}); err != nil {
			return nil, err
		}
	}
	secret, _, err := acc.NewKey(ctx, "procurement")
	if err != nil {
		return nil, err
	}
	out = append(out, Login{"procurement", secret, credit.RoleBusiness, "business system: send the key as Authorization: Bearer <key>"})
	return out, nil
}

// PrintLogins writes the demo sign-ins as a table.
func PrintLogins(w io.Writer, logins []Login) {
	fmt.Fprintln(w, "Demo sign-ins (password or API key):")
	for _, l := range logins {
		fmt.Fprintf(w, "  %-12s %-12s %-28s %s\n", l.Name, l.Role, l.Password, l.Note)
	}
}

func seedData(ctx context.Context, svc *records.Service, o Options) (string, error) {
	g := uscc.NewGenerator(int64(o.Seed))
	names := gen.NewNames(o.Seed)
	now := svc.Now()
	// The authority's own code: a 机关 (11) in Fuzhou.
	authority := g.USCC('1', '1', "350100")

	// A few fixed names make the search demo predictable: two-character
	// queries such as 宁德 or 华为 find them.
	fixed := []string{"宁德恒信新能源科技有限公司", "福州华为达电子科技有限公司", "厦门宁德海运物流有限公司"}
	var first string
	for i := 0; i < o.Subjects; i++ {
		code := g.RandomUSCC()
		res := uscc.CheckUSCC(code)
		place := trimPlace(uscc.RegionName(res.Region))
		name := names.Company(place)
		if res.Authority == "9" && res.EntityType == "2" {
			name = names.Shop(place)
		}
		if i < len(fixed) {
			name = fixed[i]
		}
		reg := now.AddDate(-1-i%15, -(i % 12), -(i % 28))
		sub, err := svc.PutOrganisation(ctx, records.Organisation{
			Code: code, Name: name, LegalRep: names.Person(), Status: "存续", RegisteredOn: reg,
		})
		if err != nil {
			return "", err
		}
		if i == 0 {
			first = sub.ID
		}
		if err := seedRecords(ctx, svc, sub, i, now, authority); err != nil {
			return "", err
		}
	}
	for i := 0; i < 5; i++ {
		birth := time.Date(1960+i*7, time.Month(1+i), 3+i, 0, 0, 0, 0, time.UTC)
		if _, err := svc.PutPerson(ctx, names.Person(), g.ResidentID("350102", birth, i%2 == 0)); err != nil {
			return "", err
		}
	}
	return first, nil
}

// trimPlace shortens a region name to the prefix a company name would use
// (福州市 → 福州, 思明区 → 思明).
func trimPlace(name string) string {
	r := []rune(name)
	if len(r) > 2 {
		switch r[len(r)-1] {
		case '市', '区', '县':
			return string(r[:len(r)-1])
		}
	}
	if name == "" {
		return "福州"
	}
	return name
}

func kindLabel(k credit.SubjectKind) string {
	if k == credit.IndividualBusiness {
		return "个体工商户"
	}
	return "法人及非法人组织"
}

// seedRecords gives roughly one subject in two a licence and one in three a
// penalty, across severity classes and ages so publication windows differ.
func seedRecords(ctx context.Context, svc *records.Service, sub *credit.Subject, i int, now time.Time, authority string) error {
	day := func(t time.Time) string { return t.Format("2006-01-02") }
	if i%2 == 0 {
		decided := now.AddDate(0, -(i % 30), -(i % 20))
		_, _, err := svc.Append(ctx, records.Report{
			Item: "admin_licence", Dept: demoDept, SubjectID: sub.ID,
			Fields: credit.Fields{
				"xk_xdr_mc": sub.Name, "xk_xdr_lb": kindLabel(sub.Kind), "xk_xdr_shxym": sub.Code,
				"xk_frdb": sub.LegalRep, "xk_xkws": "食品经营许可证决定书", "xk_wsh": fmt.Sprintf("榕市监食许〔%d〕%04d号", decided.Year(), i),
				"xk_xklb": "普通", "xk_xkzs": "食品经营许可证", "xk_xkbh": fmt.Sprintf("JY135010%08d", i),
				"xk_nr": "预包装食品销售（含冷藏冷冻食品）", "xk_jdrq": day(decided), "xk_yxqz": day(decided),
				"xk_yxqzi": day(decided.AddDate(5, 0, 0)), "xk_xkjg": "福州市市场监督管理局", "xk_xkjgdm": authority,
				"xk_zt": "有效", "xk_lydw": "福州市市场监督管理局", "xk_lydwdm": authority,
			},
		})
		if err != nil {
			return err
		}
	}
	if i%3 == 0 {
		kinds := []struct{ cflb, nr, fk string }{
			{"警告", "警告", ""},
			{"罚款", "罚款人民币五千元", "0.5"},
			{"罚款;没收违法所得", "罚款人民币二十万元，没收违法所得三万元", "20"},
			{"吊销许可证", "吊销食品经营许可证", ""},
		}
		k := kinds[(i/3)%len(kinds)]
		decided := now.AddDate(0, -(i % 40), -(i % 25))
		fields := credit.Fields{
			"cf_xdr_mc": sub.Name, "cf_xdr_lb": kindLabel(sub.Kind), "cf_xdr_shxym": sub.Code, "cf_frdb": sub.LegalRep,
			"cf_wsh": fmt.Sprintf("榕市监罚字〔%d〕%04d号", decided.Year(), i), "cf_wfxw": "经营超过保质期的食品",
			"cf_sy":   "经查，当事人经营超过保质期的预包装食品，违反了《中华人民共和国食品安全法》第三十四条第（十）项的规定。",
			"cf_yj":   "《中华人民共和国食品安全法》第一百二十四条第一款",
			"cf_cflb": k.cflb, "cf_nr": k.nr, "cf_jdrq": day(decided),
			"cf_cfjg": "福州市市场监督管理局", "cf_cfjgdm": authority, "cf_sjly": "福州市市场监督管理局", "cf_sjlydm": authority,
		}
		if k.fk != "" {
			fields["cf_nr_fk"] = k.fk
		}
		if _, _, err := svc.Append(ctx, records.Report{Item: "admin_penalty", Dept: demoDept, SubjectID: sub.ID, Fields: fields}); err != nil {
			return err
		}
	}
	return nil
}
