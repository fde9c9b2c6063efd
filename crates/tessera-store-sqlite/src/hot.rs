//! Connections for the hot point reads (token lookups by management id or hash, OAuth clients),
//! held outside sqlx's pool.
//!
//! Performance (BENCHMARKS.md): sqlx ends every use of a pooled connection with a ping on release,
//! in a spawned task: a round trip to the connection's worker thread that an embedded database
//! does not need, on every introspection and every token lookup. These reads are single
//! statements that leave nothing open behind them (sqlx resets a statement when its execution
//! ends, also when the caller drops the future half-way), so a connection can go straight back
//! to the next caller.

use std::sync::atomic::{AtomicUsize, Ordering};

use sqlx::ConnectOptions as _;
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use tessera_core::store::StoreError;
use tokio::sync::{Mutex, MutexGuard};

use crate::rows::store_error;

/// As many as the machine has cores, at least one.
pub(crate) struct HotReaders {
    connections: Vec<Mutex<SqliteConnection>>,
    next: AtomicUsize,
}

impl std::fmt::Debug for HotReaders {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HotReaders")
            .field("connections", &self.connections.len())
            .finish()
    }
}

impl HotReaders {
    pub async fn open(options: &SqliteConnectOptions) -> Result<HotReaders, StoreError> {
        let count = std::thread::available_parallelism().map_or(2, |n| n.get().clamp(1, 4));
        let mut connections = Vec::with_capacity(count);
        for _ in 0..count {
            connections.push(Mutex::new(options.connect().await.map_err(store_error)?));
        }
        Ok(HotReaders {
            connections,
            next: AtomicUsize::new(0),
        })
    }

    /// A free connection if there is one, else the next in turn once it is free.
    pub async fn get(&self) -> MutexGuard<'_, SqliteConnection> {
        let n = self.connections.len();
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        for i in 0..n {
            if let Ok(connection) = self.connections[(start + i) % n].try_lock() {
                return connection;
            }
        }
        self.connections[start % n].lock().await
    }
}
