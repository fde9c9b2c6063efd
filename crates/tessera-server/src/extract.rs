//! Extractors that turn an HTTP request into what the domain needs: a parsed HTTP signature (with
//! `Content-Digest` checked against the raw body), the GNAP token, and the JSON body.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{HeaderMap, header};
use serde::de::DeserializeOwned;
use tessera_core::GnapError;
use tessera_core::gnap::ClientRequest;
use tessera_httpsig::{RequestParts, SignedRequest};

use crate::app::AppState;
use crate::error::ApiError;

/// Largest request body accepted on the GNAP endpoints.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// A request signed by a client, not yet verified against a key (that needs the grant).
pub struct Signed {
    signature: SignedRequest,
    gnap_token: Option<String>,
    body: Bytes,
}

impl Signed {
    pub fn client_request(&self) -> ClientRequest<'_> {
        ClientRequest {
            signature: &self.signature,
            gnap_token: self.gnap_token.as_deref(),
        }
    }

    /// The body as JSON; `default` when the body is empty (polling continuation, rotation).
    pub fn json_or<T: DeserializeOwned>(&self, default: T) -> Result<T, ApiError> {
        if self.body.is_empty() {
            return Ok(default);
        }
        self.json()
    }

    pub fn json<T: DeserializeOwned>(&self) -> Result<T, ApiError> {
        serde_json::from_slice(&self.body).map_err(|e| {
            ApiError(GnapError::InvalidRequest(format!(
                "invalid request body: {e}"
            )))
        })
    }
}

impl FromRequest<AppState> for Signed {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let (parts, body) = request.into_parts();
        let body = axum::body::to_bytes(body, MAX_BODY_BYTES)
            .await
            .map_err(|_| ApiError(GnapError::InvalidRequest("request body too large".into())))?;
        let path_and_query = parts.uri.path_and_query().map_or("/", |p| p.as_str());
        let target_uri = format!("{}{}", state.public_url, path_and_query);
        let request_parts = RequestParts {
            method: parts.method.as_str(),
            target_uri: &target_uri,
            headers: &parts.headers,
        };
        let signature = match SignedRequest::from_request(
            &request_parts,
            &body,
            crate::now().0,
            &state.signature_policy,
        ) {
            Ok(signature) => signature,
            Err(e) => {
                // Signed by no one: charged to the peer, like an unsigned request.
                if let Some(limiter) = &state.limiter {
                    crate::rate_limit::charge_peer(limiter, &parts.extensions)?;
                }
                return Err(ApiError(GnapError::InvalidClient(format!(
                    "invalid signature: {e}"
                ))));
            }
        };
        Ok(Signed {
            signature,
            gnap_token: gnap_token(&parts.headers),
            body,
        })
    }
}

/// The token of `Authorization: GNAP <token>` (scheme matched case-insensitively).
fn gnap_token(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("GNAP") && !token.is_empty()).then(|| token.to_owned())
}

/// A JSON body for the unsigned internal endpoints.
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|_| ApiError(GnapError::InvalidRequest("request body too large".into())))?;
        serde_json::from_slice(&bytes).map(JsonBody).map_err(|e| {
            ApiError(GnapError::InvalidRequest(format!(
                "invalid request body: {e}"
            )))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gnap_token_needs_the_gnap_scheme() {
        let mut h = HeaderMap::new();
        assert_eq!(gnap_token(&h), None);
        h.insert(header::AUTHORIZATION, "GNAP abc".parse().unwrap());
        assert_eq!(gnap_token(&h).as_deref(), Some("abc"));
        h.insert(header::AUTHORIZATION, "gnap abc".parse().unwrap());
        assert_eq!(gnap_token(&h).as_deref(), Some("abc"));
        h.insert(header::AUTHORIZATION, "Bearer abc".parse().unwrap());
        assert_eq!(gnap_token(&h), None);
        h.insert(header::AUTHORIZATION, "GNAP ".parse().unwrap());
        assert_eq!(gnap_token(&h), None);
    }
}
