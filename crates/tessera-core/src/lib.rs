//! Tessera's domain: grants, access tokens and the rules of their lifecycle.
//!
//! Nothing here performs I/O. The current time is passed in as [`UnixTime`], storage is the
//! [`store::Store`] trait (one implementation per database), client keys come through
//! [`keys::ClientKeys`] (the server implements it with an HTTP fetch of `jwks.json`), and token
//! values come from a [`secret::TokenMinter`]. Every change to tokens is one `Store` method, so
//! each backend must run it as one transaction.

pub mod access;
pub mod audit;
pub mod error;
pub mod gnap;
pub mod grant;
pub mod keys;
pub mod oauth;
pub mod secret;
pub mod store;
pub mod time;
pub mod token;

pub use error::GnapError;
pub use time::UnixTime;
