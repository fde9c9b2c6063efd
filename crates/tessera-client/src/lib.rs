//! Tessera client SDK: GNAP (RFC 9635, as profiled by Open Payments) requests signed with HTTP
//! Message Signatures, and a [`TokenKeeper`] that keeps an access token fresh.
//!
//! ```no_run
//! # async fn run() -> Result<(), tessera_client::ClientError> {
//! use tessera_client::{AuthenticatedClient, ClientConfig, PrivateKey};
//! use tessera_proto::access::{AccessItem, IncomingPaymentAction};
//! use tessera_proto::grant::GrantResponse;
//!
//! let client = AuthenticatedClient::new(ClientConfig::new(
//!     "https://wallet.example/alice",
//!     PrivateKey::Path("alice.pem".into()),
//!     "alice-key",
//! ))?;
//! let request = client.grant_request(vec![AccessItem::IncomingPayment {
//!     actions: vec![IncomingPaymentAction::Create, IncomingPaymentAction::Read],
//!     identifier: None,
//! }]);
//! if let GrantResponse::Approved { access_token, .. } =
//!     client.grant().request("https://auth.example/", &request).await?
//! {
//!     let rotated = client.token().rotate(&access_token.manage, &access_token.value).await?;
//!     let token = rotated.access_token;
//!     client.token().revoke(&token.manage, Some(&token.value)).await?;
//! }
//! # Ok(()) }
//! ```
//!
//! Why the requests look the way they do: every request is signed exactly as the official JS
//! client `@interledger/open-payments` signs it (`tessera_httpsig::SignatureStyle::Js`, the RFC
//! 9421 conformant form), with the same default headers, so any server that accepts the JS
//! client accepts this one. Responses are held to the statuses the Open Payments spec lists
//! (200 for the POSTs, 204 for the DELETEs), like the JS client's response validation.
//!
//! This crate depends on the wire types (`tessera-proto`), the signer (`tessera-httpsig`) and
//! `reqwest`, never on the server.
//!
//! Layout: [`client`] holds the client and the signed request plumbing, [`grant`] and [`token`]
//! the GNAP endpoints, [`keeper`] the token keeper, [`error`] the error type.

pub mod client;
pub mod error;
pub mod grant;
pub mod keeper;
pub mod oauth;
pub mod token;

pub use client::{AuthenticatedClient, ClientConfig, PrivateKey};
pub use error::ClientError;
pub use keeper::{KeptToken, TokenKeeper};
pub use oauth::{OAuthClient, OAuthClientError};
