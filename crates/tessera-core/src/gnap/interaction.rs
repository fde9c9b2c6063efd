//! The consent step (RFC 9635 §4) as Open Payments profiles it: the client sends the account
//! holder's browser to `/interact/{id}/{nonce}`; the server hands over to the identity provider
//! (IdP), which shows the request and reports the decision through the internal API; the browser
//! comes back to `/interact/{id}/{nonce}/finish` and is sent on to the client's finish URI with
//! the `hash` and `interact_ref` it needs to continue.
//!
//! Every entry point needs the interaction id and its nonce (a secret minted per interaction);
//! an unknown id, a wrong nonce and a revoked grant all look the same from outside.

use tessera_proto::AccessItem;

use super::{Gnap, finish_hash};
use crate::UnixTime;
use crate::error::GnapError;
use crate::grant::{ClientIdentity, Decision, Finalization, Grant, GrantState, Interaction};
use crate::secret::constant_time_eq;
use crate::store::StoreError;

/// What the IdP shows the account holder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InteractionDetails {
    pub interaction_id: String,
    pub grant_id: String,
    /// `pending`, `approved`, `rejected`, `issued` or `revoked`.
    pub state: &'static str,
    pub access: Vec<AccessItem>,
    pub client_wallet_address: String,
    pub client_name: Option<String>,
    pub expires_at: UnixTime,
}

/// Where the browser goes when the account holder is done.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FinishOutcome {
    /// To this URL: the client's finish URI with `hash` and `interact_ref`, or with `result`.
    Redirect(String),
    /// The client asked for no redirect (it polls); tell the account holder the outcome.
    Done { approved: bool },
}

/// How starting an interaction ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StartOutcome {
    /// Show the consent page for this interaction.
    Consent(InteractionDetails),
    /// The interaction cannot start; send the browser back to the client with this URL.
    Redirect(String),
}

impl Gnap {
    /// `GET /interact/{id}/{nonce}`: the interaction must be pending and unexpired.
    pub async fn start_interaction(
        &self,
        interaction_id: &str,
        nonce: &str,
        now: UnixTime,
    ) -> Result<StartOutcome, GnapError> {
        let (grant, interaction) = self.interaction(interaction_id, nonce).await?;
        let problem = if now >= interaction.expires_at {
            Some("interaction expired")
        } else if grant.state != GrantState::Pending {
            Some("interaction already decided")
        } else {
            None
        };
        match (problem, &interaction.finish) {
            (None, _) => Ok(StartOutcome::Consent(details(&grant, &interaction))),
            (Some(message), Some(finish)) => Ok(StartOutcome::Redirect(with_query(
                &finish.uri,
                &[("result", "invalid_interaction"), ("message", message)],
            )?)),
            (Some(message), None) => Err(GnapError::InvalidInteraction(message.into())),
        }
    }

    /// `GET /grants/{id}/{nonce}` (IdP).
    pub async fn interaction_details(
        &self,
        interaction_id: &str,
        nonce: &str,
    ) -> Result<InteractionDetails, GnapError> {
        let (grant, interaction) = self.interaction(interaction_id, nonce).await?;
        Ok(details(&grant, &interaction))
    }

    /// `POST /grants/{id}/{nonce}/accept|reject` (IdP): one decision per interaction, before it
    /// expires.
    pub async fn decide_interaction(
        &self,
        interaction_id: &str,
        nonce: &str,
        decision: Decision,
        now: UnixTime,
    ) -> Result<(), GnapError> {
        let (grant, interaction) = self.interaction(interaction_id, nonce).await?;
        if now >= interaction.expires_at {
            return Err(GnapError::InvalidInteraction("interaction expired".into()));
        }
        if grant.state != GrantState::Pending {
            return Err(GnapError::InvalidInteraction(
                "interaction already decided".into(),
            ));
        }
        match self.store.decide_grant(&grant.id, decision, now).await {
            Ok(()) => {}
            Err(StoreError::NotLive) => {
                return Err(GnapError::InvalidInteraction(
                    "interaction already decided".into(),
                ));
            }
            Err(e) => return Err(e.into()),
        }
        tracing::info!(grant = %grant.id, ?decision, "consent decided");
        Ok(())
    }

