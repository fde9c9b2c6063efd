//! Ed25519 key conversions: JWK (RFC 8037, as served at `{walletAddress}/jwks.json`) and PKCS#8
//! PEM (as the official SDKs store private keys).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::pkcs8::{
    DecodePrivateKey as _, EncodePrivateKey as _, KeypairBytes, spki::der::pem::LineEnding,
};
use ed25519_dalek::{SigningKey, VerifyingKey};
use tessera_proto::jwk::Jwk;

use crate::error::KeyError;

/// The public key a JWK describes. Refuses anything but an Ed25519 signing key: `kty` `OKP`,
/// `crv` `Ed25519`, `alg` `EdDSA`, and `use` (when present) `sig`.
pub fn jwk_to_verifying_key(jwk: &Jwk) -> Result<VerifyingKey, KeyError> {
    if jwk.kty != "OKP" {
        return Err(KeyError::UnsupportedKeyType(jwk.kty.clone()));
    }
    if jwk.crv != "Ed25519" {
        return Err(KeyError::UnsupportedCurve(jwk.crv.clone()));
    }
    if jwk.alg != "EdDSA" {
        return Err(KeyError::UnsupportedAlgorithm(jwk.alg.clone()));
    }
    if let Some(key_use) = jwk.key_use.as_deref().filter(|u| *u != "sig") {
        return Err(KeyError::UnsupportedUse(key_use.to_owned()));
    }
    let bytes = URL_SAFE_NO_PAD
        .decode(jwk.x.trim_end_matches('='))
        .map_err(|_| KeyError::InvalidPublicKey)?;
    let bytes = <[u8; 32]>::try_from(bytes.as_slice()).map_err(|_| KeyError::InvalidPublicKey)?;
    let key = VerifyingKey::from_bytes(&bytes).map_err(|_| KeyError::InvalidPublicKey)?;
    // A small-order point would let anyone forge signatures that `verify` accepts.
    if key.is_weak() {
        return Err(KeyError::InvalidPublicKey);
    }
    Ok(key)
}

/// The JWK Open Payments publishes for `key`.
pub fn verifying_key_to_jwk(key: &VerifyingKey, kid: &str) -> Jwk {
    Jwk {
        kid: kid.to_owned(),
        alg: "EdDSA".to_owned(),
        key_use: Some("sig".to_owned()),
        kty: "OKP".to_owned(),
        crv: "Ed25519".to_owned(),
        x: URL_SAFE_NO_PAD.encode(key.as_bytes()),
    }
}

/// Reads a PKCS#8 PEM Ed25519 private key (`-----BEGIN PRIVATE KEY-----`).
pub fn signing_key_from_pem(pem: &str) -> Result<SigningKey, KeyError> {
    SigningKey::from_pkcs8_pem(pem.trim()).map_err(|_| KeyError::InvalidPem)
}

/// Writes `key` as PKCS#8 v1 PEM, the format the official SDKs read.
///
/// v1 (seed only) rather than the v2 form `SigningKey::to_pkcs8_pem` writes (seed plus public
/// key): Node's `crypto.createPrivateKey`, which the JS SDK uses to load keys, refuses v2.
pub fn signing_key_to_pem(key: &SigningKey) -> Result<String, KeyError> {
    let seed_only = KeypairBytes {
        secret_key: key.to_bytes(),
        public_key: None,
    };
    seed_only
        .to_pkcs8_pem(LineEnding::LF)
        .map(|pem| pem.to_string())
        .map_err(|_| KeyError::Encode)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> SigningKey {
        SigningKey::from_bytes(&[9u8; 32])
    }

    #[test]
    fn jwk_round_trip() {
        let jwk = verifying_key_to_jwk(&key().verifying_key(), "k1");
        assert_eq!(jwk_to_verifying_key(&jwk), Ok(key().verifying_key()));
    }

    #[test]
    fn pem_round_trip() {
        let pem = signing_key_to_pem(&key()).unwrap();
        assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----"));
        // PKCS#8 v1: exactly the 48-byte DER that Node and OpenSSL read (one 64-char base64 line).
        assert_eq!(pem.lines().nth(1).map(str::len), Some(64));
        assert_eq!(pem.lines().count(), 3);
        assert_eq!(
            signing_key_from_pem(&pem).unwrap().to_bytes(),
            key().to_bytes()
        );
        assert_eq!(
            signing_key_from_pem("nope").err(),
            Some(KeyError::InvalidPem)
        );
    }

    #[test]
    fn refuses_other_keys() {
        let good = verifying_key_to_jwk(&key().verifying_key(), "k1");
        let cases: Vec<(Jwk, KeyError)> = vec![
            (
                Jwk {
                    kty: "RSA".into(),
                    ..good.clone()
                },
                KeyError::UnsupportedKeyType("RSA".into()),
            ),
            (
                Jwk {
                    crv: "X25519".into(),
                    ..good.clone()
                },
                KeyError::UnsupportedCurve("X25519".into()),
            ),
            (
                Jwk {
                    alg: "ES256".into(),
                    ..good.clone()
                },
                KeyError::UnsupportedAlgorithm("ES256".into()),
            ),
            (
                Jwk {
                    key_use: Some("enc".into()),
                    ..good.clone()
                },
                KeyError::UnsupportedUse("enc".into()),
            ),
            (
                Jwk {
                    x: "AAAA".into(),
                    ..good.clone()
                },
                KeyError::InvalidPublicKey,
            ),
            // The identity point: small order, so refused.
            (
                Jwk {
                    x: URL_SAFE_NO_PAD.encode({
                        let mut b = [0u8; 32];
                        b[0] = 1;
                        b
                    }),
                    ..good.clone()
                },
                KeyError::InvalidPublicKey,
            ),
        ];
        for (jwk, err) in cases {
            assert_eq!(jwk_to_verifying_key(&jwk), Err(err));
        }
        assert!(
            jwk_to_verifying_key(&Jwk {
                key_use: None,
                ..good
            })
            .is_ok()
        );
    }
}
