//! `tessera client`: the OAuth client registry, straight on the database (so it works before
//! the server first starts). The internal admin API offers the same on a running server.

use std::sync::Arc;

use anyhow::Context as _;
use clap::{Args, Subcommand};
use tessera_core::oauth::{NewClient, OAuth, OAuthConfig};
use tessera_core::secret::RandomMinter;

#[derive(Args, Debug)]
pub struct ClientArgs {
    #[arg(
        long,
        env = "TESSERA_DATABASE_URL",
        default_value = "sqlite://tessera.db",
        global = true
    )]
    database_url: String,
    /// Print JSON instead of text.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: ClientCommand,
}

#[derive(Subcommand, Debug)]
enum ClientCommand {
    /// Register a client; a confidential client's secret is printed once.
    Create {
        #[arg(long)]
        name: String,
        /// A public client (no secret; must use PKCE).
        #[arg(long)]
        public: bool,
        /// Allowed grant types (repeat): authorization_code, client_credentials, refresh_token.
        #[arg(long = "grant-type", required = true)]
        grant_types: Vec<String>,
        /// Exact redirect URIs (repeat).
        #[arg(long = "redirect-uri")]
        redirect_uris: Vec<String>,
        /// The most a token of this client may carry, space-separated.
        #[arg(long, default_value = "")]
        scope: String,
        /// May call the introspection endpoint (a resource server).
        #[arg(long)]
        introspect: bool,
    },
    /// List registered clients.
    List,
    /// Delete a client and everything issued to it.
    Delete { client_id: String },
    /// Issue a new secret; the old one stops working at once.
    RotateSecret { client_id: String },
}

pub fn run(args: ClientArgs) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(execute(args))
}

async fn execute(args: ClientArgs) -> anyhow::Result<()> {
    let store = tessera_server::open_store(&args.database_url)
        .await
        .context("opening the database")?;
    // Only the registry is used, so the token settings do not matter here.
    let oauth = OAuth::new(
        store,
        Arc::new(RandomMinter),
        OAuthConfig {
            issuer: String::new(),
            access_token_ttl_secs: 0,
            refresh_token_ttl_secs: 0,
            refresh_token_idle_secs: 0,
            refresh_grace_secs: 0,
            code_ttl_secs: 0,
            interaction_ttl_secs: 0,
            interaction_enabled: false,
        },
    )
    .await
    .context("opening the client registry")?;
    let now = tessera_server::now();
    match args.command {
        ClientCommand::Create {
            name,
            public,
            grant_types,
            redirect_uris,
            scope,
            introspect,
        } => {
            let kind = if public { "public" } else { "confidential" };
            let new = NewClient::from_fields(
                name,
                kind,
                redirect_uris,
                &grant_types,
                &scope,
                introspect,
            )?;
            let registered = oauth.register_client(new, now).await?;
            let mut out = tessera_server::client_json(&registered.client);
            if let Some(secret) = &registered.secret {
                out["client_secret"] = serde_json::json!(secret);
            }
            if args.json {
                println!("{out}");
            } else {
                println!("CLIENT_ID = {}", registered.client.id);
                if let Some(secret) = registered.secret {
                    println!("CLIENT_SECRET = {secret}");
                    eprintln!("(the secret is shown only now; store it safely)");
                }
            }
        }
        ClientCommand::List => {
            let clients = oauth.clients().await?;
            if args.json {
                let list: Vec<_> = clients.iter().map(tessera_server::client_json).collect();
                println!("{}", serde_json::json!({ "clients": list }));
            } else {
                for c in clients {
                    let grants: Vec<&str> = c.grant_types.iter().map(|g| g.as_str()).collect();
                    println!(
                        "{}  {}  {}  [{}]  scope: {}",
                        c.id,
                        c.kind.as_str(),
                        c.name,
                        grants.join(", "),
                        c.scope
                    );
                }
            }
        }
        ClientCommand::Delete { client_id } => {
            if !oauth.delete_client(&client_id).await? {
                anyhow::bail!("no client {client_id}");
            }
            if !args.json {
                println!("deleted {client_id}");
            }
        }
        ClientCommand::RotateSecret { client_id } => {
            let secret = oauth
                .rotate_client_secret(&client_id)
                .await?
                .with_context(|| format!("no client {client_id}"))?;
            if args.json {
                println!(
                    "{}",
                    serde_json::json!({ "client_id": client_id, "client_secret": secret })
                );
            } else {
                println!("CLIENT_SECRET = {secret}");
            }
        }
    }
    Ok(())
}
