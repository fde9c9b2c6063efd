//! The benchmark's client: the requests a real Open Payments client (GNAP, signed JS-style) and a
//! real OAuth client would send, one function per request.

use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context as _, anyhow, bail};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use bytes::Bytes;
use http::header::{AUTHORIZATION, CONTENT_TYPE, COOKIE, LOCATION, SET_COOKIE};
use http::{HeaderMap, HeaderValue, Method};
use serde::Deserialize;
use sha2::{Digest as _, Sha256};
use tessera_httpsig::RequestSigner;

use crate::http::{Conn, Endpoint, Reply};

/// Everything a worker shares: where the server is, who the client is.
pub struct Ctx {
    pub public: Endpoint,
    pub internal: Endpoint,
    pub signer: RequestSigner,
    /// The grant request body naming the client's wallet address (served by
    /// [`crate::wallet`]), serialized once.
    pub grant_body: Bytes,
    pub admin_token: Option<String>,
}

/// An access token the client holds: its value and its management path (`/token/{id}`).
#[derive(Debug, Clone)]
pub struct Token {
    pub value: String,
    pub manage_path: String,
}

/// An OAuth client registered for the benchmark.
#[derive(Debug, Clone)]
pub struct OAuthClient {
    pub id: String,
    pub secret: String,
}

const REDIRECT_URI: &str = "https://bench.invalid/callback";

#[derive(Deserialize)]
struct AccessTokenBody {
    value: String,
    manage: String,
}

#[derive(Deserialize)]
struct WithAccessToken {
    access_token: AccessTokenBody,
}

#[derive(Deserialize)]
struct Introspection {
    active: bool,
}

#[derive(Deserialize)]
struct TokenEndpointBody {
    refresh_token: Option<String>,
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

fn expect(reply: &Reply, status: u16, what: &str) -> anyhow::Result<()> {
    if reply.status == status {
        Ok(())
    } else {
        Err(anyhow!(
            "{what}: expected {status}, got {}: {}",
            reply.status,
            String::from_utf8_lossy(&reply.body)
        ))
    }
}

impl Ctx {
    pub fn new(
        public: Endpoint,
        internal: Endpoint,
        signer: RequestSigner,
        wallet: String,
        admin_token: Option<String>,
    ) -> anyhow::Result<Ctx> {
        let grant_body = serde_json::to_vec(&serde_json::json!({
            "access_token": { "access": [
                {"type": "incoming-payment", "actions": ["create", "read", "list", "complete"]}
            ]},
            "client": wallet,
        }))?;
        Ok(Ctx {
            public,
            internal,
            signer,
            grant_body: Bytes::from(grant_body),
            admin_token,
        })
    }

    /// Headers of a request signed as the official JS client signs it.
    fn signed(
        &self,
        method: &Method,
        path: &str,
        gnap: Option<&str>,
        body: Option<&[u8]>,
    ) -> anyhow::Result<HeaderMap> {
        let mut headers = HeaderMap::new();
        if let Some(token) = gnap {
            headers.insert(
                AUTHORIZATION,
                HeaderValue::from_str(&format!("GNAP {token}"))?,
            );
        }
        self.signer.sign(
            method.as_str(),
            &self.public.url(path),
            &mut headers,
            body,
            unix_now(),
        )?;
        Ok(headers)
    }

    fn token(&self, body: &[u8]) -> anyhow::Result<Token> {
        let parsed: WithAccessToken = serde_json::from_slice(body)?;
        let manage_path = match parsed.access_token.manage.strip_prefix(&self.public.base) {
            Some(path) => path.to_owned(),
            None => url::Url::parse(&parsed.access_token.manage)?
                .path()
                .to_owned(),
        };
        Ok(Token {
            value: parsed.access_token.value,
            manage_path,
        })
    }

    /// `POST /`: a non-interactive incoming-payment grant; returns its access token.
    pub async fn grant(&self, conn: &mut Conn) -> anyhow::Result<Token> {
        let headers = self.signed(&Method::POST, "/", None, Some(&self.grant_body))?;
        let reply = conn
            .send(Method::POST, "/", headers, Some(self.grant_body.clone()))
            .await?;
        expect(&reply, 200, "grant")?;
        self.token(&reply.body)
    }

    /// `POST /token/{id}`: rotates `token`; returns its successor.
    pub async fn rotate(&self, conn: &mut Conn, token: &Token) -> anyhow::Result<Token> {
        let headers = self.signed(&Method::POST, &token.manage_path, Some(&token.value), None)?;
        let reply = conn
            .send(Method::POST, &token.manage_path, headers, None)
            .await?;
        expect(&reply, 200, "rotate")?;
        self.token(&reply.body)
    }

    /// `DELETE /token/{id}`.
    pub async fn revoke(&self, conn: &mut Conn, token: &Token) -> anyhow::Result<()> {
        let headers = self.signed(
            &Method::DELETE,
            &token.manage_path,
            Some(&token.value),
            None,
        )?;
        let reply = conn
            .send(Method::DELETE, &token.manage_path, headers, None)
            .await?;
        expect(&reply, 204, "revoke")
    }

    /// `POST /introspect` on the internal listener; the token must be active.
    pub async fn introspect(&self, conn: &mut Conn, value: &str) -> anyhow::Result<()> {
        let body = Bytes::from(serde_json::to_vec(
            &serde_json::json!({ "access_token": value }),
        )?);
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        let reply = conn
            .send(Method::POST, "/introspect", headers, Some(body))
            .await?;
        expect(&reply, 200, "introspect")?;
        if serde_json::from_slice::<Introspection>(&reply.body)?.active {
            Ok(())
        } else {
            bail!("introspect: the token is not active")
        }
    }

