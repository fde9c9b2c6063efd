//! Rotation is one atomic transaction: of N simultaneous rotations of one token, exactly one wins.

// Test code: a failed unwrap is a failed test, with its location.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use tessera_testkit::{TestClient, TestServer, WalletServer, incoming_payment_access};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn thirty_two_concurrent_rotations_yield_exactly_one_success() {
    let server = TestServer::start().await;
    let wallets = WalletServer::start().await;
    let alice = std::sync::Arc::new(TestClient::register(&wallets, "alice"));
    let reply = alice
        .request_grant(
            &server.grant_url(),
            &alice.grant_body(incoming_payment_access()),
        )
        .await;
    let manage = reply.body["access_token"]["manage"]
        .as_str()
        .unwrap()
        .to_owned();
    let value = reply.body["access_token"]["value"]
        .as_str()
        .unwrap()
        .to_owned();

    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(32));
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..32 {
        let (alice, manage, value, barrier) = (
            alice.clone(),
            manage.clone(),
            value.clone(),
            barrier.clone(),
        );
        tasks.spawn(async move {
            barrier.wait().await;
            alice.rotate(&manage, &value).await
        });
    }
    let mut winners = Vec::new();
    while let Some(reply) = tasks.join_next().await {
        let reply = reply.unwrap();
        match reply.status {
            200 => winners.push(
                reply.body["access_token"]["value"]
                    .as_str()
                    .unwrap()
                    .to_owned(),
            ),
            _ => reply.assert_error(400, "invalid_rotation"),
        }
    }
    assert_eq!(winners.len(), 1, "exactly one rotation succeeds");
    assert!(server.is_active(&winners[0]).await);
    assert!(!server.is_active(&value).await);

    // Exactly one new token row exists: the original plus the winner.
    let db = sqlx::SqlitePool::connect(&server.database_url)
        .await
        .unwrap();
    let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM access_tokens")
        .fetch_one(&db)
        .await
        .unwrap();
    let active: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM access_tokens WHERE status = 'active'")
            .fetch_one(&db)
            .await
            .unwrap();
    assert_eq!((rows, active), (2, 1));
}
