-- OAuth 2.0: clients, token families (one per authorization), access and refresh tokens,
-- authorization-code requests, the sealing key, and an audit trail. Secrets only as hashes.
CREATE TABLE oauth_clients (
    id             TEXT PRIMARY KEY NOT NULL,
    name           TEXT NOT NULL,
    kind           TEXT NOT NULL CHECK (kind IN ('confidential', 'public')),
    secret_hash    BLOB,
    redirect_uris  TEXT NOT NULL,
    grant_types    TEXT NOT NULL,
    scope          TEXT NOT NULL,
    may_introspect INTEGER NOT NULL,
    created_at     INTEGER NOT NULL,
    CHECK ((kind = 'confidential') = (secret_hash IS NOT NULL))
);

CREATE TABLE oauth_families (
    id         TEXT PRIMARY KEY NOT NULL,
    client_id  TEXT NOT NULL REFERENCES oauth_clients (id) ON DELETE CASCADE,
    subject    TEXT NOT NULL,
    scope      TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
);
CREATE INDEX oauth_families_by_client ON oauth_families (client_id);
CREATE INDEX oauth_families_by_subject ON oauth_families (subject);

CREATE TABLE oauth_access_tokens (
    hash       BLOB PRIMARY KEY NOT NULL,
    family_id  TEXT NOT NULL REFERENCES oauth_families (id) ON DELETE CASCADE,
    scope      TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    revoked_at INTEGER
);
CREATE INDEX oauth_access_tokens_by_family ON oauth_access_tokens (family_id);
CREATE INDEX oauth_access_tokens_by_expiry ON oauth_access_tokens (expires_at);

CREATE TABLE oauth_refresh_tokens (
    hash             BLOB PRIMARY KEY NOT NULL,
    family_id        TEXT NOT NULL REFERENCES oauth_families (id) ON DELETE CASCADE,
    access_hash      BLOB NOT NULL,
    state            TEXT NOT NULL CHECK (state IN ('active', 'used', 'revoked')),
    created_at       INTEGER NOT NULL,
    expires_at       INTEGER NOT NULL,
    idle_expires_at  INTEGER NOT NULL,
    used_at          INTEGER,
    successor_hash   BLOB,
    successor_sealed BLOB
);
CREATE INDEX oauth_refresh_tokens_by_family ON oauth_refresh_tokens (family_id);

CREATE TABLE oauth_authorizations (
    id              TEXT PRIMARY KEY NOT NULL,
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
    code_hash       BLOB UNIQUE,
    code_expires_at INTEGER,
    created_at      INTEGER NOT NULL,
    expires_at      INTEGER NOT NULL
);

CREATE TABLE server_keys (
    name  TEXT PRIMARY KEY NOT NULL,
    value BLOB NOT NULL
);

CREATE TABLE audit_events (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    at         INTEGER NOT NULL,
    kind       TEXT NOT NULL,
    protocol   TEXT NOT NULL,
    client     TEXT,
    subject    TEXT,
    reference  TEXT
);
CREATE INDEX audit_events_by_time ON audit_events (at);
