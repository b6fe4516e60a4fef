package credit

import "time"

// Role is what an account may do. Every route declares the roles that may
// call it; anything not declared is denied.
type Role string

const (
	RoleAdmin       Role = "admin"       // platform administrator
	RoleReviewer    Role = "reviewer"    // 信用办 reviewer
	RoleDept        Role = "dept"        // data-providing department operator
	RoleBusiness    Role = "business"    // business system, by API key
	RoleInstitution Role = "institution" // access institution (bank, credit-service firm)
	RoleAuditor     Role = "auditor"     // reads query and decision logs
	RoleSubject     Role = "subject"     // a credit subject acting for itself
	RolePublic      Role = "public"      // anyone, no account
)

// Roles lists every role, in a stable order.
var Roles = []Role{RoleAdmin, RoleReviewer, RoleDept, RoleBusiness, RoleInstitution, RoleAuditor, RoleSubject, RolePublic}

// Valid reports whether r is a known role.
func (r Role) Valid() bool {
	for _, x := range Roles {
		if x == r {
			return true
		}
	}
	return false
}

// SeesClearIDs reports whether the role is entitled to a natural person's
// unmasked ID number (for its own lawful duties). Everyone else sees it masked.
func (r Role) SeesClearIDs() bool { return r == RoleAdmin || r == RoleReviewer }

// Account is a person or a system that can sign in or call the API.
type Account struct {
	ID       string    `json:"id"`
	Name     string    `json:"name"` // login name, unique
	Display  string    `json:"display,omitempty"`
	Role     Role      `json:"role"`
	Dept     string    `json:"dept,omitempty"`    // department code for dept/business roles
	Subject  string    `json:"subject,omitempty"` // subject ID for the subject role
	PassHash string    `json:"-"`                 // argon2id PHC string; empty for key-only accounts
	Disabled bool      `json:"disabled,omitempty"`
	Created  time.Time `json:"created_at"`
}

// APIKey is a secret that authenticates a system. Only its hash is stored.
type APIKey struct {
	ID        string    `json:"id"`
	AccountID string    `json:"account_id"`
	Hash      string    `json:"-"`      // sha256 hex of the secret
	Prefix    string    `json:"prefix"` // first characters, to recognise a key in lists
	Created   time.Time `json:"created_at"`
	Revoked   bool      `json:"revoked,omitempty"`
}

// Session is a signed-in browser session. Only the token hash is stored so
// application nodes stay stateless and a database leak yields no live token.
type Session struct {
	Hash      string    `json:"-"`
	AccountID string    `json:"account_id"`
	Expires   time.Time `json:"expires"`
}

// AuditEntry records a read of non-public data or a decision: who, what,
// when and the stated purpose. Audit entries are append-only.
type AuditEntry struct {
	ID      string    `json:"id"`
	At      time.Time `json:"at"`
	Actor   string    `json:"actor"` // account name, or "anonymous"
	Role    Role      `json:"role"`
	Action  string    `json:"action"`  // e.g. "subject.read", "denied"
	Target  string    `json:"target"`  // subject or record ID, route
	Purpose string    `json:"purpose"` // stated purpose of the read
	Outcome string    `json:"outcome"` // "ok" or "denied"
	Remote  string    `json:"remote,omitempty"`
	// Subject is the subject whose data the read or decision concerned;
	// Grant the authorisation it was made under; Basis the legal basis of
	// the read (a read basis's role, or "grant").
	Subject string `json:"subject_id,omitempty"`
	Grant   string `json:"grant_id,omitempty"`
	Basis   string `json:"basis,omitempty"`
}

// Actor is who acts on the platform: an account (its name, role, and the
// department or subject it belongs to), or the platform itself. Services
// take it to decide what the actor may do and to record who did it.
type Actor struct {
	Name    string
	Role    Role
	Dept    string // for the dept role: the unit it belongs to
	Subject string // for the subject role: the subject it acts for
}
