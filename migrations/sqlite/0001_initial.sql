-- 0001_initial: the whole product's first schema.
--
-- Conventions:
--  * Every timestamp is INTEGER milliseconds since the Unix epoch, UTC
--    (columns end in _at).  Integers compare, sort and subtract exactly;
--    format them with strftime('%Y-%m-%dT%H:%M:%fZ', x / 1000.0, 'unixepoch').
--  * Every enum column has a CHECK constraint listing its values.
--  * JSON columns hold valid JSON or NULL.
--  * Released migrations are never edited: add a new one instead.

-- One row per distinct error (or hand-filed report).
CREATE TABLE tickets (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused
    number              TEXT GENERATED ALWAYS AS (printf('BUG-%05d', id)) VIRTUAL,
    title               TEXT    NOT NULL CHECK (length(title) > 0),
    description         TEXT,
    severity            TEXT    NOT NULL DEFAULT 'medium'
                        CHECK (severity IN ('critical', 'high', 'medium', 'low')),
    priority            TEXT    NOT NULL DEFAULT 'medium'
                        CHECK (priority IN ('urgent', 'high', 'medium', 'low')),
    status              TEXT    NOT NULL DEFAULT 'new'
                        CHECK (status IN ('new', 'triaged', 'in_progress',
                                          'awaiting_verification', 'resolved', 'closed')),
    category            TEXT,
    component           TEXT,
    source              TEXT    NOT NULL DEFAULT 'system'
                        CHECK (source IN ('user', 'agent', 'system')),
    reporter            TEXT,
    assignee            TEXT,

    -- Grouping.  dedup_active marks the one ticket a fingerprint lands on;
    -- it is cleared when the ticket leaves grouping (its dedup window
    -- expired, or it was merged into another), which frees the fingerprint
    -- for the UPSERT on tickets_dedup without losing history.
    fingerprint         TEXT,
    dedup_active        INTEGER NOT NULL DEFAULT 1 CHECK (dedup_active IN (0, 1)),
    grouping_version    INTEGER,         -- version of the fingerprint algorithm
    grouping_input      TEXT,            -- the text that was hashed (or crash frames)

    error_type          TEXT,
    error_message       TEXT,
    stack_trace         TEXT,            -- of the first occurrence

    occurrence_count    INTEGER NOT NULL DEFAULT 1 CHECK (occurrence_count >= 0),
    first_occurred_at   INTEGER,
    last_occurred_at    INTEGER,
    regression_count    INTEGER NOT NULL DEFAULT 0 CHECK (regression_count >= 0),

    -- Context of the first occurrence (later ones are in error_logs).
    service             TEXT,
    host                TEXT,
    environment         TEXT,
    release_sha         TEXT,
    trace_id            TEXT,
    request_id          TEXT,
    context             TEXT CHECK (context IS NULL OR json_valid(context)),

    -- Resolution.  resolved_release is the host release that was running
    -- when the ticket was resolved: a recurrence from an older release is
    -- counted but does not reopen the ticket.
    resolution_notes    TEXT,
    resolution_commit   TEXT,
    resolved_by         TEXT,
    resolved_release    TEXT,

    -- Automation: claims are leases; claim_token is a secret held by the
    -- claimant, so claim fields are set and cleared together.
    automation_attempts INTEGER NOT NULL DEFAULT 0 CHECK (automation_attempts >= 0),
    claimed_by          TEXT,
    claim_token         TEXT,
    claimed_at          INTEGER,
    claim_expires_at    INTEGER,

    version             INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1),  -- optimistic locking
    duplicate_of        INTEGER REFERENCES tickets (id) ON DELETE SET NULL,
    external_id         TEXT,            -- report_id of an imported legacy report

    created_at          INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL,
    resolved_at         INTEGER,
    sla_due_at          INTEGER,

    CHECK (duplicate_of IS NULL OR duplicate_of <> id),
    CHECK ((claimed_by IS NULL) = (claim_token IS NULL)),
    CHECK ((claim_token IS NULL) = (claim_expires_at IS NULL)),
    CHECK (last_occurred_at IS NULL OR first_occurred_at IS NULL
           OR last_occurred_at >= first_occurred_at),
    CHECK (updated_at >= created_at)
);

CREATE UNIQUE INDEX tickets_number ON tickets (number);
-- At most one ticket per fingerprint takes new occurrences: the conflict
-- target of the capture UPSERT.
CREATE UNIQUE INDEX tickets_dedup ON tickets (fingerprint)
    WHERE dedup_active = 1 AND fingerprint IS NOT NULL;
CREATE INDEX tickets_fingerprint ON tickets (fingerprint);
CREATE UNIQUE INDEX tickets_external_id ON tickets (external_id)
    WHERE external_id IS NOT NULL;
CREATE INDEX tickets_status_last ON tickets (status, last_occurred_at);
CREATE INDEX tickets_last_occurred ON tickets (last_occurred_at);
CREATE INDEX tickets_created ON tickets (created_at);
CREATE INDEX tickets_component ON tickets (component, status);
CREATE INDEX tickets_trace ON tickets (trace_id) WHERE trace_id IS NOT NULL;
CREATE INDEX tickets_duplicate_of ON tickets (duplicate_of) WHERE duplicate_of IS NOT NULL;

-- Every captured log line at or above the store threshold.
CREATE TABLE error_logs (
    id                  INTEGER PRIMARY KEY,
    ticket_id           INTEGER REFERENCES tickets (id) ON DELETE CASCADE,
    level               INTEGER NOT NULL CHECK (level IN (10, 20, 30, 40, 50)),
    component           TEXT    NOT NULL,
    message             TEXT    NOT NULL,
    message_template    TEXT,            -- printf format, or normalized message
    fingerprint         TEXT,
    error_type          TEXT,
    error_code          INTEGER,         -- errno or a host error code
    file                TEXT,
    line                INTEGER CHECK (line IS NULL OR line >= 0),
    function            TEXT,
    stack_trace         TEXT,
    context             TEXT CHECK (context IS NULL OR json_valid(context)),
    trace_id            TEXT,
    request_id          TEXT,
    service             TEXT,
    host                TEXT,
    pid                 INTEGER,
    environment         TEXT,
    release_sha         TEXT,
    created_at          INTEGER NOT NULL
);

CREATE INDEX error_logs_ticket ON error_logs (ticket_id, created_at);
CREATE INDEX error_logs_created ON error_logs (created_at);
CREATE INDEX error_logs_component ON error_logs (component, created_at);
CREATE INDEX error_logs_trace ON error_logs (trace_id) WHERE trace_id IS NOT NULL;

-- The audit trail: one row per change of any ticket field, written in the
-- same transaction as the change.
CREATE TABLE ticket_events (
    id                  INTEGER PRIMARY KEY,
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

CREATE INDEX ticket_events_ticket ON ticket_events (ticket_id, created_at, id);

-- Fingerprints that land on a ticket other than the one that first had
-- them: after B is merged into A, B's fingerprint maps to A here.
CREATE TABLE fingerprint_aliases (
    fingerprint         TEXT    PRIMARY KEY,
    ticket_id           INTEGER NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    created_at          INTEGER NOT NULL
) WITHOUT ROWID;

CREATE INDEX fingerprint_aliases_ticket ON fingerprint_aliases (ticket_id);

-- Named counters that must survive restarts, such as events dropped by a
-- full async queue.
CREATE TABLE counters (
    name                TEXT    PRIMARY KEY,
    value               INTEGER NOT NULL DEFAULT 0,
    updated_at          INTEGER NOT NULL
) WITHOUT ROWID;
