//! `POST /oauth2/revoke` (RFC 7009). Answers success for unknown tokens and for other clients'
//! tokens (which it leaves alone), so it reveals nothing. Revoking a refresh token revokes its
//! whole family, access tokens included.

use super::client_auth::ClientCredentials;
use super::{OAuth, OAuthError};
use crate::UnixTime;
use crate::secret::TokenHash;

impl OAuth {
    pub async fn revoke(
        &self,
        token: Option<&str>,
        token_type_hint: Option<&str>,
        credentials: &ClientCredentials,
        now: UnixTime,
    ) -> Result<(), OAuthError> {
        let client = self.authenticate_client(credentials).await?;
        let token = token.ok_or_else(|| OAuthError::InvalidRequest("missing token".into()))?;
        let hash = TokenHash::of(token);
        // The hint only orders the lookups (RFC 7009 §2.1).
        let refresh_first = token_type_hint != Some("access_token");
        for refresh in [refresh_first, !refresh_first] {
            if refresh {
                if let Some(record) = self.store.refresh_token(&hash).await? {
                    if record.family.client_id == client.id {
                        self.store
                            .revoke_family(&record.family.id, "refresh_token_revoked", now)
                            .await?;
                        tracing::info!(family = %record.family.id, "refresh token revoked");
                    }
                    return Ok(());
                }
            } else if let Some(info) = self.store.access_token(&hash).await? {
                if info.family.client_id == client.id {
                    self.store.revoke_oauth_access_token(&hash, now).await?;
                    tracing::info!(family = %info.family.id, "access token revoked");
                }
                return Ok(());
            }
        }
        Ok(())
    }

    /// Admin: revoke everything issued to a client, or for a subject.
    pub async fn revoke_all_of_client(
        &self,
        client_id: &str,
        now: UnixTime,
    ) -> Result<u64, OAuthError> {
        Ok(self.store.revoke_families_of_client(client_id, now).await?)
    }

    pub async fn revoke_all_of_subject(
        &self,
        subject: &str,
        now: UnixTime,
    ) -> Result<u64, OAuthError> {
        Ok(self.store.revoke_families_of_subject(subject, now).await?)
    }
}
