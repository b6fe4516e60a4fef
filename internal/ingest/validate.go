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
	// spreadsheet is set for XLSX files, whose date cells may read as
	// serial numbers or m/d/yy renderings (spreadsheetDate).
	spreadsheet, date1904 bool
}

func newValidator(it *catalog.Item, m *Mapping, sealer *pii.Sealer, now time.Time) *validator {
	v := &validator{it: it, m: m, sealer: sealer, now: now, idType: map[string]string{}}
	for _, fd := range it.Fields {
		if v.legalRep == "" && fd.Type == catalog.TypeString && strings.HasPrefix(fd.Label, "法定代表人") {
			v.legalRep = fd.Code
		}
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
	f := credit.Fields(v.m.FieldsFor(row.Header, row.Cells))
	for code, val := range f {
		fd := it.Field(code)
		switch fd.Type {
		case catalog.TypeEnum:
			if c, ok := fd.Canonical(val); ok {
				f[code] = c
			}
		case catalog.TypeUSCC, catalog.TypeIDNo:
			f[code] = strings.ToUpper(val)
		case catalog.TypeDate:
			if v.spreadsheet {
				f[code] = spreadsheetDate(val, v.date1904)
			}
		}
	}
	r.fields = f
	if full {
		for _, e := range it.Validate(f, v.now) {
			r.reject(e.Field, "%s", e.Reason)
		}
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
			res := uscc.CheckUSCC(val)
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
				r.reject(fd.Code, "invalid unified social credit code %s: %s", res.Code, res.Reason())
			case uscc.Flagged:
				if subject {
					r.codeError = true // kept, but counted in 重错码率
				}
			}
		case catalog.TypeIDNo:
			if t := v.idType[fd.Code]; t != "" && f[t] != "" && f[t] != "身份证" {
				continue // passports and permits have no check character to verify
			}
			res := uscc.CheckResidentID(val)
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
