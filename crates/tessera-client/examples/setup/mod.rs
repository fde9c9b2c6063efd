//! What the examples share, as the official snippets share their `utils`: settings from the
//! environment (the snippets' names) and the client built from them.

use std::env;

use tessera_client::{AuthenticatedClient, ClientConfig, PrivateKey};

pub fn var(name: &str) -> Result<String, String> {
    env::var(name).map_err(|_| format!("environment variable {name} is not set"))
}

/// The client of `WALLET_ADDRESS`, signing with the key in `PRIVATE_KEY_PATH` as `KEY_ID`.
pub fn create_authenticated_client() -> Result<AuthenticatedClient, Box<dyn std::error::Error>> {
    Ok(AuthenticatedClient::new(ClientConfig::new(
        var("WALLET_ADDRESS")?,
        PrivateKey::Path(var("PRIVATE_KEY_PATH")?.into()),
        var("KEY_ID")?,
    ))?)
}
