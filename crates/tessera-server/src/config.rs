//! Server configuration as one typed value. Only the binary reads flags and the environment.

use std::net::SocketAddr;
use std::time::Duration;

use crate::rate_limit::RateLimit;

#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Public listener: the GNAP endpoints.
    pub listen: SocketAddr,
    /// Internal listener: introspection, health, metrics.
    pub internal_listen: SocketAddr,
    /// Base of every `manage` and `continue` URL and of `@target-uri`; defaults to
    /// `http://{listen address}`.
    pub public_url: Option<String>,
    /// `sqlite://path` (created if missing), `sqlite::memory:`, or `postgres://…` (shared by
    /// several nodes).
    pub database_url: String,
    pub access_token_ttl_secs: i64,
    /// Accept `http://` wallet addresses (local development only).
    pub allow_http: bool,
    /// How far a signature's `created` may be from now, either way.
    pub signature_max_skew_secs: i64,
    /// How long expired tokens are kept (for audit, and so an expired token can still be
    /// rotated) before the sweeper deletes them.
    pub expired_token_retention_secs: i64,
    pub sweep_interval: Duration,
    /// How long fetched client keys are trusted before they are fetched again.
    pub client_key_ttl: Duration,
    /// The identity provider's consent page; the browser is sent there with `interactId`,
    /// `nonce`, `clientName` and `clientUri`.
    pub idp_consent_url: Option<String>,
    /// Serve a minimal built-in consent page instead of an IdP (development and demos only).
    pub dev_consent: bool,
    /// Bearer token of the internal IdP/admin API; the API refuses every call without it.
    pub admin_token: Option<String>,
    /// How long the account holder has to decide, in seconds.
    pub interaction_ttl_secs: i64,
    /// The `wait` between polls of a pending grant, in seconds.
    pub continue_wait_secs: i64,
    /// OAuth: absolute lifetime of a refresh-token chain, in seconds.
    pub refresh_token_ttl_secs: i64,
    /// OAuth: a refresh token unused this long expires, in seconds.
    pub refresh_token_idle_secs: i64,
    /// OAuth: within this many seconds of a refresh, the consumed refresh token replays the
    /// same successor instead of revoking the family. 0 = off.
    pub refresh_grace_secs: i64,
    /// Requests each client (signed: `keyid` + wallet address; unsigned: peer IP) may make;
    /// `None` turns rate limiting off.
    pub rate_limit: Option<RateLimit>,
    /// How long one request, body included, may take before it is answered 503.
    pub request_timeout: Duration,
}

impl ServerConfig {
    pub const DEFAULT_ACCESS_TOKEN_TTL_SECS: i64 = 600;

    /// Loopback on ephemeral ports, `http://` wallet addresses allowed.
    pub fn for_tests(database_url: impl Into<String>) -> ServerConfig {
        ServerConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            internal_listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            allow_http: true,
            database_url: database_url.into(),
            ..ServerConfig::default()
        }
    }
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 3000)),
            internal_listen: SocketAddr::from(([127, 0, 0, 1], 3001)),
            public_url: None,
            database_url: "sqlite://tessera.db".into(),
            access_token_ttl_secs: Self::DEFAULT_ACCESS_TOKEN_TTL_SECS,
            allow_http: false,
            signature_max_skew_secs: 300,
            expired_token_retention_secs: 30 * 24 * 3600,
            sweep_interval: Duration::from_secs(60),
            client_key_ttl: Duration::from_secs(300),
            idp_consent_url: None,
            dev_consent: false,
            admin_token: None,
            interaction_ttl_secs: 600,
            continue_wait_secs: 5,
            refresh_token_ttl_secs: 30 * 24 * 3600,
            refresh_token_idle_secs: 14 * 24 * 3600,
            refresh_grace_secs: 0,
            rate_limit: Some(RateLimit::DEFAULT),
            request_timeout: Duration::from_secs(30),
        }
    }
}
