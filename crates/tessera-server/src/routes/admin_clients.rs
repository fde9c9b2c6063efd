//! The OAuth client registry and bulk revocation on the internal listener (same bearer token
//! as the IdP API).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};
use tessera_core::oauth::{NewClient, OAuthClient, OAuthError};

use crate::app::AppState;
use crate::oauth_http::{OAuthApiError, no_store};
use crate::routes::admin::{AdminError, authorize};

#[derive(Deserialize)]
pub struct CreateClient {
    name: String,
    #[serde(default = "confidential")]
    kind: String,
    #[serde(default)]
    redirect_uris: Vec<String>,
    grant_types: Vec<String>,
    #[serde(default)]
    scope: String,
    #[serde(default)]
    may_introspect: bool,
}

fn confidential() -> String {
    "confidential".into()
}

/// A refused registry call: admin authentication or an OAuth error.
pub enum RegistryError {
    Admin(AdminError),
    OAuth(OAuthError),
}

impl From<AdminError> for RegistryError {
    fn from(e: AdminError) -> Self {
        RegistryError::Admin(e)
    }
}

impl From<OAuthError> for RegistryError {
    fn from(e: OAuthError) -> Self {
        RegistryError::OAuth(e)
    }
}

impl IntoResponse for RegistryError {
    fn into_response(self) -> Response {
        match self {
            RegistryError::Admin(e) => e.into_response(),
            RegistryError::OAuth(e) => OAuthApiError(e).into_response(),
        }
    }
}

/// A client as the registry shows it (never with its secret hash).
pub fn client_json(c: &OAuthClient) -> Value {
    json!({
        "client_id": c.id,
        "name": c.name,
        "kind": c.kind.as_str(),
        "redirect_uris": c.redirect_uris,
        "grant_types": c.grant_types.iter().map(|g| g.as_str()).collect::<Vec<_>>(),
        "scope": c.scope.to_string(),
        "may_introspect": c.may_introspect,
        "created_at": c.created_at.0,
    })
}

pub async fn create(
    State(app): State<AppState>,
    headers: HeaderMap,
    Json(body): Json<CreateClient>,
) -> Result<Response, RegistryError> {
    authorize(&app, &headers)?;
    let new = NewClient::from_fields(
        body.name,
        &body.kind,
        body.redirect_uris,
        &body.grant_types,
        &body.scope,
        body.may_introspect,
    )?;
    let registered = app.oauth.register_client(new, crate::now()).await?;
    let mut out = client_json(&registered.client);
    if let Some(secret) = registered.secret {
        out["client_secret"] = json!(secret);
    }
    Ok((StatusCode::CREATED, no_store(), Json(out)).into_response())
}

pub async fn list(
    State(app): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<Value>, RegistryError> {
    authorize(&app, &headers)?;
    let clients = app.oauth.clients().await?;
    Ok(Json(
        json!({ "clients": clients.iter().map(client_json).collect::<Vec<_>>() }),
    ))
}

pub async fn delete(
    State(app): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<StatusCode, RegistryError> {
    authorize(&app, &headers)?;
    if app.oauth.delete_client(&id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(OAuthError::InvalidRequest("unknown client".into()).into())
    }
}

pub async fn rotate_secret(
    State(app): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, RegistryError> {
    authorize(&app, &headers)?;
    match app.oauth.rotate_client_secret(&id).await? {
        Some(secret) => Ok((
            StatusCode::OK,
            no_store(),
            Json(json!({ "client_id": id, "client_secret": secret })),
        )
            .into_response()),
        None => Err(OAuthError::InvalidRequest("unknown client".into()).into()),
    }
}

#[derive(Deserialize)]
pub struct RevokeAll {
    client_id: Option<String>,
    subject: Option<String>,
}

/// Revokes everything issued to a client, or for a subject.
pub async fn revoke_all(
    State(app): State<AppState>,
    headers: HeaderMap,
    Json(body): Json<RevokeAll>,
) -> Result<Json<Value>, RegistryError> {
    authorize(&app, &headers)?;
    let now = crate::now();
    let revoked = match (body.client_id, body.subject) {
        (Some(client), None) => app.oauth.revoke_all_of_client(&client, now).await?,
        (None, Some(subject)) => app.oauth.revoke_all_of_subject(&subject, now).await?,
        _ => {
            return Err(OAuthError::InvalidRequest(
                "give exactly one of client_id or subject".into(),
            )
            .into());
        }
    };
    Ok(Json(json!({ "revoked_authorizations": revoked })))
}
