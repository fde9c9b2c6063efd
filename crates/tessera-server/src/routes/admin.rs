//! The identity provider's API on the internal listener: read an interaction, accept or reject
//! it. Every call needs `Authorization: Bearer $TESSERA_ADMIN_TOKEN`; without a configured token
//! the API refuses everything.

use crate::routes::interaction::oauth_interaction_error;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use tessera_core::GnapError;
use tessera_core::grant::Decision;
use tessera_core::secret::constant_time_eq;

use crate::app::AppState;
use crate::error::ApiError;

pub async fn interaction_details(
    State(app): State<AppState>,
    Path((id, nonce)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Json<Value>, AdminError> {
    authorize(&app, &headers)?;
    let d = match app.gnap.interaction_details(&id, &nonce).await {
        Err(GnapError::UnknownInteraction) => {
            let o = app
                .oauth
                .oauth_interaction(&id, &nonce)
                .await
                .map_err(oauth_interaction_error)?
                .ok_or(GnapError::UnknownInteraction)?;
            return Ok(Json(json!({
                "interactId": o.interaction_id,
                "protocol": "oauth",
                "state": o.state,
                "scope": o.scope.to_string(),
                "client": { "id": o.client_id, "name": o.client_name },
                "expiresAt": o.expires_at.0,
            })));
        }
        other => other?,
    };
    Ok(Json(json!({
        "protocol": "gnap",
        "interactId": d.interaction_id,
        "grantId": d.grant_id,
        "state": d.state,
        "access": d.access,
        "client": { "walletAddress": d.client_wallet_address, "name": d.client_name },
        "expiresAt": d.expires_at.0,
    })))
}

pub async fn decide(
    State(app): State<AppState>,
    Path((id, nonce, choice)): Path<(String, String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<StatusCode, AdminError> {
    authorize(&app, &headers)?;
    let decision = parse_choice(&choice)?;
    match app
        .gnap
        .decide_interaction(&id, &nonce, decision, crate::now())
        .await
    {
        Err(GnapError::UnknownInteraction) => {
            // An OAuth request? Accepting one names the resource owner, `{"subject": "..."}`.
            app.oauth
                .oauth_interaction(&id, &nonce)
                .await
                .map_err(oauth_interaction_error)?
                .ok_or(GnapError::UnknownInteraction)?;
            let subject = match decision {
                Decision::Reject => None,
                Decision::Accept => Some(subject_of(&body)?),
            };
            app.oauth
                .decide_oauth_interaction(&id, &nonce, subject.as_deref(), crate::now())
                .await
                .map_err(oauth_interaction_error)?
                .ok_or(GnapError::UnknownInteraction)?;
        }
        other => other?,
    }
    Ok(StatusCode::ACCEPTED)
}

/// The `subject` of an accept body, required for OAuth requests.
fn subject_of(body: &[u8]) -> Result<String, GnapError> {
    #[derive(serde::Deserialize)]
    struct Accept {
        subject: String,
    }
    serde_json::from_slice::<Accept>(body)
        .map(|a| a.subject)
        .map_err(|_| {
            GnapError::InvalidRequest(
                "accepting an OAuth request needs a JSON body {\"subject\": \"<resource owner>\"}"
                    .into(),
            )
        })
}

pub(crate) fn parse_choice(choice: &str) -> Result<Decision, GnapError> {
    match choice {
        "accept" => Ok(Decision::Accept),
        "reject" => Ok(Decision::Reject),
        _ => Err(GnapError::InvalidRequest(
            "invalid interaction choice: use accept or reject".into(),
        )),
    }
}

/// A refused admin call: a missing or wrong bearer token, or a domain error.
pub enum AdminError {
    Unauthorized(&'static str),
    Gnap(GnapError),
}

impl From<GnapError> for AdminError {
    fn from(e: GnapError) -> Self {
        AdminError::Gnap(e)
    }
}

impl IntoResponse for AdminError {
    fn into_response(self) -> Response {
        match self {
            AdminError::Gnap(e) => ApiError(e).into_response(),
            AdminError::Unauthorized(reason) => {
                let mut response =
                    ApiError(GnapError::InvalidClient(reason.into())).into_response();
                response.headers_mut().insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Bearer realm=\"tessera-admin\""),
                );
                response
            }
        }
    }
}

/// Checks the bearer token in constant time.
pub(crate) fn authorize(app: &AppState, headers: &HeaderMap) -> Result<(), AdminError> {
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    match (&app.consent.admin_token, presented) {
        (Some(expected), Some(presented)) if constant_time_eq(expected, presented) => Ok(()),
        (None, _) => Err(AdminError::Unauthorized(
            "the admin API is disabled: set TESSERA_ADMIN_TOKEN",
        )),
        _ => Err(AdminError::Unauthorized(
            "missing or wrong admin bearer token",
        )),
    }
}
