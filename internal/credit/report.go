package credit

import (
	"context"
	"time"
)

// Change kinds of reports and authorisations.
const (
	ChangeReport ChangeKind = "report" // a report issued or revoked; Tag is "issued" or "revoked"
	ChangeGrant  ChangeKind = "grant"  // an authorisation given or revoked; Tag is "given" or "revoked"
)

// SigningKey is the public half of an Ed25519 key that signs reports and
// log checkpoints. Keys rotate; a retired key signs nothing new and keeps
// verifying what it signed.
type SigningKey struct {
	ID      string    `json:"id"`
	Public  []byte    `json:"public_key"`
	Created time.Time `json:"created_at"`
	Retired time.Time `json:"retired_at,omitzero"`
}

// SigningKeyStore keeps the public halves of the signing keys.
type SigningKeyStore interface {
	// SigningKeys returns every key the platform has signed with, oldest
	// first.
	SigningKeys(ctx context.Context) ([]SigningKey, error)
	// AddSigningKey registers a key; Exists if its ID is known.
	AddSigningKey(ctx context.Context, k SigningKey) error
	// RetireSigningKey marks a key retired at at (it keeps verifying);
	// NotFound if unknown. Retiring a retired key changes nothing.
	RetireSigningKey(ctx context.Context, id string, at time.Time) error
}

// Report is an issued credit report as the platform keeps it: what was
// signed and where it is in the log. Envelope is the whole report sealed
// with the data key (pii), for downloads again.
type Report struct {
	No         string    `json:"report_no"`
	Kind       string    `json:"kind"`
	SubjectID  string    `json:"subject_id"`
	Requester  string    `json:"requester"` // account name
	Role       Role      `json:"role"`
	GrantID    string    `json:"grant_id,omitempty"`
	Purpose    string    `json:"purpose,omitempty"` // purpose code
	IssuedAt   time.Time `json:"issued_at"`
	ValidUntil time.Time `json:"valid_until"`
	KeyID      string    `json:"key_id"`
	Digest     string    `json:"digest"`
	Statement  string    `json:"statement"`
	Signature  string    `json:"signature"`
	LeafIndex  int64     `json:"leaf_index"`
	Envelope   string    `json:"-"`
	// Revocation is set once an administrator revoked the report.
	Revocation *ReportRevocation `json:"revocation,omitempty"`
}

// ReportRevocation revokes an issued report, with the reason.
type ReportRevocation struct {
	ID       string    `json:"id"`
	ReportNo string    `json:"report_no"`
	At       time.Time `json:"at"`
	Actor    string    `json:"actor"`
	Reason   string    `json:"reason"`
}

// ReportStore keeps issued reports.
type ReportStore interface {
	// IssueReport stores r and appends its leaf to the transparency log in
	// one transaction: fn is handed the log's head (locked) and returns
	// what the append writes, whose first leaf is the report's; r.LeafIndex
	// is set. Exists if the number is taken.
	IssueReport(ctx context.Context, r *Report, fn LogAppendFunc) error
	// Report returns a report with its revocation; NotFound if unknown.
	Report(ctx context.Context, no string) (*Report, error)
	// Reports lists reports newest first, by subject or by requester
	// (one of them set), at most limit (100 when <= 0), without envelopes.
	Reports(ctx context.Context, f ReportFilter) ([]Report, error)
	// RevokeReport revokes a report; NotFound if unknown, Exists if
	// revoked already.
	RevokeReport(ctx context.Context, rv *ReportRevocation) error
}

// ReportFilter narrows Reports.
type ReportFilter struct {
	SubjectID string
	Requester string
	Limit     int
}

// Grant scopes: what an authorisation lets its institution read.
const (
	ScopeReports = "reports" // reports of the kinds named
	ScopeItems   = "items"   // the records of the catalogue items named
)

// Grant is a subject's authorisation of an institution (授权查询): for one
// purpose, a scope, a validity of at most a year and a number of uses.
type Grant struct {
	ID        string `json:"id"`
	SubjectID string `json:"subject_id"`
	// Recipient is the institution's account ID; RecipientName its name,
	// filled on reads.
	Recipient     string    `json:"recipient"`
	RecipientName string    `json:"recipient_name,omitempty"`
	Purpose       string    `json:"purpose"`
	ScopeKind     string    `json:"scope_kind"`
	Scope         []string  `json:"scope"`
	ValidFrom     time.Time `json:"valid_from"`
	ValidUntil    time.Time `json:"valid_until"`
	MaxUses       int       `json:"max_uses"`
	Uses          int       `json:"uses"`
	Created       time.Time `json:"created_at"`
	CreatedBy     string    `json:"created_by"`
	RevokedAt     time.Time `json:"revoked_at,omitzero"`
	RevokedBy     string    `json:"revoked_by,omitempty"`
	RevokeReason  string    `json:"revoke_reason,omitempty"`
}

