//! Seeding: N live access tokens written straight into the database before the server starts,
//! so the benchmark can measure how the token lifecycle behaves with a large table.
//!
//! Going through the API would take hours for ten million tokens (each grant is a signed request
//! and a transaction); one SQL statement that generates the rows inside the database takes a
//! minute. Each backend is one function, chosen by the URL scheme: `sqlite:` or
//! `postgres://`/`postgresql://`.
//!
//! The seeded tokens look like real ones to the indexes that matter: a random 36-character
//! management id (the length of a UUID), a random 32-byte value hash, `active`, expiring in a
//! year (so the expiry sweeper leaves them alone). They all belong to one seeded grant; nobody
//! knows their values, so the benchmark never presents them, it only makes every lookup walk
//! a B-tree of that size.

use std::str::FromStr as _;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context as _, bail};
use sqlx::postgres::PgConnectOptions;
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

/// Inserts `tokens` live access tokens into the database at `database_url`, creating its schema
/// when missing (a SQLite file is created too; a PostgreSQL database must exist).
pub async fn seed(database_url: &str, tokens: u64) -> anyhow::Result<Seeded> {
    let started = Instant::now();
    if database_url.starts_with("sqlite:") {
        seed_sqlite(database_url, tokens).await?;
    } else if database_url.starts_with("postgres://") || database_url.starts_with("postgresql://") {
        seed_postgres(database_url, tokens).await?;
    } else {
        bail!("seeding supports sqlite: and postgres:// databases only, not {database_url}");
    }
    Ok(Seeded {
        tokens,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// The seeded grant: finalized, issued, to a wallet address nobody serves.
const SEED_GRANT_WALLET: &str = "https://wallet.bench.invalid/seed";
const SEED_GRANT_ACCESS: &str = r#"[{"type":"incoming-payment","actions":["read"]}]"#;
/// Seeded tokens expire this long after the seeding (a year).
const SEED_TOKEN_LIFETIME_SECS: i64 = 31_536_000;
/// Seeded tokens were created up to this long before the seeding (`now - i % 600`).
const SEED_TOKEN_AGE_SPREAD_SECS: i64 = 600;

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
    tessera_store_sqlite::MIGRATOR
        .run(&mut conn)
        .await
        .context("creating Tessera's schema")?;

    let now = i64::try_from(SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs())?;
    let count = i64::try_from(tokens)?;
    let mut tx = conn.begin().await?;
    sqlx::query(
        "INSERT OR IGNORE INTO grants (id, state, finalization, client_wallet_address, access, \
         continue_id, continue_token_hash, created_at, updated_at, last_continued_at) \
         VALUES (?, 'finalized', 'issued', ?, ?, ?, randomblob(32), ?, ?, ?)",
    )
    .bind(SEED_GRANT_ID)
    .bind(SEED_GRANT_WALLET)
    .bind(SEED_GRANT_ACCESS)
    .bind(format!("{SEED_GRANT_ID}-continue"))
    .bind(now)
    .bind(now)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "WITH RECURSIVE n(i) AS (SELECT 1 WHERE ?1 > 0 UNION ALL SELECT i + 1 FROM n WHERE i < ?1) \
         INSERT INTO access_tokens (manage_id, grant_id, value_hash, status, created_at, expires_at) \
         SELECT lower(hex(randomblob(18))), ?2, randomblob(32), 'active', ?3 - (i % ?4), ?3 + ?5 \
         FROM n",
    )
    .bind(count)
    .bind(SEED_GRANT_ID)
    .bind(now)
    .bind(SEED_TOKEN_AGE_SPREAD_SECS)
    .bind(SEED_TOKEN_LIFETIME_SECS)
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

/// Tokens per `INSERT` on PostgreSQL: each statement is its own transaction, so progress can be
/// reported and a failure late in a ten-million-row seed does not roll back the lot.
const POSTGRES_CHUNK: i64 = 1_000_000;

/// PostgreSQL: the schema is brought up to date by the server's own migrations
/// (`tessera_store_postgres::migrate`), then the tokens
/// are generated by `INSERT ... SELECT FROM generate_series` in chunks of a million, with the
/// same column values as the SQLite seeder. pgcrypto may be absent, so the random bytes come
/// from `md5(random())`: two digests decoded make the 32-byte value hash, and 36 hex digits of
/// two more make the management id (the row number is hashed in, so ids cannot repeat by way of
/// `random()` repeating). Commits do not wait for the WAL flush (the database is a fresh
/// benchmark copy), and `ANALYZE` at the end gives the planner the table's real size.
async fn seed_postgres(database_url: &str, tokens: u64) -> anyhow::Result<()> {
    let options = PgConnectOptions::from_str(database_url)
        .context("bad PostgreSQL URL")?
        .application_name("tessera-bench-seed")
        .options([("synchronous_commit", "off")]);
    tessera_store_postgres::migrate(database_url)
        .await
        .context("creating Tessera's schema (the database must exist)")?;
    let mut conn = options
        .connect()
        .await
        .context("connecting to PostgreSQL")?;

    let now = i64::try_from(SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs())?;
    let count = i64::try_from(tokens)?;
    sqlx::query(
        "INSERT INTO grants (id, state, finalization, client_wallet_address, access, \
         continue_id, continue_token_hash, created_at, updated_at, last_continued_at) \
         VALUES ($1, 'finalized', 'issued', $2, $3, $4, \
         decode(md5(random()::text) || md5(random()::text), 'hex'), $5, $5, $5) \
         ON CONFLICT DO NOTHING",
    )
    .bind(SEED_GRANT_ID)
    .bind(SEED_GRANT_WALLET)
    .bind(SEED_GRANT_ACCESS)
    .bind(format!("{SEED_GRANT_ID}-continue"))
    .bind(now)
    .execute(&mut conn)
    .await
    .context("inserting the seed grant")?;

    let started = Instant::now();
    let mut done = 0_i64;
    while done < count {
        let chunk = POSTGRES_CHUNK.min(count - done);
        sqlx::query(
            "INSERT INTO access_tokens (manage_id, grant_id, value_hash, status, created_at, expires_at) \
             SELECT left(md5(random()::text || ':' || i::text) || md5(i::text || ':' || random()::text), 36), \
             $3, decode(md5(random()::text || ':' || i::text) || md5(random()::text), 'hex'), 'active', \
             $4 - (i % $5), $4 + $6 \
             FROM generate_series($1::bigint, $2::bigint) AS i",
        )
        .bind(done + 1)
        .bind(done + chunk)
        .bind(SEED_GRANT_ID)
        .bind(now)
        .bind(SEED_TOKEN_AGE_SPREAD_SECS)
        .bind(SEED_TOKEN_LIFETIME_SECS)
        .execute(&mut conn)
        .await
        .context("inserting the tokens")?;
        done += chunk;
        if count > POSTGRES_CHUNK {
            eprintln!(
                "tessera-bench seed: {done}/{count} tokens ({:.0} s)",
                started.elapsed().as_secs_f64()
            );
        }
    }
    sqlx::query("ANALYZE access_tokens")
        .execute(&mut conn)
        .await
        .context("analyzing access_tokens")?;
    conn.close().await?;
    Ok(())
}
