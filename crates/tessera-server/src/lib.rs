//! Tessera's HTTP server.
//!
//! Two listeners: the public one serves the GNAP endpoints that clients call (grant request,
//! continuation, token management); the internal one serves what only the operator's own
//! services may reach (token introspection for resource servers, health, metrics). Routes only
//! translate HTTP to calls into [`tessera_core::gnap::Gnap`] and back.

mod app;
mod clock;
mod config;
mod error;
mod extract;
mod jwks;
mod limits;
mod metrics;
mod oauth_http;
mod rate_limit;
pub(crate) mod routes;
mod ssrf;
mod storage;
mod sweeper;

pub use app::{RunningServer, ServerError, start, start_with_store};
pub use clock::now;
pub use config::ServerConfig;
pub use jwks::HttpClientKeys;
pub use rate_limit::RateLimit;
pub use routes::admin_clients::client_json;
pub use storage::{migrate, open_store};
