-- Grants and the access tokens issued under them. Secrets are stored only as SHA-256 hashes.
-- The same columns as the SQLite schema (the row mapping is shared), in PostgreSQL types.
CREATE TABLE grants (
    id                    TEXT PRIMARY KEY,
    state                 TEXT NOT NULL CHECK (state IN ('pending', 'approved', 'finalized')),
    finalization          TEXT CHECK (finalization IN ('issued', 'rejected', 'revoked')),
    client_wallet_address TEXT,
    client_jwk            TEXT,
    access                TEXT NOT NULL,
    continue_id           TEXT NOT NULL UNIQUE,
    continue_token_hash   BYTEA NOT NULL,
    created_at            BIGINT NOT NULL,
    updated_at            BIGINT NOT NULL,
    CHECK ((state = 'finalized') = (finalization IS NOT NULL)),
    CHECK ((client_wallet_address IS NULL) <> (client_jwk IS NULL))
);

CREATE TABLE access_tokens (
    manage_id  TEXT PRIMARY KEY,
    grant_id   TEXT NOT NULL REFERENCES grants (id) ON DELETE CASCADE,
    value_hash BYTEA NOT NULL UNIQUE,
    status     TEXT NOT NULL CHECK (status IN ('active', 'rotated', 'revoked')),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    revoked_at BIGINT
);

CREATE INDEX access_tokens_by_grant ON access_tokens (grant_id);
CREATE INDEX access_tokens_by_expiry ON access_tokens (expires_at);
