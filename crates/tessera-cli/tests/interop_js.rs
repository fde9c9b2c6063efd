//! The official Open Payments client, `@interledger/open-payments` (pinned in
//! `interop/js/package.json`, `validateResponses` on), against a real `tessera serve`.
//!
//! This test never skips: without Node.js and npm it fails and says what to install. It runs
//! `npm ci` itself when `interop/js/node_modules` is missing.

// Test code: a failed unwrap is a failed test, with its location.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use ed25519_dalek::SigningKey;
use tessera_httpsig::{RequestSigner, signing_key_to_pem};
use tessera_testkit::WalletServer;

fn interop_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../interop/js")
}

fn ensure_npm_packages(dir: &Path) {
    let node = Command::new("node").arg("--version").output();
    assert!(
        node.as_ref().is_ok_and(|o| o.status.success()),
        "Node.js is required for the interop tests (install Node.js >= 20 and npm): {node:?}"
    );
    if dir.join("node_modules/@interledger/open-payments").is_dir() {
        return;
    }
    let status = Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund"])
        .current_dir(dir)
        .status()
        .expect("npm is required for the interop tests (install Node.js >= 20 with npm)");
    assert!(status.success(), "npm ci in {} failed", dir.display());
}

struct Client {
    wallet_address: String,
    key_id: String,
    pem_path: PathBuf,
}

fn client(wallets: &WalletServer, dir: &Path, name: &str) -> Client {
    let key = SigningKey::generate(&mut rand::rngs::OsRng);
    let key_id = format!("{name}-key");
    let pem_path = dir.join(format!("{name}.pem"));
    std::fs::write(&pem_path, signing_key_to_pem(&key).unwrap()).unwrap();
    wallets.set_keys(name, vec![RequestSigner::new(key, key_id.clone()).jwk()]);
    Client {
        wallet_address: wallets.address(name),
        key_id,
        pem_path,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn official_js_client_runs_the_token_lifecycle() {
    let dir = interop_dir();
    ensure_npm_packages(&dir);

    let tmp = tempfile::tempdir().unwrap();
    let server = common::ServeProcess::start(tmp.path(), &["--allow-http"]);
    let wallets = WalletServer::start().await;
    let alice = client(&wallets, tmp.path(), "alice");
    let bob = client(&wallets, tmp.path(), "bob");
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
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let report = format!(
        "stdout:\n{stdout}\nstderr:\n{stderr}\nserver log:\n{}",
        server.log_text()
    );
    eprintln!("{stdout}");
    assert!(output.status.success(), "interop script failed\n{report}");
    assert!(stdout.contains(" passed, 0 failed"), "{report}");
    assert!(!stdout.contains("FAIL"), "{report}");
    assert!(server.stop().success());
}

#[tokio::test(flavor = "multi_thread")]
async fn official_js_client_runs_an_interactive_outgoing_payment_grant() {
    const IDP_CONSENT_URL: &str = "https://idp.example/consent";
    const ADMIN_TOKEN: &str = "interop-admin-token";
    let dir = interop_dir();
    ensure_npm_packages(&dir);

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
    let alice = client(&wallets, tmp.path(), "alice");

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
    let stdout = String::from_utf8_lossy(&output.stdout);
    eprintln!("{stdout}");
    let report = format!(
        "stdout:\n{stdout}\nstderr:\n{}\nserver log:\n{}",
        String::from_utf8_lossy(&output.stderr),
        server.log_text()
    );
    assert!(output.status.success(), "interop script failed\n{report}");
    assert!(stdout.contains("10 passed, 0 failed"), "{report}");
    assert!(server.stop().success());
}
