//! One keep-alive HTTP/1.1 connection per worker, straight on hyper's connection API.
//!
//! The load generator shares the machine's cores with the server it measures, so every
//! microsecond it spends per request is one the server does not get. A pooled client (reqwest)
//! adds a pool lookup, a `Url` parse and a few allocations per request; a worker that owns its
//! connection needs none of that.

use std::net::SocketAddr;

use anyhow::{Context as _, anyhow};
use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method, Request, header};
use http_body_util::{BodyExt as _, Full};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

/// A server to talk to: the base URL as clients see it (what signatures cover) and the socket.
#[derive(Debug, Clone)]
pub struct Endpoint {
    /// `http://host:port`, no trailing slash.
    pub base: String,
    pub addr: SocketAddr,
    host: HeaderValue,
}

impl Endpoint {
    pub async fn parse(base: &str) -> anyhow::Result<Endpoint> {
        let url = url::Url::parse(base).with_context(|| format!("not a URL: {base}"))?;
        if url.scheme() != "http" {
            return Err(anyhow!("only http:// endpoints are supported: {base}"));
        }
        let host = url.host_str().ok_or_else(|| anyhow!("no host in {base}"))?;
        let port = url.port_or_known_default().unwrap_or(80);
        let addr = tokio::net::lookup_host((host, port))
            .await?
            .next()
            .ok_or_else(|| anyhow!("{host} does not resolve"))?;
        Ok(Endpoint {
            base: base.trim_end_matches('/').to_owned(),
            addr,
            host: HeaderValue::from_str(&format!("{host}:{port}"))?,
        })
    }

    /// The absolute URL of `path` (which starts with `/`).
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

/// A response, fully read.
pub struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Bytes,
}

/// A connection to one endpoint, reopened when the server closes it.
pub struct Conn {
    endpoint: Endpoint,
    sender: Option<SendRequest<Full<Bytes>>>,
}

impl Conn {
    pub fn new(endpoint: &Endpoint) -> Conn {
        Conn {
            endpoint: endpoint.clone(),
            sender: None,
        }
    }

    async fn connect(&self) -> anyhow::Result<SendRequest<Full<Bytes>>> {
        let stream = TcpStream::connect(self.endpoint.addr)
            .await
            .with_context(|| format!("connecting to {}", self.endpoint.addr))?;
        stream.set_nodelay(true)?;
        let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .context("HTTP handshake")?;
        tokio::spawn(connection);
        Ok(sender)
    }

    /// Sends `method path` with `headers` and `body`; `Host` is added here.
    pub async fn send(
        &mut self,
        method: Method,
        path: &str,
        mut headers: HeaderMap,
        body: Option<Bytes>,
    ) -> anyhow::Result<Reply> {
        let mut sender = match self.sender.take() {
            Some(s) if !s.is_closed() => s,
            _ => self.connect().await?,
        };
        sender.ready().await.context("connection not ready")?;
        headers.insert(header::HOST, self.endpoint.host.clone());
        let mut request = Request::builder()
            .method(method)
            .uri(path)
            .body(Full::new(body.unwrap_or_default()))?;
        *request.headers_mut() = headers;
        let response = sender.send_request(request).await.context("request")?;
        let (parts, body) = response.into_parts();
        let body = body.collect().await.context("response body")?.to_bytes();
        self.sender = Some(sender);
        Ok(Reply {
            status: parts.status.as_u16(),
            headers: parts.headers,
            body,
        })
    }
}
