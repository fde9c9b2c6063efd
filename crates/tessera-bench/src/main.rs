//! `tessera-bench`: the token lifecycle under load.
//!
//! `tessera-bench seed` fills a database with N live tokens before the server starts;
//! `tessera-bench run` drives a running `tessera serve` over loopback at a set concurrency and
//! duration and prints throughput and latency percentiles per operation:
//!
//! - `grant`: non-interactive incoming-payment grant requests (`POST /`);
//! - `rotate`: each worker rotates its own token, chaining each successor (`POST /token/{id}`);
//! - `revoke`: each worker revokes tokens issued before the phase (`DELETE /token/{id}`);
//! - `introspect`: the resource server's check on the internal listener (`POST /introspect`);
//! - `refresh`: OAuth; each worker gets a refresh token through the authorization-code flow
//!   (consent given through the IdP API) and chains refreshes (`POST /oauth2/token`).
//!
//! GNAP requests are signed like the official JS client signs them, with a key published by a
//! wallet-address server this process runs on loopback (so the server needs `--allow-http`).

mod client;
mod http;
mod phase;
mod seed;
mod wallet;

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, bail};
use clap::{Parser, Subcommand, ValueEnum};
use ed25519_dalek::SigningKey;
use tessera_httpsig::RequestSigner;

use crate::client::{Ctx, OAuthClient, Token};
use crate::http::{Conn, Endpoint};
use crate::phase::{Outcome, Report, Timing};

#[derive(Parser)]
#[command(name = "tessera-bench", about = "Tessera's token lifecycle under load")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Insert N live access tokens straight into the database (run before the server starts).
    Seed {
        /// The server's database, e.g. `sqlite:///tmp/bench.db` (created if missing).
        #[arg(long, env = "TESSERA_DATABASE_URL")]
        database_url: String,
        /// How many tokens (up to ten million and beyond).
        #[arg(long)]
        seed: u64,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Drive a running server and report throughput and latency per operation.
    Run(RunArgs),
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Op {
    Grant,
    Rotate,
    Introspect,
    Revoke,
    Refresh,
}

#[derive(clap::Args)]
struct RunArgs {
    /// The public listener, as the server's `--public-url` names it.
    #[arg(long, default_value = "http://127.0.0.1:3000")]
    public_url: String,
    /// The internal listener (introspection, admin API).
    #[arg(long, default_value = "http://127.0.0.1:3001")]
    internal_url: String,
    /// Concurrent clients (one connection each).
    #[arg(short = 'c', long, default_value_t = 16)]
    concurrency: usize,
    /// Measured seconds per operation.
    #[arg(short = 'd', long, default_value_t = 10.0)]
    duration: f64,
    /// Unmeasured seconds before each operation's measurement.
    #[arg(long, default_value_t = 1.0)]
    warmup: f64,
    /// Offered load, in requests per second for all clients together: each client sends on a
    /// fixed schedule (open loop) and a request's latency counts from when it was due, so time
    /// spent queued behind a slow response is not hidden. Without it each client sends its next
    /// request as soon as the last is answered (closed loop: the maximum throughput).
    #[arg(long)]
    rate: Option<f64>,
    /// Operations, in order (default: all).
    #[arg(long, value_enum, value_delimiter = ',', default_values_t = [Op::Grant, Op::Rotate, Op::Introspect, Op::Revoke, Op::Refresh])]
    ops: Vec<Op>,
    /// Tokens to have issued before the revoke phase (the grant phase's tokens count).
    #[arg(long, default_value_t = 20_000)]
    revoke_tokens: usize,
    /// Distinct tokens the introspect phase cycles through.
    #[arg(long, default_value_t = 1_000)]
    introspect_tokens: usize,
    /// Bearer token of the internal admin API (for the refresh benchmark's client and consent).
    #[arg(long, env = "TESSERA_ADMIN_TOKEN", hide_env_values = true)]
    admin_token: Option<String>,
    /// Print JSON instead of a table.
    #[arg(long, conflicts_with = "markdown")]
    json: bool,
    /// Print markdown table rows (no header), each starting with `--label`; for scripts/bench.
    #[arg(long)]
    markdown: bool,
    /// The first column of `--markdown` rows (e.g. the number of stored tokens).
    #[arg(long, default_value = "")]
    label: String,
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        match cli.command {
            Command::Seed {
                database_url,
                seed,
                json,
            } => {
                let seeded = seed::seed(&database_url, seed).await?;
                if json {
                    println!("{}", serde_json::to_string(&seeded)?);
                } else {
                    println!("seeded {} tokens in {:.1} s", seeded.tokens, seeded.seconds);
                }
                Ok(())
            }
            Command::Run(args) => run(args).await,
        }
    })
}

