-- (postgres; keep in step with sqlite/migrations/0022_catalog_versions.sql)
-- Versions of the information catalogue's files (the department register,
-- items, lists, the measure list 国办发〔2020〕49号 ...) uploaded by
-- administrators: each kept as uploaded, checked, and at most one per file
-- active; activating one leaves the previous in the table, inactive.
-- Times are BIGINT Unix microseconds UTC.
CREATE TABLE catalog_versions (
	id           TEXT PRIMARY KEY,
	file         TEXT NOT NULL,
	version      TEXT NOT NULL DEFAULT '',
	sha256       TEXT NOT NULL,
	content      BYTEA NOT NULL,
	note         TEXT NOT NULL DEFAULT '',
	uploaded_by  TEXT NOT NULL,
	uploaded_at  BIGINT NOT NULL,
	active       BOOLEAN NOT NULL DEFAULT FALSE,
	activated_by TEXT NOT NULL DEFAULT '',
	activated_at BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX catalog_versions_file ON catalog_versions (file, uploaded_at);
CREATE UNIQUE INDEX catalog_versions_active ON catalog_versions (file) WHERE active;
