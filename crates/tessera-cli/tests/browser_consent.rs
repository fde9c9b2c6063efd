//! A real browser (headless Chromium through ChromeDriver, from Debian's packages) clicks through
//! `tessera serve --dev-consent` and lands on the client's finish URL with a valid hash.
//!
//! Never skips: without `/usr/bin/chromium` and `/usr/bin/chromedriver` it fails and says to
//! install them (`scripts/test` and `.ci/run` do).

// Test code: a failed unwrap is a failed test, with its location.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use axum::Router;
use axum::response::Html;
use axum::routing::get;
use serde_json::json;
use tessera_core::gnap::finish_hash;
use tessera_testkit::interactive::{interactive_grant_body, outgoing_payment_access, query_param};
use tessera_testkit::{TestClient, WalletServer};

fn interop_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../interop/js")
}

/// A client's finish page, for the browser to land on.
async fn finish_server() -> String {
    let app = Router::new().route(
        "/finish",
        get(|| async { Html("<!doctype html><p id=\"finished\">back at the client</p>") }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/finish", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

#[tokio::test(flavor = "multi_thread")]
async fn a_browser_clicks_through_the_dev_consent_page() {
    for binary in ["/usr/bin/chromium", "/usr/bin/chromedriver"] {
        assert!(
            Path::new(binary).exists(),
            "{binary} is missing: install Debian's chromium and chromium-driver (scripts/test does)"
        );
    }
    let dir = interop_dir();
    assert!(
        dir.join("node_modules/selenium-webdriver").is_dir(),
        "run `npm ci` in interop/js (scripts/test does)"
    );

    let tmp = tempfile::tempdir().unwrap();
    let server = common::ServeProcess::start(tmp.path(), &["--allow-http", "--dev-consent"]);
    let wallets = WalletServer::start().await;
    let alice = TestClient::register(&wallets, "alice");
    let finish_uri = finish_server().await;

    let mut body = interactive_grant_body(
        &alice.wallet_address,
        outgoing_payment_access(&alice.wallet_address),
        Some("browser-nonce"),
    );
    body["interact"]["finish"]["uri"] = json!(finish_uri);
    let grant_url = format!("{}/", server.public_url);
    let pending = alice.request_grant(&grant_url, &body).await;
    assert_eq!(pending.status, 200, "{}", pending.body);
    let redirect = pending.body["interact"]["redirect"]
        .as_str()
        .unwrap()
        .to_owned();
    let server_nonce = pending.body["interact"]["finish"]
        .as_str()
        .unwrap()
        .to_owned();

    let output = tokio::task::spawn_blocking({
        let redirect = redirect.clone();
        move || {
            Command::new("node")
                .arg("browser-consent.mjs")
                .current_dir(&dir)
                .env("INTERACT_URL", redirect)
                .env("EXPECT_CLIENT", "alice")
                .output()
                .expect("node is required for the browser test")
        }
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let report = format!(
        "stdout:\n{stdout}\nstderr:\n{}\nserver log:\n{}",
        String::from_utf8_lossy(&output.stderr),
        server.log_text()
    );
    assert!(output.status.success(), "browser run failed\n{report}");
    let landed = stdout
        .lines()
        .find_map(|l| l.strip_prefix("landed "))
        .unwrap_or_else(|| panic!("no landing URL\n{report}"));
    assert!(landed.starts_with(&finish_uri), "landed on {landed}");
    let interact_ref = query_param(landed, "interact_ref").unwrap();
    assert_eq!(
        query_param(landed, "hash").unwrap(),
        finish_hash("browser-nonce", &server_nonce, &interact_ref, &grant_url)
    );

    let continued = alice
        .send(
            http::Method::POST,
            pending.body["continue"]["uri"].as_str().unwrap(),
            pending.body["continue"]["access_token"]["value"].as_str(),
            Some(&json!({ "interact_ref": interact_ref })),
        )
        .await;
    assert_eq!(continued.status, 200, "{}", continued.body);
    assert_eq!(
        continued.body["access_token"]["access"],
        outgoing_payment_access(&alice.wallet_address)
    );
    assert!(server.stop().success());
}
