//! The OAuth tables on SQLite. Every method that changes tokens is one transaction on the
//! single writer connection.

use async_trait::async_trait;
use sqlx::{FromRow, SqliteConnection};
use tessera_core::UnixTime;
use tessera_core::oauth::{
    AccessTokenInfo, AuthorizationRequest, AuthorizationStatus, ClientKind, GrantType, NewTokens,
    OAuthClient, OAuthStore, RefreshState, RefreshTokenRecord, Rotation, Scope, TokenFamily,
};
use tessera_core::secret::TokenHash;
use tessera_core::store::StoreError;

use crate::SqliteStore;
use crate::rows::store_error;

fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt(what.to_owned())
}

fn hash(bytes: &[u8], what: &str) -> Result<TokenHash, StoreError> {
    TokenHash::from_slice(bytes).ok_or_else(|| corrupt(what))
}

fn scope(text: &str) -> Result<Scope, StoreError> {
    Scope::parse(text).ok_or_else(|| corrupt("scope"))
}

fn json<T: serde::Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError::Backend(e.to_string()))
}

#[derive(FromRow)]
struct ClientRow {
    id: String,
    name: String,
    kind: String,
    secret_hash: Option<Vec<u8>>,
    redirect_uris: String,
    grant_types: String,
    scope: String,
    may_introspect: bool,
    created_at: i64,
}

impl ClientRow {
    fn into_domain(self) -> Result<OAuthClient, StoreError> {
        let grant_names: Vec<String> =
            serde_json::from_str(&self.grant_types).map_err(|_| corrupt("client grant types"))?;
        Ok(OAuthClient {
            id: self.id,
            name: self.name,
            kind: ClientKind::parse(&self.kind).ok_or_else(|| corrupt("client kind"))?,
            secret_hash: self
                .secret_hash
                .as_deref()
                .map(|h| hash(h, "client secret"))
                .transpose()?,
            redirect_uris: serde_json::from_str(&self.redirect_uris)
                .map_err(|_| corrupt("client redirect URIs"))?,
            grant_types: grant_names
                .iter()
                .map(|g| GrantType::parse(g).ok_or_else(|| corrupt("client grant type")))
                .collect::<Result<_, _>>()?,
            scope: scope(&self.scope)?,
            may_introspect: self.may_introspect,
            created_at: UnixTime(self.created_at),
        })
    }
}

#[derive(FromRow)]
struct FamilyRow {
    family_id: String,
    client_id: String,
    subject: String,
    family_scope: String,
    family_created_at: i64,
    family_revoked_at: Option<i64>,
}

impl FamilyRow {
    fn into_domain(self) -> Result<TokenFamily, StoreError> {
        Ok(TokenFamily {
            id: self.family_id,
            client_id: self.client_id,
            subject: self.subject,
            scope: scope(&self.family_scope)?,
            created_at: UnixTime(self.family_created_at),
            revoked_at: self.family_revoked_at.map(UnixTime),
        })
    }
}

const FAMILY_COLUMNS: &str = "f.id AS family_id, f.client_id, f.subject, f.scope AS family_scope, \
     f.created_at AS family_created_at, f.revoked_at AS family_revoked_at";

#[derive(FromRow)]
struct RefreshRow {
    hash: Vec<u8>,
    access_hash: Vec<u8>,
    state: String,
    created_at: i64,
    expires_at: i64,
    idle_expires_at: i64,
    used_at: Option<i64>,
    successor_hash: Option<Vec<u8>>,
    successor_sealed: Option<Vec<u8>>,
    #[sqlx(flatten)]
    family: FamilyRow,
}

#[derive(FromRow)]
struct AccessRow {
    scope: String,
    created_at: i64,
    expires_at: i64,
    revoked_at: Option<i64>,
    #[sqlx(flatten)]
    family: FamilyRow,
}

#[derive(FromRow)]
struct AuthorizationRow {
    id: String,
    interaction_id: String,
    nonce: String,
    client_id: String,
    redirect_uri: String,
    scope: String,
    state: Option<String>,
    code_challenge: Option<String>,
    status: String,
    subject: Option<String>,
    family_id: Option<String>,
    code_hash: Option<Vec<u8>>,
    code_expires_at: Option<i64>,
    created_at: i64,
    expires_at: i64,
}

