-- 0009_occurrence_days: reports count occurrences exactly, per ticket and
-- UTC day, and capture stops paying for indexes it does not need.
--
-- Log rows are samples (a ticket keeps its first rows, then every Kth), so
-- reports that counted them undercounted; occurrence_count is exact but has
-- no date.  A ticket now also holds the count of its latest day: last_day
-- (days since 1970-01-01 UTC) and last_day_count.  Capture adds to
-- last_day_count in the same UPDATE that adds to occurrence_count, so it
-- costs no page; when an occurrence falls on a later day, the trigger
-- tickets_day_rolls files the finished day in ticket_days and starts the
-- new one.  An occurrence counts on its ticket's latest day (a late one,
-- older than the ticket's last, counts on that last day).  The occurrences
-- of ticket T on day D are ticket_days(T, D) plus, when T.last_day = D,
-- T.last_day_count.
--
-- SQLite rewrites an index entry whenever its column is set, even to the
-- same value, and each such entry costs a synchronous capture a page in
-- the WAL.  So the capture statements set no indexed column but
-- last_occurred_at's, whose index goes, and the log-row indexes that only
-- the reports used go with them:
--  - tickets_last_occurred: no query reads tickets through it;
--  - error_logs_created, error_logs_component: reports read ticket_days;
--    log rows are listed in id order (the order they were stored), and
--    error_logs_ticket becomes (ticket_id), which every index ends with
--    the rowid, so a ticket's rows come in id order too.
ALTER TABLE tickets ADD COLUMN last_day INTEGER;
ALTER TABLE tickets ADD COLUMN last_day_count INTEGER NOT NULL DEFAULT 0
    CHECK (last_day_count >= 0);

CREATE TABLE ticket_days (
    ticket_id           INTEGER NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    day                 INTEGER NOT NULL,   -- days since 1970-01-01 UTC
    occurrences         INTEGER NOT NULL CHECK (occurrences > 0),
    PRIMARY KEY (ticket_id, day)
) WITHOUT ROWID;

-- The days the existing log rows show, then the rest of each ticket's
-- count (occurrences kept without a row) on its latest day.  A merged
-- ticket's rows and count already moved to the ticket it was merged into.
INSERT INTO ticket_days (ticket_id, day, occurrences)
    SELECT l.ticket_id, l.created_at / 86400000, count(*)
    FROM error_logs AS l JOIN tickets AS t ON t.id = l.ticket_id
    WHERE t.duplicate_of IS NULL AND l.created_at >= 0
      AND l.created_at / 86400000 <> coalesce(t.last_occurred_at, t.created_at) / 86400000
    GROUP BY l.ticket_id, l.created_at / 86400000;

UPDATE tickets SET
    last_day = CASE WHEN duplicate_of IS NULL
                    THEN max(coalesce(last_occurred_at, created_at), 0) / 86400000 END,
    last_day_count = CASE WHEN duplicate_of IS NULL
                          THEN max(0, occurrence_count - coalesce(
                               (SELECT sum(occurrences) FROM ticket_days
                                WHERE ticket_id = tickets.id), 0))
                          ELSE 0 END;

DROP INDEX tickets_last_occurred;
DROP INDEX error_logs_created;
DROP INDEX error_logs_component;
DROP INDEX error_logs_ticket;
CREATE INDEX error_logs_ticket ON error_logs (ticket_id);
CREATE INDEX ticket_days_day ON ticket_days (day);
-- Moves once per ticket per day: the statement that sets it is the
-- trigger's, not capture's.
CREATE INDEX tickets_last_day ON tickets (last_day);

-- A new ticket's occurrences count on its day.
CREATE TRIGGER tickets_day_starts AFTER INSERT ON tickets
BEGIN
    UPDATE tickets SET
        last_day = max(coalesce(new.last_occurred_at, new.created_at), 0) / 86400000,
        last_day_count = new.occurrence_count
    WHERE id = new.id;
END;

-- Capture added to last_day_count; if the ticket's latest occurrence is on
-- a later day than last_day, the count before this statement belongs to
-- last_day and the statement's own part to the new day.  Fires only for
-- statements that set last_day_count (capture's), and only when it grew.
CREATE TRIGGER tickets_day_rolls AFTER UPDATE OF last_day_count ON tickets
    WHEN new.last_day_count > old.last_day_count
     AND old.last_day IS NOT max(coalesce(new.last_occurred_at, new.created_at), 0) / 86400000
BEGIN
    INSERT INTO ticket_days (ticket_id, day, occurrences)
        SELECT old.id, old.last_day, old.last_day_count
        WHERE old.last_day IS NOT NULL AND old.last_day_count > 0
        ON CONFLICT (ticket_id, day) DO UPDATE SET occurrences = occurrences + excluded.occurrences;
    UPDATE tickets SET
        last_day = max(coalesce(new.last_occurred_at, new.created_at), 0) / 86400000,
        last_day_count = new.last_day_count - old.last_day_count
    WHERE id = new.id;
END;
