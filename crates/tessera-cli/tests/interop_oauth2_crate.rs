//! A third-party Rust OAuth 2.0 client, the `oauth2` crate (pinned to 5.0.0, reqwest +
//! rustls), against a real `tessera serve`: authorization code + PKCE, refresh rotation twice,
//! reuse detection, revocation, introspection, client credentials, and both client
//! authentication methods (`client_secret_basic`, `AuthType::RequestBody`).
//!
//! The crate refuses a revocation endpoint that is not `https://` (RFC 7009 §2), so Tessera
//! runs behind a TLS front here, as it would in production: `--public-url https://…`, and a
//! small TLS terminator with the test certificate in `tests/fixtures/tls` that pipes every
//! connection to Tessera's plain public listener. The crate's own reqwest client trusts the
//! test CA and nothing in the OAuth exchanges goes around it; only the browser and the IdP
//! around the consent step are played by the test (through the same TLS front).

// Test code: a failed unwrap is a failed test, with its location.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::error::Error;
use std::fmt::Debug;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use oauth2::basic::{BasicClient, BasicErrorResponse, BasicErrorResponseType, BasicTokenType};
use oauth2::{
    AccessToken, AuthType, AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken,
    EndpointNotSet, EndpointSet, ErrorResponse, IntrospectionUrl, PkceCodeChallenge, RedirectUrl,
    RefreshToken, RequestTokenError, RevocationUrl, Scope, StandardRevocableToken,
    TokenIntrospectionResponse, TokenResponse, TokenUrl,
};
use serde_json::Value;
use tessera_testkit::interactive::{Browser, query_param};
use tessera_testkit::oauth::OAuthHarness;
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::pem::PemObject as _;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// The app: authorization URL, revocation URL and token URL set.
type AppClient = BasicClient<EndpointSet, EndpointNotSet, EndpointNotSet, EndpointSet, EndpointSet>;
/// The resource server: introspection URL set.
type ResourceServer =
    BasicClient<EndpointNotSet, EndpointNotSet, EndpointSet, EndpointNotSet, EndpointNotSet>;

fn tls_fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/tls")
        .join(name)
}

/// Terminates TLS on `listener` with the test certificate and pipes each connection to
/// `backend` (Tessera's plain public listener), until the test's runtime ends.
fn tls_front(listener: TcpListener, backend: String) {
    let certs: Vec<CertificateDer<'static>> =
        CertificateDer::pem_file_iter(tls_fixture("server.pem"))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
    let key = PrivateKeyDer::from_pem_file(tls_fixture("server-key.pem")).unwrap();
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(certs, key)
    .unwrap();
    let acceptor = TlsAcceptor::from(Arc::new(config));
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let (acceptor, backend) = (acceptor.clone(), backend.clone());
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let Ok(mut plain) = TcpStream::connect(&backend).await else {
                    return;
                };
                let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
            });
        }
    });
}

