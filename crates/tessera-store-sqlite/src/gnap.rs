//! Grants, GNAP access tokens and the audit trail on SQLite. The statements are those of the
//! shared PostgreSQL store (`tessera_store_sql::gnap_store!`) less its row locks: with one
//! writer, nothing runs beside a change, and audit event ids follow commit order.

use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension, params};
use tessera_core::UnixTime;
use tessera_core::audit::{AuditEvent, AuditStore};
use tessera_core::grant::{Decision, Grant};
use tessera_core::secret::TokenHash;
use tessera_core::store::{GrantStore, StoreError, TokenStore};
use tessera_core::token::{NewAccessToken, TokenWithGrant};
use tessera_store_sql::rows::{GrantRow, state_words};
use tessera_store_sql::{IntoDomain, changed_one};

use crate::SqliteStore;
use crate::errors::sqlite_error;
use crate::rows;

/// `sqlite_error` for `map_err`, which passes the error by value.
pub(crate) fn db(e: rusqlite::Error) -> StoreError {
    sqlite_error(&e)
}

/// Runs a cached statement that changes rows; returns how many.
pub(crate) fn change(
    conn: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
) -> Result<u64, StoreError> {
    let changed = conn
        .prepare_cached(sql)
        .map_err(db)?
        .execute(params)
        .map_err(db)?;
    Ok(changed as u64)
}

