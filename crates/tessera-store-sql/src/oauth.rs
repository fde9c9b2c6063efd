//! `OAuthStore` in SQL both dialects accept, written once and expanded for each backend by
//! [`oauth_store!`](crate::oauth_store), for the reasons given in [`gnap`](crate::gnap).

/// The SELECT of a refresh token `r` with its family `f`, as [`RefreshRow`]s read it, as a
/// literal for `concat!`.
///
/// [`RefreshRow`]: crate::oauth_rows::RefreshRow
#[doc(hidden)]
#[macro_export]
macro_rules! refresh_with_family {
    () => {
        concat!(
            "SELECT r.hash, r.access_hash, r.state, r.created_at, r.expires_at, \
             r.idle_expires_at, r.used_at, r.successor_hash, r.successor_sealed, ",
            $crate::family_columns!(),
            " FROM oauth_refresh_tokens r JOIN oauth_families f ON f.id = r.family_id "
        )
    };
}

/// Implements `OAuthStore` for `$store`, with the same parameters as
/// [`gnap_store!`](crate::gnap_store) (less `skip_locked`, as nothing OAuth is swept).
///
/// Every method that changes tokens is one transaction and writes its audit event last in it.
/// Rotating a refresh token first checks that its family is live, taking `$share_lock` on the
/// family row: a concurrent revocation of the family (which updates that row first) then either
/// waits for the rotation to commit and revokes the successor too, or goes first and the
/// rotation finds the family revoked. Of concurrent rotations of one token, the conditional
/// `UPDATE ... WHERE state = 'active'` lets exactly one through: the others wait for its row
/// lock, then find the token used.
#[macro_export]
macro_rules! oauth_store {
    (
        store: $store:ty,
        connection: $conn:ty,
        write: $write:ident,
        read: $read:ident,
        store_error: $store_error:path,
        share_lock: $share_lock:literal,
        serialize_audit: $serialize_audit:expr $(,)?
    ) => {
        const _: () = {
            use $crate::__private::async_trait::async_trait;
            use $crate::__private::sqlx;
            use $crate::__private::tessera_core::UnixTime;
            use $crate::__private::tessera_core::oauth::{
                AccessTokenInfo, AuthorizationRequest, NewTokens, OAuthClient, OAuthStore,
                RefreshTokenRecord, Rotation, TokenFamily,
            };
            use $crate::__private::tessera_core::secret::TokenHash;
            use $crate::__private::tessera_core::store::StoreError;
            use $crate::{IntoDomain, changed_one};
            use $crate::oauth_rows::{
                AccessRow, AuthorizationRow, ClientRow, RefreshRow, decided_status,
                grant_type_names, json,
            };

            async fn insert_family(
                tx: &mut $conn,
                family: &TokenFamily,
            ) -> Result<(), StoreError> {
                sqlx::query(
                    "INSERT INTO oauth_families (id, client_id, subject, scope, created_at) \
                     VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(&family.id)
                .bind(&family.client_id)
                .bind(&family.subject)
                .bind(family.scope.to_string())
                .bind(family.created_at.0)
                .execute(tx)
                .await
                .map_err($store_error)?;
                Ok(())
            }

            async fn insert_tokens(tx: &mut $conn, tokens: &NewTokens) -> Result<(), StoreError> {
                sqlx::query(
                    "INSERT INTO oauth_access_tokens (hash, family_id, scope, created_at, \
                     expires_at) VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(tokens.access_hash.as_bytes())
                .bind(&tokens.family_id)
                .bind(tokens.access_scope.to_string())
                .bind(tokens.created_at.0)
                .bind(tokens.access_expires_at.0)
                .execute(&mut *tx)
                .await
                .map_err($store_error)?;
                if let Some(refresh) = &tokens.refresh {
                    sqlx::query(
                        "INSERT INTO oauth_refresh_tokens (hash, family_id, access_hash, state, \
                         created_at, expires_at, idle_expires_at) \
                         VALUES ($1, $2, $3, 'active', $4, $5, $6)",
                    )
                    .bind(refresh.hash.as_bytes())
                    .bind(&tokens.family_id)
                    .bind(tokens.access_hash.as_bytes())
                    .bind(tokens.created_at.0)
                    .bind(refresh.expires_at.0)
                    .bind(refresh.idle_expires_at.0)
                    .execute(&mut *tx)
                    .await
                    .map_err($store_error)?;
                }
                Ok(())
            }

            $crate::audit_writer!(
                audit_family,
                $conn,
                $store_error,
                $serialize_audit,
                "INSERT INTO audit_events (at, kind, protocol, client, subject, reference) \
                 SELECT $1, $2, 'oauth', client_id, subject, id FROM oauth_families WHERE id = $3"
            );

            /// Revokes every token of a family, inside `tx`.
            async fn revoke_family_tokens(
                tx: &mut $conn,
                family_id: &str,
                now: UnixTime,
            ) -> Result<(), StoreError> {
                sqlx::query(
                    "UPDATE oauth_refresh_tokens SET state = 'revoked', successor_sealed = NULL \
                     WHERE family_id = $1 AND state <> 'revoked'",
                )
                .bind(family_id)
                .execute(&mut *tx)
                .await
                .map_err($store_error)?;
                sqlx::query(
                    "UPDATE oauth_access_tokens SET revoked_at = $1 \
                     WHERE family_id = $2 AND revoked_at IS NULL",
                )
                .bind(now.0)
                .bind(family_id)
                .execute(&mut *tx)
                .await
                .map_err($store_error)?;
                Ok(())
            }

            impl $store {
                /// Revokes the live families `sql` (`UPDATE ... RETURNING id` of `$1` the time,
                /// `$2` the value) picks, and their tokens, in one transaction; returns how many.
                async fn revoke_families_where(
                    &self,
                    sql: &'static str,
                    value: &str,
                    now: UnixTime,
                ) -> Result<u64, StoreError> {
                    let mut tx = self.$write.begin().await.map_err($store_error)?;
                    let ids: Vec<String> = sqlx::query_scalar(sql)
                        .bind(now.0)
                        .bind(value)
                        .fetch_all(&mut *tx)
                        .await
                        .map_err($store_error)?;
                    for id in &ids {
                        revoke_family_tokens(&mut tx, id, now).await?;
                    }
                    // The audit events last (see `audit_family`).
                    for id in &ids {
                        audit_family(&mut tx, "revoked_by_admin", id, now).await?;
                    }
                    tx.commit().await.map_err($store_error)?;
                    Ok(ids.len() as u64)
                }
            }

            $crate::row_finder!($conn, $store_error);

            #[async_trait]
            impl OAuthStore for $store {
                async fn create_client(&self, client: &OAuthClient) -> Result<(), StoreError> {
                    sqlx::query(
                        "INSERT INTO oauth_clients (id, name, kind, secret_hash, redirect_uris, \
                         grant_types, scope, may_introspect, created_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                    )
                    .bind(&client.id)
                    .bind(&client.name)
                    .bind(client.kind.as_str())
                    .bind(client.secret_hash.as_ref().map(|h| h.as_bytes().to_vec()))
                    .bind(json(&client.redirect_uris)?)
                    .bind(grant_type_names(client)?)
                    .bind(client.scope.to_string())
                    .bind(client.may_introspect)
                    .bind(client.created_at.0)
                    .execute(&self.$write)
                    .await
                    .map_err($store_error)?;
                    Ok(())
                }

                async fn client(&self, client_id: &str) -> Result<Option<OAuthClient>, StoreError> {
                    const SQL: &str = concat!(
                        "SELECT ",
                        $crate::client_columns!(),
                        " FROM oauth_clients WHERE id = $1"
                    );
                    find::<ClientRow, _>(&self.$read, SQL, client_id.to_owned()).await
                }

                async fn list_clients(&self) -> Result<Vec<OAuthClient>, StoreError> {
                    let rows: Vec<ClientRow> = sqlx::query_as(concat!(
                        "SELECT ",
                        $crate::client_columns!(),
                        " FROM oauth_clients ORDER BY created_at, id"
                    ))
                    .fetch_all(&self.$read)
                    .await
                    .map_err($store_error)?;
                    rows.into_iter().map(ClientRow::into_domain).collect()
                }

                async fn delete_client(&self, client_id: &str) -> Result<bool, StoreError> {
                    let deleted = sqlx::query("DELETE FROM oauth_clients WHERE id = $1")
                        .bind(client_id)
                        .execute(&self.$write)
                        .await
                        .map_err($store_error)?
                        .rows_affected();
                    Ok(deleted == 1)
                }

                async fn set_client_secret(
                    &self,
                    client_id: &str,
                    secret_hash: &TokenHash,
                ) -> Result<bool, StoreError> {
                    let changed = sqlx::query(
                        "UPDATE oauth_clients SET secret_hash = $1 \
                         WHERE id = $2 AND kind = 'confidential'",
                    )
                    .bind(secret_hash.as_bytes())
                    .bind(client_id)
                    .execute(&self.$write)
                    .await
                    .map_err($store_error)?
                    .rows_affected();
                    Ok(changed == 1)
                }

                async fn sealing_key(&self, candidate: &[u8; 32]) -> Result<[u8; 32], StoreError> {
                    // Of nodes starting at once, the first insert wins; every node reads it.
                    sqlx::query(
                        "INSERT INTO server_keys (name, value) VALUES ('oauth_sealing', $1) \
                         ON CONFLICT DO NOTHING",
                    )
                    .bind(candidate.as_slice())
                    .execute(&self.$write)
                    .await
                    .map_err($store_error)?;
                    let key: Vec<u8> = sqlx::query_scalar(
                        "SELECT value FROM server_keys WHERE name = 'oauth_sealing'",
                    )
                    .fetch_one(&self.$write)
                    .await
                    .map_err($store_error)?;
                    <[u8; 32]>::try_from(key.as_slice())
                        .map_err(|_| StoreError::Corrupt("sealing key".into()))
                }

                async fn issue_family(
                    &self,
                    family: &TokenFamily,
                    tokens: &NewTokens,
                ) -> Result<(), StoreError> {
                    let mut tx = self.$write.begin().await.map_err($store_error)?;
                    insert_family(&mut tx, family).await?;
                    insert_tokens(&mut tx, tokens).await?;
                    audit_family(&mut tx, "tokens_issued", &family.id, family.created_at).await?;
                    tx.commit().await.map_err($store_error)
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
                    let sealed = (!rotation.successor_sealed.is_empty())
                        .then(|| rotation.successor_sealed.clone());
                    let mut tx = self.$write.begin().await.map_err($store_error)?;
                    let family_live: Option<i32> = sqlx::query_scalar(concat!(
                        "SELECT 1 FROM oauth_families WHERE id = \
                         (SELECT family_id FROM oauth_refresh_tokens WHERE hash = $1) \
                         AND revoked_at IS NULL",
                        $share_lock
                    ))
                    .bind(rotation.old_hash.as_bytes())
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err($store_error)?;
                    if family_live.is_none() {
                        return Err(StoreError::NotLive); // dropping `tx` rolls back
                    }
                    let used = sqlx::query(
                        "UPDATE oauth_refresh_tokens SET state = 'used', used_at = $1, \
                         successor_hash = $2, successor_sealed = $3 \
                         WHERE hash = $4 AND state = 'active' AND expires_at > $1 \
                         AND idle_expires_at > $1 \
                         AND family_id IN (SELECT id FROM oauth_families WHERE revoked_at IS NULL)",
                    )
                    .bind(now.0)
                    .bind(successor)
                    .bind(sealed)
                    .bind(rotation.old_hash.as_bytes())
                    .execute(&mut *tx)
                    .await
                    .map_err($store_error)?
                    .rows_affected();
                    changed_one(used)?;
                    sqlx::query(
                        "UPDATE oauth_access_tokens SET revoked_at = $1 \
                         WHERE hash = $2 AND revoked_at IS NULL",
                    )
                    .bind(now.0)
                    .bind(rotation.old_access_hash.as_bytes())
                    .execute(&mut *tx)
                    .await
                    .map_err($store_error)?;
                    insert_tokens(&mut tx, &rotation.new).await?;
                    audit_family(&mut tx, "refresh_token_rotated", &rotation.new.family_id, now)
                        .await?;
                    tx.commit().await.map_err($store_error)
                }

                async fn refresh_token(
                    &self,
                    hash: &TokenHash,
                ) -> Result<Option<RefreshTokenRecord>, StoreError> {
                    // From the write pool: a refresh decision must see the latest commit.
                    const SQL: &str = concat!($crate::refresh_with_family!(), "WHERE r.hash = $1");
                    find::<RefreshRow, _>(&self.$write, SQL, hash.as_bytes().to_vec()).await
                }

                async fn access_token(
                    &self,
                    hash: &TokenHash,
                ) -> Result<Option<AccessTokenInfo>, StoreError> {
                    const SQL: &str = concat!(
                        "SELECT a.scope, a.created_at, a.expires_at, a.revoked_at, ",
                        $crate::family_columns!(),
                        " FROM oauth_access_tokens a JOIN oauth_families f ON f.id = a.family_id \
                         WHERE a.hash = $1"
                    );
                    find::<AccessRow, _>(&self.$read, SQL, hash.as_bytes().to_vec()).await
                }

                async fn revoke_family(
                    &self,
                    family_id: &str,
                    reason: &str,
                    now: UnixTime,
                ) -> Result<bool, StoreError> {
                    let mut tx = self.$write.begin().await.map_err($store_error)?;
                    let revoked = sqlx::query(
                        "UPDATE oauth_families SET revoked_at = $1 \
                         WHERE id = $2 AND revoked_at IS NULL",
                    )
                    .bind(now.0)
                    .bind(family_id)
                    .execute(&mut *tx)
                    .await
                    .map_err($store_error)?
                    .rows_affected()
                        == 1;
                    revoke_family_tokens(&mut tx, family_id, now).await?;
                    if revoked {
                        audit_family(&mut tx, reason, family_id, now).await?;
                    }
                    tx.commit().await.map_err($store_error)?;
                    Ok(revoked)
                }

                async fn revoke_oauth_access_token(
                    &self,
                    hash: &TokenHash,
                    now: UnixTime,
                ) -> Result<(), StoreError> {
                    let mut tx = self.$write.begin().await.map_err($store_error)?;
                    let family: Option<String> = sqlx::query_scalar(
                        "UPDATE oauth_access_tokens SET revoked_at = $1 \
                         WHERE hash = $2 AND revoked_at IS NULL RETURNING family_id",
                    )
                    .bind(now.0)
                    .bind(hash.as_bytes())
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err($store_error)?;
                    if let Some(family) = family {
                        audit_family(&mut tx, "access_token_revoked", &family, now).await?;
                    }
                    tx.commit().await.map_err($store_error)
                }

                async fn revoke_families_of_client(
                    &self,
                    client_id: &str,
                    now: UnixTime,
                ) -> Result<u64, StoreError> {
                    const SQL: &str = "UPDATE oauth_families SET revoked_at = $1 \
                                       WHERE client_id = $2 AND revoked_at IS NULL RETURNING id";
                    self.revoke_families_where(SQL, client_id, now).await
                }

                async fn revoke_families_of_subject(
                    &self,
                    subject: &str,
                    now: UnixTime,
                ) -> Result<u64, StoreError> {
                    const SQL: &str = "UPDATE oauth_families SET revoked_at = $1 \
                                       WHERE subject = $2 AND revoked_at IS NULL RETURNING id";
                    self.revoke_families_where(SQL, subject, now).await
                }

                async fn create_authorization(
                    &self,
                    r: &AuthorizationRequest,
                ) -> Result<(), StoreError> {
                    sqlx::query(
                        "INSERT INTO oauth_authorizations (id, interaction_id, nonce, client_id, \
                         redirect_uri, scope, state, code_challenge, status, created_at, \
                         expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'pending', $9, $10)",
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
                    .execute(&self.$write)
                    .await
                    .map_err($store_error)?;
                    Ok(())
                }

                async fn authorization_by_interaction(
                    &self,
                    interaction_id: &str,
                ) -> Result<Option<AuthorizationRequest>, StoreError> {
                    const SQL: &str = concat!(
                        "SELECT ",
                        $crate::authorization_columns!(),
                        " FROM oauth_authorizations WHERE interaction_id = $1"
                    );
                    find::<AuthorizationRow, _>(&self.$write, SQL, interaction_id.to_owned())
                        .await
                }

                async fn authorization_by_code(
                    &self,
                    code_hash: &TokenHash,
                ) -> Result<Option<AuthorizationRequest>, StoreError> {
                    const SQL: &str = concat!(
                        "SELECT ",
                        $crate::authorization_columns!(),
                        " FROM oauth_authorizations WHERE code_hash = $1"
                    );
                    find::<AuthorizationRow, _>(&self.$write, SQL, code_hash.as_bytes().to_vec())
                        .await
                }

                async fn decide_authorization(
                    &self,
                    authorization_id: &str,
                    subject: Option<&str>,
                    _now: UnixTime,
                ) -> Result<(), StoreError> {
                    let status = decided_status(subject);
                    let changed = sqlx::query(
                        "UPDATE oauth_authorizations SET status = $1, subject = $2 \
                         WHERE id = $3 AND status = 'pending'",
                    )
                    .bind(status)
                    .bind(subject)
                    .bind(authorization_id)
                    .execute(&self.$write)
                    .await
                    .map_err($store_error)?
                    .rows_affected();
                    changed_one(changed)
                }

                async fn attach_code(
                    &self,
                    authorization_id: &str,
                    code_hash: &TokenHash,
                    code_expires_at: UnixTime,
                ) -> Result<(), StoreError> {
                    let changed = sqlx::query(
                        "UPDATE oauth_authorizations SET code_hash = $1, code_expires_at = $2 \
                         WHERE id = $3 AND status = 'approved' AND code_hash IS NULL",
                    )
                    .bind(code_hash.as_bytes())
                    .bind(code_expires_at.0)
                    .bind(authorization_id)
                    .execute(&self.$write)
                    .await
                    .map_err($store_error)?
                    .rows_affected();
                    changed_one(changed)
                }

                async fn exchange_code(
                    &self,
                    authorization_id: &str,
                    family: &TokenFamily,
                    tokens: &NewTokens,
                ) -> Result<(), StoreError> {
                    let mut tx = self.$write.begin().await.map_err($store_error)?;
                    let changed = sqlx::query(
                        "UPDATE oauth_authorizations SET status = 'issued', family_id = $1 \
                         WHERE id = $2 AND status = 'approved'",
                    )
                    .bind(&family.id)
                    .bind(authorization_id)
                    .execute(&mut *tx)
                    .await
                    .map_err($store_error)?
                    .rows_affected();
                    changed_one(changed)?; // on `NotLive`, dropping `tx` rolls back
                    insert_family(&mut tx, family).await?;
                    insert_tokens(&mut tx, tokens).await?;
                    audit_family(&mut tx, "tokens_issued", &family.id, family.created_at).await?;
                    tx.commit().await.map_err($store_error)
                }
            }
        };
    };
}
