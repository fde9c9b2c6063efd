//! Rotate an access token: the official Open Payments snippet
//! `snippets/node/token/token-rotate.ts`, line for line, with `tessera-client`.
//!
//! ```sh
//! KEY_ID=alice-key WALLET_ADDRESS=http://127.0.0.1:8081/alice PRIVATE_KEY_PATH=alice.pem \
//! ACCESS_TOKEN=... MANAGE_URL=... cargo run -p tessera-client --example token-rotate
//! ```

#[path = "setup/mod.rs"]
mod setup;

// Import dependencies
use setup::{create_authenticated_client, var};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (access_token, manage_url) = (var("ACCESS_TOKEN")?, var("MANAGE_URL")?);

    // Initialize Open Payments client
    let client = create_authenticated_client()?;

    // Rotate token
    let token = client.token().rotate(&manage_url, &access_token).await?;

    // Output
    println!("ACCESS_TOKEN = {}", token.access_token.value);
    println!("MANAGE_URL = {}", token.access_token.manage);
    Ok(())
}
