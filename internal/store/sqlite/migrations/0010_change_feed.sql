-- (sqlite; keep in step with postgres/migrations/0010_change_feed.sql)
-- The change feed: every fact the platform keeps (records, subjects, list
-- events, verification marks, name decisions, cases, accounts) is written
-- in the same transaction as an entry here, with a position. Followers
-- (the hit-check index, the reported-list follower, later the evaluation,
-- the transparency log and the exchange feeds) read "what changed after
-- position N" instead of each watching the tables in its own way.
--
-- Positions come from the one row of change_head, taken as the last
-- statement of the writing transaction: the row stays locked until that
-- transaction ends, so on PostgreSQL a transaction can only take positions
-- after every transaction holding smaller ones has committed or rolled
-- back. A reader therefore never sees a position committed after a larger
-- one it has already read (a rolled-back transaction leaves a gap, never a
-- late arrival). SQLite has one writer, which gives the same order.
--
-- The data version of the hit check (sanction_version until now) is the
-- feed's position: list events, marks and name decisions keep their seq,
-- which is now their change position, so the head starts above them.
CREATE TABLE change_head (
	id  INTEGER PRIMARY KEY,
	pos INTEGER NOT NULL
);
INSERT INTO change_head (id, pos) SELECT 1, version FROM sanction_version WHERE id = 1;
DROP TABLE sanction_version;

CREATE TABLE changes (
	pos        INTEGER PRIMARY KEY,
	kind       TEXT NOT NULL,
	ref        TEXT NOT NULL,
	subject_id TEXT NOT NULL DEFAULT '',
	tag        TEXT NOT NULL DEFAULT '',
	at         INTEGER NOT NULL
);

-- feed_cursors: the shared position of followers that act once for the
-- whole installation (not once per node), such as the reported-list
-- follower that turns reported list records into list entries.
CREATE TABLE feed_cursors (
	name TEXT PRIMARY KEY,
	pos  INTEGER NOT NULL
);
