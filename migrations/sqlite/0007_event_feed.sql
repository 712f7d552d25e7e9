-- 0007_event_feed: bt_audit_feed follows every ticket's changes by event id,
-- so an id must never be given twice.  Without AUTOINCREMENT, SQLite gives
-- the largest id again once its row is deleted (with its ticket, or by a
-- purge), and a follower that had seen it would miss the next event.  The
-- table is rebuilt with AUTOINCREMENT, keeping every row and its id; its
-- columns, checks and indexes are as before.
CREATE TABLE ticket_events_0007 (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused
    ticket_id           INTEGER NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    actor               TEXT    NOT NULL,   -- 'agent:fixer-1', 'user:oncall', 'system'
    kind                TEXT    NOT NULL
                        CHECK (kind IN ('created', 'occurred', 'status_changed',
                                        'field_changed', 'assigned', 'note',
                                        'claimed', 'claim_renewed', 'claim_released',
                                        'claim_taken_over', 'resolved', 'reopened',
                                        'regressed', 'merged', 'merged_into',
                                        'imported')),
    field               TEXT,               -- for field_changed
    from_value          TEXT,
    to_value            TEXT,
    note                TEXT,
    created_at          INTEGER NOT NULL
);

INSERT INTO ticket_events_0007 (id, ticket_id, actor, kind, field, from_value, to_value, note,
                                created_at)
    SELECT id, ticket_id, actor, kind, field, from_value, to_value, note, created_at
    FROM ticket_events;

DROP TABLE ticket_events;
ALTER TABLE ticket_events_0007 RENAME TO ticket_events;

CREATE INDEX ticket_events_ticket ON ticket_events (ticket_id, created_at, id);
CREATE INDEX ticket_events_regressed ON ticket_events (created_at) WHERE kind = 'regressed';
