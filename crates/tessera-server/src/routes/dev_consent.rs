//! `--dev-consent`: a built-in consent page that plays the identity provider, so a newcomer can
//! click through an interactive grant with no IdP. For development and demos only: anyone who
//! opens the interaction in a browser can approve it.
//!
//! The decision form only works in the browser that started the interaction (the interaction
//! cookie must match), so a forged cross-site form cannot approve someone else's grant.

use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;
use tessera_core::GnapError;
use tessera_core::grant::Decision;

use crate::app::AppState;
use crate::error::ApiError;
use crate::routes::admin::parse_choice;
use crate::routes::interaction::{interaction_cookie, oauth_interaction_error};
use crate::routes::oauth::html_escape as escape;

/// The resource owner the development page consents as, for OAuth requests.
pub const DEV_SUBJECT: &str = "dev-user";

#[derive(Deserialize)]
pub struct PageQuery {
    #[serde(rename = "interactId")]
    interact_id: String,
    nonce: String,
}

pub async fn page(
    State(app): State<AppState>,
    Query(query): Query<PageQuery>,
) -> Result<Html<String>, ApiError> {
    let (who, access) = match app
        .gnap
        .interaction_details(&query.interact_id, &query.nonce)
        .await
    {
        Ok(d) => (
            match &d.client_name {
                Some(name) => format!("{} ({})", escape(name), escape(&d.client_wallet_address)),
                None => escape(&d.client_wallet_address),
            },
            serde_json::to_string_pretty(&d.access).unwrap_or_default(),
        ),
        Err(GnapError::UnknownInteraction) => {
            let o = app
                .oauth
                .oauth_interaction(&query.interact_id, &query.nonce)
                .await
                .map_err(|e| ApiError(oauth_interaction_error(e)))?
                .ok_or(ApiError(GnapError::UnknownInteraction))?;
            (
                format!(
                    "{} (OAuth client {})",
                    escape(&o.client_name),
                    escape(&o.client_id)
                ),
                format!("scope: {}", o.scope),
            )
        }
        Err(e) => return Err(ApiError(e)),
    };
    let action = format!(
        "/dev-consent/{}/{}",
        escape(&query.interact_id),
        escape(&query.nonce)
    );
    Ok(Html(format!(
        r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Tessera: approve access?</title>
<style>body{{font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem}}
pre{{background:#f4f4f4;padding:1rem;overflow:auto}}button{{font-size:1rem;padding:.5rem 1.5rem;margin-right:1rem}}</style></head>
<body>
<p><small>Tessera development consent page: not for production.</small></p>
<h1>Approve access?</h1>
<p><strong id="client">{who}</strong> asks for:</p>
<pre id="access">{access}</pre>
<form method="post" action="{action}/accept"><button id="accept" type="submit">Approve</button></form>
<form method="post" action="{action}/reject"><button id="reject" type="submit">Decline</button></form>
</body></html>"#,
        access = escape(&access),
    )))
}

pub async fn decide(
    State(app): State<AppState>,
    Path((id, nonce, choice)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    if interaction_cookie(&headers).as_deref() != Some(id.as_str()) {
        return Err(ApiError(GnapError::InvalidInteraction(
            "invalid session: decide in the browser that started the interaction".into(),
        )));
    }
    let decision = parse_choice(&choice)?;
    match app
        .gnap
        .decide_interaction(&id, &nonce, decision, crate::now())
        .await
    {
        Err(GnapError::UnknownInteraction) => {
            // An OAuth request: the development page consents as a fixed test user.
            let subject = (decision == Decision::Accept).then_some(DEV_SUBJECT);
            app.oauth
                .decide_oauth_interaction(&id, &nonce, subject, crate::now())
                .await
                .map_err(|e| ApiError(oauth_interaction_error(e)))?
                .ok_or(ApiError(GnapError::UnknownInteraction))?;
        }
        other => other?,
    }
    Ok(Redirect::to(&format!("/interact/{id}/{nonce}/finish")).into_response())
}
