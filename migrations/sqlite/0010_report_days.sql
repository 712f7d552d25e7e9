-- 0010_report_days: reports read totals, not one row per ticket and day.
--
-- report_days holds the occurrences of the filed days (ticket_days) summed
-- per UTC day and component, kept by triggers on ticket_days.  ticket_days
-- changes once per ticket and day (the day rolls), when tickets merge, and
-- when a ticket goes, never per occurrence, so capture pays nothing more
-- per occurrence.  A ticket's current day (last_day, last_day_count) is not
-- in it: a report adds the tickets whose last_day is in its range.
-- The occurrences of component C on day D are report_days(D, C) plus the
-- last_day_count of C's tickets whose last_day is D.
--
-- c is the component as a key: '' for tickets without one, else '=' and
-- the component, so that NULL has a place in the primary key and byte
-- order is kept ('' first, as SQLite sorts NULL).
CREATE TABLE report_days (
    day                 INTEGER NOT NULL,   -- days since 1970-01-01 UTC
    c                   TEXT    NOT NULL,
    occurrences         INTEGER NOT NULL,
    PRIMARY KEY (day, c)
) WITHOUT ROWID;

INSERT INTO report_days (day, c, occurrences)
    SELECT d.day, coalesce('=' || t.component, ''), sum(d.occurrences)
    FROM ticket_days AS d JOIN tickets AS t ON t.id = d.ticket_id
    GROUP BY 1, 2;

CREATE TRIGGER ticket_days_filed AFTER INSERT ON ticket_days
BEGIN
    INSERT INTO report_days (day, c, occurrences)
        SELECT new.day, coalesce('=' || component, ''), new.occurrences
        FROM tickets WHERE id = new.ticket_id
        ON CONFLICT (day, c) DO UPDATE SET occurrences = occurrences + excluded.occurrences;
END;

CREATE TRIGGER ticket_days_refiled AFTER UPDATE ON ticket_days
BEGIN
    INSERT INTO report_days (day, c, occurrences)
        SELECT old.day, coalesce('=' || component, ''), -old.occurrences
        FROM tickets WHERE id = old.ticket_id
        ON CONFLICT (day, c) DO UPDATE SET occurrences = occurrences + excluded.occurrences;
    INSERT INTO report_days (day, c, occurrences)
        SELECT new.day, coalesce('=' || component, ''), new.occurrences
        FROM tickets WHERE id = new.ticket_id
        ON CONFLICT (day, c) DO UPDATE SET occurrences = occurrences + excluded.occurrences;
END;

CREATE TRIGGER ticket_days_unfiled AFTER DELETE ON ticket_days
BEGIN
    INSERT INTO report_days (day, c, occurrences)
        SELECT old.day, coalesce('=' || component, ''), -old.occurrences
        FROM tickets WHERE id = old.ticket_id
        ON CONFLICT (day, c) DO UPDATE SET occurrences = occurrences + excluded.occurrences;
END;

-- A ticket's days go before the ticket does, while its component is
-- still there to find (the cascade then finds none).
CREATE TRIGGER tickets_days_go BEFORE DELETE ON tickets
BEGIN
    DELETE FROM ticket_days WHERE ticket_id = old.id;
END;

-- A ticket that changes component moves its filed days with it.
CREATE TRIGGER tickets_days_move AFTER UPDATE OF component ON tickets
    WHEN old.component IS NOT new.component
BEGIN
    INSERT INTO report_days (day, c, occurrences)
        SELECT day, coalesce('=' || old.component, ''), -occurrences
        FROM ticket_days WHERE ticket_id = old.id
        ON CONFLICT (day, c) DO UPDATE SET occurrences = occurrences + excluded.occurrences;
    INSERT INTO report_days (day, c, occurrences)
        SELECT day, coalesce('=' || new.component, ''), occurrences
        FROM ticket_days WHERE ticket_id = new.id
        ON CONFLICT (day, c) DO UPDATE SET occurrences = occurrences + excluded.occurrences;
END;

-- A range's filed days are read by day with their counts in the index:
-- no seek into ticket_days per row.  Written once per ticket and day.
DROP INDEX ticket_days_day;
CREATE INDEX ticket_days_day ON ticket_days (day, occurrences);