/// The row `sql` selects, if any, read by `read` and turned into its domain value.
pub(crate) fn find<R: IntoDomain>(
    conn: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
    read: fn(&rusqlite::Row<'_>) -> rusqlite::Result<R>,
) -> Result<Option<R::Domain>, StoreError> {
    let row = conn
        .prepare_cached(sql)
        .map_err(db)?
        .query_row(params, read)
        .optional()
        .map_err(db)?;
    row.map(R::into_domain).transpose()
}

fn insert_token(conn: &Connection, token: &NewAccessToken) -> Result<(), StoreError> {
    change(
        conn,
        "INSERT INTO access_tokens \
         (manage_id, grant_id, value_hash, status, created_at, expires_at) \
         VALUES (?1, ?2, ?3, 'active', ?4, ?5)",
        params![
            token.manage_id,
            token.grant_id,
            token.value_hash.as_bytes(),
            token.created_at.0,
            token.expires_at.0
        ],
    )?;
    Ok(())
}

fn audit_grant(
    conn: &Connection,
    kind: &str,
    grant_id: &str,
    now: UnixTime,
) -> Result<(), StoreError> {
    change(
        conn,
        "INSERT INTO audit_events (at, kind, protocol, client, reference) \
         SELECT ?1, ?2, 'gnap', COALESCE(client_wallet_address, 'jwk client'), id \
         FROM grants WHERE id = ?3",
        params![now.0, kind, grant_id],
    )?;
    Ok(())
}

#[async_trait]
impl GrantStore for SqliteStore {
    async fn create_grant(
        &self,
        grant: &Grant,
        token: Option<&NewAccessToken>,
    ) -> Result<(), StoreError> {
        let row = GrantRow::from_domain(grant)?;
        let token = token.cloned();
        self.engine
            .write(move |conn| {
                change(
                    conn,
                    "INSERT INTO grants (id, state, finalization, client_wallet_address, \
                     client_jwk, access, continue_id, continue_token_hash, created_at, \
                     updated_at, last_continued_at, interaction_id, interaction_nonce, \
                     interaction_ref, interaction_expires_at, finish_uri, finish_nonce, \
                     client_name) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9, ?10, ?11, \
                     ?12, ?13, ?14, ?15, ?16, ?17)",
                    params![
                        row.id,
                        row.state,
                        row.finalization,
                        row.client_wallet_address,
                        row.client_jwk,
                        row.access,
                        row.continue_id,
                        row.continue_token_hash,
                        row.created_at,
                        row.last_continued_at,
                        row.interaction_id,
                        row.interaction_nonce,
                        row.interaction_ref,
                        row.interaction_expires_at,
                        row.finish_uri,
                        row.finish_nonce,
                        row.client_name
                    ],
                )?;
                if let Some(token) = &token {
                    insert_token(conn, token)?;
                }
                let kind = if token.is_some() {
                    "grant_issued"
                } else {
                    "grant_requested"
                };
                audit_grant(conn, kind, &row.id, UnixTime(row.created_at))
            })
            .await
    }

    async fn grant_by_continue_id(&self, continue_id: &str) -> Result<Option<Grant>, StoreError> {
        const SQL: &str = concat!(
            "SELECT ",
            tessera_store_sql::grant_columns!(),
            " FROM grants g WHERE g.continue_id = ?1"
        );
        let continue_id = continue_id.to_owned();
        self.engine
            .read(move |conn| find(conn, SQL, [continue_id], |r| rows::grant(r, 0)))
            .await
    }

    async fn grant_by_interaction_id(
        &self,
        interaction_id: &str,
    ) -> Result<Option<Grant>, StoreError> {
        const SQL: &str = concat!(
            "SELECT ",
            tessera_store_sql::grant_columns!(),
            " FROM grants g WHERE g.interaction_id = ?1"
        );
        let interaction_id = interaction_id.to_owned();
        self.engine
            .read(move |conn| find(conn, SQL, [interaction_id], |r| rows::grant(r, 0)))
            .await
    }

    async fn decide_grant(
        &self,
        grant_id: &str,
        decision: Decision,
        now: UnixTime,
    ) -> Result<(), StoreError> {
        let (state, finalization) = state_words(decision.resulting_state());
        let grant_id = grant_id.to_owned();
        self.engine
            .write(move |conn| {
                changed_one(change(
                    conn,
                    "UPDATE grants SET state = ?1, finalization = ?2, updated_at = ?3 \
                     WHERE id = ?4 AND state = 'pending'",
                    params![state, finalization, now.0, grant_id],
                )?)?;
                let kind = match decision {
                    Decision::Accept => "grant_approved",
                    Decision::Reject => "grant_rejected",
                };
                audit_grant(conn, kind, &grant_id, now)
            })
            .await
    }

    async fn issue_approved_grant(
        &self,
        grant_id: &str,
        token: &NewAccessToken,
        now: UnixTime,
    ) -> Result<(), StoreError> {
        let grant_id = grant_id.to_owned();
        let token = token.clone();
        self.engine
            .write(move |conn| {
                changed_one(change(
                    conn,
                    "UPDATE grants SET state = 'finalized', finalization = 'issued', \
                     updated_at = ?1, last_continued_at = ?1 \
                     WHERE id = ?2 AND state = 'approved'",
                    params![now.0, grant_id],
                )?)?;
                insert_token(conn, &token)?;
                audit_grant(conn, "grant_issued", &grant_id, now)
            })
            .await
    }

    async fn record_continuation(
        &self,
        grant_id: &str,
        previous: UnixTime,
        now: UnixTime,
    ) -> Result<(), StoreError> {
        let grant_id = grant_id.to_owned();
        self.engine
            .write(move |conn| {
                changed_one(change(
                    conn,
                    "UPDATE grants SET last_continued_at = ?1, updated_at = ?1 \
                     WHERE id = ?2 AND last_continued_at = ?3",
                    params![now.0, grant_id, previous.0],
                )?)
            })
            .await
    }

    async fn revoke_grant(&self, grant_id: &str, now: UnixTime) -> Result<bool, StoreError> {
        let grant_id = grant_id.to_owned();
        self.engine
            .write(move |conn| {
                let revoked = change(
                    conn,
                    "UPDATE grants SET state = 'finalized', finalization = 'revoked', \
                     updated_at = ?1 WHERE id = ?2 AND finalization IS DISTINCT FROM 'revoked'",
                    params![now.0, grant_id],
                )? == 1;
                change(
                    conn,
                    "UPDATE access_tokens SET status = 'revoked', revoked_at = ?1 \
                     WHERE grant_id = ?2 AND status = 'active'",
                    params![now.0, grant_id],
                )?;
                if revoked {
                    audit_grant(conn, "grant_revoked", &grant_id, now)?;
                }
                Ok(revoked)
            })
            .await
    }
}

#[async_trait]
impl TokenStore for SqliteStore {
    async fn token_by_manage_id(
        &self,
        manage_id: &str,
    ) -> Result<Option<TokenWithGrant>, StoreError> {
        const SQL: &str = concat!(
            tessera_store_sql::token_with_grant!(),
            "WHERE t.manage_id = ?1"
        );
        let manage_id = manage_id.to_owned();
        self.engine
            .read(move |conn| find(conn, SQL, [manage_id], rows::token_with_grant))
            .await
    }

    async fn token_by_hash(&self, hash: &TokenHash) -> Result<Option<TokenWithGrant>, StoreError> {
        const SQL: &str = concat!(
            tessera_store_sql::token_with_grant!(),
            "WHERE t.value_hash = ?1"
        );
        let hash = *hash;
        self.engine
            .read(move |conn| find(conn, SQL, [hash.as_bytes()], rows::token_with_grant))
            .await
    }

    async fn rotate_access_token(
        &self,
        old_manage_id: &str,
        new: &NewAccessToken,
        now: UnixTime,
    ) -> Result<(), StoreError> {
        let old_manage_id = old_manage_id.to_owned();
        let new = new.clone();
        self.engine
            .write(move |conn| {
                // One statement retires the old token, if it is active and its grant not
                // revoked; the new one is inserted only if that changed a row. (`EXISTS`, not
                // `grant_id IN (SELECT ...)`, which SQLite may plan as a scan of all grants.)
                changed_one(change(
                    conn,
                    "UPDATE access_tokens SET status = 'rotated', revoked_at = ?1 \
                     WHERE manage_id = ?2 AND status = 'active' AND EXISTS \
                     (SELECT 1 FROM grants g WHERE g.id = access_tokens.grant_id \
                     AND g.finalization IS DISTINCT FROM 'revoked')",
                    params![now.0, old_manage_id],
                )?)?;
                insert_token(conn, &new)?;
                audit_grant(conn, "token_rotated", &new.grant_id, now)
            })
            .await
    }

    async fn revoke_access_token(&self, manage_id: &str, now: UnixTime) -> Result<(), StoreError> {
        let manage_id = manage_id.to_owned();
        self.engine
            .write(move |conn| {
                let grant_id: Option<String> = conn
                    .prepare_cached(
                        "UPDATE access_tokens SET status = 'revoked', revoked_at = ?1 \
                         WHERE manage_id = ?2 AND status = 'active' RETURNING grant_id",
                    )
                    .map_err(db)?
                    .query_row(params![now.0, manage_id], |r| r.get(0))
                    .optional()
                    .map_err(db)?;
                match grant_id {
                    Some(grant_id) => audit_grant(conn, "token_revoked", &grant_id, now),
                    None => Ok(()),
                }
            })
            .await
    }

    async fn sweep_expired_tokens(
        &self,
        expired_before: UnixTime,
        batch: u32,
    ) -> Result<u64, StoreError> {
        self.engine
            .write(move |conn| {
                change(
                    conn,
                    "DELETE FROM access_tokens WHERE manage_id IN \
                     (SELECT manage_id FROM access_tokens WHERE expires_at < ?1 LIMIT ?2)",
                    params![expired_before.0, i64::from(batch)],
                )
            })
            .await
    }
}

#[async_trait]
impl AuditStore for SqliteStore {
    async fn audit_events(&self, after: i64, limit: u32) -> Result<Vec<AuditEvent>, StoreError> {
        self.engine
            .read(move |conn| {
                let mut statement = conn
                    .prepare_cached(
                        "SELECT id, at, kind, protocol, client, subject, reference \
                         FROM audit_events WHERE id > ?1 ORDER BY id LIMIT ?2",
                    )
                    .map_err(db)?;
                statement
                    .query_map(params![after, i64::from(limit)], rows::audit)
                    .map_err(db)?
                    .map(|row| row.map(AuditEvent::from).map_err(db))
                    .collect()
            })
            .await
    }
}
