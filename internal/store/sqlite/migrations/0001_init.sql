-- Initial schema (SQLite). Keep in step with postgres/migrations/0001_init.sql:
-- same tables, columns and indexes; only the column types differ.
-- Times are INTEGER Unix microseconds UTC; JSON is TEXT; optional keys are NULL.

CREATE TABLE subjects (
	id            TEXT PRIMARY KEY,
	kind          TEXT NOT NULL,
	code          TEXT NOT NULL DEFAULT '',
	name          TEXT NOT NULL DEFAULT '',
	former_names  TEXT NOT NULL DEFAULT 'null',
	org_type      TEXT NOT NULL DEFAULT '',
	region        TEXT NOT NULL DEFAULT '',
	legal_rep     TEXT NOT NULL DEFAULT '',
	status        TEXT NOT NULL DEFAULT '',
	registered_on INTEGER,
	code_flag     TEXT NOT NULL DEFAULT '',
	id_cipher     BLOB,
	id_hash       TEXT,
	id_masked     TEXT NOT NULL DEFAULT '',
	created_at    INTEGER NOT NULL,
	updated_at    INTEGER NOT NULL
);
CREATE INDEX subjects_code ON subjects (code);
CREATE INDEX subjects_name ON subjects (name, id);
-- NULLs do not collide, so the index is unique only where a hash is present.
CREATE UNIQUE INDEX subjects_id_hash ON subjects (id_hash);

CREATE TABLE records (
	id              TEXT PRIMARY KEY,
	subject_id      TEXT NOT NULL REFERENCES subjects (id),
	item            TEXT NOT NULL,
	catalog_version TEXT NOT NULL DEFAULT '',
	fact            TEXT NOT NULL DEFAULT '',
	supersedes      TEXT REFERENCES records (id),
	dept            TEXT NOT NULL DEFAULT '',
	batch_id        TEXT NOT NULL DEFAULT '',
	doc_no          TEXT NOT NULL DEFAULT '',
	decided_on      INTEGER,
	received_at     INTEGER,
	severity        TEXT NOT NULL DEFAULT '',
	fields          TEXT NOT NULL DEFAULT 'null',
	reason          TEXT NOT NULL DEFAULT '',
	hash            TEXT NOT NULL DEFAULT '',
	subject_kind    TEXT NOT NULL DEFAULT ''
);
CREATE INDEX records_subject ON records (subject_id, id);
CREATE INDEX records_doc ON records (dept, item, doc_no, id);

CREATE TABLE accounts (
	id         TEXT PRIMARY KEY,
	name       TEXT NOT NULL UNIQUE,
	display    TEXT NOT NULL DEFAULT '',
	role       TEXT NOT NULL,
	dept       TEXT NOT NULL DEFAULT '',
	subject    TEXT NOT NULL DEFAULT '',
	pass_hash  TEXT NOT NULL DEFAULT '',
	disabled   INTEGER NOT NULL DEFAULT 0,
	created_at INTEGER NOT NULL
);

CREATE TABLE api_keys (
	id         TEXT PRIMARY KEY,
	account_id TEXT NOT NULL REFERENCES accounts (id),
	hash       TEXT NOT NULL UNIQUE,
	prefix     TEXT NOT NULL DEFAULT '',
	created_at INTEGER NOT NULL,
	revoked    INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX api_keys_account ON api_keys (account_id);

CREATE TABLE sessions (
	hash       TEXT PRIMARY KEY,
	account_id TEXT NOT NULL REFERENCES accounts (id),
	expires    INTEGER NOT NULL
);
CREATE INDEX sessions_account ON sessions (account_id);

CREATE TABLE audit (
	id      TEXT PRIMARY KEY,
	at      INTEGER NOT NULL,
	actor   TEXT NOT NULL DEFAULT '',
	role    TEXT NOT NULL DEFAULT '',
	action  TEXT NOT NULL DEFAULT '',
	target  TEXT NOT NULL DEFAULT '',
	purpose TEXT NOT NULL DEFAULT '',
	outcome TEXT NOT NULL DEFAULT '',
	remote  TEXT NOT NULL DEFAULT ''
);
-- (actor, at) and (target, at) serve the filter and the newest-first order.
CREATE INDEX audit_actor ON audit (actor, at);
CREATE INDEX audit_target ON audit (target, at);
CREATE INDEX audit_at ON audit (at);
