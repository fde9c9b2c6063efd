//! No secret reaches the log, even at the most verbose levels: a full flow (grant, rotate,
//! revoke; an interactive grant through the IdP API with continuation, rotation and
//! cancellation) against the real binary with `RUST_LOG=debug` and `trace` for Tessera's own
//! crates, then a search of everything it logged for each access token, continuation token,
//! `interact_ref` and the admin token.

// Test code: a failed unwrap is a failed test, with its location.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use http::Method;
use serde_json::{Value, json};
use tessera_testkit::interactive::{
    ADMIN_TOKEN, Browser, IDP_CONSENT_URL, Idp, interaction_of, interactive_grant_body,
    outgoing_payment_access, query_param,
};
use tessera_testkit::{TestClient, WalletServer, incoming_payment_access};

const RUST_LOG: &str = "debug,tessera=trace,tessera_server=trace,tessera_core=trace,\
                        tessera_store_sqlite=trace,tessera_httpsig=trace";

fn text(value: &Value) -> String {
    value.as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_full_flow_at_trace_level_logs_no_secret() {
    let tmp = tempfile::tempdir().unwrap();
    let server = common::ServeProcess::start_with_env(
        tmp.path(),
        &[
            "--allow-http",
            "--idp-consent-url",
            IDP_CONSENT_URL,
            "--continue-wait",
            "0",
        ],
        &[("RUST_LOG", RUST_LOG), ("TESSERA_ADMIN_TOKEN", ADMIN_TOKEN)],
    );
    let wallets = WalletServer::start().await;
    let alice = TestClient::register(&wallets, "alice");
    let grant_url = format!("{}/", server.public_url);
    let mut secrets = vec![ADMIN_TOKEN.to_owned()];

    // Non-interactive: grant, rotate, revoke.
    let granted = alice
        .request_grant(&grant_url, &alice.grant_body(incoming_payment_access()))
        .await;
    assert_eq!(granted.status, 200, "{}", granted.body);
    let token = &granted.body["access_token"];
    secrets.push(text(&token["value"]));
    secrets.push(text(&granted.body["continue"]["access_token"]["value"]));
    let rotated = alice
        .rotate(&text(&token["manage"]), &text(&token["value"]))
        .await;
    assert_eq!(rotated.status, 200, "{}", rotated.body);
    let token = &rotated.body["access_token"];
    secrets.push(text(&token["value"]));
    let revoked = alice
        .revoke(&text(&token["manage"]), &text(&token["value"]))
        .await;
    assert_eq!(revoked.status, 204);

    // Interactive: grant, consent through the IdP API, finish, continue, rotate, cancel.
    let body = interactive_grant_body(
        &alice.wallet_address,
        outgoing_payment_access(&alice.wallet_address),
        Some("client-nonce-log-test"),
    );
    let pending = alice.request_grant(&grant_url, &body).await;
    assert_eq!(pending.status, 200, "{}", pending.body);
    let continue_uri = text(&pending.body["continue"]["uri"]);
    let continue_token = text(&pending.body["continue"]["access_token"]["value"]);
    secrets.push(continue_token.clone());
    let redirect = text(&pending.body["interact"]["redirect"]);
    let (id, nonce) = interaction_of(&redirect);
    let mut browser = Browser::default();
    assert_eq!(browser.get(&redirect).await.status, 303);
    let idp = Idp::at(&server.internal_url);
    assert_eq!(idp.details(&id, &nonce).await.status, 200);
    assert_eq!(idp.decide(&id, &nonce, "accept").await.status, 202);
    let finish = browser
        .get(&format!(
            "{}/interact/{id}/{nonce}/finish",
            server.public_url
        ))
        .await;
    let back = finish.location.expect("redirect to the client");
    let interact_ref = query_param(&back, "interact_ref").expect("interact_ref");
    secrets.push(interact_ref.clone());
    let issued = alice
        .send(
            Method::POST,
            &continue_uri,
            Some(&continue_token),
            Some(&json!({ "interact_ref": interact_ref })),
        )
        .await;
    assert_eq!(issued.status, 200, "{}", issued.body);
    let token = &issued.body["access_token"];
    secrets.push(text(&token["value"]));
    let next_continue_token = text(&issued.body["continue"]["access_token"]["value"]);
    secrets.push(next_continue_token.clone());
    let rotated = alice
        .rotate(&text(&token["manage"]), &text(&token["value"]))
        .await;
    assert_eq!(rotated.status, 200, "{}", rotated.body);
    secrets.push(text(&rotated.body["access_token"]["value"]));
    let cancelled = alice
        .cancel(&text(&issued.body["continue"]["uri"]), &next_continue_token)
        .await;
    assert_eq!(cancelled.status, 204, "{}", cancelled.body);
    // A refused request logs its reason at debug: still no secret.
    let refused = alice
        .send(Method::POST, &continue_uri, Some(&continue_token), None)
        .await;
    assert_eq!(refused.status, 401, "{}", refused.body);

    // The refusal is the last request: once its line is in, so is every earlier line.
    assert!(server.log_shows("\"route\":\"/continue/{id}\",\"status\":401"));
    let log = server.log_text();
    assert!(
        log.contains("\"level\":\"TRACE\"") || log.contains("\"level\":\"DEBUG\""),
        "the log is not verbose: is RUST_LOG honoured?"
    );
    assert!(log.lines().count() > 20, "{log}");
    for secret in &secrets {
        assert!(
            secret.len() >= 16,
            "not a secret worth searching for: {secret}"
        );
        if let Some(line) = log.lines().find(|l| l.contains(secret.as_str())) {
            panic!("a secret reached the log: {line}");
        }
    }
    assert!(server.stop().success());
}
