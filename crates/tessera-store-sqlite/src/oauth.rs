//! The OAuth tables on SQLite, with the statements of the shared PostgreSQL store
//! (`tessera_store_sql::oauth_store!`) less its row locks. Every change is one closure on the
//! single writer, so concurrent refreshes of one token run one after another: the first marks
//! it used, the others find it so.

use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension, params};
use tessera_core::UnixTime;
use tessera_core::oauth::{
    AccessTokenInfo, AuthorizationRequest, NewTokens, OAuthClient, OAuthStore, RefreshTokenRecord,
    Rotation, TokenFamily,
};
use tessera_core::secret::TokenHash;
use tessera_core::store::StoreError;
use tessera_store_sql::IntoDomain;
use tessera_store_sql::changed_one;
use tessera_store_sql::oauth_rows::{ClientRow, decided_status, grant_type_names, json};

use crate::SqliteStore;
use crate::gnap::{change, db, find};
use crate::rows;

fn insert_family(conn: &Connection, family: &TokenFamily) -> Result<(), StoreError> {
    change(
        conn,
        "INSERT INTO oauth_families (id, client_id, subject, scope, created_at) \
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![
            family.id,
            family.client_id,
            family.subject,
            family.scope.to_string(),
            family.created_at.0
        ],
    )?;
    Ok(())
}

fn insert_tokens(conn: &Connection, tokens: &NewTokens) -> Result<(), StoreError> {
    change(
        conn,
        "INSERT INTO oauth_access_tokens (hash, family_id, scope, created_at, expires_at) \
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![
            tokens.access_hash.as_bytes(),
            tokens.family_id,
            tokens.access_scope.to_string(),
            tokens.created_at.0,
            tokens.access_expires_at.0
        ],
    )?;
    if let Some(refresh) = &tokens.refresh {
        change(
            conn,
            "INSERT INTO oauth_refresh_tokens (hash, family_id, access_hash, state, \
             created_at, expires_at, idle_expires_at) \
             VALUES (?1, ?2, ?3, 'active', ?4, ?5, ?6)",
            params![
                refresh.hash.as_bytes(),
                tokens.family_id,
                tokens.access_hash.as_bytes(),
                tokens.created_at.0,
                refresh.expires_at.0,
                refresh.idle_expires_at.0
            ],
        )?;
    }
    Ok(())
}

fn audit_family(
    conn: &Connection,
    kind: &str,
    family_id: &str,
    now: UnixTime,
) -> Result<(), StoreError> {
    change(
        conn,
        "INSERT INTO audit_events (at, kind, protocol, client, subject, reference) \
         SELECT ?1, ?2, 'oauth', client_id, subject, id FROM oauth_families WHERE id = ?3",
        params![now.0, kind, family_id],
    )?;
    Ok(())
}

/// Revokes every token of a family.
fn revoke_family_tokens(
    conn: &Connection,
    family_id: &str,
    now: UnixTime,
) -> Result<(), StoreError> {
    change(
        conn,
        "UPDATE oauth_refresh_tokens SET state = 'revoked', successor_sealed = NULL \
         WHERE family_id = ?1 AND state <> 'revoked'",
        params![family_id],
    )?;
    change(
        conn,
        "UPDATE oauth_access_tokens SET revoked_at = ?1 \
         WHERE family_id = ?2 AND revoked_at IS NULL",
        params![now.0, family_id],
    )?;
    Ok(())
}

impl SqliteStore {
    /// Revokes the live families `sql` (`UPDATE ... RETURNING id` of `?1` the time, `?2` the
    /// value) picks, and their tokens, as one change; returns how many.
    async fn revoke_families_where(
        &self,
        sql: &'static str,
        value: &str,
        now: UnixTime,
    ) -> Result<u64, StoreError> {
        let value = value.to_owned();
        self.engine
            .write(move |conn| {
                let ids: Vec<String> = conn
                    .prepare_cached(sql)
                    .map_err(db)?
                    .query_map(params![now.0, value], |r| r.get(0))
                    .map_err(db)?
                    .collect::<Result<_, _>>()
                    .map_err(db)?;
                for id in &ids {
                    revoke_family_tokens(conn, id, now)?;
                    audit_family(conn, "revoked_by_admin", id, now)?;
                }
                Ok(ids.len() as u64)
            })
            .await
    }
}

