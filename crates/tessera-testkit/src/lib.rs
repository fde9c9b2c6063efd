//! Test harness shared by the integration tests of every crate: a real Tessera server on
//! loopback, on a fresh database of either backend, a wallet-address server that publishes
//! clients' keys, a client that signs its requests the way the official SDKs do, a TCP proxy to
//! take the database away; for the interop tests, a server that records requests as they arrive
//! and a runner for the Node.js scripts in `interop/js`.
//!
//! Test support code, so `unwrap`/`expect` are fine here: a harness failure should stop the test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod client;
mod database;
pub mod interactive;
pub mod node;
pub mod oauth;
mod proxy;
mod recording;
pub mod rotation_chain;
mod server;
pub mod store_conformance;
mod wallet;

pub use client::{Reply, Tamper, TestClient, rotate_at_once};
pub use database::{
    Backend, DEFAULT_POSTGRES_URL, PostgresSchema, TestDatabase, postgres_addr, postgres_url,
    url_via,
};
pub use proxy::TcpProxy;
pub use recording::{RecordedRequest, RecordingServer};
pub use server::{TestServer, introspect, request_count};
pub use tessera_server::ServerConfig;
pub use wallet::{ClientKeyFile, WalletServer};

/// Access for a non-interactive incoming-payment grant.
pub fn incoming_payment_access() -> serde_json::Value {
    serde_json::json!([{"type": "incoming-payment", "actions": ["create", "read", "list", "complete"]}])
}

/// Unix seconds now.
pub fn unix_now() -> i64 {
    tessera_server::now().0
}

/// A server on `backend`, a wallet-address server, and Alice, a client registered there.
pub async fn server_wallets_and_alice(backend: Backend) -> (TestServer, WalletServer, TestClient) {
    let server = TestServer::start(backend).await;
    let wallets = WalletServer::start().await;
    let alice = TestClient::register(&wallets, "alice");
    (server, wallets, alice)
}

/// Runs each listed `async fn(Backend)` once per storage backend, as the tests
/// `sqlite::{name}` and `postgres::{name}`. A function left out of the list is dead code, which
/// the lints refuse, so no test is silently run on one backend only.
#[macro_export]
macro_rules! backend_tests {
    ($($name:ident),* $(,)?) => {
        $crate::backend_tests!(@backend sqlite, Sqlite; $($name),*);
        $crate::backend_tests!(@backend postgres, Postgres; $($name),*);
    };
    (@backend $module:ident, $backend:ident; $($name:ident),*) => {
        mod $module {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::Backend::$backend).await;
                }
            )*
        }
    };
}
