package credit

import "time"

// SubjectKind distinguishes the kinds of credit subject (信用主体).
type SubjectKind string

const (
	// Organisation covers legal persons and unincorporated organisations
	// (法人和非法人组织), keyed by the unified social credit code.
	Organisation SubjectKind = "org"
	// IndividualBusiness is an individual business (个体工商户). It has a USCC
	// (entity type 92) and a natural-person operator.
	IndividualBusiness SubjectKind = "indiv"
	// Person is a natural person (自然人), keyed by resident ID number, which
	// is stored encrypted and looked up through a keyed hash.
	Person SubjectKind = "person"
)

// Valid reports whether k is one of the known kinds.
func (k SubjectKind) Valid() bool {
	switch k {
	case Organisation, IndividualBusiness, Person:
		return true
	}
	return false
}

// Subject is one credit subject. Organisations are keyed by their USCC; a
// natural person's ID is "P" followed by the hex keyed hash of the ID
// number, so that no clear ID number ever becomes a key.
type Subject struct {
	ID          string      `json:"id"`
	Kind        SubjectKind `json:"kind"`
	Code        string      `json:"code,omitempty"` // USCC for organisations; empty for persons
	Name        string      `json:"name"`
	FormerNames []string    `json:"former_names,omitempty"`
	OrgType     string      `json:"org_type,omitempty"` // first two USCC characters, decoded by uscc
	Region      string      `json:"region,omitempty"`   // GB/T 2260 code
	LegalRep    string      `json:"legal_rep,omitempty"`
	Status      string      `json:"status,omitempty"` // 存续, 注销, 吊销 ...
	// RegisteredOn is the registration date; zero when unknown.
	RegisteredOn time.Time `json:"registered_on,omitempty"`
	// CodeFlag is set when the code fails its check but is known to be
	// legitimately issued (rules.md §1): a data-quality flag, not a rejection.
	CodeFlag string `json:"code_flag,omitempty"`

	// IDCipher is the encrypted resident ID number of a natural person (or of
	// an individual business's operator). Never serialised to clients.
	IDCipher []byte `json:"-"`
	// IDHash is the keyed hash used to find a person by ID number.
	IDHash string `json:"-"`
	// IDMasked is the masked ID number for display (e.g. 110101********1234).
	IDMasked string `json:"id_masked,omitempty"`

	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// SubjectRevision is one change of an organisation's registration data:
// who changed it, for which unit, and each field's old and new value.
// Registration data belongs to the registration authority; the
// revisions are its history.
type SubjectRevision struct {
	ID        string        `json:"id"`
	SubjectID string        `json:"subject_id"`
	At        time.Time     `json:"at"`
	Actor     string        `json:"actor"`
	Dept      string        `json:"dept,omitempty"`
	Changes   []FieldChange `json:"changes"`
}

// FieldChange is one field of a revision.
type FieldChange struct {
	Field string `json:"field"` // name, legal_rep, status, registered_on
	Old   string `json:"old"`
	New   string `json:"new"`
}

// PersonID is the subject ID of the natural person whose resident ID
// number has the keyed hash idHash: "P" and the hash's first 32 hex
// digits. It is the one rule; every place that names a person calls it.
func PersonID(idHash string) string {
	if len(idHash) < 32 {
		return ""
	}
	return "P" + idHash[:32]
}

// OrgKind is the kind of the organisation whose unified social credit
// code has registration authority authority and entity type entityType
// (GB 32100-2015, positions 1 and 2): 个体工商户 for 9-2, an organisation
// otherwise. It is the one rule for telling an individual business by its
// code.
func OrgKind(authority, entityType string) SubjectKind {
	if authority == "9" && entityType == "2" {
		return IndividualBusiness
	}
	return Organisation
}
