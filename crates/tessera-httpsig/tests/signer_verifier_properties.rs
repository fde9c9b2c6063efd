//! Property tests: whatever a client signs with our signer (any SDK style, any method, URI, token
//! and body), the verifier accepts with the right key, and refuses once the body changes.

// Test code: a failed unwrap is a failed test, with its location.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use ed25519_dalek::SigningKey;
use http::{HeaderMap, HeaderValue};
use proptest::prelude::*;
use tessera_httpsig::{
    DigestAlgorithm, RequestParts, RequestSigner, SignatureError, SignatureStyle, SignedRequest,
    VerifyPolicy, content_digest, verify_content_digest,
};

fn style() -> impl Strategy<Value = SignatureStyle> {
    prop_oneof![
        Just(SignatureStyle::Js),
        Just(SignatureStyle::RustSdk),
        Just(SignatureStyle::Go)
    ]
}

proptest! {
    #[test]
    fn signed_requests_verify(
        seed in any::<[u8; 32]>(),
        style in style(),
        method in prop_oneof![Just("GET"), Just("POST"), Just("DELETE"), Just("post")],
        path in "[a-zA-Z0-9/_.~%-]{0,40}",
        query in proptest::option::of("[a-z0-9=&]{1,20}"),
        key_id in "[ -~]{1,30}",
        token in proptest::option::of("[A-Za-z0-9_-]{1,64}"),
        body in proptest::option::of(proptest::collection::vec(any::<u8>(), 1..512)),
        created in 0i64..4_000_000_000,
    ) {
        let uri = match &query {
            Some(q) => format!("https://as.example/{path}?{q}"),
            None => format!("https://as.example/{path}"),
        };
        let signer = RequestSigner::new(SigningKey::from_bytes(&seed), key_id.clone()).with_style(style);
        let mut headers = HeaderMap::new();
        if let Some(t) = &token {
            headers.insert("authorization", HeaderValue::from_str(&format!("GNAP {t}")).unwrap());
        }
        signer.sign(method, &uri, &mut headers, body.as_deref(), created).unwrap();

        let body = body.unwrap_or_default();
        let parts = RequestParts { method, target_uri: &uri, headers: &headers };
        let req = SignedRequest::from_request(&parts, &body, created, &VerifyPolicy::default()).unwrap();
        prop_assert_eq!(&req.key_id, &key_id);
        prop_assert!(req.verify(&signer.verifying_key()).is_ok());

        if !body.is_empty() {
            let mut other = body.clone();
            other[0] ^= 0x01;
            let refused = SignedRequest::from_request(&parts, &other, created, &VerifyPolicy::default());
            prop_assert_eq!(refused.err(), Some(SignatureError::DigestMismatch));
        }
    }

    #[test]
    fn content_digest_round_trips(body in proptest::collection::vec(any::<u8>(), 0..2048), flip in any::<usize>()) {
        for alg in [DigestAlgorithm::Sha256, DigestAlgorithm::Sha512] {
            let header = content_digest(alg, &body);
            prop_assert_eq!(verify_content_digest(&header, &body), Ok(()));
            if !body.is_empty() {
                let mut other = body.clone();
                let i = flip % other.len();
                other[i] ^= 0x80;
                prop_assert_eq!(verify_content_digest(&header, &other), Err(SignatureError::DigestMismatch));
            }
        }
    }

    #[test]
    fn parser_never_panics(input in "[ -~]{0,200}", sig in "[ -~]{0,120}") {
        let mut headers = HeaderMap::new();
        headers.insert("signature-input", HeaderValue::from_str(&input).unwrap());
        headers.insert("signature", HeaderValue::from_str(&sig).unwrap());
        let parts = RequestParts { method: "POST", target_uri: "https://as.example/", headers: &headers };
        let _ = SignedRequest::from_request(&parts, b"x", 0, &VerifyPolicy::default());
    }
}
