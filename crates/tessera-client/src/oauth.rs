//! An OAuth 2.0 helper for the token lifecycle: refresh (RFC 6749 §6) and revocation (RFC 7009),
//! with confidential-client authentication by HTTP Basic (the RFC's MUST-support method).
//! Errors keep the server's `error` and `error_description`.

use serde::Deserialize;
use tessera_proto::oauth::{OAuthErrorCode, TokenResponse};

/// A confidential OAuth client of one token endpoint.
#[derive(Debug, Clone)]
pub struct OAuthClient {
    http: reqwest::Client,
    token_url: String,
    revocation_url: String,
    client_id: String,
    client_secret: String,
}

#[derive(Debug, thiserror::Error)]
pub enum OAuthClientError {
    #[error("cannot build the HTTP client")]
    HttpClient(#[source] reqwest::Error),
    #[error("{url}: transport error")]
    Transport {
        url: String,
        #[source]
        source: reqwest::Error,
    },
    /// The server refused with an RFC 6749 §5.2 error.
    #[error(
        "{url}: {status} {}{}",
        error.as_str(),
        description.as_deref().map(|d| format!(": {d}")).unwrap_or_default()
    )]
    OAuth {
        url: String,
        status: u16,
        error: OAuthErrorCode,
        description: Option<String>,
    },
    /// An answer that is neither a token response nor an OAuth error.
    #[error("{url}: unexpected answer {status}")]
    Unexpected { url: String, status: u16 },
}

#[derive(Deserialize)]
struct ErrorBody {
    error: OAuthErrorCode,
    error_description: Option<String>,
}

impl OAuthClient {
    /// `issuer` is the server's base URL; the endpoints are Tessera's (`/oauth2/token`,
    /// `/oauth2/revoke`).
    pub fn new(
        issuer: &str,
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
    ) -> Result<OAuthClient, OAuthClientError> {
        let http = reqwest::Client::builder()
            .use_rustls_tls()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(OAuthClientError::HttpClient)?;
        let base = issuer.trim_end_matches('/');
        Ok(OAuthClient {
            http,
            token_url: format!("{base}/oauth2/token"),
            revocation_url: format!("{base}/oauth2/revoke"),
            client_id: client_id.into(),
            client_secret: client_secret.into(),
        })
    }

    /// Exchanges `refresh_token` for a new pair; the old refresh token is consumed. `scope`
    /// may narrow the new access token.
    pub async fn refresh(
        &self,
        refresh_token: &str,
        scope: Option<&str>,
    ) -> Result<TokenResponse, OAuthClientError> {
        let mut form = vec![
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
        ];
        if let Some(scope) = scope {
            form.push(("scope", scope));
        }
        let (status, body) = self.post(&self.token_url, &form).await?;
        if status == 200 {
            return serde_json::from_slice(&body).map_err(|_| OAuthClientError::Unexpected {
                url: self.token_url.clone(),
                status,
            });
        }
        Err(self.error(&self.token_url, status, &body))
    }

    /// Revokes a token (RFC 7009); revoking a refresh token ends its whole authorization.
    pub async fn revoke(&self, token: &str, hint: Option<&str>) -> Result<(), OAuthClientError> {
        let mut form = vec![("token", token)];
        if let Some(hint) = hint {
            form.push(("token_type_hint", hint));
        }
        let (status, body) = self.post(&self.revocation_url, &form).await?;
        if status == 200 {
            return Ok(());
        }
        Err(self.error(&self.revocation_url, status, &body))
    }

    async fn post(
        &self,
        url: &str,
        form: &[(&str, &str)],
    ) -> Result<(u16, Vec<u8>), OAuthClientError> {
        let transport = |source| OAuthClientError::Transport {
            url: url.to_owned(),
            source,
        };
        let response = self
            .http
            .post(url)
            .basic_auth(
                form_encode(&self.client_id),
                Some(form_encode(&self.client_secret)),
            )
            .form(form)
            .send()
            .await
            .map_err(transport)?;
        let status = response.status().as_u16();
        let body = response.bytes().await.map_err(transport)?;
        Ok((status, body.to_vec()))
    }

    fn error(&self, url: &str, status: u16, body: &[u8]) -> OAuthClientError {
        match serde_json::from_slice::<ErrorBody>(body) {
            Ok(e) => OAuthClientError::OAuth {
                url: url.to_owned(),
                status,
                error: e.error,
                description: e.error_description,
            },
            Err(_) => OAuthClientError::Unexpected {
                url: url.to_owned(),
                status,
            },
        }
    }
}

/// RFC 6749 §2.3.1: the Basic user and password are form-encoded first. By hand: the
/// `application/x-www-form-urlencoded` byte rule is five lines, `url` would be a dependency.
fn form_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-._*".contains(&b) {
            out.push(char::from(b));
        } else if b == b' ' {
            out.push('+');
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
