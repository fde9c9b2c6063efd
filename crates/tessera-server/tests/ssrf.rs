//! Server-side request forgery: without `--allow-http`, Tessera fetches wallet addresses and
//! `jwks.json` only from public addresses, checked after DNS resolution, so neither a literal
//! loopback address nor a name that resolves to one makes it connect.
//!
//! Each target is a listener on loopback that counts connections: the protection must refuse
//! before connecting, not merely fail the TLS handshake afterwards. (Only loopback is used as a
//! target: private ranges are covered by the unit tests of the address classifier.)

// Test code: a failed unwrap is a failed test, with its location.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tessera_core::keys::{ClientKeys, KeyLookupError};
use tessera_server::HttpClientKeys;
use tessera_testkit::{TestClient, TestServer, WalletServer, incoming_payment_access};

/// A loopback listener that counts the connections it accepts; returns its port.
async fn counting_listener(ip: &str) -> (u16, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind((ip, 0)).await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let accepted = Arc::new(AtomicUsize::new(0));
    let count = accepted.clone();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            count.fetch_add(1, Ordering::SeqCst);
            drop(socket);
        }
    });
    (port, accepted)
}

#[tokio::test]
async fn loopback_wallet_addresses_are_refused_before_connecting() {
    let keys = HttpClientKeys::new(false, Duration::from_secs(60)).unwrap();
    let (port, accepted) = counting_listener("127.0.0.1").await;
    for wallet in [
        // A name that resolves to 127.0.0.1: only a check after resolution catches it.
        format!("https://localhost:{port}/alice"),
        format!("https://127.0.0.1:{port}/alice"),
        format!("https://[::ffff:127.0.0.1]:{port}/alice"),
        format!("https://2130706433:{port}/alice"),
        // Nothing listens there; without the protection this fails as Unreachable instead.
        format!("https://[::1]:{port}/alice"),
    ] {
        let result = keys.key(&wallet, "alice-key").await;
        assert!(
            matches!(result, Err(KeyLookupError::NotAllowed(_))),
            "{wallet}: {result:?}"
        );
        let result = keys.public_name(&wallet).await;
        assert!(
            matches!(result, Err(KeyLookupError::NotAllowed(_))),
            "{wallet}: {result:?}"
        );
    }
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(accepted.load(Ordering::SeqCst), 0, "Tessera connected");
}

#[tokio::test]
async fn a_grant_request_naming_a_loopback_wallet_address_is_refused() {
    let server =
        TestServer::start_with(tessera_testkit::Backend::Sqlite, |c| c.allow_http = false).await;
    let wallets = WalletServer::start().await;
    let (port, accepted) = counting_listener("127.0.0.1").await;
    // The client signs with a real key, but names a wallet address on loopback.
    let mallory = TestClient::register(&wallets, "mallory");
    let mut body = mallory.grant_body(incoming_payment_access());
    body["client"] = format!("https://localhost:{port}/mallory").into();
    let reply = mallory.request_grant(&server.grant_url(), &body).await;
    reply.assert_error(400, "invalid_client");
    assert!(
        reply.body["error"]["description"]
            .as_str()
            .unwrap()
            .contains("not allowed"),
        "{}",
        reply.body
    );
    assert_eq!(accepted.load(Ordering::SeqCst), 0, "Tessera connected");
}
