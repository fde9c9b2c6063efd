//! `GET /oauth2/authorize` (RFC 6749 §4.1, PKCE RFC 7636) and its consent step, which goes
//! through the same identity-provider interaction as GNAP: the IdP sees the request, accepts it
//! for a subject or rejects it, and the browser comes back through `/interact/{id}/{nonce}/finish`
//! to the client's redirect URI with the code (or the error).
//!
//! Errors about the client or the redirect URI are shown to the user, never redirected (the URI
//! cannot be trusted yet); every later error goes back to the client (§4.1.2.1).

use super::model::{AuthorizationRequest, AuthorizationStatus, GrantType};
use super::scope::Scope;
use super::{AUTHORIZATION_CODE_PREFIX, OAuth, OAuthError};
use crate::UnixTime;
use crate::secret::constant_time_eq;
use crate::store::StoreError;

/// The query of an authorization request, as received.
#[derive(Debug, Clone, Default)]
pub struct AuthorizeParams {
    pub response_type: Option<String>,
    pub client_id: Option<String>,
    pub redirect_uri: Option<String>,
    pub scope: Option<String>,
    pub state: Option<String>,
    pub code_challenge: Option<String>,
    pub code_challenge_method: Option<String>,
}

/// What the IdP shows, and where the consent page is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthInteraction {
    pub interaction_id: String,
    pub nonce: String,
    pub client_id: String,
    pub client_name: String,
    pub scope: Scope,
    /// `pending`, `approved`, `rejected` or `issued`.
    pub state: &'static str,
    pub expires_at: UnixTime,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthorizeOutcome {
    /// Send the browser to the consent page for this interaction.
    Consent(OAuthInteraction),
    /// Send the browser back to the client with this URL (an error response).
    Redirect(String),
}

impl OAuth {
    pub async fn authorize(
        &self,
        params: AuthorizeParams,
        now: UnixTime,
    ) -> Result<AuthorizeOutcome, OAuthError> {
        let client_id = params
            .client_id
            .as_deref()
            .ok_or_else(|| OAuthError::InvalidRequest("missing client_id".into()))?;
        let client = self
            .store
            .client(client_id)
            .await?
            .ok_or_else(|| OAuthError::InvalidRequest("unknown client_id".into()))?;
        let redirect_uri = match (&params.redirect_uri, client.redirect_uris.as_slice()) {
            (Some(uri), registered) if registered.contains(uri) => uri.clone(),
            (Some(_), _) => {
                return Err(OAuthError::InvalidRequest(
                    "redirect_uri is not registered for this client".into(),
                ));
            }
            (None, [only]) => only.clone(),
            (None, _) => return Err(OAuthError::InvalidRequest("missing redirect_uri".into())),
        };
        let state = params.state.clone();
        let back = |error: &str, description: &str| {
            Ok(AuthorizeOutcome::Redirect(redirect_with(
                &redirect_uri,
                &[("error", error), ("error_description", description)],
                state.as_deref(),
                &self.config.issuer,
            )))
        };

        if params.response_type.as_deref() != Some("code") {
            return back(
                "unsupported_response_type",
                "only response_type=code is supported",
            );
        }
        if !client.allows(GrantType::AuthorizationCode) {
            return back(
                "unauthorized_client",
                "this client may not use the authorization code grant",
            );
        }
        let scope = match params.scope.as_deref().map(Scope::parse) {
            None => client.scope.clone(),
            Some(Some(scope)) if scope.is_subset_of(&client.scope) => scope,
            Some(_) => {
                return back(
                    "invalid_scope",
                    "the requested scope is not allowed for this client",
                );
            }
        };
        let code_challenge = match (
            &params.code_challenge,
            params.code_challenge_method.as_deref(),
        ) {
            (Some(challenge), Some("S256")) => {
                let well_formed = challenge.len() == 43
                    && challenge
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
                if !well_formed {
                    return back(
                        "invalid_request",
                        "code_challenge must be a base64url SHA-256 digest",
                    );
                }
                Some(challenge.clone())
            }
            (Some(_), _) => return back("invalid_request", "code_challenge_method must be S256"),
            (None, Some(_)) => {
                return back(
                    "invalid_request",
                    "code_challenge_method without code_challenge",
                );
            }
            (None, None) if client.kind == super::ClientKind::Public => {
                return back(
                    "invalid_request",
                    "PKCE (code_challenge with S256) is required for public clients",
                );
            }
            (None, None) => None,
        };
        if !self.config.interaction_enabled {
            return back(
                "temporarily_unavailable",
                "this server has no consent provider configured",
            );
        }

        let request = AuthorizationRequest {
            id: self.minter.id(),
            interaction_id: self.minter.id(),
            nonce: self.minter.secret().expose().to_owned(),
            client_id: client.id.clone(),
            redirect_uri,
            scope,
            state,
            code_challenge,
            status: AuthorizationStatus::Pending,
            code_hash: None,
            code_expires_at: None,
            created_at: now,
            expires_at: now.plus_secs(self.config.interaction_ttl_secs),
        };
        self.store.create_authorization(&request).await?;
        Ok(AuthorizeOutcome::Consent(interaction_view(
            &request,
            client.name,
        )))
    }

