-- (sqlite; keep in step with postgres/migrations/0016_reports.sql)
-- Credit reports, authorisations and the transparency log.

-- signing_keys: the public halves of the Ed25519 keys that sign reports
-- and log checkpoints (the private halves never enter the database). A
-- retired key signs nothing new and still verifies what it signed.
CREATE TABLE signing_keys (
	id         TEXT PRIMARY KEY,
	public_key BLOB NOT NULL,
	created_at INTEGER NOT NULL,
	retired_at INTEGER
);

-- reports: every issued report, by its number. statement is the signed
-- statement (canonical JSON: number, kind, times, digests), signature its
-- Ed25519 signature, leaf_index the report's leaf in the log. envelope is
-- the whole report (it may hold a person's data) sealed with the data key,
-- for downloads again; the subject's report is never kept in clear.
CREATE TABLE reports (
	id          TEXT PRIMARY KEY,
	kind        TEXT NOT NULL,
	subject_id  TEXT NOT NULL REFERENCES subjects (id),
	requester   TEXT NOT NULL,
	role        TEXT NOT NULL,
	grant_id    TEXT NOT NULL DEFAULT '',
	purpose     TEXT NOT NULL DEFAULT '',
	issued_at   INTEGER NOT NULL,
	valid_until INTEGER NOT NULL,
	key_id      TEXT NOT NULL,
	digest      TEXT NOT NULL,
	statement   TEXT NOT NULL,
	signature   TEXT NOT NULL,
	leaf_index  INTEGER NOT NULL,
	envelope    TEXT NOT NULL
);
CREATE INDEX reports_subject ON reports (subject_id, issued_at);
CREATE INDEX reports_requester ON reports (requester, issued_at);

-- report_revocations: an administrator's revocation of an issued report,
-- with its reason (a fact of its own: in the change feed and the log).
CREATE TABLE report_revocations (
	id        TEXT PRIMARY KEY,
	report_id TEXT NOT NULL UNIQUE REFERENCES reports (id),
	at        INTEGER NOT NULL,
	actor     TEXT NOT NULL,
	reason    TEXT NOT NULL
);

-- grants: a subject's authorisation of an institution (授权查询): purpose,
-- scope (report kinds or catalogue items, JSON), validity (at most a
-- year) and number of uses; revoked by the subject at any time.
CREATE TABLE grants (
	id            TEXT PRIMARY KEY,
	subject_id    TEXT NOT NULL REFERENCES subjects (id),
	recipient     TEXT NOT NULL REFERENCES accounts (id),
	purpose       TEXT NOT NULL,
	scope_kind    TEXT NOT NULL,
	scope         TEXT NOT NULL,
	valid_from    INTEGER NOT NULL,
	valid_until   INTEGER NOT NULL,
	max_uses      INTEGER NOT NULL,
	uses          INTEGER NOT NULL DEFAULT 0,
	created_at    INTEGER NOT NULL,
	created_by    TEXT NOT NULL,
	revoked_at    INTEGER,
	revoked_by    TEXT NOT NULL DEFAULT '',
	revoke_reason TEXT NOT NULL DEFAULT ''
);
CREATE INDEX grants_subject ON grants (subject_id, created_at);
CREATE INDEX grants_recipient ON grants (recipient, created_at);

-- The transparency log (RFC 6962 Merkle tree). log_head holds its size,
-- root and compact range (the roots of the perfect subtrees covering it,
-- concatenated), locked by every append so appends from any node are
-- serialised. log_leaves holds each leaf: its hash, and the data hashed
-- (a report's signed statement, or a fact's commitment: never personal
-- data in clear); salt is the fact commitment's salt, given only to those
-- entitled to the fact. log_nodes holds the tree's complete nodes at
-- levels 4, 8, 12 ... (leaf hashes are level 0): with the leaves, the
-- tiles any node computes proofs from.
CREATE TABLE log_head (
	id    INTEGER PRIMARY KEY,
	size  INTEGER NOT NULL,
	root  BLOB NOT NULL,
	compact_range BLOB NOT NULL
);
CREATE TABLE log_leaves (
	idx  INTEGER PRIMARY KEY,
	kind TEXT NOT NULL,
	ref  TEXT NOT NULL,
	hash BLOB NOT NULL,
	data BLOB NOT NULL,
	salt BLOB,
	at   INTEGER NOT NULL
);
CREATE INDEX log_leaves_ref ON log_leaves (ref);
CREATE TABLE log_nodes (
	level INTEGER NOT NULL,
	idx   INTEGER NOT NULL,
	hash  BLOB NOT NULL,
	PRIMARY KEY (level, idx)
);
-- log_checkpoints: the signed checkpoints (C2SP signed notes) published,
-- by tree size.
CREATE TABLE log_checkpoints (
	size INTEGER PRIMARY KEY,
	root BLOB NOT NULL,
	note TEXT NOT NULL,
	at   INTEGER NOT NULL
);

-- The audit trail says whose data a read concerned, under which grant
-- and on which basis, so that a subject can see who read its data.
ALTER TABLE audit ADD COLUMN subject_id TEXT NOT NULL DEFAULT '';
ALTER TABLE audit ADD COLUMN grant_id TEXT NOT NULL DEFAULT '';
ALTER TABLE audit ADD COLUMN basis TEXT NOT NULL DEFAULT '';
CREATE INDEX audit_subject ON audit (subject_id, at);
