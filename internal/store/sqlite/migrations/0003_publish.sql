-- Publication (issue 4): the search index follows subjects by
-- (updated_at, id), and the portal's list pages read records by item.
CREATE INDEX subjects_updated ON subjects (updated_at, id);
CREATE INDEX records_item ON records (item, id);
