-- OAuth 2.0: clients, token families (one per authorization), access and refresh tokens,
-- authorization-code requests, the sealing key, and an audit trail. Secrets only as hashes.
-- The same tables and columns as SQLite's (the row mapping is shared), in PostgreSQL types.
CREATE TABLE oauth_clients (
    id             TEXT PRIMARY KEY,
    name           TEXT NOT NULL,
    kind           TEXT NOT NULL CHECK (kind IN ('confidential', 'public')),
    secret_hash    BYTEA,
    redirect_uris  TEXT NOT NULL,
    grant_types    TEXT NOT NULL,
    scope          TEXT NOT NULL,
    may_introspect BOOLEAN NOT NULL,
    created_at     BIGINT NOT NULL,
    CHECK ((kind = 'confidential') = (secret_hash IS NOT NULL))
);

CREATE TABLE oauth_families (
    id         TEXT PRIMARY KEY,
    client_id  TEXT NOT NULL REFERENCES oauth_clients (id) ON DELETE CASCADE,
    subject    TEXT NOT NULL,
    scope      TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE INDEX oauth_families_by_client ON oauth_families (client_id);
CREATE INDEX oauth_families_by_subject ON oauth_families (subject);

CREATE TABLE oauth_access_tokens (
    hash       BYTEA PRIMARY KEY,
    family_id  TEXT NOT NULL REFERENCES oauth_families (id) ON DELETE CASCADE,
    scope      TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE INDEX oauth_access_tokens_by_family ON oauth_access_tokens (family_id);
CREATE INDEX oauth_access_tokens_by_expiry ON oauth_access_tokens (expires_at);

CREATE TABLE oauth_refresh_tokens (
    hash             BYTEA PRIMARY KEY,
    family_id        TEXT NOT NULL REFERENCES oauth_families (id) ON DELETE CASCADE,
    access_hash      BYTEA NOT NULL,
    state            TEXT NOT NULL CHECK (state IN ('active', 'used', 'revoked')),
    created_at       BIGINT NOT NULL,
    expires_at       BIGINT NOT NULL,
    idle_expires_at  BIGINT NOT NULL,
    used_at          BIGINT,
    successor_hash   BYTEA,
    successor_sealed BYTEA
);
CREATE INDEX oauth_refresh_tokens_by_family ON oauth_refresh_tokens (family_id);

CREATE TABLE oauth_authorizations (
    id              TEXT PRIMARY KEY,
    interaction_id  TEXT NOT NULL UNIQUE,
    nonce           TEXT NOT NULL,
    client_id       TEXT NOT NULL REFERENCES oauth_clients (id) ON DELETE CASCADE,
    redirect_uri    TEXT NOT NULL,
    scope           TEXT NOT NULL,
    state           TEXT,
    code_challenge  TEXT,
    status          TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'rejected', 'issued')),
    subject         TEXT,
    family_id       TEXT,
    code_hash       BYTEA UNIQUE,
    code_expires_at BIGINT,
    created_at      BIGINT NOT NULL,
    expires_at      BIGINT NOT NULL
);

CREATE TABLE server_keys (
    name  TEXT PRIMARY KEY,
    value BYTEA NOT NULL
);

-- Ids follow commit order: writers serialise on an advisory lock from the insert to the commit
-- (see the crate documentation).
CREATE TABLE audit_events (
    id        BIGSERIAL PRIMARY KEY,
    at        BIGINT NOT NULL,
    kind      TEXT NOT NULL,
    protocol  TEXT NOT NULL,
    client    TEXT,
    subject   TEXT,
    reference TEXT
);
CREATE INDEX audit_events_by_time ON audit_events (at);
