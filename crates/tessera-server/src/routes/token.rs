//! GNAP token management (RFC 9635 §6): `POST /token/{id}` rotates, `DELETE /token/{id}` revokes.
//! Any request body is ignored (the official clients send none); if one is sent, the signature
//! must still cover its digest.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use tessera_proto::grant::RotateResponse;

use crate::app::AppState;
use crate::error::ApiError;
use crate::extract::Signed;

pub async fn rotate(
    State(app): State<AppState>,
    Path(manage_id): Path<String>,
    signed: Signed,
) -> Result<Json<RotateResponse>, ApiError> {
    Ok(Json(
        app.gnap
            .rotate_token(&manage_id, signed.client_request(), crate::now())
            .await?,
    ))
}

pub async fn revoke(
    State(app): State<AppState>,
    Path(manage_id): Path<String>,
    signed: Signed,
) -> Result<StatusCode, ApiError> {
    app.gnap
        .revoke_token(&manage_id, signed.client_request(), crate::now())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
