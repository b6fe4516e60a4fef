-- (postgres; keep in step with sqlite/migrations/0009_checks_no_time_index.sql)
-- checks_at served no query: a check is read by its ID, the statistics
-- read check_measures by time, and check IDs are UUIDv7, so a range of IDs
-- is a range of time for anyone who needs one. Every hit check writes a
-- checks row, and this index was a third of what that write updated.
DROP INDEX IF EXISTS checks_at;