async fn run(args: RunArgs) -> anyhow::Result<()> {
    if args.concurrency == 0 {
        bail!("-c must be at least 1");
    }
    if args
        .rate
        .is_some_and(|rate| !(rate.is_finite() && rate > 0.0))
    {
        bail!("--rate must be a positive number of requests per second");
    }
    let timing = Timing {
        warmup: Duration::from_secs_f64(args.warmup),
        duration: Duration::from_secs_f64(args.duration),
        rate: args.rate,
    };
    let signer = RequestSigner::new(
        SigningKey::generate(&mut rand::rngs::OsRng),
        "tessera-bench-key",
    );
    let wallet = wallet::serve(&signer, "bench").await?;
    let ctx = Arc::new(Ctx::new(
        Endpoint::parse(&args.public_url).await?,
        Endpoint::parse(&args.internal_url).await?,
        signer,
        wallet,
        args.admin_token.clone(),
    )?);
    let c = args.concurrency;
    let mut reports = Vec::new();
    // Tokens issued by the grant phase, reused by the introspect and revoke phases.
    let mut issued: Vec<Token> = Vec::new();
    for op in &args.ops {
        let report = match op {
            Op::Grant => {
                let (report, tokens) = grant(&ctx, c, timing, args.revoke_tokens).await?;
                issued.extend(tokens);
                report
            }
            Op::Rotate => rotate(&ctx, c, timing).await?,
            Op::Introspect => {
                top_up(&ctx, &mut issued, args.introspect_tokens, c).await?;
                let values: Vec<String> = issued
                    .iter()
                    .take(args.introspect_tokens.max(1))
                    .map(|t| t.value.clone())
                    .collect();
                introspect(&ctx, c, timing, Arc::new(values)).await?
            }
            Op::Revoke => {
                top_up(&ctx, &mut issued, args.revoke_tokens, c).await?;
                revoke(&ctx, c, timing, std::mem::take(&mut issued)).await?
            }
            Op::Refresh => refresh(&ctx, c, timing).await?,
        };
        eprintln!(
            "{:<10} c={:<3} {:>9.0}/s p99 {:.2} ms{}",
            report.op,
            report.concurrency,
            report.per_second,
            report.p99_ms,
            report
                .note
                .as_deref()
                .map(|n| format!(" ({n})"))
                .unwrap_or_default()
        );
        reports.push(report);
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&reports)?);
    } else if args.markdown {
        for r in &reports {
            println!(
                "| {} | {} | {} | {:.0} | {:.2} | {:.2} | {:.2} | {:.2} | {} |",
                args.label,
                r.concurrency,
                r.op,
                r.per_second,
                r.p50_ms,
                r.p90_ms,
                r.p99_ms,
                r.max_ms,
                r.errors,
            );
        }
    } else {
        print!("{}", table(&reports));
    }
    Ok(())
}

/// Issues `count` tokens with `c` concurrent clients (untimed set-up).
async fn issue(ctx: &Arc<Ctx>, count: usize, c: usize) -> anyhow::Result<Vec<Token>> {
    let c = c.clamp(1, count.max(1));
    let tasks: Vec<_> = (0..c)
        .map(|i| {
            let ctx = ctx.clone();
            let share = count / c + usize::from(i < count % c);
            tokio::spawn(async move {
                let mut conn = Conn::new(&ctx.public);
                let mut tokens = Vec::with_capacity(share);
                for _ in 0..share {
                    tokens.push(ctx.grant(&mut conn).await?);
                }
                anyhow::Ok(tokens)
            })
        })
        .collect();
    let mut all = Vec::with_capacity(count);
    for task in tasks {
        all.extend(task.await.context("issuing tokens")??);
    }
    Ok(all)
}

/// Issues tokens until `pool` holds at least `want`.
async fn top_up(
    ctx: &Arc<Ctx>,
    pool: &mut Vec<Token>,
    want: usize,
    c: usize,
) -> anyhow::Result<()> {
    if pool.len() < want {
        let more = issue(ctx, want - pool.len(), c.max(16)).await?;
        pool.extend(more);
    }
    Ok(())
}

async fn grant(
    ctx: &Arc<Ctx>,
    c: usize,
    timing: Timing,
    keep: usize,
) -> anyhow::Result<(Report, Vec<Token>)> {
    let states = (0..c).map(|_| Conn::new(&ctx.public)).collect();
    let collected = Arc::new(std::sync::Mutex::new(Vec::with_capacity(keep)));
    let sink = collected.clone();
    let ctx2 = ctx.clone();
    let report = phase::run("grant", timing, states, move |mut conn: Conn| {
        let ctx = ctx2.clone();
        let sink = sink.clone();
        async move {
            let outcome = match ctx.grant(&mut conn).await {
                Ok(token) => {
                    // Kept for the introspect and revoke phases, up to what they need.
                    if let Ok(mut all) = sink.lock() {
                        if all.len() < keep {
                            all.push(token);
                        }
                    }
                    Outcome::Done
                }
                Err(e) => Outcome::Failed(e),
            };
            (conn, outcome)
        }
    })
    .await?;
    let tokens = collected
        .lock()
        .map(|mut all| std::mem::take(&mut *all))
        .unwrap_or_default();
    Ok((report, tokens))
}

