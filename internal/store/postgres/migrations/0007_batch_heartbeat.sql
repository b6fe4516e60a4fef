-- When the process importing a batch last showed it was alive (postgres; keep
-- in step with sqlite/migrations/0007_batch_heartbeat.sql), in Unix
-- microseconds. The importer writes it with every chunk and every 30 s
-- between; a running batch whose heartbeat is old was interrupted (its
-- node died or was stopped) and waits for its file to be sent again.
-- NULL on batches from before this column: their start time stands in.
ALTER TABLE batches ADD COLUMN heartbeat_at BIGINT;
