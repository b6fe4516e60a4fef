-- 联合奖惩 (SQLite). Keep in step with postgres/migrations/0004_sanction.sql.
-- Times are INTEGER Unix microseconds UTC; JSON is TEXT.

-- sanction_version is the data version of everything the hit check reads:
-- list events, verification marks and name decisions. Each write takes the
-- next number in the same transaction (one row, row-locked), so a node finds
-- out whether anything changed by reading one integer, and loads the changes
-- with "seq > last seen".
CREATE TABLE sanction_version (
	id      INTEGER PRIMARY KEY,
	version INTEGER NOT NULL
);
INSERT INTO sanction_version (id, version) VALUES (1, 0);

-- list_events are the append-only facts of list entries: proposed, noticed,
-- decided (listed), removed. An entry's state is derived from its events.
CREATE TABLE list_events (
	id         TEXT PRIMARY KEY,
	seq        INTEGER NOT NULL UNIQUE,
	entry_id   TEXT NOT NULL,
	list_code  TEXT NOT NULL,
	subject_id TEXT NOT NULL REFERENCES subjects (id),
	step       TEXT NOT NULL,
	actor      TEXT NOT NULL DEFAULT '',
	dept       TEXT NOT NULL DEFAULT '',
	at         INTEGER NOT NULL,
	doc_no     TEXT NOT NULL DEFAULT '',
	detail     TEXT NOT NULL DEFAULT 'null'
);
CREATE INDEX list_events_entry ON list_events (entry_id, seq);
CREATE INDEX list_events_subject ON list_events (subject_id, seq);
CREATE INDEX list_events_list ON list_events (list_code, seq);

-- verification_marks: a record or a list entry is under verification
-- (objection); measures based on it are not executed meanwhile. Append-only:
-- the newest mark of a target says whether it is under verification.
CREATE TABLE verification_marks (
	id          TEXT PRIMARY KEY,
	seq         INTEGER NOT NULL UNIQUE,
	target_kind TEXT NOT NULL,
	target_id   TEXT NOT NULL,
	subject_id  TEXT NOT NULL DEFAULT '',
	active      INTEGER NOT NULL,
	at          INTEGER NOT NULL,
	actor       TEXT NOT NULL DEFAULT '',
	reason      TEXT NOT NULL DEFAULT '',
	ref         TEXT NOT NULL DEFAULT ''
);
CREATE INDEX verification_marks_target ON verification_marks (target_kind, target_id, seq);

-- name_decisions: an officer found that a name candidate is not the subject
-- a business system asked about.
CREATE TABLE name_decisions (
	id         TEXT PRIMARY KEY,
	seq        INTEGER NOT NULL UNIQUE,
	name_key   TEXT NOT NULL,
	subject_id TEXT NOT NULL,
	actor      TEXT NOT NULL DEFAULT '',
	dept       TEXT NOT NULL DEFAULT '',
	at         INTEGER NOT NULL,
	reason     TEXT NOT NULL DEFAULT ''
);
CREATE INDEX name_decisions_name ON name_decisions (name_key, subject_id);

-- account_matters: the matters a business-system account may check.
CREATE TABLE account_matters (
	account_id TEXT NOT NULL REFERENCES accounts (id),
	matter     TEXT NOT NULL,
	PRIMARY KEY (account_id, matter)
);

-- checks: the log of hit checks, with the data version each one saw.
CREATE TABLE checks (
	id       TEXT PRIMARY KEY,
	at       INTEGER NOT NULL,
	caller   TEXT NOT NULL DEFAULT '',
	dept     TEXT NOT NULL DEFAULT '',
	matter   TEXT NOT NULL DEFAULT '',
	subjects INTEGER NOT NULL,
	hits     INTEGER NOT NULL,
	version  INTEGER NOT NULL
);
CREATE INDEX checks_at ON checks (at);

-- check_measures: each measure (or incentive) a check returned for a
-- subject; feedback must name one of these.
CREATE TABLE check_measures (
	check_id   TEXT NOT NULL REFERENCES checks (id),
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
);
CREATE INDEX check_measures_at ON check_measures (at);

-- check_feedback: what the business system did about a returned measure.
CREATE TABLE check_feedback (
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
	FOREIGN KEY (check_id, subject_id, measure) REFERENCES check_measures (check_id, subject_id, measure)
);
