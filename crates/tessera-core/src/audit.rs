//! The audit trail: every issue, rotation, revocation and detected reuse, with who (client,
//! subject), when, and which grant or token family. Backends write the event in the same
//! transaction as the change it records, so the trail cannot miss a committed change.

use async_trait::async_trait;

use crate::UnixTime;
use crate::store::StoreError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEvent {
    /// Increasing; page with `after`.
    pub id: i64,
    pub at: UnixTime,
    /// e.g. `grant_issued`, `token_rotated`, `token_revoked`, `grant_revoked`,
    /// `refresh_token_reuse`.
    pub kind: String,
    /// `gnap` or `oauth`.
    pub protocol: String,
    /// The client: wallet address (GNAP) or client id (OAuth).
    pub client: Option<String>,
    /// The resource owner, when known.
    pub subject: Option<String>,
    /// The grant id (GNAP) or token family id (OAuth).
    pub reference: Option<String>,
}

#[async_trait]
pub trait AuditStore: Send + Sync {
    /// Events with `id > after`, oldest first, at most `limit`.
    async fn audit_events(&self, after: i64, limit: u32) -> Result<Vec<AuditEvent>, StoreError>;
}
