//! The official Open Payments Rust SDK, crate `open-payments` (pinned `=0.2.0` in the workspace
//! `Cargo.toml`), against a real `tessera serve`, the way the crate's own integration tests use
//! it (`tests/integration/grant.rs`, `token.rs`): grant request, rotate, revoke, cancel.
//!
//! The crate lets its client make its own key (`private_key_path` missing) and write its own
//! `jwks.json`; the wallet address publishes exactly that file, so the SDK's JWK form is under
//! test too. What the crate sends that a strict server could refuse: signatures in its own
//! non-RFC-9421 form (unquoted components, bare base64 `Signature`), `content-type` covered on
//! every request including bodiless DELETEs, no `Accept`, and `"finish": null` inside `interact`.
//! It only accepts 204 for `()` results (cancel, revoke).

// Test code: a failed unwrap is a failed test, with its location.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::Path;

use open_payments::client::{AuthenticatedClient, AuthenticatedResources as _, ClientConfig};
use open_payments::types::{
    AccessItem, AccessToken, AccessTokenRequest, Continue, GrantRequest, GrantResponse,
    IncomingPaymentAction, InteractRequest, QuoteAction,
};
use tessera_proto::jwk::Jwk;
use tessera_testkit::WalletServer;

/// An SDK client for wallet address `name`, with a key the SDK generated and whose JWKS (as the
/// SDK wrote it) `wallets` publishes.
fn sdk_client(wallets: &WalletServer, dir: &Path, name: &str) -> AuthenticatedClient {
    let jwks_path = dir.join(format!("{name}-jwks.json"));
    let client = AuthenticatedClient::new(ClientConfig {
        key_id: format!("{name}-key"),
        private_key_path: dir.join(format!("{name}.pem")),
        jwks_path: Some(jwks_path.clone()),
        wallet_address_url: wallets.address(name),
    })
    .unwrap();
    let jwks: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(jwks_path).unwrap()).unwrap();
    let keys: Vec<Jwk> = serde_json::from_value(jwks["keys"].clone()).unwrap();
    assert_eq!(keys.len(), 1);
    wallets.set_keys(name, keys);
    client
}

fn incoming_payment_and_quote() -> Vec<AccessItem> {
    vec![
        AccessItem::IncomingPayment {
            actions: vec![IncomingPaymentAction::Create, IncomingPaymentAction::Read],
            identifier: None,
        },
        AccessItem::Quote {
            actions: vec![QuoteAction::Create, QuoteAction::Read],
        },
    ]
}

async fn request_grant(
    client: &AuthenticatedClient,
    grant_url: &str,
    interact: Option<InteractRequest>,
) -> (AccessToken, Continue) {
    let request = GrantRequest::new(
        AccessTokenRequest {
            access: incoming_payment_and_quote(),
        },
        interact,
    );
    match client.grant().request(grant_url, &request, None).await {
        Ok(GrantResponse::WithToken {
            access_token,
            continue_,
            ..
        }) => (access_token, continue_),
        other => panic!("expected a grant with a token, got {other:?}"),
    }
}

