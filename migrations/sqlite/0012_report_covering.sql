-- 0012_report_covering: reports read no ticket row, and a listing by last
-- occurrence takes its order from an index.
--
-- tickets_last_day (0009) gave the days; a report then read each ticket
-- row of its range for last_day_count and component, and the listing by
-- last occurrence read each row for its time.  Those reads land all over
-- the table, one page per ticket: 100k tickets took 0.3 s for the sum of
-- their current days alone.  The index now holds what they read, so each
-- reads the index only.  Capture sets last_day_count and last_occurred_at,
-- so it now rewrites this one index entry per ticket and statement (0009
-- took such writes out of capture; this one pays for itself: every
-- report and the default listing read it).  bench/bench_capture.c and
-- bench/bench_report.c measure both sides.
--
-- tickets_created and tickets_component gain the columns the component
-- and daily reports count by; capture never sets either.
DROP INDEX tickets_last_day;
CREATE INDEX tickets_last_day ON tickets
    (last_day, coalesce(last_occurred_at, created_at), last_day_count, component);
-- Merged duplicates have no day; the listing gives them newest first,
-- which tickets_last_day's NULL entries no longer are (they sort by the
-- columns after last_day first).  Written only when a ticket merges (or
-- is imported merged).
CREATE INDEX tickets_undated ON tickets (last_day) WHERE last_day IS NULL;
DROP INDEX tickets_created;
CREATE INDEX tickets_created ON tickets (created_at, component);
DROP INDEX tickets_component;
CREATE INDEX tickets_component ON tickets (component, status, created_at);
