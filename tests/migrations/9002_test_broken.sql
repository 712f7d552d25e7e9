-- Test-only: a migration that fails half-way; none of it may remain.
CREATE TABLE half_done (id INTEGER);
INSERT INTO no_such_table VALUES (1);
