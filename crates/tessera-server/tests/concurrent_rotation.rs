//! Rotation is one atomic transaction: of N simultaneous rotations of one token, exactly one wins,
//! on either storage backend.

// Test code: a failed unwrap is a failed test, with its location.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use tessera_testkit::{
    Backend, TestClient, TestServer, WalletServer, incoming_payment_access, rotate_at_once,
};

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

    let winners = rotate_at_once(alice, &value, vec![manage; 32]).await;
    assert_eq!(winners.len(), 1, "exactly one rotation succeeds");
    assert!(server.is_active(&winners[0]).await);
    assert!(!server.is_active(&value).await);

    // Exactly one new token row exists: the original plus the winner.
    assert_eq!(server.database.token_counts().await, (2, 1));
}

tessera_testkit::backend_tests!(thirty_two_concurrent_rotations_yield_exactly_one_success,);
