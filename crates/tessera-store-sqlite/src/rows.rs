//! Reading `rusqlite` rows into the row types shared with PostgreSQL
//! ([`tessera_store_sql::rows`], [`tessera_store_sql::oauth_rows`]), which turn them into the
//! domain model. Columns are read by position: each reader follows the column list that
//! `tessera_store_sql` defines beside its row type (`grant_columns!` and the like), and the
//! SELECTs here are built from those same lists.

use rusqlite::Row;
use tessera_store_sql::oauth_rows::{
    AccessRow, AuditRow, AuthorizationRow, ClientRow, FamilyRow, RefreshRow,
};
use tessera_store_sql::rows::{GrantRow, TokenWithGrantRow};

/// The 17 columns of `grant_columns!`, from column `at`.
pub fn grant(row: &Row<'_>, at: usize) -> rusqlite::Result<GrantRow> {
    Ok(GrantRow {
        id: row.get(at)?,
        state: row.get(at + 1)?,
        finalization: row.get(at + 2)?,
        client_wallet_address: row.get(at + 3)?,
        client_jwk: row.get(at + 4)?,
        access: row.get(at + 5)?,
        continue_id: row.get(at + 6)?,
        continue_token_hash: row.get(at + 7)?,
        created_at: row.get(at + 8)?,
        last_continued_at: row.get(at + 9)?,
        interaction_id: row.get(at + 10)?,
        interaction_nonce: row.get(at + 11)?,
        interaction_ref: row.get(at + 12)?,
        interaction_expires_at: row.get(at + 13)?,
        finish_uri: row.get(at + 14)?,
        finish_nonce: row.get(at + 15)?,
        client_name: row.get(at + 16)?,
    })
}

/// The columns of `token_with_grant!`: six of the token, then the grant's.
pub fn token_with_grant(row: &Row<'_>) -> rusqlite::Result<TokenWithGrantRow> {
    Ok(TokenWithGrantRow {
        manage_id: row.get(0)?,
        grant_id: row.get(1)?,
        value_hash: row.get(2)?,
        status: row.get(3)?,
        token_created_at: row.get(4)?,
        expires_at: row.get(5)?,
        grant: grant(row, 6)?,
    })
}

/// The columns of `client_columns!`.
pub fn client(row: &Row<'_>) -> rusqlite::Result<ClientRow> {
    Ok(ClientRow {
        id: row.get(0)?,
        name: row.get(1)?,
        kind: row.get(2)?,
        secret_hash: row.get(3)?,
        redirect_uris: row.get(4)?,
        grant_types: row.get(5)?,
        scope: row.get(6)?,
        may_introspect: row.get(7)?,
        created_at: row.get(8)?,
    })
}

/// The six columns of `family_columns!`, from column `at`.
fn family(row: &Row<'_>, at: usize) -> rusqlite::Result<FamilyRow> {
    Ok(FamilyRow {
        family_id: row.get(at)?,
        client_id: row.get(at + 1)?,
        subject: row.get(at + 2)?,
        family_scope: row.get(at + 3)?,
        family_created_at: row.get(at + 4)?,
        family_revoked_at: row.get(at + 5)?,
    })
}

/// The columns of `refresh_with_family!`: nine of the refresh token, then the family's.
pub fn refresh(row: &Row<'_>) -> rusqlite::Result<RefreshRow> {
    Ok(RefreshRow {
        hash: row.get(0)?,
        access_hash: row.get(1)?,
        state: row.get(2)?,
        created_at: row.get(3)?,
        expires_at: row.get(4)?,
        idle_expires_at: row.get(5)?,
        used_at: row.get(6)?,
        successor_hash: row.get(7)?,
        successor_sealed: row.get(8)?,
        family: family(row, 9)?,
    })
}

/// `a.scope, a.created_at, a.expires_at, a.revoked_at`, then the family's columns.
pub fn access(row: &Row<'_>) -> rusqlite::Result<AccessRow> {
    Ok(AccessRow {
        scope: row.get(0)?,
        created_at: row.get(1)?,
        expires_at: row.get(2)?,
        revoked_at: row.get(3)?,
        family: family(row, 4)?,
    })
}

/// The columns of `authorization_columns!`.
pub fn authorization(row: &Row<'_>) -> rusqlite::Result<AuthorizationRow> {
    Ok(AuthorizationRow {
        id: row.get(0)?,
        interaction_id: row.get(1)?,
        nonce: row.get(2)?,
        client_id: row.get(3)?,
        redirect_uri: row.get(4)?,
        scope: row.get(5)?,
        state: row.get(6)?,
        code_challenge: row.get(7)?,
        status: row.get(8)?,
        subject: row.get(9)?,
        family_id: row.get(10)?,
        code_hash: row.get(11)?,
        code_expires_at: row.get(12)?,
        created_at: row.get(13)?,
        expires_at: row.get(14)?,
    })
}

/// `id, at, kind, protocol, client, subject, reference` of `audit_events`.
pub fn audit(row: &Row<'_>) -> rusqlite::Result<AuditRow> {
    Ok(AuditRow {
        id: row.get(0)?,
        at: row.get(1)?,
        kind: row.get(2)?,
        protocol: row.get(3)?,
        client: row.get(4)?,
        subject: row.get(5)?,
        reference: row.get(6)?,
    })
}
