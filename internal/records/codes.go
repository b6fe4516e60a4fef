package records

import (
	"fmt"
	"slices"
	"strings"

	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/pii"
	"github.com/xinyong/xinyong/internal/uscc"
)

// Codes is the one home of the checks a record's codes pass beyond the
// catalogue's own (catalog.Item.Validate checks shapes, not check
// characters): the check character of every unified social credit code
// and resident ID number in it, placeholder codes, the subject kind
// against the item and against its code. An import checks every row with
// it and a single record (records.Prepare) the same way, so that what a
// file would refuse the API refuses too. It is safe for concurrent use.
type Codes struct {
	it     *catalog.Item
	codes  *uscc.Checker
	idType map[string]string // ID-number field → its ID-type field
}

// NewCodes returns the code checks of item it on checker codes (its clock
// dates the birth-date checks of ID numbers).
func NewCodes(it *catalog.Item, codes *uscc.Checker) *Codes {
	c := &Codes{it: it, codes: codes, idType: map[string]string{}}
	for _, fd := range it.Fields {
		if fd.Type == catalog.TypeIDNo {
			t := strings.TrimSuffix(fd.Code, "zjhm") + "zjlx"
			if it.Field(t) != nil && t != fd.Code {
				c.idType[fd.Code] = t
			}
		}
	}
	return c
}

// CodeProblem is one field's refusal.
type CodeProblem struct {
	Field string
	*credit.Text
}

// CodeResult is what the checks made of a record's fields.
type CodeResult struct {
	// Kind is the subject kind the fields state.
	Kind credit.SubjectKind
	// Subject is the check of the subject's own code, when it has one
	// (SubjectChecked); SubjectError when that code is wrong or flagged
	// (the 重错码率 of data quality counts it).
	Subject                      uscc.Result
	SubjectChecked, SubjectError bool
	// Problems are the refusals, in field order.
	Problems []CodeProblem
}

func (r *CodeResult) refuse(field, zh, en string, args ...any) {
	r.Problems = append(r.Problems, CodeProblem{Field: field, Text: pii.Says(zh, en, args...)})
}

func (r *CodeResult) refused(field string) bool {
	return slices.ContainsFunc(r.Problems, func(p CodeProblem) bool { return p.Field == field })
}

// Check checks fields f (codes in either case: they are checked as
// stored, in upper case). skip names the fields refused already by other
// checks, which these leave alone (nil: none).
func (c *Codes) Check(f credit.Fields, skip func(field string) bool) CodeResult {
	it := c.it
	var r CodeResult
	refused := func(field string) bool { return (skip != nil && skip(field)) || r.refused(field) }
	r.Kind = it.SubjectKindOf(f)
	if r.Kind != "" && !slices.Contains(it.SubjectKinds, r.Kind) {
		r.refuse(it.Keys.SubjectKind, "%[3]s不归集%[2]s的信息", "item %[1]s does not concern %[2]s subjects", it.Code, catalog.SubjectKindLabel(r.Kind), it.Name)
	}

	// Codes. The subject's own code is the one 重错码率 counts.
	for _, fd := range it.Fields {
		val := f[fd.Code]
		if fd.Type == catalog.TypeUSCC || fd.Type == catalog.TypeIDNo {
			val = strings.ToUpper(val)
		}
		if val == "" || refused(fd.Code) {
			if fd.Code == it.Keys.SubjectCode && val != "" {
				r.SubjectChecked, r.SubjectError = true, true
			}
			continue
		}
		switch fd.Type {
		case catalog.TypeUSCC:
			res := c.codes.CheckUSCC(val)
			subject := fd.Code == it.Keys.SubjectCode
			if subject {
				r.SubjectChecked = true
				r.Subject = res
			}
			switch res.Status {
			case uscc.Invalid:
				if subject {
					r.SubjectError = true
				}
				if id := c.codes.Check(val); id.Kind == uscc.KindResidentID && id.Status == uscc.Valid {
					t := c.residentIDInCode(fd, id.Code, r.Kind)
					r.refuse(fd.Code, "%[2]s", "%[1]s", t.En, t.Zh)
				} else {
					r.refuse(fd.Code, "统一社会信用代码%[1]s无效：%[3]s", "invalid unified social credit code %[1]s: %[2]s", res.Code, res.Reason(), res.ReasonZh())
				}
			case uscc.Flagged:
				if subject {
					r.SubjectError = true // kept, but counted in 重错码率
				}
			}
		case catalog.TypeIDNo:
			if t := c.idType[fd.Code]; t != "" && f[t] != "" && f[t] != "身份证" {
				continue // passports and permits have no check character to verify
			}
			res := c.codes.CheckResidentID(val)
			if res.Status == uscc.Invalid {
				r.refuse(fd.Code, "居民身份证号码无效：%[2]s", "invalid resident ID number: %[1]s", res.Reason(), res.ReasonZh())
			}
		}
	}

	// Subject identity and kind against code.
	code := strings.ToUpper(f[it.Keys.SubjectCode])
	switch r.Kind {
	case credit.Person:
		if code != "" && !refused(it.Keys.SubjectCode) {
			r.refuse(it.Keys.SubjectCode, "自然人没有统一社会信用代码，%s是单位的代码：请更正主体类别或代码",
				"a natural person (自然人) has no unified social credit code; %s is an organisation's code: fix the subject category or the code", code)
		}
		idf := it.Keys.SubjectIDNo
		if t := c.idType[idf]; t != "" && f[t] != "" && f[t] != "身份证" {
			r.refuse(t, "自然人以居民身份证号码标识，暂不支持证件类型“%s”", "natural persons are identified by resident ID number (身份证); ID type %s is not supported yet", f[t])
		}
	case credit.IndividualBusiness, credit.Organisation:
		if code != "" && !refused(it.Keys.SubjectCode) {
			isIndiv := credit.OrgKind(r.Subject.Authority, r.Subject.EntityType) == credit.IndividualBusiness
			if r.Kind == credit.IndividualBusiness && !isIndiv {
				r.refuse(it.Keys.SubjectCode, "主体类别为个体工商户，但代码%s不是个体工商户的代码（个体工商户代码以92开头）",
					"subject category is 个体工商户 but code %s is not an individual business's code (those start with 92)", code)
			}
			if r.Kind == credit.Organisation && isIndiv {
				r.refuse(it.Keys.SubjectCode, "代码%s是个体工商户的代码（92开头），但主体类别为法人及非法人组织：请改为个体工商户",
					"code %s is an individual business's code (92…) but the subject category is 法人及非法人组织: use 个体工商户", code)
			}
		}
	}
	return r
}