impl AuthorizationRow {
    fn into_domain(self) -> Result<AuthorizationRequest, StoreError> {
        let status = match (self.status.as_str(), self.subject, self.family_id) {
            ("pending", None, None) => AuthorizationStatus::Pending,
            ("rejected", None, None) => AuthorizationStatus::Rejected,
            ("approved", Some(subject), None) => AuthorizationStatus::Approved { subject },
            ("issued", Some(subject), Some(family_id)) => {
                AuthorizationStatus::Issued { subject, family_id }
            }
            _ => return Err(corrupt("authorization status")),
        };
        Ok(AuthorizationRequest {
            id: self.id,
            interaction_id: self.interaction_id,
            nonce: self.nonce,
            client_id: self.client_id,
            redirect_uri: self.redirect_uri,
            scope: scope(&self.scope)?,
            state: self.state,
            code_challenge: self.code_challenge,
            status,
            code_hash: self
                .code_hash
                .as_deref()
                .map(|h| hash(h, "code"))
                .transpose()?,
            code_expires_at: self.code_expires_at.map(UnixTime),
            created_at: UnixTime(self.created_at),
            expires_at: UnixTime(self.expires_at),
        })
    }
}

const AUTHORIZATION_COLUMNS: &str = "id, interaction_id, nonce, client_id, redirect_uri, scope, \
     state, code_challenge, status, subject, family_id, code_hash, code_expires_at, created_at, \
     expires_at";

async fn insert_family(tx: &mut SqliteConnection, family: &TokenFamily) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO oauth_families (id, client_id, subject, scope, created_at) VALUES (?, ?, ?, ?, ?)",
    )
    .bind(&family.id)
    .bind(&family.client_id)
    .bind(&family.subject)
    .bind(family.scope.to_string())
    .bind(family.created_at.0)
    .execute(tx)
    .await
    .map_err(store_error)?;
    Ok(())
}

async fn insert_tokens(tx: &mut SqliteConnection, tokens: &NewTokens) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO oauth_access_tokens (hash, family_id, scope, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
    )
    .bind(tokens.access_hash.as_bytes())
    .bind(&tokens.family_id)
    .bind(tokens.access_scope.to_string())
    .bind(tokens.created_at.0)
    .bind(tokens.access_expires_at.0)
    .execute(&mut *tx)
    .await
    .map_err(store_error)?;
    if let Some(refresh) = &tokens.refresh {
        sqlx::query(
            "INSERT INTO oauth_refresh_tokens (hash, family_id, access_hash, state, created_at, expires_at, idle_expires_at) \
             VALUES (?, ?, ?, 'active', ?, ?, ?)",
        )
        .bind(refresh.hash.as_bytes())
        .bind(&tokens.family_id)
        .bind(tokens.access_hash.as_bytes())
        .bind(tokens.created_at.0)
        .bind(refresh.expires_at.0)
        .bind(refresh.idle_expires_at.0)
        .execute(&mut *tx)
        .await
        .map_err(store_error)?;
    }
    Ok(())
}

/// Revokes a family and all its tokens, inside `tx`; returns whether it was live.
async fn revoke_family_in(
    tx: &mut SqliteConnection,
    family_id: &str,
    reason: &str,
    now: UnixTime,
) -> Result<bool, StoreError> {
    let revoked =
        sqlx::query("UPDATE oauth_families SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL")
            .bind(now.0)
            .bind(family_id)
            .execute(&mut *tx)
            .await
            .map_err(store_error)?
            .rows_affected();
    sqlx::query(
        "UPDATE oauth_refresh_tokens SET state = 'revoked', successor_sealed = NULL WHERE family_id = ? AND state <> 'revoked'",
    )
    .bind(family_id)
    .execute(&mut *tx)
    .await
    .map_err(store_error)?;
    sqlx::query(
        "UPDATE oauth_access_tokens SET revoked_at = ? WHERE family_id = ? AND revoked_at IS NULL",
    )
    .bind(now.0)
    .bind(family_id)
    .execute(&mut *tx)
    .await
    .map_err(store_error)?;
    if revoked == 1 {
        sqlx::query(
            "INSERT INTO audit_events (at, kind, protocol, client, subject, reference) \
             SELECT ?, ?, 'oauth', client_id, subject, id FROM oauth_families WHERE id = ?",
        )
        .bind(now.0)
        .bind(reason)
        .bind(family_id)
        .execute(&mut *tx)
        .await
        .map_err(store_error)?;
    }
    Ok(revoked == 1)
}

