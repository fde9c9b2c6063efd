//! Grant continuation and cancel, `POST` and `DELETE /continue/{id}` (RFC 9635 §5, §5.4).
//!
//! The continuation token stays the same for the grant's life (the official clients keep the
//! first one); it dies when the grant is revoked. `wait` applies to polls (RFC 9635 §5.2); a
//! continuation with the `interact_ref` of a finished interaction may come at once (§5.1).

use tessera_proto::grant::{ContinueRequest, ContinueResponse};

use super::{ClientRequest, Gnap};
use crate::UnixTime;
use crate::error::GnapError;
use crate::grant::{Finalization, Grant, GrantState};
use crate::secret::{SecretValue, constant_time_eq};
use crate::store::StoreError;

impl Gnap {
    /// `POST /continue/{id}`: with `interact_ref` after the interaction finished, or without (a
    /// poll) when the client asked for no finish redirect.
    pub async fn continue_grant(
        &self,
        continue_id: &str,
        request: ContinueRequest,
        client_request: ClientRequest<'_>,
        now: UnixTime,
    ) -> Result<ContinueResponse, GnapError> {
        let grant = self
            .authorize_continuation(continue_id, client_request)
            .await?;
        // `authorize_continuation` checked that the presented token is this grant's, and the
        // continuation token never changes, so it is what the response repeats.
        let continue_token =
            SecretValue::new(client_request.gnap_token.unwrap_or_default().to_owned());
        match request.interact_ref {
            Some(reference) => {
                let matches = grant
                    .interaction
                    .as_ref()
                    .is_some_and(|i| constant_time_eq(&i.reference, &reference));
                if !matches {
                    return Err(GnapError::UnknownInteractRef);
                }
                self.issue_if_approved(&grant, &continue_token, now).await
            }
            None => self.poll(&grant, &continue_token, now).await,
        }
    }

    async fn poll(
        &self,
        grant: &Grant,
        continue_token: &SecretValue,
        now: UnixTime,
    ) -> Result<ContinueResponse, GnapError> {
        if now
            < grant
                .last_continued_at
                .plus_secs(self.config.continue_wait_secs)
        {
            return Err(GnapError::TooFast);
        }
        if grant
            .interaction
            .as_ref()
            .is_some_and(|i| i.finish.is_some())
        {
            return Err(GnapError::RequestDenied(
                "this grant has a finish redirect, so it cannot be polled: continue with the interact_ref".into(),
            ));
        }
        if grant.state != GrantState::Pending {
            return self.issue_if_approved(grant, continue_token, now).await;
        }
        match self
            .store
            .record_continuation(&grant.id, grant.last_continued_at, now)
            .await
        {
            Ok(()) => {}
            Err(StoreError::NotLive) => return Err(GnapError::TooFast),
            Err(e) => return Err(e.into()),
        }
        Ok(ContinueResponse {
            access_token: None,
            continue_: self.continue_response(
                grant,
                continue_token,
                u64::try_from(self.config.continue_wait_secs).ok(),
            ),
        })
    }

    /// Issues the grant's access token if the account holder approved it; each grant issues
    /// once.
    async fn issue_if_approved(
        &self,
        grant: &Grant,
        continue_token: &SecretValue,
        now: UnixTime,
    ) -> Result<ContinueResponse, GnapError> {
        match grant.state {
            GrantState::Approved => {}
            GrantState::Pending => {
                return Err(GnapError::RequestDenied(
                    "the account holder has not approved the grant yet".into(),
                ));
            }
            GrantState::Finalized(Finalization::Rejected) => {
                return Err(GnapError::RequestDenied(
                    "the account holder rejected the grant".into(),
                ));
            }
            GrantState::Finalized(Finalization::Issued) => {
                return Err(GnapError::RequestDenied(
                    "the grant was already issued".into(),
                ));
            }
            GrantState::Finalized(Finalization::Revoked) => {
                return Err(GnapError::InvalidContinuation(
                    "the grant was revoked".into(),
                ));
            }
        }
        let (value, token) = self.mint_access_token(&grant.id, now);
        match self
            .store
            .issue_approved_grant(&grant.id, &token, now)
            .await
        {
            Ok(()) => {}
            Err(StoreError::NotLive) => {
                return Err(GnapError::RequestDenied(
                    "the grant was already issued".into(),
                ));
            }
            Err(e) => return Err(e.into()),
        }
        tracing::info!(grant = %grant.id, "grant issued after consent");
        Ok(ContinueResponse {
            access_token: Some(self.access_token_response(&value, &token, grant)),
            continue_: self.continue_response(grant, continue_token, None),
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
