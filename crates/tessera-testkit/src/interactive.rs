//! Helpers for interactive grants: a browser that does not follow redirects but keeps the
//! interaction cookie, and the identity provider's side of the internal API.

use serde_json::{Value, json};

use crate::{Backend, Reply, TestServer};

pub const ADMIN_TOKEN: &str = "test-admin-token-0123456789";
pub const IDP_CONSENT_URL: &str = "https://idp.example/consent";
pub const FINISH_URI: &str = "https://client.example/finish";

/// Outgoing-payment access with a debit limit, on `wallet_address`.
pub fn outgoing_payment_access(wallet_address: &str) -> Value {
    json!([{
        "type": "outgoing-payment",
        "actions": ["create", "read", "list"],
        "identifier": wallet_address,
        "limits": {
            "debitAmount": {"value": "500", "assetCode": "USD", "assetScale": 2},
            "interval": "R/2026-11-23T00:00:00Z/P1M"
        }
    }])
}

/// A grant request asking for `access` with a redirect start and, when given, a finish redirect
/// with `client_nonce`.
pub fn interactive_grant_body(
    wallet_address: &str,
    access: Value,
    client_nonce: Option<&str>,
) -> Value {
    let mut interact = json!({ "start": ["redirect"] });
    if let Some(nonce) = client_nonce {
        interact["finish"] = json!({ "method": "redirect", "uri": FINISH_URI, "nonce": nonce });
    }
    json!({ "access_token": { "access": access }, "client": wallet_address, "interact": interact })
}

/// The value of query parameter `name` in `url`.
pub fn query_param(url: &str, name: &str) -> Option<String> {
    url::Url::parse(url)
        .ok()?
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// A browser: no automatic redirects, one cookie jar entry.
pub struct Browser {
    http: reqwest::Client,
    cookie: Option<String>,
}

/// A browser response: status, `Location`, body text.
#[derive(Debug)]
pub struct Page {
    pub status: u16,
    pub location: Option<String>,
    pub body: String,
}

impl Default for Browser {
    fn default() -> Self {
        Browser {
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            cookie: None,
        }
    }
}

impl Browser {
    /// A browser on `http`, which must not follow redirects (e.g. one that trusts a test CA).
    pub fn with_client(http: reqwest::Client) -> Browser {
        Browser { http, cookie: None }
    }

    pub async fn get(&mut self, url: &str) -> Page {
        let request = self.http.get(url);
        self.send(request).await
    }

    pub async fn post(&mut self, url: &str) -> Page {
        let request = self.http.post(url);
        self.send(request).await
    }

    /// Forgets the cookie (another browser).
    pub fn clear_cookies(&mut self) {
        self.cookie = None;
    }

    async fn send(&mut self, mut request: reqwest::RequestBuilder) -> Page {
        if let Some(cookie) = &self.cookie {
            request = request.header("cookie", cookie);
        }
        let response = request.send().await.unwrap();
        if let Some(set) = response.headers().get("set-cookie") {
            let pair = set.to_str().unwrap().split(';').next().unwrap().to_owned();
            self.cookie = Some(pair);
        }
        let status = response.status().as_u16();
        let location = response
            .headers()
            .get("location")
            .map(|v| v.to_str().unwrap().to_owned());
        let body = response.text().await.unwrap();
        Page {
            status,
            location,
            body,
        }
    }
}

/// The identity provider's calls on the internal listener.
pub struct Idp {
    http: reqwest::Client,
    base: String,
    token: Option<String>,
}

impl Idp {
    pub fn new(server: &TestServer) -> Idp {
        Idp::at(&server.internal_url)
    }

    /// The IdP of a server whose internal listener is at `internal_url`, with [`ADMIN_TOKEN`].
    pub fn at(internal_url: &str) -> Idp {
        Idp {
            http: reqwest::Client::new(),
            base: internal_url.to_owned(),
            token: Some(ADMIN_TOKEN.into()),
        }
    }

    pub fn with_token(mut self, token: Option<&str>) -> Idp {
        self.token = token.map(str::to_owned);
        self
    }

    pub async fn details(&self, interaction_id: &str, nonce: &str) -> Reply {
        let request = self
            .http
            .get(format!("{}/grants/{interaction_id}/{nonce}", self.base));
        self.send(request).await
    }

    pub async fn decide(&self, interaction_id: &str, nonce: &str, choice: &str) -> Reply {
        let request = self.http.post(format!(
            "{}/grants/{interaction_id}/{nonce}/{choice}",
            self.base
        ));
        self.send(request).await
    }

    async fn send(&self, mut request: reqwest::RequestBuilder) -> Reply {
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        Reply::read(request.send().await.unwrap()).await
    }
}

/// The interaction id and nonce from an `interact.redirect` URL (`.../interact/{id}/{nonce}`).
pub fn interaction_of(redirect: &str) -> (String, String) {
    let url = url::Url::parse(redirect).unwrap();
    let segments: Vec<&str> = url.path_segments().unwrap().collect();
    let n = segments.len();
    assert!(
        n >= 3 && segments[n - 3] == "interact",
        "not an interaction URL: {redirect}"
    );
    (segments[n - 2].to_owned(), segments[n - 1].to_owned())
}

impl TestServer {
    /// A server whose consent goes to [`IDP_CONSENT_URL`], with the IdP API on [`ADMIN_TOKEN`]
    /// and no `wait` between polls unless `configure` sets one.
    pub async fn start_interactive(
        backend: Backend,
        configure: impl FnOnce(&mut tessera_server::ServerConfig),
    ) -> TestServer {
        TestServer::start_with(backend, |c| {
            c.idp_consent_url = Some(IDP_CONSENT_URL.into());
            c.admin_token = Some(ADMIN_TOKEN.into());
            c.continue_wait_secs = 0;
            configure(c);
        })
        .await
    }
}
