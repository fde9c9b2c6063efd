//! `tessera token rotate|revoke`: manage an access token through its management URL, with the
//! settings the official Open Payments snippets read (`ACCESS_TOKEN`, `MANAGE_URL`, and the
//! client's `WALLET_ADDRESS`, `PRIVATE_KEY_PATH`, `KEY_ID`).

use anyhow::Context as _;
use clap::{Args, Subcommand};

use crate::client_args::{ClientArgs, block_on, print_access_token};

#[derive(Subcommand, Debug)]
pub enum TokenCommand {
    /// Rotate the token: prints the new value and management URL; the old token dies.
    Rotate(TokenArgs),
    /// Revoke the token.
    Revoke(TokenArgs),
}

#[derive(Args, Debug)]
pub struct TokenArgs {
    #[command(flatten)]
    client: ClientArgs,
    /// The access token (prefer the environment variable: flags show in process lists).
    #[arg(long, env = "ACCESS_TOKEN", hide_env_values = true)]
    access_token: String,
    /// The token's management URL (`manage` in the grant).
    #[arg(long, env = "MANAGE_URL")]
    manage_url: String,
}

pub fn run(command: TokenCommand) -> anyhow::Result<()> {
    match command {
        TokenCommand::Rotate(args) => {
            let client = args.client.client()?;
            let rotated = block_on(client.token().rotate(&args.manage_url, &args.access_token))?
                .context("token rotation failed")?;
            print_access_token(&rotated.access_token, args.client.json)
        }
        TokenCommand::Revoke(args) => {
            let client = args.client.client()?;
            block_on(
                client
                    .token()
                    .revoke(&args.manage_url, Some(&args.access_token)),
            )?
            .context("token revocation failed")?;
            if args.client.json {
                println!("{}", serde_json::json!({ "revoked": true }));
            } else {
                println!("Token revoked.");
            }
            Ok(())
        }
    }
}
