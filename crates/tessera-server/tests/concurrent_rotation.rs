//! Rotation is one atomic transaction: of N simultaneous rotations of one token, exactly one wins,
//! on either storage backend.

// Test code: a failed unwrap is a failed test, with its location.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use tessera_testkit::{Backend, TestClient, TestServer, WalletServer, incoming_payment_access};

async fn thirty_two_concurrent_rotations_yield_exactly_one_success(backend: Backend) {
    let server = TestServer::start(backend).await;
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
    assert_eq!(server.database.token_counts().await, (2, 1));
}

tessera_testkit::backend_tests!(thirty_two_concurrent_rotations_yield_exactly_one_success,);
