-- 0003_hot_path_indexes: as migrations/sqlite/0003: a plain status index
-- instead of one that every occurrence rewrites.
DROP INDEX tickets_status_last;
CREATE INDEX tickets_status ON tickets (status);
