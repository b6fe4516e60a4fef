-- (sqlite; keep in step with postgres/migrations/0021_inspections.sql)
-- Random inspection tasks (双随机、一公开, 国办发〔2019〕35号 (七)). A
-- task is published with its statement (task, pool snapshot hash, ratios,
-- inspectors, avoidance rules) and its pool snapshot before its
-- randomness exists; the draw is written once. insp_assignments is the
-- history the avoidance rule reads; insp_results what is published after
-- inspection. The rules of the draw live in internal/inspection.
CREATE TABLE insp_tasks (
	id            TEXT PRIMARY KEY,
	dept          TEXT NOT NULL,
	matter        TEXT NOT NULL,
	title         TEXT NOT NULL,
	state         TEXT NOT NULL,
	published_pos INTEGER NOT NULL DEFAULT 0,
	published_at  INTEGER NOT NULL,
	drawn_at      INTEGER,
	pool_size     INTEGER NOT NULL,
	drawn         INTEGER NOT NULL DEFAULT 0,
	statement     TEXT NOT NULL,
	pool          BLOB NOT NULL,
	draw          TEXT NOT NULL DEFAULT '',
	seq           INTEGER NOT NULL
);
CREATE INDEX insp_tasks_dept ON insp_tasks (dept, published_at);

CREATE TABLE insp_assignments (
	task_id    TEXT NOT NULL,
	dept       TEXT NOT NULL,
	subject_id TEXT NOT NULL,
	inspector  TEXT NOT NULL,
	drawn_at   INTEGER NOT NULL,
	PRIMARY KEY (task_id, subject_id, inspector)
);
CREATE INDEX insp_assignments_inspector ON insp_assignments (dept, inspector, drawn_at);

CREATE TABLE insp_results (
	task_id      TEXT NOT NULL,
	subject_id   TEXT NOT NULL,
	subject_name TEXT NOT NULL DEFAULT '',
	item         TEXT NOT NULL,
	result       TEXT NOT NULL,
	failed       INTEGER NOT NULL,
	detail       TEXT NOT NULL DEFAULT '',
	inspected_on INTEGER NOT NULL,
	record_id    TEXT NOT NULL DEFAULT '',
	actor        TEXT NOT NULL DEFAULT '',
	at           INTEGER NOT NULL,
	PRIMARY KEY (task_id, subject_id)
);
