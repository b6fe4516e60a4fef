-- Rejected rows past a batch's cap on stored rejects (sqlite; keep in step
-- with postgres/migrations/0011_batch_rejects_cap.sql): counted in
-- n_rejected, but their cells and reasons are not kept in batch_rejects,
-- so that a file of junk cannot grow the database without bound.
ALTER TABLE batches ADD COLUMN n_rejected_unkept INTEGER NOT NULL DEFAULT 0;