    /// The OAuth request behind an interaction URL, or `None` when it is not an OAuth
    /// interaction (unknown id or wrong nonce).
    async fn oauth_request(
        &self,
        interaction_id: &str,
        nonce: &str,
    ) -> Result<Option<AuthorizationRequest>, OAuthError> {
        Ok(self
            .store
            .authorization_by_interaction(interaction_id)
            .await?
            .filter(|r| constant_time_eq(&r.nonce, nonce)))
    }

    pub async fn oauth_interaction(
        &self,
        interaction_id: &str,
        nonce: &str,
    ) -> Result<Option<OAuthInteraction>, OAuthError> {
        let Some(request) = self.oauth_request(interaction_id, nonce).await? else {
            return Ok(None);
        };
        let name = self
            .store
            .client(&request.client_id)
            .await?
            .map_or_else(|| request.client_id.clone(), |c| c.name);
        Ok(Some(interaction_view(&request, name)))
    }

    /// The IdP's decision: `Some(subject)` accepts for that resource owner, `None` rejects.
    /// `Ok(None)` when this is not an OAuth interaction.
    pub async fn decide_oauth_interaction(
        &self,
        interaction_id: &str,
        nonce: &str,
        subject: Option<&str>,
        now: UnixTime,
    ) -> Result<Option<()>, OAuthError> {
        let Some(request) = self.oauth_request(interaction_id, nonce).await? else {
            return Ok(None);
        };
        if now >= request.expires_at {
            return Err(OAuthError::InvalidRequest("interaction expired".into()));
        }
        if request.status != AuthorizationStatus::Pending {
            return Err(OAuthError::InvalidRequest(
                "interaction already decided".into(),
            ));
        }
        if subject.is_some_and(|s| s.trim().is_empty()) {
            return Err(OAuthError::InvalidRequest(
                "subject must not be empty".into(),
            ));
        }
        match self
            .store
            .decide_authorization(&request.id, subject, now)
            .await
        {
            Ok(()) => Ok(Some(())),
            Err(StoreError::NotLive) => Err(OAuthError::InvalidRequest(
                "interaction already decided".into(),
            )),
            Err(e) => Err(e.into()),
        }
    }

    /// Where the browser goes when consent is done: the redirect URI with a fresh code, or with
    /// an error. `Ok(None)` when this is not an OAuth interaction.
    pub async fn finish_oauth_interaction(
        &self,
        interaction_id: &str,
        nonce: &str,
        now: UnixTime,
    ) -> Result<Option<String>, OAuthError> {
        let Some(request) = self.oauth_request(interaction_id, nonce).await? else {
            return Ok(None);
        };
        let error = |description: &str| {
            redirect_with(
                &request.redirect_uri,
                &[
                    ("error", "access_denied"),
                    ("error_description", description),
                ],
                request.state.as_deref(),
                &self.config.issuer,
            )
        };
        let url = match &request.status {
            AuthorizationStatus::Approved { .. } if request.code_hash.is_none() => {
                let code = self.secret(AUTHORIZATION_CODE_PREFIX);
                let expires = now.plus_secs(self.config.code_ttl_secs);
                match self
                    .store
                    .attach_code(&request.id, &code.hash(), expires)
                    .await
                {
                    Ok(()) => redirect_with(
                        &request.redirect_uri,
                        &[("code", code.expose())],
                        request.state.as_deref(),
                        &self.config.issuer,
                    ),
                    Err(StoreError::NotLive) => error("the interaction was already finished"),
                    Err(e) => return Err(e.into()),
                }
            }
            AuthorizationStatus::Pending if now >= request.expires_at => {
                error("the interaction expired")
            }
            AuthorizationStatus::Pending => error("the resource owner has not decided"),
            AuthorizationStatus::Rejected => error("the resource owner denied the request"),
            AuthorizationStatus::Approved { .. } | AuthorizationStatus::Issued { .. } => {
                error("the interaction was already finished")
            }
        };
        Ok(Some(url))
    }
}

fn interaction_view(request: &AuthorizationRequest, client_name: String) -> OAuthInteraction {
    OAuthInteraction {
        interaction_id: request.interaction_id.clone(),
        nonce: request.nonce.clone(),
        client_id: request.client_id.clone(),
        client_name,
        scope: request.scope.clone(),
        state: match request.status {
            AuthorizationStatus::Pending => "pending",
            AuthorizationStatus::Approved { .. } => "approved",
            AuthorizationStatus::Rejected => "rejected",
            AuthorizationStatus::Issued { .. } => "issued",
        },
        expires_at: request.expires_at,
    }
}

/// `uri` with `pairs`, the client's `state` and `iss` (RFC 9207) in its query.
fn redirect_with(uri: &str, pairs: &[(&str, &str)], state: Option<&str>, issuer: &str) -> String {
    match url::Url::parse(uri) {
        Ok(mut url) => {
            {
                let mut query = url.query_pairs_mut();
                query.extend_pairs(pairs);
                if let Some(state) = state {
                    query.append_pair("state", state);
                }
                query.append_pair("iss", issuer);
            }
            url.into()
        }
        // Registered URIs are checked to parse at registration.
        Err(_) => uri.to_owned(),
    }
}
