-- 0006_crash_spool_mark: how far crash ingestion got in the spool, so that
-- an open does not read again what it already stored (a live process with
-- the handler keeps the spool, and every bt_open used to re-read all of
-- it).  One row: the spool file (device and inode, and a hash of its first
-- bytes, since an inode number is reused once the file is removed) and the
-- byte offset up to which every record is stored.  Advanced in the same
-- transaction that stores the records (see lib/crash_ingest.c).
CREATE TABLE crash_spool_mark (
    id                  INTEGER PRIMARY KEY CHECK (id = 1),
    spool_dev           INTEGER NOT NULL,
    spool_ino           INTEGER NOT NULL,
    head_hash           TEXT    NOT NULL,
    spool_offset        INTEGER NOT NULL
);
