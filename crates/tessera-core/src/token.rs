//! Access tokens as stored: only the hash of the value, the management id (the `{id}` of the
//! `manage` URL) and the token's place in its lifecycle.

use crate::UnixTime;
use crate::grant::Grant;
use crate::secret::TokenHash;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenStatus {
    Active,
    /// Replaced by rotation; dead at once.
    Rotated,
    /// Revoked by the client, or with its grant.
    Revoked,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessTokenRecord {
    pub manage_id: String,
    pub grant_id: String,
    pub value_hash: TokenHash,
    pub created_at: UnixTime,
    pub expires_at: UnixTime,
    pub status: TokenStatus,
}

/// A token to insert. Its value is handed to the client and never stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAccessToken {
    pub manage_id: String,
    pub grant_id: String,
    pub value_hash: TokenHash,
    pub created_at: UnixTime,
    pub expires_at: UnixTime,
}

/// A token with the grant it was issued under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenWithGrant {
    pub token: AccessTokenRecord,
    pub grant: Grant,
}

impl TokenWithGrant {
    /// Whether a resource server may honour the token now: not rotated, not revoked, not
    /// expired, and its grant not revoked.
    pub fn is_active(&self, now: UnixTime) -> bool {
        self.token.status == TokenStatus::Active
            && now < self.token.expires_at
            && !self.grant.state.is_revoked()
    }
}
