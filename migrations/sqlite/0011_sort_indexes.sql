-- 0011_sort_indexes: every order a listing sorts by reads an index.
--
-- By severity: an index on the severity's rank, the very expression the
-- listing sorts by (lib/store/sqlite/tickets.c, SEVERITY_RANK), whose
-- entries end with the rowid, so the index gives the whole order.  Capture
-- never sets severity, so it costs an occurrence nothing.
--
-- By occurrences: an index on occurrence_count itself would move on every
-- occurrence (the cost 0009 took out of capture), so the index is on
-- count_floor, the count kept to its leading digit (1..9, 10, 20..90,
-- 100, ...): it moves at most nine times a decade of a ticket's life, and
-- the listing sorts one floor's tickets at a time, as it sorts one day's
-- by last occurrence.  Triggers keep it, only when the floor changes:
-- capture's statements never set it, so the index is not written
-- otherwise.
ALTER TABLE tickets ADD COLUMN count_floor INTEGER NOT NULL DEFAULT 1;

UPDATE tickets SET count_floor =
    CAST(substr(CAST(occurrence_count AS TEXT), 1, 1)
         || substr('000000000000000000', 1, length(CAST(occurrence_count AS TEXT)) - 1)
         AS INTEGER);

CREATE INDEX tickets_count_floor ON tickets (count_floor);
CREATE INDEX tickets_severity_rank ON tickets
    ((CASE severity WHEN 'low' THEN 1 WHEN 'medium' THEN 2 WHEN 'high' THEN 3 ELSE 4 END));

CREATE TRIGGER tickets_count_floor_starts AFTER INSERT ON tickets
    WHEN new.count_floor <>
         CAST(substr(CAST(new.occurrence_count AS TEXT), 1, 1)
              || substr('000000000000000000', 1, length(CAST(new.occurrence_count AS TEXT)) - 1)
              AS INTEGER)
BEGIN
    UPDATE tickets SET count_floor =
        CAST(substr(CAST(new.occurrence_count AS TEXT), 1, 1)
             || substr('000000000000000000', 1, length(CAST(new.occurrence_count AS TEXT)) - 1)
             AS INTEGER)
    WHERE id = new.id;
END;

CREATE TRIGGER tickets_count_floor_moves AFTER UPDATE OF occurrence_count ON tickets
    WHEN new.count_floor <>
         CAST(substr(CAST(new.occurrence_count AS TEXT), 1, 1)
              || substr('000000000000000000', 1, length(CAST(new.occurrence_count AS TEXT)) - 1)
              AS INTEGER)
BEGIN
    UPDATE tickets SET count_floor =
        CAST(substr(CAST(new.occurrence_count AS TEXT), 1, 1)
             || substr('000000000000000000', 1, length(CAST(new.occurrence_count AS TEXT)) - 1)
             AS INTEGER)
    WHERE id = new.id;
END;
