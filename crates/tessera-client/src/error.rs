//! [`ClientError`]: everything that can go wrong between building a client and reading the
//! server's answer. Server refusals keep the HTTP status and the GNAP error code and
//! description, so callers can match on them (`invalid_rotation`, `invalid_client`, ...).
//!
//! No variant's `Display` contains a token value or key material. A variant with an underlying
//! cause does not repeat it in its own message but returns it from `source()`, so a report that
//! walks the chain (`anyhow`'s `{:#}`) prints each cause once.

use std::path::PathBuf;

use tessera_proto::GnapErrorCode;

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The private key file could not be read.
    #[error("cannot read the private key {}", path.display())]
    ReadKey {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The private key file is not a PKCS#8 PEM Ed25519 key.
    #[error("the private key {} is not usable", path.display())]
    InvalidKeyFile {
        path: PathBuf,
        #[source]
        source: tessera_httpsig::KeyError,
    },
    /// The private key is not a PKCS#8 PEM Ed25519 key.
    #[error(transparent)]
    Key(#[from] tessera_httpsig::KeyError),
    /// A URL (wallet address, grant endpoint, continue or manage URL) is not an absolute
    /// `http(s)` URL.
    #[error("invalid URL `{url}`: {reason}")]
    InvalidUrl { url: String, reason: String },
    /// A token has characters an HTTP header cannot carry.
    #[error("the {0} token cannot be sent in an Authorization header")]
    InvalidToken(&'static str),
    /// The grant request breaks a rule the official client checks before sending it.
    #[error("invalid grant request: {0}")]
    InvalidGrantRequest(&'static str),
    /// The request body could not be written as JSON.
    #[error("cannot encode the request body")]
    Encode(#[source] serde_json::Error),
    /// The request could not be signed.
    #[error(transparent)]
    Sign(#[from] tessera_httpsig::SignError),
    /// Building the HTTP client failed (TLS set-up).
    #[error("cannot build the HTTP client")]
    HttpClient(#[source] reqwest::Error),
    /// The request did not get an answer: connection refused, timeout, broken response.
    #[error("{method} {url}: transport error")]
    Transport {
        method: &'static str,
        url: String,
        #[source]
        source: reqwest::Error,
    },
    /// The server refused the request with a GNAP error
    /// (`{"error":{"code":"...","description":"..."}}`).
    #[error(
        "{method} {url}: {status} {}{}",
        code.as_str(),
        description.as_deref().map(|d| format!(": {d}")).unwrap_or_default()
    )]
    Gnap {
        method: &'static str,
        url: String,
        status: u16,
        code: GnapErrorCode,
        description: Option<String>,
    },
    /// The server answered with a status the operation does not use (e.g. 200 to a DELETE,
    /// a redirect, or an error without a GNAP error body). `body` is the start of the answer.
    #[error("{method} {url}: unexpected status {status}{}", excerpt(body))]
    UnexpectedStatus {
        method: &'static str,
        url: String,
        status: u16,
        body: String,
    },
    /// The expected status came with a body that is not the expected JSON.
    #[error("{method} {url}: invalid response body")]
    InvalidResponse {
        method: &'static str,
        url: String,
        #[source]
        source: serde_json::Error,
    },
    /// The task rotating a kept token stopped before it finished (its runtime shut down).
    #[error("the token rotation was interrupted")]
    RotationInterrupted,
}

impl ClientError {
    /// The HTTP status of the server's answer, when there was one.
    pub fn status(&self) -> Option<u16> {
        match self {
            ClientError::Gnap { status, .. } | ClientError::UnexpectedStatus { status, .. } => {
                Some(*status)
            }
            _ => None,
        }
    }

    /// The GNAP error code the server sent, when it refused the request with one.
    pub fn gnap_code(&self) -> Option<GnapErrorCode> {
        match self {
            ClientError::Gnap { code, .. } => Some(*code),
            _ => None,
        }
    }
}

/// ` (body: ...)` with the first line of `body`, at most 200 characters; empty for no body.
fn excerpt(body: &str) -> String {
    let line = body.lines().next().unwrap_or_default().trim();
    if line.is_empty() {
        return String::new();
    }
    let cut: String = line.chars().take(200).collect();
    let more = if cut.len() < line.len() { "..." } else { "" };
    format!(" (body: {cut}{more})")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gnap_errors_read_as_one_line_with_status_code_and_description() {
        let e = ClientError::Gnap {
            method: "POST",
            url: "http://a/token/1".into(),
            status: 400,
            code: GnapErrorCode::InvalidRotation,
            description: Some("the token was already rotated".into()),
        };
        assert_eq!(
            e.to_string(),
            "POST http://a/token/1: 400 invalid_rotation: the token was already rotated"
        );
        assert_eq!(e.status(), Some(400));
        assert_eq!(e.gnap_code(), Some(GnapErrorCode::InvalidRotation));
        let bare = ClientError::Gnap {
            description: None,
            code: GnapErrorCode::InvalidClient,
            status: 401,
            method: "DELETE",
            url: "http://a/token/1".into(),
        };
        assert_eq!(
            bare.to_string(),
            "DELETE http://a/token/1: 401 invalid_client"
        );
    }

    #[test]
    fn unexpected_bodies_are_cut_to_one_short_line() {
        let long = format!("{}\nsecond line", "x".repeat(300));
        let e = ClientError::UnexpectedStatus {
            method: "DELETE",
            url: "http://a/token/1".into(),
            status: 502,
            body: long,
        };
        let text = e.to_string();
        assert!(!text.contains('\n'));
        assert!(
            text.ends_with(&format!("(body: {}...)", "x".repeat(200))),
            "{text}"
        );
        let empty = ClientError::UnexpectedStatus {
            method: "DELETE",
            url: "u".into(),
            status: 200,
            body: String::new(),
        };
        assert_eq!(empty.to_string(), "DELETE u: unexpected status 200");
        assert_eq!(empty.gnap_code(), None);
    }
}
