-- 0013_day_starts_when: on SQLite this stops tickets_day_starts from
-- writing a new ticket's row a second time.  Here tickets_day_starts
-- (0009) is a BEFORE INSERT trigger that fills the row in before it is
-- written, which never wrote it twice, so the version is recorded with
-- nothing to change: a schema version means the same on every backend.
SELECT 1;
