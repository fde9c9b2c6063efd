//! The replay window is the operator's to set: `tessera serve --signature-max-skew 30` refuses a
//! signature created 60 s ago (or 60 s ahead), which the default window of 300 s would accept,
//! and still accepts one inside the window.

// Test code: a failed unwrap is a failed test, with its location.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use http::Method;
use tessera_testkit::{Tamper, TestClient, WalletServer, incoming_payment_access, unix_now};

#[tokio::test(flavor = "multi_thread")]
async fn signature_max_skew_flag_sets_the_replay_window() {
    let tmp = tempfile::tempdir().unwrap();
    let server =
        common::ServeProcess::start(tmp.path(), &["--allow-http", "--signature-max-skew", "30"]);
    let wallets = WalletServer::start().await;
    let alice = TestClient::register(&wallets, "alice");
    let grant_url = format!("{}/", server.public_url);
    let body = alice.grant_body(incoming_payment_access());
    let send = |created: i64| {
        alice.send_tampered(
            Method::POST,
            &grant_url,
            None,
            Some(&body),
            Tamper {
                created: Some(created),
                ..Tamper::default()
            },
        )
    };
    for outside in [unix_now() - 60, unix_now() + 60] {
        let reply = send(outside).await;
        reply.assert_error(401, "invalid_client");
        assert!(
            reply.body["error"]["description"]
                .as_str()
                .unwrap()
                .contains("invalid signature"),
            "{}",
            reply.body
        );
    }
    for inside in [unix_now() - 20, unix_now() + 20] {
        let reply = send(inside).await;
        assert_eq!(reply.status, 200, "{}", reply.body);
    }
}
