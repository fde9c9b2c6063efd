//! Client keys from `{wallet address}/jwks.json`, cached.
//!
//! Keys are cached per wallet address for a TTL, so a busy client costs one fetch per TTL, not one
//! per request. An unknown `kid` triggers one refetch (the client may have just added a key), but
//! at most once per [`MIN_REFETCH_INTERVAL`] per wallet address, so a stream of requests with made-up
//! key ids cannot turn Tessera into a request amplifier. Redirects are not followed and bodies are
//! capped, since the URL comes from the client.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use ed25519_dalek::VerifyingKey;
use tessera_core::keys::{ClientKeys, KeyLookupError};
use tessera_proto::jwk::Jwk;

/// `jwks.json` with each key still unparsed, so one foreign key does not hide the others.
#[derive(serde::Deserialize)]
struct RawKeySet {
    keys: Vec<serde_json::Value>,
}

const MIN_REFETCH_INTERVAL: Duration = Duration::from_secs(1);
const MAX_DOCUMENT_BYTES: usize = 64 * 1024;
const FETCH_TIMEOUT: Duration = Duration::from_secs(5);
/// Past this many wallet addresses the cache starts over rather than grow without bound.
const MAX_CACHED_WALLETS: usize = 10_000;

struct CachedKeys {
    fetched_at: Instant,
    keys: HashMap<String, VerifyingKey>,
}

pub struct HttpClientKeys {
    http: reqwest::Client,
    allow_http: bool,
    ttl: Duration,
    cache: Mutex<HashMap<String, CachedKeys>>,
}

enum CacheLookup {
    Hit(VerifyingKey),
    /// Fresh entry without the key, fetched too recently to try again.
    KnownMissing,
    Miss,
}

impl HttpClientKeys {
    pub fn new(allow_http: bool, ttl: Duration) -> Result<HttpClientKeys, reqwest::Error> {
        let http = reqwest::Client::builder()
            // Explicit, so that a build which also compiles reqwest's native-tls (the official
            // Rust SDK, a dev-dependency, enables it) still fetches keys over rustls.
            .use_rustls_tls()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(FETCH_TIMEOUT)
            .user_agent(concat!("tessera/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(HttpClientKeys {
            http,
            allow_http,
            ttl,
            cache: Mutex::new(HashMap::new()),
        })
    }

    fn lookup(&self, wallet_address: &str, key_id: &str) -> CacheLookup {
        let Ok(cache) = self.cache.lock() else {
            return CacheLookup::Miss;
        };
        match cache.get(wallet_address) {
            Some(entry) if entry.fetched_at.elapsed() < self.ttl => match entry.keys.get(key_id) {
                Some(key) => CacheLookup::Hit(*key),
                None if entry.fetched_at.elapsed() < MIN_REFETCH_INTERVAL => {
                    CacheLookup::KnownMissing
                }
                None => CacheLookup::Miss,
            },
            _ => CacheLookup::Miss,
        }
    }

    fn jwks_url(&self, wallet_address: &str) -> Result<url::Url, KeyLookupError> {
        let url = url::Url::parse(wallet_address)
            .map_err(|_| KeyLookupError::NotAllowed("not a URL".into()))?;
        match url.scheme() {
            "https" => {}
            "http" if self.allow_http => {}
            scheme => {
                return Err(KeyLookupError::NotAllowed(format!(
                    "{scheme}:// wallet addresses are not accepted (https only)"
                )));
            }
        }
        url::Url::parse(&format!(
            "{}/jwks.json",
            wallet_address.trim_end_matches('/')
        ))
        .map_err(|_| KeyLookupError::NotAllowed("not a URL".into()))
    }

    /// The wallet address URL itself, if the policy allows fetching it.
    fn wallet_address_url(&self, wallet_address: &str) -> Result<url::Url, KeyLookupError> {
        self.jwks_url(wallet_address)?;
        url::Url::parse(wallet_address).map_err(|_| KeyLookupError::NotAllowed("not a URL".into()))
    }

