//! The account holder's browser: `GET /interact/{id}/{nonce}` starts the consent step and sends
//! the browser to the consent page; `GET /interact/{id}/{nonce}/finish` sends it back to the
//! client.
//!
//! Starting sets a cookie naming the interaction, and finishing requires it, so an interaction
//! can only be finished in the browser that started it: a leaked finish link alone does not
//! deliver an `interact_ref` to someone else.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use tessera_core::GnapError;
use tessera_core::gnap::{FinishOutcome, StartOutcome};

use crate::app::AppState;
use crate::error::ApiError;

pub(crate) const COOKIE: &str = "tessera_interaction";

pub async fn start(
    State(app): State<AppState>,
    Path((id, nonce)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let Some(consent_url) = app.consent.consent_url.as_deref() else {
        return Err(ApiError(GnapError::InvalidInteraction(
            "this server has no consent provider configured".into(),
        )));
    };
    let details = match app
        .gnap
        .start_interaction(&id, &nonce, crate::now())
        .await?
    {
        StartOutcome::Redirect(url) => return Ok(Redirect::to(&url).into_response()),
        StartOutcome::Consent(details) => details,
    };
    let mut target = url::Url::parse(consent_url)
        .map_err(|_| ApiError(GnapError::Internal("the consent URL does not parse".into())))?;
    target
        .query_pairs_mut()
        .append_pair("interactId", &details.interaction_id)
        .append_pair("nonce", &nonce)
        .append_pair(
            "clientName",
            details
                .client_name
                .as_deref()
                .unwrap_or(&details.client_wallet_address),
        )
        .append_pair("clientUri", &details.client_wallet_address);
    let mut response = Redirect::to(target.as_str()).into_response();
    if let Some(cookie) = interaction_cookie_header(&app, &details.interaction_id) {
        response.headers_mut().insert(header::SET_COOKIE, cookie);
    }
    Ok(response)
}

/// The `Set-Cookie` value that binds an interaction to this browser.
pub(crate) fn interaction_cookie_header(
    app: &AppState,
    interaction_id: &str,
) -> Option<HeaderValue> {
    let cookie = format!(
        "{COOKIE}={interaction_id}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{}",
        app.consent.interaction_ttl_secs,
        if app.consent.secure_cookies {
            "; Secure"
        } else {
            ""
        }
    );
    HeaderValue::from_str(&cookie).ok()
}

pub async fn finish(
    State(app): State<AppState>,
    Path((id, nonce)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    if interaction_cookie(&headers).as_deref() != Some(id.as_str()) {
        return Err(ApiError(GnapError::InvalidInteraction(
            "invalid session: finish the interaction in the browser that started it".into(),
        )));
    }
    let outcome = match app.gnap.finish_interaction(&id, &nonce, crate::now()).await {
        // Not a GNAP interaction: perhaps an OAuth authorization request.
        Err(GnapError::UnknownInteraction) => {
            return match app
                .oauth
                .finish_oauth_interaction(&id, &nonce, crate::now())
                .await
            {
                Ok(Some(url)) => Ok(Redirect::to(&url).into_response()),
                Ok(None) => Err(ApiError(GnapError::UnknownInteraction)),
                Err(e) => Err(ApiError(oauth_interaction_error(e))),
            };
        }
        other => other?,
    };
    match outcome {
        FinishOutcome::Redirect(url) => Ok(Redirect::to(&url).into_response()),
        FinishOutcome::Done { approved } => {
            let message = if approved {
                "You approved the request. You can return to the application."
            } else {
                "You declined the request. You can return to the application."
            };
            Ok((
                StatusCode::OK,
                Html(format!(
                    "<!doctype html><title>Tessera</title><p>{message}</p>"
                )),
            )
                .into_response())
        }
    }
}

/// The interaction id from the `Cookie` header. Parsed by hand: one cookie of our own, set by
/// us, needs a split, not a cookie-jar crate.
pub(crate) fn interaction_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value.to_owned())
}

/// An OAuth error met during the shared consent step, in the consent API's (GNAP) format.
pub(crate) fn oauth_interaction_error(e: tessera_core::oauth::OAuthError) -> GnapError {
    use tessera_core::oauth::OAuthError;
    match e {
        OAuthError::Unavailable => GnapError::Unavailable,
        OAuthError::Internal(detail) => GnapError::Internal(detail),
        other => GnapError::InvalidInteraction(other.to_string()),
    }
}
