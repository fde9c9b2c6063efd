//! A real `tessera` server on ephemeral loopback ports, backed by a fresh database on the
//! backend the test asks for.

use tessera_server::{RunningServer, ServerConfig};

use crate::database::{Backend, TestDatabase};

pub struct TestServer {
    server: Option<RunningServer>,
    /// Base URL of the public listener, no trailing slash (the grant endpoint is `{base}/`).
    pub public_url: String,
    /// Base URL of the internal listener.
    pub internal_url: String,
    /// The test's database; the server may reach it by another URL (see [`Self::start_with`]).
    pub database: TestDatabase,
}

impl TestServer {
    pub async fn start(backend: Backend) -> TestServer {
        Self::start_with(backend, |_| {}).await
    }

    /// Starts on a fresh database of `backend`, with the test defaults changed by `configure`
    /// (which may also point `database_url` elsewhere, e.g. through a proxy to the same database).
    pub async fn start_with(
        backend: Backend,
        configure: impl FnOnce(&mut ServerConfig),
    ) -> TestServer {
        let database = TestDatabase::create(backend).await;
        let mut config = ServerConfig::for_tests(database.url.clone());
        configure(&mut config);
        let server = tessera_server::start(config).await.unwrap();
        TestServer {
            public_url: server.public_url.clone(),
            internal_url: format!("http://{}", server.internal_addr),
            server: Some(server),
            database,
        }
    }

    /// The grant request endpoint.
    pub fn grant_url(&self) -> String {
        format!("{}/", self.public_url)
    }

    /// Introspects `token` as a resource server would; returns the JSON answer.
    pub async fn introspect(&self, token: &str) -> serde_json::Value {
        introspect(&self.internal_url, token).await
    }

    pub async fn is_active(&self, token: &str) -> bool {
        self.introspect(token).await["active"] == serde_json::Value::Bool(true)
    }

    /// How many requests to `route` (as the router names it, e.g. `/token/{id}`) were answered
    /// with `status`: see [`request_count`].
    pub async fn request_count(&self, route: &str, status: u16) -> u64 {
        request_count(&self.internal_url, route, status).await
    }

    pub async fn shutdown(mut self) {
        if let Some(server) = self.server.take() {
            server.shutdown().await.unwrap();
        }
    }
}

/// How many requests to `route` (as the router names it, e.g. `/token/{id}`) were answered with
/// `status`, from the Prometheus metrics of the server whose internal listener is `internal_url`.
pub async fn request_count(internal_url: &str, route: &str, status: u16) -> u64 {
    let metrics = reqwest::get(format!("{internal_url}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let needle = format!("route=\"{route}\",status=\"{status}\"}} ");
    metrics
        .lines()
        .filter(|l| l.starts_with("tessera_http_requests_total{"))
        .filter_map(|l| {
            l.split_once(&needle)
                .map(|(_, n)| n.parse::<u64>().unwrap())
        })
        .sum()
}

/// `POST {internal_url}/introspect` for `token`, which must answer 200; returns the JSON answer.
pub async fn introspect(internal_url: &str, token: &str) -> serde_json::Value {
    let response = reqwest::Client::new()
        .post(format!("{internal_url}/introspect"))
        .json(&serde_json::json!({ "access_token": token }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}
