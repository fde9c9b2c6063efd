//! Tessera's storage on embedded SQLite: one file, zero set-up.
//!
//! SQLite allows one writer at a time. Rather than let several pooled connections race for the
//! write lock (and fail with `SQLITE_BUSY` on upgrade from a read transaction), all writes go
//! through a pool of exactly one connection, and reads use a separate pool. WAL mode lets the
//! readers run while the writer commits. Every lifecycle change is one transaction on the writer.

use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use tessera_core::UnixTime;
use tessera_core::grant::Grant;
use tessera_core::secret::TokenHash;
use tessera_core::store::{GrantStore, StoreError, TokenStore};
use tessera_core::token::{NewAccessToken, TokenWithGrant};

use tessera_store_sql::rows::{GrantRow, TokenWithGrantRow};
use tessera_store_sql::statements::{self, TokenEnd};
use tessera_store_sql::store_error;

#[derive(Debug, Clone)]
pub struct SqliteStore {
    writer: SqlitePool,
    reader: SqlitePool,
}

impl SqliteStore {
    /// Opens (creating if missing) the database at `url` (`sqlite://path`, `sqlite:path` or
    /// `sqlite::memory:`) and brings its schema up to date.
    pub async fn connect(url: &str) -> Result<SqliteStore, StoreError> {
        let options = SqliteConnectOptions::from_str(url)
            .map_err(|e| StoreError::Backend(format!("bad SQLite URL: {e}")))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(5));
        let in_memory = url.contains(":memory:");
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options.clone())
            .await
            .map_err(store_error)?;
        sqlx::migrate!("./migrations")
            .run(&writer)
            .await
            .map_err(|e| StoreError::Backend(format!("migration failed: {e}")))?;
        // An in-memory database exists only on its one connection.
        let reader = if in_memory {
            writer.clone()
        } else {
            SqlitePoolOptions::new()
                .max_connections(4)
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(options)
                .await
                .map_err(store_error)?
        };
        Ok(SqliteStore { writer, reader })
    }

    /// `PRAGMA integrity_check` passes.
    pub async fn integrity_ok(&self) -> Result<bool, StoreError> {
        let result: String = sqlx::query_scalar("PRAGMA integrity_check")
            .fetch_one(&self.reader)
            .await
            .map_err(store_error)?;
        Ok(result == "ok")
    }
}

#[async_trait]
impl GrantStore for SqliteStore {
    async fn create_grant(
        &self,
        grant: &Grant,
        token: Option<&NewAccessToken>,
    ) -> Result<(), StoreError> {
        let row = GrantRow::from_domain(grant)?;
        let mut tx = self.writer.begin().await.map_err(store_error)?;
        statements::insert_grant(&row)
            .execute(&mut *tx)
            .await
            .map_err(store_error)?;
        if let Some(token) = token {
            statements::insert_token(token)
                .execute(&mut *tx)
                .await
                .map_err(store_error)?;
        }
        tx.commit().await.map_err(store_error)
    }

    async fn grant_by_continue_id(&self, continue_id: &str) -> Result<Option<Grant>, StoreError> {
        let row = statements::grant_by_continue_id(continue_id)
            .fetch_optional(&self.reader)
            .await
            .map_err(store_error)?;
        row.map(GrantRow::into_domain).transpose()
    }

    async fn revoke_grant(&self, grant_id: &str, now: UnixTime) -> Result<bool, StoreError> {
        let mut tx = self.writer.begin().await.map_err(store_error)?;
        let revoked = statements::finalize_grant_as_revoked(grant_id, now)
            .execute(&mut *tx)
            .await
            .map_err(store_error)?
            .rows_affected();
        statements::revoke_active_tokens_of_grant(grant_id, now)
            .execute(&mut *tx)
            .await
            .map_err(store_error)?;
        tx.commit().await.map_err(store_error)?;
        Ok(revoked == 1)
    }
}

#[async_trait]
impl TokenStore for SqliteStore {
    async fn token_by_manage_id(
        &self,
        manage_id: &str,
    ) -> Result<Option<TokenWithGrant>, StoreError> {
        let row = statements::token_by_manage_id(manage_id)
            .fetch_optional(&self.reader)
            .await
            .map_err(store_error)?;
        row.map(TokenWithGrantRow::into_domain).transpose()
    }

    async fn token_by_hash(&self, hash: &TokenHash) -> Result<Option<TokenWithGrant>, StoreError> {
        let row = statements::token_by_hash(hash)
            .fetch_optional(&self.reader)
            .await
            .map_err(store_error)?;
        row.map(TokenWithGrantRow::into_domain).transpose()
    }

    async fn rotate_access_token(
        &self,
        old_manage_id: &str,
        new: &NewAccessToken,
        now: UnixTime,
    ) -> Result<(), StoreError> {
        // One writer: nothing can change the old token between this update and the commit.
        let mut tx = self.writer.begin().await.map_err(store_error)?;
        let rotated = statements::end_active_token(old_manage_id, TokenEnd::Rotated, now)
            .execute(&mut *tx)
            .await
            .map_err(store_error)?
            .rows_affected();
        if rotated != 1 {
            return Err(StoreError::NotLive); // dropping `tx` rolls back
        }
        statements::insert_token(new)
            .execute(&mut *tx)
            .await
            .map_err(store_error)?;
        tx.commit().await.map_err(store_error)
    }

    async fn revoke_access_token(&self, manage_id: &str, now: UnixTime) -> Result<(), StoreError> {
        statements::end_active_token(manage_id, TokenEnd::Revoked, now)
            .execute(&self.writer)
            .await
            .map_err(store_error)?;
        Ok(())
    }

    async fn sweep_expired_tokens(
        &self,
        expired_before: UnixTime,
        batch: u32,
    ) -> Result<u64, StoreError> {
        let deleted = sqlx::query(
            "DELETE FROM access_tokens WHERE rowid IN \
             (SELECT rowid FROM access_tokens WHERE expires_at < ? LIMIT ?)",
        )
        .bind(expired_before.0)
        .bind(i64::from(batch))
        .execute(&self.writer)
        .await
        .map_err(store_error)?
        .rows_affected();
        Ok(deleted)
    }
}
