//! `Content-Digest` checking with an arbitrary header value and body.
//!
//! Input: the header value, a newline, then the body. Any header value is refused or accepted
//! without panicking; a digest Tessera computes itself always verifies against its body and
//! never against a different one.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tessera_httpsig::{DigestAlgorithm, content_digest, verify_content_digest};

fuzz_target!(|data: &[u8]| {
    let (header, body) = match data.iter().position(|b| *b == b'\n') {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[][..]),
    };
    if let Ok(header) = std::str::from_utf8(header) {
        let _ = verify_content_digest(header, body);
    }
    for alg in [DigestAlgorithm::Sha256, DigestAlgorithm::Sha512] {
        let digest = content_digest(alg, body);
        assert_eq!(verify_content_digest(&digest, body), Ok(()));
        let mut other = body.to_vec();
        other.push(0);
        assert!(verify_content_digest(&digest, &other).is_err());
    }
});
