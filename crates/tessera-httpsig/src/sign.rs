//! The signing (client) side: [`RequestSigner`] adds `Content-Digest`, `Signature-Input` and
//! `Signature` to a request, building the signature base with the same code the verifier uses.
//!
//! [`SignatureStyle`] reproduces how each official SDK serializes its headers, so tests can send
//! byte-for-byte what those clients send. Tessera's own client uses [`SignatureStyle::Js`], the
//! RFC 9421 conformant form.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ed25519_dalek::{Signer as _, SigningKey, VerifyingKey};
use http::header::{AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE};
use http::{HeaderMap, HeaderValue};
use tessera_proto::jwk::Jwk;

use crate::base::request_signature_base;
use crate::digest::{DigestAlgorithm, content_digest};
use crate::error::SignError;
use crate::key::verifying_key_to_jwk;

/// How the headers are serialized; each variant is one official SDK's wire form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SignatureStyle {
    /// `@interledger/open-payments` (JS): quoted components, `;keyid=..;created=..`,
    /// `Signature: sig1=:..:`. RFC 9421 conformant.
    #[default]
    Js,
    /// Crate `open-payments` 0.2.0 (Rust): `content-type` always covered, components unquoted,
    /// `;created=..;keyid=..`, bare base64 `Signature`.
    RustSdk,
    /// `open-payments-go`: quoted components, `;created=..;keyid=..;alg="ed25519"`.
    Go,
}

/// Signs requests with one Ed25519 key.
#[derive(Debug, Clone)]
pub struct RequestSigner {
    key: SigningKey,
    key_id: String,
    style: SignatureStyle,
}

const LABEL: &str = "sig1";

impl RequestSigner {
    pub fn new(key: SigningKey, key_id: impl Into<String>) -> Self {
        RequestSigner {
            key,
            key_id: key_id.into(),
            style: SignatureStyle::default(),
        }
    }

    pub fn with_style(mut self, style: SignatureStyle) -> Self {
        self.style = style;
        self
    }

    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    pub fn verifying_key(&self) -> VerifyingKey {
        self.key.verifying_key()
    }

    /// The public JWK to publish in the wallet address's `jwks.json`.
    pub fn jwk(&self) -> Jwk {
        verifying_key_to_jwk(&self.key.verifying_key(), &self.key_id)
    }

    /// Adds the signature headers (and, when there is a body, `Content-Digest`, `Content-Length`
    /// and a default `Content-Type: application/json`) to `headers`. `created` is unix seconds.
    pub fn sign(
        &self,
        method: &str,
        target_uri: &str,
        headers: &mut HeaderMap,
        body: Option<&[u8]>,
        created: i64,
    ) -> Result<(), SignError> {
        if method.is_empty() || !method.bytes().all(is_tchar) {
            return Err(SignError::InvalidComponent("method"));
        }
        if target_uri.is_empty()
            || target_uri
                .bytes()
                .any(|b| b.is_ascii_control() || b == b' ')
        {
            return Err(SignError::InvalidComponent("target URI"));
        }
        let key_id = sf_string(&self.key_id).ok_or(SignError::InvalidKeyId)?;

        let body = body.filter(|b| !b.is_empty());
        let wants_content_type = body.is_some() || self.style == SignatureStyle::RustSdk;
        if wants_content_type && !headers.contains_key(CONTENT_TYPE) {
            headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        }
        if let Some(body) = body {
            let digest = content_digest(DigestAlgorithm::Sha512, body);
            headers.insert("content-digest", header_value(&digest, "content-digest")?);
            headers.insert(CONTENT_LENGTH, HeaderValue::from(body.len()));
        }

        let components = self.components(headers.contains_key(AUTHORIZATION), body.is_some());
        let params = match self.style {
            SignatureStyle::Js => format!(";keyid={key_id};created={created}"),
            SignatureStyle::RustSdk => format!(";created={created};keyid={key_id}"),
            SignatureStyle::Go => format!(";created={created};keyid={key_id};alg=\"ed25519\""),
        };
        let list = if self.style == SignatureStyle::RustSdk {
            components.join(" ")
        } else {
            components
                .iter()
                .map(|c| format!("\"{c}\""))
                .collect::<Vec<_>>()
                .join(" ")
        };
        let signature_params = format!("({list}){params}");

        let components: Vec<String> = components.iter().map(|c| (*c).to_owned()).collect();
        let base =
            request_signature_base(&components, &signature_params, method, target_uri, headers)?;
        let signature = STANDARD.encode(self.key.sign(&base).to_bytes());

        let signature_header = match self.style {
            SignatureStyle::RustSdk => signature,
            SignatureStyle::Js | SignatureStyle::Go => format!("{LABEL}=:{signature}:"),
        };
        headers.insert(
            "signature-input",
            header_value(&format!("{LABEL}={signature_params}"), "signature-input")?,
        );
        headers.insert("signature", header_value(&signature_header, "signature")?);
        Ok(())
    }

    fn components(&self, has_authorization: bool, has_body: bool) -> Vec<&'static str> {
        let mut out = vec!["@method", "@target-uri"];
        if self.style == SignatureStyle::RustSdk {
            out.push("content-type");
        }
        if has_authorization {
            out.push("authorization");
        }
        if has_body {
            out.extend(["content-digest", "content-length"]);
            if self.style != SignatureStyle::RustSdk {
                out.push("content-type");
            }
        }
        out
    }
}

fn header_value(value: &str, name: &'static str) -> Result<HeaderValue, SignError> {
    HeaderValue::from_str(value).map_err(|_| SignError::InvalidHeaderValue(name))
}

/// RFC 9110 token character.
fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// `s` as an RFC 8941 sf-string, or `None` when it has characters a string cannot hold.
fn sf_string(s: &str) -> Option<String> {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            ' '..='~' => out.push(c),
            _ => return None,
        }
    }
    out.push('"');
    Some(out)
}
