-- 0005_crash_records: crash spool records already ingested, by a hash of
-- their bytes.  Claimed in the same transaction that stores the record's
-- occurrence, so ingestion is exactly-once across crashes and processes
-- (see lib/crash_ingest.c).  A row is a few dozen bytes per crash.
CREATE TABLE crash_records (
    record_hash         TEXT    PRIMARY KEY,
    ingested_at         INTEGER NOT NULL
) WITHOUT ROWID;
