//! GNAP grant endpoints (RFC 9635 §2, §5): `POST /`, `POST /continue/{id}`, `DELETE /continue/{id}`.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use tessera_proto::grant::{ContinueRequest, ContinueResponse, GrantRequest, GrantResponse};

use crate::app::AppState;
use crate::error::ApiError;
use crate::extract::Signed;

pub async fn request(
    State(app): State<AppState>,
    signed: Signed,
) -> Result<Json<GrantResponse>, ApiError> {
    let body: GrantRequest = signed.json()?;
    Ok(Json(
        app.gnap
            .request_grant(body, signed.client_request(), crate::now())
            .await?,
    ))
}

pub async fn continue_grant(
    State(app): State<AppState>,
    Path(continue_id): Path<String>,
    signed: Signed,
) -> Result<Json<ContinueResponse>, ApiError> {
    let body: ContinueRequest = signed.json_or(ContinueRequest::default())?;
    Ok(Json(
        app.gnap
            .continue_grant(&continue_id, body, signed.client_request(), crate::now())
            .await?,
    ))
}

pub async fn cancel(
    State(app): State<AppState>,
    Path(continue_id): Path<String>,
    signed: Signed,
) -> Result<StatusCode, ApiError> {
    app.gnap
        .cancel_grant(&continue_id, signed.client_request(), crate::now())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
