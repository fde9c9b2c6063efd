//! Health, discovery and metrics.

use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use serde_json::{Value, json};

use crate::app::AppState;

pub async fn healthz() -> Json<Value> {
    Json(json!({"status": "ok"}))
}

/// `GET /discovery`: where to send grant requests and which interaction modes exist.
pub async fn discovery(State(app): State<AppState>) -> Json<Value> {
    Json(json!({
        "grant_request_endpoint": format!("{}/", app.public_url),
        "interaction_start_modes_supported":
            if app.consent.consent_url.is_some() { json!(["redirect"]) } else { json!([]) },
        "interaction_finish_modes_supported":
            if app.consent.consent_url.is_some() { json!(["redirect"]) } else { json!([]) },
    }))
}

pub async fn metrics(State(app): State<AppState>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        app.metrics.render(),
    )
}
