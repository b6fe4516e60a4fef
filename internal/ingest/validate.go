package ingest

import (
	"github.com/xinyong/xinyong/internal/records"
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
	// codes is the code checks' result, handed to records.Prepare so that
	// it does not run them again.
	codes records.CodeResult

	rec        *credit.Record
	outcome    string
	fieldsJSON string
}

// reject refuses the row for a reason given in Chinese (the rejects
// file's 错误原因) and English, any value in it shaped like an ID number
// masked (pii.Says).
func (r *rowResult) reject(field, zh, en string, args ...any) {
	t := pii.Says(zh, en, args...)
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
	legalRep string         // field code of the legal representative, if any
	codes    *records.Codes // on the import's clock
}

func newValidator(it *catalog.Item, m *Mapping, sealer *pii.Sealer, now time.Time) *validator {
	return &validator{it: it, m: m, sealer: sealer, now: now, legalRep: it.LegalRepField(),
		codes: records.NewCodes(it, uscc.NewChecker(uscc.DefaultLegacy(), func() time.Time { return now }))}
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
	r.codes = v.codes.Check(f, r.rejected)
	cc := &r.codes
	r.kind, r.code, r.codeChecked, r.codeError = cc.Kind, cc.Subject, cc.SubjectChecked, cc.SubjectError
	for _, p := range cc.Problems {
		r.reject(p.Field, "%[2]s", "%[1]s", p.En, p.Zh)
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
