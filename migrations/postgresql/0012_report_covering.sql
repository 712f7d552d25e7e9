-- 0012_report_covering: the component and daily reports count new and open
-- tickets from indexes alone, as in migrations/sqlite/0012.  Unlike SQLite,
-- tickets_last_day keeps to last_day: an index on last_day_count or
-- last_occurred_at would end the HOT updates that keep an occurrence from
-- writing any index here (0009, 0011).
DROP INDEX tickets_created;
CREATE INDEX tickets_created ON tickets (created_at, component);
DROP INDEX tickets_component;
CREATE INDEX tickets_component ON tickets (component, status, created_at);
