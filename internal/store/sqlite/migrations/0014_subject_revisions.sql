-- (sqlite; keep in step with the other backend's 0014_subject_revisions.sql)
-- An organisation's registration data (name, legal representative,
-- status, registration date) belongs to its registration authority; every
-- change is kept here, written in the same transaction as the subject.
CREATE TABLE subject_revisions (
	id         TEXT PRIMARY KEY,
	subject_id TEXT NOT NULL REFERENCES subjects (id),
	at         INTEGER NOT NULL,
	actor      TEXT NOT NULL,
	dept       TEXT NOT NULL DEFAULT '',
	changes    TEXT NOT NULL
);
CREATE INDEX subject_revisions_subject ON subject_revisions (subject_id, at);
