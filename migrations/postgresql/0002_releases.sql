-- 0002_releases: when each release was first seen (orders releases for
-- regression detection), as in migrations/sqlite/0002_releases.sql.
CREATE TABLE releases (
    name                TEXT    PRIMARY KEY,
    first_seen_at       BIGINT  NOT NULL
);
