//! What the official Rust SDK (crate `open-payments`, pinned `=0.2.0`) puts on the wire, captured
//! on loopback: its real `AuthenticatedClient` sends the four requests of the signature vectors
//! (grant request, continuation with a body, rotation, cancel) to a server that records them.
//!
//! Shared by `examples/rust_sdk_vectors.rs` (prints the vector file) and
//! `tests/rust_sdk_vectors.rs` (checks the committed file is still what the crate sends). The
//! crate reads the clock for `created` and the server gets an ephemeral port, so those two (and
//! the signature, which covers them) differ from run to run; everything else is fixed.

use std::sync::{Arc, Mutex};

use anyhow::{Context as _, anyhow, ensure};
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use open_payments::client::{AuthenticatedClient, AuthenticatedResources as _, ClientConfig};
use open_payments::types::{AccessItem, AccessTokenRequest, GrantRequest, IncomingPaymentAction};
use serde_json::{Map, Value, json};

/// The key of the vectors (the same as `js-sdk.json`'s), PKCS#8 PEM.
pub const PRIVATE_KEY_PEM: &str = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIAMKERgfJi00O0JJUFdeZWxzeoGIj5adpKuyucDHztXc\n-----END PRIVATE KEY-----\n";
pub const KEY_ID: &str = "key-1";
const WALLET_ADDRESS: &str = "https://wallet.example/alice";
const CONTINUE_PATH: &str = "/continue/0b1c2d3e";
const CONTINUE_TOKEN: &str = "5F1A3C0D9E7B2A4C6E8F";
const INTERACT_REF: &str = "4f1c5e2a-7d0b-4a5e-9c3f-1b2a3c4d5e6f";
const MANAGE_PATH: &str = "/token/9a8b7c";
const ACCESS_TOKEN: &str = "0011223344556677";

/// Case names, in the order the requests are sent.
pub const CASES: [&str; 4] = [
    "grant-request",
    "continue-with-body",
    "rotate-no-body",
    "cancel-delete",
];

struct Captured {
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
}

type Log = Arc<Mutex<Vec<Captured>>>;

async fn record(
    State(log): State<Log>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    if let Ok(mut log) = log.lock() {
        log.push(Captured {
            method,
            uri,
            headers,
            body,
        });
    }
    StatusCode::NO_CONTENT
}

/// Sends the four requests with the SDK and returns the vector file's JSON.
pub async fn capture_vectors() -> anyhow::Result<Value> {
    let log = Log::default();
    let app = Router::new().fallback(record).with_state(log.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let server = tokio::spawn(async move { axum::serve(listener, app).await });

    let dir = tempfile::tempdir()?;
    let key_path = dir.path().join("key.pem");
    std::fs::write(&key_path, PRIVATE_KEY_PEM)?;
    let client = AuthenticatedClient::new(ClientConfig {
        key_id: KEY_ID.into(),
        private_key_path: key_path,
        jwks_path: None,
        wallet_address_url: WALLET_ADDRESS.into(),
    })
    .map_err(|e| anyhow!("open-payments client: {e:?}"))?;

    let grant = GrantRequest::new(
        AccessTokenRequest {
            access: vec![AccessItem::IncomingPayment {
                actions: vec![IncomingPaymentAction::Create, IncomingPaymentAction::Read],
                identifier: None,
            }],
        },
        None,
    );
    let continue_url = format!("{base}{CONTINUE_PATH}");
    // The recorder answers 204 with no body, so the three calls that expect JSON end in a
    // decoding error: expected, and irrelevant here (what was sent is checked below).
    let _ = client
        .grant()
        .request(&format!("{base}/"), &grant, None)
        .await;
    let _ = client
        .grant()
        .continue_grant(&continue_url, INTERACT_REF, Some(CONTINUE_TOKEN))
        .await;
    let _ = client
        .token()
        .rotate(&format!("{base}{MANAGE_PATH}"), Some(ACCESS_TOKEN))
        .await;
    client
        .grant()
        .cancel(&continue_url, Some(CONTINUE_TOKEN))
        .await
        .map_err(|e| anyhow!("cancel: {e:?}"))?;
    server.abort();

    let captured = std::mem::take(&mut *log.lock().map_err(|_| anyhow!("poisoned"))?);
    ensure!(
        captured.len() == CASES.len(),
        "expected {} requests, captured {}",
        CASES.len(),
        captured.len()
    );
    let cases = CASES
        .iter()
        .zip(&captured)
        .map(|(name, request)| case_json(name, &base, request))
        .collect::<anyhow::Result<Vec<_>>>()?;
    Ok(json!({
        "generator": "crate open-payments 0.2.0, AuthenticatedClient, requests captured on \
            loopback by crates/tessera-cli/examples/rust_sdk_vectors.rs",
        "key_id": KEY_ID,
        "private_key_pem": PRIVATE_KEY_PEM,
        "public_jwk": serde_json::to_value(client.public_jwk())?,
        "cases": cases,
    }))
}

fn case_json(name: &str, base: &str, request: &Captured) -> anyhow::Result<Value> {
    let mut headers = Map::new();
    for (header, value) in &request.headers {
        if header != "host" {
            headers.insert(header.as_str().to_owned(), json!(value.to_str()?));
        }
    }
    let created = headers
        .get("signature-input")
        .and_then(Value::as_str)
        .and_then(created_of)
        .with_context(|| format!("{name}: no created in signature-input"))?;
    let body = if request.body.is_empty() {
        Value::Null
    } else {
        json!(std::str::from_utf8(&request.body)?)
    };
    let path = request.uri.path_and_query().map_or("/", |p| p.as_str());
    Ok(json!({
        "name": name,
        "method": request.method.as_str(),
        "url": format!("{base}{path}"),
        "headers": headers,
        "body": body,
        "created": created,
    }))
}

/// The `created` parameter of a `Signature-Input` value.
pub fn created_of(signature_input: &str) -> Option<i64> {
    let (_, rest) = signature_input.split_once(";created=")?;
    rest.split(';').next()?.parse().ok()
}
