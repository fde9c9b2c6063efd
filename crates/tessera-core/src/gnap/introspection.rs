//! Token introspection for resource servers (token-introspection.yaml; RFC 9767).
//!
//! When the RS names the access it needs, `access` lists the granted items that satisfy it
//! (possibly none, with the token still active, so the RS can tell "insufficient" from
//! "inactive"); when it names none, `access` lists everything the token grants. What the RS names
//! must be an `access` array as the schema defines it (at most three unique items), or the
//! request is refused with `invalid_request`.

use tessera_proto::introspection::{IntrospectionRequest, IntrospectionResponse, TokenInfo};

use super::Gnap;
use crate::UnixTime;
use crate::access::{matching_access, validate_access_list};
use crate::error::GnapError;
use crate::grant::ClientIdentity;
use crate::secret::TokenHash;

impl Gnap {
    pub async fn introspect(
        &self,
        request: IntrospectionRequest,
        now: UnixTime,
    ) -> Result<IntrospectionResponse, GnapError> {
        if let Some(requested) = &request.access {
            validate_access_list(requested)?;
        }
        let hash = TokenHash::of(&request.access_token);
        let Some(found) = self.store.token_by_hash(&hash).await? else {
            return Ok(IntrospectionResponse::inactive());
        };
        if !found.is_active(now) {
            return Ok(IntrospectionResponse::inactive());
        }
        let access = match &request.access {
            Some(requested) => matching_access(&found.grant.access, requested),
            None => found.grant.access.clone(),
        };
        let client = match &found.grant.client {
            ClientIdentity::WalletAddress(url) => url.clone(),
            ClientIdentity::Jwk(jwk) => format!("jwk:{}", jwk.x),
        };
        Ok(IntrospectionResponse::Active(TokenInfo {
            active: true,
            grant: found.grant.id,
            access,
            client,
        }))
    }
}
