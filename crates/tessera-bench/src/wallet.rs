//! The benchmark client's wallet address, served on loopback: `GET /{name}` describes it and
//! `GET /{name}/jwks.json` publishes its public key, which is all Tessera needs to verify the
//! client's signatures (it caches the key, so this server sees one fetch per key TTL).

use std::net::SocketAddr;

use axum::Json;
use axum::Router;
use axum::routing::get;
use serde_json::json;
use tessera_httpsig::RequestSigner;

/// Serves `signer`'s key as wallet address `{base}/{name}`; returns the wallet address URL.
pub async fn serve(signer: &RequestSigner, name: &str) -> anyhow::Result<String> {
    let document = json!({ "id": name, "publicName": name, "assetCode": "USD", "assetScale": 2 });
    let jwks = json!({ "keys": [signer.jwk()] });
    let app = Router::new()
        .route(
            &format!("/{name}"),
            get(move || async move { Json(document) }),
        )
        .route(
            &format!("/{name}/jwks.json"),
            get(move || async move { Json(jwks) }),
        );
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok(format!("http://{addr}/{name}"))
}
