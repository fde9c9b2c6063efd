//! HTTP Message Signatures (RFC 9421, Ed25519 only) and Content-Digest (RFC 9530), signing and
//! verifying, as the official Open Payments clients use them. No I/O: callers pass the request
//! parts, the body bytes and the current time, and get back a decision.
//!
//! Why a crate of its own: both the authorization server (verifying) and the client SDK (signing)
//! need exactly the same signature base, and keeping them in one place means the round-trip tests
//! here prove the two sides agree.
//!
//! Why "lenient": the three official Open Payments SDKs (JS, Rust, Go) do not all emit RFC 9421
//! conformant headers. The Rust SDK writes component names unquoted and a bare base64
//! `Signature`. Like Rafiki, we therefore rebuild `@signature-params` from the literal
//! `Signature-Input` text the client sent, so any of the three forms verifies, while everything
//! that matters for security (coverage, digest, clock skew, algorithm, strict Ed25519) is still
//! checked. See `signature_input` for the parser.
//!
//! Layout, one job per module:
//! - [`digest`]: `Content-Digest` creation and checking (RFC 9530).
//! - `signature_input`: the lenient `Signature-Input` parser.
//! - `signature_header`: reading the signature bytes from the `Signature` header.
//! - `base`: the signature base (RFC 9421 §2.5) shared by signer and verifier.
//! - [`verify`]: the server side, [`SignedRequest`].
//! - [`sign`]: the client side, [`RequestSigner`].
//! - [`key`]: JWK and PEM conversions for Ed25519 keys.
//! - [`error`]: the error types.

pub mod digest;
pub mod error;
pub mod key;
pub mod sign;
pub mod verify;

mod base;
mod signature_header;
mod signature_input;

#[cfg(test)]
mod rfc9421_vectors;

pub use digest::{DigestAlgorithm, content_digest, verify_content_digest};
pub use error::{KeyError, SignError, SignatureError};
pub use key::{
    jwk_to_verifying_key, signing_key_from_pem, signing_key_to_pem, verifying_key_to_jwk,
};
pub use sign::{RequestSigner, SignatureStyle};
pub use verify::{RequestParts, SignedRequest, VerifyPolicy};
