//! The official Open Payments client, `@interledger/open-payments` (pinned in
//! `interop/js/package.json`, `validateResponses` on), against a real `tessera serve`.
//!
//! This test never skips: without Node.js and npm it fails and says what to install. It runs
//! `npm ci` itself when the pinned packages are missing (`tessera_testkit::node`).

// Test code: a failed unwrap is a failed test, with its location.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::process::Command;

use tessera_testkit::WalletServer;

#[tokio::test(flavor = "multi_thread")]
async fn official_js_client_runs_the_token_lifecycle() {
    let dir = tessera_testkit::node::ensure_npm_packages();

    let tmp = tempfile::tempdir().unwrap();
    let server = common::ServeProcess::start(tmp.path(), &["--allow-http"]);
    let wallets = WalletServer::start().await;
    let alice = wallets.register_key_file("alice", tmp.path());
    let bob = wallets.register_key_file("bob", tmp.path());
    wallets.set_keys("shop", vec![]);

    let output = tokio::task::spawn_blocking({
        let server_url = format!("{}/", server.public_url);
        let introspect_url = format!("{}/introspect", server.internal_url);
        let resource = wallets.address("shop");
        move || {
            Command::new("node")
                .arg("gnap-lifecycle.mjs")
                .current_dir(&dir)
                .env("AUTH_SERVER_URL", server_url)
                .env("INTROSPECT_URL", introspect_url)
                .env("WALLET_ADDRESS", &alice.wallet_address)
                .env("KEY_ID", &alice.key_id)
                .env("PRIVATE_KEY_PATH", &alice.pem_path)
                .env("OTHER_WALLET_ADDRESS", &bob.wallet_address)
                .env("OTHER_KEY_ID", &bob.key_id)
                .env("OTHER_PRIVATE_KEY_PATH", &bob.pem_path)
                .env("RESOURCE_WALLET_ADDRESS", resource)
                .output()
                .expect("run node")
        }
    })
    .await
    .unwrap();
    let (stdout, report) = common::assert_script_passed(&output, &server, " passed, 0 failed");
    assert!(!stdout.contains("FAIL"), "{report}");
    assert!(server.stop().success());
}

#[tokio::test(flavor = "multi_thread")]
async fn official_js_client_runs_an_interactive_outgoing_payment_grant() {
    const IDP_CONSENT_URL: &str = "https://idp.example/consent";
    const ADMIN_TOKEN: &str = "interop-admin-token";
    let dir = tessera_testkit::node::ensure_npm_packages();

    let tmp = tempfile::tempdir().unwrap();
    let server = common::ServeProcess::start_with_env(
        tmp.path(),
        &[
            "--allow-http",
            "--idp-consent-url",
            IDP_CONSENT_URL,
            "--interaction-ttl",
            "2",
            "--continue-wait",
            "5",
        ],
        &[("TESSERA_ADMIN_TOKEN", ADMIN_TOKEN)],
    );
    let wallets = WalletServer::start().await;
    let alice = wallets.register_key_file("alice", tmp.path());

    let output = tokio::task::spawn_blocking({
        let server_url = format!("{}/", server.public_url);
        let introspect_url = format!("{}/introspect", server.internal_url);
        let admin_url = server.internal_url.clone();
        move || {
            Command::new("node")
                .arg("gnap-interactive.mjs")
                .current_dir(&dir)
                .env("AUTH_SERVER_URL", server_url)
                .env("INTROSPECT_URL", introspect_url)
                .env("ADMIN_URL", admin_url)
                .env("ADMIN_TOKEN", ADMIN_TOKEN)
                .env("IDP_CONSENT_URL", IDP_CONSENT_URL)
                .env("INTERACTION_TTL", "2")
                .env("WALLET_ADDRESS", &alice.wallet_address)
                .env("KEY_ID", &alice.key_id)
                .env("PRIVATE_KEY_PATH", &alice.pem_path)
                .output()
                .expect("run node")
        }
    })
    .await
    .unwrap();
    common::assert_script_passed(&output, &server, "10 passed, 0 failed");
    assert!(server.stop().success());
}