impl SqliteStore {
    async fn revoke_families_where(
        &self,
        column: &str,
        value: &str,
        now: UnixTime,
    ) -> Result<u64, StoreError> {
        let mut tx = self.writer.begin().await.map_err(store_error)?;
        let ids: Vec<String> = sqlx::query_scalar(&format!(
            "SELECT id FROM oauth_families WHERE {column} = ? AND revoked_at IS NULL"
        ))
        .bind(value)
        .fetch_all(&mut *tx)
        .await
        .map_err(store_error)?;
        let mut count = 0;
        for id in &ids {
            if revoke_family_in(&mut tx, id, "revoked_by_admin", now).await? {
                count += 1;
            }
        }
        tx.commit().await.map_err(store_error)?;
        Ok(count)
    }
}

#[async_trait]
impl OAuthStore for SqliteStore {
    async fn create_client(&self, client: &OAuthClient) -> Result<(), StoreError> {
        let grants: Vec<&str> = client.grant_types.iter().map(|g| g.as_str()).collect();
        sqlx::query(
            "INSERT INTO oauth_clients (id, name, kind, secret_hash, redirect_uris, grant_types, scope, may_introspect, created_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&client.id)
        .bind(&client.name)
        .bind(client.kind.as_str())
        .bind(client.secret_hash.as_ref().map(|h| h.as_bytes().to_vec()))
        .bind(json(&client.redirect_uris)?)
        .bind(json(&grants)?)
        .bind(client.scope.to_string())
        .bind(client.may_introspect)
        .bind(client.created_at.0)
        .execute(&self.writer)
        .await
        .map_err(store_error)?;
        Ok(())
    }

    async fn client(&self, client_id: &str) -> Result<Option<OAuthClient>, StoreError> {
        let row: Option<ClientRow> = self
            .fetch_hot(sqlx::query_as("SELECT * FROM oauth_clients WHERE id = ?").bind(client_id))
            .await?;
        row.map(ClientRow::into_domain).transpose()
    }

    async fn list_clients(&self) -> Result<Vec<OAuthClient>, StoreError> {
        let rows: Vec<ClientRow> =
            sqlx::query_as("SELECT * FROM oauth_clients ORDER BY created_at, id")
                .fetch_all(&self.reader)
                .await
                .map_err(store_error)?;
        rows.into_iter().map(ClientRow::into_domain).collect()
    }

    async fn delete_client(&self, client_id: &str) -> Result<bool, StoreError> {
        let deleted = sqlx::query("DELETE FROM oauth_clients WHERE id = ?")
            .bind(client_id)
            .execute(&self.writer)
            .await
            .map_err(store_error)?
            .rows_affected();
        Ok(deleted == 1)
    }

    async fn set_client_secret(
        &self,
        client_id: &str,
        secret_hash: &TokenHash,
    ) -> Result<bool, StoreError> {
        let changed = sqlx::query(
            "UPDATE oauth_clients SET secret_hash = ? WHERE id = ? AND kind = 'confidential'",
        )
        .bind(secret_hash.as_bytes())
        .bind(client_id)
        .execute(&self.writer)
        .await
        .map_err(store_error)?
        .rows_affected();
        Ok(changed == 1)
    }

    async fn sealing_key(&self, candidate: &[u8; 32]) -> Result<[u8; 32], StoreError> {
        sqlx::query("INSERT OR IGNORE INTO server_keys (name, value) VALUES ('oauth_sealing', ?)")
            .bind(candidate.as_slice())
            .execute(&self.writer)
            .await
            .map_err(store_error)?;
        let key: Vec<u8> =
            sqlx::query_scalar("SELECT value FROM server_keys WHERE name = 'oauth_sealing'")
                .fetch_one(&self.writer)
                .await
                .map_err(store_error)?;
        <[u8; 32]>::try_from(key.as_slice()).map_err(|_| corrupt("sealing key"))
    }

    async fn issue_family(
        &self,
        family: &TokenFamily,
        tokens: &NewTokens,
    ) -> Result<(), StoreError> {
        let mut tx = self.writer.begin().await.map_err(store_error)?;
        insert_family(&mut tx, family).await?;
        insert_tokens(&mut tx, tokens).await?;
        tx.commit().await.map_err(store_error)
    }

    async fn rotate_refresh_token(
        &self,
        rotation: &Rotation,
        now: UnixTime,
    ) -> Result<(), StoreError> {
        let successor = rotation
            .new
            .refresh
            .as_ref()
            .map(|r| r.hash.as_bytes().to_vec());
        let sealed =
            (!rotation.successor_sealed.is_empty()).then(|| rotation.successor_sealed.clone());
        let mut tx = self.writer.begin().await.map_err(store_error)?;
        let used = sqlx::query(
            "UPDATE oauth_refresh_tokens SET state = 'used', used_at = ?, successor_hash = ?, successor_sealed = ? \
             WHERE hash = ? AND state = 'active' AND expires_at > ? AND idle_expires_at > ? \
             AND family_id IN (SELECT id FROM oauth_families WHERE revoked_at IS NULL)",
        )
        .bind(now.0)
        .bind(successor)
        .bind(sealed)
        .bind(rotation.old_hash.as_bytes())
        .bind(now.0)
        .bind(now.0)
        .execute(&mut *tx)
        .await
        .map_err(store_error)?
        .rows_affected();
        if used != 1 {
            return Err(StoreError::NotLive); // dropping `tx` rolls back
        }
        sqlx::query(
            "UPDATE oauth_access_tokens SET revoked_at = ? WHERE hash = ? AND revoked_at IS NULL",
        )
        .bind(now.0)
        .bind(rotation.old_access_hash.as_bytes())
        .execute(&mut *tx)
        .await
        .map_err(store_error)?;
        insert_tokens(&mut tx, &rotation.new).await?;
        tx.commit().await.map_err(store_error)
    }

    async fn refresh_token(
        &self,
        hash_value: &TokenHash,
    ) -> Result<Option<RefreshTokenRecord>, StoreError> {
        let sql = format!(
            "SELECT r.hash, r.access_hash, r.state, r.created_at, r.expires_at, r.idle_expires_at, r.used_at, \
             r.successor_hash, r.successor_sealed, {FAMILY_COLUMNS} \
             FROM oauth_refresh_tokens r JOIN oauth_families f ON f.id = r.family_id WHERE r.hash = ?"
        );
        // Read from the writer: a refresh decision must see the latest committed state.
        let row: Option<RefreshRow> = sqlx::query_as(&sql)
            .bind(hash_value.as_bytes())
            .fetch_optional(&self.writer)
            .await
            .map_err(store_error)?;
        row.map(|r| {
            Ok(RefreshTokenRecord {
                hash: hash(&r.hash, "refresh hash")?,
                access_hash: hash(&r.access_hash, "access hash")?,
                state: match r.state.as_str() {
                    "active" => RefreshState::Active,
                    "used" => RefreshState::Used,
                    "revoked" => RefreshState::Revoked,
                    _ => return Err(corrupt("refresh state")),
                },
                created_at: UnixTime(r.created_at),
                expires_at: UnixTime(r.expires_at),
                idle_expires_at: UnixTime(r.idle_expires_at),
                used_at: r.used_at.map(UnixTime),
                successor_hash: r
                    .successor_hash
                    .as_deref()
                    .map(|h| hash(h, "successor"))
                    .transpose()?,
                successor_sealed: r.successor_sealed,
                family: r.family.into_domain()?,
            })
        })
        .transpose()
    }

    async fn access_token(
        &self,
        hash_value: &TokenHash,
    ) -> Result<Option<AccessTokenInfo>, StoreError> {
        let sql = format!(
            "SELECT a.scope, a.created_at, a.expires_at, a.revoked_at, {FAMILY_COLUMNS} \
             FROM oauth_access_tokens a JOIN oauth_families f ON f.id = a.family_id WHERE a.hash = ?"
        );
        let row: Option<AccessRow> = sqlx::query_as(&sql)
            .bind(hash_value.as_bytes())
            .fetch_optional(&self.reader)
            .await
            .map_err(store_error)?;
        row.map(|r| {
            Ok(AccessTokenInfo {
                scope: scope(&r.scope)?,
                created_at: UnixTime(r.created_at),
                expires_at: UnixTime(r.expires_at),
                revoked_at: r.revoked_at.map(UnixTime),
                family: r.family.into_domain()?,
            })
        })
        .transpose()
    }

    async fn revoke_family(
        &self,
        family_id: &str,
        reason: &str,
        now: UnixTime,
    ) -> Result<bool, StoreError> {
        let mut tx = self.writer.begin().await.map_err(store_error)?;
        let revoked = revoke_family_in(&mut tx, family_id, reason, now).await?;
        tx.commit().await.map_err(store_error)?;
        Ok(revoked)
    }

    async fn revoke_oauth_access_token(
        &self,
        hash_value: &TokenHash,
        now: UnixTime,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE oauth_access_tokens SET revoked_at = ? WHERE hash = ? AND revoked_at IS NULL",
        )
        .bind(now.0)
        .bind(hash_value.as_bytes())
        .execute(&self.writer)
        .await
        .map_err(store_error)?;
        Ok(())
    }

