package web

import (
	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/sanction"
	"github.com/xinyong/xinyong/internal/workflow"
)

// The words of the platform's own vocabularies are kept beside their codes
// (workflow.StateNames, sanction.StepNames ...), where refusals name them
// too; the portal's message catalogue takes them in under its keys.
func init() {
	add := func(key string, t credit.Text) {
		messages["zh"][key], messages["en"][key] = t.Zh, t.En
	}
	for s, t := range workflow.StateNames {
		add("state_"+s, t)
	}
	for k, t := range workflow.KindNames {
		add("kind_"+string(k), t)
	}
	for s, t := range sanction.StepNames {
		add("state_"+string(s), t)
	}
	for r, t := range sanction.RemovalNames {
		add("removal_"+r, t)
	}
	for lang, m := range nameMessages {
		for k, v := range m {
			messages[lang][k] = v
		}
	}
}

// trackingApplicant is the actor named on steps taken with a 查询码 alone.
const trackingApplicant = "applicant (tracking code)"

// nameMessages name the codes only pages show: batch statuses, the actors
// that are not accounts, the outcomes of an upheld objection.
var nameMessages = map[string]map[string]string{
	"zh": {
		"batch_running":         "导入中",
		"batch_done":            "已完成",
		"batch_failed":          "导入失败",
		"actor_platform":        "平台",
		"actor_system_expiry":   "系统（期满自动移出）",
		"actor_applicant":       "申请人（凭查询码）",
		"actor_anonymous":       "未登录用户",
		"unit_credit_office":    "信用办",
		"outcome_revoked":       "撤销该信息",
		"outcome_corrected":     "更正该信息",
		"event_overdue_since":   "自%s起超过办理时限",
		"state_removed_because": "已移出（%s）",
	},
	"en": {
		"batch_running":         "running",
		"batch_done":            "done",
		"batch_failed":          "failed",
		"actor_platform":        "Platform",
		"actor_system_expiry":   "System (removed on expiry)",
		"actor_applicant":       "Applicant (tracking code)",
		"actor_anonymous":       "Not signed in",
		"unit_credit_office":    "Credit office",
		"outcome_revoked":       "record revoked",
		"outcome_corrected":     "record corrected",
		"event_overdue_since":   "overdue since %s",
		"state_removed_because": "removed (%s)",
	},
}

// names is the one lookup from the platform's codes to what a page shows
// for them, in the page's language: departments, items, lists, measures
// and matters by the catalogue, states, actions, statuses, actors and
// reasons by the message catalogue. A code without a name is shown as it
// is. Templates call it as .N.
type names struct {
	cat *catalog.Catalog
	en  bool
	T   map[string]string
}

func (v *view) names(cat *catalog.Catalog) names {
	return names{cat: cat, en: v.Lang == "en", T: v.T}
}

func (n names) pick(zh, en string) string {
	if n.en && en != "" {
		return en
	}
	return zh
}

// key is the message under key, or the code when there is none.
func (n names) key(key, code string) string {
	if s := n.T[key]; s != "" {
		return s
	}
	return code
}

// dept names a department, ok false when the catalogue does not hold it.
func (n names) dept(code string) (string, bool) {
	if code == workflow.CreditOffice {
		return n.T["unit_credit_office"], true
	}
	if n.cat == nil {
		return code, false
	}
	d, err := n.cat.Department(code)
	if err != nil {
		return code, false
	}
	return n.pick(d.Name, d.NameEn), true
}

// Dept names a department (or the credit office, as a case's unit).
func (n names) Dept(code string) string {
	name, _ := n.dept(code)
	return name
}

// Item names a catalogue item.
func (n names) Item(code string) string {
	if n.cat != nil {
		if it, err := n.cat.Item(code); err == nil {
			return n.pick(it.Name, it.NameEn)
		}
	}
	return code
}

// Purpose names a purpose of the catalogue (reports and grants); a
// purpose a caller stated in words is shown as stated.
func (n names) Purpose(code string) string {
	if n.cat != nil {
		for _, pu := range n.cat.Reports.Purposes {
			if pu.Code == code {
				return n.pick(pu.Name, pu.NameEn)
			}
		}
	}
	return code
}

// List names a list type.
func (n names) List(code string) string {
	if n.cat != nil {
		if lt, err := n.cat.List(code); err == nil {
			return n.pick(lt.Name, lt.NameEn)
		}
	}
	return code
}

// Measure names a measure of the measure list.
func (n names) Measure(code string) string {
	if n.cat != nil {
		if m, err := n.cat.Measure(code); err == nil {
			return n.pick(m.Name, m.NameEn)
		}
	}
	return code
}

// Matter names a matter business systems check for.
func (n names) Matter(code string) string {
	if n.cat != nil {
		if m, err := n.cat.Matter(code); err == nil {
			return n.pick(m.Name, m.NameEn)
		}
	}
	return code
}

// CaseState names a case's state.
func (n names) CaseState(s string) string { return n.key("state_"+s, s) }

// CaseKind names a kind of case.
func (n names) CaseKind(k credit.CaseKind) string { return n.key("kind_"+string(k), string(k)) }

// Action names a step of a case.
func (n names) Action(a string) string { return n.key("action_"+a, a) }

// Step names the state of a list entry.
func (n names) Step(s credit.ListStep) string { return n.key("state_"+string(s), string(s)) }

// Removal names why a list entry was removed.
func (n names) Removal(r string) string { return n.key("removal_"+r, r) }

// BatchStatus names where an import stands.
func (n names) BatchStatus(s credit.BatchStatus) string { return n.key("batch_"+string(s), string(s)) }

// Outcome names the outcome of an upheld objection.
func (n names) Outcome(o string) string { return n.key("outcome_"+o, o) }

// Actor names who took a step: the platform and the system by their
// roles, an account by its name.
func (n names) Actor(name string) string {
	switch name {
	case workflow.Platform.Name:
		return n.T["actor_platform"]
	case sanction.ExpiryActor:
		return n.T["actor_system_expiry"]
	case trackingApplicant:
		return n.T["actor_applicant"]
	case "anonymous":
		return n.T["actor_anonymous"]
	}
	return name
}

// Reason is a ground of repair ineligibility in the page's language.
func (n names) Reason(r workflow.Reason) string {
	if !n.en && r.MessageZh != "" {
		return r.MessageZh
	}
	return r.Message
}