// residentIDInCode is the reason a valid resident ID number in a column of
// unified social credit codes is refused: what it is and where it belongs,
// in English (with the Chinese after it) and in Chinese. The number is
// shown masked: a reason is kept with the batch and read by whoever reads
// its rejects.
func (c *Codes) residentIDInCode(fd *catalog.Field, id string, kind credit.SubjectKind) *credit.Text {
	it := c.it
	masked := uscc.MaskResidentID(id)
	const what, whatZh = " is a resident ID number (居民身份证号码), not a unified social credit code: ", "这是居民身份证号码，不是统一社会信用代码："
	say := func(en, zh string) *credit.Text {
		return &credit.Text{En: en + " (" + whatZh + zh + ")", Zh: masked + "是居民身份证号码，不是统一社会信用代码：" + zh}
	}
	if fd.Code != it.Keys.SubjectCode {
		return say(fmt.Sprintf("%s%s%s (%s) is an organisation's code", masked, what, fd.Label, fd.Code), fd.Label+"应填单位的统一社会信用代码")
	}
	idf, kindf := it.Field(it.Keys.SubjectIDNo), it.Field(it.Keys.SubjectKind)
	if idf == nil || !slices.Contains(it.SubjectKinds, credit.Person) {
		return say(fmt.Sprintf("%s%sthe subject is a natural person, and item %s does not concern natural persons", masked, what, it.Code),
			"主体是自然人，本信息项不归集自然人")
	}
	person := catalog.SubjectKindLabel(credit.Person)
	dest := fmt.Sprintf("%s (%s)", idf.Label, idf.Code)
	destZh := "号码应填在" + idf.Label
	if kindf != nil {
		dest += fmt.Sprintf(", with %s (%s) %s", kindf.Label, kindf.Code, person)
		destZh += fmt.Sprintf("，%s填“%s”", kindf.Label, person)
	}
	dest += fmt.Sprintf(" and %s left empty", fd.Label)
	destZh += "，" + fd.Label + "留空"
	if kind == credit.IndividualBusiness {
		// An individual business has a code of its own (92…); its
		// operator's ID number is no substitute for it.
		indiv := catalog.SubjectKindLabel(credit.IndividualBusiness)
		return say(fmt.Sprintf("%s%sa %s is identified by its own code (92…); if the subject is the natural person (%s), the number belongs in %s",
			masked, what, indiv, person, dest), fmt.Sprintf("%s应填其统一社会信用代码（92开头）；如主体是%s，%s", indiv, person, destZh))
	}
	return say(fmt.Sprintf("%s%sthe subject is a natural person (%s), whose number belongs in %s", masked, what, person, dest),
		fmt.Sprintf("主体是%s，%s", person, destZh))
}