    async fn revoke_families_of_client(
        &self,
        client_id: &str,
        now: UnixTime,
    ) -> Result<u64, StoreError> {
        self.revoke_families_where("client_id", client_id, now)
            .await
    }

    async fn revoke_families_of_subject(
        &self,
        subject: &str,
        now: UnixTime,
    ) -> Result<u64, StoreError> {
        self.revoke_families_where("subject", subject, now).await
    }

    async fn create_authorization(&self, r: &AuthorizationRequest) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO oauth_authorizations (id, interaction_id, nonce, client_id, redirect_uri, scope, state, \
             code_challenge, status, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?)",
        )
        .bind(&r.id)
        .bind(&r.interaction_id)
        .bind(&r.nonce)
        .bind(&r.client_id)
        .bind(&r.redirect_uri)
        .bind(r.scope.to_string())
        .bind(&r.state)
        .bind(&r.code_challenge)
        .bind(r.created_at.0)
        .bind(r.expires_at.0)
        .execute(&self.writer)
        .await
        .map_err(store_error)?;
        Ok(())
    }

    async fn authorization_by_interaction(
        &self,
        interaction_id: &str,
    ) -> Result<Option<AuthorizationRequest>, StoreError> {
        let row: Option<AuthorizationRow> = sqlx::query_as(&format!(
            "SELECT {AUTHORIZATION_COLUMNS} FROM oauth_authorizations WHERE interaction_id = ?"
        ))
        .bind(interaction_id)
        .fetch_optional(&self.writer)
        .await
        .map_err(store_error)?;
        row.map(AuthorizationRow::into_domain).transpose()
    }

    async fn authorization_by_code(
        &self,
        code_hash: &TokenHash,
    ) -> Result<Option<AuthorizationRequest>, StoreError> {
        let row: Option<AuthorizationRow> = sqlx::query_as(&format!(
            "SELECT {AUTHORIZATION_COLUMNS} FROM oauth_authorizations WHERE code_hash = ?"
        ))
        .bind(code_hash.as_bytes())
        .fetch_optional(&self.writer)
        .await
        .map_err(store_error)?;
        row.map(AuthorizationRow::into_domain).transpose()
    }

    async fn decide_authorization(
        &self,
        authorization_id: &str,
        subject: Option<&str>,
        _now: UnixTime,
    ) -> Result<(), StoreError> {
        let status = if subject.is_some() {
            "approved"
        } else {
            "rejected"
        };
        let changed = sqlx::query(
            "UPDATE oauth_authorizations SET status = ?, subject = ? WHERE id = ? AND status = 'pending'",
        )
        .bind(status)
        .bind(subject)
        .bind(authorization_id)
        .execute(&self.writer)
        .await
        .map_err(store_error)?
        .rows_affected();
        if changed == 1 {
            Ok(())
        } else {
            Err(StoreError::NotLive)
        }
    }

    async fn attach_code(
        &self,
        authorization_id: &str,
        code_hash: &TokenHash,
        code_expires_at: UnixTime,
    ) -> Result<(), StoreError> {
        let changed = sqlx::query(
            "UPDATE oauth_authorizations SET code_hash = ?, code_expires_at = ? \
             WHERE id = ? AND status = 'approved' AND code_hash IS NULL",
        )
        .bind(code_hash.as_bytes())
        .bind(code_expires_at.0)
        .bind(authorization_id)
        .execute(&self.writer)
        .await
        .map_err(store_error)?
        .rows_affected();
        if changed == 1 {
            Ok(())
        } else {
            Err(StoreError::NotLive)
        }
    }

    async fn exchange_code(
        &self,
        authorization_id: &str,
        family: &TokenFamily,
        tokens: &NewTokens,
    ) -> Result<(), StoreError> {
        let mut tx = self.writer.begin().await.map_err(store_error)?;
        let changed = sqlx::query(
            "UPDATE oauth_authorizations SET status = 'issued', family_id = ? WHERE id = ? AND status = 'approved'",
        )
        .bind(&family.id)
        .bind(authorization_id)
        .execute(&mut *tx)
        .await
        .map_err(store_error)?
        .rows_affected();
        if changed != 1 {
            return Err(StoreError::NotLive);
        }
        insert_family(&mut tx, family).await?;
        insert_tokens(&mut tx, tokens).await?;
        tx.commit().await.map_err(store_error)
    }
}
