//! [`AuthenticatedClient`]: a client identified by its wallet address, signing every request
//! with its Ed25519 key, exactly as `@interledger/open-payments` does:
//!
//! - default headers `Accept: application/json` and `Content-Type: application/json` on every
//!   request;
//! - `Authorization: GNAP <token>` for continuation and token management;
//! - a body, when there is one, is compact JSON, with `Content-Digest` (SHA-512) and
//!   `Content-Length`;
//! - `Signature-Input`/`Signature` labelled `sig1`, covering `@method`, `@target-uri`,
//!   `authorization` when present and the three content headers when there is a body, with
//!   `keyid` and `created` (`tessera_httpsig::SignatureStyle::Js`);
//! - `@target-uri` is the URL as the WHATWG parser writes it (`http://host` becomes
//!   `http://host/`), which is also what is sent.
//!
//! Unlike the JS client, which signs only POSTs and requests with an `Authorization` header,
//! this client signs every request; every GNAP request has one of the two, so the difference
//! never shows. Redirects are not followed: GNAP endpoints do not redirect, and following one
//! would carry a signed request and its token somewhere the client did not address.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderValue};
use reqwest::{Method, StatusCode, Url};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tessera_httpsig::{RequestSigner, SignatureStyle, signing_key_from_pem};
use tessera_proto::GnapErrorBody;
use tessera_proto::access::AccessItem;
use tessera_proto::grant::{AccessTokenRequest, ClientField, GrantRequest};

use crate::error::ClientError;
use crate::grant::Grants;
use crate::token::Tokens;

/// Where the client's Ed25519 private key (PKCS#8 PEM, as `tessera keys generate` and the
/// official SDKs write it) comes from.
#[derive(Clone)]
pub enum PrivateKey {
    /// A PEM file.
    Path(PathBuf),
    /// PEM text.
    Pem(Vec<u8>),
}

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PrivateKey::Path(path) => f.debug_tuple("Path").field(path).finish(),
            PrivateKey::Pem(_) => f.write_str("Pem(..)"),
        }
    }
}

/// What [`AuthenticatedClient::new`] needs.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// The client's wallet address; sent as `client` in grant requests, and where the server
    /// finds the public key (`{wallet_address_url}/jwks.json`).
    pub wallet_address_url: String,
    pub private_key: PrivateKey,
    /// The key's `kid` in the wallet address's JWKS.
    pub key_id: String,
    /// Per-request timeout (the JS client's `requestTimeoutMs`, 5 s by default).
    pub request_timeout: Duration,
}

impl ClientConfig {
    pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(5);

    pub fn new(
        wallet_address_url: impl Into<String>,
        private_key: PrivateKey,
        key_id: impl Into<String>,
    ) -> ClientConfig {
        ClientConfig {
            wallet_address_url: wallet_address_url.into(),
            private_key,
            key_id: key_id.into(),
            request_timeout: Self::DEFAULT_REQUEST_TIMEOUT,
        }
    }
}

/// A GNAP client. Cheap to clone (one shared connection pool and key); use one per wallet
/// address and key.
#[derive(Clone)]
pub struct AuthenticatedClient {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    signer: RequestSigner,
    wallet_address: String,
}

impl fmt::Debug for AuthenticatedClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthenticatedClient")
            .field("wallet_address", &self.inner.wallet_address)
            .field("key_id", &self.inner.signer.key_id())
            .finish_non_exhaustive()
    }
}

/// A response with the status the operation expects: its body bytes.
pub(crate) struct Expected(pub(crate) Vec<u8>);

impl AuthenticatedClient {
    /// Reads the key and checks the wallet address. Does no network I/O.
    pub fn new(config: ClientConfig) -> Result<AuthenticatedClient, ClientError> {
        let key_id = config.key_id;
        let signer = match &config.private_key {
            PrivateKey::Path(path) => {
                let pem = std::fs::read(path).map_err(|source| ClientError::ReadKey {
                    path: path.clone(),
                    source,
                })?;
                signer_from_pem(&pem, key_id).map_err(|source| ClientError::InvalidKeyFile {
                    path: path.clone(),
                    source,
                })?
            }
            PrivateKey::Pem(pem) => signer_from_pem(pem, key_id)?,
        };
        Self::build(config.wallet_address_url, signer, config.request_timeout)
    }

