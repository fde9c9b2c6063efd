//! The OAuth helper of the Rust SDK and `tessera oauth refresh|revoke` against a real server.

// Test code: a failed unwrap is a failed test, with its location.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::Command;

use serde_json::Value;
use tessera_client::{OAuthClient, OAuthClientError};
use tessera_proto::oauth::OAuthErrorCode;
use tessera_testkit::TestServer;
use tessera_testkit::oauth::OAuthHarness;

fn tessera(
    server: &TestServer,
    client_id: &str,
    secret: &str,
    args: &[&str],
    envs: &[(&str, &str)],
) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_tessera"))
        .args(args)
        .env("TESSERA_URL", &server.public_url)
        .env("CLIENT_ID", client_id)
        .env("CLIENT_SECRET", secret)
        .envs(envs.iter().copied())
        .output()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn sdk_refreshes_rotating_and_revokes_with_typed_errors() {
    let server = TestServer::start_interactive(tessera_testkit::Backend::Sqlite, |_| {}).await;
    let h = OAuthHarness::new(&server);
    let c = h.confidential().await;
    let secret = c.secret.clone().unwrap();
    let first = h.code_flow(&c, "read write", "user-1").await;
    let rt1 = first["refresh_token"].as_str().unwrap();

    let sdk = OAuthClient::new(&server.public_url, &c.id, &secret).unwrap();
    let second = sdk.refresh(rt1, Some("read")).await.unwrap();
    assert_eq!(second.scope.as_deref(), Some("read"));
    let rt2 = second.refresh_token.clone().unwrap();
    assert_ne!(rt2, rt1);

    // Reuse: a typed invalid_grant.
    match sdk.refresh(rt1, None).await {
        Err(OAuthClientError::OAuth {
            status: 400,
            error: OAuthErrorCode::InvalidGrant,
            ..
        }) => {}
        other => panic!("{other:?}"),
    }
    let fresh = h.code_flow(&c, "read", "user-1").await;
    sdk.revoke(
        fresh["refresh_token"].as_str().unwrap(),
        Some("refresh_token"),
    )
    .await
    .unwrap();
    assert!(matches!(
        sdk.refresh(fresh["refresh_token"].as_str().unwrap(), None)
            .await,
        Err(OAuthClientError::OAuth {
            error: OAuthErrorCode::InvalidGrant,
            ..
        })
    ));
    let wrong = OAuthClient::new(&server.public_url, &c.id, "tsr_cs_wrong").unwrap();
    assert!(matches!(
        wrong.refresh(&rt2, None).await,
        Err(OAuthClientError::OAuth {
            status: 401,
            error: OAuthErrorCode::InvalidClient,
            ..
        })
    ));
}

#[tokio::test(flavor = "multi_thread")]
async fn cli_refreshes_and_revokes() {
    let server = TestServer::start_interactive(tessera_testkit::Backend::Sqlite, |_| {}).await;
    let h = OAuthHarness::new(&server);
    let c = h.confidential().await;
    let secret = c.secret.clone().unwrap();
    let first = h.code_flow(&c, "read", "user-2").await;
    let rt1 = first["refresh_token"].as_str().unwrap().to_owned();

    let out = tessera(
        &server,
        &c.id,
        &secret,
        &["oauth", "refresh", "--json"],
        &[("REFRESH_TOKEN", &rt1)],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let tokens: Value = serde_json::from_slice(&out.stdout).unwrap();
    let rt2 = tokens["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(rt2, rt1);

    let out = tessera(
        &server,
        &c.id,
        &secret,
        &["oauth", "refresh"],
        &[("REFRESH_TOKEN", &rt1)],
    );
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("invalid_grant"), "{stderr}");

    let fresh = h.code_flow(&c, "read", "user-2").await;
    let out = tessera(
        &server,
        &c.id,
        &secret,
        &["oauth", "revoke"],
        &[("TOKEN", fresh["refresh_token"].as_str().unwrap())],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "revoked");
    let out = tessera(
        &server,
        &c.id,
        &secret,
        &["oauth", "refresh", "--json"],
        &[("REFRESH_TOKEN", fresh["refresh_token"].as_str().unwrap())],
    );
    assert!(!out.status.success());
}