#[async_trait]
impl OAuthStore for SqliteStore {
    async fn create_client(&self, client: &OAuthClient) -> Result<(), StoreError> {
        let redirect_uris = json(&client.redirect_uris)?;
        let grant_types = grant_type_names(client)?;
        let client = client.clone();
        self.engine
            .write(move |conn| {
                change(
                    conn,
                    "INSERT INTO oauth_clients (id, name, kind, secret_hash, redirect_uris, \
                     grant_types, scope, may_introspect, created_at) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                    params![
                        client.id,
                        client.name,
                        client.kind.as_str(),
                        client.secret_hash.as_ref().map(|h| h.as_bytes().to_vec()),
                        redirect_uris,
                        grant_types,
                        client.scope.to_string(),
                        client.may_introspect,
                        client.created_at.0
                    ],
                )?;
                Ok(())
            })
            .await
    }

    async fn client(&self, client_id: &str) -> Result<Option<OAuthClient>, StoreError> {
        const SQL: &str = concat!(
            "SELECT ",
            tessera_store_sql::client_columns!(),
            " FROM oauth_clients WHERE id = ?1"
        );
        let client_id = client_id.to_owned();
        self.engine
            .read(move |conn| find(conn, SQL, [client_id], rows::client))
            .await
    }

    async fn list_clients(&self) -> Result<Vec<OAuthClient>, StoreError> {
        const SQL: &str = concat!(
            "SELECT ",
            tessera_store_sql::client_columns!(),
            " FROM oauth_clients ORDER BY created_at, id"
        );
        self.engine
            .read(move |conn| {
                let rows: Vec<ClientRow> = conn
                    .prepare_cached(SQL)
                    .map_err(db)?
                    .query_map([], rows::client)
                    .map_err(db)?
                    .collect::<Result<_, _>>()
                    .map_err(db)?;
                rows.into_iter().map(ClientRow::into_domain).collect()
            })
            .await
    }

    async fn delete_client(&self, client_id: &str) -> Result<bool, StoreError> {
        let client_id = client_id.to_owned();
        self.engine
            .write(move |conn| {
                Ok(change(conn, "DELETE FROM oauth_clients WHERE id = ?1", [client_id])? == 1)
            })
            .await
    }

    async fn set_client_secret(
        &self,
        client_id: &str,
        secret_hash: &TokenHash,
    ) -> Result<bool, StoreError> {
        let client_id = client_id.to_owned();
        let secret_hash = *secret_hash;
        self.engine
            .write(move |conn| {
                let changed = change(
                    conn,
                    "UPDATE oauth_clients SET secret_hash = ?1 \
                     WHERE id = ?2 AND kind = 'confidential'",
                    params![secret_hash.as_bytes(), client_id],
                )?;
                Ok(changed == 1)
            })
            .await
    }

    async fn sealing_key(&self, candidate: &[u8; 32]) -> Result<[u8; 32], StoreError> {
        let candidate = *candidate;
        self.engine
            .write(move |conn| {
                // Of servers starting at once on one file, the first insert wins; all read it.
                change(
                    conn,
                    "INSERT INTO server_keys (name, value) VALUES ('oauth_sealing', ?1) \
                     ON CONFLICT DO NOTHING",
                    [candidate.as_slice()],
                )?;
                let key: Vec<u8> = conn
                    .prepare_cached("SELECT value FROM server_keys WHERE name = 'oauth_sealing'")
                    .map_err(db)?
                    .query_row([], |r| r.get(0))
                    .map_err(db)?;
                <[u8; 32]>::try_from(key.as_slice())
                    .map_err(|_| StoreError::Corrupt("sealing key".into()))
            })
            .await
    }

    async fn issue_family(
        &self,
        family: &TokenFamily,
        tokens: &NewTokens,
    ) -> Result<(), StoreError> {
        let family = family.clone();
        let tokens = tokens.clone();
        self.engine
            .write(move |conn| {
                insert_family(conn, &family)?;
                insert_tokens(conn, &tokens)?;
                audit_family(conn, "tokens_issued", &family.id, family.created_at)
            })
            .await
    }

    async fn rotate_refresh_token(
        &self,
        rotation: &Rotation,
        now: UnixTime,
    ) -> Result<(), StoreError> {
        let rotation = rotation.clone();
        self.engine
            .write(move |conn| {
                let successor = rotation
                    .new
                    .refresh
                    .as_ref()
                    .map(|r| r.hash.as_bytes().to_vec());
                let sealed = (!rotation.successor_sealed.is_empty())
                    .then(|| rotation.successor_sealed.clone());
                // Marks the old token used if it is active, unexpired and its family live; the
                // rest of the rotation happens only if it did.
                changed_one(change(
                    conn,
                    "UPDATE oauth_refresh_tokens SET state = 'used', used_at = ?1, \
                     successor_hash = ?2, successor_sealed = ?3 \
                     WHERE hash = ?4 AND state = 'active' AND expires_at > ?1 \
                     AND idle_expires_at > ?1 \
                     AND EXISTS (SELECT 1 FROM oauth_families f \
                     WHERE f.id = oauth_refresh_tokens.family_id AND f.revoked_at IS NULL)",
                    params![now.0, successor, sealed, rotation.old_hash.as_bytes()],
                )?)?;
                change(
                    conn,
                    "UPDATE oauth_access_tokens SET revoked_at = ?1 \
                     WHERE hash = ?2 AND revoked_at IS NULL",
                    params![now.0, rotation.old_access_hash.as_bytes()],
                )?;
                insert_tokens(conn, &rotation.new)?;
                audit_family(conn, "refresh_token_rotated", &rotation.new.family_id, now)
            })
            .await
    }

    async fn refresh_token(
        &self,
        hash: &TokenHash,
    ) -> Result<Option<RefreshTokenRecord>, StoreError> {
        const SQL: &str = concat!(
            tessera_store_sql::refresh_with_family!(),
            "WHERE r.hash = ?1"
        );
        let hash = *hash;
        self.engine
            .read(move |conn| find(conn, SQL, [hash.as_bytes()], rows::refresh))
            .await
    }

    async fn access_token(&self, hash: &TokenHash) -> Result<Option<AccessTokenInfo>, StoreError> {
        const SQL: &str = concat!(
            "SELECT a.scope, a.created_at, a.expires_at, a.revoked_at, ",
            tessera_store_sql::family_columns!(),
            " FROM oauth_access_tokens a JOIN oauth_families f ON f.id = a.family_id \
             WHERE a.hash = ?1"
        );
        let hash = *hash;
        self.engine
            .read(move |conn| find(conn, SQL, [hash.as_bytes()], rows::access))
            .await
    }

    async fn revoke_family(
        &self,
        family_id: &str,
        reason: &str,
        now: UnixTime,
    ) -> Result<bool, StoreError> {
        let family_id = family_id.to_owned();
        let reason = reason.to_owned();
        self.engine
            .write(move |conn| {
                let revoked = change(
                    conn,
                    "UPDATE oauth_families SET revoked_at = ?1 WHERE id = ?2 AND revoked_at IS NULL",
                    params![now.0, family_id],
                )? == 1;
                revoke_family_tokens(conn, &family_id, now)?;
                if revoked {
                    audit_family(conn, &reason, &family_id, now)?;
                }
                Ok(revoked)
            })
            .await
    }

    async fn revoke_oauth_access_token(
        &self,
        hash: &TokenHash,
        now: UnixTime,
    ) -> Result<(), StoreError> {
        let hash = *hash;
        self.engine
            .write(move |conn| {
                let family: Option<String> = conn
                    .prepare_cached(
                        "UPDATE oauth_access_tokens SET revoked_at = ?1 \
                         WHERE hash = ?2 AND revoked_at IS NULL RETURNING family_id",
                    )
                    .map_err(db)?
                    .query_row(params![now.0, hash.as_bytes()], |r| r.get(0))
                    .optional()
                    .map_err(db)?;
                match family {
                    Some(family) => audit_family(conn, "access_token_revoked", &family, now),
                    None => Ok(()),
                }
            })
            .await
    }

    async fn revoke_families_of_client(
        &self,
        client_id: &str,
        now: UnixTime,
    ) -> Result<u64, StoreError> {
        const SQL: &str = "UPDATE oauth_families SET revoked_at = ?1 \
                           WHERE client_id = ?2 AND revoked_at IS NULL RETURNING id";
        self.revoke_families_where(SQL, client_id, now).await
    }

    async fn revoke_families_of_subject(
        &self,
        subject: &str,
        now: UnixTime,
    ) -> Result<u64, StoreError> {
        const SQL: &str = "UPDATE oauth_families SET revoked_at = ?1 \
                           WHERE subject = ?2 AND revoked_at IS NULL RETURNING id";
        self.revoke_families_where(SQL, subject, now).await
    }

    async fn create_authorization(&self, request: &AuthorizationRequest) -> Result<(), StoreError> {
        let r = request.clone();
        self.engine
            .write(move |conn| {
                change(
                    conn,
                    "INSERT INTO oauth_authorizations (id, interaction_id, nonce, client_id, \
                     redirect_uri, scope, state, code_challenge, status, created_at, \
                     expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'pending', ?9, ?10)",
                    params![
                        r.id,
                        r.interaction_id,
                        r.nonce,
                        r.client_id,
                        r.redirect_uri,
                        r.scope.to_string(),
                        r.state,
                        r.code_challenge,
                        r.created_at.0,
                        r.expires_at.0
                    ],
                )?;
                Ok(())
            })
            .await
    }

    async fn authorization_by_interaction(
        &self,
        interaction_id: &str,
    ) -> Result<Option<AuthorizationRequest>, StoreError> {
        const SQL: &str = concat!(
            "SELECT ",
            tessera_store_sql::authorization_columns!(),
            " FROM oauth_authorizations WHERE interaction_id = ?1"
        );
        let interaction_id = interaction_id.to_owned();
        self.engine
            .read(move |conn| find(conn, SQL, [interaction_id], rows::authorization))
            .await
    }

    async fn authorization_by_code(
        &self,
        code_hash: &TokenHash,
    ) -> Result<Option<AuthorizationRequest>, StoreError> {
        const SQL: &str = concat!(
            "SELECT ",
            tessera_store_sql::authorization_columns!(),
            " FROM oauth_authorizations WHERE code_hash = ?1"
        );
        let code_hash = *code_hash;
        self.engine
            .read(move |conn| find(conn, SQL, [code_hash.as_bytes()], rows::authorization))
            .await
    }

    async fn decide_authorization(
        &self,
        authorization_id: &str,
        subject: Option<&str>,
        _now: UnixTime,
    ) -> Result<(), StoreError> {
        let status = decided_status(subject);
        let authorization_id = authorization_id.to_owned();
        let subject = subject.map(str::to_owned);
        self.engine
            .write(move |conn| {
                changed_one(change(
                    conn,
                    "UPDATE oauth_authorizations SET status = ?1, subject = ?2 \
                     WHERE id = ?3 AND status = 'pending'",
                    params![status, subject, authorization_id],
                )?)
            })
            .await
    }

    async fn attach_code(
        &self,
        authorization_id: &str,
        code_hash: &TokenHash,
        code_expires_at: UnixTime,
    ) -> Result<(), StoreError> {
        let authorization_id = authorization_id.to_owned();
        let code_hash = *code_hash;
        self.engine
            .write(move |conn| {
                changed_one(change(
                    conn,
                    "UPDATE oauth_authorizations SET code_hash = ?1, code_expires_at = ?2 \
                     WHERE id = ?3 AND status = 'approved' AND code_hash IS NULL",
                    params![code_hash.as_bytes(), code_expires_at.0, authorization_id],
                )?)
            })
            .await
    }

    async fn exchange_code(
        &self,
        authorization_id: &str,
        family: &TokenFamily,
        tokens: &NewTokens,
    ) -> Result<(), StoreError> {
        let authorization_id = authorization_id.to_owned();
        let family = family.clone();
        let tokens = tokens.clone();
        self.engine
            .write(move |conn| {
                changed_one(change(
                    conn,
                    "UPDATE oauth_authorizations SET status = 'issued', family_id = ?1 \
                     WHERE id = ?2 AND status = 'approved'",
                    params![family.id, authorization_id],
                )?)?;
                insert_family(conn, &family)?;
                insert_tokens(conn, &tokens)?;
                audit_family(conn, "tokens_issued", &family.id, family.created_at)
            })
            .await
    }
}
