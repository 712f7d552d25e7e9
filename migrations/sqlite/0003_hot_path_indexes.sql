-- 0003_hot_path_indexes: every repeat of an error updates last_occurred_at,
-- and each index holding that column costs the capture a page write.
-- tickets_status_last duplicated tickets_last_occurred for that column; a
-- plain status index serves the status filters without being touched by
-- occurrences.
DROP INDEX tickets_status_last;
CREATE INDEX tickets_status ON tickets (status);
