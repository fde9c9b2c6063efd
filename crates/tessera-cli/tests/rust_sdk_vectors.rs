//! The committed `tessera-httpsig/tests/vectors/rust-sdk.json` is what the pinned official Rust
//! SDK (crate `open-payments` 0.2.0) sends: the requests are captured again here with the crate's
//! own client and compared with the file, all but the parts that depend on the clock (`created`,
//! hence the signature) or on the loopback port. The fresh capture must verify with Tessera's
//! verifier too. (`tessera-httpsig/tests/sdk_vectors.rs` tests the file itself in depth.)

// Test code: a failed unwrap is a failed test, with its location.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "common/rust_sdk_capture.rs"]
mod rust_sdk_capture;

use http::{HeaderMap, HeaderName, HeaderValue};
use serde_json::Value;
use tessera_httpsig::{RequestParts, SignedRequest, VerifyPolicy, signing_key_from_pem};

use rust_sdk_capture::{CASES, capture_vectors, created_of};

fn committed() -> Value {
    serde_json::from_str(include_str!(
        "../../tessera-httpsig/tests/vectors/rust-sdk.json"
    ))
    .unwrap()
}

/// `case` with the clock- and port-dependent parts replaced by placeholders.
fn normalized(case: &Value) -> Value {
    let mut case = case.clone();
    let created = case["created"].as_i64().unwrap();
    case["created"] = Value::Null;
    let url = case["url"].as_str().unwrap();
    let path_start = url["http://".len()..].find('/').unwrap() + "http://".len();
    case["url"] = Value::String(format!("http://HOST{}", &url[path_start..]));
    let headers = case["headers"].as_object_mut().unwrap();
    let input = headers["signature-input"].as_str().unwrap();
    assert_eq!(created_of(input), Some(created), "created param vs field");
    let input = input.replace(&format!(";created={created}"), ";created=CREATED");
    headers.insert("signature-input".into(), Value::String(input));
    headers.insert("signature".into(), Value::Null);
    case
}

fn headers_of(case: &Value) -> HeaderMap {
    case["headers"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(name, value)| {
            (
                HeaderName::from_bytes(name.as_bytes()).unwrap(),
                HeaderValue::from_str(value.as_str().unwrap()).unwrap(),
            )
        })
        .collect()
}

#[tokio::test]
async fn committed_vectors_are_what_the_pinned_rust_sdk_sends() {
    let live = capture_vectors().await.unwrap();
    let file = committed();
    for field in ["key_id", "private_key_pem", "public_jwk"] {
        assert_eq!(live[field], file[field], "{field}");
    }
    let (live_cases, file_cases) = (
        live["cases"].as_array().unwrap(),
        file["cases"].as_array().unwrap(),
    );
    assert_eq!(live_cases.len(), CASES.len());
    assert_eq!(file_cases.len(), CASES.len());
    for (l, f) in live_cases.iter().zip(file_cases) {
        assert_eq!(normalized(l), normalized(f));
    }
}

#[tokio::test]
async fn freshly_captured_rust_sdk_requests_verify() {
    let live = capture_vectors().await.unwrap();
    let key = signing_key_from_pem(live["private_key_pem"].as_str().unwrap())
        .unwrap()
        .verifying_key();
    for case in live["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let headers = headers_of(case);
        let parts = RequestParts {
            method: case["method"].as_str().unwrap(),
            target_uri: case["url"].as_str().unwrap(),
            headers: &headers,
        };
        let body = case["body"].as_str().unwrap_or_default().as_bytes();
        let now = case["created"].as_i64().unwrap();
        SignedRequest::from_request(&parts, body, now, &VerifyPolicy::default())
            .and_then(|request| request.verify(&key))
            .unwrap_or_else(|e| panic!("{name}: {e}"));
    }
}
