//! Grants: who asked (the client), for what (access), and where the request stands.
//!
//! A grant moves Pending -> Approved -> Finalized(Issued), or ends Finalized(Rejected) when the
//! resource owner refuses, or Finalized(Revoked) when the client cancels it. A grant that needs
//! no interaction is approved and issued in the same step, so it is created Finalized(Issued).
//! An interactive grant carries its [`Interaction`]: the account holder's decision moves the
//! grant from Pending to Approved or Finalized(Rejected), so the decision lives in the grant's
//! state and nowhere else.

use tessera_proto::{AccessItem, Jwk};

use crate::UnixTime;
use crate::secret::TokenHash;

/// How the client identified itself, and so where its keys come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientIdentity {
    /// Keys at `{wallet address}/jwks.json`.
    WalletAddress(String),
    /// Directed identity: the key sent in the grant request, bound to the grant.
    Jwk(Jwk),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GrantState {
    /// Waiting for the resource owner.
    Pending,
    /// The resource owner consented; the next continuation issues the token.
    Approved,
    Finalized(Finalization),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Finalization {
    Issued,
    Rejected,
    Revoked,
}

impl GrantState {
    pub fn is_revoked(self) -> bool {
        self == GrantState::Finalized(Finalization::Revoked)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    pub id: String,
    pub state: GrantState,
    pub client: ClientIdentity,
    pub access: Vec<AccessItem>,
    pub continue_id: String,
    pub continue_token_hash: TokenHash,
    pub created_at: UnixTime,
    /// When the client last continued (the `wait` clock; starts at creation).
    pub last_continued_at: UnixTime,
    /// Present on grants that need the account holder's consent.
    pub interaction: Option<Interaction>,
}

/// The consent step of an interactive grant (RFC 9635 §4).
///
/// The nonce and the reference are kept in clear: the nonce travels in the interaction URL anyway
/// and both are inputs of the finish hash, which the server has to compute. Neither lets anyone
/// obtain a token without the continuation token and the client's signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interaction {
    /// Public id in the interaction URL `/interact/{id}/{nonce}`.
    pub id: String,
    /// The server's nonce: in the interaction URL, returned as `interact.finish`, hashed.
    pub nonce: String,
    /// The `interact_ref` handed to the client at finish; it must present it to continue.
    pub reference: String,
    /// Where to send the browser back to, when the client asked for a finish redirect.
    pub finish: Option<FinishRedirect>,
    /// The client's display name (`publicName` of its wallet address), when it has one.
    pub client_name: Option<String>,
    pub expires_at: UnixTime,
}

/// The client's `interact.finish` of method `redirect`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FinishRedirect {
    pub uri: String,
    pub client_nonce: String,
}

/// The account holder's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Accept,
    Reject,
}

impl Decision {
    /// The grant state the decision leads to.
    pub fn resulting_state(self) -> GrantState {
        match self {
            Decision::Accept => GrantState::Approved,
            Decision::Reject => GrantState::Finalized(Finalization::Rejected),
        }
    }
}
