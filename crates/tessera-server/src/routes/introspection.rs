//! Token introspection for resource servers (internal listener; token-introspection.yaml).

use axum::Json;
use axum::extract::State;
use tessera_proto::introspection::{IntrospectionRequest, IntrospectionResponse};

use crate::app::AppState;
use crate::error::ApiError;
use crate::extract::JsonBody;

pub async fn introspect(
    State(app): State<AppState>,
    JsonBody(request): JsonBody<IntrospectionRequest>,
) -> Result<Json<IntrospectionResponse>, ApiError> {
    Ok(Json(app.gnap.introspect(request, crate::now()).await?))
}
