//! Requests signed by the official JS library (`@interledger/http-signature-utils` 2.0.3, the
//! signer inside `@interledger/open-payments`), captured in `vectors/js-sdk.json`. Each must
//! verify with the published key and fail with any other key, and our signer in the JS style must
//! produce exactly the same headers (Ed25519 is deterministic).

// Test code: a failed unwrap is a failed test, with its location.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use ed25519_dalek::SigningKey;
use http::{HeaderMap, HeaderName, HeaderValue};
use serde_json::Value;
use tessera_httpsig::{
    RequestParts, RequestSigner, SignatureStyle, SignedRequest, VerifyPolicy, jwk_to_verifying_key,
    signing_key_from_pem,
};
use tessera_proto::jwk::Jwk;

fn vectors() -> Value {
    serde_json::from_str(include_str!("vectors/js-sdk.json")).unwrap()
}

fn headers_of(case: &Value) -> HeaderMap {
    let mut h = HeaderMap::new();
    for (name, value) in case["headers"].as_object().unwrap() {
        h.insert(
            HeaderName::from_bytes(name.to_ascii_lowercase().as_bytes()).unwrap(),
            HeaderValue::from_str(value.as_str().unwrap()).unwrap(),
        );
    }
    h
}

#[test]
fn js_sdk_requests_verify() {
    let v = vectors();
    let jwk: Jwk = serde_json::from_value(v["public_jwk"].clone()).unwrap();
    let key = jwk_to_verifying_key(&jwk).unwrap();
    let other = SigningKey::from_bytes(&[1u8; 32]).verifying_key();
    let cases = v["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 4);
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let headers = headers_of(case);
        let body = case["body"].as_str().unwrap_or_default().as_bytes();
        let parts = RequestParts {
            method: case["method"].as_str().unwrap(),
            target_uri: case["url"].as_str().unwrap(),
            headers: &headers,
        };
        let now = case["created"].as_i64().unwrap() + 10;
        let req = SignedRequest::from_request(&parts, body, now, &VerifyPolicy::default())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(req.key_id, "key-1");
        req.verify(&key).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(
            req.verify(&other).is_err(),
            "{name} verified with another key"
        );
    }
}

#[test]
fn our_js_style_signer_matches_the_js_sdk_byte_for_byte() {
    let v = vectors();
    let key = signing_key_from_pem(v["private_key_pem"].as_str().unwrap()).unwrap();
    let signer = RequestSigner::new(key, "key-1").with_style(SignatureStyle::Js);
    for case in v["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let expected = headers_of(case);
        let mut headers = HeaderMap::new();
        for keep in ["authorization", "content-type"] {
            if let Some(value) = expected.get(keep) {
                headers.insert(keep, value.clone());
            }
        }
        let body = case["body"].as_str().map(str::as_bytes);
        signer
            .sign(
                case["method"].as_str().unwrap(),
                case["url"].as_str().unwrap(),
                &mut headers,
                body,
                case["created"].as_i64().unwrap(),
            )
            .unwrap();
        for name_ in [
            "signature-input",
            "signature",
            "content-digest",
            "content-length",
        ] {
            assert_eq!(headers.get(name_), expected.get(name_), "{name}: {name_}");
        }
    }
}
