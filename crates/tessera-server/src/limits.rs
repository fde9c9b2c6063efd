//! Request limits every listener applies, each answered with a GNAP JSON error:
//!
//! - the request head (method, URI and headers) is at most [`MAX_HEAD_BYTES`] (431); hyper's
//!   own cap (about 400 KiB, 100 headers) bounds what is buffered before this check runs;
//! - a request, body included, must be served within the configured timeout (503, with
//!   `Retry-After`), so a client that trickles its body cannot hold a task for ever;
//! - bodies are capped by [`crate::extract::MAX_BODY_BYTES`] where they are read (400).

use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tessera_core::GnapError;

use crate::error::ApiError;

/// Largest accepted request head: method, URI, and every header name and value.
pub const MAX_HEAD_BYTES: usize = 16 * 1024;

/// Refuses a request whose head is larger than [`MAX_HEAD_BYTES`].
pub async fn limit_head_size(request: Request, next: Next) -> Response {
    let head = request.method().as_str().len()
        + request.uri().to_string().len()
        + request
            .headers()
            .iter()
            .map(|(name, value)| name.as_str().len() + value.len())
            .sum::<usize>();
    if head > MAX_HEAD_BYTES {
        let mut response = ApiError(GnapError::InvalidRequest(format!(
            "request headers too large (at most {MAX_HEAD_BYTES} bytes)"
        )))
        .into_response();
        *response.status_mut() = StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE;
        return response;
    }
    next.run(request).await
}

/// Answers 503 when the request is not served within `timeout`.
pub async fn limit_duration(
    State(timeout): State<Duration>,
    request: Request,
    next: Next,
) -> Response {
    match tokio::time::timeout(timeout, next.run(request)).await {
        Ok(response) => response,
        Err(_) => {
            tracing::warn!(timeout_secs = timeout.as_secs_f64(), "request timed out");
            ApiError(GnapError::Unavailable).into_response()
        }
    }
}
