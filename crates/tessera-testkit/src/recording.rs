//! A server that records every request it receives, exactly as it arrived, and answers with
//! whatever the test says: for checking what a client puts on the wire.

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use serde_json::Value;

/// One request as received.
#[derive(Debug, Clone)]
pub struct RecordedRequest {
    pub method: String,
    /// `http://{Host}{path and query}`: what a verifier rebuilds as `@target-uri`.
    pub url: String,
    /// Header names lower-cased; repeated fields joined with `, `.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl RecordedRequest {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// As JSON for the npm verifier script: `{method, url, headers: {...}, body: string|null}`.
    pub fn to_json(&self) -> Value {
        let headers: serde_json::Map<String, Value> = self
            .headers
            .iter()
            .map(|(n, v)| (n.clone(), Value::String(v.clone())))
            .collect();
        serde_json::json!({
            "method": self.method,
            "url": self.url,
            "headers": headers,
            "body": if self.body.is_empty() { Value::Null } else { Value::String(String::from_utf8(self.body.clone()).unwrap()) },
        })
    }
}

type Reply = dyn Fn(&RecordedRequest) -> (u16, Option<Value>) + Send + Sync;

struct Shared {
    requests: Mutex<Vec<RecordedRequest>>,
    reply: Box<Reply>,
}

#[derive(Clone)]
pub struct RecordingServer {
    /// `http://127.0.0.1:{port}`, no trailing slash.
    pub base_url: String,
    shared: Arc<Shared>,
}

impl RecordingServer {
    /// Answers each request with `reply(request)`: a status and an optional JSON body.
    pub async fn start(
        reply: impl Fn(&RecordedRequest) -> (u16, Option<Value>) + Send + Sync + 'static,
    ) -> RecordingServer {
        let shared = Arc::new(Shared {
            requests: Mutex::new(Vec::new()),
            reply: Box::new(reply),
        });
        let app = Router::new().fallback(record).with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base_url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        RecordingServer { base_url, shared }
    }

    /// Every request received so far, in order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.requests.lock().unwrap().clone()
    }
}

async fn record(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let body: Bytes = axum::body::to_bytes(body, 1 << 20).await.unwrap();
    let host = parts.headers[header::HOST].to_str().unwrap().to_owned();
    let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    let recorded = RecordedRequest {
        method: parts.method.to_string(),
        url: format!("http://{host}{path}"),
        headers: joined_headers(&parts.headers),
        body: body.to_vec(),
    };
    let (status, json) = (shared.reply)(&recorded);
    shared.requests.lock().unwrap().push(recorded);
    let mut response = Response::builder().status(StatusCode::from_u16(status).unwrap());
    let body = match json {
        Some(json) => {
            response = response.header(header::CONTENT_TYPE, "application/json");
            Body::from(json.to_string())
        }
        None => Body::empty(),
    };
    response.body(body).unwrap()
}

fn joined_headers(headers: &HeaderMap) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for name in headers.keys() {
        let values: Vec<&str> = headers
            .get_all(name)
            .iter()
            .map(|v| v.to_str().unwrap())
            .collect();
        out.push((name.as_str().to_owned(), values.join(", ")));
    }
    out
}
