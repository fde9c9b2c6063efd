//! `Content-Digest` (RFC 9530).
//!
//! The signature only covers the `Content-Digest` header, not the body, so the digest is what ties
//! the body to the signature: a verifier must check it against the raw body bytes it received.
//! The header is a structured-field Dictionary (RFC 8941), parsed with `sfv`: unlike
//! `Signature-Input`, every official client writes it conformantly.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest as _, Sha256, Sha512};

use crate::error::SignatureError;

/// The digest algorithms we create and check (RFC 9530 §5, the two "active" ones).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DigestAlgorithm {
    Sha256,
    Sha512,
}

impl DigestAlgorithm {
    /// The Dictionary key naming this algorithm in `Content-Digest`.
    pub fn key(self) -> &'static str {
        match self {
            DigestAlgorithm::Sha256 => "sha-256",
            DigestAlgorithm::Sha512 => "sha-512",
        }
    }

    fn from_key(key: &str) -> Option<Self> {
        match key {
            "sha-256" => Some(DigestAlgorithm::Sha256),
            "sha-512" => Some(DigestAlgorithm::Sha512),
            _ => None,
        }
    }

    fn hash(self, body: &[u8]) -> Vec<u8> {
        match self {
            DigestAlgorithm::Sha256 => Sha256::digest(body).to_vec(),
            DigestAlgorithm::Sha512 => Sha512::digest(body).to_vec(),
        }
    }
}

/// The `Content-Digest` header value for `body`, e.g. `sha-512=:<base64>:`.
pub fn content_digest(alg: DigestAlgorithm, body: &[u8]) -> String {
    format!("{}=:{}:", alg.key(), STANDARD.encode(alg.hash(body)))
}

/// Checks a `Content-Digest` header value against the raw body bytes.
///
/// At least one of `sha-256`/`sha-512` must be present, and every one present must match.
/// Unknown algorithms are ignored (RFC 9530 §2 lets a recipient ignore what it does not know).
pub fn verify_content_digest(header_value: &str, body: &[u8]) -> Result<(), SignatureError> {
    let dict = sfv::Parser::parse_dictionary(header_value.as_bytes()).map_err(|_| {
        SignatureError::Malformed("Content-Digest is not a valid dictionary".into())
    })?;
    let mut checked = false;
    for (key, entry) in &dict {
        let Some(alg) = DigestAlgorithm::from_key(key) else {
            continue;
        };
        let sfv::ListEntry::Item(item) = entry else {
            return Err(SignatureError::Malformed(
                "Content-Digest value must be a byte sequence".into(),
            ));
        };
        let Some(expected) = item.bare_item.as_byte_seq() else {
            return Err(SignatureError::Malformed(
                "Content-Digest value must be a byte sequence".into(),
            ));
        };
        if *expected != alg.hash(body) {
            return Err(SignatureError::DigestMismatch);
        }
        checked = true;
    }
    if checked {
        Ok(())
    } else {
        Err(SignatureError::UnsupportedDigest)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha512_of_known_body() {
        // RFC 9530 Appendix B.1 ("{"hello": "world"}").
        assert_eq!(
            content_digest(DigestAlgorithm::Sha512, b"{\"hello\": \"world\"}\n"),
            "sha-512=:YMAam51Jz/jOATT6/zvHrLVgOYTGFy1d6GJiOHTohq4yP+pgk4vf2aCsyRZOtw8MjkM7iw7yZ/WkppmM44T3qg==:"
        );
        assert_eq!(
            content_digest(DigestAlgorithm::Sha256, b"{\"hello\": \"world\"}\n"),
            "sha-256=:RK/0qy18MlBSVnWgjwz6lZEWjP/lF5HF9bvEF8FabDg=:"
        );
    }

    #[test]
    fn sha256_is_accepted() {
        let v = content_digest(DigestAlgorithm::Sha256, b"abc");
        assert_eq!(verify_content_digest(&v, b"abc"), Ok(()));
        assert_eq!(
            verify_content_digest(&v, b"abd"),
            Err(SignatureError::DigestMismatch)
        );
    }

    #[test]
    fn every_known_digest_must_match() {
        let good = content_digest(DigestAlgorithm::Sha512, b"abc");
        let bad = content_digest(DigestAlgorithm::Sha256, b"xyz");
        assert_eq!(
            verify_content_digest(&format!("{good}, {bad}"), b"abc"),
            Err(SignatureError::DigestMismatch)
        );
    }

    #[test]
    fn unknown_algorithms_are_ignored_but_one_known_is_required() {
        let good = content_digest(DigestAlgorithm::Sha512, b"abc");
        assert_eq!(
            verify_content_digest(&format!("md5=:AAAA:, {good}"), b"abc"),
            Ok(())
        );
        assert_eq!(
            verify_content_digest("md5=:AAAA:", b"abc"),
            Err(SignatureError::UnsupportedDigest)
        );
    }

    #[test]
    fn malformed_values_are_refused() {
        assert!(matches!(
            verify_content_digest("sha-512=\"abc\"", b"abc"),
            Err(SignatureError::Malformed(_))
        ));
        assert!(matches!(
            verify_content_digest("sha-512=:not base64!:", b"abc"),
            Err(SignatureError::Malformed(_))
        ));
        assert!(matches!(
            verify_content_digest("SHA-512=:AAAA:", b"abc"),
            Err(SignatureError::Malformed(_))
        ));
    }
}
