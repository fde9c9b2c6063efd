//! The storage trait. Anything that must be atomic is ONE method here, so every backend has to
//! run it as one transaction; there is no "begin/commit" in the domain. Every method that issues,
//! rotates or revokes also writes its audit event (`crate::audit`) in that transaction.

use async_trait::async_trait;

use crate::UnixTime;
use crate::grant::{Decision, Grant};
use crate::secret::TokenHash;
use crate::token::{NewAccessToken, TokenWithGrant};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A conditional change found its row no longer in the expected state (another request won).
    #[error("the record is no longer live")]
    NotLive,
    /// The database cannot be reached; retrying later may succeed.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// A stored row could not be read back into the domain model.
    #[error("corrupt record: {0}")]
    Corrupt(String),
    #[error("database error: {0}")]
    Backend(String),
}

#[async_trait]
pub trait GrantStore: Send + Sync {
    /// Inserts a grant and, when given, its first access token, in one transaction.
    async fn create_grant(
        &self,
        grant: &Grant,
        token: Option<&NewAccessToken>,
    ) -> Result<(), StoreError>;

    async fn grant_by_continue_id(&self, continue_id: &str) -> Result<Option<Grant>, StoreError>;

    async fn grant_by_interaction_id(
        &self,
        interaction_id: &str,
    ) -> Result<Option<Grant>, StoreError>;

    /// Records the account holder's decision: Pending -> Approved (accept) or
    /// Pending -> Finalized(Rejected) (reject). `NotLive` unless the grant was Pending.
    async fn decide_grant(
        &self,
        grant_id: &str,
        decision: Decision,
        now: UnixTime,
    ) -> Result<(), StoreError>;

    /// Approved -> Finalized(Issued) and inserts the grant's access token, in one transaction.
    /// `NotLive` unless the grant was Approved (so a grant issues its token once).
    async fn issue_approved_grant(
        &self,
        grant_id: &str,
        token: &NewAccessToken,
        now: UnixTime,
    ) -> Result<(), StoreError>;

    /// Moves the `wait` clock from `previous` to `now`. `NotLive` when another continuation
    /// moved it first (so of two simultaneous polls one is `too_fast`).
    async fn record_continuation(
        &self,
        grant_id: &str,
        previous: UnixTime,
        now: UnixTime,
    ) -> Result<(), StoreError>;

    /// Finalizes the grant as revoked and revokes every token issued under it, in one
    /// transaction. Returns whether the grant was live before.
    async fn revoke_grant(&self, grant_id: &str, now: UnixTime) -> Result<bool, StoreError>;
}

#[async_trait]
pub trait TokenStore: Send + Sync {
    async fn token_by_manage_id(
        &self,
        manage_id: &str,
    ) -> Result<Option<TokenWithGrant>, StoreError>;

    async fn token_by_hash(&self, hash: &TokenHash) -> Result<Option<TokenWithGrant>, StoreError>;

    /// RFC 9635 §6.1: marks the active token `old_manage_id` as rotated and inserts `new`, in one
    /// transaction. `NotLive` when the old token is no longer active (so of N concurrent
    /// rotations exactly one succeeds).
    async fn rotate_access_token(
        &self,
        old_manage_id: &str,
        new: &NewAccessToken,
        now: UnixTime,
    ) -> Result<(), StoreError>;

    /// Revokes one token. Idempotent: revoking a dead token changes nothing.
    async fn revoke_access_token(&self, manage_id: &str, now: UnixTime) -> Result<(), StoreError>;

    /// Deletes at most `batch` tokens that expired before `expired_before`; returns how many.
    async fn sweep_expired_tokens(
        &self,
        expired_before: UnixTime,
        batch: u32,
    ) -> Result<u64, StoreError>;
}

/// Everything Tessera stores.
pub trait Store:
    GrantStore + TokenStore + crate::oauth::OAuthStore + crate::audit::AuditStore
{
}
impl<T> Store for T where
    T: GrantStore + TokenStore + crate::oauth::OAuthStore + crate::audit::AuditStore
{
}
