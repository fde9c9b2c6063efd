//! Grants: who asked (the client), for what (access), and where the request stands.
//!
//! A grant moves Pending -> Approved -> Finalized(Issued), or ends Finalized(Rejected) when the
//! resource owner refuses, or Finalized(Revoked) when the client cancels it. A grant that needs
//! no interaction is approved and issued in the same step, so it is created Finalized(Issued).

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
}
