//! OAuth test helpers: register clients through the admin API, call the token endpoints with
//! forms, and run the authorization-code consent step through the IdP API.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

use crate::TestServer;
use crate::interactive::{ADMIN_TOKEN, Browser, query_param};

pub const REDIRECT_URI: &str = "https://app.example/callback";

/// A registered client and its secret.
#[derive(Debug, Clone)]
pub struct Registered {
    pub id: String,
    pub secret: Option<String>,
}

/// A response: status, headers of interest, JSON body (`Null` when empty), raw body.
#[derive(Debug, Clone)]
pub struct FormReply {
    pub status: u16,
    pub body: Value,
    pub raw: Vec<u8>,
    pub cache_control: Option<String>,
    pub pragma: Option<String>,
    pub www_authenticate: Option<String>,
}

impl FormReply {
    pub fn error(&self) -> Option<&str> {
        self.body["error"].as_str()
    }

    #[track_caller]
    pub fn assert_error(&self, status: u16, error: &str) {
        assert_eq!(
            (self.status, self.error()),
            (status, Some(error)),
            "body: {}",
            self.body
        );
        assert!(
            self.body["error_description"].is_string(),
            "no error_description: {}",
            self.body
        );
    }
}

pub struct OAuthHarness {
    pub http: reqwest::Client,
    pub public_url: String,
    pub internal_url: String,
}

impl OAuthHarness {
    pub fn new(server: &TestServer) -> OAuthHarness {
        OAuthHarness {
            http: reqwest::Client::new(),
            public_url: server.public_url.clone(),
            internal_url: server.internal_url.clone(),
        }
    }

    /// Registers a client through the admin API.
    pub async fn register(&self, body: Value) -> Registered {
        let response = self
            .http
            .post(format!("{}/clients", self.internal_url))
            .bearer_auth(ADMIN_TOKEN)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201);
        let v: Value = response.json().await.unwrap();
        Registered {
            id: v["client_id"].as_str().unwrap().to_owned(),
            secret: v["client_secret"].as_str().map(str::to_owned),
        }
    }

    /// A confidential client with every grant, scope `read write`.
    pub async fn confidential(&self) -> Registered {
        self.register(json!({
            "name": "Shop backend",
            "grant_types": ["authorization_code", "client_credentials", "refresh_token"],
            "redirect_uris": [REDIRECT_URI],
            "scope": "read write",
        }))
        .await
    }

    /// Posts a form to `path` (e.g. `/oauth2/token`), with Basic credentials when given.
    pub async fn post_form(
        &self,
        path: &str,
        basic: Option<(&str, &str)>,
        form: &[(&str, &str)],
    ) -> FormReply {
        let mut request = self
            .http
            .post(format!("{}{path}", self.public_url))
            .form(form);
        if let Some((id, secret)) = basic {
            request = request.basic_auth(id, Some(secret));
        }
        reply(request.send().await.unwrap()).await
    }

    /// Client credentials in the form body.
    pub async fn token_with_body(&self, client: &Registered, form: &[(&str, &str)]) -> FormReply {
        let mut fields = form.to_vec();
        fields.push(("client_id", &client.id));
        let secret = client.secret.clone().unwrap_or_default();
        if client.secret.is_some() {
            fields.push(("client_secret", &secret));
        }
        self.post_form("/oauth2/token", None, &fields).await
    }

    pub async fn refresh(&self, client: &Registered, refresh_token: &str) -> FormReply {
        self.token_with_body(
            client,
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh_token),
            ],
        )
        .await
    }

    pub async fn introspect(&self, rs: &Registered, token: &str) -> Value {
        let reply = self
            .post_form(
                "/oauth2/introspect",
                Some((&rs.id, rs.secret.as_deref().unwrap())),
                &[("token", token)],
            )
            .await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        reply.body
    }

    /// Runs authorize -> IdP accept for `subject` -> finish, returning the redirect back to
    /// the client (with `code` or `error`).
    pub async fn consent(&self, query: &[(&str, &str)], subject: Option<&str>) -> String {
        let mut url = url::Url::parse(&format!("{}/oauth2/authorize", self.public_url)).unwrap();
        url.query_pairs_mut().extend_pairs(query);
        self.consent_in(&mut Browser::default(), url.as_str(), subject)
            .await
    }

    /// Like [`OAuthHarness::consent`], for a complete authorization URL (as a client library
    /// builds it), in `browser`.
    pub async fn consent_in(
        &self,
        browser: &mut Browser,
        authorization_url: &str,
        subject: Option<&str>,
    ) -> String {
        let page = browser.get(authorization_url).await;
        let consent = page
            .location
            .clone()
            .unwrap_or_else(|| panic!("no redirect: {page:?}"));
        let Some(id) = query_param(&consent, "interactId") else {
            return consent; // an error redirect straight back to the client
        };
        let nonce = query_param(&consent, "nonce").unwrap();
        let decision = match subject {
            Some(subject) => self
                .http
                .post(format!("{}/grants/{id}/{nonce}/accept", self.internal_url))
                .bearer_auth(ADMIN_TOKEN)
                .json(&json!({ "subject": subject })),
            None => self
                .http
                .post(format!("{}/grants/{id}/{nonce}/reject", self.internal_url))
                .bearer_auth(ADMIN_TOKEN),
        };
        assert_eq!(decision.send().await.unwrap().status(), 202);
        let page = browser
            .get(&format!("{}/interact/{id}/{nonce}/finish", self.public_url))
            .await;
        page.location
            .clone()
            .unwrap_or_else(|| panic!("no redirect: {page:?}"))
    }
}

impl OAuthHarness {
    /// Authorization code + PKCE for `subject`, exchanged at once; the token response.
    pub async fn code_flow(&self, client: &Registered, scope: &str, subject: &str) -> Value {
        let (verifier, challenge) = pkce();
        let back = self
            .consent(
                &[
                    ("response_type", "code"),
                    ("client_id", &client.id),
                    ("redirect_uri", REDIRECT_URI),
                    ("scope", scope),
                    ("state", "xyz"),
                    ("code_challenge", &challenge),
                    ("code_challenge_method", "S256"),
                ],
                Some(subject),
            )
            .await;
        assert!(back.starts_with(REDIRECT_URI), "{back}");
        assert_eq!(query_param(&back, "state").as_deref(), Some("xyz"));
        assert_eq!(
            query_param(&back, "iss").as_deref(),
            Some(self.public_url.as_str())
        );
        let code = query_param(&back, "code").unwrap_or_else(|| panic!("no code in {back}"));
        assert!(code.starts_with("tsr_ac_"), "{code}");
        let reply = self
            .token_with_body(
                client,
                &[
                    ("grant_type", "authorization_code"),
                    ("code", &code),
                    ("redirect_uri", REDIRECT_URI),
                    ("code_verifier", &verifier),
                ],
            )
            .await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        reply.body
    }
}

async fn reply(response: reqwest::Response) -> FormReply {
    let status = response.status().as_u16();
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
    };
    let (cache_control, pragma, www_authenticate) = (
        header("cache-control"),
        header("pragma"),
        header("www-authenticate"),
    );
    let raw = response.bytes().await.unwrap().to_vec();
    let body = if raw.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&raw).unwrap_or(Value::Null)
    };
    FormReply {
        status,
        body,
        raw,
        cache_control,
        pragma,
        www_authenticate,
    }
}

/// A PKCE verifier and its S256 challenge.
pub fn pkce() -> (String, String) {
    let verifier = format!("{}{}", "v".repeat(20), rand::random::<u64>()).repeat(2);
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    (verifier, challenge)
}
