//! Token management, `POST` and `DELETE /token/{id}` (RFC 9635 §6).
//!
//! The `Authorization: GNAP` token must be the very token the management URL names, and the
//! request must be signed by the client of its grant. Rotation replaces value and management
//! URL, keeps the access, restarts the lifetime and kills the old token at once; an expired token
//! may be rotated (that is what rotation is for), a rotated or revoked one may not.

use tessera_proto::grant::RotateResponse;

use super::{ClientRequest, Gnap};
use crate::UnixTime;
use crate::error::GnapError;
use crate::store::StoreError;
use crate::token::{TokenStatus, TokenWithGrant};

impl Gnap {
    pub async fn rotate_token(
        &self,
        manage_id: &str,
        client_request: ClientRequest<'_>,
        now: UnixTime,
    ) -> Result<RotateResponse, GnapError> {
        let found = self.authorize_management(manage_id, client_request).await?;
        if found.grant.state.is_revoked() {
            return Err(GnapError::InvalidRotation("the grant was revoked".into()));
        }
        match found.token.status {
            TokenStatus::Active => {}
            TokenStatus::Rotated => {
                return Err(GnapError::InvalidRotation(
                    "the token was already rotated".into(),
                ));
            }
            TokenStatus::Revoked => {
                return Err(GnapError::InvalidRotation("the token was revoked".into()));
            }
        }
        let (value, new_token) = self.mint_access_token(&found.grant.id, now);
        match self
            .store
            .rotate_access_token(manage_id, &new_token, now)
            .await
        {
            Ok(()) => {}
            Err(StoreError::NotLive) => {
                return Err(GnapError::InvalidRotation(
                    "the token was rotated or revoked by another request".into(),
                ));
            }
            Err(e) => return Err(e.into()),
        }
        tracing::info!(grant = %found.grant.id, "access token rotated");
        Ok(RotateResponse {
            access_token: self.access_token_response(&value, &new_token, &found.grant),
        })
    }

    /// Revokes the token. Idempotent: revoking a dead token again answers success.
    pub async fn revoke_token(
        &self,
        manage_id: &str,
        client_request: ClientRequest<'_>,
        now: UnixTime,
    ) -> Result<(), GnapError> {
        let found = match self.authorize_management(manage_id, client_request).await {
            // The spec lists only 401 for revocation; an unknown URL authenticates no one.
            Err(GnapError::UnknownToken) => {
                return Err(GnapError::InvalidClient("unknown access token".into()));
            }
            other => other?,
        };
        self.store.revoke_access_token(manage_id, now).await?;
        tracing::info!(grant = %found.grant.id, "access token revoked");
        Ok(())
    }

    async fn authorize_management(
        &self,
        manage_id: &str,
        client_request: ClientRequest<'_>,
    ) -> Result<TokenWithGrant, GnapError> {
        let found = self
            .store
            .token_by_manage_id(manage_id)
            .await?
            .ok_or(GnapError::UnknownToken)?;
        let presented = client_request
            .gnap_token
            .ok_or_else(|| GnapError::InvalidClient("missing GNAP access token".into()))?;
        if !found.token.value_hash.matches(presented) {
            return Err(GnapError::InvalidClient(
                "the access token is not the one this management URL manages".into(),
            ));
        }
        self.authenticate(&found.grant.client, client_request.signature)
            .await?;
        Ok(found)
    }
}
