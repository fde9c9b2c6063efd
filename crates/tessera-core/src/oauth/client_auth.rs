//! Client authentication at the token, revocation and introspection endpoints: HTTP Basic
//! (`client_secret_basic`) or form fields (`client_secret_post`), never both; public clients
//! identify themselves with `client_id` alone.

use super::model::{ClientKind, OAuthClient};
use super::{OAuth, OAuthError};

/// What the request offered to authenticate the client.
#[derive(Debug, Clone, Default)]
pub struct ClientCredentials {
    /// From `Authorization: Basic`, already form-decoded (RFC 6749 §2.3.1).
    pub basic: Option<(String, String)>,
    /// An `Authorization: Basic` header that could not be decoded.
    pub basic_malformed: bool,
    pub body_client_id: Option<String>,
    pub body_client_secret: Option<String>,
}

impl OAuth {
    pub async fn authenticate_client(
        &self,
        credentials: &ClientCredentials,
    ) -> Result<OAuthClient, OAuthError> {
        if credentials.basic_malformed {
            return Err(OAuthError::invalid_client(
                "malformed Basic credentials",
                true,
            ));
        }
        if let Some((id, secret)) = &credentials.basic {
            if credentials.body_client_secret.is_some() {
                return Err(OAuthError::InvalidRequest(
                    "use one client authentication method: HTTP Basic or client_secret in the body, not both".into(),
                ));
            }
            if credentials
                .body_client_id
                .as_ref()
                .is_some_and(|body_id| body_id != id)
            {
                return Err(OAuthError::InvalidRequest(
                    "client_id in the body differs from the one in the Basic credentials".into(),
                ));
            }
            return self.confidential(id, secret, true).await;
        }
        let Some(id) = &credentials.body_client_id else {
            return Err(OAuthError::invalid_client(
                "client authentication required",
                false,
            ));
        };
        match &credentials.body_client_secret {
            Some(secret) => self.confidential(id, secret, false).await,
            None => {
                let client = self.store.client(id).await?;
                match client {
                    Some(c) if c.kind == ClientKind::Public => Ok(c),
                    Some(_) => Err(OAuthError::invalid_client(
                        "client authentication required",
                        false,
                    )),
                    None => Err(OAuthError::invalid_client("unknown client", false)),
                }
            }
        }
    }

    /// A confidential client whose secret matches (compared as SHA-256 digests in constant
    /// time). Unknown client and wrong secret answer alike.
    async fn confidential(
        &self,
        id: &str,
        secret: &str,
        basic: bool,
    ) -> Result<OAuthClient, OAuthError> {
        let client = self.store.client(id).await?;
        match client {
            Some(c) if c.secret_hash.as_ref().is_some_and(|h| h.matches(secret)) => Ok(c),
            _ => Err(OAuthError::invalid_client(
                "invalid client credentials",
                basic,
            )),
        }
    }
}
