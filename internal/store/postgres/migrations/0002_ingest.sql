-- Import batches (归集), their rejects and their chunk log (postgres).
-- Keep in step with the other backend's 0002_ingest.sql.

CREATE TABLE batches (
	id            TEXT PRIMARY KEY,
	dept          TEXT NOT NULL,
	item          TEXT NOT NULL,
	file_name     TEXT NOT NULL DEFAULT '',
	format        TEXT NOT NULL DEFAULT '',
	encoding      TEXT NOT NULL DEFAULT '',
	header_style  TEXT NOT NULL DEFAULT '',
	content_hash  TEXT NOT NULL DEFAULT '',
	header        TEXT NOT NULL DEFAULT 'null',
	unknown_cols  TEXT NOT NULL DEFAULT 'null',
	status        TEXT NOT NULL,
	error         TEXT NOT NULL DEFAULT '',
	chunks        BIGINT NOT NULL DEFAULT 0,
	last_row      BIGINT NOT NULL DEFAULT 0,
	n_total       BIGINT NOT NULL DEFAULT 0,
	n_accepted    BIGINT NOT NULL DEFAULT 0,
	n_created     BIGINT NOT NULL DEFAULT 0,
	n_versioned   BIGINT NOT NULL DEFAULT 0,
	n_unchanged   BIGINT NOT NULL DEFAULT 0,
	n_rejected    BIGINT NOT NULL DEFAULT 0,
	n_timed       BIGINT NOT NULL DEFAULT 0,
	n_late        BIGINT NOT NULL DEFAULT 0,
	n_codes       BIGINT NOT NULL DEFAULT 0,
	n_code_errors BIGINT NOT NULL DEFAULT 0,
	n_filled      BIGINT NOT NULL DEFAULT 0,
	n_fillable    BIGINT NOT NULL DEFAULT 0,
	actor         TEXT NOT NULL DEFAULT '',
	started_at    BIGINT NOT NULL,
	finished_at   BIGINT
);
CREATE INDEX batches_content ON batches (dept, item, content_hash, id);
CREATE INDEX batches_dept ON batches (dept, id);

-- One row per problem; a row with several problems has several entries
-- (seq 0, 1, ...). raw keeps the row's cells as sent (JSON array) so the
-- rejects file can be rebuilt in the department's own format.
CREATE TABLE batch_rejects (
	batch_id TEXT NOT NULL REFERENCES batches (id),
	row_no   BIGINT NOT NULL,
	seq      BIGINT NOT NULL,
	field    TEXT NOT NULL DEFAULT '',
	reason   TEXT NOT NULL DEFAULT '',
	raw      TEXT NOT NULL DEFAULT 'null',
	PRIMARY KEY (batch_id, row_no, seq)
);

-- The chunk log: one row per committed chunk, written in the chunk's own
-- transaction; the primary key makes committing a chunk twice impossible.
CREATE TABLE batch_chunks (
	batch_id     TEXT NOT NULL REFERENCES batches (id),
	seq          BIGINT NOT NULL,
	last_row     BIGINT NOT NULL,
	records      BIGINT NOT NULL DEFAULT 0,
	rejects      BIGINT NOT NULL DEFAULT 0,
	committed_at BIGINT NOT NULL,
	PRIMARY KEY (batch_id, seq)
);
