//! GNAP error responses: `{"error":{"code":"...","description":"..."}}` (RFC 9635 §3.6).

use serde::{Deserialize, Serialize};

/// Every error code Tessera sends on the GNAP side (RFC 9635 §3.6, as Open Payments uses them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GnapErrorCode {
    InvalidRequest,
    InvalidClient,
    InvalidInteraction,
    InvalidRotation,
    InvalidContinuation,
    UserDenied,
    RequestDenied,
    UnknownInteraction,
    TooFast,
}

impl GnapErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            GnapErrorCode::InvalidRequest => "invalid_request",
            GnapErrorCode::InvalidClient => "invalid_client",
            GnapErrorCode::InvalidInteraction => "invalid_interaction",
            GnapErrorCode::InvalidRotation => "invalid_rotation",
            GnapErrorCode::InvalidContinuation => "invalid_continuation",
            GnapErrorCode::UserDenied => "user_denied",
            GnapErrorCode::RequestDenied => "request_denied",
            GnapErrorCode::UnknownInteraction => "unknown_interaction",
            GnapErrorCode::TooFast => "too_fast",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GnapErrorBody {
    pub error: GnapErrorDetail,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GnapErrorDetail {
    pub code: GnapErrorCode,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

impl GnapErrorBody {
    pub fn new(code: GnapErrorCode, description: impl Into<String>) -> Self {
        GnapErrorBody {
            error: GnapErrorDetail {
                code,
                description: Some(description.into()),
            },
        }
    }
}
