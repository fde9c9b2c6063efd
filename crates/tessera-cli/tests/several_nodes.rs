//! Two `tessera serve` processes on one PostgreSQL database behave as one server: a token
//! issued, rotated or revoked on one node is seen so at once on the other, and of simultaneous
//! rotations of one token spread over both nodes exactly one succeeds. Fails, never skips, when
//! PostgreSQL cannot be reached (`TESSERA_TEST_POSTGRES_URL`).

// Test code: a failed unwrap is a failed test, with its location.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;

use common::ServeProcess;
use serde_json::Value;
use tessera_testkit::{
    Backend, TestClient, TestDatabase, WalletServer, incoming_payment_access, introspect,
    rotate_at_once,
};

/// Both nodes on one fresh PostgreSQL schema.
async fn two_nodes() -> (ServeProcess, ServeProcess, TestDatabase) {
    let database = TestDatabase::create(Backend::Postgres).await;
    let a = ServeProcess::start_on(&database.url, &["--allow-http"]);
    let b = ServeProcess::start_on(&database.url, &["--allow-http"]);
    (a, b, database)
}

/// `url`, a management or continuation URL of one node, as it reads on `node` (what a load
/// balancer in front of both would do).
fn on(node: &ServeProcess, url: &str) -> String {
    let path = url.splitn(4, '/').nth(3).unwrap();
    format!("{}/{path}", node.public_url)
}

async fn is_active(node: &ServeProcess, token: &str) -> bool {
    introspect(&node.internal_url, token).await["active"] == Value::Bool(true)
}

struct Issued {
    value: String,
    manage: String,
}

async fn issue(node: &ServeProcess, client: &TestClient) -> (Issued, Value) {
    let reply = client
        .request_grant(
            &format!("{}/", node.public_url),
            &client.grant_body(incoming_payment_access()),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let at = &reply.body["access_token"];
    let issued = Issued {
        value: at["value"].as_str().unwrap().to_owned(),
        manage: at["manage"].as_str().unwrap().to_owned(),
    };
    (issued, reply.body)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thirty_two_rotations_spread_over_two_nodes_have_exactly_one_winner() {
    let (a, b, database) = two_nodes().await;
    let wallets = WalletServer::start().await;
    let alice = Arc::new(TestClient::register(&wallets, "alice"));
    let (token, _) = issue(&a, &alice).await;

    // Half of them sent to each node.
    let manage_urls = (0..32)
        .map(|i| on(if i % 2 == 0 { &a } else { &b }, &token.manage))
        .collect();
    let winners = rotate_at_once(alice, &token.value, manage_urls).await;
    assert_eq!(winners.len(), 1, "exactly one rotation succeeds");
    for node in [&a, &b] {
        assert!(is_active(node, &winners[0]).await);
        assert!(!is_active(node, &token.value).await);
    }
    assert_eq!(database.token_counts().await, (2, 1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_one_node_changes_the_other_sees_at_once() {
    let (a, b, _database) = two_nodes().await;
    let wallets = WalletServer::start().await;
    let alice = TestClient::register(&wallets, "alice");

    // Issued on A, active on B; revoked on A, inactive on B.
    let (first, _) = issue(&a, &alice).await;
    assert!(is_active(&b, &first.value).await);
    assert_eq!(alice.revoke(&first.manage, &first.value).await.status, 204);
    assert!(!is_active(&b, &first.value).await);
    alice
        .rotate(&on(&b, &first.manage), &first.value)
        .await
        .assert_error(400, "invalid_rotation");

    // Issued on A, rotated on B: the new token is active on A, the old one dead on both.
    let (second, grant) = issue(&a, &alice).await;
    let rotated = alice.rotate(&on(&b, &second.manage), &second.value).await;
    assert_eq!(rotated.status, 200, "{}", rotated.body);
    let new_value = rotated.body["access_token"]["value"].as_str().unwrap();
    let new_manage = rotated.body["access_token"]["manage"].as_str().unwrap();
    assert!(new_manage.starts_with(&b.public_url));
    assert!(is_active(&a, new_value).await);
    assert!(!is_active(&a, &second.value).await);

    // The grant cancelled on B: its token is inactive on A and cannot be rotated there.
    let continue_uri = grant["continue"]["uri"].as_str().unwrap();
    let continue_token = grant["continue"]["access_token"]["value"].as_str().unwrap();
    let cancelled = alice.cancel(&on(&b, continue_uri), continue_token).await;
    assert_eq!(cancelled.status, 204, "{}", cancelled.body);
    assert!(!is_active(&a, new_value).await);
    alice
        .rotate(&on(&a, new_manage), new_value)
        .await
        .assert_error(400, "invalid_rotation");
}