/// The HTTP client handed to the `oauth2` crate (and to the browser): trusts the test CA and,
/// as the crate's documentation asks, follows no redirects.
fn http_client() -> oauth2::reqwest::Client {
    let ca = std::fs::read(tls_fixture("ca.pem")).unwrap();
    oauth2::reqwest::Client::builder()
        .add_root_certificate(oauth2::reqwest::Certificate::from_pem(&ca).unwrap())
        .redirect(oauth2::reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

struct Interop {
    server: common::ServeProcess,
    http: oauth2::reqwest::Client,
    meta: Value,
    clients: common::InteropClients,
    harness: OAuthHarness,
    _dir: tempfile::TempDir,
}

impl Interop {
    /// Registers the clients with the CLI, starts `tessera serve` behind the TLS front, and
    /// reads the endpoints from the metadata document (the crate has no discovery of its own).
    async fn start() -> Interop {
        let dir = tempfile::tempdir().unwrap();
        let clients = common::register_interop_clients(dir.path());
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let public_url = format!("https://{}", listener.local_addr().unwrap());
        let server = common::ServeProcess::start_oauth(dir.path(), &["--public-url", &public_url]);
        assert_eq!(server.public_url, public_url);
        tls_front(listener, server.public_addr.clone());
        let http = http_client();

        let response = http
            .get(format!(
                "{public_url}/.well-known/oauth-authorization-server"
            ))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let meta: Value = response.json().await.unwrap();
        assert_eq!(meta["issuer"], public_url.as_str());
        assert_eq!(
            meta["code_challenge_methods_supported"],
            serde_json::json!(["S256"])
        );
        for method in ["client_secret_basic", "client_secret_post"] {
            let methods = meta["token_endpoint_auth_methods_supported"]
                .as_array()
                .unwrap();
            assert!(methods.iter().any(|m| m == method), "{meta}");
        }
        let harness = OAuthHarness {
            http: http.clone(),
            public_url,
            internal_url: server.internal_url.clone(),
        };
        Interop {
            server,
            http,
            meta,
            clients,
            harness,
            _dir: dir,
        }
    }

    fn endpoint(&self, name: &str) -> String {
        let url = self.meta[name]
            .as_str()
            .unwrap_or_else(|| panic!("no {name}: {}", self.meta));
        assert!(url.starts_with("https://"), "{name}: {url}");
        url.to_owned()
    }

    /// The app, authenticating with HTTP Basic (the crate's default).
    fn app(&self) -> AppClient {
        self.public_app(&self.clients.app.id)
            .set_client_secret(ClientSecret::new(self.clients.app.secret.clone()))
    }

    /// An app without a secret: the crate sends `client_id` in the form body.
    fn public_app(&self, client_id: &str) -> AppClient {
        BasicClient::new(ClientId::new(client_id.to_owned()))
            .set_auth_uri(AuthUrl::new(self.endpoint("authorization_endpoint")).unwrap())
            .set_token_uri(TokenUrl::new(self.endpoint("token_endpoint")).unwrap())
            .set_revocation_url(RevocationUrl::new(self.endpoint("revocation_endpoint")).unwrap())
            .set_redirect_uri(RedirectUrl::new(common::REDIRECT_URI.to_owned()).unwrap())
    }

    fn resource_server(&self) -> ResourceServer {
        let rs = &self.clients.resource_server;
        BasicClient::new(ClientId::new(rs.id.clone()))
            .set_client_secret(ClientSecret::new(rs.secret.clone()))
            .set_introspection_url(
                IntrospectionUrl::new(self.endpoint("introspection_endpoint")).unwrap(),
            )
    }

    /// Authorization code + PKCE with `app`'s authentication method: the authorization URL
    /// the crate builds, consent in a browser and through the IdP API, the crate's exchange.
    async fn authorize(&self, app: &AppClient) -> oauth2::basic::BasicTokenResponse {
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let (url, csrf) = app
            .authorize_url(CsrfToken::new_random)
            .add_scope(Scope::new("read".into()))
            .add_scope(Scope::new("write".into()))
            .set_pkce_challenge(challenge)
            .url();
        let mut browser = Browser::with_client(self.http.clone());
        let back = self
            .harness
            .consent_in(&mut browser, url.as_str(), Some("alice"))
            .await;
        assert!(back.starts_with(common::REDIRECT_URI), "{back}");
        assert_eq!(
            query_param(&back, "state").as_deref(),
            Some(csrf.secret().as_str())
        );
        assert_eq!(
            query_param(&back, "iss").as_deref(),
            self.meta["issuer"].as_str()
        );
        let code = query_param(&back, "code").unwrap();
        let token = app
            .exchange_code(AuthorizationCode::new(code))
            .set_pkce_verifier(verifier)
            .request_async(&self.http)
            .await
            .unwrap_or_else(|e| panic!("code exchange: {}", describe(&e)));
        assert_eq!(*token.token_type(), BasicTokenType::Bearer);
        assert!(token.expires_in().is_some_and(|d| d.as_secs() > 0));
        assert!(token.refresh_token().is_some());
        let scopes: Vec<&str> = token.scopes().unwrap().iter().map(|s| s.as_str()).collect();
        assert_eq!(scopes, ["read", "write"]);
        token
    }

    async fn introspect(&self, token: &str) -> oauth2::basic::BasicTokenIntrospectionResponse {
        self.resource_server()
            .introspect(&AccessToken::new(token.to_owned()))
            .request_async(&self.http)
            .await
            .unwrap_or_else(|e| panic!("introspection: {}", describe(&e)))
    }

    /// A refresh with `refresh_token`, which must rotate it.
    async fn refresh(
        &self,
        app: &AppClient,
        refresh_token: &RefreshToken,
    ) -> oauth2::basic::BasicTokenResponse {
        let token = app
            .exchange_refresh_token(refresh_token)
            .request_async(&self.http)
            .await
            .unwrap_or_else(|e| panic!("refresh: {}", describe(&e)));
        let rotated = token.refresh_token().expect("a new refresh token");
        assert_ne!(rotated.secret(), refresh_token.secret());
        token
    }

    /// A refresh with `refresh_token` must fail with `invalid_grant`.
    async fn assert_refresh_refused(&self, app: &AppClient, refresh_token: &RefreshToken) {
        assert_error(
            app.exchange_refresh_token(refresh_token)
                .request_async(&self.http)
                .await,
            BasicErrorResponseType::InvalidGrant,
        );
    }

    async fn assert_active(&self, token: &str, active: bool) {
        let answer = self.introspect(token).await;
        assert_eq!(answer.active(), active, "{answer:?}");
    }
}

fn describe<RE: Error, TE: ErrorResponse>(e: &RequestTokenError<RE, TE>) -> String {
    match e {
        RequestTokenError::ServerResponse(r) => format!("server said {r:?}"),
        RequestTokenError::Request(r) => format!("request failed: {r} ({r:?})"),
        RequestTokenError::Parse(p, body) => {
            format!("unparseable answer {p}: {}", String::from_utf8_lossy(body))
        }
        RequestTokenError::Other(o) => o.clone(),
    }
}

#[track_caller]
fn assert_error<T: Debug, RE: Error>(
    result: Result<T, RequestTokenError<RE, BasicErrorResponse>>,
    expected: BasicErrorResponseType,
) {
    match result {
        Err(RequestTokenError::ServerResponse(r)) => assert_eq!(*r.error(), expected, "{r:?}"),
        Err(other) => panic!("expected {expected:?}, got {}", describe(&other)),
        Ok(ok) => panic!("expected {expected:?}, got {ok:?}"),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn oauth2_crate_refreshes_twice_and_a_reused_refresh_token_kills_the_family() {
    let t = Interop::start().await;
    let app = t.app();
    let first = t.authorize(&app).await;
    let (at1, rt1) = (first.access_token(), first.refresh_token().unwrap());

    let answer = t.introspect(at1.secret()).await;
    assert!(answer.active(), "{answer:?}");
    assert_eq!(
        answer.client_id().map(|c| c.as_str()),
        Some(t.clients.app.id.as_str())
    );
    assert_eq!(answer.sub(), Some("alice"));
    assert_eq!(answer.token_type(), Some(&BasicTokenType::Bearer));
    assert_eq!(answer.iss(), t.meta["issuer"].as_str());
    let scopes: Vec<&str> = answer
        .scopes()
        .unwrap()
        .iter()
        .map(|s| s.as_str())
        .collect();
    assert_eq!(scopes, ["read", "write"]);
    assert!(answer.exp().unwrap() > answer.iat().unwrap());

    // Refresh 1, HTTP Basic: both tokens rotate; the old access token dies.
    let second = t.refresh(&app, rt1).await;
    let rt2 = second.refresh_token().unwrap();
    assert_ne!(second.access_token().secret(), at1.secret());
    t.assert_active(at1.secret(), false).await;

    // Refresh 2, credentials in the form body.
    let body_auth = app.clone().set_auth_type(AuthType::RequestBody);
    let third = t.refresh(&body_auth, rt2).await;
    let (at3, rt3) = (third.access_token(), third.refresh_token().unwrap());
    assert!(![rt1.secret(), rt2.secret()].contains(&rt3.secret()));
    t.assert_active(at3.secret(), true).await;
    t.assert_active(rt3.secret(), true).await;
    t.assert_active(rt2.secret(), false).await;

    // The first refresh token again: reuse. The whole family dies, newest tokens included.
    t.assert_refresh_refused(&app, rt1).await;
    t.assert_active(at3.secret(), false).await;
    t.assert_active(rt3.secret(), false).await;
    t.assert_refresh_refused(&body_auth, rt3).await;
    assert!(
        t.server
            .log_shows("refresh token reuse detected; family revoked")
    );
    assert!(t.server.stop().success());
}

#[tokio::test(flavor = "multi_thread")]
async fn oauth2_crate_as_a_public_client_uses_pkce_and_rotating_refresh_tokens() {
    let t = Interop::start().await;
    let app = t.public_app(&t.clients.public_app_id);
    let first = t.authorize(&app).await;
    let rt1 = first.refresh_token().unwrap();
    let second = t.refresh(&app, rt1).await;
    t.assert_active(second.access_token().secret(), true).await;
    t.assert_refresh_refused(&app, rt1).await;
    t.assert_active(second.access_token().secret(), false).await;
    // Not registered for client credentials (a public client has no secret for them).
    assert_error(
        app.exchange_client_credentials()
            .request_async(&t.http)
            .await,
        BasicErrorResponseType::UnauthorizedClient,
    );
    assert!(t.server.stop().success());
}

#[tokio::test(flavor = "multi_thread")]
async fn oauth2_crate_revokes_and_introspects_with_either_client_authentication() {
    let t = Interop::start().await;
    let body_auth = t.app().set_auth_type(AuthType::RequestBody);

    // Code exchange and revocation with the credentials in the form body.
    let token = t.authorize(&body_auth).await;
    let (at, rt) = (token.access_token(), token.refresh_token().unwrap());
    t.assert_active(at.secret(), true).await;
    body_auth
        .revoke_token(StandardRevocableToken::RefreshToken(rt.clone()))
        .unwrap()
        .request_async(&t.http)
        .await
        .unwrap_or_else(|e| panic!("revoke: {}", describe(&e)));
    t.assert_active(rt.secret(), false).await;
    // Revoking a refresh token takes its access tokens with it (RFC 7009 §2.1).
    t.assert_active(at.secret(), false).await;
    t.assert_refresh_refused(&body_auth, rt).await;
    // Revoking again, or a token Tessera never issued: still 200.
    for token in [rt.clone(), RefreshToken::new("tsr_rt_unknown".into())] {
        body_auth
            .revoke_token(StandardRevocableToken::RefreshToken(token))
            .unwrap()
            .request_async(&t.http)
            .await
            .unwrap_or_else(|e| panic!("revoke again: {}", describe(&e)));
    }

    // Client credentials with the body, revocation of the access token with HTTP Basic.
    let app = t.app();
    let cc = body_auth
        .exchange_client_credentials()
        .add_scope(Scope::new("read".into()))
        .request_async(&t.http)
        .await
        .unwrap_or_else(|e| panic!("client credentials: {}", describe(&e)));
    assert!(cc.refresh_token().is_none());
    let answer = t.introspect(cc.access_token().secret()).await;
    assert!(answer.active(), "{answer:?}");
    assert_eq!(answer.scopes().map(Vec::len), Some(1));
    app.revoke_token(StandardRevocableToken::AccessToken(
        cc.access_token().clone(),
    ))
    .unwrap()
    .request_async(&t.http)
    .await
    .unwrap_or_else(|e| panic!("revoke access token: {}", describe(&e)));
    t.assert_active(cc.access_token().secret(), false).await;

    // Introspection is for resource servers only: the app is refused, whatever its method.
    for auth in [AuthType::BasicAuth, AuthType::RequestBody] {
        let app_introspecting = t.app().set_auth_type(auth).set_introspection_url(
            IntrospectionUrl::new(t.endpoint("introspection_endpoint")).unwrap(),
        );
        assert_error(
            app_introspecting
                .introspect(cc.access_token())
                .request_async(&t.http)
                .await,
            BasicErrorResponseType::InvalidClient,
        );
    }
    assert!(t.server.stop().success());
}
