-- 0013_day_starts_when: nothing changes on PostgreSQL.
--
-- SQLite's 0013 stops its tickets_day_starts from writing a new ticket's
-- row a second time.  Here tickets_day_starts (0009) is a BEFORE INSERT
-- trigger that fills in the row before it is written, which never wrote
-- it twice; a schema version means the same tables on every backend, so
-- this version exists here too, and only says so.
COMMENT ON TRIGGER tickets_day_starts ON tickets IS
    'Sets a new ticket''s last_day and last_day_count before the row is written (0009).';
