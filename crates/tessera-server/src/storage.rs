//! Chooses the storage backend from the database URL, and runs its migrations.

use std::sync::Arc;

use tessera_core::store::{Store, StoreError};
use tessera_store_postgres::PostgresStore;
use tessera_store_sqlite::SqliteStore;

/// The backends a database URL can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Backend {
    /// `sqlite://path`, `sqlite:path`, `sqlite::memory:`.
    Sqlite,
    /// `postgres://…` or `postgresql://…`.
    Postgres,
}

fn backend(database_url: &str) -> Result<Backend, StoreError> {
    if database_url.starts_with("sqlite:") {
        Ok(Backend::Sqlite)
    } else if database_url.starts_with("postgres://") || database_url.starts_with("postgresql://") {
        Ok(Backend::Postgres)
    } else {
        Err(StoreError::Backend(format!(
            "unsupported database URL (expected sqlite://path or postgres://…): {}",
            redact(database_url)
        )))
    }
}

/// Opens the database, bringing its schema up to date first.
pub async fn open_store(database_url: &str) -> Result<Arc<dyn Store>, StoreError> {
    Ok(match backend(database_url)? {
        Backend::Sqlite => {
            for setting in tessera_store_sqlite::contended_build_settings()? {
                tracing::warn!(
                    setting,
                    "SQLite was compiled with a setting that makes connections wait on each \
                     other; build Tessera inside its workspace (.cargo/config.toml) to go faster"
                );
            }
            Arc::new(SqliteStore::connect(database_url).await?)
        }
        Backend::Postgres => Arc::new(PostgresStore::connect(database_url).await?),
    })
}

/// Brings the schema of the database up to date, and does nothing else.
pub async fn migrate(database_url: &str) -> Result<(), StoreError> {
    match backend(database_url)? {
        // Opening a SQLite database migrates it; the pools close when dropped.
        Backend::Sqlite => SqliteStore::connect(database_url).await.map(drop),
        Backend::Postgres => tessera_store_postgres::migrate(database_url).await,
    }
}

/// The URL without credentials, for messages.
fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => url.split('@').next_back().unwrap_or(url).to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::{Backend, backend};

    #[test]
    fn the_url_scheme_picks_the_backend() {
        for (url, expected) in [
            ("sqlite://tessera.db", Backend::Sqlite),
            ("sqlite::memory:", Backend::Sqlite),
            ("postgres://u@db/tessera", Backend::Postgres),
            (
                "postgresql://u:p@db:5432/tessera?sslmode=require",
                Backend::Postgres,
            ),
        ] {
            assert_eq!(backend(url).ok(), Some(expected), "{url}");
        }
        for url in ["mysql://u@db/t", "tessera.db", "postgres:/nope"] {
            assert!(backend(url).is_err(), "{url}");
        }
    }

    #[test]
    fn errors_never_show_the_password() {
        let message = backend("mysql://tessera:hunter2@db/t")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(message.contains("unsupported"), "{message}");
        assert!(!message.contains("hunter2"), "{message}");
    }
}
