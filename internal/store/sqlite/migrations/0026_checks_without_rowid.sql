-- (sqlite; keep in step with postgres/migrations/0026_checks_without_rowid.sql)
-- The checks log is the busiest write of a node serving hit checks: a
-- checks row for every check, a check_measures row for every measure it
-- returned. As rowid tables keyed by text, each row was two b-tree inserts
-- (the table and its primary key's index); WITHOUT ROWID tables keep the
-- row in the primary key's b-tree, one insert. Under 5 000 single-subject
-- checks a second the log's writer was about two fifths of a node's CPU.
-- The three tables are rebuilt child-first into new ones and renamed, so
-- that no DROP leaves a reference dangling (SQLite rewrites the references
-- of the new tables as they are renamed).
CREATE TABLE checks_new (
	id       TEXT PRIMARY KEY,
	at       INTEGER NOT NULL,
	caller   TEXT NOT NULL DEFAULT '',
	dept     TEXT NOT NULL DEFAULT '',
	matter   TEXT NOT NULL DEFAULT '',
	subjects INTEGER NOT NULL,
	hits     INTEGER NOT NULL,
	version  INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO checks_new (id, at, caller, dept, matter, subjects, hits, version)
	SELECT id, at, caller, dept, matter, subjects, hits, version FROM checks;

CREATE TABLE check_measures_new (
	check_id   TEXT NOT NULL REFERENCES checks_new (id),
	subject_id TEXT NOT NULL,
	measure    TEXT NOT NULL,
	list_code  TEXT NOT NULL DEFAULT '',
	entry_id   TEXT NOT NULL DEFAULT '',
	suspended  INTEGER NOT NULL,
	incentive  INTEGER NOT NULL,
	candidate  INTEGER NOT NULL,
	dept       TEXT NOT NULL DEFAULT '',
	matter     TEXT NOT NULL DEFAULT '',
	at         INTEGER NOT NULL,
	PRIMARY KEY (check_id, subject_id, measure)
) WITHOUT ROWID;
INSERT INTO check_measures_new (check_id, subject_id, measure, list_code, entry_id, suspended, incentive, candidate, dept, matter, at)
	SELECT check_id, subject_id, measure, list_code, entry_id, suspended, incentive, candidate, dept, matter, at FROM check_measures;

CREATE TABLE check_feedback_new (
	check_id   TEXT NOT NULL,
	subject_id TEXT NOT NULL,
	measure    TEXT NOT NULL,
	id         TEXT NOT NULL UNIQUE,
	outcome    TEXT NOT NULL,
	reason     TEXT NOT NULL DEFAULT '',
	amount     TEXT NOT NULL DEFAULT '',
	acted_at   INTEGER NOT NULL,
	at         INTEGER NOT NULL,
	actor      TEXT NOT NULL DEFAULT '',
	dept       TEXT NOT NULL DEFAULT '',
	PRIMARY KEY (check_id, subject_id, measure),
	FOREIGN KEY (check_id, subject_id, measure) REFERENCES check_measures_new (check_id, subject_id, measure)
);
INSERT INTO check_feedback_new (check_id, subject_id, measure, id, outcome, reason, amount, acted_at, at, actor, dept)
	SELECT check_id, subject_id, measure, id, outcome, reason, amount, acted_at, at, actor, dept FROM check_feedback;

DROP TABLE check_feedback;
DROP TABLE check_measures;
DROP TABLE checks;
ALTER TABLE checks_new RENAME TO checks;
ALTER TABLE check_measures_new RENAME TO check_measures;
ALTER TABLE check_feedback_new RENAME TO check_feedback;
CREATE INDEX check_measures_at ON check_measures (at);
