//! GNAP errors: one enum that knows its wire code and HTTP status (RFC 9635 §3.6, and the
//! statuses `auth-server.yaml` lists per operation).

use tessera_proto::GnapErrorCode;

use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum GnapError {
    /// The request is malformed or asks for something not allowed (400 `invalid_request`).
    #[error("{0}")]
    InvalidRequest(String),
    /// The client could not be authenticated: signature, key or token (401 `invalid_client`).
    #[error("{0}")]
    InvalidClient(String),
    /// The client's keys could not be obtained from its wallet address (400 `invalid_client`).
    #[error("{0}")]
    UnknownClient(String),
    /// Continuation with an unknown or revoked grant or a wrong continuation token
    /// (401 `invalid_continuation`).
    #[error("{0}")]
    InvalidContinuation(String),
    /// A continuation with an `interact_ref` that is not this grant's (404 `invalid_continuation`).
    #[error("unknown interaction reference")]
    UnknownInteractRef,
    /// An interaction URL that names no interaction (404 `unknown_interaction`).
    #[error("unknown interaction")]
    UnknownInteraction,
    /// The interaction exists but cannot proceed: expired, or already decided
    /// (400 `invalid_interaction`).
    #[error("{0}")]
    InvalidInteraction(String),
    /// A management URL that names no token (404 `invalid_rotation`).
    #[error("unknown token management URL")]
    UnknownToken,
    /// The token exists but can no longer be rotated: revoked or rotated away (400 `invalid_rotation`).
    #[error("{0}")]
    InvalidRotation(String),
    /// The grant cannot be continued in its current state (401 `request_denied`).
    #[error("{0}")]
    RequestDenied(String),
    /// Continued before `wait` seconds passed (400 `too_fast`).
    #[error("continued faster than the wait period")]
    TooFast,
    /// The database cannot be reached (503 `request_denied`); the client may retry.
    #[error("service temporarily unavailable")]
    Unavailable,
    /// A fault on our side (500 `request_denied`). The detail is logged, never sent.
    #[error("internal server error")]
    Internal(String),
}

impl GnapError {
    /// The one place where GNAP errors map to HTTP statuses.
    pub fn status(&self) -> u16 {
        match self {
            GnapError::InvalidRequest(_)
            | GnapError::UnknownClient(_)
            | GnapError::InvalidRotation(_)
            | GnapError::InvalidInteraction(_)
            | GnapError::TooFast => 400,
            GnapError::InvalidClient(_)
            | GnapError::InvalidContinuation(_)
            | GnapError::RequestDenied(_) => 401,
            GnapError::UnknownToken
            | GnapError::UnknownInteractRef
            | GnapError::UnknownInteraction => 404,
            GnapError::Unavailable => 503,
            GnapError::Internal(_) => 500,
        }
    }

    pub fn code(&self) -> GnapErrorCode {
        match self {
            GnapError::InvalidRequest(_) => GnapErrorCode::InvalidRequest,
            GnapError::InvalidClient(_) | GnapError::UnknownClient(_) => {
                GnapErrorCode::InvalidClient
            }
            GnapError::InvalidContinuation(_) | GnapError::UnknownInteractRef => {
                GnapErrorCode::InvalidContinuation
            }
            GnapError::UnknownInteraction => GnapErrorCode::UnknownInteraction,
            GnapError::InvalidInteraction(_) => GnapErrorCode::InvalidInteraction,
            GnapError::UnknownToken | GnapError::InvalidRotation(_) => {
                GnapErrorCode::InvalidRotation
            }
            GnapError::RequestDenied(_) | GnapError::Unavailable | GnapError::Internal(_) => {
                GnapErrorCode::RequestDenied
            }
            GnapError::TooFast => GnapErrorCode::TooFast,
        }
    }
}

impl From<StoreError> for GnapError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Unavailable(_) => GnapError::Unavailable,
            other => GnapError::Internal(other.to_string()),
        }
    }
}