async fn is_active(server: &common::ServeProcess, token: &str) -> bool {
    let reply: serde_json::Value = reqwest::Client::new()
        .post(format!("{}/introspect", server.internal_url))
        .json(&serde_json::json!({ "access_token": token }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    reply["active"].as_bool().unwrap()
}

/// The HTTP status of an SDK error (the crate does not parse error bodies).
fn status_of<T: std::fmt::Debug>(result: open_payments::client::Result<T>) -> u16 {
    match result {
        Ok(v) => panic!("expected an HTTP error, got {v:?}"),
        Err(e) => e.code.unwrap_or_else(|| panic!("not an HTTP error: {e:?}")),
    }
}

/// A `tessera serve --allow-http` (database in `_dir`), a wallet address server, and an SDK
/// client `name` whose key that server publishes. Keep `_wallets` and `_dir` bound to the end.
struct Setup {
    server: common::ServeProcess,
    client: AuthenticatedClient,
    grant_url: String,
    _wallets: WalletServer,
    _dir: tempfile::TempDir,
}

async fn setup(name: &str) -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let server = common::ServeProcess::start(dir.path(), &["--allow-http"]);
    let wallets = WalletServer::start().await;
    let client = sdk_client(&wallets, dir.path(), name);
    Setup {
        grant_url: format!("{}/", server.public_url),
        server,
        client,
        _wallets: wallets,
        _dir: dir,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn official_rust_client_runs_the_token_lifecycle() {
    let Setup {
        server,
        client: alice,
        grant_url,
        _wallets,
        _dir,
    } = setup("alice").await;

    // Grant request: incoming-payment + quote, issued at once.
    let (token, continue_) = request_grant(&alice, &grant_url, None).await;
    assert_eq!(token.expires_in, Some(600));
    assert_eq!(token.access, Some(incoming_payment_and_quote()));
    assert!(
        token
            .manage
            .starts_with(&format!("{}/token/", server.public_url))
    );
    assert!(
        continue_
            .uri
            .starts_with(&format!("{}/continue/", server.public_url))
    );
    assert!(is_active(&server, &token.value).await);

    // Rotate: new value and manage URL, same access; the old token dies at once.
    let rotated = alice
        .token()
        .rotate(&token.manage, Some(&token.value))
        .await
        .unwrap()
        .access_token;
    assert_ne!(rotated.value, token.value);
    assert_ne!(rotated.manage, token.manage);
    assert_eq!(rotated.access, Some(incoming_payment_and_quote()));
    assert!(!is_active(&server, &token.value).await);
    assert!(is_active(&server, &rotated.value).await);

    // Rotating the old token again is refused (400 invalid_rotation), and harms nothing.
    let again = alice
        .token()
        .rotate(&token.manage, Some(&token.value))
        .await;
    assert_eq!(status_of(again), 400);
    assert!(is_active(&server, &rotated.value).await);

    // Revoke: the SDK only accepts 204 here.
    alice
        .token()
        .revoke(&rotated.manage, Some(&rotated.value))
        .await
        .unwrap();
    assert!(!is_active(&server, &rotated.value).await);

    // Cancel the grant (204), after which its continuation is dead.
    let continue_token = continue_.access_token.value;
    alice
        .grant()
        .cancel(&continue_.uri, Some(&continue_token))
        .await
        .unwrap();
    let again = alice
        .grant()
        .cancel(&continue_.uri, Some(&continue_token))
        .await;
    assert_eq!(status_of(again), 401);

    // The refused cancel is the last request: once its line is in, so is every earlier line.
    assert!(server.log_shows("\"route\":\"/continue/{id}\",\"status\":401"));
    let log = server.log_text();
    assert!(!log.contains(&token.value), "a token value reached the log");
    assert!(server.stop().success());
}

#[tokio::test(flavor = "multi_thread")]
async fn official_rust_client_grant_with_null_finish_is_issued_and_cancel_revokes_it() {
    let Setup {
        server,
        client: bob,
        grant_url,
        _wallets,
        _dir,
    } = setup("bob").await;

    // The SDK serializes an absent `finish` as `"finish": null`; incoming-payment and quote need
    // no interaction, so the grant is issued at once.
    let interact = InteractRequest {
        start: vec!["redirect".into()],
        finish: None,
    };
    assert_eq!(
        serde_json::to_string(&interact).unwrap(),
        r#"{"start":["redirect"],"finish":null}"#
    );
    let (token, continue_) = request_grant(&bob, &grant_url, Some(interact)).await;
    assert!(is_active(&server, &token.value).await);

    // Cancelling the grant revokes its token; the token's own management then fails.
    bob.grant()
        .cancel(&continue_.uri, Some(&continue_.access_token.value))
        .await
        .unwrap();
    assert!(!is_active(&server, &token.value).await);
    let rotate = bob.token().rotate(&token.manage, Some(&token.value)).await;
    assert_eq!(status_of(rotate), 400);
    assert!(server.stop().success());
}
