//! Every request must be signed, freshly, by a key of the client the grant belongs to.
//!
//! Each test runs on SQLite and on PostgreSQL (`sqlite::…`, `postgres::…`).

// Test code: a failed unwrap is a failed test, with its location.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use http::Method;
use serde_json::json;
use tessera_httpsig::SignatureStyle;
use tessera_testkit::{
    Backend, Tamper, TestClient, TestServer, WalletServer, incoming_payment_access,
    server_wallets_and_alice, unix_now,
};

async fn every_official_sdk_signature_style_is_accepted(backend: Backend) {
    let server = TestServer::start(backend).await;
    let wallets = WalletServer::start().await;
    for (name, style) in [
        ("js", SignatureStyle::Js),
        ("rust", SignatureStyle::RustSdk),
        ("go", SignatureStyle::Go),
    ] {
        let client = TestClient::register(&wallets, name).with_style(style);
        let reply = client
            .request_grant(
                &server.grant_url(),
                &client.grant_body(incoming_payment_access()),
            )
            .await;
        assert_eq!(reply.status, 200, "{name}: {}", reply.body);
        let at = &reply.body["access_token"];
        let rotated = client
            .rotate(
                at["manage"].as_str().unwrap(),
                at["value"].as_str().unwrap(),
            )
            .await;
        assert_eq!(rotated.status, 200, "{name}: {}", rotated.body);
        let at = &rotated.body["access_token"];
        let revoked = client
            .revoke(
                at["manage"].as_str().unwrap(),
                at["value"].as_str().unwrap(),
            )
            .await;
        assert_eq!(revoked.status, 204, "{name}");
    }
}

async fn unsigned_stale_and_future_requests_are_refused(backend: Backend) {
    let (server, _wallets, alice) = server_wallets_and_alice(backend).await;
    let body = alice.grant_body(incoming_payment_access());
    // `created` is taken just before each request, 5 s beyond the 300 s allowed, so that a slow
    // request cannot bring it back within the skew.
    for created_offset in [None, Some(-305), Some(305)] {
        let tamper = match created_offset {
            None => Tamper {
                unsigned: true,
                ..Tamper::default()
            },
            Some(offset) => Tamper {
                created: Some(unix_now() + offset),
                ..Tamper::default()
            },
        };
        let reply = alice
            .send_tampered(Method::POST, &server.grant_url(), None, Some(&body), tamper)
            .await;
        reply.assert_error(401, "invalid_client");
    }
    // Within the allowed skew.
    let reply = alice
        .send_tampered(
            Method::POST,
            &server.grant_url(),
            None,
            Some(&body),
            Tamper {
                created: Some(unix_now() - 200),
                ..Tamper::default()
            },
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
}

async fn a_body_other_than_the_signed_one_is_refused(backend: Backend) {
    let (server, _wallets, alice) = server_wallets_and_alice(backend).await;
    let signed = alice.grant_body(incoming_payment_access());
    let mut swapped = signed.clone();
    swapped["access_token"]["access"][0]["actions"] =
        json!(["create", "read", "list", "complete", "read-all"]);
    let reply = alice
        .send_tampered(
            Method::POST,
            &server.grant_url(),
            None,
            Some(&signed),
            Tamper {
                send_body: Some(serde_json::to_vec(&swapped).unwrap()),
                ..Tamper::default()
            },
        )
        .await;
    reply.assert_error(401, "invalid_client");
}

async fn a_key_of_another_wallet_address_is_refused(backend: Backend) {
    let (server, wallets, alice) = server_wallets_and_alice(backend).await;
    // Mallory publishes her own key, then claims to be Alice.
    let mallory = TestClient::register(&wallets, "mallory");
    let body = alice.grant_body(incoming_payment_access());
    mallory
        .request_grant(&server.grant_url(), &body)
        .await
        .assert_error(401, "invalid_client");
    // Even using the key id Alice's key has.
    let impostor = TestClient::new(
        alice.wallet_address.clone(),
        ed25519_dalek::SigningKey::from_bytes(&[42u8; 32]),
        alice.signer.key_id().to_owned(),
    );
    impostor
        .request_grant(&server.grant_url(), &body)
        .await
        .assert_error(401, "invalid_client");
}

async fn unreachable_or_plain_http_wallet_addresses_are_refused(backend: Backend) {
    let (server, wallets, _alice) = server_wallets_and_alice(backend).await;
    let nobody = TestClient::new(
        wallets.address("nobody"),
        ed25519_dalek::SigningKey::from_bytes(&[5u8; 32]),
        "k".into(),
    );
    let reply = nobody
        .request_grant(
            &server.grant_url(),
            &nobody.grant_body(incoming_payment_access()),
        )
        .await;
    reply.assert_error(400, "invalid_client");

    let strict = TestServer::start_with(backend, |c| c.allow_http = false).await;
    let alice = TestClient::register(&wallets, "alice2");
    let reply = alice
        .request_grant(
            &strict.grant_url(),
            &alice.grant_body(incoming_payment_access()),
        )
        .await;
    reply.assert_error(400, "invalid_client");
}

async fn keys_are_cached_and_refetched_once_for_a_new_key_id(backend: Backend) {
    let (server, wallets, alice) = server_wallets_and_alice(backend).await;
    let body = alice.grant_body(incoming_payment_access());
    for _ in 0..3 {
        assert_eq!(
            alice.request_grant(&server.grant_url(), &body).await.status,
            200
        );
    }
    assert_eq!(wallets.jwks_fetches(), 1, "one fetch, then the cache");

    // Alice adds a second key; the first request with it triggers one refetch.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let second = TestClient::new(
        alice.wallet_address.clone(),
        ed25519_dalek::SigningKey::from_bytes(&[7u8; 32]),
        "alice-key-2".into(),
    );
    wallets.set_keys("alice", vec![alice.signer.jwk(), second.signer.jwk()]);
    assert_eq!(
        second
            .request_grant(&server.grant_url(), &body)
            .await
            .status,
        200
    );
    assert_eq!(wallets.jwks_fetches(), 2);

    // Unknown key ids do not make Tessera hammer the wallet address.
    let ghost = TestClient::new(
        alice.wallet_address.clone(),
        ed25519_dalek::SigningKey::from_bytes(&[8u8; 32]),
        "ghost".into(),
    );
    for _ in 0..5 {
        ghost
            .request_grant(&server.grant_url(), &body)
            .await
            .assert_error(401, "invalid_client");
    }
    assert!(
        wallets.jwks_fetches() <= 3,
        "fetches: {}",
        wallets.jwks_fetches()
    );
}

tessera_testkit::backend_tests!(
    every_official_sdk_signature_style_is_accepted,
    unsigned_stale_and_future_requests_are_refused,
    a_body_other_than_the_signed_one_is_refused,
    a_key_of_another_wallet_address_is_refused,
    unreachable_or_plain_http_wallet_addresses_are_refused,
    keys_are_cached_and_refetched_once_for_a_new_key_id,
);
