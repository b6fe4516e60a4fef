package credit

import (
	"context"
	"time"
)

// Store is the platform's storage. Implementations live in
// internal/store/sqlite and internal/store/postgres, and both must pass the
// conformance suite in internal/store/storetest.
//
// Records and audit entries are append-only: there are no methods to update
// or delete them.
type Store interface {
	SubjectStore
	RecordStore
	AccountStore
	AuditStore
	SanctionStore
	BatchStore
	WorkflowStore
	CommitmentStore
	PublishStore
	ChangeFeed
	KeyStore
	SigningKeyStore
	ReportStore
	GrantStore
	LogStore
	ExchangeStore
	MonitorStore
	AdminStore
	CatalogVersionStore
	// Ping checks that the database answers.
	Ping(ctx context.Context) error
	// Close releases the connections.
	Close() error
	// Backend names the implementation ("sqlite", "postgres").
	Backend() string
}

// The parts of the store. A consumer takes the parts it uses (often as an
// interface of its own that embeds them), not the whole Store.

// SubjectStore keeps subjects and their registration data.
type SubjectStore interface {
	// PutSubject creates or replaces a subject (registration data changes).
	PutSubject(ctx context.Context, s *Subject) error
	// ReviseSubject replaces an organisation's registration data and keeps
	// the revision in the same transaction.
	ReviseSubject(ctx context.Context, s *Subject, rev *SubjectRevision) error
	// SubjectRevisions returns the revisions of a subject's registration
	// data, oldest first.
	SubjectRevisions(ctx context.Context, subjectID string) ([]SubjectRevision, error)
	// Subject returns one subject by ID; NotFound if absent.
	Subject(ctx context.Context, id string) (*Subject, error)
	// SubjectByIDHash finds a natural person by the keyed hash of the ID number.
	SubjectByIDHash(ctx context.Context, hash string) (*Subject, error)
	// SubjectsByName returns up to limit subjects whose current or former name
	// contains q, ordered by name. It is a plain scan; the search index of
	// the portal replaces it for large data sets.
	SubjectsByName(ctx context.Context, q string, limit int) ([]Subject, error)
	// CountSubjects returns how many subjects are stored.
	CountSubjects(ctx context.Context) (int, error)
}

// RecordStore keeps the facts: append-only record chains.
type RecordStore interface {
	// AppendRecords writes facts atomically: all or none. A correction or
	// revocation must point at a record of the same subject; Conflict if not.
	AppendRecords(ctx context.Context, recs []Record) error
	// Record returns one fact by ID.
	Record(ctx context.Context, id string) (*Record, error)
	// RecordsBySubject returns every fact of a subject, oldest first.
	RecordsBySubject(ctx context.Context, subjectID string) ([]Record, error)
	// LatestByDoc returns the newest fact of the chain that department dept
	// reported for item with document number docNo; NotFound if none.
	LatestByDoc(ctx context.Context, dept, item, docNo string) (*Record, error)
	// CountRecords returns how many facts are stored.
	CountRecords(ctx context.Context) (int, error)
}

// AccountStore keeps accounts, API keys, sessions and failed logins.
type AccountStore interface {
	// PutAccount creates or replaces an account (unique by Name).
	PutAccount(ctx context.Context, a *Account) error
	// Account returns an account by login name.
	Account(ctx context.Context, name string) (*Account, error)
	// AccountByID returns an account by ID.
	AccountByID(ctx context.Context, id string) (*Account, error)
	// PutAPIKey stores a key.
	PutAPIKey(ctx context.Context, k *APIKey) error
	// APIKeyByHash returns an unrevoked key by the hash of its secret.
	APIKeyByHash(ctx context.Context, hash string) (*APIKey, error)
	// PutSession stores a session.
	PutSession(ctx context.Context, s *Session) error
	// SessionByHash returns an unexpired session as of now.
	SessionByHash(ctx context.Context, hash string, now time.Time) (*Session, error)
	// DeleteSession ends a session.
	DeleteSession(ctx context.Context, hash string) error
	LoginFailureStore
}

// AuditStore keeps the query and decision log.
type AuditStore interface {
	// AppendAudit writes an audit entry.
	AppendAudit(ctx context.Context, e *AuditEntry) error
	// Audit returns the newest entries first, filtered by actor and target
	// when non-empty.
	Audit(ctx context.Context, f AuditFilter) ([]AuditEntry, error)
}

// AuditFilter narrows an audit read.
type AuditFilter struct {
	Actor  string
	Target string
	// Subject keeps the entries about a subject's data: those naming it
	// as their subject or as their target.
	Subject string
	Since   time.Time
	Limit   int
}

// LoginFailureStore keeps failed password logins where every node sees
// them, so that a limit on guesses holds across a cluster and restarts.
// Keys name what is counted (an account name, a client address).
type LoginFailureStore interface {
	// AddLoginFailures records a failure at at under each key.
	AddLoginFailures(ctx context.Context, at time.Time, keys ...string) error
	// LoginFailures returns the times of key's failures after since,
	// newest first, at most limit.
	LoginFailures(ctx context.Context, key string, since time.Time, limit int) ([]time.Time, error)
	// ClearLoginFailures forgets key's failures.
	ClearLoginFailures(ctx context.Context, key string) error
	// LoginFailureKeys returns, in order, the keys starting with prefix
	// that have at least atLeast failures after since (at most 1000).
	LoginFailureKeys(ctx context.Context, prefix string, since time.Time, atLeast int) ([]string, error)
	// PruneLoginFailures forgets failures at or before before and returns
	// how many.
	PruneLoginFailures(ctx context.Context, before time.Time) (int, error)
}
