-- Test-only: a later migration that alters a table holding rows.
ALTER TABLE tickets ADD COLUMN test_label TEXT NOT NULL DEFAULT 'unlabelled';
CREATE TABLE test_only (id INTEGER PRIMARY KEY, note TEXT);
