//! The OpenAPI documents of both listeners, served as they are committed in `openapi/`:
//! the official Open Payments `auth-server.yaml` (the contract of the public listener, served
//! unchanged so clients and tools check Tessera against the real thing) and `internal.yaml`
//! (introspection, health, metrics, the IdP API), which refers to `auth-server.yaml` for access
//! items and is therefore served beside it.

use axum::http::header;
use axum::response::IntoResponse;

const AUTH_SERVER: &str = include_str!("../../openapi/auth-server.yaml");
const INTERNAL: &str = include_str!("../../openapi/internal.yaml");

/// RFC 9512.
const YAML: &str = "application/yaml";

pub async fn auth_server() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, YAML)], AUTH_SERVER)
}

pub async fn internal() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, YAML)], INTERNAL)
}
