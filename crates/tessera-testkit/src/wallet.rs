//! A minimal Open Payments wallet-address server: `GET /{name}` describes the wallet address,
//! `GET /{name}/jwks.json` publishes its keys. Keys can be changed while it runs, and fetches
//! are counted, so tests can observe Tessera's key cache.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use ed25519_dalek::SigningKey;
use serde_json::{Value, json};
use tessera_httpsig::{RequestSigner, signing_key_to_pem};
use tessera_proto::jwk::Jwk;

#[derive(Default)]
struct Wallets {
    keys: Mutex<HashMap<String, Vec<Jwk>>>,
    jwks_fetches: AtomicUsize,
}

#[derive(Clone)]
pub struct WalletServer {
    pub base_url: String,
    wallets: Arc<Wallets>,
}

impl WalletServer {
    pub async fn start() -> WalletServer {
        let wallets = Arc::new(Wallets::default());
        let app = Router::new()
            .route("/{name}", get(wallet_address))
            .route("/{name}/jwks.json", get(jwks))
            .with_state(wallets.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base_url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        WalletServer { base_url, wallets }
    }

    /// The wallet address URL for `name`.
    pub fn address(&self, name: &str) -> String {
        format!("{}/{name}", self.base_url)
    }

    /// Publishes `keys` as `name`'s key set (replacing what was there).
    pub fn set_keys(&self, name: &str, keys: Vec<Jwk>) {
        self.wallets
            .keys
            .lock()
            .unwrap()
            .insert(name.to_owned(), keys);
    }

    /// A fresh key for `name`, written to `{dir}/{name}.pem` (PKCS#8, what the SDKs and the CLI
    /// load) with key id `{name}-key`, and published as `name`'s only key.
    pub fn register_key_file(&self, name: &str, dir: &std::path::Path) -> ClientKeyFile {
        let key = SigningKey::generate(&mut rand::rngs::OsRng);
        let key_id = format!("{name}-key");
        let pem_path = dir.join(format!("{name}.pem"));
        std::fs::write(&pem_path, signing_key_to_pem(&key).unwrap()).unwrap();
        let signer = RequestSigner::new(key, key_id.clone());
        self.set_keys(name, vec![signer.jwk()]);
        ClientKeyFile {
            wallet_address: self.address(name),
            key_id,
            pem_path,
            signer,
        }
    }

    pub fn jwks_fetches(&self) -> usize {
        self.wallets.jwks_fetches.load(Ordering::SeqCst)
    }
}

/// A client whose private key is in a PEM file: see [`WalletServer::register_key_file`].
pub struct ClientKeyFile {
    pub wallet_address: String,
    pub key_id: String,
    pub pem_path: PathBuf,
    /// The same key, for signing in-process.
    pub signer: RequestSigner,
}

async fn wallet_address(
    State(wallets): State<Arc<Wallets>>,
    Path(name): Path<String>,
) -> Result<Json<Value>, StatusCode> {
    if !wallets.keys.lock().unwrap().contains_key(&name) {
        return Err(StatusCode::NOT_FOUND);
    }
    Ok(Json(
        json!({ "id": name, "publicName": name, "assetCode": "USD", "assetScale": 2 }),
    ))
}

async fn jwks(
    State(wallets): State<Arc<Wallets>>,
    Path(name): Path<String>,
) -> Result<Json<Value>, StatusCode> {
    wallets.jwks_fetches.fetch_add(1, Ordering::SeqCst);
    let keys = wallets
        .keys
        .lock()
        .unwrap()
        .get(&name)
        .cloned()
        .ok_or(StatusCode::NOT_FOUND)?;
    Ok(Json(json!({ "keys": keys })))
}
