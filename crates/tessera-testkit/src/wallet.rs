//! A minimal Open Payments wallet-address server: `GET /{name}` describes the wallet address,
//! `GET /{name}/jwks.json` publishes its keys. Keys can be changed while it runs, and fetches
//! are counted, so tests can observe Tessera's key cache.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use serde_json::{Value, json};
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

    pub fn jwks_fetches(&self) -> usize {
        self.wallets.jwks_fetches.load(Ordering::SeqCst)
    }
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
