-- (postgres; keep in step with sqlite/migrations/0017_evaluation.sql)
-- Public credit comprehensive evaluation (公共信用综合评价, 国办发〔2019〕35号
-- 二（六）). ev_models keeps every uploaded model version as given, with its
-- state (candidate, active, retired) and the comparison an administrator
-- reviewed before activating it. ev_scores is each subject's current score
-- (centipoints), grade and model version, derived from the credit file by
-- the evaluation service following the change feed; next_change is when it
-- changes with time alone (a window ends, a decay step passes). ev_history
-- is append-only: every grade change with its time, version and reason.
CREATE TABLE ev_models (
	version      TEXT PRIMARY KEY,
	body         TEXT NOT NULL,
	state        TEXT NOT NULL,
	uploaded_by  TEXT NOT NULL DEFAULT '',
	uploaded_at  BIGINT NOT NULL,
	activated_by TEXT NOT NULL DEFAULT '',
	activated_at BIGINT,
	comparison   TEXT NOT NULL DEFAULT ''
);

CREATE TABLE ev_scores (
	subject_id    TEXT PRIMARY KEY,
	model_version TEXT NOT NULL,
	kind          TEXT NOT NULL DEFAULT '',
	score         BIGINT NOT NULL,
	grade         TEXT NOT NULL DEFAULT '',
	at            BIGINT NOT NULL,
	next_change   BIGINT
);
CREATE INDEX ev_scores_next ON ev_scores (next_change);

CREATE TABLE ev_history (
	id            TEXT PRIMARY KEY,
	subject_id    TEXT NOT NULL,
	at            BIGINT NOT NULL,
	model_version TEXT NOT NULL,
	from_grade    TEXT NOT NULL DEFAULT '',
	to_grade      TEXT NOT NULL DEFAULT '',
	from_score    BIGINT NOT NULL DEFAULT 0,
	to_score      BIGINT NOT NULL DEFAULT 0,
	reason        TEXT NOT NULL DEFAULT ''
);
CREATE INDEX ev_history_subject ON ev_history (subject_id, at);
