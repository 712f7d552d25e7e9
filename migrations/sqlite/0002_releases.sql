-- 0002_releases: when each release was first seen.  This orders releases
-- for regression detection: a recurrence from a release older than the one
-- a ticket was resolved in is counted but does not reopen the ticket.
CREATE TABLE releases (
    name                TEXT    PRIMARY KEY,
    first_seen_at       INTEGER NOT NULL
) WITHOUT ROWID;
