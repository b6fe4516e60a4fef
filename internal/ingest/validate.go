package ingest

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/pii"
	"github.com/xinyong/xinyong/internal/uscc"
)

// rowResult is what validation and preparation made of one row.
type rowResult struct {
	row     Row
	n       int
	cells   []string
	rejects []credit.Reject
	fields  credit.Fields
	docNo   string
	kind    credit.SubjectKind

	// Subject identity, set when the row is valid.
	subjectID string
	code      uscc.Result // organisations and individual businesses
	idHash    string      // persons: the hash stored with a new person
	idHashes  []string    // persons: the hashes under every key, idHash first
	idNo      string
	name      string
	legalRep  string

	codeChecked, codeError bool

	rec        *credit.Record
	outcome    string
	fieldsJSON string
}

// reject refuses the row for a reason given in Chinese (the rejects
// file's 错误原因) and English. A reason may repeat a value the department
// sent, which may be a person's ID number (typed in the wrong column, with
// a typo): reasons are stored and shown in clear, so such a value is masked.
func (r *rowResult) reject(field, zh, en string, args ...any) {
	for i, a := range args {
		if s, ok := a.(string); ok && pii.LooksLikeIDNumber(s) {
			args[i] = pii.MaskIdentifier(s)
		}
	}
	t := credit.Says(zh, en, args...)
	if t.Zh == "" {
		t.Zh = t.En
	}
	r.rejects = append(r.rejects, credit.Reject{Row: r.n, Field: field, Reason: t.En, ReasonZh: t.Zh, Raw: r.cells})
}

func (r *rowResult) rejected(field string) bool {
	for _, x := range r.rejects {
		if x.Field == field {
			return true
		}
	}
	return false
}

// validator checks rows of one item. It is safe for concurrent use.
type validator struct {
	it       *catalog.Item
	m        *Mapping
	sealer   *pii.Sealer
	now      time.Time
	legalRep string            // field code of the legal representative, if any
	idType   map[string]string // idno field code -> its ID-type field code
	codes    *uscc.Checker     // on the import's clock
}

func newValidator(it *catalog.Item, m *Mapping, sealer *pii.Sealer, now time.Time) *validator {
	v := &validator{it: it, m: m, sealer: sealer, now: now, idType: map[string]string{}, legalRep: it.LegalRepField(),
		codes: uscc.NewChecker(uscc.DefaultLegacy(), func() time.Time { return now })}
	for _, fd := range it.Fields {
		if fd.Type == catalog.TypeIDNo {
			t := strings.TrimSuffix(fd.Code, "zjhm") + "zjlx"
			if it.Field(t) != nil && t != fd.Code {
				v.idType[fd.Code] = t
			}
		}
	}
	return v
}

