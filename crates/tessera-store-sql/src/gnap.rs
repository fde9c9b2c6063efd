//! `GrantStore`, `TokenStore` and `AuditStore` in SQL both dialects accept, written once and
//! expanded for each backend by [`gnap_store!`](crate::gnap_store).
//!
//! Why a macro rather than code generic over `sqlx::Database`: the statements are the same, but
//! sqlx's generic executor and encoding bounds would have to be repeated on every function and
//! still not prove the futures `Send` for `async_trait`. The macro is expanded with the
//! backend's concrete pool and connection types, so the compiler checks each expansion as
//! ordinary code, and what differs between dialects is passed in as SQL fragments.

/// The SELECT list of a token `t` joined with its grant `g`, as [`TokenWithGrantRow`]s read
/// them, as a literal for `concat!`.
///
/// [`TokenWithGrantRow`]: crate::rows::TokenWithGrantRow
#[doc(hidden)]
#[macro_export]
macro_rules! token_with_grant {
    () => {
        concat!(
            "SELECT t.manage_id, t.grant_id, t.value_hash, t.status, \
             t.created_at AS token_created_at, t.expires_at, ",
            $crate::grant_columns!(),
            " FROM access_tokens t JOIN grants g ON g.id = t.grant_id "
        )
    };
}

