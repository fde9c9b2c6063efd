//! Test harness shared by the integration tests of every crate: a real Tessera server on
//! loopback, a wallet-address server that publishes clients' keys, and a client that signs its
//! requests the way the official SDKs do; for the interop tests, a server that records requests
//! as they arrive and a runner for the Node.js scripts in `interop/js`.
//!
//! Test support code, so `unwrap`/`expect` are fine here: a harness failure should stop the test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod client;
pub mod interactive;
pub mod node;
pub mod oauth;
mod recording;
mod server;
pub mod store_conformance;
mod wallet;

pub use client::{Reply, Tamper, TestClient};
pub use recording::{RecordedRequest, RecordingServer};
pub use server::{TestServer, request_count};
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

/// A server, a wallet-address server, and Alice, a client registered there.
pub async fn server_wallets_and_alice() -> (TestServer, WalletServer, TestClient) {
    let server = TestServer::start().await;
    let wallets = WalletServer::start().await;
    let alice = TestClient::register(&wallets, "alice");
    (server, wallets, alice)
}
