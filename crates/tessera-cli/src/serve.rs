//! `tessera serve`: flags and environment to a [`ServerConfig`], logging, signals.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context as _;
use clap::Args;
use tessera_server::ServerConfig;
use tracing_subscriber::EnvFilter;

pub const DEFAULT_DATABASE_URL: &str = "sqlite://tessera.db";

#[derive(Args, Debug)]
pub struct ServeArgs {
    /// Public listener (GNAP endpoints).
    #[arg(long, env = "TESSERA_LISTEN", default_value = "127.0.0.1:3000")]
    listen: SocketAddr,
    /// Internal listener (introspection, health, metrics); keep it off the internet.
    #[arg(
        long,
        env = "TESSERA_INTERNAL_LISTEN",
        default_value = "127.0.0.1:3001"
    )]
    internal_listen: SocketAddr,
    /// Base URL clients use to reach this server (the base of `manage` and `continue` URLs and of
    /// the signed `@target-uri`); set it behind a proxy. Default: http://{listen}.
    #[arg(long, env = "TESSERA_PUBLIC_URL")]
    public_url: Option<String>,
    /// Database: `sqlite://path` (created if missing) or `postgres://user:password@host/db`
    /// (several nodes may share it). Its schema is brought up to date at start.
    #[arg(long, env = "TESSERA_DATABASE_URL", default_value = DEFAULT_DATABASE_URL)]
    database_url: String,
    /// Access token lifetime, seconds.
    #[arg(long, env = "TESSERA_ACCESS_TOKEN_TTL", default_value_t = ServerConfig::DEFAULT_ACCESS_TOKEN_TTL_SECS,
          value_parser = clap::value_parser!(i64).range(1..=31_536_000))]
    access_token_ttl: i64,
    /// Accept `http://` wallet addresses (local development only).
    #[arg(long, env = "TESSERA_ALLOW_HTTP", value_parser = clap::builder::BoolishValueParser::new(), num_args = 0..=1, default_missing_value = "true", default_value = "false")]
    allow_http: bool,
    /// Largest accepted distance between a signature's `created` and now, seconds.
    #[arg(long, env = "TESSERA_SIGNATURE_MAX_SKEW", default_value_t = 300)]
    signature_max_skew: i64,
    /// How long fetched client keys (jwks.json) are cached, seconds.
    #[arg(long, env = "TESSERA_CLIENT_KEY_TTL", default_value_t = 300)]
    client_key_ttl: u64,
    /// Log as JSON lines instead of text.
    #[arg(long, env = "TESSERA_LOG_JSON")]
    log_json: bool,
}

impl ServeArgs {
    fn config(&self) -> ServerConfig {
        ServerConfig {
            listen: self.listen,
            internal_listen: self.internal_listen,
            public_url: self.public_url.clone(),
            database_url: self.database_url.clone(),
            access_token_ttl_secs: self.access_token_ttl,
            allow_http: self.allow_http,
            signature_max_skew_secs: self.signature_max_skew,
            client_key_ttl: Duration::from_secs(self.client_key_ttl),
            ..ServerConfig::default()
        }
    }
}

pub fn run(args: ServeArgs) -> anyhow::Result<()> {
    init_logging(args.log_json);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(async move {
        let server = tessera_server::start(args.config())
            .await
            .context("starting the server")?;
        let stopper = server.stopper();
        tokio::spawn(async move {
            shutdown_signal().await;
            tracing::info!("shutting down");
            let _ = stopper.send(true);
        });
        server.wait().await.context("server stopped")
    })
}

fn init_logging(json: bool) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}

/// Ctrl-C, or SIGTERM on Unix (what container runtimes send).
async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}
