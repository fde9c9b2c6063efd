//! `Signature-Input` / `Signature` parsing and verification with arbitrary headers and body.
//!
//! Input: `name: value` lines, a blank line, then the body (so the seed is a readable request
//! and the dictionary's tokens land in header values). Everything parses without panicking;
//! whatever `from_request` accepts covers `@method` and `@target-uri`, and a body's digest.
#![no_main]

use http::{HeaderMap, HeaderName, HeaderValue};
use libfuzzer_sys::fuzz_target;
use tessera_httpsig::{RequestParts, SignedRequest, VerifyPolicy, jwk_to_verifying_key};
use tessera_proto::jwk::Jwk;

/// `created` of the seed, so the seed passes the clock check and reaches verification.
const NOW: i64 = 1_732_345_678;

fuzz_target!(|data: &[u8]| {
    let (head, body) = match data.windows(2).position(|w| w == b"\n\n") {
        Some(i) => (&data[..i], &data[i + 2..]),
        None => (data, &[][..]),
    };
    let mut headers = HeaderMap::new();
    for line in head.split(|b| *b == b'\n') {
        let Some(colon) = line.iter().position(|b| *b == b':') else {
            continue;
        };
        let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(&line[..colon]),
            HeaderValue::from_bytes(line[colon + 1..].trim_ascii()),
        ) else {
            continue;
        };
        headers.append(name, value);
    }
    let parts = RequestParts {
        method: "POST",
        target_uri: "http://127.0.0.1:3006/",
        headers: &headers,
    };
    let policy = VerifyPolicy { max_skew_secs: 300 };
    let Ok(signed) = SignedRequest::from_request(&parts, body, NOW, &policy) else {
        return;
    };
    assert!(signed.covered.iter().any(|c| c == "@method"));
    assert!(signed.covered.iter().any(|c| c == "@target-uri"));
    assert!(body.is_empty() || signed.covered.iter().any(|c| c == "content-digest"));
    assert!(!signed.signature_base().is_empty());
    let key = jwk_to_verifying_key(&Jwk {
        kid: "key-1".into(),
        alg: "EdDSA".into(),
        key_use: None,
        kty: "OKP".into(),
        crv: "Ed25519".into(),
        x: "dVxMuSVsp83ErP3Gz-7ahJAX5bn5UU6ZGRvWfgsNQnY".into(),
    });
    if let Ok(key) = key {
        let _ = signed.verify(&key);
    }
});
