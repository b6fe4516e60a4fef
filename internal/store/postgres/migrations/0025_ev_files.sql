-- (postgres; keep in step with sqlite/migrations/0025_ev_files.sql)
-- A copy of each subject's records, packed in one row (the columns
-- evaluation reads, see sqlstore/evalfile.go), so that a full evaluation
-- pass (a new model version, 国办发〔2019〕35号 二（六）) reads a million
-- short rows instead of walking ten million records through their subject
-- index. The evaluation follower rewrites a subject's copy in the
-- transaction that moves its change-feed cursor; the copies are trusted
-- only once the feed cursor "evaluation.files" says every subject's copy
-- was built.
CREATE TABLE ev_files (
	subject_id TEXT PRIMARY KEY,
	body       BYTEA NOT NULL
);
