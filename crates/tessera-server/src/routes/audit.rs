//! `GET /audit?after=&limit=` on the internal listener (admin bearer token): the audit trail of
//! issues, rotations, revocations and detected reuse, oldest first.

use axum::Json;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use serde::Deserialize;
use serde_json::{Value, json};
use tessera_core::GnapError;

use crate::app::AppState;
use crate::routes::admin::{AdminError, authorize};

#[derive(Deserialize)]
pub struct AuditQuery {
    #[serde(default)]
    after: i64,
    limit: Option<u32>,
}

const MAX_PAGE: u32 = 1_000;

pub async fn events(
    State(app): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<AuditQuery>,
) -> Result<Json<Value>, AdminError> {
    authorize(&app, &headers)?;
    let limit = query.limit.unwrap_or(100).clamp(1, MAX_PAGE);
    let events = app
        .audit
        .audit_events(query.after, limit)
        .await
        .map_err(GnapError::from)?;
    let next = events.last().map(|e| e.id);
    Ok(Json(json!({
        "events": events.iter().map(|e| json!({
            "id": e.id,
            "at": e.at.0,
            "kind": e.kind,
            "protocol": e.protocol,
            "client": e.client,
            "subject": e.subject,
            "reference": e.reference,
        })).collect::<Vec<_>>(),
        "next_after": next,
    })))
}
