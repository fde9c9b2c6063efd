//! How the linked SQLite was compiled, where it decides whether connections wait on each other.
//!
//! libsqlite3-sys compiles SQLite with `SQLITE_ENABLE_MEMORY_MANAGEMENT`, which puts every
//! connection's page cache behind one process-wide mutex, and with allocation statistics, kept
//! behind another that every SQLite `malloc` and `free` takes. The writer and the readers then
//! queue on those locks for every page they touch (BENCHMARKS.md measured 8–20 % more
//! throughput without them). The workspace's `.cargo/config.toml` compiles SQLite without
//! both; a build made outside the workspace may not, and the server warns.

use rusqlite::Connection;
use tessera_core::store::StoreError;

use crate::errors::sqlite_error;

/// A compile-time setting that makes connections share a process-wide lock.
struct Contended {
    /// As `PRAGMA compile_options` lists it.
    listed: &'static str,
    /// Whether being listed is the contended case (else being absent is).
    contended_when_listed: bool,
    /// For the warning.
    setting: &'static str,
}

const CONTENDED: [Contended; 2] = [
    Contended {
        listed: "ENABLE_MEMORY_MANAGEMENT",
        contended_when_listed: true,
        setting: "SQLITE_ENABLE_MEMORY_MANAGEMENT (one page-cache mutex for all connections)",
    },
    Contended {
        listed: "DEFAULT_MEMSTATUS=0",
        contended_when_listed: false,
        setting: "SQLITE_DEFAULT_MEMSTATUS=1 (allocation statistics behind one mutex)",
    },
];

/// The settings this build of SQLite was compiled with that make concurrent connections share
/// a process-wide lock; empty when built as the workspace configures it.
pub fn contended_build_settings() -> Result<Vec<&'static str>, StoreError> {
    let conn = Connection::open_in_memory().map_err(|e| sqlite_error(&e))?;
    let mut statement = conn
        .prepare("PRAGMA compile_options")
        .map_err(|e| sqlite_error(&e))?;
    let listed: Vec<String> = statement
        .query_map([], |row| row.get(0))
        .and_then(|rows| rows.collect())
        .map_err(|e| sqlite_error(&e))?;
    Ok(CONTENDED
        .iter()
        .filter(|c| listed.iter().any(|l| l == c.listed) == c.contended_when_listed)
        .map(|c| c.setting)
        .collect())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    /// Fails when `.cargo/config.toml` no longer reaches libsqlite3-sys's build.
    #[test]
    fn the_workspace_builds_sqlite_without_process_wide_locks() {
        assert_eq!(contended_build_settings().unwrap(), Vec::<&str>::new());
    }
}
