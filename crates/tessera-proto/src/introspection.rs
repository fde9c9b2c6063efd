//! Token introspection between a resource server and Tessera (token-introspection.yaml).

use serde::{Deserialize, Serialize};

use crate::access::AccessItem;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IntrospectionRequest {
    pub access_token: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access: Option<Vec<AccessItem>>,
}

/// `{"active": false}` or the token's details. `access` holds only the granted items that match
/// what the RS asked for (empty when it asked for nothing or nothing matches).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum IntrospectionResponse {
    Active(TokenInfo),
    Inactive { active: bool },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenInfo {
    /// Always `true`.
    pub active: bool,
    pub grant: String,
    pub access: Vec<AccessItem>,
    /// The client's wallet address (for a directed-identity grant: the key's `kid`-less JWK
    /// thumbprint form is not in the spec, so Tessera sends `jwk:<x>`).
    pub client: String,
}

impl IntrospectionResponse {
    pub fn inactive() -> Self {
        IntrospectionResponse::Inactive { active: false }
    }
}
