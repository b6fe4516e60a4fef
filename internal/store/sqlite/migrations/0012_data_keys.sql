-- Data keys (sqlite; keep in step with postgres/migrations/0012_data_keys.sql).
-- The store never holds a data key: it keeps each key's check value (an
-- HMAC of a fixed label under the key, pii.Sealer.CheckValue) so that a
-- node given another key refuses to start, and the progress of a key
-- rotation so that a killed one resumes.
-- state: current (seals everything), next (the target of a rotation under
-- way) or retired (refused). At most one key is current and one next.
CREATE TABLE data_keys (
	id          TEXT PRIMARY KEY,
	check_value TEXT NOT NULL,
	state       TEXT NOT NULL,
	created_at  INTEGER NOT NULL,
	changed_at  INTEGER NOT NULL
);
CREATE UNIQUE INDEX data_keys_state ON data_keys (state) WHERE state <> 'retired';

-- One row per sealed column (pii's registry) of the rotation to key_id:
-- the pass over the table, the last key re-sealed in it, and whether a
-- whole pass found nothing left to re-seal.
CREATE TABLE data_key_progress (
	key_id     TEXT NOT NULL,
	name       TEXT NOT NULL,
	pass       INTEGER NOT NULL,
	last_key   TEXT NOT NULL DEFAULT '',
	changed    INTEGER NOT NULL DEFAULT 0,
	resealed   INTEGER NOT NULL DEFAULT 0,
	done       INTEGER NOT NULL DEFAULT 0,
	updated_at INTEGER NOT NULL,
	PRIMARY KEY (key_id, name)
);