// Revoked reports whether the subject revoked the grant.
func (g *Grant) Revoked() bool { return !g.RevokedAt.IsZero() }

// GrantStore keeps authorisations.
type GrantStore interface {
	// PutGrant stores a new grant; Exists if its ID is taken.
	PutGrant(ctx context.Context, g *Grant) error
	// Grant returns one grant; NotFound if unknown.
	Grant(ctx context.Context, id string) (*Grant, error)
	// Grants lists grants newest first, of a subject or to a recipient
	// (account ID).
	Grants(ctx context.Context, f GrantFilter) ([]Grant, error)
	// RevokeGrant revokes a grant at at; NotFound if unknown, Conflict if
	// revoked already.
	RevokeGrant(ctx context.Context, id, by, reason string, at time.Time) error
	// UseGrant counts one use of a grant at at, only while it is
	// unrevoked, in its validity and not used up (Conflict otherwise, the
	// grant left as it was), and returns the grant after the use.
	UseGrant(ctx context.Context, id string, at time.Time) (*Grant, error)
}

// GrantFilter narrows Grants: one of SubjectID and Recipient is set.
type GrantFilter struct {
	SubjectID string
	Recipient string
	Limit     int
}

// LogState is the transparency log's head: its size, root hash and
// compact range (the roots of the perfect subtrees that cover it, left to
// right).
type LogState struct {
	Size  int64
	Root  []byte
	Range [][]byte
}

// LogLeaf is one leaf of the log: the data hashed (a report's signed
// statement, a fact's commitment; never personal data in clear), its
// RFC 6962 leaf hash, and for a fact the salt of its commitment.
type LogLeaf struct {
	Index int64     `json:"index"`
	Kind  string    `json:"kind"` // "report" or "fact"
	Ref   string    `json:"ref"`  // the report number, or the fact's change position
	Hash  []byte    `json:"hash"`
	Data  []byte    `json:"data"`
	Salt  []byte    `json:"-"`
	At    time.Time `json:"at"`
}

// LogNode is a complete node of the tree at a level that is a multiple of
// 4 above the leaves (the tiles' levels), as appends store them for proofs.
type LogNode struct {
	Level int
	Index int64
	Hash  []byte
}

// LogAppend is what an append writes: the new leaves (indices from the
// head's size on), the complete nodes they made, and the new head.
type LogAppend struct {
	Leaves []LogLeaf
	Nodes  []LogNode
	State  LogState
	// Checkpoint, when set, is a signed checkpoint of State, kept in the
	// same transaction.
	Checkpoint *LogCheckpoint
}

// LogRange is a range [From, To) of stored hashes at Level (0: leaves).
type LogRange struct {
	Level    int
	From, To int64
}

// LogAppendFunc computes an append from the head it is handed.
type LogAppendFunc func(head LogState) (*LogAppend, error)

// FeedMove moves a shared feed cursor in the same transaction as a write:
// the write happens only if the cursor is still at From (Conflict
// otherwise; From < 0 creates it).
type FeedMove struct {
	Name     string
	From, To int64
}

// LogCheckpoint is a signed checkpoint of the log (a C2SP signed note).
type LogCheckpoint struct {
	Size int64
	Root []byte
	Note string
	At   time.Time
}

// LogStore keeps the transparency log.
type LogStore interface {
	// AppendLog appends to the log in one transaction: fn is handed the
	// head (locked against other appends) and returns what to write;
	// move, when set, moves a feed cursor in the same transaction.
	AppendLog(ctx context.Context, move *FeedMove, fn LogAppendFunc) error
	// LogHead returns the log's head (size 0 and no root when empty).
	LogHead(ctx context.Context) (LogState, error)
	// LogLeafHashes returns the leaf hashes of [from, to).
	LogLeafHashes(ctx context.Context, from, to int64) ([][]byte, error)
	// LogNodes returns the stored nodes of level in [from, to); a node not
	// stored (not complete) ends the result early.
	LogNodes(ctx context.Context, level int, from, to int64) ([][]byte, error)
	// LogRanges reads several ranges at once (level 0: leaf hashes), each
	// as LogLeafHashes or LogNodes would: one round trip for a proof.
	LogRanges(ctx context.Context, rs []LogRange) ([][][]byte, error)
	// LogLeaf returns one leaf; NotFound if beyond the log.
	LogLeaf(ctx context.Context, index int64) (*LogLeaf, error)
	// LogLeafByRef returns the first leaf of kind with ref; NotFound if none.
	LogLeafByRef(ctx context.Context, kind, ref string) (*LogLeaf, error)
	// PutCheckpoint keeps a signed checkpoint; one of the same size kept
	// already is left as it is.
	PutCheckpoint(ctx context.Context, c LogCheckpoint) error
	// Checkpoint returns the checkpoint of a size; size < 0 the newest.
	// NotFound if none.
	Checkpoint(ctx context.Context, size int64) (*LogCheckpoint, error)
}
