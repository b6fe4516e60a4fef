-- (postgres; keep in step with sqlite/migrations/0024_monitor.sql)
-- The city credit monitoring counts the facts received and the subjects
-- registered before each period's end (RecordsBefore, SubjectsBefore):
-- these indexes cover those scans, so they read neither the records'
-- fields nor the subjects' data.
CREATE INDEX records_dept_received ON records (dept, received_at);
CREATE INDEX subjects_created ON subjects (created_at);
