//! Per-client rate limit: a signed request is charged to its `keyid` + wallet address, a request
//! without valid signature headers to the peer IP; over budget the answer is 429 `too_fast` with
//! `Retry-After` and a GNAP error body. One noisy client does not use up another's budget.

// Test code: a failed unwrap is a failed test, with its location.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::num::NonZeroU32;

use http::{HeaderMap, Method};
use serde_json::Value;
use tessera_server::RateLimit;
use tessera_testkit::{TestClient, TestServer, WalletServer, incoming_payment_access, unix_now};

/// Three requests at once, then one a second.
async fn server_with_burst_of_three() -> TestServer {
    TestServer::start_with(tessera_testkit::Backend::Sqlite, |c| {
        c.rate_limit = Some(RateLimit {
            per_second: NonZeroU32::new(1).unwrap(),
            burst: NonZeroU32::new(3).unwrap(),
        });
    })
    .await
}

/// Checks a refusal: 429, `Retry-After` of at least a second, GNAP `too_fast` body.
async fn assert_too_many(response: reqwest::Response) {
    assert_eq!(response.status(), 429);
    let retry_after: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=2).contains(&retry_after), "Retry-After: {retry_after}");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "too_fast", "{body}");
}

/// A grant request signed by `client`, sent with reqwest so the test sees the headers.
async fn signed_grant_request(server: &TestServer, client: &TestClient) -> reqwest::Response {
    let body = serde_json::to_vec(&client.grant_body(incoming_payment_access())).unwrap();
    let mut headers = HeaderMap::new();
    client
        .signer
        .sign(
            "POST",
            &server.grant_url(),
            &mut headers,
            Some(&body),
            unix_now(),
        )
        .unwrap();
    reqwest::Client::new()
        .post(server.grant_url())
        .headers(headers)
        .body(body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_client_over_its_budget_gets_429_and_others_do_not() {
    let server = server_with_burst_of_three().await;
    let wallets = WalletServer::start().await;
    let alice = TestClient::register(&wallets, "alice");
    let bob = TestClient::register(&wallets, "bob");

    for _ in 0..3 {
        let response = signed_grant_request(&server, &alice).await;
        assert_eq!(response.status(), 200);
    }
    assert_too_many(signed_grant_request(&server, &alice).await).await;

    // Bob, signing with his own key at his own wallet address, still has his whole budget.
    for _ in 0..3 {
        let reply = bob
            .request_grant(
                &server.grant_url(),
                &bob.grant_body(incoming_payment_access()),
            )
            .await;
        assert_eq!(reply.status, 200, "{}", reply.body);
    }
}

#[tokio::test]
async fn unsigned_requests_are_charged_to_the_peer() {
    let server = server_with_burst_of_three().await;
    let http = reqwest::Client::new();
    let healthz = format!("{}/healthz", server.public_url);
    for _ in 0..2 {
        assert_eq!(http.get(&healthz).send().await.unwrap().status(), 200);
    }
    // Garbage signature headers count as unsigned: they name no client to charge.
    let forged = http
        .post(server.grant_url())
        .header("signature-input", "sig1=(\"@method\");keyid=\"x\"")
        .header("signature", "sig1=:AAAA:")
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 401);
    assert_too_many(http.get(&healthz).send().await.unwrap()).await;
    assert_too_many(http.post(server.grant_url()).send().await.unwrap()).await;
}

#[tokio::test]
async fn the_internal_listener_is_not_limited() {
    let server = server_with_burst_of_three().await;
    for _ in 0..10 {
        assert!(!server.is_active("no-such-token").await);
    }
    let http = reqwest::Client::new();
    let response = http
        .get(format!("{}/healthz", server.internal_url))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    // And a signed request from the same machine still has its own budget on the public one.
    let wallets = WalletServer::start().await;
    let alice = TestClient::register(&wallets, "alice");
    let reply = alice
        .send(
            Method::POST,
            &server.grant_url(),
            None,
            Some(&alice.grant_body(incoming_payment_access())),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
}
