-- 0009_occurrence_days: reports count occurrences exactly, per ticket and
-- UTC day, as in migrations/sqlite/0009 (whose comment explains the
-- design).  PostgreSQL does it with one BEFORE trigger that sets the new
-- row's day itself.  The indexes that SQLite's set drops go here too: the
-- reports and the log listing no longer read them, and without
-- tickets_last_occurred an occurrence changes no indexed column of its
-- ticket, so PostgreSQL can update the row in place (a HOT update).
ALTER TABLE tickets ADD COLUMN last_day BIGINT;
ALTER TABLE tickets ADD COLUMN last_day_count BIGINT NOT NULL DEFAULT 0
    CHECK (last_day_count >= 0);

CREATE TABLE ticket_days (
    ticket_id           BIGINT  NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    day                 BIGINT  NOT NULL,   -- days since 1970-01-01 UTC
    occurrences         BIGINT  NOT NULL CHECK (occurrences > 0),
    PRIMARY KEY (ticket_id, day)
);

INSERT INTO ticket_days (ticket_id, day, occurrences)
    SELECT l.ticket_id, l.created_at / 86400000, count(*)
    FROM error_logs AS l JOIN tickets AS t ON t.id = l.ticket_id
    WHERE t.duplicate_of IS NULL AND l.created_at >= 0
      AND l.created_at / 86400000 <> coalesce(t.last_occurred_at, t.created_at) / 86400000
    GROUP BY l.ticket_id, l.created_at / 86400000;

UPDATE tickets SET
    last_day = CASE WHEN duplicate_of IS NULL
                    THEN greatest(coalesce(last_occurred_at, created_at), 0) / 86400000 END,
    last_day_count = CASE WHEN duplicate_of IS NULL
                          THEN greatest(0, occurrence_count - coalesce(
                               (SELECT sum(occurrences) FROM ticket_days
                                WHERE ticket_id = tickets.id), 0))
                          ELSE 0 END;

DROP INDEX tickets_last_occurred;
DROP INDEX error_logs_created;
DROP INDEX error_logs_component;
DROP INDEX error_logs_ticket;
CREATE INDEX error_logs_ticket ON error_logs (ticket_id, id);
CREATE INDEX ticket_days_day ON ticket_days (day);
CREATE INDEX tickets_last_day ON tickets (last_day);

-- A new ticket's occurrences count on its day; capture's statements add to
-- last_day_count, and when the ticket's latest occurrence is on a later
-- day, the count before the statement is filed under last_day.
CREATE FUNCTION tickets_day() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    d BIGINT := greatest(coalesce(NEW.last_occurred_at, NEW.created_at), 0) / 86400000;
BEGIN
    IF TG_OP = 'INSERT' THEN
        NEW.last_day := d;
        NEW.last_day_count := NEW.occurrence_count;
    ELSIF NEW.last_day_count > OLD.last_day_count AND OLD.last_day IS DISTINCT FROM d THEN
        IF OLD.last_day IS NOT NULL AND OLD.last_day_count > 0 THEN
            INSERT INTO ticket_days (ticket_id, day, occurrences)
                VALUES (OLD.id, OLD.last_day, OLD.last_day_count)
                ON CONFLICT (ticket_id, day)
                DO UPDATE SET occurrences = ticket_days.occurrences + excluded.occurrences;
        END IF;
        NEW.last_day := d;
        NEW.last_day_count := NEW.last_day_count - OLD.last_day_count;
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER tickets_day_starts BEFORE INSERT ON tickets
    FOR EACH ROW EXECUTE FUNCTION tickets_day();
-- The WHEN is read without entering PL/pgSQL, so an occurrence on its
-- ticket's current day (nearly all of them) costs no function call.
CREATE TRIGGER tickets_day_rolls BEFORE UPDATE OF last_day_count ON tickets
    FOR EACH ROW
    WHEN (NEW.last_day_count > OLD.last_day_count
          AND OLD.last_day IS DISTINCT FROM
              greatest(coalesce(NEW.last_occurred_at, NEW.created_at), 0) / 86400000)
    EXECUTE FUNCTION tickets_day();
