-- One batch per file per department and item (SQLite). Keep in step with
-- postgres/migrations/0006_batch_content.sql.
-- Importing the same bytes again resumes or reports the batch that has
-- them; two imports of the same file started at the same moment could
-- each miss the other and both create a batch, writing every record twice.
-- The unique index makes the second creation fail instead. Batches that
-- such a race already duplicated keep their rows; all but the newest get
-- their ID appended to the hash, so the index can be built and the newest
-- stays the one an import of the file finds.
UPDATE batches SET content_hash = content_hash || '#duplicate-' || id
WHERE content_hash <> '' AND id < (
	SELECT max(b2.id) FROM batches b2
	WHERE b2.dept = batches.dept AND b2.item = batches.item AND b2.content_hash = batches.content_hash);
CREATE UNIQUE INDEX batches_content_unique ON batches (dept, item, content_hash) WHERE content_hash <> '';
