//! OAuth errors (RFC 6749 §5.2): one enum that knows its wire code and HTTP status.

use tessera_proto::oauth::OAuthErrorCode;

use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum OAuthError {
    #[error("{0}")]
    InvalidRequest(String),
    /// Client authentication failed. `basic` says it was attempted with HTTP Basic, which
    /// must be answered 401 with `WWW-Authenticate` (RFC 6749 §5.2).
    #[error("{message}")]
    InvalidClient { message: String, basic: bool },
    #[error("{0}")]
    InvalidGrant(String),
    #[error("{0}")]
    UnauthorizedClient(String),
    #[error("{0}")]
    UnsupportedGrantType(String),
    #[error("{0}")]
    InvalidScope(String),
    #[error("{0}")]
    AccessDenied(String),
    #[error("{0}")]
    UnsupportedResponseType(String),
    #[error("service temporarily unavailable")]
    Unavailable,
    /// Logged, never sent.
    #[error("internal server error")]
    Internal(String),
}

impl OAuthError {
    pub fn invalid_client(message: impl Into<String>, basic: bool) -> Self {
        OAuthError::InvalidClient {
            message: message.into(),
            basic,
        }
    }

    pub fn status(&self) -> u16 {
        match self {
            OAuthError::InvalidClient { .. } => 401,
            OAuthError::AccessDenied(_) => 403,
            OAuthError::Unavailable => 503,
            OAuthError::Internal(_) => 500,
            _ => 400,
        }
    }

    pub fn code(&self) -> OAuthErrorCode {
        match self {
            OAuthError::InvalidRequest(_) => OAuthErrorCode::InvalidRequest,
            OAuthError::InvalidClient { .. } => OAuthErrorCode::InvalidClient,
            OAuthError::InvalidGrant(_) => OAuthErrorCode::InvalidGrant,
            OAuthError::UnauthorizedClient(_) => OAuthErrorCode::UnauthorizedClient,
            OAuthError::UnsupportedGrantType(_) => OAuthErrorCode::UnsupportedGrantType,
            OAuthError::InvalidScope(_) => OAuthErrorCode::InvalidScope,
            OAuthError::AccessDenied(_) => OAuthErrorCode::AccessDenied,
            OAuthError::UnsupportedResponseType(_) => OAuthErrorCode::UnsupportedResponseType,
            OAuthError::Unavailable => OAuthErrorCode::TemporarilyUnavailable,
            OAuthError::Internal(_) => OAuthErrorCode::ServerError,
        }
    }

    /// Whether the response must carry `WWW-Authenticate: Basic`.
    pub fn wants_basic_challenge(&self) -> bool {
        matches!(self, OAuthError::InvalidClient { basic: true, .. })
    }
}

impl From<StoreError> for OAuthError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Unavailable(_) => OAuthError::Unavailable,
            other => OAuthError::Internal(other.to_string()),
        }
    }
}