    /// `POST /oauth2/token` with `grant_type=refresh_token`; returns the next refresh token.
    pub async fn refresh(
        &self,
        conn: &mut Conn,
        client: &OAuthClient,
        refresh_token: &str,
    ) -> anyhow::Result<String> {
        self.token_endpoint(
            conn,
            client,
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh_token),
            ],
        )
        .await
    }

    async fn token_endpoint(
        &self,
        conn: &mut Conn,
        client: &OAuthClient,
        fields: &[(&str, &str)],
    ) -> anyhow::Result<String> {
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields)
            .append_pair("client_id", &client.id)
            .append_pair("client_secret", &client.secret)
            .finish();
        let mut headers = HeaderMap::new();
        headers.insert(
            CONTENT_TYPE,
            HeaderValue::from_static("application/x-www-form-urlencoded"),
        );
        let reply = conn
            .send(
                Method::POST,
                "/oauth2/token",
                headers,
                Some(Bytes::from(body)),
            )
            .await?;
        expect(&reply, 200, "token endpoint")?;
        serde_json::from_slice::<TokenEndpointBody>(&reply.body)?
            .refresh_token
            .ok_or_else(|| anyhow!("token endpoint: no refresh_token"))
    }

    fn admin_headers(&self) -> anyhow::Result<HeaderMap> {
        let token = self.admin_token.as_deref().ok_or_else(|| {
            anyhow!("the refresh benchmark needs the admin token (TESSERA_ADMIN_TOKEN)")
        })?;
        let mut headers = HeaderMap::new();
        headers.insert(
            AUTHORIZATION,
            HeaderValue::from_str(&format!("Bearer {token}"))?,
        );
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        Ok(headers)
    }

    /// Registers a confidential client with the authorization-code and refresh grants through
    /// the admin API on the internal listener.
    pub async fn register_oauth_client(&self) -> anyhow::Result<OAuthClient> {
        #[derive(Deserialize)]
        struct Registered {
            client_id: String,
            client_secret: String,
        }
        let body = serde_json::to_vec(&serde_json::json!({
            "name": "tessera-bench",
            "grant_types": ["authorization_code", "refresh_token"],
            "redirect_uris": [REDIRECT_URI],
            "scope": "read",
        }))?;
        let mut conn = Conn::new(&self.internal);
        let reply = conn
            .send(
                Method::POST,
                "/clients",
                self.admin_headers()?,
                Some(Bytes::from(body)),
            )
            .await?;
        expect(&reply, 201, "client registration")?;
        let registered: Registered = serde_json::from_slice(&reply.body)?;
        Ok(OAuthClient {
            id: registered.client_id,
            secret: registered.client_secret,
        })
    }

    /// A refresh token for `subject`, by the authorization-code flow with PKCE, the consent
    /// given through the IdP API: authorize, accept, finish, exchange the code.
    pub async fn refresh_token_for(
        &self,
        client: &OAuthClient,
        subject: &str,
    ) -> anyhow::Result<String> {
        let mut public = Conn::new(&self.public);
        let mut internal = Conn::new(&self.internal);
        let verifier = format!(
            "{:032x}{:032x}",
            rand::random::<u128>(),
            rand::random::<u128>()
        );
        let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
        let query = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("response_type", "code")
            .append_pair("client_id", &client.id)
            .append_pair("redirect_uri", REDIRECT_URI)
            .append_pair("scope", "read")
            .append_pair("state", "bench")
            .append_pair("code_challenge", &challenge)
            .append_pair("code_challenge_method", "S256")
            .finish();
        let reply = public
            .send(
                Method::GET,
                &format!("/oauth2/authorize?{query}"),
                HeaderMap::new(),
                None,
            )
            .await?;
        let consent = location(&reply, "authorize")?;
        let cookie = reply
            .headers
            .get(SET_COOKIE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .ok_or_else(|| anyhow!("authorize: no interaction cookie"))?
            .to_owned();
        let interact_id = query_param(&consent, "interactId")?;
        let nonce = query_param(&consent, "nonce")?;

        let accept = serde_json::to_vec(&serde_json::json!({ "subject": subject }))?;
        let reply = internal
            .send(
                Method::POST,
                &format!("/grants/{interact_id}/{nonce}/accept"),
                self.admin_headers()?,
                Some(Bytes::from(accept)),
            )
            .await?;
        expect(&reply, 202, "consent")?;

        let mut headers = HeaderMap::new();
        headers.insert(COOKIE, HeaderValue::from_str(&cookie)?);
        let reply = public
            .send(
                Method::GET,
                &format!("/interact/{interact_id}/{nonce}/finish"),
                headers,
                None,
            )
            .await?;
        let back = location(&reply, "finish")?;
        let code = query_param(&back, "code")?;
        self.token_endpoint(
            &mut public,
            client,
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", REDIRECT_URI),
                ("code_verifier", &verifier),
            ],
        )
        .await
    }
}

fn location(reply: &Reply, what: &str) -> anyhow::Result<String> {
    reply
        .headers
        .get(LOCATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .with_context(|| {
            format!(
                "{what}: no redirect ({}): {}",
                reply.status,
                String::from_utf8_lossy(&reply.body)
            )
        })
}

fn query_param(url: &str, name: &str) -> anyhow::Result<String> {
    url::Url::parse(url)?
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
        .ok_or_else(|| anyhow!("no `{name}` in {url}"))
}
