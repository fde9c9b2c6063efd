//! Tessera's storage on embedded SQLite: one file, zero set-up.
//!
//! SQLite allows one writer at a time. Rather than let several pooled connections race for the
//! write lock (and fail with `SQLITE_BUSY` on upgrade from a read transaction), all writes go
//! through a pool of exactly one connection, and reads use a separate pool. WAL mode lets the
//! readers run while the writer commits. Every lifecycle change is one transaction on the writer.
//! The hottest reads (token lookups, OAuth clients) use a few connections of their own, outside
//! the pool (module `hot`).

mod hot;
mod oauth;
mod rows;

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::sqlite::{
    SqliteArguments, SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions,
    SqliteRow, SqliteSynchronous,
};
use sqlx::{FromRow, Sqlite};
use tessera_core::UnixTime;
use tessera_core::grant::{Decision, Grant};
use tessera_core::secret::TokenHash;
use tessera_core::store::{GrantStore, StoreError, TokenStore};
use tessera_core::token::{NewAccessToken, TokenWithGrant};

use hot::HotReaders;
use rows::{GRANT_COLUMNS, GrantRow, TokenWithGrantRow, state_words, store_error};

#[derive(Debug, Clone)]
pub struct SqliteStore {
    writer: SqlitePool,
    reader: SqlitePool,
    /// Connections for the hot point reads; `None` for an in-memory database (one connection).
    hot: Option<Arc<HotReaders>>,
}

/// A token with its grant; `GRANT_COLUMNS` follows.
const TOKEN_COLUMNS: &str = "SELECT t.manage_id, t.grant_id, t.value_hash, t.status, \
     t.created_at AS token_created_at, t.expires_at, ";

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
            .busy_timeout(Duration::from_secs(5))
            // Performance (BENCHMARKS.md): 8 MiB of page cache per connection (SQLite's default
            // is 2 MiB) holds the interior pages of the token indexes even with ten million
            // tokens, so a lookup reads only leaf pages from the OS. Five connections stay well
            // under the 100 MB RSS budget; no mmap, whose touched pages would count as RSS.
            .pragma("cache_size", "-8192");
        let in_memory = url.contains(":memory:");
        // Performance (BENCHMARKS.md): no `test_before_acquire`. sqlx pings every connection it
        // hands out, which for SQLite is a round trip to the connection's worker thread (two
        // thread wake-ups) that can find nothing wrong: the database is a local file, not a
        // server that may have dropped the connection. It was 2 of the 9 round trips of a
        // token rotation.
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .test_before_acquire(false)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options.clone())
            .await
            .map_err(store_error)?;
        sqlx::migrate!("./migrations")
            .run(&writer)
            .await
            .map_err(|e| StoreError::Backend(format!("migration failed: {e}")))?;
        // An in-memory database exists only on its one connection.
        let (reader, hot) = if in_memory {
            (writer.clone(), None)
        } else {
            let hot = HotReaders::open(&options).await?;
            let reader = SqlitePoolOptions::new()
                .max_connections(4)
                .test_before_acquire(false)
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(options)
                .await
                .map_err(store_error)?;
            (reader, Some(Arc::new(hot)))
        };
        Ok(SqliteStore {
            writer,
            reader,
            hot,
        })
    }

    /// The row `query` finds, if any, read on a hot-path connection (module `hot`).
    pub(crate) async fn fetch_hot<'q, O>(
        &self,
        query: sqlx::query::QueryAs<'q, Sqlite, O, SqliteArguments<'q>>,
    ) -> Result<Option<O>, StoreError>
    where
        O: Send + Unpin + for<'r> FromRow<'r, SqliteRow>,
    {
        match &self.hot {
            Some(hot) => {
                let mut connection = hot.get().await;
                query.fetch_optional(&mut *connection).await
            }
            None => query.fetch_optional(&self.reader).await,
        }
        .map_err(store_error)
    }

    /// `PRAGMA integrity_check` passes.
    pub async fn integrity_ok(&self) -> Result<bool, StoreError> {
        let result: String = sqlx::query_scalar("PRAGMA integrity_check")
            .fetch_one(&self.reader)
            .await
            .map_err(store_error)?;
        Ok(result == "ok")
    }

    async fn grant_where(&self, condition: &str, bind: &str) -> Result<Option<Grant>, StoreError> {
        let sql = format!("SELECT {GRANT_COLUMNS} FROM grants g WHERE {condition}");
        let row: Option<GrantRow> = sqlx::query_as(&sql)
            .bind(bind)
            .fetch_optional(&self.reader)
            .await
            .map_err(store_error)?;
        row.map(GrantRow::into_domain).transpose()
    }

    async fn token_where<T>(
        &self,
        condition: &str,
        bind: T,
    ) -> Result<Option<TokenWithGrant>, StoreError>
    where
        T: for<'q> sqlx::Encode<'q, sqlx::Sqlite> + sqlx::Type<sqlx::Sqlite> + Send,
    {
        let sql = format!(
            "{TOKEN_COLUMNS}{GRANT_COLUMNS} FROM access_tokens t JOIN grants g ON g.id = t.grant_id \
             WHERE {condition}"
        );
        let row: Option<TokenWithGrantRow> =
            self.fetch_hot(sqlx::query_as(&sql).bind(bind)).await?;
        row.map(TokenWithGrantRow::into_domain).transpose()
    }
}

