-- 0008_api_tokens: the bearer tokens a front end (bugtrackd) checks before
-- it acts for a remote caller (lib/auth/token.c).  A token is shown once
-- and kept only as the SHA-256 of its whole text (lowercase hex), so a copy
-- of the database gives no working token.  A token is found by that hash
-- (unique); a name belongs to one live token at a time, and a revoked
-- token's row stays (its name may be given again).  scopes is a bit mask of
-- bt_token_scope (read 1, agent 2, ingest 4, admin 8).  last_used_at is
-- the last check's minute, written at most once a minute.
CREATE TABLE api_tokens (
    id                  INTEGER PRIMARY KEY,
    name                TEXT    NOT NULL CHECK (length(name) BETWEEN 1 AND 64),
    token_hash          TEXT    NOT NULL CHECK (length(token_hash) = 64),
    scopes              INTEGER NOT NULL CHECK (scopes BETWEEN 1 AND 15),
    created_at          INTEGER NOT NULL,
    last_used_at        INTEGER,
    revoked_at          INTEGER
);

CREATE UNIQUE INDEX api_tokens_hash ON api_tokens (token_hash);
CREATE UNIQUE INDEX api_tokens_live_name ON api_tokens (name) WHERE revoked_at IS NULL;
