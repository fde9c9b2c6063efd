//! Grant continuation and cancel, `POST` and `DELETE /continue/{id}` (RFC 9635 §5, §5.4).
//!
//! The continuation token stays the same for the grant's life (the official clients keep the
//! first one); it dies when the grant is revoked.

use tessera_proto::grant::{ContinueRequest, ContinueResponse};

use super::{ClientRequest, Gnap};
use crate::UnixTime;
use crate::error::GnapError;
use crate::grant::{Finalization, Grant, GrantState};

impl Gnap {
    pub async fn continue_grant(
        &self,
        continue_id: &str,
        _request: ContinueRequest,
        client_request: ClientRequest<'_>,
        _now: UnixTime,
    ) -> Result<ContinueResponse, GnapError> {
        let grant = self
            .authorize_continuation(continue_id, client_request)
            .await?;
        Err(match grant.state {
            GrantState::Finalized(Finalization::Issued) => {
                GnapError::RequestDenied("the grant was already issued".into())
            }
            GrantState::Finalized(Finalization::Rejected) => {
                GnapError::RequestDenied("the grant was rejected".into())
            }
            GrantState::Finalized(Finalization::Revoked) => {
                GnapError::InvalidContinuation("the grant was revoked".into())
            }
            GrantState::Pending | GrantState::Approved => {
                GnapError::RequestDenied("grant interaction not approved".into())
            }
        })
    }

    /// Cancels the grant: it is finalized as revoked and every token issued under it dies, in
    /// one transaction.
    pub async fn cancel_grant(
        &self,
        continue_id: &str,
        client_request: ClientRequest<'_>,
        now: UnixTime,
    ) -> Result<(), GnapError> {
        let grant = self
            .authorize_continuation(continue_id, client_request)
            .await?;
        if !self.store.revoke_grant(&grant.id, now).await? {
            return Err(GnapError::InvalidContinuation(
                "the grant was revoked".into(),
            ));
        }
        tracing::info!(grant = %grant.id, "grant revoked");
        Ok(())
    }

    /// The grant behind `continue_id`, once the continuation token and the client's signature
    /// check out.
    async fn authorize_continuation(
        &self,
        continue_id: &str,
        client_request: ClientRequest<'_>,
    ) -> Result<Grant, GnapError> {
        let grant = self
            .store
            .grant_by_continue_id(continue_id)
            .await?
            .ok_or_else(|| GnapError::InvalidContinuation("unknown grant".into()))?;
        let token = client_request
            .gnap_token
            .ok_or_else(|| GnapError::InvalidContinuation("missing continuation token".into()))?;
        if !grant.continue_token_hash.matches(token) {
            return Err(GnapError::InvalidContinuation(
                "invalid continuation token".into(),
            ));
        }
        self.authenticate(&grant.client, client_request.signature)
            .await?;
        if grant.state.is_revoked() {
            return Err(GnapError::InvalidContinuation(
                "the grant was revoked".into(),
            ));
        }
        Ok(grant)
    }
}
