//! The client registry: create, list, delete, rotate the secret.
//!
//! Secrets are minted here (256 random bits), shown once, and stored as SHA-256 digests
//! compared in constant time. Not a slow password hash (argon2, bcrypt): those exist to slow
//! down guessing of low-entropy human passwords, and cost ~50 ms of CPU per check on a 2-core
//! machine, which would cap refreshes near 20/s per core. A 256-bit generated secret cannot be
//! guessed, so a fast digest protects it fully while a leaked database still reveals no secret.

use super::model::{ClientKind, GrantType, OAuthClient};
use super::scope::Scope;
use super::{CLIENT_SECRET_PREFIX, OAuth, OAuthError};
use crate::UnixTime;

/// What an operator registers.
#[derive(Debug, Clone)]
pub struct NewClient {
    pub name: String,
    pub kind: ClientKind,
    pub redirect_uris: Vec<String>,
    pub grant_types: Vec<GrantType>,
    pub scope: Scope,
    pub may_introspect: bool,
}

impl NewClient {
    /// Builds a registration from its textual fields (admin API, CLI).
    pub fn from_fields(
        name: String,
        kind: &str,
        redirect_uris: Vec<String>,
        grant_types: &[String],
        scope: &str,
        may_introspect: bool,
    ) -> Result<NewClient, OAuthError> {
        let kind = ClientKind::parse(kind).ok_or_else(|| {
            OAuthError::InvalidRequest("kind must be confidential or public".into())
        })?;
        let grant_types = grant_types
            .iter()
            .map(|g| {
                GrantType::parse(g)
                    .ok_or_else(|| OAuthError::InvalidRequest(format!("unknown grant type `{g}`")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        if grant_types.is_empty() {
            return Err(OAuthError::InvalidRequest(
                "at least one grant type is needed".into(),
            ));
        }
        let scope = Scope::parse(scope)
            .ok_or_else(|| OAuthError::InvalidRequest("malformed scope".into()))?;
        Ok(NewClient {
            name,
            kind,
            redirect_uris,
            grant_types,
            scope,
            may_introspect,
        })
    }
}

/// A client as registered, with its secret: the only time the secret is visible.
#[derive(Debug, Clone)]
pub struct RegisteredClient {
    pub client: OAuthClient,
    pub secret: Option<String>,
}

impl OAuth {
    pub async fn register_client(
        &self,
        new: NewClient,
        now: UnixTime,
    ) -> Result<RegisteredClient, OAuthError> {
        for uri in &new.redirect_uris {
            let parsed = url::Url::parse(uri).map_err(|_| {
                OAuthError::InvalidRequest(format!("redirect URI `{uri}` is not an absolute URI"))
            })?;
            if parsed.fragment().is_some() {
                return Err(OAuthError::InvalidRequest(
                    "redirect URIs must not have a fragment".into(),
                ));
            }
        }
        if new.grant_types.contains(&GrantType::AuthorizationCode) && new.redirect_uris.is_empty() {
            return Err(OAuthError::InvalidRequest(
                "the authorization_code grant needs at least one redirect URI".into(),
            ));
        }
        if new.kind == ClientKind::Public && new.grant_types.contains(&GrantType::ClientCredentials)
        {
            return Err(OAuthError::InvalidRequest(
                "a public client cannot use client_credentials".into(),
            ));
        }
        let secret =
            (new.kind == ClientKind::Confidential).then(|| self.secret(CLIENT_SECRET_PREFIX));
        let client = OAuthClient {
            id: self.minter.id(),
            name: new.name,
            kind: new.kind,
            secret_hash: secret.as_ref().map(|s| s.hash()),
            redirect_uris: new.redirect_uris,
            grant_types: new.grant_types,
            scope: new.scope,
            may_introspect: new.may_introspect,
            created_at: now,
        };
        self.store.create_client(&client).await?;
        tracing::info!(client = %client.id, "OAuth client registered");
        Ok(RegisteredClient {
            client,
            secret: secret.map(|s| s.expose().to_owned()),
        })
    }

    pub async fn clients(&self) -> Result<Vec<OAuthClient>, OAuthError> {
        Ok(self.store.list_clients().await?)
    }

    pub async fn delete_client(&self, client_id: &str) -> Result<bool, OAuthError> {
        Ok(self.store.delete_client(client_id).await?)
    }

    /// A new secret for a confidential client; the old one stops working at once.
    pub async fn rotate_client_secret(
        &self,
        client_id: &str,
    ) -> Result<Option<String>, OAuthError> {
        let Some(client) = self.store.client(client_id).await? else {
            return Ok(None);
        };
        if client.kind != ClientKind::Confidential {
            return Err(OAuthError::InvalidRequest(
                "a public client has no secret".into(),
            ));
        }
        let secret = self.secret(CLIENT_SECRET_PREFIX);
        if !self
            .store
            .set_client_secret(client_id, &secret.hash())
            .await?
        {
            return Ok(None);
        }
        Ok(Some(secret.expose().to_owned()))
    }
}
