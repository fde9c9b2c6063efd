//! `POST /oauth2/introspect` (RFC 7662), for authenticated clients allowed to introspect.
//! Anything not active is `{"active": false}` and nothing more.

use tessera_proto::oauth::OAuthIntrospection;

use super::client_auth::ClientCredentials;
use super::model::RefreshState;
use super::{OAuth, OAuthError};
use crate::UnixTime;
use crate::secret::TokenHash;

impl OAuth {
    pub async fn introspect(
        &self,
        token: Option<&str>,
        credentials: &ClientCredentials,
        now: UnixTime,
    ) -> Result<OAuthIntrospection, OAuthError> {
        let client = self.authenticate_client(credentials).await?;
        if !client.may_introspect {
            return Err(OAuthError::invalid_client(
                "this client may not introspect tokens",
                credentials.basic.is_some(),
            ));
        }
        let token = token.ok_or_else(|| OAuthError::InvalidRequest("missing token".into()))?;
        let hash = TokenHash::of(token);
        if let Some(info) = self.store.access_token(&hash).await? {
            if !info.is_active(now) {
                return Ok(OAuthIntrospection::inactive());
            }
            return Ok(OAuthIntrospection {
                active: true,
                client_id: Some(info.family.client_id),
                scope: (!info.scope.is_empty()).then(|| info.scope.to_string()),
                sub: Some(info.family.subject),
                token_type: Some("Bearer".into()),
                exp: Some(info.expires_at.0),
                iat: Some(info.created_at.0),
                iss: Some(self.config.issuer.clone()),
            });
        }
        if let Some(record) = self.store.refresh_token(&hash).await? {
            let active = record.state == RefreshState::Active
                && record.family.revoked_at.is_none()
                && now < record.expires_at
                && now < record.idle_expires_at;
            if !active {
                return Ok(OAuthIntrospection::inactive());
            }
            return Ok(OAuthIntrospection {
                active: true,
                client_id: Some(record.family.client_id),
                scope: (!record.family.scope.is_empty()).then(|| record.family.scope.to_string()),
                sub: Some(record.family.subject),
                token_type: Some("refresh_token".into()),
                exp: Some(record.idle_expires_at.0.min(record.expires_at.0)),
                iat: Some(record.created_at.0),
                iss: Some(self.config.issuer.clone()),
            });
        }
        Ok(OAuthIntrospection::inactive())
    }
}
