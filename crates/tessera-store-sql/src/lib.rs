//! What Tessera's SQL storage backends share, so that SQLite and PostgreSQL store exactly the
//! same rows: the mapping between rows and the domain model ([`rows`]), the statements that read
//! the same in both dialects ([`statements`]), and the classification of `sqlx` errors. Each
//! backend keeps its own schema, migrations, pools, locking and every statement that differs.

pub mod rows;
pub mod statements;

use tessera_core::store::StoreError;

/// Classifies an error every SQL backend can meet: connection and pool failures are
/// `Unavailable` (a retry may succeed), anything else is a `Backend` fault. Backends first
/// pick out their own transient database errors.
pub fn store_error(e: sqlx::Error) -> StoreError {
    match e {
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => {
            StoreError::Unavailable(e.to_string())
        }
        other => StoreError::Backend(other.to_string()),
    }
}
