-- 0004_report_indexes: as migrations/sqlite/0004: partial indexes for the
-- date-bounded reports, never written by the capture hot path.
CREATE INDEX tickets_resolved ON tickets (resolved_at) WHERE resolved_at IS NOT NULL;
CREATE INDEX ticket_events_regressed ON ticket_events (created_at) WHERE kind = 'regressed';
