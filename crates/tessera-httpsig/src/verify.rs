//! The verifying (server) side: turn a received request into a [`SignedRequest`], then check its
//! signature against the client's key.
//!
//! Verification is split in two because the key is found through the `keyid` the request names
//! (Open Payments: the client's `jwks.json`), which may need I/O that this crate must not do.
//! [`SignedRequest::from_request`] checks everything that needs no key, so a request that is
//! malformed, stale or missing coverage is refused before anything is fetched;
//! [`SignedRequest::verify`] then does the one cryptographic check.
//!
//! Policy, stricter than Rafiki where that costs the official clients nothing: `created` must be
//! within `max_skew_secs` of the server clock; a request with a body must cover and pass
//! `content-digest` (RFC 9635 §7.3.1 says MUST, all SDKs do); `authorization` must be covered when
//! present; signatures are checked with `verify_strict`. Lenient where the clients need it: see
//! `signature_input` for the component syntax and `signature_header` for the bare signature.

use ed25519_dalek::{Signature, VerifyingKey};
use http::HeaderMap;

use crate::base::request_signature_base;
use crate::digest::verify_content_digest;
use crate::error::SignatureError;
use crate::signature_header::signature_for_label;
use crate::signature_input::{self, ParamValue, SignatureInputMember};

/// The parts of a received request that a signature can cover.
#[derive(Debug, Clone, Copy)]
pub struct RequestParts<'a> {
    /// The request method, e.g. `POST` (upper-cased before use).
    pub method: &'a str,
    /// The full target URI the client addressed, e.g. `https://auth.example/continue/abc`.
    pub target_uri: &'a str,
    pub headers: &'a HeaderMap,
}

/// What the verifier tolerates.
#[derive(Debug, Clone)]
pub struct VerifyPolicy {
    /// Largest allowed `|now - created|`, in seconds.
    pub max_skew_secs: i64,
}

impl Default for VerifyPolicy {
    fn default() -> Self {
        VerifyPolicy { max_skew_secs: 300 }
    }
}

/// The label preferred when `Signature-Input` has several members; all official clients use it.
const PREFERRED_LABEL: &str = "sig1";

/// A request whose signature headers passed every check that needs no key.
#[derive(Debug, Clone)]
pub struct SignedRequest {
    /// The signature label, e.g. `sig1`.
    pub label: String,
    /// The `keyid` parameter: which of the client's keys to verify with.
    pub key_id: String,
    /// The `created` parameter (unix seconds).
    pub created: i64,
    /// The covered component names, in the order the client listed them.
    pub covered: Vec<String>,
    base: Vec<u8>,
    signature: [u8; 64],
}

