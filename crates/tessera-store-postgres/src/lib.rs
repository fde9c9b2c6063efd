//! Tessera's storage on PostgreSQL: several server nodes on one database.
//!
//! Every node has its own connection pool; all grant, token and OAuth state lives in the
//! database and nowhere else, so whatever one node changes, the next request on any node sees.
//! The statements ([`tessera_store_sql::gnap_store!`] and [`tessera_store_sql::oauth_store!`])
//! are those SQLite runs too; what PostgreSQL adds is row locking, because writers on several
//! connections and nodes run at once. Each trait method is one transaction, and the
//! concurrency rules hold across nodes, not just within one:
//!
//! - **Rotation** (of a GNAP access token or an OAuth refresh token) takes a share lock on the
//!   token's grant or family, then marks the token rotated with one conditional
//!   `UPDATE ... WHERE status = 'active'`, then inserts the new token. Row locks serialise
//!   concurrent rotations of one token: the first `UPDATE` wins, the others wait for it to
//!   commit, find the token no longer active and change nothing, so exactly one succeeds.
//! - **Revoking a grant or family** updates it (taking its row lock), then revokes its tokens.
//!   Since a rotation holds a share lock on it, the rotation either commits before the
//!   revocation starts (whose token update then sees the new token) or waits and finds it
//!   revoked: no token of a revoked grant or family stays active.
//! - **Sweeping** deletes expired tokens picked with `FOR UPDATE SKIP LOCKED`: sweepers on several
//!   nodes take disjoint rows, and never wait for each other or for a request holding a row.
//! - **Audit events** are numbered by a sequence, and a sequence number is drawn when the row is
//!   inserted, not when it commits. So that a reader paging by id never passes over an event
//!   committed late with a smaller id, each transaction takes a transaction-scoped advisory lock
//!   just before writing its event (its last statement) and holds it until its commit: event
//!   ids follow commit order. Only the commits of changes are serialised by it, not their work.
//!
//! Failures: lost connections, a refused or shut-down server and an exhausted pool are
//! [`StoreError::Unavailable`] (the server answers 503 with `Retry-After`). The pool checks a
//! connection before handing it out and opens new ones as needed, so service resumes by itself
//! when the database is back. Acquiring a connection and running a statement are both bounded
//! in time, so no request waits for the database forever.

mod errors;
mod oauth;

use std::str::FromStr;
use std::time::Duration;

use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::{ConnectOptions as _, Connection as _};
use tessera_core::store::StoreError;

use errors::{migrate_error, store_error};

/// The schema, versioned: applied migrations are recorded in `_sqlx_migrations`.
static MIGRATOR: Migrator = sqlx::migrate!("./migrations");

/// Connection pool settings. The defaults suit a node serving requests.
#[derive(Debug, Clone)]
pub struct PoolSettings {
    /// Most connections this node opens.
    pub max_connections: u32,
    /// How long a request waits for a connection (including connecting) before it fails as
    /// unavailable.
    pub acquire_timeout: Duration,
    /// How long one statement may run, lock waits included (`statement_timeout`).
    pub statement_timeout: Duration,
    /// Idle connections are closed after this long.
    pub idle_timeout: Duration,
}

impl Default for PoolSettings {
    fn default() -> Self {
        PoolSettings {
            max_connections: 16,
            acquire_timeout: Duration::from_secs(5),
            statement_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(300),
        }
    }
}

#[derive(Debug, Clone)]
pub struct PostgresStore {
    pool: PgPool,
}

/// Parses a `postgres://` or `postgresql://` URL. Libpq parameters such as `sslmode`,
/// `application_name` and `options` are honoured.
fn connect_options(url: &str) -> Result<PgConnectOptions, StoreError> {
    PgConnectOptions::from_str(url)
        .map_err(|e| StoreError::Backend(format!("bad PostgreSQL URL: {e}")))
}

/// Brings the schema of the database at `url` up to date, on a connection of its own. Safe to
/// run from several nodes at once: sqlx serialises migrations with an advisory lock.
pub async fn migrate(url: &str) -> Result<(), StoreError> {
    let mut connection = connect_options(url)?.connect().await.map_err(store_error)?;
    MIGRATOR.run(&mut connection).await.map_err(migrate_error)?;
    connection.close().await.map_err(store_error)
}

impl PostgresStore {
    /// Connects to `url`, brings the schema up to date and opens a pool with default settings.
    pub async fn connect(url: &str) -> Result<PostgresStore, StoreError> {
        Self::connect_with(url, PoolSettings::default()).await
    }

    pub async fn connect_with(
        url: &str,
        settings: PoolSettings,
    ) -> Result<PostgresStore, StoreError> {
        migrate(url).await?;
        let statement_timeout = format!("{}ms", settings.statement_timeout.as_millis());
        let mut options =
            connect_options(url)?.options([("statement_timeout", statement_timeout.as_str())]);
        if options.get_application_name().is_none() {
            options = options.application_name("tessera"); // shows in pg_stat_activity
        }
        let pool = PgPoolOptions::new()
            .max_connections(settings.max_connections)
            .acquire_timeout(settings.acquire_timeout)
            .idle_timeout(settings.idle_timeout)
            .test_before_acquire(true)
            .connect_with(options)
            .await
            .map_err(store_error)?;
        Ok(PostgresStore { pool })
    }
}

/// Run before writing an audit event: the advisory lock (a key of Tessera's own) that makes event
/// ids follow commit order (see the module documentation).
pub(crate) const SERIALIZE_AUDIT: Option<&str> = Some("SELECT pg_advisory_xact_lock(7415371582)");

tessera_store_sql::gnap_store! {
    store: PostgresStore,
    connection: sqlx::PgConnection,
    write: pool,
    read: pool,
    store_error: crate::errors::store_error,
    share_lock: " FOR SHARE",
    skip_locked: " FOR UPDATE SKIP LOCKED",
    serialize_audit: SERIALIZE_AUDIT,
}
