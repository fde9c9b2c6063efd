//! `tessera serve` as an operator runs it: it starts, logs one structured line per request with no
//! secrets in it (successful introspections at debug only), answers health checks on both listeners, and stops cleanly on SIGTERM.

// Test code: a failed unwrap is a failed test, with its location.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use serde_json::Value;
use tessera_testkit::{TestClient, WalletServer, incoming_payment_access, request_count};

#[tokio::test(flavor = "multi_thread")]
async fn serve_logs_requests_without_secrets_and_stops_on_sigterm() {
    let tmp = tempfile::tempdir().unwrap();
    let server =
        common::ServeProcess::start(tmp.path(), &["--allow-http", "--access-token-ttl", "120"]);
    let wallets = WalletServer::start().await;
    let alice = TestClient::register(&wallets, "alice");

    let reply = alice
        .request_grant(
            &format!("{}/", server.public_url),
            &alice.grant_body(incoming_payment_access()),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.body["access_token"]["expires_in"], 120);
    let value = reply.body["access_token"]["value"]
        .as_str()
        .unwrap()
        .to_owned();
    let manage = reply.body["access_token"]["manage"]
        .as_str()
        .unwrap()
        .to_owned();
    let continue_token = reply.body["continue"]["access_token"]["value"]
        .as_str()
        .unwrap()
        .to_owned();
    let rotated = alice.rotate(&manage, &value).await;
    let new_value = rotated.body["access_token"]["value"]
        .as_str()
        .unwrap()
        .to_owned();

    for url in [
        format!("{}/healthz", server.public_url),
        format!("{}/healthz", server.internal_url),
    ] {
        assert_eq!(reqwest::get(&url).await.unwrap().status(), 200, "{url}");
    }
    assert_eq!(
        request_count(&server.internal_url, "/token/{id}", 200).await,
        1
    );
    // Introspection is not on the public listener.
    let public_introspect = reqwest::Client::new()
        .post(format!("{}/introspect", server.public_url))
        .json(&serde_json::json!({"access_token": new_value}))
        .send()
        .await
        .unwrap();
    assert_eq!(public_introspect.status(), 404);
    // Introspection, once answered and once refused (no token): the metrics count both.
    let internal = reqwest::Client::new();
    let active = internal
        .post(format!("{}/introspect", server.internal_url))
        .json(&serde_json::json!({"access_token": new_value}))
        .send()
        .await
        .unwrap();
    assert_eq!(active.status(), 200);
    let refused = internal
        .post(format!("{}/introspect", server.internal_url))
        .json(&serde_json::json!({}))
        .send()
        .await
        .unwrap();
    assert!(refused.status().is_client_error(), "{}", refused.status());
    let refused_status = refused.status().as_u16();
    assert_eq!(
        request_count(&server.internal_url, "/introspect", 200).await,
        1
    );

    // Lines are written by the server's log thread: wait for the refused introspection's.
    let refused_line = format!("\"route\":\"/introspect\",\"status\":{refused_status}");
    assert!(server.log_shows(&refused_line), "no line for the refusal");
    let log = server.log_text();
    for secret in [&value, &new_value, &continue_token] {
        assert!(
            !log.contains(secret.as_str()),
            "a token value reached the log"
        );
    }
    let request_lines: Vec<Value> = log
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| v["fields"]["message"] == "request")
        .collect();
    let rotate_line = request_lines
        .iter()
        .find(|v| v["fields"]["route"] == "/token/{id}")
        .expect("a log line for the rotation");
    assert_eq!(rotate_line["fields"]["method"], "POST");
    assert_eq!(rotate_line["fields"]["status"], 200);
    assert!(rotate_line["fields"]["latency_ms"].as_f64().is_some());
    // A successful introspection is logged at debug only (one per resource-server call would
    // swamp the log); a refused one at info like any request.
    let introspect_statuses: Vec<&Value> = request_lines
        .iter()
        .filter(|v| v["fields"]["route"] == "/introspect")
        .map(|v| &v["fields"]["status"])
        .collect();
    assert_eq!(introspect_statuses, [&Value::from(refused_status)]);

    assert!(server.stop().success(), "clean exit on SIGTERM");
}
