package credit

import (
	"slices"
	"strings"
	"time"
)

// FactKind says what a record fact does to the history of a record.
type FactKind string

const (
	// Original is the first report of a fact by a department.
	Original FactKind = "original"
	// Correction replaces the content of the fact it points at.
	Correction FactKind = "correction"
	// Revocation withdraws the fact it points at (a revoked decision).
	Revocation FactKind = "revocation"
)

// Severity is the classification of a record under 《信用修复管理办法》.
type Severity string

const (
	SeverityNone    Severity = ""   // not a 失信 record (licences, honours, registration)
	SeverityMinor   Severity = "轻微" // not published in principle
	SeverityGeneral Severity = "一般" // 3 months to 1 year
	SeveritySerious Severity = "严重" // 1 to 3 years
)

// Record is one append-only fact in a subject's credit file: a licence, a
// penalty, an honour, a judgment... or a correction or revocation of an
// earlier fact. Records are never updated in place.
type Record struct {
	ID         string      `json:"id"` // time-ordered (UUIDv7)
	SubjectID  string      `json:"subject_id"`
	Item       string      `json:"item"`            // catalogue item code
	Catalog    string      `json:"catalog_version"` // catalogue version it was validated against
	Fact       FactKind    `json:"fact"`
	Supersedes string      `json:"supersedes,omitempty"` // record ID this correction/revocation points at
	Dept       string      `json:"dept"`                 // reporting department code
	BatchID    string      `json:"batch_id,omitempty"`
	DocNo      string      `json:"doc_no"` // decision document number
	DecidedOn  time.Time   `json:"decided_on"`
	Received   time.Time   `json:"received_at"`
	Severity   Severity    `json:"severity,omitempty"`
	Fields     Fields      `json:"fields"`
	Reason     string      `json:"reason,omitempty"` // why a correction or revocation was made
	Hash       string      `json:"hash"`             // content hash (sha256 hex) of Fields and key data
	Kind       SubjectKind `json:"subject_kind,omitempty"`
}

// Fields holds a record's catalogue fields by field code.
type Fields map[string]string

// State is the current state of one record chain, derived from its facts.
type State struct {
	// Current is the newest content: the original, or its latest correction.
	Current Record `json:"current"`
	// Origin is the ID of the original fact of the chain.
	Origin string `json:"origin"`
	// Revoked is true when the chain ends in a revocation.
	Revoked bool `json:"revoked"`
	// RevokedBy is the revocation fact, when Revoked.
	RevokedBy *Record `json:"revoked_by,omitempty"`
	// History lists every fact of the chain, oldest first.
	History []Record `json:"history"`
}

// Derive folds a subject's facts into the current state of each record
// chain. Facts may arrive in any order; they are applied in ID order, which
// is time order because IDs are UUIDv7. A fact pointing at an unknown record
// is ignored (the store refuses to write one, so this only guards against a
// partial read). The result is ordered by the original facts' IDs.
func Derive(facts []Record) []State { return derive(facts, true, nil) }

// DeriveCurrent is Derive without each chain's History: the current
// content, origin and revocation, which is what a full evaluation pass
// reads of ten million records (the history would copy every one of them
// once more).
func DeriveCurrent(facts []Record) []State { return derive(facts, false, nil) }

// DeriveCurrentInto is DeriveCurrent into dst's array when it is large
// enough: a pass derives a million files one after the other.
func DeriveCurrentInto(dst []State, facts []Record) []State { return derive(facts, false, dst) }

func derive(facts []Record, history bool, dst []State) []State {
	byID := func(a, b Record) int { return strings.Compare(a.ID, b.ID) }
	sorted := facts
	if !slices.IsSortedFunc(facts, byID) { // the store reads a file in ID order already
		sorted = slices.Clone(facts)
		slices.SortFunc(sorted, byID)
	}
	// chainOf finds the chain of a fact ID: a look through the facts seen
	// for a file of a few dozen, a map beyond.
	type seen struct {
		id    string
		chain int
	}
	var (
		few  []seen
		many map[string]int
	)
	if len(sorted) > 32 {
		many = make(map[string]int, len(sorted))
	} else {
		few = make([]seen, 0, len(sorted))
	}
	note := func(id string, chain int) {
		if many != nil {
			many[id] = chain
		} else {
			few = append(few, seen{id, chain})
		}
	}
	chainOf := func(id string) (int, bool) {
		if many != nil {
			i, ok := many[id]
			return i, ok
		}
		for _, s := range few {
			if s.id == id {
				return s.chain, true
			}
		}
		return 0, false
	}
	out := dst[:0]
	if cap(out) < len(sorted) {
		out = make([]State, 0, len(sorted))
	}
	for _, f := range sorted {
		switch f.Fact {
		case Original, "":
			note(f.ID, len(out))
			st := State{Current: f, Origin: f.ID}
			if history {
				st.History = []Record{f}
			}
			out = append(out, st)
		case Correction, Revocation:
			i, ok := chainOf(f.Supersedes)
			if !ok {
				continue
			}
			note(f.ID, i)
			st := &out[i]
			if history {
				st.History = append(st.History, f)
			}
			if f.Fact == Revocation {
				st.Revoked = true
				rf := f
				st.RevokedBy = &rf
			} else {
				st.Current = f
			}
		}
	}
	return out
}
