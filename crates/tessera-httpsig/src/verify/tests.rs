use ed25519_dalek::SigningKey;
use http::{HeaderMap, HeaderValue};

use super::*;
use crate::sign::{RequestSigner, SignatureStyle};

const NOW: i64 = 1_732_345_678;
const URI: &str = "https://auth.example/token/abc";
const BODY: &[u8] = br#"{"access_token":{"access":[]}}"#;

fn signer(style: SignatureStyle) -> RequestSigner {
    RequestSigner::new(SigningKey::from_bytes(&[3u8; 32]), "key-1").with_style(style)
}

fn signed(style: SignatureStyle, authorization: bool, body: Option<&[u8]>) -> HeaderMap {
    let mut h = HeaderMap::new();
    if authorization {
        h.insert("authorization", HeaderValue::from_static("GNAP tok"));
    }
    signer(style).sign("POST", URI, &mut h, body, NOW).unwrap();
    h
}

fn check(headers: &HeaderMap, body: &[u8]) -> Result<SignedRequest, SignatureError> {
    let parts = RequestParts {
        method: "POST",
        target_uri: URI,
        headers,
    };
    SignedRequest::from_request(&parts, body, NOW, &VerifyPolicy::default())
}

fn verify(headers: &HeaderMap, body: &[u8]) -> Result<(), SignatureError> {
    check(headers, body)?.verify(&signer(SignatureStyle::Js).verifying_key())
}

#[test]
fn every_style_round_trips() {
    for style in [
        SignatureStyle::Js,
        SignatureStyle::RustSdk,
        SignatureStyle::Go,
    ] {
        for auth in [false, true] {
            for body in [None, Some(BODY)] {
                let h = signed(style, auth, body);
                let req = check(&h, body.unwrap_or_default()).unwrap();
                assert_eq!(req.key_id, "key-1");
                assert_eq!(req.created, NOW);
                assert_eq!(req.label, "sig1");
                req.verify(&signer(style).verifying_key()).unwrap();
            }
        }
    }
}

#[test]
fn rust_sdk_wire_form() {
    let h = signed(SignatureStyle::RustSdk, true, Some(BODY));
    assert_eq!(
        h["signature-input"],
        "sig1=(@method @target-uri content-type authorization content-digest content-length);created=1732345678;keyid=\"key-1\""
    );
    assert!(!h["signature"].to_str().unwrap().contains(':'));
}

#[test]
fn js_wire_form() {
    let h = signed(SignatureStyle::Js, true, Some(BODY));
    assert_eq!(
        h["signature-input"],
        "sig1=(\"@method\" \"@target-uri\" \"authorization\" \"content-digest\" \"content-length\" \"content-type\");keyid=\"key-1\";created=1732345678"
    );
    assert!(h["signature"].to_str().unwrap().starts_with("sig1=:"));
}

#[test]
fn another_key_is_refused() {
    let h = signed(SignatureStyle::Js, false, None);
    let other = SigningKey::from_bytes(&[4u8; 32]).verifying_key();
    assert_eq!(
        check(&h, b"").unwrap().verify(&other),
        Err(SignatureError::BadSignature)
    );
}

#[test]
fn tampering_is_refused() {
    // Another target URI.
    let h = signed(SignatureStyle::Js, true, None);
    let parts = RequestParts {
        method: "POST",
        target_uri: "https://auth.example/token/abd",
        headers: &h,
    };
    let req = SignedRequest::from_request(&parts, b"", NOW, &VerifyPolicy::default()).unwrap();
    assert_eq!(
        req.verify(&signer(SignatureStyle::Js).verifying_key()),
        Err(SignatureError::BadSignature)
    );

    // Another method.
    let parts = RequestParts {
        method: "DELETE",
        target_uri: URI,
        headers: &h,
    };
    let req = SignedRequest::from_request(&parts, b"", NOW, &VerifyPolicy::default()).unwrap();
    assert_eq!(
        req.verify(&signer(SignatureStyle::Js).verifying_key()),
        Err(SignatureError::BadSignature)
    );

    // Another token in a covered header.
    let mut h2 = h.clone();
    h2.insert("authorization", HeaderValue::from_static("GNAP other"));
    assert_eq!(verify(&h2, b""), Err(SignatureError::BadSignature));

    // Another body: the digest no longer matches.
    let h = signed(SignatureStyle::Js, false, Some(BODY));
    assert_eq!(
        verify(&h, b"{}").err(),
        Some(SignatureError::DigestMismatch)
    );

    // A different digest for the other body: the signature no longer matches.
    let mut h3 = h.clone();
    h3.insert(
        "content-digest",
        HeaderValue::from_str(&crate::content_digest(
            crate::DigestAlgorithm::Sha512,
            b"{}",
        ))
        .unwrap(),
    );
    assert_eq!(verify(&h3, b"{}"), Err(SignatureError::BadSignature));
}

