//! Wire types for Tessera's GNAP side, exactly as the Open Payments OpenAPI documents describe them
//! (`shared/specs/auth-server.yaml`, `token-introspection.yaml`, `wallet-address-server.yaml`).
//!
//! This crate holds data shapes only: no validation beyond what serde does, no I/O. Optional fields
//! are never serialised as `null` (the official JS client validates responses and rejects `null`),
//! and explicit `null` in requests is read as "absent" (the Rust SDK sends `"finish": null`).

pub mod access;
pub mod error;
pub mod grant;
pub mod introspection;
pub mod jwk;
pub mod oauth;

pub use access::{AccessItem, Amount, OutgoingPaymentLimits};
pub use error::{GnapErrorBody, GnapErrorCode};
pub use jwk::{Jwk, JwkSet};
