//! `POST /oauth2/token` (RFC 6749 §4.1.3, §4.4, §6; OAuth 2.1): authorization code with PKCE,
//! client credentials, and refresh with rotation, reuse detection and the grace period.

use std::collections::BTreeMap;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest as _, Sha256};
use tessera_proto::oauth::TokenResponse;

use super::client_auth::ClientCredentials;
use super::model::{
    AuthorizationStatus, ClientKind, GrantType, NewRefreshToken, NewTokens, OAuthClient,
    RefreshState, RefreshTokenRecord, Rotation, TokenFamily,
};
use super::scope::Scope;
use super::seal;
use super::{ACCESS_TOKEN_PREFIX, OAuth, OAuthError, REFRESH_TOKEN_PREFIX};
use crate::UnixTime;
use crate::secret::{TokenHash, constant_time_eq};
use crate::store::StoreError;

/// A successful token response body, exactly as sent. A grace-period replay sends the same
/// bytes again, so the body is kept as bytes rather than rebuilt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenBody(pub Vec<u8>);

impl OAuth {
    pub async fn token(
        &self,
        params: &BTreeMap<String, String>,
        credentials: &ClientCredentials,
        now: UnixTime,
    ) -> Result<TokenBody, OAuthError> {
        let grant_type = params
            .get("grant_type")
            .ok_or_else(|| OAuthError::InvalidRequest("missing grant_type".into()))?;
        let client = self.authenticate_client(credentials).await?;
        let Some(grant) = GrantType::parse(grant_type) else {
            return Err(OAuthError::UnsupportedGrantType(format!(
                "grant_type `{grant_type}` is not supported"
            )));
        };
        if !client.allows(grant) {
            return Err(OAuthError::UnauthorizedClient(format!(
                "this client may not use the {} grant",
                grant.as_str()
            )));
        }
        match grant {
            GrantType::ClientCredentials => self.client_credentials(&client, params, now).await,
            GrantType::AuthorizationCode => self.authorization_code(&client, params, now).await,
            GrantType::RefreshToken => self.refresh(&client, params, now).await,
        }
    }

    async fn client_credentials(
        &self,
        client: &OAuthClient,
        params: &BTreeMap<String, String>,
        now: UnixTime,
    ) -> Result<TokenBody, OAuthError> {
        if client.kind != ClientKind::Confidential {
            return Err(OAuthError::UnauthorizedClient(
                "client credentials need a confidential client".into(),
            ));
        }
        let scope = requested_scope(params, &client.scope)?;
        let family = TokenFamily {
            id: self.minter.id(),
            client_id: client.id.clone(),
            subject: client.id.clone(),
            scope: scope.clone(),
            created_at: now,
            revoked_at: None,
        };
        let (body, tokens) = self.mint(&family, &scope, None, now)?;
        self.store.issue_family(&family, &tokens).await?;
        tracing::info!(family = %family.id, client = %client.id, "client credentials token issued");
        Ok(body)
    }

