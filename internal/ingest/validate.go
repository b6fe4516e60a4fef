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

func (r *rowResult) reject(field, format string, args ...any) {
	// A reason may repeat a value the department sent, which may be a
	// person's ID number (typed in the wrong column, with a typo): reasons
	// are stored and shown in clear, so such a value is masked.
	for i, a := range args {
		if s, ok := a.(string); ok && pii.LooksLikeIDNumber(s) {
			args[i] = pii.MaskIdentifier(s)
		}
	}
	r.rejects = append(r.rejects, credit.Reject{Row: r.n, Field: field, Reason: fmt.Sprintf(format, args...), Raw: r.cells})
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
		r.reject("", "%s", row.Err)
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
		r.reject(e.Field, "%s", e.Reason)
	}
	r.kind = it.SubjectKindOf(f)
	if r.kind != "" && !slices.Contains(it.SubjectKinds, r.kind) {
		r.reject(it.Keys.SubjectKind, "item %s does not concern %s subjects", it.Code, catalog.SubjectKindLabel(r.kind))
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
					r.reject(fd.Code, "%s", v.residentIDInCode(fd, id.Code, r.kind))
				} else {
					r.reject(fd.Code, "invalid unified social credit code %s: %s", res.Code, res.Reason())
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
				r.reject(fd.Code, "invalid resident ID number: %s", res.Reason())
			}
		}
	}

	// Subject identity and kind against code.
	code := f[it.Keys.SubjectCode]
	switch r.kind {
	case credit.Person:
		if code != "" && !r.rejected(it.Keys.SubjectCode) {
			r.reject(it.Keys.SubjectCode, "a natural person (自然人) has no unified social credit code; %s is an organisation's code: fix the subject category or the code", code)
		}
		idf := it.Keys.SubjectIDNo
		if t := v.idType[idf]; t != "" && f[t] != "" && f[t] != "身份证" {
			r.reject(t, "natural persons are identified by resident ID number (身份证); ID type %s is not supported yet", f[t])
		}
	case credit.IndividualBusiness, credit.Organisation:
		if code != "" && !r.rejected(it.Keys.SubjectCode) {
			isIndiv := r.code.Authority == "9" && r.code.EntityType == "2"
			if r.kind == credit.IndividualBusiness && !isIndiv {
				r.reject(it.Keys.SubjectCode, "subject category is 个体工商户 but code %s is not an individual business's code (those start with 92)", code)
			}
			if r.kind == credit.Organisation && isIndiv {
				r.reject(it.Keys.SubjectCode, "code %s is an individual business's code (92…) but the subject category is 法人及非法人组织: use 个体工商户", code)
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
			r.reject(it.Keys.SubjectIDNo, "natural persons cannot be stored: the platform has no data key configured")
			return r
		}
		r.idNo = f[it.Keys.SubjectIDNo]
		r.idHashes = v.sealer.Hashes(r.idNo)
		r.idHash = r.idHashes[0]
		r.subjectID = "P" + r.idHash[:32]
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
func (v *validator) dateCells(row Row) ([]string, map[string]string) {
	if len(row.Dates) == 0 {
		return row.Cells, nil
	}
	cells := slices.Clone(row.Cells)
	var errs map[string]string
	for _, d := range row.Dates {
		if d.Col >= len(v.m.Cols) || d.Col >= len(cells) {
			continue
		}
		code := v.m.Cols[d.Col]
		if code == "" || v.it.Field(code).Type != catalog.TypeDate {
			continue
		}
		if d.Problem != "" {
			if errs == nil {
				errs = map[string]string{}
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
func withCellErrors(it *catalog.Item, errs []catalog.FieldError, cellErrs map[string]string) []catalog.FieldError {
	if len(cellErrs) == 0 {
		return errs
	}
	out := make([]catalog.FieldError, 0, len(errs)+len(cellErrs))
	for _, fd := range it.Fields {
		if reason, ok := cellErrs[fd.Code]; ok {
			out = append(out, catalog.FieldError{Field: fd.Code, Reason: reason})
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
// unified social credit codes is refused: what it is and where it belongs.
// The number is shown masked: a reason is kept with the batch and read by
// whoever reads its rejects.
func (v *validator) residentIDInCode(fd *catalog.Field, id string, kind credit.SubjectKind) string {
	it := v.it
	masked := uscc.MaskResidentID(id)
	const what, whatZh = " is a resident ID number (居民身份证号码), not a unified social credit code: ", "这是居民身份证号码，不是统一社会信用代码："
	if fd.Code != it.Keys.SubjectCode {
		return fmt.Sprintf("%s%s%s (%s) is an organisation's code (%s%s应填单位的统一社会信用代码)",
			masked, what, fd.Label, fd.Code, whatZh, fd.Label)
	}
	idf, kindf := it.Field(it.Keys.SubjectIDNo), it.Field(it.Keys.SubjectKind)
	if idf == nil || !slices.Contains(it.SubjectKinds, credit.Person) {
		return fmt.Sprintf("%s%sthe subject is a natural person, and item %s does not concern natural persons (%s主体是自然人，本信息项不归集自然人)",
			masked, what, it.Code, whatZh)
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
		return fmt.Sprintf("%s%sa %s is identified by its own code (92…); if the subject is the natural person (%s), the number belongs in %s (%s%s应填其统一社会信用代码（92开头）；如主体是%s，%s)",
			masked, what, indiv, person, dest, whatZh, indiv, person, destZh)
	}
	return fmt.Sprintf("%s%sthe subject is a natural person (%s), whose number belongs in %s (%s主体是%s，%s)",
		masked, what, person, dest, whatZh, person, destZh)
}
