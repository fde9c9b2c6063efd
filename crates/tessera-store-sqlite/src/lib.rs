//! Tessera's storage on embedded SQLite: one file, zero set-up.
//!
//! SQLite allows one writer at a time, so all changes go through one writer thread, which
//! commits whatever has queued up together; reads run on their own connections, beside it, as
//! WAL mode allows ([`engine`] says why this is not sqlx). The schema and its migrations are
//! sqlx's, as they are for PostgreSQL, so `tessera migrate` treats both alike.

mod build_options;
mod engine;
mod errors;
mod gnap;
mod oauth;
mod rows;

use std::str::FromStr;
use std::time::Duration;

use sqlx::migrate::Migrator;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sqlx::{ConnectOptions as _, Connection as _};
use tessera_core::store::StoreError;
use tessera_store_sql::store_error;

pub use crate::build_options::contended_build_settings;
use crate::engine::{Engine, Location};
use crate::gnap::db;

/// The schema's migrations, for tools that build a database on a connection of their own (the
/// benchmark's seeder).
pub static MIGRATOR: Migrator = sqlx::migrate!("./migrations");

#[derive(Debug, Clone)]
pub struct SqliteStore {
    engine: Engine,
}

impl SqliteStore {
    /// Opens (creating if missing) the database at `url` (`sqlite://path`, `sqlite:path` or
    /// `sqlite::memory:`) and brings its schema up to date.
    pub async fn connect(url: &str) -> Result<SqliteStore, StoreError> {
        let options = SqliteConnectOptions::from_str(url)
            .map_err(|e| StoreError::Backend(format!("bad SQLite URL: {e}")))?;
        if url.contains(":memory:") {
            // A database in memory lives on the writer's connection alone, so the migrations
            // run there; it starts empty every time, so there is nothing to keep track of.
            let engine = Engine::open(&Location::Memory)?;
            engine
                .write(|conn| {
                    for migration in MIGRATOR.iter() {
                        conn.execute_batch(&migration.sql).map_err(db)?;
                    }
                    Ok(())
                })
                .await?;
            return Ok(SqliteStore { engine });
        }
        let path = options.get_filename().to_owned();
        let mut conn = options
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(5))
            .connect()
            .await
            .map_err(store_error)?;
        MIGRATOR
            .run(&mut conn)
            .await
            .map_err(|e| StoreError::Backend(format!("migration failed: {e}")))?;
        conn.close().await.map_err(store_error)?;
        let engine = Engine::open(&Location::File(path))?;
        Ok(SqliteStore { engine })
    }

    /// `PRAGMA integrity_check` passes.
    pub async fn integrity_ok(&self) -> Result<bool, StoreError> {
        let result: String = self
            .engine
            .read(|conn| {
                conn.query_row("PRAGMA integrity_check", [], |r| r.get(0))
                    .map_err(db)
            })
            .await?;
        Ok(result == "ok")
    }
}
