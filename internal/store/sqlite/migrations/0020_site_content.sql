-- (sqlite; keep in step with postgres/migrations/0020_site_content.sql)
-- The portal's 通知公告 and 政策法规, written by administrators in
-- Markdown. Every edit is a new version; none is overwritten, so the
-- previous version of a post is always kept. Times are INTEGER Unix
-- microseconds UTC.
CREATE TABLE site_posts (
	id        TEXT NOT NULL,
	version   INTEGER NOT NULL,
	section   TEXT NOT NULL,
	title     TEXT NOT NULL,
	title_en  TEXT NOT NULL DEFAULT '',
	body      TEXT NOT NULL,
	body_en   TEXT NOT NULL DEFAULT '',
	post_date INTEGER NOT NULL,
	removed   INTEGER NOT NULL DEFAULT 0,
	editor    TEXT NOT NULL,
	at        INTEGER NOT NULL,
	PRIMARY KEY (id, version)
);
CREATE INDEX site_posts_section ON site_posts (section, post_date);

-- The 双公示 search (行政许可 and 行政处罚 by department, document number
-- or date, newest decision first) reads original facts of an item in
-- decision order.
CREATE INDEX records_item_decided ON records (item, decided_on, id);
