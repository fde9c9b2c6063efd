-- Interactive grants: the consent step of a grant lives on the grant row (one interaction per
-- grant), and the `wait` clock of continuation. The same columns as SQLite's (the row mapping is
-- shared), in PostgreSQL types.
ALTER TABLE grants
    ADD COLUMN last_continued_at      BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN interaction_id         TEXT,
    ADD COLUMN interaction_nonce      TEXT,
    ADD COLUMN interaction_ref        TEXT,
    ADD COLUMN interaction_expires_at BIGINT,
    ADD COLUMN finish_uri             TEXT,
    ADD COLUMN finish_nonce           TEXT,
    ADD COLUMN client_name            TEXT;

CREATE UNIQUE INDEX grants_by_interaction ON grants (interaction_id) WHERE interaction_id IS NOT NULL;