impl SignedRequest {
    /// Parses `Signature-Input`/`Signature` and checks everything that needs no key: the label is
    /// present in both headers (with a bare-base64 `Signature`, `Signature-Input` must have exactly
    /// one member); `keyid` and `created` are present; `alg`, if present, is `ed25519`;
    /// `expires`, if present, is not in the past; `|now - created| <= max_skew_secs`; `@method`
    /// and `@target-uri` are covered; `authorization` is covered when that header is present;
    /// when `body` is non-empty, `content-digest` is covered and matches the raw body (a covered
    /// `content-digest` is checked even for an empty body); every covered header exists;
    /// component names are lower-case and unique; derived components other than `@method` and
    /// `@target-uri` are refused. Builds the signature base.
    pub fn from_request(
        parts: &RequestParts<'_>,
        body: &[u8],
        now_unix: i64,
        policy: &VerifyPolicy,
    ) -> Result<SignedRequest, SignatureError> {
        let headers = parts.headers;
        let input = joined_header(headers, "signature-input")?;
        let signature_header = joined_header(headers, "signature")?;

        let members = signature_input::parse(&input)?;
        let member = select_member(&members)?;
        let signature = signature_for_label(&signature_header, &member.label, members.len())?;

        let key_id = match member.param("keyid") {
            Some(ParamValue::String(s) | ParamValue::Token(s)) => s.clone(),
            _ => return Err(SignatureError::MissingParameter("keyid")),
        };
        let created = match member.param("created") {
            Some(ParamValue::Integer(n)) => *n,
            _ => return Err(SignatureError::MissingParameter("created")),
        };
        match member.param("alg") {
            None => {}
            Some(ParamValue::String(a) | ParamValue::Token(a)) if a == "ed25519" => {}
            Some(ParamValue::String(a) | ParamValue::Token(a)) => {
                return Err(SignatureError::UnsupportedAlgorithm(a.clone()));
            }
            Some(_) => return Err(SignatureError::MissingParameter("alg")),
        }
        match member.param("expires") {
            None => {}
            Some(ParamValue::Integer(expires)) if *expires >= now_unix => {}
            Some(ParamValue::Integer(_)) => return Err(SignatureError::Expired),
            Some(_) => return Err(SignatureError::MissingParameter("expires")),
        }
        let skew = now_unix.checked_sub(created).map(i64::unsigned_abs);
        match skew {
            Some(s) if s <= policy.max_skew_secs.max(0).unsigned_abs() => {}
            _ => return Err(SignatureError::Stale),
        }

        check_component_names(&member.components)?;
        let covers = |name: &str| member.components.iter().any(|c| c == name);
        if !covers("@method") {
            return Err(SignatureError::NotCovered("@method"));
        }
        if !covers("@target-uri") {
            return Err(SignatureError::NotCovered("@target-uri"));
        }
        if headers.contains_key(http::header::AUTHORIZATION) && !covers("authorization") {
            return Err(SignatureError::NotCovered("authorization"));
        }
        if !body.is_empty() {
            if !headers.contains_key("content-digest") {
                return Err(SignatureError::DigestMissing);
            }
            if !covers("content-digest") {
                return Err(SignatureError::NotCovered("content-digest"));
            }
        }
        if covers("content-digest") {
            let digest = joined_header(headers, "content-digest")
                .map_err(|_| SignatureError::CoveredHeaderMissing("content-digest".into()))?;
            verify_content_digest(&digest, body)?;
        }

        let base = request_signature_base(
            &member.components,
            &member.literal,
            parts.method,
            parts.target_uri,
            headers,
        )?;
        Ok(SignedRequest {
            label: member.label.clone(),
            key_id,
            created,
            covered: member.components.clone(),
            base,
            signature,
        })
    }

    /// The exact bytes the client signed.
    pub fn signature_base(&self) -> &[u8] {
        &self.base
    }

    /// Checks the Ed25519 signature with `verify_strict` (refuses weak keys and non-canonical
    /// signatures).
    pub fn verify(&self, key: &VerifyingKey) -> Result<(), SignatureError> {
        verify_base(&self.base, &self.signature, key)
    }
}

/// Strict Ed25519 verification of a signature base.
pub(crate) fn verify_base(
    base: &[u8],
    signature: &[u8; 64],
    key: &VerifyingKey,
) -> Result<(), SignatureError> {
    key.verify_strict(base, &Signature::from_bytes(signature))
        .map_err(|_| SignatureError::BadSignature)
}

/// All lines of a header joined with ", " (RFC 9110 §5.3), as text.
fn joined_header(headers: &HeaderMap, name: &'static str) -> Result<String, SignatureError> {
    let mut out = String::new();
    for (i, v) in headers.get_all(name).iter().enumerate() {
        let text = v
            .to_str()
            .map_err(|_| SignatureError::Malformed(format!("{name} is not visible ASCII")))?;
        if i > 0 {
            out.push_str(", ");
        }
        out.push_str(text.trim());
    }
    if out.is_empty() {
        return Err(SignatureError::MissingHeader(name));
    }
    Ok(out)
}

/// With one member, that one; with several, the one labelled `sig1`.
fn select_member(
    members: &[SignatureInputMember],
) -> Result<&SignatureInputMember, SignatureError> {
    match members {
        [only] => Ok(only),
        _ => members
            .iter()
            .find(|m| m.label == PREFERRED_LABEL)
            .ok_or_else(|| SignatureError::LabelMismatch(PREFERRED_LABEL.to_owned())),
    }
}

fn check_component_names(components: &[String]) -> Result<(), SignatureError> {
    for (i, c) in components.iter().enumerate() {
        if c.bytes().any(|b| b.is_ascii_uppercase()) {
            return Err(SignatureError::UppercaseComponent(c.clone()));
        }
        if components[..i].contains(c) {
            return Err(SignatureError::DuplicateComponent(c.clone()));
        }
        if c.starts_with('@') && c != "@method" && c != "@target-uri" {
            return Err(SignatureError::UnsupportedComponent(c.clone()));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
