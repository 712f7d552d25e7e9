-- 0004_report_indexes: the date-bounded reports (bt_aggregate_iter_new)
-- count tickets resolved in a range and regressions in a range.  Both
-- indexes are partial, so the capture hot path never writes them: an
-- occurrence does not touch resolved_at, and only 'regressed' events (a
-- resolved ticket coming back) enter ticket_events_regressed.
CREATE INDEX tickets_resolved ON tickets (resolved_at) WHERE resolved_at IS NOT NULL;
CREATE INDEX ticket_events_regressed ON ticket_events (created_at) WHERE kind = 'regressed';
