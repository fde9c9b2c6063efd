//! Client authentication: the request must be signed with a key of the client that the grant
//! (or the grant request) names. The request is charged to that client's rate limit first.

use tessera_httpsig::{SignedRequest, jwk_to_verifying_key};

use super::Gnap;
use crate::error::GnapError;
use crate::grant::ClientIdentity;
use crate::keys::KeyLookupError;

impl Gnap {
    pub(super) async fn authenticate(
        &self,
        client: &ClientIdentity,
        signature: &SignedRequest,
    ) -> Result<(), GnapError> {
        if let Some(limit) = &self.rate_limit {
            let payer = match client {
                ClientIdentity::WalletAddress(wallet_address) => wallet_address.as_str(),
                ClientIdentity::Jwk(jwk) => jwk.x.as_str(),
            };
            limit
                .charge(payer, &signature.key_id)
                .map_err(|retry| GnapError::TooManyRequests {
                    retry_after_secs: retry.secs,
                })?;
        }
        let key = match client {
            ClientIdentity::WalletAddress(wallet_address) => self
                .keys
                .key(wallet_address, &signature.key_id)
                .await
                .map_err(|e| match e {
                    KeyLookupError::UnknownKey => GnapError::InvalidClient(e.to_string()),
                    KeyLookupError::NotAllowed(_) | KeyLookupError::Unreachable(_) => {
                        GnapError::UnknownClient(e.to_string())
                    }
                })?,
            ClientIdentity::Jwk(jwk) => {
                if jwk.kid != signature.key_id {
                    return Err(GnapError::InvalidClient(
                        "keyid does not name the key bound to this grant".into(),
                    ));
                }
                jwk_to_verifying_key(jwk)
                    .map_err(|e| GnapError::InvalidRequest(format!("invalid client jwk: {e}")))?
            }
        };
        signature
            .verify(&key)
            .map_err(|e| GnapError::InvalidClient(format!("invalid signature: {e}")))
    }
}