#[test]
fn missing_headers() {
    let mut h = signed(SignatureStyle::Js, false, None);
    h.remove("signature");
    assert_eq!(
        check(&h, b"").err(),
        Some(SignatureError::MissingHeader("signature"))
    );
    let mut h = signed(SignatureStyle::Js, false, None);
    h.remove("signature-input");
    assert_eq!(
        check(&h, b"").err(),
        Some(SignatureError::MissingHeader("signature-input"))
    );
}

#[test]
fn stale_and_future_signatures() {
    let h = signed(SignatureStyle::Js, false, None);
    let parts = RequestParts {
        method: "POST",
        target_uri: URI,
        headers: &h,
    };
    let policy = VerifyPolicy { max_skew_secs: 300 };
    assert!(SignedRequest::from_request(&parts, b"", NOW + 300, &policy).is_ok());
    assert_eq!(
        SignedRequest::from_request(&parts, b"", NOW + 301, &policy).err(),
        Some(SignatureError::Stale)
    );
    assert_eq!(
        SignedRequest::from_request(&parts, b"", NOW - 301, &policy).err(),
        Some(SignatureError::Stale)
    );
}

fn with_input(input: &str, sig_from: &HeaderMap) -> HeaderMap {
    let mut h = sig_from.clone();
    h.insert("signature-input", HeaderValue::from_str(input).unwrap());
    h
}

#[test]
fn coverage_rules() {
    let base = signed(SignatureStyle::Js, true, Some(BODY));
    let cases = [
        (
            r#"sig1=("@target-uri");keyid="key-1";created=1732345678"#,
            SignatureError::NotCovered("@method"),
        ),
        (
            r#"sig1=("@method");keyid="key-1";created=1732345678"#,
            SignatureError::NotCovered("@target-uri"),
        ),
        (
            r#"sig1=("@method" "@target-uri" "content-digest");keyid="key-1";created=1732345678"#,
            SignatureError::NotCovered("authorization"),
        ),
        (
            r#"sig1=("@method" "@target-uri" "authorization");keyid="key-1";created=1732345678"#,
            SignatureError::NotCovered("content-digest"),
        ),
        (
            r#"sig1=("@method" "@target-uri" "Authorization");keyid="key-1";created=1732345678"#,
            SignatureError::UppercaseComponent("Authorization".into()),
        ),
        (
            r#"sig1=("@method" "@method" "@target-uri");keyid="key-1";created=1732345678"#,
            SignatureError::DuplicateComponent("@method".into()),
        ),
        (
            r#"sig1=("@method" "@target-uri" "@path");keyid="key-1";created=1732345678"#,
            SignatureError::UnsupportedComponent("@path".into()),
        ),
        (
            r#"sig1=("@method" "@target-uri");created=1732345678"#,
            SignatureError::MissingParameter("keyid"),
        ),
        (
            r#"sig1=("@method" "@target-uri");keyid="key-1""#,
            SignatureError::MissingParameter("created"),
        ),
        (
            r#"sig1=("@method" "@target-uri");keyid="key-1";created=1732345678;alg="rsa-v1_5-sha256""#,
            SignatureError::UnsupportedAlgorithm("rsa-v1_5-sha256".into()),
        ),
        (
            r#"sig1=("@method" "@target-uri");keyid="key-1";created=1732345678;expires=1732345677"#,
            SignatureError::Expired,
        ),
        (
            r#"sig2=("@method" "@target-uri");keyid="key-1";created=1732345678"#,
            SignatureError::LabelMismatch("sig2".into()),
        ),
    ];
    for (input, expected) in cases {
        let h = with_input(input, &base);
        assert_eq!(check(&h, BODY).err(), Some(expected), "{input}");
    }
}

#[test]
fn body_without_digest_is_refused() {
    let h = signed(SignatureStyle::Js, false, None);
    assert_eq!(check(&h, BODY).err(), Some(SignatureError::DigestMissing));
}

#[test]
fn covered_header_must_exist() {
    let mut h = signed(SignatureStyle::Js, false, Some(BODY));
    h.remove("content-length");
    assert_eq!(
        check(&h, BODY).err(),
        Some(SignatureError::CoveredHeaderMissing(
            "content-length".into()
        ))
    );
}
