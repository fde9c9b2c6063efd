//! HTTP message signatures across implementations, both ways:
//!
//! - requests the SDK puts on the wire (recorded as they arrive) verify with the official npm
//!   `@interledger/http-signature-utils` (`validateSignatureHeaders`, `validateSignature`: what
//!   Rafiki runs), through `interop/js/verify-signatures.mjs`;
//! - requests signed by that library's `createHeaders` (what `@interledger/open-payments` signs
//!   with), through `interop/js/sign-requests.mjs`, verify with Tessera's verifier, and a real
//!   Tessera grants the signed grant request.
//!
//! Each side also gets tampered requests, which must fail. These tests never skip: without
//! Node.js they fail and say what to install; the pinned npm packages are installed on first
//! use (`tessera_testkit::node`).

// Test code: a failed unwrap is a failed test, with its location.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use ed25519_dalek::SigningKey;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use serde_json::{Value, json};
use tessera_client::AuthenticatedClient;
use tessera_httpsig::{RequestParts, RequestSigner, SignatureError, SignedRequest, VerifyPolicy};
use tessera_proto::grant::{GrantRequest, InteractFinish, InteractRequest};
use tessera_testkit::node::run_json_script;
use tessera_testkit::{RecordedRequest, RecordingServer, unix_now};

use common::{incoming_payments, setup};

/// Canned answers, enough for each SDK call to succeed.
fn answer(request: &RecordedRequest) -> (u16, Option<Value>) {
    let token = json!({"value": "tok-2", "manage": "http://as.example/token/m2", "expires_in": 600,
                       "access": [{"type": "quote", "actions": ["create"]}]});
    let cont = json!({"access_token": {"value": "cont-1"}, "uri": "http://as.example/continue/c1"});
    let path = request.url.splitn(4, '/').nth(3).unwrap_or_default();
    match (request.method.as_str(), path) {
        ("DELETE", _) => (204, None),
        ("POST", p) if p.starts_with("token/") => (200, Some(json!({"access_token": token}))),
        ("POST", p) if p.starts_with("continue/") => (200, Some(json!({"continue": cont}))),
        ("POST", _) => (200, Some(json!({"access_token": token, "continue": cont}))),
        _ => (405, None),
    }
}

/// A grant request with limits, interaction and non-ASCII text, so the body's byte length and
/// character count differ.
fn rich_grant_request(client: &AuthenticatedClient) -> GrantRequest {
    let mut request = client.grant_request(
        serde_json::from_value(json!([
            {"type": "outgoing-payment", "actions": ["create", "read"],
             "identifier": "https://wallet.example/ålice",
             "limits": {"receiver": "https://wallet.example/bøb/incoming-payments/1",
                        "debitAmount": {"value": "1234567890123456789", "assetCode": "EUR", "assetScale": 2},
                        "interval": "R12/2019-08-24T14:15:22Z/P1M"}},
            {"type": "quote", "actions": ["create", "read", "read-all"]},
            {"type": "incoming-payment", "actions": ["read-all"], "identifier": "https://wallet.example/ålice"}
        ]))
        .unwrap(),
    );
    request.interact = Some(InteractRequest {
        start: vec!["redirect".into()],
        finish: Some(InteractFinish {
            method: "redirect".into(),
            uri: "https://client.example/return?state=\"quoted\"&x=ü".into(),
            nonce: "nönce-😀".into(),
        }),
    });
    request
}

