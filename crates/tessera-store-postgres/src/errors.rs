//! `sqlx` and PostgreSQL errors as [`StoreError`]s: what a retry may cure is `Unavailable`.

use sqlx::migrate::MigrateError;
use tessera_core::store::StoreError;

/// SQLSTATEs after which the same request may well succeed a moment later
/// (<https://www.postgresql.org/docs/current/errcodes-appendix.html>).
fn is_transient(sqlstate: &str) -> bool {
    sqlstate.starts_with("08") // connection_exception and its subclasses
        || matches!(
            sqlstate,
            "40001" // serialization_failure
            | "40P01" // deadlock_detected
            | "53300" // too_many_connections
            | "55P03" // lock_not_available
            | "57014" // query_canceled (statement_timeout)
            | "57P01" // admin_shutdown
            | "57P02" // crash_shutdown
            | "57P03" // cannot_connect_now (starting up)
        )
}

pub(crate) fn store_error(e: sqlx::Error) -> StoreError {
    match &e {
        sqlx::Error::Database(db) if db.code().is_some_and(|code| is_transient(&code)) => {
            StoreError::Unavailable(e.to_string())
        }
        _ => tessera_store_sql::store_error(e),
    }
}

pub(crate) fn migrate_error(e: MigrateError) -> StoreError {
    match e {
        MigrateError::Execute(e) => store_error(e),
        other => StoreError::Backend(format!("migration failed: {other}")),
    }
}

#[cfg(test)]
mod tests {
    use super::is_transient;

    #[test]
    fn connection_and_shutdown_errors_are_transient_constraint_violations_are_not() {
        for code in [
            "08006", "08001", "57P01", "57P03", "53300", "57014", "40001",
        ] {
            assert!(is_transient(code), "{code}");
        }
        for code in ["23505", "23503", "42P01", "22001", "XX000"] {
            assert!(!is_transient(code), "{code}");
        }
    }
}
