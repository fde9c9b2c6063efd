//! The SDK against a real Tessera: grant, rotate, revoke, cancel, and every refusal as a typed
//! error carrying the HTTP status and the GNAP error code.

// Test code: a failed unwrap is a failed test, with its location.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use serde_json::json;
use tessera_client::{AuthenticatedClient, ClientConfig, ClientError, PrivateKey};
use tessera_proto::GnapErrorCode;
use tessera_testkit::RecordingServer;

use common::{grant, incoming_payments, setup};

#[track_caller]
fn assert_gnap(
    result: Result<impl std::fmt::Debug, ClientError>,
    status: u16,
    code: GnapErrorCode,
) {
    match result {
        Err(e @ ClientError::Gnap { .. }) => {
            assert_eq!(
                (e.status(), e.gnap_code()),
                (Some(status), Some(code)),
                "{e}"
            );
        }
        other => panic!("expected {status} {}, got {other:?}", code.as_str()),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn grant_rotate_revoke_against_a_real_server() {
    let s = setup().await;
    let (token, continue_) = grant(&s.client, &s.server.grant_url()).await;
    assert_eq!(token.expires_in, Some(600));
    assert_eq!(token.access, incoming_payments());
    assert!(continue_.uri.starts_with(&s.server.public_url));
    let info = s.server.introspect(&token.value).await;
    assert_eq!(info["active"], true);
    assert_eq!(info["client"], s.alice.wallet_address);

    let rotated = s
        .client
        .token()
        .rotate(&token.manage, &token.value)
        .await
        .unwrap()
        .access_token;
    assert_ne!(rotated.value, token.value);
    assert_ne!(rotated.manage, token.manage);
    assert_eq!(rotated.access, token.access);
    assert!(!s.server.is_active(&token.value).await);
    assert!(s.server.is_active(&rotated.value).await);

    s.client
        .token()
        .revoke(&rotated.manage, Some(&rotated.value))
        .await
        .unwrap();
    assert!(!s.server.is_active(&rotated.value).await);
    // Revocation is idempotent, and still 204.
    s.client
        .token()
        .revoke(&rotated.manage, Some(&rotated.value))
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_client_reads_its_key_from_pem_bytes_too() {
    let s = setup().await;
    let pem = std::fs::read(&s.alice.pem_path).unwrap();
    let client = AuthenticatedClient::new(ClientConfig::new(
        s.alice.wallet_address.clone(),
        PrivateKey::Pem(pem),
        s.alice.key_id.clone(),
    ))
    .unwrap();
    let (token, _) = grant(&client, &s.server.grant_url()).await;
    assert!(s.server.is_active(&token.value).await);
}

#[tokio::test(flavor = "multi_thread")]
async fn cancel_revokes_the_grant_and_continuation_errors_are_typed() {
    let s = setup().await;
    let (token, continue_) = grant(&s.client, &s.server.grant_url()).await;
    let cont_token = &continue_.access_token.value;

    // A non-interactive grant has nothing to continue: polling and an interact_ref are refused.
    let grants = s.client.grant();
    assert_gnap(
        grants
            .continue_grant(&continue_.uri, cont_token, None)
            .await,
        401,
        GnapErrorCode::RequestDenied,
    );
    assert_gnap(
        grants
            .continue_grant(&continue_.uri, cont_token, Some("some-ref"))
            .await,
        // No interaction, so no interact_ref of this grant can match.
        404,
        GnapErrorCode::InvalidContinuation,
    );
    assert_gnap(
        grants.cancel(&continue_.uri, &token.value).await,
        401,
        GnapErrorCode::InvalidContinuation,
    );

    grants.cancel(&continue_.uri, cont_token).await.unwrap();
    assert!(!s.server.is_active(&token.value).await);
    assert_gnap(
        grants.cancel(&continue_.uri, cont_token).await,
        401,
        GnapErrorCode::InvalidContinuation,
    );
    assert_gnap(
        grants
            .continue_grant(&continue_.uri, cont_token, None)
            .await,
        401,
        GnapErrorCode::InvalidContinuation,
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn server_refusals_are_typed_errors_with_status_and_code() {
    let s = setup().await;
    let (token, _) = grant(&s.client, &s.server.grant_url()).await;
    let tokens = s.client.token();
    let rotated = tokens.rotate(&token.manage, &token.value).await.unwrap();

    // The old token cannot be rotated again, nor revoked with the wrong value.
    let again = tokens.rotate(&token.manage, &token.value).await;
    assert_gnap(again, 400, GnapErrorCode::InvalidRotation);
    let unknown = format!("{}/token/does-not-exist", s.server.public_url);
    assert_gnap(
        tokens.rotate(&unknown, &token.value).await,
        404,
        GnapErrorCode::InvalidRotation,
    );
    let wrong = tokens
        .revoke(&rotated.access_token.manage, Some(&token.value))
        .await;
    let Err(err) = &wrong else {
        panic!("revoking with the wrong token succeeded")
    };
    let message = err.to_string();
    assert!(
        message.starts_with(&format!(
            "DELETE {}: 401 invalid_client: ",
            rotated.access_token.manage
        )),
        "{message}"
    );
    assert!(
        !message.contains(&token.value),
        "a token reached the message"
    );
    assert_gnap(wrong, 401, GnapErrorCode::InvalidClient);
    assert_gnap(
        tokens.revoke(&rotated.access_token.manage, None).await,
        401,
        GnapErrorCode::InvalidClient,
    );
    assert!(s.server.is_active(&rotated.access_token.value).await);

    // A client whose wallet address does not publish its key is refused.
    let mallory_dir = tempfile::tempdir().unwrap();
    let mallory = s.wallets.register_key_file("mallory", mallory_dir.path());
    s.wallets.set_keys("mallory", vec![]);
    let mallory_client = common::client_for(&mallory);
    let mallory_request = mallory_client.grant_request(incoming_payments());
    assert_gnap(
        mallory_client
            .grant()
            .request(&s.server.grant_url(), &mallory_request)
            .await,
        401,
        GnapErrorCode::InvalidClient,
    );

    // Outgoing payments need interaction, which this request does not offer.
    let outgoing = s.client.grant_request(
        serde_json::from_value(json!([{"type": "outgoing-payment", "actions": ["create"],
            "identifier": s.alice.wallet_address}]))
        .unwrap(),
    );
    assert_gnap(
        s.client
            .grant()
            .request(&s.server.grant_url(), &outgoing)
            .await,
        400,
        GnapErrorCode::InvalidRequest,
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn statuses_the_spec_does_not_list_are_errors() {
    // DELETE answered 200, POST answered 201, a plain-text 500, a redirect, a bad JSON body.
    let server = RecordingServer::start(|r| match (r.method.as_str(), r.url.rsplit('/').next()) {
        ("DELETE", Some("ok200")) => (200, None),
        ("POST", Some("created")) => (201, Some(json!({"access_token": {}}))),
        ("POST", Some("redirect")) => (302, None),
        ("POST", Some("garbage")) => (200, Some(json!({"unexpected": true}))),
        _ => (500, None),
    })
    .await;
    let base = &server.base_url;
    let signer = tessera_httpsig::RequestSigner::new(
        ed25519_dalek::SigningKey::generate(&mut rand::rngs::OsRng),
        "k",
    );
    let client = AuthenticatedClient::from_signer("https://w.example/a", signer).unwrap();
    let tokens = client.token();

    let unexpected = |r: Result<(), ClientError>, want: u16| match r {
        Err(ClientError::UnexpectedStatus { status, .. }) => assert_eq!(status, want),
        other => panic!("expected unexpected status {want}, got {other:?}"),
    };
    let rotate = |name: &'static str| async move {
        tokens
            .rotate(&format!("{base}/token/{name}"), "t")
            .await
            .map(|_| ())
    };
    unexpected(
        tokens
            .revoke(&format!("{base}/token/ok200"), Some("t"))
            .await,
        200,
    );
    unexpected(rotate("created").await, 201);
    unexpected(rotate("redirect").await, 302);
    unexpected(rotate("fail").await, 500);
    assert_eq!(server.requests().len(), 4, "the redirect was not followed");
    match tokens.rotate(&format!("{base}/token/garbage"), "t").await {
        Err(ClientError::InvalidResponse { .. }) => {}
        other => panic!("expected an invalid response, got {other:?}"),
    }

    // Nothing listens there: a transport error naming the request.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/token/x", closed.local_addr().unwrap());
    drop(closed);
    match tokens.rotate(&url, "t").await {
        Err(e @ ClientError::Transport { .. }) => {
            assert_eq!(e.to_string(), format!("POST {url}: transport error"));
            assert!(std::error::Error::source(&e).is_some());
        }
        other => panic!("expected a transport error, got {other:?}"),
    }
    // A token that cannot be a header value is refused before anything is sent.
    match tokens
        .rotate(&format!("{base}/token/x"), "bad\ntoken")
        .await
    {
        Err(ClientError::InvalidToken("access")) => {}
        other => panic!("expected an invalid token, got {other:?}"),
    }
}