#[tokio::test(flavor = "multi_thread")]
async fn requests_signed_by_the_sdk_verify_with_the_official_npm_library() {
    let recorder = RecordingServer::start(answer).await;
    let base = recorder.base_url.clone();
    let signer = RequestSigner::new(SigningKey::generate(&mut rand::rngs::OsRng), "alice-key");
    let jwk = signer.jwk();
    let client = AuthenticatedClient::from_signer("https://wallet.example/alice", signer).unwrap();

    // Every SDK call, with and without bodies and tokens; the first URL has no path at all.
    let grants = client.grant();
    let simple = client.grant_request(incoming_payments());
    grants.request(&base, &simple).await.unwrap();
    let rich = rich_grant_request(&client);
    grants.request(&format!("{base}/"), &rich).await.unwrap();
    let cont = format!("{base}/continue/c1");
    grants
        .continue_grant(&cont, "cont-1", Some("ref-ü"))
        .await
        .unwrap();
    grants.continue_grant(&cont, "cont-1", None).await.unwrap();
    grants.cancel(&cont, "cont-1").await.unwrap();
    let manage = format!("{base}/token/m1?x=1&y=%20z");
    client.token().rotate(&manage, "tok-1").await.unwrap();
    client.token().revoke(&manage, Some("tok-1")).await.unwrap();

    let recorded = recorder.requests();
    let names = [
        "grant",
        "grant-rich",
        "continue",
        "poll",
        "cancel",
        "rotate",
        "revoke",
    ];
    assert_eq!(recorded.len(), names.len());

    // What the JS client sends: default headers on every request, compact JSON bodies, and
    // the RFC 9421 form of the signature headers.
    for r in &recorded {
        assert_eq!(r.header("accept"), Some("application/json"), "{r:?}");
        assert_eq!(r.header("content-type"), Some("application/json"), "{r:?}");
        assert!(r.header("signature").unwrap().starts_with("sig1=:"));
    }
    assert_eq!(recorded[0].url, format!("{base}/"));
    assert_eq!(recorded[0].body, serde_json::to_vec(&simple).unwrap());
    assert_eq!(recorded[1].body, serde_json::to_vec(&rich).unwrap());
    assert_eq!(
        recorded[2].header("content-length").unwrap(),
        recorded[2].body.len().to_string()
    );
    assert_eq!(recorded[3].header("authorization"), Some("GNAP cont-1"));
    assert!(recorded[3].body.is_empty(), "polling sends no body");
    assert_eq!(recorded[5].url, manage);
    let input = |r: &RecordedRequest| r.header("signature-input").unwrap().to_owned();
    let components = |r: &RecordedRequest| {
        let i = input(r);
        i[i.find('(').unwrap()..=i.find(')').unwrap()].to_owned()
    };
    assert!(input(&recorded[5]).starts_with(
        r#"sig1=("@method" "@target-uri" "authorization");keyid="alice-key";created="#
    ));
    assert_eq!(
        components(&recorded[0]),
        r#"("@method" "@target-uri" "content-digest" "content-length" "content-type")"#
    );
    assert_eq!(
        components(&recorded[2]),
        r#"("@method" "@target-uri" "authorization" "content-digest" "content-length" "content-type")"#
    );

    let mut cases: Vec<(String, Value, bool, bool)> = recorded
        .iter()
        .zip(names)
        .map(|(r, name)| (name.to_owned(), r.to_json(), true, true))
        .collect();
    // Tampered copies: a changed body (digest mismatch), a changed token (signature), another
    // key (signature).
    let mut body_changed = recorded[1].to_json();
    body_changed["body"] = body_changed["body"]
        .as_str()
        .unwrap()
        .replace("ålice", "mallory")
        .into();
    cases.push(("tampered-body".into(), body_changed, false, false));
    let mut token_changed = recorded[5].to_json();
    token_changed["headers"]["authorization"] = "GNAP tok-2".into();
    cases.push(("tampered-authorization".into(), token_changed, true, false));
    let other_key = RequestSigner::new(SigningKey::generate(&mut rand::rngs::OsRng), "alice-key");
    let mut foreign = recorded[6].to_json();
    foreign["jwk"] = serde_json::to_value(other_key.jwk()).unwrap();
    cases.push(("other-key".into(), foreign, true, false));

    let requests: Vec<Value> = cases
        .iter()
        .map(|(name, request, ..)| {
            let mut request = request.clone();
            request["name"] = name.clone().into();
            if request.get("jwk").is_none() {
                request["jwk"] = serde_json::to_value(&jwk).unwrap();
            }
            request
        })
        .collect();
    let results = tokio::task::spawn_blocking(move || {
        run_json_script("verify-signatures.mjs", &json!({ "requests": requests }))
    })
    .await
    .unwrap();
    let results = results.as_array().unwrap();
    assert_eq!(results.len(), cases.len());
    for ((name, _, headers_valid, signature_valid), result) in cases.iter().zip(results) {
        assert_eq!(result["name"], name.as_str());
        assert_eq!(
            (
                result["headersValid"].as_bool(),
                result["signatureValid"].as_bool()
            ),
            (Some(*headers_valid), Some(*signature_valid)),
            "{name}: {result}"
        );
    }
}

/// One request for `sign-requests.mjs`.
fn to_sign(
    name: &str,
    method: &str,
    url: &str,
    token: Option<&str>,
    body: Option<&Value>,
) -> Value {
    let mut headers = json!({});
    if let Some(token) = token {
        headers["authorization"] = format!("GNAP {token}").into();
    }
    json!({"name": name, "method": method, "url": url, "headers": headers,
           "body": body.map(|b| b.to_string())})
}

