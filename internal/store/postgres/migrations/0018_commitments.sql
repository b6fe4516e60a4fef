-- (postgres; keep in step with sqlite/migrations/0018_commitments.sql)
-- Credit commitments (信用承诺) and their fulfilment tracking, the
-- eligibility answers of 容缺受理, and self-declared information (自主申报).
-- cm_events is append-only history of commitments and declarations alike;
-- cm_commitments and cm_declarations are the current state derived from it,
-- written in the same transaction. A commitment is also a record of the
-- catalogue's commitment item (record_id): that record is what is
-- published. Self-declared information is kept here, apart from records,
-- so that nothing reading records (publication, lists, the hit check,
-- reports) can take it for an official record; a confirmed declaration
-- becomes a record through the records service (record_id).
CREATE TABLE cm_commitments (
	id         TEXT PRIMARY KEY,
	code       TEXT NOT NULL UNIQUE,
	subject_id TEXT NOT NULL,
	matter     TEXT NOT NULL,
	kind       TEXT NOT NULL,
	unit       TEXT NOT NULL,
	record_id  TEXT NOT NULL DEFAULT '',
	check_id   TEXT NOT NULL DEFAULT '',
	approval   TEXT NOT NULL DEFAULT '',
	state      TEXT NOT NULL,
	is_open    BOOLEAN NOT NULL,
	seq        INTEGER NOT NULL,
	signed_on  BIGINT NOT NULL,
	due        BIGINT,
	decide_by  BIGINT,
	detail     TEXT NOT NULL DEFAULT '{}',
	created_at BIGINT NOT NULL,
	updated_at BIGINT NOT NULL
);
CREATE INDEX cm_commitments_subject ON cm_commitments (subject_id, id);
CREATE INDEX cm_commitments_queue ON cm_commitments (is_open, unit, due);
CREATE INDEX cm_commitments_stats ON cm_commitments (signed_on, matter, unit);

CREATE TABLE cm_events (
	id       TEXT PRIMARY KEY,
	owner_id TEXT NOT NULL,
	seq      INTEGER NOT NULL,
	action   TEXT NOT NULL,
	state    TEXT NOT NULL,
	actor    TEXT NOT NULL,
	role     TEXT NOT NULL DEFAULT '',
	at       BIGINT NOT NULL,
	reason   TEXT NOT NULL DEFAULT '',
	data     TEXT NOT NULL DEFAULT 'null',
	UNIQUE (owner_id, seq)
);

CREATE TABLE cm_checks (
	id         TEXT PRIMARY KEY,
	subject_id TEXT NOT NULL,
	matter     TEXT NOT NULL,
	actor      TEXT NOT NULL,
	role       TEXT NOT NULL DEFAULT '',
	dept       TEXT NOT NULL DEFAULT '',
	at         BIGINT NOT NULL,
	eligible   BOOLEAN NOT NULL,
	answer     TEXT NOT NULL
);
CREATE INDEX cm_checks_subject ON cm_checks (subject_id, at);

CREATE TABLE cm_declarations (
	id          TEXT PRIMARY KEY,
	subject_id  TEXT NOT NULL,
	kind        TEXT NOT NULL,
	issuer      TEXT NOT NULL,
	title       TEXT NOT NULL,
	number      TEXT NOT NULL DEFAULT '',
	issued_on   BIGINT,
	valid_until BIGINT,
	description TEXT NOT NULL DEFAULT '',
	state       TEXT NOT NULL,
	seq         INTEGER NOT NULL,
	record_id   TEXT NOT NULL DEFAULT '',
	reason      TEXT NOT NULL DEFAULT '',
	created_at  BIGINT NOT NULL,
	updated_at  BIGINT NOT NULL
);
CREATE INDEX cm_declarations_subject ON cm_declarations (subject_id, id);
CREATE INDEX cm_declarations_issuer ON cm_declarations (issuer, state, id);

CREATE TABLE cm_files (
	id           TEXT PRIMARY KEY,
	owner_id     TEXT NOT NULL,
	name         TEXT NOT NULL,
	content_type TEXT NOT NULL,
	size         BIGINT NOT NULL,
	sha256       TEXT NOT NULL,
	body         BYTEA NOT NULL,
	uploaded_by  TEXT NOT NULL DEFAULT '',
	at           BIGINT NOT NULL
);
CREATE INDEX cm_files_owner ON cm_files (owner_id, id);
