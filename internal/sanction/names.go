package sanction

import (
	"strings"

	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/credit"
)

// StepNames name each step of a list entry in Chinese and English: the
// words the pages show for an entry's state, and those a refusal names it
// by.
var StepNames = map[credit.ListStep]credit.Text{
	credit.StepProposed: {Zh: "拟列入", En: "proposed"},
	credit.StepNoticed:  {Zh: "已告知", En: "noticed"},
	credit.StepDecided:  {Zh: "已列入", En: "listed"},
	credit.StepRemoved:  {Zh: "已移出", En: "removed"},
}

// RemovalNames name each removal reason in Chinese and English.
var RemovalNames = map[string]credit.Text{
	RemoveExpiry:     {Zh: "有效期届满", En: "period ended"},
	RemoveRepair:     {Zh: "信用修复", En: "credit repair"},
	RemoveRevocation: {Zh: "决定或依据被撤销", En: "decision or basis revoked"},
	RemoveCorrection: {Zh: "认定有误，予以更正", En: "listing corrected"},
	RemoveWithdrawn:  {Zh: "列入前撤回", En: "withdrawn before listing"},
	RemoveFulfilled:  {Zh: "已履行义务", En: "obligations fulfilled"},
}

func stepZh(s credit.ListStep) string {
	if n, ok := StepNames[s]; ok {
		return n.Zh
	}
	return string(s)
}

// removalsZh joins the Chinese names of removal reasons with their codes,
// as a refusal lists the reasons it takes.
func removalsZh(reasons ...string) string {
	out := make([]string, len(reasons))
	for i, r := range reasons {
		out[i] = r + "（" + RemovalNames[r].Zh + "）"
	}
	return strings.Join(out, "、")
}

// listZh names a list in Chinese with its code.
func listZh(lt *catalog.ListType) string { return lt.Name + "（" + lt.Code + "）" }

// severitiesZh joins severities as a Chinese refusal lists them.
func severitiesZh(ss []credit.Severity) string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = string(s)
	}
	return strings.Join(out, "或")
}

// deptZh names a department in a Chinese message.
func (s *Service) deptZh(code string) string { return s.Catalog.DeptZh(code) }

// itemZh names a catalogue item for a Chinese message, with its code.
func (s *Service) itemZh(code string) string {
	if it, err := s.Catalog.Item(code); err == nil {
		return it.Name + "（" + code + "）"
	}
	return code
}

// measureZh names a measure for a Chinese message, with its code.
func (s *Service) measureZh(code string) string {
	if m, err := s.Catalog.Measure(code); err == nil {
		return m.Name + "（" + code + "）"
	}
	return code
}

// suspensionZh is what index.suspension names ("list entry …", "basis
// record …") in Chinese.
func suspensionZh(why string) string {
	if id, ok := strings.CutPrefix(why, "list entry "); ok {
		return "名单条目" + id
	}
	if id, ok := strings.CutPrefix(why, "basis record "); ok {
		return "依据信息" + id
	}
	return why
}

// itemsZh names catalogue items for a Chinese message.
func (s *Service) itemsZh(codes []string) string {
	out := make([]string, len(codes))
	for i, c := range codes {
		out[i] = s.itemZh(c)
	}
	return strings.Join(out, "、")
}

// mattersZh names matters for a Chinese message.
func (s *Service) mattersZh(codes []string) string {
	out := make([]string, len(codes))
	for i, c := range codes {
		out[i] = c
		if m, err := s.Catalog.Matter(c); err == nil {
			out[i] = m.Name + "（" + c + "）"
		}
	}
	return strings.Join(out, "、")
}
