-- Objections, credit repairs and bankruptcy masking (PostgreSQL). Keep in step
-- with sqlite/migrations/0005_workflow.sql.
-- wf_events is append-only history; wf_cases is the current state derived
-- from it, written in the same transaction.

CREATE TABLE wf_cases (
	id         TEXT PRIMARY KEY,
	kind       TEXT NOT NULL,
	subject_id TEXT NOT NULL,
	record_id  TEXT NOT NULL DEFAULT '',
	entry_id   TEXT NOT NULL DEFAULT '',
	unit       TEXT NOT NULL DEFAULT '',
	domain     TEXT NOT NULL DEFAULT '',
	track_hash TEXT NOT NULL UNIQUE,
	state      TEXT NOT NULL,
	is_open    BOOLEAN NOT NULL,
	seq        INTEGER NOT NULL,
	due        BIGINT,
	until_at   BIGINT,
	created_at BIGINT NOT NULL,
	updated_at BIGINT NOT NULL
);
CREATE INDEX wf_cases_subject ON wf_cases (subject_id, id);
CREATE INDEX wf_cases_record ON wf_cases (record_id, id);
CREATE INDEX wf_cases_queue ON wf_cases (is_open, kind, unit, due);

CREATE TABLE wf_events (
	id      TEXT PRIMARY KEY,
	case_id TEXT NOT NULL REFERENCES wf_cases (id),
	seq     INTEGER NOT NULL,
	action  TEXT NOT NULL,
	state   TEXT NOT NULL,
	actor   TEXT NOT NULL,
	role    TEXT NOT NULL DEFAULT '',
	at      BIGINT NOT NULL,
	due     BIGINT,
	reason  TEXT NOT NULL DEFAULT '',
	data    TEXT NOT NULL DEFAULT 'null',
	UNIQUE (case_id, seq)
);

CREATE TABLE wf_files (
	id           TEXT PRIMARY KEY,
	case_id      TEXT NOT NULL REFERENCES wf_cases (id),
	name         TEXT NOT NULL,
	content_type TEXT NOT NULL,
	size         BIGINT NOT NULL,
	sha256       TEXT NOT NULL,
	body         BYTEA NOT NULL,
	uploaded_by  TEXT NOT NULL DEFAULT '',
	at           BIGINT NOT NULL
);
CREATE INDEX wf_files_case ON wf_files (case_id, id);

CREATE TABLE wf_recompute (
	subject_id TEXT PRIMARY KEY,
	since      BIGINT NOT NULL,
	reason     TEXT NOT NULL DEFAULT ''
);