// check validates one row: the catalogue's own checks (required fields,
// types, lengths, enums, patterns, date order, a decision date not in the
// future), then code checks (USCC check characters, placeholder codes,
// resident ID numbers), the subject kind against the item and against its
// code. Duplicates within the batch are found later, in row order.
//
// With full false the catalogue's own checks are left to records.Prepare,
// which runs them anyway: a row that Prepare then refuses is checked again
// in full, so its reasons are exactly those of a full check.
func (v *validator) check(row Row, full bool) *rowResult {
	r := &rowResult{row: row, n: row.N, cells: row.Cells}
	if row.Err != "" {
		r.reject("", "%[2]s", "%[1]s", row.Err, row.ErrZh)
		return r
	}
	it := v.it
	cells, cellErrs := v.dateCells(row)
	f := credit.Fields(v.m.FieldsFor(row.Header, cells))
	for code, val := range f {
		fd := it.Field(code)
		switch fd.Type {
		case catalog.TypeEnum:
			if c, ok := fd.Canonical(val); ok {
				f[code] = c
			}
		case catalog.TypeUSCC, catalog.TypeIDNo:
			f[code] = strings.ToUpper(val)
		}
	}
	r.fields = f
	var errs []catalog.FieldError
	if full {
		errs = it.Validate(f, v.now)
	}
	for _, e := range withCellErrors(it, errs, cellErrs) {
		r.reject(e.Field, "%[2]s", "%[1]s", e.Reason, e.ReasonZh)
	}
	r.kind = it.SubjectKindOf(f)
	if r.kind != "" && !slices.Contains(it.SubjectKinds, r.kind) {
		r.reject(it.Keys.SubjectKind, "%[3]s不归集%[2]s的信息", "item %[1]s does not concern %[2]s subjects", it.Code, catalog.SubjectKindLabel(r.kind), it.Name)
	}

	// Codes. The subject's own code is the one 重错码率 counts.
	for _, fd := range it.Fields {
		val := f[fd.Code]
		if val == "" || r.rejected(fd.Code) {
			if fd.Code == it.Keys.SubjectCode && val != "" {
				r.codeChecked, r.codeError = true, true
			}
			continue
		}
		switch fd.Type {
		case catalog.TypeUSCC:
			res := v.codes.CheckUSCC(val)
			subject := fd.Code == it.Keys.SubjectCode
			if subject {
				r.codeChecked = true
				r.code = res
			}
			switch res.Status {
			case uscc.Invalid:
				if subject {
					r.codeError = true
				}
				if id := v.codes.Check(val); id.Kind == uscc.KindResidentID && id.Status == uscc.Valid {
					t := v.residentIDInCode(fd, id.Code, r.kind)
					r.reject(fd.Code, "%[2]s", "%[1]s", t.En, t.Zh)
				} else {
					r.reject(fd.Code, "统一社会信用代码%[1]s无效：%[3]s", "invalid unified social credit code %[1]s: %[2]s", res.Code, res.Reason(), res.ReasonZh())
				}
			case uscc.Flagged:
				if subject {
					r.codeError = true // kept, but counted in 重错码率
				}
			}
		case catalog.TypeIDNo:
			if t := v.idType[fd.Code]; t != "" && f[t] != "" && f[t] != "身份证" {
				continue // passports and permits have no check character to verify
			}
			res := v.codes.CheckResidentID(val)
			if res.Status == uscc.Invalid {
				r.reject(fd.Code, "居民身份证号码无效：%[2]s", "invalid resident ID number: %[1]s", res.Reason(), res.ReasonZh())
			}
		}
	}

	// Subject identity and kind against code.
	code := f[it.Keys.SubjectCode]
	switch r.kind {
	case credit.Person:
		if code != "" && !r.rejected(it.Keys.SubjectCode) {
			r.reject(it.Keys.SubjectCode, "自然人没有统一社会信用代码，%s是单位的代码：请更正主体类别或代码",
				"a natural person (自然人) has no unified social credit code; %s is an organisation's code: fix the subject category or the code", code)
		}
		idf := it.Keys.SubjectIDNo
		if t := v.idType[idf]; t != "" && f[t] != "" && f[t] != "身份证" {
			r.reject(t, "自然人以居民身份证号码标识，暂不支持证件类型“%s”", "natural persons are identified by resident ID number (身份证); ID type %s is not supported yet", f[t])
		}
	case credit.IndividualBusiness, credit.Organisation:
		if code != "" && !r.rejected(it.Keys.SubjectCode) {
			isIndiv := credit.OrgKind(r.code.Authority, r.code.EntityType) == credit.IndividualBusiness
			if r.kind == credit.IndividualBusiness && !isIndiv {
				r.reject(it.Keys.SubjectCode, "主体类别为个体工商户，但代码%s不是个体工商户的代码（个体工商户代码以92开头）",
					"subject category is 个体工商户 but code %s is not an individual business's code (those start with 92)", code)
			}
			if r.kind == credit.Organisation && isIndiv {
				r.reject(it.Keys.SubjectCode, "代码%s是个体工商户的代码（92开头），但主体类别为法人及非法人组织：请改为个体工商户",
					"code %s is an individual business's code (92…) but the subject category is 法人及非法人组织: use 个体工商户", code)
			}
		}
	}
	if len(r.rejects) > 0 {
		return r
	}
	r.name = f[it.Keys.SubjectName]
	r.legalRep = f[v.legalRep]
	if it.Keys.DocNo != "" {
		r.docNo = f[it.Keys.DocNo]
	}
	switch r.kind {
	case credit.Person:
		if v.sealer == nil {
			r.reject(it.Keys.SubjectIDNo, "平台未配置数据密钥，无法保存自然人信息", "natural persons cannot be stored: the platform has no data key configured")
			return r
		}
		r.idNo = f[it.Keys.SubjectIDNo]
		r.idHashes = v.sealer.Hashes(r.idNo)
		r.idHash = r.idHashes[0]
		r.subjectID = credit.PersonID(r.idHash)
	default:
		r.subjectID = r.code.Code
	}
	if it.Keys.DocNo == "" {
		r.docNo = r.subjectID
	}
	return r
}

// dateCells returns the row's cells with each date cell (XLSX) that fills
// a date field replaced by its day, and the reasons, by field, of the date
// cells that hold no full date; those are emptied, so that no check reads
// the date they are shown as (2454/9/14 for 202603). Cells in other
// columns stay as the workbook shows them.
func (v *validator) dateCells(row Row) ([]string, map[string]*credit.Text) {
	if len(row.Dates) == 0 {
		return row.Cells, nil
	}
	cells := slices.Clone(row.Cells)
	var errs map[string]*credit.Text
	for _, d := range row.Dates {
		if d.Col >= len(v.m.Cols) || d.Col >= len(cells) {
			continue
		}
		code := v.m.Cols[d.Col]
		if code == "" || v.it.Field(code).Type != catalog.TypeDate {
			continue
		}
		if d.Problem != nil {
			if errs == nil {
				errs = map[string]*credit.Text{}
			}
			errs[code] = d.Problem
			cells[d.Col] = ""
			continue
		}
		cells[d.Col] = d.Date
	}
	return cells, errs
}

// withCellErrors puts the reasons of refused date cells among the
// catalogue's errors, in the item's field order, in place of what the
// catalogue says of the same fields (it read the cell as shown, which may
// even pass for a date: 1905/7/18).
func withCellErrors(it *catalog.Item, errs []catalog.FieldError, cellErrs map[string]*credit.Text) []catalog.FieldError {
	if len(cellErrs) == 0 {
		return errs
	}
	out := make([]catalog.FieldError, 0, len(errs)+len(cellErrs))
	for _, fd := range it.Fields {
		if reason, ok := cellErrs[fd.Code]; ok {
			out = append(out, catalog.FieldError{Field: fd.Code, Label: fd.Label, Reason: reason.En, ReasonZh: reason.Zh})
			continue
		}
		for _, e := range errs {
			if e.Field == fd.Code {
				out = append(out, e)
			}
		}
	}
	for _, e := range errs {
		if it.Field(e.Field) == nil {
			out = append(out, e)
		}
	}
	return out
}

// residentIDInCode is the reason a valid resident ID number in a column of
// unified social credit codes is refused: what it is and where it belongs,
// in English (with the Chinese after it) and in Chinese. The number is
// shown masked: a reason is kept with the batch and read by whoever reads
// its rejects.
func (v *validator) residentIDInCode(fd *catalog.Field, id string, kind credit.SubjectKind) *credit.Text {
	it := v.it
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
