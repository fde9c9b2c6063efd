//! The GNAP authorization server as Open Payments profiles it (RFC 9635): grant requests,
//! continuation, token management and introspection.
//!
//! Each endpoint is one module. The server hands in a [`ClientRequest`] whose signature headers
//! are already parsed and whose `Content-Digest` is already checked; this module finds the key
//! the request must verify with (from the grant, the token's grant, or the grant request's
//! `client`), verifies it, and applies the lifecycle rules.

mod client_auth;
mod continuation;
mod finish_hash;
mod grant_request;
mod interaction;
mod introspection;
mod token_management;

pub use finish_hash::finish_hash;
pub use interaction::{FinishOutcome, InteractionDetails, StartOutcome};

use std::sync::Arc;

use tessera_httpsig::SignedRequest;
use tessera_proto::grant::{AccessToken, Continue, ContinueAccessToken};

use crate::UnixTime;
use crate::grant::Grant;
use crate::keys::ClientKeys;
use crate::secret::{SecretValue, TokenMinter};
use crate::store::Store;
use crate::token::NewAccessToken;

#[derive(Debug, Clone)]
pub struct GnapConfig {
    /// Base of every `manage` and `continue` URL, without a trailing slash.
    pub public_url: String,
    /// Lifetime of access tokens in seconds (`expires_in`).
    pub access_token_ttl_secs: i64,
    /// Whether a consent provider (an IdP, or the built-in development page) is configured;
    /// without one, grants that need consent are refused.
    pub interaction_enabled: bool,
    /// How long the account holder has to decide, in seconds.
    pub interaction_ttl_secs: i64,
    /// The `wait` the client must respect between polls, in seconds.
    pub continue_wait_secs: i64,
}

impl GnapConfig {
    /// The grant endpoint: clients post grant requests here, and it is the last line of the
    /// finish hash, so it must be exactly what wallet addresses advertise as `authServer`.
    pub fn grant_endpoint(&self) -> String {
        format!("{}/", self.public_url)
    }
}

/// A signed client request: its parsed (not yet verified) signature and the token from
/// `Authorization: GNAP <token>`, if any.
#[derive(Debug, Clone, Copy)]
pub struct ClientRequest<'a> {
    pub signature: &'a SignedRequest,
    pub gnap_token: Option<&'a str>,
}

pub struct Gnap {
    store: Arc<dyn Store>,
    keys: Arc<dyn ClientKeys>,
    minter: Arc<dyn TokenMinter>,
    config: GnapConfig,
}

impl Gnap {
    pub fn new(
        store: Arc<dyn Store>,
        keys: Arc<dyn ClientKeys>,
        minter: Arc<dyn TokenMinter>,
        mut config: GnapConfig,
    ) -> Self {
        config.public_url = config.public_url.trim_end_matches('/').to_owned();
        Gnap {
            store,
            keys,
            minter,
            config,
        }
    }

    pub fn config(&self) -> &GnapConfig {
        &self.config
    }

    /// A fresh access token for `grant_id`: the value for the client, the row for the store.
    fn mint_access_token(&self, grant_id: &str, now: UnixTime) -> (SecretValue, NewAccessToken) {
        let value = self.minter.secret();
        let row = NewAccessToken {
            manage_id: self.minter.id(),
            grant_id: grant_id.to_owned(),
            value_hash: value.hash(),
            created_at: now,
            expires_at: now.plus_secs(self.config.access_token_ttl_secs),
        };
        (value, row)
    }

    fn access_token_response(
        &self,
        value: &SecretValue,
        row: &NewAccessToken,
        grant: &Grant,
    ) -> AccessToken {
        AccessToken {
            value: value.expose().to_owned(),
            manage: format!("{}/token/{}", self.config.public_url, row.manage_id),
            expires_in: u64::try_from(row.expires_at.0 - row.created_at.0).ok(),
            access: grant.access.clone(),
        }
    }

    fn continue_response(&self, grant: &Grant, token: &SecretValue, wait: Option<u64>) -> Continue {
        Continue {
            access_token: ContinueAccessToken {
                value: token.expose().to_owned(),
            },
            uri: format!("{}/continue/{}", self.config.public_url, grant.continue_id),
            wait,
        }
    }
}
