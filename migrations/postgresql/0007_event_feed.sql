-- 0007_event_feed: on SQLite this rebuilds ticket_events so that an event id
-- is never given twice.  Here ticket_events.id is an identity from 0001,
-- which never gives an id twice, so the version is recorded with nothing to
-- change: a schema version means the same on every backend.
SELECT 1;
