//! `tessera oauth refresh|revoke`: the OAuth token lifecycle from the shell, configured by
//! environment like the GNAP commands (`TESSERA_URL`, `CLIENT_ID`, `CLIENT_SECRET`,
//! `REFRESH_TOKEN`, `TOKEN`) or flags.

use anyhow::Context as _;
use clap::{Args, Subcommand};
use tessera_client::OAuthClient;

#[derive(Subcommand)]
pub enum OAuthCommand {
    /// Exchange a refresh token for a new access and refresh token (the old one is consumed).
    Refresh(RefreshArgs),
    /// Revoke an access or refresh token (RFC 7009).
    Revoke(RevokeArgs),
}

#[derive(Args)]
pub struct ClientSettings {
    /// The server's base URL (its OAuth issuer).
    #[arg(long, env = "TESSERA_URL", default_value = "http://127.0.0.1:3000")]
    server: String,
    #[arg(long, env = "CLIENT_ID")]
    client_id: String,
    /// Prefer the environment variable: flags are visible in the process list.
    #[arg(long, env = "CLIENT_SECRET", hide_env_values = true)]
    client_secret: String,
    /// Print JSON instead of `NAME = value` lines.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
pub struct RefreshArgs {
    #[command(flatten)]
    client: ClientSettings,
    #[arg(long, env = "REFRESH_TOKEN", hide_env_values = true)]
    refresh_token: String,
    /// Narrow the new access token to this scope.
    #[arg(long)]
    scope: Option<String>,
}

#[derive(Args)]
pub struct RevokeArgs {
    #[command(flatten)]
    client: ClientSettings,
    #[arg(long, env = "TOKEN", hide_env_values = true)]
    token: String,
    /// `access_token` or `refresh_token` (only a hint).
    #[arg(long)]
    hint: Option<String>,
}

pub fn run(command: OAuthCommand) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(async move {
        match command {
            OAuthCommand::Refresh(args) => {
                let c = &args.client;
                let client = OAuthClient::new(&c.server, &c.client_id, &c.client_secret)?;
                let tokens = client
                    .refresh(&args.refresh_token, args.scope.as_deref())
                    .await
                    .context("refresh failed")?;
                if c.json {
                    println!("{}", serde_json::to_string(&tokens)?);
                } else {
                    println!("ACCESS_TOKEN = {}", tokens.access_token);
                    if let Some(refresh) = &tokens.refresh_token {
                        println!("REFRESH_TOKEN = {refresh}");
                    }
                    println!("EXPIRES_IN = {}", tokens.expires_in);
                    if let Some(scope) = &tokens.scope {
                        println!("SCOPE = {scope}");
                    }
                }
            }
            OAuthCommand::Revoke(args) => {
                let c = &args.client;
                let client = OAuthClient::new(&c.server, &c.client_id, &c.client_secret)?;
                client
                    .revoke(&args.token, args.hint.as_deref())
                    .await
                    .context("revocation failed")?;
                if c.json {
                    println!("{{\"revoked\":true}}");
                } else {
                    println!("revoked");
                }
            }
        }
        Ok(())
    })
}
