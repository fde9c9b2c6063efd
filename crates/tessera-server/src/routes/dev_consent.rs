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

use crate::app::AppState;
use crate::error::ApiError;
use crate::routes::admin::parse_choice;
use crate::routes::interaction::interaction_cookie;

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
    let d = app
        .gnap
        .interaction_details(&query.interact_id, &query.nonce)
        .await?;
    let who = match &d.client_name {
        Some(name) => format!("{} ({})", escape(name), escape(&d.client_wallet_address)),
        None => escape(&d.client_wallet_address),
    };
    let access = serde_json::to_string_pretty(&d.access).unwrap_or_default();
    let action = format!(
        "/dev-consent/{}/{}",
        escape(&d.interaction_id),
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
    app.gnap
        .decide_interaction(&id, &nonce, parse_choice(&choice)?, crate::now())
        .await?;
    Ok(Redirect::to(&format!("/interact/{id}/{nonce}/finish")).into_response())
}

/// HTML text escaping for the few values the page shows.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}
