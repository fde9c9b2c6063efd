//! What Tessera's SQL storage backends share, so that SQLite and PostgreSQL store exactly the
//! same rows: the mapping between rows and the domain model ([`rows`], [`oauth_rows`], with the
//! column lists their SELECTs use), every store operation in SQL ([`gnap_store!`],
//! [`oauth_store!`], expanded by the PostgreSQL backend for its pools), and the classification
//! of `sqlx` errors. The SQLite backend runs the same statements, less the row locks, through
//! `rusqlite` on its own writer thread (its `engine` module says why), and reads its rows into
//! the row types here. Each backend keeps its own schema and migrations.

pub mod gnap;
pub mod oauth;
pub mod oauth_rows;
pub mod rows;

use tessera_core::store::StoreError;

/// What the macros' expansions use, so that a backend need not depend on it by these names.
#[doc(hidden)]
pub mod __private {
    pub use async_trait;
    pub use sqlx;
    pub use tessera_core;
}

/// A row type that reads as a domain value (or finds the row corrupt).
pub trait IntoDomain {
    type Domain;
    fn into_domain(self) -> Result<Self::Domain, StoreError>;
}

/// Defines `async fn find::<R, _>(pool, sql, key)`: the row of type `R` that `sql` (with `$1`
/// bound to `key`) selects, if any, as its domain value.
#[doc(hidden)]
#[macro_export]
macro_rules! row_finder {
    ($conn:ty, $store_error:path) => {
        async fn find<R, T>(
            pool: &$crate::__private::sqlx::Pool<<$conn as $crate::__private::sqlx::Connection>::Database>,
            sql: &'static str,
            key: T,
        ) -> Result<Option<R::Domain>, $crate::__private::tessera_core::store::StoreError>
        where
            R: $crate::IntoDomain
                + for<'r> $crate::__private::sqlx::FromRow<
                    'r,
                    <<$conn as $crate::__private::sqlx::Connection>::Database as $crate::__private::sqlx::Database>::Row,
                > + Send
                + Unpin,
            T: for<'q> $crate::__private::sqlx::Encode<'q, <$conn as $crate::__private::sqlx::Connection>::Database>
                + $crate::__private::sqlx::Type<<$conn as $crate::__private::sqlx::Connection>::Database>
                + Send,
        {
            let row: Option<R> = $crate::__private::sqlx::query_as(sql)
                .bind(key)
                .fetch_optional(pool)
                .await
                .map_err($store_error)?;
            row.map(R::into_domain).transpose()
        }
    };
}

/// The outcome of a conditional update of one row: `NotLive` unless it changed that row.
pub fn changed_one(rows_affected: u64) -> Result<(), StoreError> {
    if rows_affected == 1 {
        Ok(())
    } else {
        Err(StoreError::NotLive)
    }
}

/// Defines `async fn $name(tx, kind, reference, now)`, which writes an audit event inside `tx`
/// with `$insert` (`$1` the time, `$2` the kind, `$3` the grant or family id). It must be the
/// transaction's last statement, so that the lock `$serialize_audit` takes (where given) is held
/// only until the commit.
#[doc(hidden)]
#[macro_export]
macro_rules! audit_writer {
    ($name:ident, $conn:ty, $store_error:path, $serialize_audit:expr, $insert:literal) => {
        async fn $name(
            tx: &mut $conn,
            kind: &str,
            reference: &str,
            now: $crate::__private::tessera_core::UnixTime,
        ) -> Result<(), $crate::__private::tessera_core::store::StoreError> {
            if let Some(serialize) = $serialize_audit {
                $crate::__private::sqlx::query(serialize)
                    .execute(&mut *tx)
                    .await
                    .map_err($store_error)?;
            }
            $crate::__private::sqlx::query($insert)
                .bind(now.0)
                .bind(kind)
                .bind(reference)
                .execute(tx)
                .await
                .map_err($store_error)?;
            Ok(())
        }
    };
}

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
