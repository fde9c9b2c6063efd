//! The audit trail through the internal API: GNAP lifecycle events and OAuth reuse detection.

// Test code: a failed unwrap is a failed test, with its location.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::Value;
use tessera_testkit::interactive::{ADMIN_TOKEN, query_param};
use tessera_testkit::oauth::{OAuthHarness, REDIRECT_URI, pkce};
use tessera_testkit::{Backend, TestClient, TestServer, WalletServer, incoming_payment_access};

async fn audit(server: &TestServer, token: Option<&str>) -> (u16, Value) {
    let mut request =
        reqwest::Client::new().get(format!("{}/audit?after=0&limit=1000", server.internal_url));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

fn kinds(events: &Value, protocol: &str) -> Vec<String> {
    events["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["protocol"] == protocol)
        .map(|e| e["kind"].as_str().unwrap().to_owned())
        .collect()
}

async fn gnap_and_oauth_changes_are_in_the_audit_trail(backend: Backend) {
    let server = TestServer::start_interactive(backend, |_| {}).await;
    let wallets = WalletServer::start().await;
    let alice = TestClient::register(&wallets, "alice");
    let grant = alice
        .request_grant(
            &server.grant_url(),
            &alice.grant_body(incoming_payment_access()),
        )
        .await;
    let at = &grant.body["access_token"];
    let rotated = alice
        .rotate(
            at["manage"].as_str().unwrap(),
            at["value"].as_str().unwrap(),
        )
        .await;
    let at = &rotated.body["access_token"];
    alice
        .revoke(
            at["manage"].as_str().unwrap(),
            at["value"].as_str().unwrap(),
        )
        .await;

    // OAuth: a code flow, a refresh, then reuse of the first refresh token.
    let h = OAuthHarness::new(&server);
    let client = h.confidential().await;
    let (verifier, challenge) = pkce();
    let back = h
        .consent(
            &[
                ("response_type", "code"),
                ("client_id", &client.id),
                ("redirect_uri", REDIRECT_URI),
                ("code_challenge", &challenge),
                ("code_challenge_method", "S256"),
            ],
            Some("user-7"),
        )
        .await;
    let code = query_param(&back, "code").unwrap();
    let tokens = h
        .token_with_body(
            &client,
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", REDIRECT_URI),
                ("code_verifier", &verifier),
            ],
        )
        .await;
    let rt = tokens.body["refresh_token"].as_str().unwrap();
    assert_eq!(h.refresh(&client, rt).await.status, 200);
    h.refresh(&client, rt)
        .await
        .assert_error(400, "invalid_grant");

    let (status, events) = audit(&server, Some(ADMIN_TOKEN)).await;
    assert_eq!(status, 200);
    assert_eq!(
        kinds(&events, "gnap"),
        ["grant_issued", "token_rotated", "token_revoked"]
    );
    assert_eq!(
        kinds(&events, "oauth"),
        [
            "tokens_issued",
            "refresh_token_rotated",
            "refresh_token_reuse"
        ]
    );
    let reuse = events["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "refresh_token_reuse")
        .unwrap();
    assert_eq!(
        (reuse["client"].as_str(), reuse["subject"].as_str()),
        (Some(client.id.as_str()), Some("user-7"))
    );
    // No secret in the trail.
    let text = events.to_string();
    assert!(!text.contains(rt) && !text.contains("tsr_at_") && !text.contains("tsr_rt_"));

    assert_eq!(audit(&server, None).await.0, 401);
    assert_eq!(audit(&server, Some("wrong")).await.0, 401);
}

tessera_testkit::backend_tests!(gnap_and_oauth_changes_are_in_the_audit_trail,);
