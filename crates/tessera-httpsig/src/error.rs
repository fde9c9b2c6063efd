//! Error types. Each `Display` is a short message that is safe to send back to the client: it
//! never contains key material, and only echoes client-supplied names (component names, labels)
//! that the client sent itself.

/// Why a signed request was refused. Produced by [`crate::SignedRequest`] and
/// [`crate::verify_content_digest`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// A required header is absent (`signature-input`, `signature`).
    #[error("missing {0} header")]
    MissingHeader(&'static str),
    /// A header could not be parsed.
    #[error("malformed signature: {0}")]
    Malformed(String),
    /// The `Signature` header has no entry for the label chosen from `Signature-Input`.
    #[error("signature label `{0}` is not present in both Signature-Input and Signature")]
    LabelMismatch(String),
    /// A required signature parameter (`keyid`, `created`) is absent or has the wrong type.
    #[error("signature parameter `{0}` is missing or invalid")]
    MissingParameter(&'static str),
    /// The `alg` parameter names something other than `ed25519`.
    #[error("unsupported signature algorithm `{0}`")]
    UnsupportedAlgorithm(String),
    /// `created` is further from the server clock than the policy allows (past or future).
    #[error("signature `created` time is outside the allowed clock skew")]
    Stale,
    /// `expires` is in the past.
    #[error("signature has expired")]
    Expired,
    /// A component that must be covered is not.
    #[error("signature must cover `{0}`")]
    NotCovered(&'static str),
    /// A covered component name is not lower-case.
    #[error("component name `{0}` must be lower-case")]
    UppercaseComponent(String),
    /// A derived component other than `@method` and `@target-uri`.
    #[error("covered component `{0}` is not supported")]
    UnsupportedComponent(String),
    /// A component is listed twice.
    #[error("covered component `{0}` is listed more than once")]
    DuplicateComponent(String),
    /// A covered header field is absent from the request.
    #[error("covered header `{0}` is missing from the request")]
    CoveredHeaderMissing(String),
    /// The request has a body but no `Content-Digest` header.
    #[error("request has a body but no Content-Digest header")]
    DigestMissing,
    /// `Content-Digest` does not match the body.
    #[error("Content-Digest does not match the request body")]
    DigestMismatch,
    /// `Content-Digest` has neither `sha-256` nor `sha-512`.
    #[error("Content-Digest has no supported algorithm (sha-256 or sha-512)")]
    UnsupportedDigest,
    /// The Ed25519 signature does not verify with the given key.
    #[error("signature verification failed")]
    BadSignature,
}

/// Why a request could not be signed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignError {
    /// The key id cannot be written as a structured-field string (printable ASCII only).
    #[error("key id must be printable ASCII")]
    InvalidKeyId,
    /// The method is not an HTTP token, or the target URI has characters that would break the
    /// line-based signature base.
    #[error("invalid {0} for signing")]
    InvalidComponent(&'static str),
    /// A header value we produced was refused by `http` (should not happen).
    #[error("could not build the {0} header")]
    InvalidHeaderValue(&'static str),
    /// The signature base could not be built from the request.
    #[error("could not build the signature base: {0}")]
    Base(#[from] SignatureError),
}

/// Why a key could not be read or written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// `kty` is not `OKP`.
    #[error("unsupported key type `{0}`, expected OKP")]
    UnsupportedKeyType(String),
    /// `crv` is not `Ed25519`.
    #[error("unsupported curve `{0}`, expected Ed25519")]
    UnsupportedCurve(String),
    /// `alg` is not `EdDSA`.
    #[error("unsupported key algorithm `{0}`, expected EdDSA")]
    UnsupportedAlgorithm(String),
    /// `use` is present and not `sig`.
    #[error("unsupported key use `{0}`, expected sig")]
    UnsupportedUse(String),
    /// `x` is not base64url of 32 bytes, or is not a usable Ed25519 point.
    #[error("invalid Ed25519 public key")]
    InvalidPublicKey,
    /// The PEM text is not a PKCS#8 Ed25519 private key.
    #[error("invalid PKCS#8 Ed25519 private key PEM")]
    InvalidPem,
    /// The key could not be encoded as PEM.
    #[error("could not encode the private key as PEM")]
    Encode,
}
