//! Tessera's storage on embedded SQLite: one file, zero set-up.
//!
//! SQLite allows one writer at a time. Rather than let several pooled connections race for the
//! write lock (and fail with `SQLITE_BUSY` on upgrade from a read transaction), all writes go
//! through a pool of exactly one connection, and reads use a separate pool. WAL mode lets the
//! readers run while the writer commits. Every lifecycle change is one transaction on the writer.

mod oauth;

use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use tessera_core::store::StoreError;
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

// The statements are shared with PostgreSQL. With one writer connection nothing runs beside a
// write transaction, so no row locking is needed, and audit event ids follow commit order.
tessera_store_sql::gnap_store! {
    store: SqliteStore,
    connection: sqlx::SqliteConnection,
    write: writer,
    read: reader,
    store_error: tessera_store_sql::store_error,
    share_lock: "",
    skip_locked: "",
    serialize_audit: None,
}
