//! Where client keys come from. The server implements this with a cached fetch of
//! `{wallet address}/jwks.json`; tests may implement it with a map.

use async_trait::async_trait;
use ed25519_dalek::VerifyingKey;

#[derive(Debug, thiserror::Error)]
pub enum KeyLookupError {
    /// The wallet address may not be fetched (scheme or address refused by policy).
    #[error("wallet address not allowed: {0}")]
    NotAllowed(String),
    /// The key set could not be fetched or read.
    #[error("could not fetch client keys: {0}")]
    Unreachable(String),
    /// The key set has no usable key with that id.
    #[error("no key with that id at the client's wallet address")]
    UnknownKey,
}

#[async_trait]
pub trait ClientKeys: Send + Sync {
    /// The Ed25519 key `key_id` published at `wallet_address`.
    async fn key(&self, wallet_address: &str, key_id: &str)
    -> Result<VerifyingKey, KeyLookupError>;

    /// The wallet address's display name (`publicName`), to show the account holder who asks.
    async fn public_name(&self, wallet_address: &str) -> Result<Option<String>, KeyLookupError>;
}
