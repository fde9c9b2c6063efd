//! Seeding: N live access tokens written straight into the database before the server starts,
//! so the benchmark can measure how the token lifecycle behaves with a large table.
//!
//! Going through the API would take hours for ten million tokens (each grant is a signed request
//! and a transaction); one SQL statement that generates the rows inside the database takes a
//! minute. Each backend is one function, chosen by the URL scheme.
//!
//! The seeded tokens look like real ones to the indexes that matter: a random 36-character
//! management id (the length of a UUID), a random 32-byte value hash, `active`, expiring in a
//! year (so the expiry sweeper leaves them alone). They all belong to one seeded grant; nobody
//! knows their values, so the benchmark never presents them, it only makes every lookup walk
//! a B-tree of that size.

use std::str::FromStr as _;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context as _, bail};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sqlx::{ConnectOptions as _, Connection as _};

/// The grant every seeded token belongs to.
pub const SEED_GRANT_ID: &str = "tessera-bench-seed-grant";

/// What a seed run did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Seeded {
    pub tokens: u64,
    pub seconds: f64,
}

/// Inserts `tokens` live access tokens into the database at `database_url`, creating it (with
/// Tessera's schema) when missing.
pub async fn seed(database_url: &str, tokens: u64) -> anyhow::Result<Seeded> {
    let started = Instant::now();
    if database_url.starts_with("sqlite:") {
        seed_sqlite(database_url, tokens).await?;
    } else {
        bail!("seeding supports sqlite:// databases only, not {database_url}");
    }
    Ok(Seeded {
        tokens,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// SQLite: one transaction, one `INSERT ... SELECT` over a recursive CTE, `randomblob` for the
/// secrets. The journal is off while seeding (a fresh benchmark database has nothing to lose,
/// and a ten-million-row transaction would otherwise be written twice) and the page cache is
/// large, so the index B-trees are built in memory; the database is left in WAL mode, as the
/// server runs it.
async fn seed_sqlite(database_url: &str, tokens: u64) -> anyhow::Result<()> {
    let options = SqliteConnectOptions::from_str(database_url)
        .context("bad SQLite URL")?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Off)
        .synchronous(SqliteSynchronous::Off)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(30))
        .pragma("cache_size", "-4194304"); // KiB: 4 GiB, so ten million tokens build in memory
    let mut conn = options.connect().await.context("opening the database")?;
    sqlx::migrate!("../tessera-store-sqlite/migrations")
        .run(&mut conn)
        .await
        .context("creating Tessera's schema")?;

    let now = i64::try_from(SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs())?;
    let count = i64::try_from(tokens)?;
    let mut tx = conn.begin().await?;
    sqlx::query(
        "INSERT OR IGNORE INTO grants (id, state, finalization, client_wallet_address, access, \
         continue_id, continue_token_hash, created_at, updated_at, last_continued_at) \
         VALUES (?, 'finalized', 'issued', 'https://wallet.bench.invalid/seed', \
         '[{\"type\":\"incoming-payment\",\"actions\":[\"read\"]}]', ?, randomblob(32), ?, ?, ?)",
    )
    .bind(SEED_GRANT_ID)
    .bind(format!("{SEED_GRANT_ID}-continue"))
    .bind(now)
    .bind(now)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "WITH RECURSIVE n(i) AS (SELECT 1 WHERE ?1 > 0 UNION ALL SELECT i + 1 FROM n WHERE i < ?1) \
         INSERT INTO access_tokens (manage_id, grant_id, value_hash, status, created_at, expires_at) \
         SELECT lower(hex(randomblob(18))), ?2, randomblob(32), 'active', ?3 - (i % 600), ?3 + 31536000 \
         FROM n",
    )
    .bind(count)
    .bind(SEED_GRANT_ID)
    .bind(now)
    .execute(&mut *tx)
    .await
    .context("inserting the tokens")?;
    tx.commit().await?;
    sqlx::query("PRAGMA journal_mode = WAL")
        .execute(&mut conn)
        .await?;
    conn.close().await?;
    Ok(())
}
