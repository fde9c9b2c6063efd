//! The OAuth tables on PostgreSQL, through the statements of
//! [`tessera_store_sql::oauth_store!`] (SQLite runs the same ones), with PostgreSQL's row locks.
//!
//! Of simultaneous refreshes of one refresh token, on any nodes, exactly one wins: each first
//! share-locks the token's family (so a revocation of the family cannot miss the successor),
//! then runs one conditional `UPDATE ... WHERE state = 'active' AND expires_at > now AND
//! idle_expires_at > now AND` the family is live. The first takes the token's row lock; the
//! others wait for its commit, re-check the condition on the committed row (PostgreSQL's
//! read-committed rule for updates), find the token used and change nothing (`NotLive`), and
//! the token endpoint then answers them from the sealed successor (grace) or revokes the family
//! as a reuse. The sealing key is inserted with `ON CONFLICT DO NOTHING` and read back, so
//! nodes starting at once agree on the first one stored.

use crate::{PostgresStore, SERIALIZE_AUDIT};

tessera_store_sql::oauth_store! {
    store: PostgresStore,
    connection: sqlx::PgConnection,
    write: pool,
    read: pool,
    store_error: crate::errors::store_error,
    share_lock: " FOR SHARE",
    serialize_audit: SERIALIZE_AUDIT,
}
