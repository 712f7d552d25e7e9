-- 0011_sort_indexes: every order a listing sorts by reads an index, as in
-- migrations/sqlite/0011 (whose comment explains the design).  PostgreSQL
-- sets count_floor in a BEFORE trigger, entered only when the floor
-- changes; otherwise an occurrence still changes no indexed column, so
-- its update stays a HOT update.
ALTER TABLE tickets ADD COLUMN count_floor BIGINT NOT NULL DEFAULT 1;

UPDATE tickets SET count_floor =
    CAST(substr(occurrence_count::text, 1, 1)
         || substr('000000000000000000', 1, length(occurrence_count::text) - 1) AS BIGINT);

CREATE INDEX tickets_count_floor ON tickets (count_floor, id);
CREATE INDEX tickets_severity_rank ON tickets
    ((CASE severity WHEN 'low' THEN 1 WHEN 'medium' THEN 2 WHEN 'high' THEN 3 ELSE 4 END), id);

CREATE FUNCTION tickets_count_floor() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.count_floor := CAST(substr(NEW.occurrence_count::text, 1, 1)
        || substr('000000000000000000', 1, length(NEW.occurrence_count::text) - 1) AS BIGINT);
    RETURN NEW;
END
$$;

CREATE TRIGGER tickets_count_floor_starts BEFORE INSERT ON tickets
    FOR EACH ROW
    WHEN (NEW.count_floor <> CAST(substr(NEW.occurrence_count::text, 1, 1)
          || substr('000000000000000000', 1, length(NEW.occurrence_count::text) - 1) AS BIGINT))
    EXECUTE FUNCTION tickets_count_floor();
CREATE TRIGGER tickets_count_floor_moves BEFORE UPDATE OF occurrence_count ON tickets
    FOR EACH ROW
    WHEN (NEW.count_floor <> CAST(substr(NEW.occurrence_count::text, 1, 1)
          || substr('000000000000000000', 1, length(NEW.occurrence_count::text) - 1) AS BIGINT))
    EXECUTE FUNCTION tickets_count_floor();
