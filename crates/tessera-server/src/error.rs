//! GNAP errors on the wire: `{"error":{"code","description"}}` with the status the spec lists.
//! Internal faults are logged here and reach the client only as "internal server error".

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tessera_core::GnapError;
use tessera_proto::GnapErrorBody;

/// A [`GnapError`] as an HTTP response.
#[derive(Debug)]
pub struct ApiError(pub GnapError);

impl From<GnapError> for ApiError {
    fn from(e: GnapError) -> Self {
        ApiError(e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status =
            StatusCode::from_u16(self.0.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        match &self.0 {
            GnapError::Internal(detail) => tracing::error!(%detail, "request failed"),
            GnapError::Unavailable => tracing::warn!("database unavailable"),
            other => tracing::debug!(error = %other, "request refused"),
        }
        let body = GnapErrorBody::new(self.0.code(), self.0.to_string());
        let retry_after = match self.0 {
            GnapError::TooManyRequests { retry_after_secs } => Some(retry_after_secs),
            _ if status == StatusCode::SERVICE_UNAVAILABLE => Some(1),
            _ => None,
        };
        let mut response = (status, Json(body)).into_response();
        if let Some(secs) = retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}
