package workflow

import "github.com/xinyong/xinyong/internal/credit"

// StateNames name each case state in Chinese and English: the words the
// pages show for it, and those a refusal names it by.
var StateNames = map[string]credit.Text{
	StateSubmitted: {Zh: "已提交", En: "Submitted"},
	StateRouted:    {Zh: "已转认定单位，待受理", En: "With the deciding unit"},
	StateRefused:   {Zh: "不予受理 / 不予修复", En: "Refused"},
	StateVerifying: {Zh: "已受理，核实中", En: "Accepted, under verification"},
	StateUpheld:    {Zh: "异议成立，已更正", En: "Upheld, corrected"},
	StateDismissed: {Zh: "异议不成立", En: "Dismissed"},
	StateAwaiting:  {Zh: "待补正材料", En: "Waiting for materials"},
	StateReviewing: {Zh: "已受理，审核中", En: "Accepted, under review"},
	StateRepaired:  {Zh: "已修复", En: "Repaired"},
	StateRevoked:   {Zh: "修复已撤销（虚假承诺）", En: "Repair revoked (false commitment)"},
	StateMasking:   {Zh: "待屏蔽", En: "To be masked"},
	StateMasked:    {Zh: "已屏蔽", En: "Masked"},
	StateRestored:  {Zh: "已恢复", En: "Restored"},
	StateCompleted: {Zh: "重整完毕", En: "Plan carried out"},
	StateWithdrawn: {Zh: "已撤回", En: "Withdrawn"},
}

// KindNames name each kind of case in Chinese and English.
var KindNames = map[credit.CaseKind]credit.Text{
	credit.CaseObjection:  {Zh: "异议", En: "Objection"},
	credit.CaseRepair:     {Zh: "信用修复", En: "Credit repair"},
	credit.CaseBankruptcy: {Zh: "破产重整屏蔽", En: "Bankruptcy masking"},
}

// stateZh is a state's Chinese name, or the state itself when it has none.
func stateZh(state string) string {
	if n, ok := StateNames[state]; ok {
		return n.Zh
	}
	return state
}

// statesZh joins the Chinese names of states as a refusal lists them.
func statesZh(states []string) string {
	out := ""
	for i, s := range states {
		if i > 0 {
			out += "或"
		}
		out += "“" + stateZh(s) + "”"
	}
	return out
}

// CreditOffice is the unit of the cases the credit office decides itself
// (bankruptcy masking).
const CreditOffice = "credit_office"

// deptName names a deciding unit in a Chinese message (catalog.DeptZh;
// the credit office by its name).
func (s *Service) deptName(code string) string {
	if code == CreditOffice {
		return "信用办"
	}
	return s.cfg.Catalog.DeptZh(code)
}