    async fn authorization_code(
        &self,
        client: &OAuthClient,
        params: &BTreeMap<String, String>,
        now: UnixTime,
    ) -> Result<TokenBody, OAuthError> {
        let code = params
            .get("code")
            .ok_or_else(|| OAuthError::InvalidRequest("missing code".into()))?;
        let invalid = || OAuthError::InvalidGrant("invalid authorization code".into());
        let request = self
            .store
            .authorization_by_code(&TokenHash::of(code))
            .await?
            .ok_or_else(invalid)?;
        if request.client_id != client.id {
            return Err(invalid());
        }
        let subject = match &request.status {
            AuthorizationStatus::Approved { subject } => subject.clone(),
            AuthorizationStatus::Issued { family_id, .. } => {
                // A code used twice was probably stolen: kill what the first use got
                // (RFC 6749 §4.1.2).
                self.store
                    .revoke_family(family_id, "authorization_code_reuse", now)
                    .await?;
                tracing::warn!(family = %family_id, client = %client.id, "authorization code reused; tokens revoked");
                return Err(invalid());
            }
            AuthorizationStatus::Pending | AuthorizationStatus::Rejected => return Err(invalid()),
        };
        if request.code_expires_at.is_none_or(|expires| now >= expires) {
            return Err(OAuthError::InvalidGrant(
                "authorization code expired".into(),
            ));
        }
        if params.get("redirect_uri") != Some(&request.redirect_uri) {
            return Err(OAuthError::InvalidGrant(
                "redirect_uri does not match the authorization request".into(),
            ));
        }
        if let Some(challenge) = &request.code_challenge {
            let verifier = params.get("code_verifier").ok_or_else(|| {
                OAuthError::InvalidGrant("code_verifier is required (PKCE)".into())
            })?;
            let valid_verifier = (43..=128).contains(&verifier.len())
                && verifier
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b));
            let computed = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
            if !valid_verifier || !constant_time_eq(&computed, challenge) {
                return Err(OAuthError::InvalidGrant("PKCE verification failed".into()));
            }
        } else if params.contains_key("code_verifier") {
            return Err(OAuthError::InvalidGrant(
                "code_verifier given but the authorization request had no code_challenge".into(),
            ));
        }

        let family = TokenFamily {
            id: self.minter.id(),
            client_id: client.id.clone(),
            subject,
            scope: request.scope.clone(),
            created_at: now,
            revoked_at: None,
        };
        let refresh_expires = client
            .allows(GrantType::RefreshToken)
            .then(|| now.plus_secs(self.config.refresh_token_ttl_secs));
        let (body, tokens) = self.mint(&family, &request.scope, refresh_expires, now)?;
        match self
            .store
            .exchange_code(&request.id, &family, &tokens)
            .await
        {
            Ok(()) => {}
            Err(StoreError::NotLive) => return Err(invalid()),
            Err(e) => return Err(e.into()),
        }
        tracing::info!(family = %family.id, client = %client.id, "authorization code exchanged");
        Ok(body)
    }

    async fn refresh(
        &self,
        client: &OAuthClient,
        params: &BTreeMap<String, String>,
        now: UnixTime,
    ) -> Result<TokenBody, OAuthError> {
        let presented = params
            .get("refresh_token")
            .ok_or_else(|| OAuthError::InvalidRequest("missing refresh_token".into()))?;
        let hash = TokenHash::of(presented);
        let record = self
            .store
            .refresh_token(&hash)
            .await?
            .ok_or_else(|| OAuthError::InvalidGrant("invalid refresh token".into()))?;
        if record.family.client_id != client.id {
            // Another client's token: refuse, but do not let it revoke the owner's family.
            return Err(OAuthError::InvalidGrant("invalid refresh token".into()));
        }
        let scope = requested_scope(params, &record.family.scope)?;
        if record.family.revoked_at.is_some() || record.state == RefreshState::Revoked {
            return Err(OAuthError::InvalidGrant("refresh token revoked".into()));
        }
        if record.state == RefreshState::Used {
            return self.replay_or_reuse(&record, now).await;
        }
        if now >= record.expires_at || now >= record.idle_expires_at {
            return Err(OAuthError::InvalidGrant("refresh token expired".into()));
        }

        let (body, new) = self.mint(&record.family, &scope, Some(record.expires_at), now)?;
        let successor_sealed = if self.config.refresh_grace_secs > 0 {
            seal::seal(&self.sealing_key, hash.as_bytes(), &body.0)
                .ok_or_else(|| OAuthError::Internal("sealing the successor failed".into()))?
        } else {
            Vec::new()
        };
        let rotation = Rotation {
            old_hash: hash,
            old_access_hash: record.access_hash,
            successor_sealed,
            new,
        };
        match self.store.rotate_refresh_token(&rotation, now).await {
            Ok(()) => {
                tracing::info!(family = %record.family.id, "refresh token rotated");
                Ok(body)
            }
            // Another request consumed it first: from here this is a replay, like any other.
            Err(StoreError::NotLive) => {
                let record = self
                    .store
                    .refresh_token(&hash)
                    .await?
                    .ok_or_else(|| OAuthError::InvalidGrant("invalid refresh token".into()))?;
                match record.state {
                    RefreshState::Used => self.replay_or_reuse(&record, now).await,
                    _ => Err(OAuthError::InvalidGrant(
                        "refresh token expired or revoked".into(),
                    )),
                }
            }
            Err(e) => Err(e.into()),
        }
    }

    /// A consumed refresh token presented again: within the grace period, and while its
    /// successor is unused, the successor response again (byte for byte); otherwise reuse, and
    /// the whole family dies.
    async fn replay_or_reuse(
        &self,
        record: &RefreshTokenRecord,
        now: UnixTime,
    ) -> Result<TokenBody, OAuthError> {
        let in_grace = self.config.refresh_grace_secs > 0
            && record
                .used_at
                .is_some_and(|used| now < used.plus_secs(self.config.refresh_grace_secs));
        if in_grace {
            let successor_unused = match &record.successor_hash {
                Some(successor) => self
                    .store
                    .refresh_token(successor)
                    .await?
                    .is_some_and(|s| s.state == RefreshState::Active),
                None => false,
            };
            let replay = record
                .successor_sealed
                .as_deref()
                .filter(|_| successor_unused)
                .and_then(|sealed| seal::open(&self.sealing_key, record.hash.as_bytes(), sealed));
            if let Some(body) = replay {
                tracing::info!(family = %record.family.id, "refresh retried within the grace period");
                return Ok(TokenBody(body));
            }
        }
        self.store
            .revoke_family(&record.family.id, "refresh_token_reuse", now)
            .await?;
        tracing::warn!(family = %record.family.id, client = %record.family.client_id, "refresh token reuse detected; family revoked");
        Err(OAuthError::InvalidGrant(
            "refresh token was already used; every token of this authorization is now revoked"
                .into(),
        ))
    }

    /// A new access token (and refresh token when `refresh_expires_at` is given) for
    /// `family`, as the response body and the rows to store.
    fn mint(
        &self,
        family: &TokenFamily,
        scope: &Scope,
        refresh_expires_at: Option<UnixTime>,
        now: UnixTime,
    ) -> Result<(TokenBody, NewTokens), OAuthError> {
        let access = self.secret(ACCESS_TOKEN_PREFIX);
        let refresh = refresh_expires_at.map(|expires_at| {
            let value = self.secret(REFRESH_TOKEN_PREFIX);
            let idle = now.plus_secs(self.config.refresh_token_idle_secs);
            let row = NewRefreshToken {
                hash: value.hash(),
                expires_at,
                idle_expires_at: if idle.0 < expires_at.0 {
                    idle
                } else {
                    expires_at
                },
            };
            (value, row)
        });
        let response = TokenResponse {
            access_token: access.expose().to_owned(),
            token_type: "Bearer".into(),
            expires_in: u64::try_from(self.config.access_token_ttl_secs).unwrap_or(0),
            scope: (!scope.is_empty()).then(|| scope.to_string()),
            refresh_token: refresh.as_ref().map(|(v, _)| v.expose().to_owned()),
        };
        let body = serde_json::to_vec(&response)
            .map_err(|e| OAuthError::Internal(format!("serialising the token response: {e}")))?;
        let tokens = NewTokens {
            family_id: family.id.clone(),
            access_hash: access.hash(),
            access_scope: scope.clone(),
            access_expires_at: now.plus_secs(self.config.access_token_ttl_secs),
            refresh: refresh.map(|(_, row)| row),
            created_at: now,
        };
        Ok((TokenBody(body), tokens))
    }
}

/// The `scope` parameter within `allowed`, or `allowed` itself when absent (RFC 6749 §3.3).
fn requested_scope(
    params: &BTreeMap<String, String>,
    allowed: &Scope,
) -> Result<Scope, OAuthError> {
    match params.get("scope") {
        None => Ok(allowed.clone()),
        Some(text) => {
            let scope = Scope::parse(text)
                .ok_or_else(|| OAuthError::InvalidScope("malformed scope".into()))?;
            if scope.is_subset_of(allowed) {
                Ok(scope)
            } else {
                Err(OAuthError::InvalidScope(
                    "the requested scope exceeds what was granted".into(),
                ))
            }
        }
    }
}
