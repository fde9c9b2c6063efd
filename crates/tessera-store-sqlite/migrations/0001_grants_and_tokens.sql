-- Grants and the access tokens issued under them. Secrets are stored only as SHA-256 hashes.
CREATE TABLE grants (
    id                    TEXT PRIMARY KEY NOT NULL,
    state                 TEXT NOT NULL CHECK (state IN ('pending', 'approved', 'finalized')),
    finalization          TEXT CHECK (finalization IN ('issued', 'rejected', 'revoked')),
    client_wallet_address TEXT,
    client_jwk            TEXT,
    access                TEXT NOT NULL,
    continue_id           TEXT NOT NULL UNIQUE,
    continue_token_hash   BLOB NOT NULL,
    created_at            INTEGER NOT NULL,
    updated_at            INTEGER NOT NULL,
    CHECK ((state = 'finalized') = (finalization IS NOT NULL)),
    CHECK ((client_wallet_address IS NULL) <> (client_jwk IS NULL))
);

CREATE TABLE access_tokens (
    manage_id  TEXT PRIMARY KEY NOT NULL,
    grant_id   TEXT NOT NULL REFERENCES grants (id) ON DELETE CASCADE,
    value_hash BLOB NOT NULL UNIQUE,
    status     TEXT NOT NULL CHECK (status IN ('active', 'rotated', 'revoked')),
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    revoked_at INTEGER
);

CREATE INDEX access_tokens_by_grant ON access_tokens (grant_id);
CREATE INDEX access_tokens_by_expiry ON access_tokens (expires_at);
