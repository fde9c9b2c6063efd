//! Request limits: oversized heads and bodies, and requests that take too long, are refused with
//! GNAP JSON errors (never plain text, never a 500), and the server keeps serving.

// Test code: a failed unwrap is a failed test, with its location.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::{Duration, Instant};

use serde_json::Value;
use tessera_testkit::{TestServer, incoming_payment_access, server_wallets_and_alice};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

/// Status and GNAP error code of a response that must be a JSON error.
async fn gnap_error(response: reqwest::Response) -> (u16, String) {
    let status = response.status().as_u16();
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(content_type, "application/json", "status {status}");
    let body: Value = response.json().await.unwrap();
    let code = body["error"]["code"].as_str().unwrap().to_owned();
    (status, code)
}

#[tokio::test]
async fn oversized_headers_get_431_json() {
    let server = TestServer::start(tessera_testkit::Backend::Sqlite).await;
    let http = reqwest::Client::new();
    let big = "a".repeat(20 * 1024);
    for url in [
        format!("{}/healthz", server.public_url),
        format!("{}/healthz", server.internal_url),
        server.grant_url(),
    ] {
        let response = http
            .get(&url)
            .header("x-padding", &big)
            .send()
            .await
            .unwrap();
        assert_eq!(
            gnap_error(response).await,
            (431, "invalid_request".into()),
            "{url}"
        );
    }
    // Far past hyper's own buffer: refused at the connection, and the server lives on.
    let huge = "a".repeat(1024 * 1024);
    let response = http
        .get(format!("{}/healthz", server.public_url))
        .header("x-padding", &huge)
        .send()
        .await;
    assert!(response.is_err() || response.unwrap().status() == 431);
    let ok = http
        .get(format!("{}/healthz", server.public_url))
        .send()
        .await;
    assert_eq!(ok.unwrap().status(), 200);
}

#[tokio::test]
async fn oversized_bodies_get_400_json() {
    let (server, _wallets, alice) =
        server_wallets_and_alice(tessera_testkit::Backend::Sqlite).await;
    let mut body = alice.grant_body(incoming_payment_access());
    body["padding"] = "a".repeat(100 * 1024).into();
    // Signed, with a correct digest: refused for its size alone.
    let reply = alice.request_grant(&server.grant_url(), &body).await;
    reply.assert_error(400, "invalid_request");
    assert!(
        reply.body["error"]["description"]
            .as_str()
            .unwrap()
            .contains("too large"),
        "{}",
        reply.body
    );
    let response = reqwest::Client::new()
        .post(format!("{}/introspect", server.internal_url))
        .json(&serde_json::json!({"access_token": "a".repeat(100 * 1024)}))
        .send()
        .await
        .unwrap();
    assert_eq!(gnap_error(response).await, (400, "invalid_request".into()));
}

#[tokio::test]
async fn a_request_whose_body_never_arrives_times_out_with_503_json() {
    let server = TestServer::start_with(tessera_testkit::Backend::Sqlite, |c| {
        c.request_timeout = Duration::from_secs(1)
    })
    .await;
    let address = server.public_url.trim_start_matches("http://").to_owned();
    let mut socket = tokio::net::TcpStream::connect(&address).await.unwrap();
    let started = Instant::now();
    socket
        .write_all(
            format!(
                "POST / HTTP/1.1\r\nhost: {address}\r\ncontent-type: application/json\r\n\
                 content-length: 100\r\n\r\n{{\"client\":"
            )
            .as_bytes(),
        )
        .await
        .unwrap();
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    let read = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            let n = socket.read(&mut buf).await.unwrap();
            answer.extend_from_slice(&buf[..n]);
            if n == 0 || String::from_utf8_lossy(&answer).contains("\"error\"") {
                break;
            }
        }
    })
    .await;
    assert!(read.is_ok(), "no answer within 10 s");
    let answer = String::from_utf8_lossy(&answer).to_lowercase();
    assert!(answer.starts_with("http/1.1 503"), "{answer}");
    assert!(answer.contains("retry-after: 1"), "{answer}");
    assert!(answer.contains("\"code\":\"request_denied\""), "{answer}");
    assert!(started.elapsed() >= Duration::from_millis(900));
}
