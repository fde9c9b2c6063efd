//! JSON Web Keys as Open Payments uses them: Ed25519 public keys (`json-web-key`,
//! `wallet-address-server.yaml` `jwks.json`).

use serde::{Deserialize, Serialize};

/// An Ed25519 public key. Fields are kept as strings so that a key with the wrong `kty`, `crv`
/// or `alg` is refused by the code that uses it, with a clear message, not by the parser.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Jwk {
    pub kid: String,
    pub alg: String,
    #[serde(rename = "use", default, skip_serializing_if = "Option::is_none")]
    pub key_use: Option<String>,
    pub kty: String,
    pub crv: String,
    /// The public key, base64url without padding.
    pub x: String,
}

/// The document at `{walletAddress}/jwks.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JwkSet {
    pub keys: Vec<Jwk>,
}
