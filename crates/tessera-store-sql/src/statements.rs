//! Statements that read the same in every SQL backend (SQLite and PostgreSQL both take `$n`
//! placeholders), returned with their arguments bound, ready to run on a backend's pool or in
//! its transaction. How statements combine into one atomic operation, and any statement that
//! differs between dialects (locking, sweeping), stays in the backend.

use sqlx::query::{Query, QueryAs};
use sqlx::{Database, Encode, FromRow, Type};
use tessera_core::UnixTime;
use tessera_core::secret::TokenHash;
use tessera_core::token::NewAccessToken;

use crate::rows::{GrantRow, TokenWithGrantRow};

/// A statement with its arguments bound.
pub type Statement<'q, DB> = Query<'q, DB, <DB as Database>::Arguments<'q>>;
/// A statement with its arguments bound that reads rows of `O`.
pub type Select<'q, DB, O> = QueryAs<'q, DB, O, <DB as Database>::Arguments<'q>>;

/// Tokens `t` joined with their grants `g`, as [`TokenWithGrantRow`]s; a `WHERE` clause follows.
macro_rules! select_token_with_grant {
    () => {
        "SELECT t.manage_id, t.grant_id, t.value_hash, t.status, \
         t.created_at AS token_created_at, t.expires_at, g.id, g.state, g.finalization, \
         g.client_wallet_address, g.client_jwk, g.access, g.continue_id, g.continue_token_hash, \
         g.created_at \
         FROM access_tokens t JOIN grants g ON g.id = t.grant_id "
    };
}

/// Inserts the grant `row`.
pub fn insert_grant<'q, DB>(row: &'q GrantRow) -> Statement<'q, DB>
where
    DB: Database,
    &'q str: Encode<'q, DB> + Type<DB>,
    Option<&'q str>: Encode<'q, DB> + Type<DB>,
    &'q [u8]: Encode<'q, DB> + Type<DB>,
    i64: Encode<'q, DB> + Type<DB>,
{
    sqlx::query(
        "INSERT INTO grants (id, state, finalization, client_wallet_address, client_jwk, access, \
         continue_id, continue_token_hash, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)",
    )
    .bind(row.id.as_str())
    .bind(row.state.as_str())
    .bind(row.finalization.as_deref())
    .bind(row.client_wallet_address.as_deref())
    .bind(row.client_jwk.as_deref())
    .bind(row.access.as_str())
    .bind(row.continue_id.as_str())
    .bind(row.continue_token_hash.as_slice())
    .bind(row.created_at)
}

/// Inserts `token` as active.
pub fn insert_token<'q, DB>(token: &'q NewAccessToken) -> Statement<'q, DB>
where
    DB: Database,
    &'q str: Encode<'q, DB> + Type<DB>,
    &'q [u8]: Encode<'q, DB> + Type<DB>,
    i64: Encode<'q, DB> + Type<DB>,
{
    sqlx::query(
        "INSERT INTO access_tokens (manage_id, grant_id, value_hash, status, created_at, expires_at) \
         VALUES ($1, $2, $3, 'active', $4, $5)",
    )
    .bind(token.manage_id.as_str())
    .bind(token.grant_id.as_str())
    .bind(token.value_hash.as_bytes())
    .bind(token.created_at.0)
    .bind(token.expires_at.0)
}

pub fn grant_by_continue_id<'q, DB>(continue_id: &'q str) -> Select<'q, DB, GrantRow>
where
    DB: Database,
    &'q str: Encode<'q, DB> + Type<DB>,
    GrantRow: for<'r> FromRow<'r, DB::Row>,
{
    sqlx::query_as(
        "SELECT id, state, finalization, client_wallet_address, client_jwk, access, continue_id, \
         continue_token_hash, created_at FROM grants WHERE continue_id = $1",
    )
    .bind(continue_id)
}

pub fn token_by_manage_id<'q, DB>(manage_id: &'q str) -> Select<'q, DB, TokenWithGrantRow>
where
    DB: Database,
    &'q str: Encode<'q, DB> + Type<DB>,
    TokenWithGrantRow: for<'r> FromRow<'r, DB::Row>,
{
    sqlx::query_as(concat!(
        select_token_with_grant!(),
        "WHERE t.manage_id = $1"
    ))
    .bind(manage_id)
}

pub fn token_by_hash<'q, DB>(hash: &'q TokenHash) -> Select<'q, DB, TokenWithGrantRow>
where
    DB: Database,
    &'q [u8]: Encode<'q, DB> + Type<DB>,
    TokenWithGrantRow: for<'r> FromRow<'r, DB::Row>,
{
    sqlx::query_as(concat!(
        select_token_with_grant!(),
        "WHERE t.value_hash = $1"
    ))
    .bind(hash.as_bytes())
}

/// Finalizes the grant as revoked unless it already is; affects one row if it was live.
pub fn finalize_grant_as_revoked<'q, DB>(grant_id: &'q str, now: UnixTime) -> Statement<'q, DB>
where
    DB: Database,
    &'q str: Encode<'q, DB> + Type<DB>,
    i64: Encode<'q, DB> + Type<DB>,
{
    sqlx::query(
        "UPDATE grants SET state = 'finalized', finalization = 'revoked', updated_at = $1 \
         WHERE id = $2 AND finalization IS DISTINCT FROM 'revoked'",
    )
    .bind(now.0)
    .bind(grant_id)
}

/// How an active token ends.
#[derive(Debug, Clone, Copy)]
pub enum TokenEnd {
    Rotated,
    Revoked,
}

/// Ends the active token `manage_id`; affects no row if it is not active (or does not exist).
pub fn end_active_token<'q, DB>(
    manage_id: &'q str,
    end: TokenEnd,
    now: UnixTime,
) -> Statement<'q, DB>
where
    DB: Database,
    &'q str: Encode<'q, DB> + Type<DB>,
    i64: Encode<'q, DB> + Type<DB>,
{
    let status = match end {
        TokenEnd::Rotated => "rotated",
        TokenEnd::Revoked => "revoked",
    };
    sqlx::query(
        "UPDATE access_tokens SET status = $1, revoked_at = $2 \
         WHERE manage_id = $3 AND status = 'active'",
    )
    .bind(status)
    .bind(now.0)
    .bind(manage_id)
}

/// Revokes every active token of the grant.
pub fn revoke_active_tokens_of_grant<'q, DB>(grant_id: &'q str, now: UnixTime) -> Statement<'q, DB>
where
    DB: Database,
    &'q str: Encode<'q, DB> + Type<DB>,
    i64: Encode<'q, DB> + Type<DB>,
{
    sqlx::query(
        "UPDATE access_tokens SET status = 'revoked', revoked_at = $1 \
         WHERE grant_id = $2 AND status = 'active'",
    )
    .bind(now.0)
    .bind(grant_id)
}
