-- 0006_crash_spool_mark: how far crash ingestion got in the spool, as in
-- migrations/sqlite/0006.
CREATE TABLE crash_spool_mark (
    id                  INTEGER PRIMARY KEY CHECK (id = 1),
    spool_dev           BIGINT  NOT NULL,
    spool_ino           BIGINT  NOT NULL,
    head_hash           TEXT    NOT NULL,
    spool_offset        BIGINT  NOT NULL
);
