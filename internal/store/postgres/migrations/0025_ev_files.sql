-- (postgres; keep in step with sqlite/migrations/0025_ev_files.sql)
-- A copy of what evaluation reads of each subject: its registration data
-- and its records, packed (see sqlstore/evalfile.go), so that a full
-- evaluation pass (a new model version, 国办发〔2019〕35号 二（六）) reads a
-- million short rows in key order instead of walking ten million records
-- through their subject index. A copy is cut into parts of at most 900
-- bytes: SQLite needs it to keep its rows in place (see its migration),
-- and both backends share one layout.
-- The evaluation follower rewrites a subject's copy in the transaction
-- that moves its change-feed cursor; the copies are trusted only once the
-- feed cursor "evaluation.files" says every subject's copy was built.
CREATE TABLE ev_files (
	subject_id TEXT NOT NULL,
	part       INTEGER NOT NULL,
	body       BYTEA NOT NULL,
	PRIMARY KEY (subject_id, part)
);
