-- 0010_report_days: reports read totals, not one row per ticket and day.
-- The tables of migrations/sqlite/0010_report_days.sql (see there): the
-- filed days' occurrences per UTC day and component, kept by a trigger on
-- ticket_days, which changes once per ticket and day, on a merge and when
-- a ticket goes, never per occurrence.  The row of (yesterday, C) is
-- updated by the first occurrence of each of C's tickets on a new day, so
-- those captures queue on it for the length of their statement; the hot
-- path of a ticket already counted today (land_hit_alone) does not touch it.
CREATE TABLE report_days (
    day                 BIGINT  NOT NULL,   -- days since 1970-01-01 UTC
    c                   TEXT    NOT NULL COLLATE "C",
    occurrences         BIGINT  NOT NULL,
    PRIMARY KEY (day, c)
);

INSERT INTO report_days (day, c, occurrences)
    SELECT d.day, coalesce('=' || t.component, ''), sum(d.occurrences)
    FROM ticket_days AS d JOIN tickets AS t ON t.id = d.ticket_id
    GROUP BY 1, 2;

CREATE FUNCTION report_days_add(t BIGINT, d BIGINT, n BIGINT) RETURNS void
LANGUAGE sql AS $$
    INSERT INTO report_days (day, c, occurrences)
        SELECT d, coalesce('=' || component, ''), n FROM tickets WHERE id = t
        ON CONFLICT (day, c)
        DO UPDATE SET occurrences = report_days.occurrences + excluded.occurrences;
$$;

CREATE FUNCTION ticket_days_total() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM report_days_add(OLD.ticket_id, OLD.day, -OLD.occurrences);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        PERFORM report_days_add(NEW.ticket_id, NEW.day, NEW.occurrences);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER ticket_days_total AFTER INSERT OR UPDATE OR DELETE ON ticket_days
    FOR EACH ROW EXECUTE FUNCTION ticket_days_total();

-- A ticket's days go before the ticket does, while its component is still
-- there to find (the cascade then finds none); a ticket that changes
-- component moves its filed days with it.
CREATE FUNCTION tickets_days_follow() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        DELETE FROM ticket_days WHERE ticket_id = OLD.id;
        RETURN OLD;
    END IF;
    INSERT INTO report_days (day, c, occurrences)
        SELECT day, x.c, sum(x.n) FROM (
            SELECT day, coalesce('=' || OLD.component, '') AS c, -occurrences AS n
            FROM ticket_days WHERE ticket_id = OLD.id
            UNION ALL
            SELECT day, coalesce('=' || NEW.component, ''), occurrences
            FROM ticket_days WHERE ticket_id = NEW.id) AS x
        GROUP BY day, x.c
        ON CONFLICT (day, c)
        DO UPDATE SET occurrences = report_days.occurrences + excluded.occurrences;
    RETURN NULL;
END
$$;

CREATE TRIGGER tickets_days_go BEFORE DELETE ON tickets
    FOR EACH ROW EXECUTE FUNCTION tickets_days_follow();
CREATE TRIGGER tickets_days_move AFTER UPDATE OF component ON tickets
    FOR EACH ROW WHEN (OLD.component IS DISTINCT FROM NEW.component)
    EXECUTE FUNCTION tickets_days_follow();

-- A range's filed days are read by day with their counts in the index.
DROP INDEX ticket_days_day;
CREATE INDEX ticket_days_day ON ticket_days (day, occurrences, ticket_id);
