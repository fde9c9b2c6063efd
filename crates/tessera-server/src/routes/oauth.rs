//! OAuth 2.0 endpoints: token (RFC 6749), revocation (RFC 7009), introspection (RFC 7662),
//! authorization (code + PKCE), metadata (RFC 8414).

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;
use tessera_core::oauth::{AuthorizeOutcome, AuthorizeParams};
use tessera_proto::oauth::ServerMetadata;

use crate::app::AppState;
use crate::oauth_http::{OAuthApiError, client_credentials, no_store, parse_form};
use crate::routes::interaction::interaction_cookie_header;

pub async fn token(
    State(app): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, OAuthApiError> {
    let params = parse_form(&headers, &body)?;
    let credentials = client_credentials(&headers, &params);
    let issued = app.oauth.token(&params, &credentials, crate::now()).await?;
    let mut response = (StatusCode::OK, no_store(), issued.0).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    Ok(response)
}

pub async fn revoke(
    State(app): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, OAuthApiError> {
    let params = parse_form(&headers, &body)?;
    let credentials = client_credentials(&headers, &params);
    app.oauth
        .revoke(
            params.get("token").map(String::as_str),
            params.get("token_type_hint").map(String::as_str),
            &credentials,
            crate::now(),
        )
        .await?;
    Ok((StatusCode::OK, no_store()).into_response())
}

pub async fn introspect(
    State(app): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, OAuthApiError> {
    let params = parse_form(&headers, &body)?;
    let credentials = client_credentials(&headers, &params);
    let answer = app
        .oauth
        .introspect(
            params.get("token").map(String::as_str),
            &credentials,
            crate::now(),
        )
        .await?;
    Ok((StatusCode::OK, no_store(), Json(answer)).into_response())
}

#[derive(Deserialize)]
pub struct AuthorizeQuery {
    response_type: Option<String>,
    client_id: Option<String>,
    redirect_uri: Option<String>,
    scope: Option<String>,
    state: Option<String>,
    code_challenge: Option<String>,
    code_challenge_method: Option<String>,
}

pub async fn authorize(State(app): State<AppState>, Query(q): Query<AuthorizeQuery>) -> Response {
    let params = AuthorizeParams {
        response_type: q.response_type,
        client_id: q.client_id,
        redirect_uri: q.redirect_uri,
        scope: q.scope,
        state: q.state,
        code_challenge: q.code_challenge,
        code_challenge_method: q.code_challenge_method,
    };
    match app.oauth.authorize(params, crate::now()).await {
        Ok(AuthorizeOutcome::Redirect(url)) => Redirect::to(&url).into_response(),
        Ok(AuthorizeOutcome::Consent(interaction)) => {
            let Some(consent_url) = app.consent.consent_url.as_deref() else {
                return OAuthApiError(tessera_core::oauth::OAuthError::Internal(
                    "consent enabled without a consent URL".into(),
                ))
                .into_response();
            };
            let Ok(mut target) = url::Url::parse(consent_url) else {
                return OAuthApiError(tessera_core::oauth::OAuthError::Internal(
                    "the consent URL does not parse".into(),
                ))
                .into_response();
            };
            target
                .query_pairs_mut()
                .append_pair("interactId", &interaction.interaction_id)
                .append_pair("nonce", &interaction.nonce)
                .append_pair("clientName", &interaction.client_name)
                .append_pair("clientId", &interaction.client_id);
            let mut response = Redirect::to(target.as_str()).into_response();
            if let Some(cookie) = interaction_cookie_header(&app, &interaction.interaction_id) {
                response.headers_mut().insert(header::SET_COOKIE, cookie);
            }
            response
        }
        // Errors about the client or redirect URI are shown, never redirected (§4.1.2.1).
        Err(e) => {
            let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::BAD_REQUEST);
            (
                status,
                Html(format!(
                    "<!doctype html><title>Tessera</title><h1>Authorization request refused</h1><p>{}: {}</p>",
                    e.code().as_str(),
                    html_escape(&e.to_string())
                )),
            )
                .into_response()
        }
    }
}

pub async fn metadata(State(app): State<AppState>) -> Json<ServerMetadata> {
    let base = &app.public_url;
    let methods = || {
        vec![
            "client_secret_basic".to_owned(),
            "client_secret_post".to_owned(),
        ]
    };
    Json(ServerMetadata {
        issuer: base.to_string(),
        authorization_endpoint: format!("{base}/oauth2/authorize"),
        token_endpoint: format!("{base}/oauth2/token"),
        revocation_endpoint: format!("{base}/oauth2/revoke"),
        introspection_endpoint: format!("{base}/oauth2/introspect"),
        grant_types_supported: ["authorization_code", "client_credentials", "refresh_token"]
            .map(String::from)
            .to_vec(),
        response_types_supported: vec!["code".into()],
        token_endpoint_auth_methods_supported: {
            let mut m = methods();
            m.push("none".into());
            m
        },
        revocation_endpoint_auth_methods_supported: methods(),
        introspection_endpoint_auth_methods_supported: methods(),
        code_challenge_methods_supported: vec!["S256".into()],
        scopes_supported: Vec::new(),
    })
}

pub(crate) fn html_escape(text: &str) -> String {
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