async fn rotate(ctx: &Arc<Ctx>, c: usize, timing: Timing) -> anyhow::Result<Report> {
    let tokens = issue(ctx, c, c).await?;
    let states = tokens
        .into_iter()
        .map(|t| (Conn::new(&ctx.public), Some(t)))
        .collect();
    let ctx = ctx.clone();
    phase::run(
        "rotate",
        timing,
        states,
        move |(mut conn, token): (Conn, Option<Token>)| {
            let ctx = ctx.clone();
            async move {
                let Some(token) = token else {
                    return ((conn, None), Outcome::Exhausted);
                };
                match ctx.rotate(&mut conn, &token).await {
                    Ok(next) => ((conn, Some(next)), Outcome::Done),
                    Err(e) => ((conn, None), Outcome::Broken(e)),
                }
            }
        },
    )
    .await
}

async fn introspect(
    ctx: &Arc<Ctx>,
    c: usize,
    timing: Timing,
    values: Arc<Vec<String>>,
) -> anyhow::Result<Report> {
    if values.is_empty() {
        bail!("no tokens to introspect");
    }
    let states = (0..c)
        .map(|i| (Conn::new(&ctx.internal), i * values.len() / c))
        .collect();
    let ctx = ctx.clone();
    phase::run(
        "introspect",
        timing,
        states,
        move |(mut conn, i): (Conn, usize)| {
            let ctx = ctx.clone();
            let values = values.clone();
            async move {
                let value = &values[i % values.len()];
                let outcome = match ctx.introspect(&mut conn, value).await {
                    Ok(()) => Outcome::Done,
                    Err(e) => Outcome::Failed(e),
                };
                ((conn, i + 1), outcome)
            }
        },
    )
    .await
}

async fn revoke(
    ctx: &Arc<Ctx>,
    c: usize,
    timing: Timing,
    mut pool: Vec<Token>,
) -> anyhow::Result<Report> {
    let share = pool.len() / c;
    let states = (0..c)
        .map(|_| {
            let mine = pool.split_off(pool.len() - share);
            (Conn::new(&ctx.public), mine)
        })
        .collect();
    let ctx = ctx.clone();
    phase::run(
        "revoke",
        timing,
        states,
        move |(mut conn, mut mine): (Conn, Vec<Token>)| {
            let ctx = ctx.clone();
            async move {
                let Some(token) = mine.pop() else {
                    return ((conn, mine), Outcome::Exhausted);
                };
                let outcome = match ctx.revoke(&mut conn, &token).await {
                    Ok(()) => Outcome::Done,
                    Err(e) => Outcome::Failed(e),
                };
                ((conn, mine), outcome)
            }
        },
    )
    .await
}

async fn refresh(ctx: &Arc<Ctx>, c: usize, timing: Timing) -> anyhow::Result<Report> {
    let client = Arc::new(ctx.register_oauth_client().await?);
    let tasks: Vec<_> = (0..c)
        .map(|i| {
            let ctx = ctx.clone();
            let client = client.clone();
            tokio::spawn(async move {
                ctx.refresh_token_for(&client, &format!("bench-user-{i}"))
                    .await
            })
        })
        .collect();
    let mut states = Vec::with_capacity(c);
    for task in tasks {
        let token = task.await.context("authorization-code flow")??;
        states.push((Conn::new(&ctx.public), Some(token)));
    }
    let ctx = ctx.clone();
    phase::run(
        "refresh",
        timing,
        states,
        move |(mut conn, token): (Conn, Option<String>)| {
            let ctx = ctx.clone();
            let client: Arc<OAuthClient> = client.clone();
            async move {
                let Some(token) = token else {
                    return ((conn, None), Outcome::Exhausted);
                };
                match ctx.refresh(&mut conn, &client, &token).await {
                    Ok(next) => ((conn, Some(next)), Outcome::Done),
                    Err(e) => ((conn, None), Outcome::Broken(e)),
                }
            }
        },
    )
    .await
}

/// The reports as a fixed-width table.
fn table(reports: &[Report]) -> String {
    let mut out = format!(
        "{:<10} {:>4} {:>9} {:>7} {:>7} {:>10} {:>8} {:>8} {:>8} {:>8}\n",
        "op", "c", "requests", "errors", "secs", "req/s", "p50 ms", "p90 ms", "p99 ms", "max ms"
    );
    for r in reports {
        out.push_str(&format!(
            "{:<10} {:>4} {:>9} {:>7} {:>7.1} {:>10.0} {:>8.2} {:>8.2} {:>8.2} {:>8.2}\n",
            r.op,
            r.concurrency,
            r.requests,
            r.errors,
            r.seconds,
            r.per_second,
            r.p50_ms,
            r.p90_ms,
            r.p99_ms,
            r.max_ms
        ));
        if let Some(note) = &r.note {
            out.push_str(&format!("  note: {note}\n"));
        }
    }
    out
}
