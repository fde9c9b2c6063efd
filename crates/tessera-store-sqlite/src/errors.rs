//! Which SQLite errors a retry may cure.

use rusqlite::ErrorCode;
use tessera_core::store::StoreError;

/// A lock held too long by another process (`SQLITE_BUSY`, after the busy timeout) or a full
/// or unreadable disk is `Unavailable`, answered with a retryable 503; anything else is a
/// `Backend` fault.
pub fn sqlite_error(e: &rusqlite::Error) -> StoreError {
    match e.sqlite_error_code() {
        Some(
            ErrorCode::DatabaseBusy
            | ErrorCode::DatabaseLocked
            | ErrorCode::DiskFull
            | ErrorCode::SystemIoFailure
            | ErrorCode::CannotOpen,
        ) => StoreError::Unavailable(e.to_string()),
        _ => StoreError::Backend(e.to_string()),
    }
}
