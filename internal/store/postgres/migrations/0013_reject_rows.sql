-- (postgres; keep in step with sqlite/migrations/0013_reject_rows.sql)
-- A rejected row's cells are kept once per row (not once per reason), in a
-- table of their own keyed by one text column, so that they can be stored
-- sealed as a whole with the data key (they may hold a person's ID number)
-- and re-sealed by a key rotation, which walks a table by such a key.
-- Rows moved here from batch_rejects are still clear: the platform seals
-- them at its next start (pii's registry, 'batch_reject_rows.raw').
CREATE TABLE batch_reject_rows (
	id       TEXT PRIMARY KEY,
	batch_id TEXT NOT NULL REFERENCES batches (id),
	row_no   BIGINT NOT NULL,
	raw      TEXT NOT NULL
);
CREATE UNIQUE INDEX batch_reject_rows_row ON batch_reject_rows (batch_id, row_no);
INSERT INTO batch_reject_rows (id, batch_id, row_no, raw)
	SELECT batch_id || ':' || row_no, batch_id, row_no, raw FROM batch_rejects WHERE seq = 0;
ALTER TABLE batch_rejects DROP COLUMN raw;
-- A reason in Chinese beside the English one: the rejects file's 错误原因.
ALTER TABLE batch_rejects ADD COLUMN reason_zh TEXT NOT NULL DEFAULT '';
