//! A signing GNAP client for tests: it sends exactly what an official SDK would (pick the SDK with
//! [`SignatureStyle`]), and can also send what no honest client would (stale, unsigned, forged).

use ed25519_dalek::SigningKey;
use http::{HeaderMap, HeaderValue, Method};
use serde_json::Value;
use tessera_httpsig::{RequestSigner, SignatureStyle};

use crate::WalletServer;

pub struct TestClient {
    pub wallet_address: String,
    pub signer: RequestSigner,
    http: reqwest::Client,
}

/// A response: status, JSON body (`Value::Null` when empty) and `Retry-After`.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub body: Value,
    /// The `Retry-After` header, if any.
    pub retry_after: Option<String>,
}

impl Reply {
    /// Reads a response: its status, `Retry-After`, and JSON body (`null` when empty).
    pub async fn read(response: reqwest::Response) -> Reply {
        Reply::try_read(response).await.unwrap()
    }

    /// Like [`Reply::read`], but a body cut off in transit is an `Err`.
    pub async fn try_read(response: reqwest::Response) -> Result<Reply, reqwest::Error> {
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let bytes = response.bytes().await?;
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap_or_else(|_| {
                panic!(
                    "non-JSON body {status}: {}",
                    String::from_utf8_lossy(&bytes)
                )
            })
        };
        Ok(Reply {
            status,
            body,
            retry_after,
        })
    }

    /// The GNAP error code, if this is an error.
    pub fn error_code(&self) -> Option<&str> {
        self.body["error"]["code"].as_str()
    }

    #[track_caller]
    pub fn assert_error(&self, status: u16, code: &str) {
        assert_eq!(
            (self.status, self.error_code()),
            (status, Some(code)),
            "body: {}",
            self.body
        );
    }
}

/// Knobs for requests an honest client would not send.
#[derive(Debug, Clone, Default)]
pub struct Tamper {
    /// Sign with this `created` instead of now.
    pub created: Option<i64>,
    /// Send no signature headers at all.
    pub unsigned: bool,
    /// Sign this body, then send `send_body` instead.
    pub send_body: Option<Vec<u8>>,
}

impl TestClient {
    /// A client with a fresh key, published at `wallets` under `name`.
    pub fn register(wallets: &WalletServer, name: &str) -> TestClient {
        let key = SigningKey::generate(&mut rand::rngs::OsRng);
        let client = TestClient::new(wallets.address(name), key, format!("{name}-key-1"));
        wallets.set_keys(name, vec![client.signer.jwk()]);
        client
    }

    pub fn new(wallet_address: String, key: SigningKey, key_id: String) -> TestClient {
        TestClient {
            wallet_address,
            signer: RequestSigner::new(key, key_id),
            http: reqwest::Client::new(),
        }
    }

    pub fn with_style(mut self, style: SignatureStyle) -> TestClient {
        self.signer = self.signer.with_style(style);
        self
    }

    /// A grant request body asking for `access`, identified by this client's wallet address.
    pub fn grant_body(&self, access: Value) -> Value {
        serde_json::json!({ "access_token": { "access": access }, "client": self.wallet_address })
    }

    /// `POST {grant_url}` with a body.
    pub async fn request_grant(&self, grant_url: &str, body: &Value) -> Reply {
        self.send(Method::POST, grant_url, None, Some(body)).await
    }

    pub async fn rotate(&self, manage_url: &str, token: &str) -> Reply {
        self.send(Method::POST, manage_url, Some(token), None).await
    }

    pub async fn revoke(&self, manage_url: &str, token: &str) -> Reply {
        self.send(Method::DELETE, manage_url, Some(token), None)
            .await
    }

    pub async fn cancel(&self, continue_url: &str, continue_token: &str) -> Reply {
        self.send(Method::DELETE, continue_url, Some(continue_token), None)
            .await
    }

    pub async fn send(
        &self,
        method: Method,
        url: &str,
        gnap: Option<&str>,
        body: Option<&Value>,
    ) -> Reply {
        self.send_tampered(method, url, gnap, body, Tamper::default())
            .await
    }

    pub async fn send_tampered(
        &self,
        method: Method,
        url: &str,
        gnap: Option<&str>,
        body: Option<&Value>,
        tamper: Tamper,
    ) -> Reply {
        self.try_send(method, url, gnap, body, tamper)
            .await
            .unwrap()
    }

    /// Like [`TestClient::send_tampered`], but a transport failure (the server died) is an
    /// `Err`, not a panic.
    pub async fn try_send(
        &self,
        method: Method,
        url: &str,
        gnap: Option<&str>,
        body: Option<&Value>,
        tamper: Tamper,
    ) -> Result<Reply, reqwest::Error> {
        let body = body.map(|b| serde_json::to_vec(b).unwrap());
        let mut headers = HeaderMap::new();
        if let Some(token) = gnap {
            headers.insert(
                "authorization",
                HeaderValue::from_str(&format!("GNAP {token}")).unwrap(),
            );
        }
        if !tamper.unsigned {
            let created = tamper.created.unwrap_or_else(crate::unix_now);
            self.signer
                .sign(method.as_str(), url, &mut headers, body.as_deref(), created)
                .unwrap();
        } else if body.is_some() {
            headers.insert("content-type", HeaderValue::from_static("application/json"));
        }
        let mut request = self.http.request(method, url).headers(headers);
        if let Some(body) = tamper.send_body.or(body) {
            request = request.body(body);
        }
        Reply::try_read(request.send().await?).await
    }
}

/// Rotates `token` once at each of `manage_urls` (the same management URL, possibly as it reads
/// on different nodes), all requests released at the same moment. Every rotation but the
/// winners must be refused with `invalid_rotation`; returns the winners' new token values.
pub async fn rotate_at_once(
    client: std::sync::Arc<TestClient>,
    token: &str,
    manage_urls: Vec<String>,
) -> Vec<String> {
    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(manage_urls.len()));
    let mut tasks = tokio::task::JoinSet::new();
    for manage in manage_urls {
        let (client, token, barrier) = (client.clone(), token.to_owned(), barrier.clone());
        tasks.spawn(async move {
            barrier.wait().await;
            client.rotate(&manage, &token).await
        });
    }
    let mut winners = Vec::new();
    while let Some(reply) = tasks.join_next().await {
        let reply = reply.unwrap();
        match reply.status {
            200 => winners.push(
                reply.body["access_token"]["value"]
                    .as_str()
                    .unwrap()
                    .to_owned(),
            ),
            _ => reply.assert_error(400, "invalid_rotation"),
        }
    }
    winners
}
