-- (postgres; keep in step with sqlite/migrations/0026_checks_without_rowid.sql)
-- SQLite rebuilds the checks log's tables WITHOUT ROWID, so that a row is
-- one b-tree insert instead of two. PostgreSQL keeps every table as a heap
-- beside its primary key's index and has no such choice: nothing changes
-- here, the file keeps the two backends' migrations in step.
SELECT 1;
