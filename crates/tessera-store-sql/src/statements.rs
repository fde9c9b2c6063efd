//! Statements that read the same in every SQL backend (SQLite and PostgreSQL both take `$n`
//! placeholders), returned with their arguments bound, ready to run in a backend's transaction.

use sqlx::query::Query;
use sqlx::{Database, Encode, Type};
use tessera_core::token::NewAccessToken;

use crate::rows::GrantRow;

/// A statement with its arguments bound.
pub type Statement<'q, DB> = Query<'q, DB, <DB as Database>::Arguments<'q>>;

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
