//! What the client subcommands (`grant`, `token`) share: who the client is (flags, or the
//! environment variables the official Open Payments snippets use), the async runtime, and how a
//! token is printed.

use std::future::Future;
use std::path::PathBuf;

use anyhow::Context as _;
use clap::Args;
use tessera_client::{AuthenticatedClient, ClientConfig, PrivateKey};
use tessera_proto::grant::AccessToken;

#[derive(Args, Debug)]
pub struct ClientArgs {
    /// The client's wallet address; it publishes the public key at `{wallet address}/jwks.json`.
    #[arg(long, env = "WALLET_ADDRESS")]
    wallet_address: String,
    /// The client's Ed25519 private key, PKCS#8 PEM (`tessera keys generate` writes one).
    #[arg(long, env = "PRIVATE_KEY_PATH")]
    private_key_path: PathBuf,
    /// The key's id (`kid`) in the wallet address's JWKS.
    #[arg(long, env = "KEY_ID")]
    key_id: String,
    /// Print JSON for scripts instead of `NAME = value` lines.
    #[arg(long)]
    pub json: bool,
}

impl ClientArgs {
    pub fn client(&self) -> anyhow::Result<AuthenticatedClient> {
        Ok(AuthenticatedClient::new(ClientConfig::new(
            self.wallet_address.clone(),
            PrivateKey::Path(self.private_key_path.clone()),
            self.key_id.clone(),
        ))?)
    }
}

/// Runs `future` to completion on a single-threaded runtime.
pub fn block_on<F: Future>(future: F) -> anyhow::Result<F::Output> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    Ok(runtime.block_on(future))
}

/// The token the user asked for, as the official snippets print it (`ACCESS_TOKEN = ...`,
/// `MANAGE_URL = ...`), or with `json` as `{"access_token": {...}}`.
pub fn print_access_token(token: &AccessToken, json: bool) -> anyhow::Result<()> {
    if json {
        let out = serde_json::json!({ "access_token": token });
        println!("{}", serde_json::to_string(&out)?);
    } else {
        println!("ACCESS_TOKEN = {}", token.value);
        println!("MANAGE_URL = {}", token.manage);
    }
    Ok(())
}
