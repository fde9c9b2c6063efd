//! Per-client request budgets: who pays for a signed request.
//!
//! A signed request is charged to the client that signed it, named by the signature's `keyid`
//! and the client's wallet address (for a directed-identity grant, its public key): the pair the
//! key lookup uses. [`crate::gnap`] charges it before fetching the key and checking the
//! signature, so a client over its budget costs neither a fetch nor a verification. The budget
//! itself (a token bucket and its clock) belongs to the server; this trait only says who pays.

/// How long a client over its budget must wait before its next request is accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryAfter {
    pub secs: u64,
}

pub trait ClientRateLimit: Send + Sync {
    /// Charges one request to `client` (wallet address or directed-identity key) signing with
    /// `key_id`.
    fn charge(&self, client: &str, key_id: &str) -> Result<(), RetryAfter>;
}