    /// A client signing with `signer` (its style is set to the JS client's).
    pub fn from_signer(
        wallet_address_url: impl Into<String>,
        signer: RequestSigner,
    ) -> Result<AuthenticatedClient, ClientError> {
        Self::build(
            wallet_address_url.into(),
            signer,
            ClientConfig::DEFAULT_REQUEST_TIMEOUT,
        )
    }

    fn build(
        wallet_address: String,
        signer: RequestSigner,
        timeout: Duration,
    ) -> Result<AuthenticatedClient, ClientError> {
        parse_url(&wallet_address)?;
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(ClientError::HttpClient)?;
        Ok(AuthenticatedClient {
            inner: Arc::new(Inner {
                http,
                signer: signer.with_style(SignatureStyle::Js),
                wallet_address,
            }),
        })
    }

    /// The wallet address this client identifies itself with.
    pub fn wallet_address(&self) -> &str {
        &self.inner.wallet_address
    }

    pub fn key_id(&self) -> &str {
        self.inner.signer.key_id()
    }

    /// Grant request, continuation and cancel (RFC 9635 §2, §5).
    pub fn grant(&self) -> Grants<'_> {
        Grants { client: self }
    }

    /// Token rotation and revocation (RFC 9635 §6).
    pub fn token(&self) -> Tokens<'_> {
        Tokens { client: self }
    }

    /// A grant request for an access token with `access`, identifying this client by its wallet
    /// address (what the JS client puts in `client`).
    pub fn grant_request(&self, access: Vec<AccessItem>) -> GrantRequest {
        GrantRequest {
            access_token: Some(AccessTokenRequest { access }),
            client: ClientField::WalletAddress(self.inner.wallet_address.clone()),
            interact: None,
            subject: None,
        }
    }

    /// `POST` with an optional JSON body; expects 200 and a JSON answer.
    pub(crate) async fn post<T: DeserializeOwned>(
        &self,
        url: &str,
        gnap_token: Option<(&'static str, &str)>,
        body: Option<&impl Serialize>,
    ) -> Result<T, ClientError> {
        let body = body
            .map(serde_json::to_vec)
            .transpose()
            .map_err(ClientError::Encode)?;
        let Expected(bytes) = self
            .send(Method::POST, url, gnap_token, body, StatusCode::OK)
            .await?;
        serde_json::from_slice(&bytes).map_err(|source| ClientError::InvalidResponse {
            method: "POST",
            url: url.to_owned(),
            source,
        })
    }

    /// `DELETE`; expects 204.
    pub(crate) async fn delete(
        &self,
        url: &str,
        gnap_token: Option<(&'static str, &str)>,
    ) -> Result<(), ClientError> {
        self.send(
            Method::DELETE,
            url,
            gnap_token,
            None,
            StatusCode::NO_CONTENT,
        )
        .await
        .map(|_| ())
    }

    /// Signs and sends one request. `gnap_token` is `(what it is, value)`; the first part only
    /// names the token in errors.
    async fn send(
        &self,
        method: Method,
        url: &str,
        gnap_token: Option<(&'static str, &str)>,
        body: Option<Vec<u8>>,
        expected: StatusCode,
    ) -> Result<Expected, ClientError> {
        let method_name = method_name(&method);
        let target = parse_url(url)?;
        let mut headers = HeaderMap::new();
        headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        if let Some((what, token)) = gnap_token {
            let mut value = HeaderValue::from_str(&format!("GNAP {token}"))
                .map_err(|_| ClientError::InvalidToken(what))?;
            value.set_sensitive(true);
            headers.insert(AUTHORIZATION, value);
        }
        self.inner.signer.sign(
            method.as_str(),
            target.as_str(),
            &mut headers,
            body.as_deref(),
            unix_now(),
        )?;
        let mut request = self.inner.http.request(method, target).headers(headers);
        if let Some(body) = body {
            request = request.body(body);
        }
        // reqwest's message repeats the URL, which ours already names.
        let transport = |source: reqwest::Error| ClientError::Transport {
            method: method_name,
            url: url.to_owned(),
            source: source.without_url(),
        };
        let response = request.send().await.map_err(transport)?;
        let status = response.status();
        let bytes = response.bytes().await.map_err(transport)?;
        if status == expected {
            return Ok(Expected(bytes.to_vec()));
        }
        if !status.is_success() {
            if let Ok(GnapErrorBody { error }) = serde_json::from_slice(&bytes) {
                return Err(ClientError::Gnap {
                    method: method_name,
                    url: url.to_owned(),
                    status: status.as_u16(),
                    code: error.code,
                    description: error.description,
                });
            }
        }
        Err(ClientError::UnexpectedStatus {
            method: method_name,
            url: url.to_owned(),
            status: status.as_u16(),
            body: String::from_utf8_lossy(&bytes).into_owned(),
        })
    }
}

fn signer_from_pem(pem: &[u8], key_id: String) -> Result<RequestSigner, tessera_httpsig::KeyError> {
    let pem = std::str::from_utf8(pem).map_err(|_| tessera_httpsig::KeyError::InvalidPem)?;
    Ok(RequestSigner::new(signing_key_from_pem(pem)?, key_id))
}

fn method_name(method: &Method) -> &'static str {
    match *method {
        Method::POST => "POST",
        Method::DELETE => "DELETE",
        Method::GET => "GET",
        _ => "request",
    }
}

/// `url` as an absolute `http(s)` URL.
fn parse_url(url: &str) -> Result<Url, ClientError> {
    let invalid = |reason: String| ClientError::InvalidUrl {
        url: url.to_owned(),
        reason,
    };
    let parsed = Url::parse(url).map_err(|e| invalid(e.to_string()))?;
    match parsed.scheme() {
        "http" | "https" if parsed.has_host() => Ok(parsed),
        "http" | "https" => Err(invalid("no host".into())),
        other => Err(invalid(format!("scheme `{other}` is not http or https"))),
    }
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_must_be_absolute_http() {
        assert_eq!(
            parse_url("http://127.0.0.1:3000").unwrap().as_str(),
            "http://127.0.0.1:3000/"
        );
        for bad in ["/token/1", "ftp://a/b", "https://", "not a url"] {
            assert!(
                matches!(parse_url(bad), Err(ClientError::InvalidUrl { .. })),
                "{bad}"
            );
        }
    }

    #[test]
    fn a_client_needs_a_pem_key_and_a_url_wallet_address() {
        let err = AuthenticatedClient::new(ClientConfig::new(
            "https://w.example/alice",
            PrivateKey::Pem(
                b"-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----".to_vec(),
            ),
            "k",
        ))
        .unwrap_err();
        assert!(matches!(err, ClientError::Key(_)), "{err:?}");

        let missing = AuthenticatedClient::new(ClientConfig::new(
            "https://w.example/alice",
            PrivateKey::Path("/nonexistent/alice.pem".into()),
            "k",
        ))
        .unwrap_err();
        assert!(
            missing
                .to_string()
                .starts_with("cannot read the private key /nonexistent/alice.pem"),
            "{missing}"
        );

        let signer = RequestSigner::new(ed25519_dalek::SigningKey::from_bytes(&[7; 32]), "k");
        let err = AuthenticatedClient::from_signer("w.example/alice", signer).unwrap_err();
        assert!(matches!(err, ClientError::InvalidUrl { .. }), "{err:?}");
    }

    #[test]
    fn debug_output_shows_no_key_material() {
        let pem = PrivateKey::Pem(b"secret pem".to_vec());
        assert_eq!(format!("{pem:?}"), "Pem(..)");
        let signer = RequestSigner::new(ed25519_dalek::SigningKey::from_bytes(&[7; 32]), "k1");
        let client = AuthenticatedClient::from_signer("https://w.example/a", signer).unwrap();
        assert_eq!(
            format!("{client:?}"),
            r#"AuthenticatedClient { wallet_address: "https://w.example/a", key_id: "k1", .. }"#
        );
    }
}