/// Implements `GrantStore`, `TokenStore` and `AuditStore` for `$store`, a backend whose pools
/// are the fields `$write` (for changes, and reads that must see the latest commit) and `$read`.
/// Every change is one transaction, and writes its audit event in it.
///
/// What differs between dialects: `$share_lock` ends a SELECT that must share-lock the rows it
/// reads until the commit, `$skip_locked` ends the SELECT of a sweep's victims (both `""`
/// where there is a single writer), and `$serialize_audit` (`Option<&'static str>`) is run
/// before an audit event is written, to make event ids follow commit order.
#[macro_export]
macro_rules! gnap_store {
    (
        store: $store:ty,
        connection: $conn:ty,
        write: $write:ident,
        read: $read:ident,
        store_error: $store_error:path,
        share_lock: $share_lock:literal,
        skip_locked: $skip_locked:literal,
        serialize_audit: $serialize_audit:expr $(,)?
    ) => {
        const _: () = {
            use $crate::__private::async_trait::async_trait;
            use $crate::__private::sqlx;
            use $crate::__private::tessera_core::UnixTime;
            use $crate::__private::tessera_core::audit::{AuditEvent, AuditStore};
            use $crate::__private::tessera_core::grant::{Decision, Grant};
            use $crate::__private::tessera_core::secret::TokenHash;
            use $crate::__private::tessera_core::store::{GrantStore, StoreError, TokenStore};
            use $crate::__private::tessera_core::token::{NewAccessToken, TokenWithGrant};
            use $crate::oauth_rows::AuditRow;
            use $crate::{IntoDomain, changed_one};
            use $crate::rows::{GrantRow, TokenWithGrantRow, state_words};

            async fn insert_token(
                tx: &mut $conn,
                token: &NewAccessToken,
            ) -> Result<(), StoreError> {
                sqlx::query(
                    "INSERT INTO access_tokens \
                     (manage_id, grant_id, value_hash, status, created_at, expires_at) \
                     VALUES ($1, $2, $3, 'active', $4, $5)",
                )
                .bind(&token.manage_id)
                .bind(&token.grant_id)
                .bind(token.value_hash.as_bytes())
                .bind(token.created_at.0)
                .bind(token.expires_at.0)
                .execute(tx)
                .await
                .map_err($store_error)?;
                Ok(())
            }

            $crate::audit_writer!(
                audit_grant,
                $conn,
                $store_error,
                $serialize_audit,
                "INSERT INTO audit_events (at, kind, protocol, client, reference) \
                 SELECT $1, $2, 'gnap', COALESCE(client_wallet_address, 'jwk client'), id \
                 FROM grants WHERE id = $3"
            );

            $crate::row_finder!($conn, $store_error);

            #[async_trait]
            impl GrantStore for $store {
                async fn create_grant(
                    &self,
                    grant: &Grant,
                    token: Option<&NewAccessToken>,
                ) -> Result<(), StoreError> {
                    let row = GrantRow::from_domain(grant)?;
                    let mut tx = self.$write.begin().await.map_err($store_error)?;
                    sqlx::query(
                        "INSERT INTO grants (id, state, finalization, client_wallet_address, \
                         client_jwk, access, continue_id, continue_token_hash, created_at, \
                         updated_at, last_continued_at, interaction_id, interaction_nonce, \
                         interaction_ref, interaction_expires_at, finish_uri, finish_nonce, \
                         client_name) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $10, $11, \
                         $12, $13, $14, $15, $16, $17)",
                    )
                    .bind(&row.id)
                    .bind(&row.state)
                    .bind(&row.finalization)
                    .bind(&row.client_wallet_address)
                    .bind(&row.client_jwk)
                    .bind(&row.access)
                    .bind(&row.continue_id)
                    .bind(&row.continue_token_hash)
                    .bind(row.created_at)
                    .bind(row.last_continued_at)
                    .bind(&row.interaction_id)
                    .bind(&row.interaction_nonce)
                    .bind(&row.interaction_ref)
                    .bind(row.interaction_expires_at)
                    .bind(&row.finish_uri)
                    .bind(&row.finish_nonce)
                    .bind(&row.client_name)
                    .execute(&mut *tx)
                    .await
                    .map_err($store_error)?;
                    if let Some(token) = token {
                        insert_token(&mut tx, token).await?;
                    }
                    let kind = if token.is_some() {
                        "grant_issued"
                    } else {
                        "grant_requested"
                    };
                    audit_grant(&mut tx, kind, &grant.id, grant.created_at).await?;
                    tx.commit().await.map_err($store_error)
                }

                async fn grant_by_continue_id(
                    &self,
                    continue_id: &str,
                ) -> Result<Option<Grant>, StoreError> {
                    const SQL: &str = concat!(
                        "SELECT ",
                        $crate::grant_columns!(),
                        " FROM grants g WHERE g.continue_id = $1"
                    );
                    find::<GrantRow, _>(&self.$read, SQL, continue_id.to_owned()).await
                }

                async fn grant_by_interaction_id(
                    &self,
                    interaction_id: &str,
                ) -> Result<Option<Grant>, StoreError> {
                    const SQL: &str = concat!(
                        "SELECT ",
                        $crate::grant_columns!(),
                        " FROM grants g WHERE g.interaction_id = $1"
                    );
                    find::<GrantRow, _>(&self.$read, SQL, interaction_id.to_owned()).await
                }

                async fn decide_grant(
                    &self,
                    grant_id: &str,
                    decision: Decision,
                    now: UnixTime,
                ) -> Result<(), StoreError> {
                    let (state, finalization) = state_words(decision.resulting_state());
                    let mut tx = self.$write.begin().await.map_err($store_error)?;
                    let changed = sqlx::query(
                        "UPDATE grants SET state = $1, finalization = $2, updated_at = $3 \
                         WHERE id = $4 AND state = 'pending'",
                    )
                    .bind(state)
                    .bind(finalization)
                    .bind(now.0)
                    .bind(grant_id)
                    .execute(&mut *tx)
                    .await
                    .map_err($store_error)?
                    .rows_affected();
                    changed_one(changed)?; // on `NotLive`, dropping `tx` rolls back
                    let kind = match decision {
                        Decision::Accept => "grant_approved",
                        Decision::Reject => "grant_rejected",
                    };
                    audit_grant(&mut tx, kind, grant_id, now).await?;
                    tx.commit().await.map_err($store_error)
                }

                async fn issue_approved_grant(
                    &self,
                    grant_id: &str,
                    token: &NewAccessToken,
                    now: UnixTime,
                ) -> Result<(), StoreError> {
                    let mut tx = self.$write.begin().await.map_err($store_error)?;
                    let changed = sqlx::query(
                        "UPDATE grants SET state = 'finalized', finalization = 'issued', \
                         updated_at = $1, last_continued_at = $1 \
                         WHERE id = $2 AND state = 'approved'",
                    )
                    .bind(now.0)
                    .bind(grant_id)
                    .execute(&mut *tx)
                    .await
                    .map_err($store_error)?
                    .rows_affected();
                    changed_one(changed)?; // on `NotLive`, dropping `tx` rolls back
                    insert_token(&mut tx, token).await?;
                    audit_grant(&mut tx, "grant_issued", grant_id, now).await?;
                    tx.commit().await.map_err($store_error)
                }

                async fn record_continuation(
                    &self,
                    grant_id: &str,
                    previous: UnixTime,
                    now: UnixTime,
                ) -> Result<(), StoreError> {
                    let changed = sqlx::query(
                        "UPDATE grants SET last_continued_at = $1, updated_at = $1 \
                         WHERE id = $2 AND last_continued_at = $3",
                    )
                    .bind(now.0)
                    .bind(grant_id)
                    .bind(previous.0)
                    .execute(&self.$write)
                    .await
                    .map_err($store_error)?
                    .rows_affected();
                    changed_one(changed)
                }

                async fn revoke_grant(
                    &self,
                    grant_id: &str,
                    now: UnixTime,
                ) -> Result<bool, StoreError> {
                    let mut tx = self.$write.begin().await.map_err($store_error)?;
                    // Takes the grant's row lock first: rotations of its tokens (which
                    // share-lock the grant) finish before this goes on, or wait for it and then
                    // find the grant revoked.
                    let revoked = sqlx::query(
                        "UPDATE grants SET state = 'finalized', finalization = 'revoked', \
                         updated_at = $1 WHERE id = $2 AND finalization IS DISTINCT FROM 'revoked'",
                    )
                    .bind(now.0)
                    .bind(grant_id)
                    .execute(&mut *tx)
                    .await
                    .map_err($store_error)?
                    .rows_affected();
                    sqlx::query(
                        "UPDATE access_tokens SET status = 'revoked', revoked_at = $1 \
                         WHERE grant_id = $2 AND status = 'active'",
                    )
                    .bind(now.0)
                    .bind(grant_id)
                    .execute(&mut *tx)
                    .await
                    .map_err($store_error)?;
                    if revoked == 1 {
                        audit_grant(&mut tx, "grant_revoked", grant_id, now).await?;
                    }
                    tx.commit().await.map_err($store_error)?;
                    Ok(revoked == 1)
                }
            }

            #[async_trait]
            impl TokenStore for $store {
                async fn token_by_manage_id(
                    &self,
                    manage_id: &str,
                ) -> Result<Option<TokenWithGrant>, StoreError> {
                    const SQL: &str = concat!($crate::token_with_grant!(), "WHERE t.manage_id = $1");
                    find::<TokenWithGrantRow, _>(&self.$read, SQL, manage_id.to_owned()).await
                }

                async fn token_by_hash(
                    &self,
                    hash: &TokenHash,
                ) -> Result<Option<TokenWithGrant>, StoreError> {
                    const SQL: &str = concat!($crate::token_with_grant!(), "WHERE t.value_hash = $1");
                    find::<TokenWithGrantRow, _>(&self.$read, SQL, hash.as_bytes().to_vec()).await
                }

                async fn rotate_access_token(
                    &self,
                    old_manage_id: &str,
                    new: &NewAccessToken,
                    now: UnixTime,
                ) -> Result<(), StoreError> {
                    let mut tx = self.$write.begin().await.map_err($store_error)?;
                    // Where several writers run at once, a share lock on the grant keeps a
                    // concurrent revocation of it from missing the new token; rotations of one
                    // grant's tokens share it freely.
                    let grant_live: Option<i32> = sqlx::query_scalar(concat!(
                        "SELECT 1 FROM grants WHERE id = \
                         (SELECT grant_id FROM access_tokens WHERE manage_id = $1) \
                         AND finalization IS DISTINCT FROM 'revoked'",
                        $share_lock
                    ))
                    .bind(old_manage_id)
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err($store_error)?;
                    if grant_live.is_none() {
                        return Err(StoreError::NotLive); // dropping `tx` rolls back
                    }
                    // Of concurrent rotations, the first takes the token's row lock; the others
                    // wait for its commit, then find the token no longer active.
                    let rotated = sqlx::query(
                        "UPDATE access_tokens SET status = 'rotated', revoked_at = $1 \
                         WHERE manage_id = $2 AND status = 'active'",
                    )
                    .bind(now.0)
                    .bind(old_manage_id)
                    .execute(&mut *tx)
                    .await
                    .map_err($store_error)?
                    .rows_affected();
                    changed_one(rotated)?;
                    insert_token(&mut tx, new).await?;
                    audit_grant(&mut tx, "token_rotated", &new.grant_id, now).await?;
                    tx.commit().await.map_err($store_error)
                }

                async fn revoke_access_token(
                    &self,
                    manage_id: &str,
                    now: UnixTime,
                ) -> Result<(), StoreError> {
                    let mut tx = self.$write.begin().await.map_err($store_error)?;
                    let grant_id: Option<String> = sqlx::query_scalar(
                        "UPDATE access_tokens SET status = 'revoked', revoked_at = $1 \
                         WHERE manage_id = $2 AND status = 'active' RETURNING grant_id",
                    )
                    .bind(now.0)
                    .bind(manage_id)
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err($store_error)?;
                    if let Some(grant_id) = grant_id {
                        audit_grant(&mut tx, "token_revoked", &grant_id, now).await?;
                    }
                    tx.commit().await.map_err($store_error)
                }

                async fn sweep_expired_tokens(
                    &self,
                    expired_before: UnixTime,
                    batch: u32,
                ) -> Result<u64, StoreError> {
                    let deleted = sqlx::query(concat!(
                        "DELETE FROM access_tokens WHERE manage_id IN \
                         (SELECT manage_id FROM access_tokens WHERE expires_at < $1 LIMIT $2",
                        $skip_locked,
                        ")"
                    ))
                    .bind(expired_before.0)
                    .bind(i64::from(batch))
                    .execute(&self.$write)
                    .await
                    .map_err($store_error)?
                    .rows_affected();
                    Ok(deleted)
                }
            }

            #[async_trait]
            impl AuditStore for $store {
                async fn audit_events(
                    &self,
                    after: i64,
                    limit: u32,
                ) -> Result<Vec<AuditEvent>, StoreError> {
                    let rows: Vec<AuditRow> = sqlx::query_as(
                        "SELECT id, at, kind, protocol, client, subject, reference \
                         FROM audit_events WHERE id > $1 ORDER BY id LIMIT $2",
                    )
                    .bind(after)
                    .bind(i64::from(limit))
                    .fetch_all(&self.$read)
                    .await
                    .map_err($store_error)?;
                    Ok(rows.into_iter().map(AuditEvent::from).collect())
                }
            }
        };
    };
}