    async fn fetch(
        &self,
        wallet_address: &str,
    ) -> Result<HashMap<String, VerifyingKey>, KeyLookupError> {
        let body = self.get_json(self.jwks_url(wallet_address)?).await?;
        let set: RawKeySet = serde_json::from_slice(&body)
            .map_err(|e| KeyLookupError::Unreachable(format!("jwks.json is not a key set: {e}")))?;
        // Keys that are not Ed25519 (or not even well-formed JWKs) are skipped, not fatal: a
        // wallet may publish other keys too.
        Ok(set
            .keys
            .into_iter()
            .filter_map(|raw| serde_json::from_value::<Jwk>(raw).ok())
            .filter_map(|jwk| {
                tessera_httpsig::jwk_to_verifying_key(&jwk)
                    .ok()
                    .map(|k| (jwk.kid, k))
            })
            .collect())
    }

    /// GETs a JSON document the client points us at: no redirects, capped size, timeout.
    async fn get_json(&self, url: url::Url) -> Result<Vec<u8>, KeyLookupError> {
        let unreachable =
            |e: reqwest::Error| KeyLookupError::Unreachable(e.without_url().to_string());
        let mut response = self
            .http
            .get(url)
            .header(reqwest::header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(unreachable)?;
        if !response.status().is_success() {
            return Err(KeyLookupError::Unreachable(format!(
                "{} answered {}",
                response.url().path(),
                response.status()
            )));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(unreachable)? {
            if body.len() + chunk.len() > MAX_DOCUMENT_BYTES {
                return Err(KeyLookupError::Unreachable("document is too large".into()));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }
}

#[async_trait]
impl ClientKeys for HttpClientKeys {
    async fn key(
        &self,
        wallet_address: &str,
        key_id: &str,
    ) -> Result<VerifyingKey, KeyLookupError> {
        match self.lookup(wallet_address, key_id) {
            CacheLookup::Hit(key) => return Ok(key),
            CacheLookup::KnownMissing => return Err(KeyLookupError::UnknownKey),
            CacheLookup::Miss => {}
        }
        let keys = self.fetch(wallet_address).await?;
        let found = keys.get(key_id).copied();
        if let Ok(mut cache) = self.cache.lock() {
            if cache.len() >= MAX_CACHED_WALLETS {
                cache.clear();
            }
            cache.insert(
                wallet_address.to_owned(),
                CachedKeys {
                    fetched_at: Instant::now(),
                    keys,
                },
            );
        }
        found.ok_or(KeyLookupError::UnknownKey)
    }

    async fn public_name(&self, wallet_address: &str) -> Result<Option<String>, KeyLookupError> {
        #[derive(serde::Deserialize)]
        struct WalletAddressDocument {
            #[serde(rename = "publicName")]
            public_name: Option<String>,
        }
        let body = self
            .get_json(self.wallet_address_url(wallet_address)?)
            .await?;
        let document: WalletAddressDocument = serde_json::from_slice(&body).map_err(|e| {
            KeyLookupError::Unreachable(format!("not a wallet address document: {e}"))
        })?;
        Ok(document.public_name.filter(|name| !name.trim().is_empty()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_https_unless_http_is_allowed() {
        let strict = HttpClientKeys::new(false, Duration::from_secs(1)).unwrap();
        assert!(matches!(
            strict.jwks_url("http://w.example/alice"),
            Err(KeyLookupError::NotAllowed(_))
        ));
        assert!(matches!(
            strict.jwks_url("file:///etc/passwd"),
            Err(KeyLookupError::NotAllowed(_))
        ));
        assert_eq!(
            strict
                .jwks_url("https://w.example/alice/")
                .unwrap()
                .as_str(),
            "https://w.example/alice/jwks.json"
        );
        let dev = HttpClientKeys::new(true, Duration::from_secs(1)).unwrap();
        assert_eq!(
            dev.jwks_url("http://127.0.0.1:9/alice").unwrap().as_str(),
            "http://127.0.0.1:9/alice/jwks.json"
        );
    }
}
