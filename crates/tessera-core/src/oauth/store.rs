//! Storage for the OAuth side. As for GNAP, each atomic change is one method, so each backend
//! runs it as one transaction.

use async_trait::async_trait;

use crate::UnixTime;
use crate::secret::TokenHash;
use crate::store::StoreError;

use super::model::{
    AccessTokenInfo, AuthorizationRequest, NewTokens, OAuthClient, RefreshTokenRecord, Rotation,
    TokenFamily,
};

#[async_trait]
pub trait OAuthStore: Send + Sync {
    async fn create_client(&self, client: &OAuthClient) -> Result<(), StoreError>;
    async fn client(&self, client_id: &str) -> Result<Option<OAuthClient>, StoreError>;
    async fn list_clients(&self) -> Result<Vec<OAuthClient>, StoreError>;
    /// Deletes the client and everything issued to it. Returns whether it existed.
    async fn delete_client(&self, client_id: &str) -> Result<bool, StoreError>;
    /// Replaces the secret hash. Returns whether the client exists.
    async fn set_client_secret(
        &self,
        client_id: &str,
        secret_hash: &TokenHash,
    ) -> Result<bool, StoreError>;

    /// The key that seals grace-period successors, shared by every node on the database:
    /// stores `candidate` if there is no key yet, and returns the stored key.
    async fn sealing_key(&self, candidate: &[u8; 32]) -> Result<[u8; 32], StoreError>;

    /// Inserts a new family and its first tokens, in one transaction.
    async fn issue_family(
        &self,
        family: &TokenFamily,
        tokens: &NewTokens,
    ) -> Result<(), StoreError>;

    /// Marks the Active refresh token `rotation.old_hash` Used (recording the sealed successor),
    /// revokes the access token issued with it, and inserts the new tokens into the same
    /// family, in one transaction. `NotLive` when the old token is not Active and unexpired at
    /// `now`, so of N concurrent refreshes exactly one wins.
    async fn rotate_refresh_token(
        &self,
        rotation: &Rotation,
        now: UnixTime,
    ) -> Result<(), StoreError>;

    async fn refresh_token(
        &self,
        hash: &TokenHash,
    ) -> Result<Option<RefreshTokenRecord>, StoreError>;
    async fn access_token(&self, hash: &TokenHash) -> Result<Option<AccessTokenInfo>, StoreError>;

    /// Revokes the family and every token in it; records an audit event with `reason`.
    /// Returns whether it was live.
    async fn revoke_family(
        &self,
        family_id: &str,
        reason: &str,
        now: UnixTime,
    ) -> Result<bool, StoreError>;
    /// Revokes one access token (idempotent).
    async fn revoke_oauth_access_token(
        &self,
        hash: &TokenHash,
        now: UnixTime,
    ) -> Result<(), StoreError>;
    /// Revokes every live family of a client, or of a subject; returns how many.
    async fn revoke_families_of_client(
        &self,
        client_id: &str,
        now: UnixTime,
    ) -> Result<u64, StoreError>;
    async fn revoke_families_of_subject(
        &self,
        subject: &str,
        now: UnixTime,
    ) -> Result<u64, StoreError>;

    async fn create_authorization(&self, request: &AuthorizationRequest) -> Result<(), StoreError>;
    async fn authorization_by_interaction(
        &self,
        interaction_id: &str,
    ) -> Result<Option<AuthorizationRequest>, StoreError>;
    async fn authorization_by_code(
        &self,
        code_hash: &TokenHash,
    ) -> Result<Option<AuthorizationRequest>, StoreError>;
    /// Pending -> Approved for `subject` (`Some`) or Rejected (`None`). `NotLive` unless
    /// Pending.
    async fn decide_authorization(
        &self,
        authorization_id: &str,
        subject: Option<&str>,
        now: UnixTime,
    ) -> Result<(), StoreError>;
    /// Attaches the authorization code to an Approved request that has none yet (the code is
    /// minted when the browser comes back, so its plaintext exists only in that redirect).
    /// `NotLive` otherwise.
    async fn attach_code(
        &self,
        authorization_id: &str,
        code_hash: &TokenHash,
        code_expires_at: UnixTime,
    ) -> Result<(), StoreError>;
    /// Approved -> Issued and the new family with its tokens, in one transaction. `NotLive`
    /// unless Approved (a code is exchanged once).
    async fn exchange_code(
        &self,
        authorization_id: &str,
        family: &TokenFamily,
        tokens: &NewTokens,
    ) -> Result<(), StoreError>;
}
