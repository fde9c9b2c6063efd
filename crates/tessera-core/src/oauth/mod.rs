//! OAuth 2.0 (RFC 6749, OAuth 2.1) on the same lifecycle rules as GNAP: opaque tokens, hashed at
//! rest, every change one transaction. Refresh tokens rotate on every use with reuse detection
//! (RFC 9700 §4.14.2) and an optional grace period that replays the very same successor.
//!
//! One module per endpoint; the server parses HTTP (forms, Basic) and calls in here.

mod authorize;
mod client_auth;
mod clients;
mod error;
mod introspection;
mod model;
mod revocation;
mod scope;
mod seal;
mod store;
mod token_endpoint;

use std::sync::Arc;

pub use authorize::{AuthorizeOutcome, AuthorizeParams, OAuthInteraction};
pub use client_auth::ClientCredentials;
pub use clients::{NewClient, RegisteredClient};
pub use error::OAuthError;
pub use model::{
    AccessTokenInfo, AuthorizationRequest, AuthorizationStatus, ClientKind, GrantType,
    NewRefreshToken, NewTokens, OAuthClient, RefreshState, RefreshTokenRecord, Rotation,
    TokenFamily,
};
pub use scope::Scope;
pub use store::OAuthStore;
pub use token_endpoint::TokenBody;

use crate::secret::{SecretValue, TokenMinter};

/// Prefixes that let secret scanners recognise leaked Tessera credentials.
pub const ACCESS_TOKEN_PREFIX: &str = "tsr_at_";
pub const REFRESH_TOKEN_PREFIX: &str = "tsr_rt_";
pub const CLIENT_SECRET_PREFIX: &str = "tsr_cs_";
pub const AUTHORIZATION_CODE_PREFIX: &str = "tsr_ac_";

#[derive(Debug, Clone)]
pub struct OAuthConfig {
    /// `iss`: the public URL, no trailing slash.
    pub issuer: String,
    pub access_token_ttl_secs: i64,
    /// Absolute lifetime of a refresh chain, from the first issue.
    pub refresh_token_ttl_secs: i64,
    /// A refresh token unused this long expires.
    pub refresh_token_idle_secs: i64,
    /// Within this many seconds of a refresh, presenting the consumed refresh token again
    /// returns the same successor instead of revoking the family. 0 = off.
    pub refresh_grace_secs: i64,
    pub code_ttl_secs: i64,
    pub interaction_ttl_secs: i64,
    /// Whether a consent provider is configured (for the authorization code grant).
    pub interaction_enabled: bool,
}

pub struct OAuth {
    store: Arc<dyn OAuthStore>,
    minter: Arc<dyn TokenMinter>,
    config: OAuthConfig,
    sealing_key: [u8; 32],
}

impl OAuth {
    /// Loads (or creates) the sealing key from the store.
    pub async fn new(
        store: Arc<dyn OAuthStore>,
        minter: Arc<dyn TokenMinter>,
        mut config: OAuthConfig,
    ) -> Result<OAuth, crate::store::StoreError> {
        config.issuer = config.issuer.trim_end_matches('/').to_owned();
        let mut candidate = [0u8; 32];
        rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut candidate);
        let sealing_key = store.sealing_key(&candidate).await?;
        Ok(OAuth {
            store,
            minter,
            config,
            sealing_key,
        })
    }

    pub fn config(&self) -> &OAuthConfig {
        &self.config
    }

    fn secret(&self, prefix: &str) -> SecretValue {
        SecretValue::new(format!("{prefix}{}", self.minter.secret().expose()))
    }
}
