//! Sealing a refresh successor for the grace period.
//!
//! Only hashes of tokens are stored, yet a retry within the grace period must get the very
//! response the first request got. So that response is kept encrypted (XChaCha20-Poly1305 with
//! a key shared through the database, the old refresh token's hash as associated data) until
//! the grace period ends, and only then is it forgotten.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::RngCore as _;

const NONCE_LEN: usize = 24;

/// `nonce || ciphertext` of `plaintext`.
pub fn seal(key: &[u8; 32], associated: &[u8], plaintext: &[u8]) -> Option<Vec<u8>> {
    let cipher = XChaCha20Poly1305::new(key.into());
    let mut nonce = [0u8; NONCE_LEN];
    rand::rngs::OsRng.fill_bytes(&mut nonce);
    let ciphertext = cipher
        .encrypt(
            XNonce::from_slice(&nonce),
            Payload {
                msg: plaintext,
                aad: associated,
            },
        )
        .ok()?;
    let mut out = nonce.to_vec();
    out.extend_from_slice(&ciphertext);
    Some(out)
}

/// The plaintext, if `sealed` was made by [`seal`] with the same key and associated data.
pub fn open(key: &[u8; 32], associated: &[u8], sealed: &[u8]) -> Option<Vec<u8>> {
    if sealed.len() < NONCE_LEN {
        return None;
    }
    let (nonce, ciphertext) = sealed.split_at(NONCE_LEN);
    XChaCha20Poly1305::new(key.into())
        .decrypt(
            XNonce::from_slice(nonce),
            Payload {
                msg: ciphertext,
                aad: associated,
            },
        )
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_tamper() {
        let key = [7u8; 32];
        let sealed = seal(&key, b"ad", b"secret pair").unwrap();
        assert_eq!(
            open(&key, b"ad", &sealed).as_deref(),
            Some(&b"secret pair"[..])
        );
        assert_eq!(open(&key, b"other", &sealed), None);
        assert_eq!(open(&[8u8; 32], b"ad", &sealed), None);
        let mut bad = sealed.clone();
        let last = bad.len() - 1;
        bad[last] ^= 1;
        assert_eq!(open(&key, b"ad", &bad), None);
    }
}
