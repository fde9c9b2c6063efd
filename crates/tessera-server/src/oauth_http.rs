//! OAuth on the wire: form bodies with duplicate detection, `Authorization: Basic` client
//! credentials, and the RFC 6749 §5 response headers and error bodies.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use tessera_core::oauth::{ClientCredentials, OAuthError};
use tessera_proto::oauth::OAuthErrorBody;

/// An [`OAuthError`] as an HTTP response.
#[derive(Debug)]
pub struct OAuthApiError(pub OAuthError);

impl From<OAuthError> for OAuthApiError {
    fn from(e: OAuthError) -> Self {
        OAuthApiError(e)
    }
}

impl IntoResponse for OAuthApiError {
    fn into_response(self) -> Response {
        match &self.0 {
            OAuthError::Internal(detail) => tracing::error!(%detail, "OAuth request failed"),
            OAuthError::Unavailable => tracing::warn!("database unavailable"),
            other => tracing::debug!(error = %other, "OAuth request refused"),
        }
        let status =
            StatusCode::from_u16(self.0.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = OAuthErrorBody {
            error: self.0.code(),
            error_description: Some(self.0.to_string()),
        };
        let mut response = (status, no_store(), axum::Json(body)).into_response();
        if self.0.wants_basic_challenge() {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"tessera\", charset=\"UTF-8\""),
            );
        }
        if status == StatusCode::SERVICE_UNAVAILABLE {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        response
    }
}

/// `Cache-Control: no-store` and `Pragma: no-cache` (RFC 6749 §5.1), on every token-bearing
/// response and on errors.
pub fn no_store() -> [(header::HeaderName, HeaderValue); 2] {
    [
        (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        (header::PRAGMA, HeaderValue::from_static("no-cache")),
    ]
}

/// Parses an `application/x-www-form-urlencoded` body. Duplicate parameters are refused
/// (RFC 6749 §3.2), empty ones count as absent.
pub fn parse_form(
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<BTreeMap<String, String>, OAuthError> {
    let form_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| {
            v.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        });
    if !form_type {
        return Err(OAuthError::InvalidRequest(
            "the body must be application/x-www-form-urlencoded".into(),
        ));
    }
    let mut params = BTreeMap::new();
    for (name, value) in url::form_urlencoded::parse(body) {
        if params.contains_key(name.as_ref()) {
            return Err(OAuthError::InvalidRequest(format!(
                "parameter `{name}` is repeated"
            )));
        }
        if !value.is_empty() {
            params.insert(name.into_owned(), value.into_owned());
        }
    }
    Ok(params)
}

/// Client credentials from `Authorization: Basic` and the form (RFC 6749 §2.3.1: the Basic
/// user and password are form-encoded before base64).
pub fn client_credentials(
    headers: &HeaderMap,
    params: &BTreeMap<String, String>,
) -> ClientCredentials {
    let mut credentials = ClientCredentials {
        body_client_id: params.get("client_id").cloned(),
        body_client_secret: params.get("client_secret").cloned(),
        ..ClientCredentials::default()
    };
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return credentials;
    };
    let basic = value
        .to_str()
        .ok()
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("basic"));
    let Some((_, encoded)) = basic else {
        // Another scheme (e.g. Bearer) is not client authentication here.
        return credentials;
    };
    let decoded = STANDARD
        .decode(encoded.trim())
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok());
    let pair = decoded
        .as_deref()
        .and_then(|d| d.split_once(':'))
        .map(|(id, secret)| (form_decode(id), form_decode(secret)));
    match pair {
        Some((Some(id), Some(secret))) if !id.is_empty() => credentials.basic = Some((id, secret)),
        _ => credentials.basic_malformed = true,
    }
    credentials
}

fn form_decode(text: &str) -> Option<String> {
    let bytes: Vec<u8> = url::form_urlencoded::parse(format!("x={text}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned().into_bytes())?;
    String::from_utf8(bytes).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form_headers() -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/x-www-form-urlencoded; charset=UTF-8"),
        );
        h
    }

    #[test]
    fn forms() {
        let p = parse_form(&form_headers(), &Bytes::from_static(b"a=1&b=&c=x%20y+z")).unwrap();
        assert_eq!(p.get("a").map(String::as_str), Some("1"));
        assert_eq!(p.get("b"), None);
        assert_eq!(p.get("c").map(String::as_str), Some("x y z"));
        assert!(parse_form(&form_headers(), &Bytes::from_static(b"a=1&a=2")).is_err());
        assert!(parse_form(&HeaderMap::new(), &Bytes::from_static(b"a=1")).is_err());
    }

    #[test]
    fn basic_credentials_are_form_decoded() {
        let mut h = HeaderMap::new();
        let encoded = STANDARD.encode("my%3Aclient:s%2Bcret");
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_str(&format!("Basic {encoded}")).unwrap(),
        );
        let c = client_credentials(&h, &BTreeMap::new());
        assert_eq!(c.basic, Some(("my:client".into(), "s+cret".into())));
        h.insert(header::AUTHORIZATION, HeaderValue::from_static("Basic !!!"));
        assert!(client_credentials(&h, &BTreeMap::new()).basic_malformed);
        h.insert(header::AUTHORIZATION, HeaderValue::from_static("Bearer x"));
        let c = client_credentials(&h, &BTreeMap::new());
        assert!(c.basic.is_none() && !c.basic_malformed);
    }
}
