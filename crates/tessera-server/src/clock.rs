//! The one place the server reads the wall clock; the domain gets the time as a value.

use std::time::{SystemTime, UNIX_EPOCH};

use tessera_core::UnixTime;

pub fn now() -> UnixTime {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    UnixTime(i64::try_from(secs).unwrap_or(i64::MAX))
}