fn header_map(headers: &Value) -> HeaderMap {
    headers
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

#[tokio::test(flavor = "multi_thread")]
async fn requests_signed_by_the_npm_library_verify_with_tessera() {
    let s = setup().await;
    let grant_url = s.server.grant_url();
    let grant_body = json!({"access_token": {"access": incoming_payments()},
                            "client": s.alice.wallet_address});
    let nested = json!({"interact_ref": "ref-ü-😀", "list": [1, -2, 3_000_000_000_u64],
                        "nested": {"quote\"d": "line\nbreak", "empty": {}, "null": null}});
    let public = &s.server.public_url;
    let requests = vec![
        to_sign("grant", "POST", &grant_url, None, Some(&grant_body)),
        to_sign(
            "continue",
            "POST",
            &format!("{public}/continue/c1"),
            Some("cont"),
            Some(&nested),
        ),
        to_sign(
            "rotate",
            "POST",
            &format!("{public}/token/m1"),
            Some("tok"),
            None,
        ),
        to_sign(
            "revoke",
            "DELETE",
            &format!("{public}/token/m1?a=1&b=%20"),
            Some("tok"),
            None,
        ),
        to_sign(
            "get",
            "GET",
            "http://rs.example/incoming-payments",
            None,
            None,
        ),
    ];
    let input = json!({"privateKeyPath": s.alice.pem_path, "keyId": s.alice.key_id,
                       "requests": requests});
    let signed = tokio::task::spawn_blocking(move || run_json_script("sign-requests.mjs", &input))
        .await
        .unwrap();
    let signed = signed.as_array().unwrap();
    assert_eq!(signed.len(), requests.len());

    let key = s.alice.signer.verifying_key();
    let verify = |request: &Value, headers: &HeaderMap, body: &[u8]| {
        let parts = RequestParts {
            method: request["method"].as_str().unwrap(),
            target_uri: request["url"].as_str().unwrap(),
            headers,
        };
        SignedRequest::from_request(&parts, body, unix_now(), &VerifyPolicy::default())
            .and_then(|signed| signed.verify(&key).map(|()| signed))
    };
    let expected_covered: [&[&str]; 5] = [
        &[
            "@method",
            "@target-uri",
            "content-digest",
            "content-length",
            "content-type",
        ],
        &[
            "@method",
            "@target-uri",
            "authorization",
            "content-digest",
            "content-length",
            "content-type",
        ],
        &["@method", "@target-uri", "authorization"],
        &["@method", "@target-uri", "authorization"],
        &["@method", "@target-uri"],
    ];
    for ((request, result), covered) in requests.iter().zip(signed).zip(expected_covered) {
        let name = request["name"].as_str().unwrap();
        assert_eq!(result["name"], name);
        let headers = header_map(&result["headers"]);
        let body = request["body"].as_str().unwrap_or_default().as_bytes();
        let verified = verify(request, &headers, body)
            .unwrap_or_else(|e| panic!("{name}: Tessera refused the npm signature: {e}"));
        assert_eq!(verified.key_id, s.alice.key_id, "{name}");
        assert_eq!(verified.covered, covered, "{name}");
    }

    // Tampered: another body under the same headers, another key, another token.
    let headers = header_map(&signed[1]["headers"]);
    assert_eq!(
        verify(&requests[1], &headers, br#"{"interact_ref":"other"}"#).err(),
        Some(SignatureError::DigestMismatch)
    );
    let other = SigningKey::generate(&mut rand::rngs::OsRng).verifying_key();
    let parts = RequestParts {
        method: "POST",
        target_uri: requests[2]["url"].as_str().unwrap(),
        headers: &header_map(&signed[2]["headers"]),
    };
    let rotate = SignedRequest::from_request(&parts, b"", unix_now(), &VerifyPolicy::default());
    assert_eq!(
        rotate.unwrap().verify(&other),
        Err(SignatureError::BadSignature)
    );
    let mut stolen = header_map(&signed[2]["headers"]);
    stolen.insert("authorization", HeaderValue::from_static("GNAP stolen"));
    assert_eq!(
        verify(&requests[2], &stolen, b"").err(),
        Some(SignatureError::BadSignature)
    );

    // And a real Tessera grants the npm-signed grant request.
    let response = reqwest::Client::new()
        .post(&grant_url)
        .headers(header_map(&signed[0]["headers"]))
        .body(requests[0]["body"].as_str().unwrap().to_owned())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let grant: Value = response.json().await.unwrap();
    let token = grant["access_token"]["value"].as_str().unwrap();
    assert!(s.server.is_active(token).await);
}