    /// `GET /interact/{id}/{nonce}/finish`: where the browser goes next.
    pub async fn finish_interaction(
        &self,
        interaction_id: &str,
        nonce: &str,
        now: UnixTime,
    ) -> Result<FinishOutcome, GnapError> {
        let (grant, interaction) = self.interaction(interaction_id, nonce).await?;
        let Some(finish) = &interaction.finish else {
            return match grant.state {
                GrantState::Approved | GrantState::Finalized(Finalization::Issued) => {
                    Ok(FinishOutcome::Done { approved: true })
                }
                GrantState::Finalized(Finalization::Rejected) => {
                    Ok(FinishOutcome::Done { approved: false })
                }
                GrantState::Pending | GrantState::Finalized(Finalization::Revoked) => Err(
                    GnapError::InvalidInteraction("the interaction is not finished".into()),
                ),
            };
        };
        let query: Vec<(&str, String)> = if now >= interaction.expires_at {
            vec![
                ("result", "invalid_interaction".into()),
                ("message", "interaction expired".into()),
            ]
        } else {
            match grant.state {
                GrantState::Approved => vec![
                    (
                        "hash",
                        finish_hash(
                            &finish.client_nonce,
                            &interaction.nonce,
                            &interaction.reference,
                            &self.config.grant_endpoint(),
                        ),
                    ),
                    ("interact_ref", interaction.reference.clone()),
                ],
                GrantState::Finalized(Finalization::Rejected) => {
                    vec![("result", "grant_rejected".into())]
                }
                GrantState::Pending => vec![("result", "grant_invalid".into())],
                GrantState::Finalized(Finalization::Issued | Finalization::Revoked) => vec![
                    ("result", "invalid_interaction".into()),
                    ("message", "interaction already finished".into()),
                ],
            }
        };
        let pairs: Vec<(&str, &str)> = query.iter().map(|(k, v)| (*k, v.as_str())).collect();
        Ok(FinishOutcome::Redirect(with_query(&finish.uri, &pairs)?))
    }

    /// The live grant behind an interaction URL; `UnknownInteraction` for an unknown id, a wrong
    /// nonce or a revoked grant.
    async fn interaction(
        &self,
        interaction_id: &str,
        nonce: &str,
    ) -> Result<(Grant, Interaction), GnapError> {
        let grant = self
            .store
            .grant_by_interaction_id(interaction_id)
            .await?
            .ok_or(GnapError::UnknownInteraction)?;
        let interaction = grant
            .interaction
            .clone()
            .filter(|i| constant_time_eq(&i.nonce, nonce))
            .ok_or(GnapError::UnknownInteraction)?;
        if grant.state.is_revoked() {
            return Err(GnapError::UnknownInteraction);
        }
        Ok((grant, interaction))
    }
}

fn details(grant: &Grant, interaction: &Interaction) -> InteractionDetails {
    InteractionDetails {
        interaction_id: interaction.id.clone(),
        grant_id: grant.id.clone(),
        state: match grant.state {
            GrantState::Pending => "pending",
            GrantState::Approved => "approved",
            GrantState::Finalized(Finalization::Rejected) => "rejected",
            GrantState::Finalized(Finalization::Issued) => "issued",
            GrantState::Finalized(Finalization::Revoked) => "revoked",
        },
        access: grant.access.clone(),
        client_wallet_address: match &grant.client {
            ClientIdentity::WalletAddress(url) => url.clone(),
            ClientIdentity::Jwk(jwk) => format!("jwk:{}", jwk.x),
        },
        client_name: interaction.client_name.clone(),
        expires_at: interaction.expires_at,
    }
}

/// `uri` with `pairs` appended to its query (percent-encoded, as the official clients parse it).
fn with_query(uri: &str, pairs: &[(&str, &str)]) -> Result<String, GnapError> {
    let mut url = url::Url::parse(uri)
        .map_err(|_| GnapError::Internal("stored finish URI does not parse".into()))?;
    url.query_pairs_mut().extend_pairs(pairs);
    Ok(url.into())
}
