//! `tessera serve`: flags and environment to a [`ServerConfig`], logging, signals.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context as _;
use clap::Args;
use tessera_server::{RateLimit, ServerConfig};
use tracing_subscriber::EnvFilter;

pub const DEFAULT_DATABASE_URL: &str = "sqlite://tessera.db";

// No `Debug`: it holds the admin token.
#[derive(Args)]
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
    /// The identity provider's consent page for interactive grants (outgoing payments).
    #[arg(long, env = "TESSERA_IDP_CONSENT_URL")]
    idp_consent_url: Option<String>,
    /// Serve a minimal built-in consent page instead of an IdP (development and demos only).
    #[arg(long, env = "TESSERA_DEV_CONSENT", value_parser = clap::builder::BoolishValueParser::new(), num_args = 0..=1, default_missing_value = "true", default_value = "false")]
    dev_consent: bool,
    /// Bearer token for the IdP API on the internal listener (prefer the environment variable:
    /// flags are visible in the process list).
    #[arg(long, env = "TESSERA_ADMIN_TOKEN", hide_env_values = true)]
    admin_token: Option<String>,
    /// How long the account holder has to decide on an interactive grant, seconds.
    #[arg(long, env = "TESSERA_INTERACTION_TTL", default_value_t = 600, value_parser = clap::value_parser!(i64).range(1..=86_400))]
    interaction_ttl: i64,
    /// The `wait` clients must respect between polls of a pending grant, seconds.
    #[arg(long, env = "TESSERA_CONTINUE_WAIT", default_value_t = 5, value_parser = clap::value_parser!(i64).range(0..=3_600))]
    continue_wait: i64,
    /// OAuth: absolute lifetime of a refresh-token chain, seconds.
    #[arg(long, env = "TESSERA_REFRESH_TOKEN_TTL", default_value_t = 30 * 24 * 3600, value_parser = clap::value_parser!(i64).range(60..))]
    refresh_token_ttl: i64,
    /// OAuth: a refresh token unused this long expires, seconds.
    #[arg(long, env = "TESSERA_REFRESH_TOKEN_IDLE", default_value_t = 14 * 24 * 3600, value_parser = clap::value_parser!(i64).range(60..))]
    refresh_token_idle: i64,
    /// OAuth: seconds during which a just-consumed refresh token returns the same successor
    /// (a retry after a lost response) instead of revoking its family; 0 = off.
    #[arg(long, env = "TESSERA_REFRESH_GRACE", default_value_t = 0, value_parser = clap::value_parser!(i64).range(0..=300))]
    refresh_grace: i64,
    /// Requests per second each client may make, `RATE` or `RATE:BURST`, or `off`. Signed
    /// requests are charged to their `keyid` and wallet address, unsigned ones to the peer IP.
    #[arg(long, env = "TESSERA_RATE_LIMIT", default_value = "50:100", value_parser = parse_rate_limit)]
    rate_limit: RateLimitSetting,
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
            idp_consent_url: self.idp_consent_url.clone(),
            dev_consent: self.dev_consent,
            admin_token: self.admin_token.clone().filter(|t| !t.is_empty()),
            interaction_ttl_secs: self.interaction_ttl,
            continue_wait_secs: self.continue_wait,
            refresh_token_ttl_secs: self.refresh_token_ttl,
            refresh_token_idle_secs: self.refresh_token_idle,
            refresh_grace_secs: self.refresh_grace,
            rate_limit: self.rate_limit.0,
            ..ServerConfig::default()
        }
    }
}

/// `--rate-limit`: a limit, or `None` for `off`.
#[derive(Clone)]
struct RateLimitSetting(Option<RateLimit>);

fn parse_rate_limit(text: &str) -> Result<RateLimitSetting, String> {
    if text.eq_ignore_ascii_case("off") {
        return Ok(RateLimitSetting(None));
    }
    text.parse().map(|limit| RateLimitSetting(Some(limit)))
}

pub fn run(args: ServeArgs) -> anyhow::Result<()> {
    // Held until the server has stopped: dropping it flushes the log lines still queued.
    let _log_writer = init_logging(args.log_json);
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

fn init_logging(json: bool) -> tracing_appender::non_blocking::WorkerGuard {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    // Colours only on a terminal: in a log file the escape codes are noise, and formatting them
    // is a measurable share of the per-request logging cost (BENCHMARKS.md).
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stdout());
    // Lines are written by a thread of their own, so a request does not wait on a write system
    // call (BENCHMARKS.md). Not lossy: if that thread falls behind by the whole queue, requests
    // wait rather than their log lines being dropped. That thread writes every line queued at
    // once with one system call (it flushes when the queue is empty), not one call per line.
    let (writer, guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .lossy(false)
        .thread_name("log-writer")
        .finish(std::io::BufWriter::with_capacity(
            64 * 1024,
            std::io::stdout(),
        ));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi)
        .with_writer(writer);
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
    guard
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
