-- 0005_crash_records: crash spool records already ingested, by a hash of
-- their bytes; claimed in the transaction that stores the occurrence, so
-- ingestion is exactly-once across processes and hosts.
CREATE TABLE crash_records (
    record_hash         TEXT    PRIMARY KEY,
    ingested_at         BIGINT  NOT NULL
);