async fn insert_token(
    tx: &mut sqlx::SqliteConnection,
    token: &NewAccessToken,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO access_tokens (manage_id, grant_id, value_hash, status, created_at, expires_at) \
         VALUES (?, ?, ?, 'active', ?, ?)",
    )
    .bind(&token.manage_id)
    .bind(&token.grant_id)
    .bind(token.value_hash.as_bytes())
    .bind(token.created_at.0)
    .bind(token.expires_at.0)
    .execute(tx)
    .await
    .map_err(store_error)?;
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
        let mut tx = self.writer.begin().await.map_err(store_error)?;
        sqlx::query(
            "INSERT INTO grants (id, state, finalization, client_wallet_address, client_jwk, access, \
             continue_id, continue_token_hash, created_at, updated_at, last_continued_at, \
             interaction_id, interaction_nonce, interaction_ref, interaction_expires_at, finish_uri, \
             finish_nonce, client_name) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
        .map_err(store_error)?;
        if let Some(token) = token {
            insert_token(&mut tx, token).await?;
        }
        tx.commit().await.map_err(store_error)
    }

    async fn grant_by_continue_id(&self, continue_id: &str) -> Result<Option<Grant>, StoreError> {
        self.grant_where("g.continue_id = ?", continue_id).await
    }

    async fn grant_by_interaction_id(
        &self,
        interaction_id: &str,
    ) -> Result<Option<Grant>, StoreError> {
        self.grant_where("g.interaction_id = ?", interaction_id)
            .await
    }

    async fn decide_grant(
        &self,
        grant_id: &str,
        decision: Decision,
        now: UnixTime,
    ) -> Result<(), StoreError> {
        let (state, finalization) = state_words(decision.resulting_state());
        let changed = sqlx::query(
            "UPDATE grants SET state = ?, finalization = ?, updated_at = ? \
             WHERE id = ? AND state = 'pending'",
        )
        .bind(state)
        .bind(finalization)
        .bind(now.0)
        .bind(grant_id)
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

    async fn issue_approved_grant(
        &self,
        grant_id: &str,
        token: &NewAccessToken,
        now: UnixTime,
    ) -> Result<(), StoreError> {
        let mut tx = self.writer.begin().await.map_err(store_error)?;
        let changed = sqlx::query(
            "UPDATE grants SET state = 'finalized', finalization = 'issued', updated_at = ?, \
             last_continued_at = ? WHERE id = ? AND state = 'approved'",
        )
        .bind(now.0)
        .bind(now.0)
        .bind(grant_id)
        .execute(&mut *tx)
        .await
        .map_err(store_error)?
        .rows_affected();
        if changed != 1 {
            return Err(StoreError::NotLive); // dropping `tx` rolls back
        }
        insert_token(&mut tx, token).await?;
        tx.commit().await.map_err(store_error)
    }

    async fn record_continuation(
        &self,
        grant_id: &str,
        previous: UnixTime,
        now: UnixTime,
    ) -> Result<(), StoreError> {
        let changed = sqlx::query(
            "UPDATE grants SET last_continued_at = ?, updated_at = ? \
             WHERE id = ? AND last_continued_at = ?",
        )
        .bind(now.0)
        .bind(now.0)
        .bind(grant_id)
        .bind(previous.0)
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

    async fn revoke_grant(&self, grant_id: &str, now: UnixTime) -> Result<bool, StoreError> {
        let mut tx = self.writer.begin().await.map_err(store_error)?;
        let revoked = sqlx::query(
            "UPDATE grants SET state = 'finalized', finalization = 'revoked', updated_at = ? \
             WHERE id = ? AND finalization IS NOT 'revoked'",
        )
        .bind(now.0)
        .bind(grant_id)
        .execute(&mut *tx)
        .await
        .map_err(store_error)?
        .rows_affected();
        sqlx::query(
            "UPDATE access_tokens SET status = 'revoked', revoked_at = ? WHERE grant_id = ? AND status = 'active'",
        )
        .bind(now.0)
        .bind(grant_id)
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
        self.token_where("t.manage_id = ?", manage_id.to_owned())
            .await
    }

    async fn token_by_hash(&self, hash: &TokenHash) -> Result<Option<TokenWithGrant>, StoreError> {
        self.token_where("t.value_hash = ?", hash.as_bytes().to_vec())
            .await
    }

    async fn rotate_access_token(
        &self,
        old_manage_id: &str,
        new: &NewAccessToken,
        now: UnixTime,
    ) -> Result<(), StoreError> {
        let mut tx = self.writer.begin().await.map_err(store_error)?;
        // Performance (BENCHMARKS.md): both changes in one statement batch, so one round trip to
        // the connection's worker thread instead of two. The INSERT runs only if the UPDATE
        // changed the old token (`changes()` is the UPDATE's row count), so when another request
        // rotated or revoked it first nothing is inserted and the batch reports 0 rows.
        let changed = sqlx::query(
            "UPDATE access_tokens SET status = 'rotated', revoked_at = ? WHERE manage_id = ? AND status = 'active'; \
             INSERT INTO access_tokens (manage_id, grant_id, value_hash, status, created_at, expires_at) \
             SELECT ?, ?, ?, 'active', ?, ? WHERE changes() = 1",
        )
        .bind(now.0)
        .bind(old_manage_id)
        .bind(&new.manage_id)
        .bind(&new.grant_id)
        .bind(new.value_hash.as_bytes())
        .bind(new.created_at.0)
        .bind(new.expires_at.0)
        .execute(&mut *tx)
        .await
        .map_err(store_error)?
        .rows_affected();
        if changed != 2 {
            return Err(StoreError::NotLive); // dropping `tx` rolls back
        }
        tx.commit().await.map_err(store_error)
    }

    async fn revoke_access_token(&self, manage_id: &str, now: UnixTime) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE access_tokens SET status = 'revoked', revoked_at = ? WHERE manage_id = ? AND status = 'active'",
        )
        .bind(now.0)
        .bind(manage_id)
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
