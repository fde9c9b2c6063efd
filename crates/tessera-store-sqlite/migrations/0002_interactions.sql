-- Interactive grants: the consent step of a grant lives on the grant row (one interaction per
-- grant), and the `wait` clock of continuation.
ALTER TABLE grants ADD COLUMN last_continued_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE grants ADD COLUMN interaction_id TEXT;
ALTER TABLE grants ADD COLUMN interaction_nonce TEXT;
ALTER TABLE grants ADD COLUMN interaction_ref TEXT;
ALTER TABLE grants ADD COLUMN interaction_expires_at INTEGER;
ALTER TABLE grants ADD COLUMN finish_uri TEXT;
ALTER TABLE grants ADD COLUMN finish_nonce TEXT;
ALTER TABLE grants ADD COLUMN client_name TEXT;

CREATE UNIQUE INDEX grants_by_interaction ON grants (interaction_id) WHERE interaction_id IS NOT NULL;
