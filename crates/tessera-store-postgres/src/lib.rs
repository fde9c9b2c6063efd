//! Tessera's storage on PostgreSQL: several server nodes on one database.
//!
//! Every node has its own connection pool; all grant and token state lives in the database and
//! nowhere else, so whatever one node changes, the next request on any node sees. Each trait
//! method is one transaction, and the concurrency rules hold across nodes, not just within one:
//!
//! - **Rotation** takes a share lock on the token's grant, then marks the token rotated with one
//!   conditional `UPDATE ... WHERE status = 'active'`, then inserts the new token. Row locks
//!   serialise concurrent rotations of one token: the first `UPDATE` wins, the others wait for it
//!   to commit, find the token no longer active and change nothing, so exactly one succeeds.
//! - **Revoking a grant** updates the grant (taking its row lock), then revokes its active tokens.
//!   Since a rotation holds a share lock on the grant, it either commits before the revocation
//!   starts (whose token update then sees the new token) or waits and finds the grant revoked:
//!   no token of a revoked grant stays active.
//! - **Sweeping** deletes expired tokens picked with `FOR UPDATE SKIP LOCKED`: sweepers on several
//!   nodes take disjoint rows, and never wait for each other or for a request holding a row.
//!
//! Failures: lost connections, a refused or shut-down server and an exhausted pool are
//! [`StoreError::Unavailable`] (the server answers 503 with `Retry-After`). The pool checks a
//! connection before handing it out and opens new ones as needed, so service resumes by itself
//! when the database is back. Acquiring a connection and running a statement are both bounded
//! in time, so no request waits for the database forever.

mod errors;

use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::{ConnectOptions as _, Connection as _};
use tessera_core::UnixTime;
use tessera_core::grant::Grant;
use tessera_core::secret::TokenHash;
use tessera_core::store::{GrantStore, StoreError, TokenStore};
use tessera_core::token::{NewAccessToken, TokenWithGrant};
use tessera_store_sql::rows::{GrantRow, TokenWithGrantRow};
use tessera_store_sql::statements::{self, TokenEnd};

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

#[async_trait]
impl GrantStore for PostgresStore {
    async fn create_grant(
        &self,
        grant: &Grant,
        token: Option<&NewAccessToken>,
    ) -> Result<(), StoreError> {
        let row = GrantRow::from_domain(grant)?;
        let mut tx = self.pool.begin().await.map_err(store_error)?;
        statements::insert_grant(&row)
            .execute(&mut *tx)
            .await
            .map_err(store_error)?;
        if let Some(token) = token {
            statements::insert_token(token)
                .execute(&mut *tx)
                .await
                .map_err(store_error)?;
        }
        tx.commit().await.map_err(store_error)
    }

    async fn grant_by_continue_id(&self, continue_id: &str) -> Result<Option<Grant>, StoreError> {
        let row = statements::grant_by_continue_id(continue_id)
            .fetch_optional(&self.pool)
            .await
            .map_err(store_error)?;
        row.map(GrantRow::into_domain).transpose()
    }

    async fn revoke_grant(&self, grant_id: &str, now: UnixTime) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await.map_err(store_error)?;
        // Takes the grant's row lock first: rotations of its tokens (which share-lock the grant)
        // finish before this goes on, or wait for it and then find the grant revoked.
        let revoked = statements::finalize_grant_as_revoked(grant_id, now)
            .execute(&mut *tx)
            .await
            .map_err(store_error)?
            .rows_affected();
        statements::revoke_active_tokens_of_grant(grant_id, now)
            .execute(&mut *tx)
            .await
            .map_err(store_error)?;
        tx.commit().await.map_err(store_error)?;
        Ok(revoked == 1)
    }
}

#[async_trait]
impl TokenStore for PostgresStore {
    async fn token_by_manage_id(
        &self,
        manage_id: &str,
    ) -> Result<Option<TokenWithGrant>, StoreError> {
        let row = statements::token_by_manage_id(manage_id)
            .fetch_optional(&self.pool)
            .await
            .map_err(store_error)?;
        row.map(TokenWithGrantRow::into_domain).transpose()
    }

    async fn token_by_hash(&self, hash: &TokenHash) -> Result<Option<TokenWithGrant>, StoreError> {
        let row = statements::token_by_hash(hash)
            .fetch_optional(&self.pool)
            .await
            .map_err(store_error)?;
        row.map(TokenWithGrantRow::into_domain).transpose()
    }

    async fn rotate_access_token(
        &self,
        old_manage_id: &str,
        new: &NewAccessToken,
        now: UnixTime,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await.map_err(store_error)?;
        // A share lock on the grant keeps a concurrent revocation of it from missing the new
        // token (see the module documentation); rotations of one grant's tokens share it freely.
        let grant_live: Option<i32> = sqlx::query_scalar(
            "SELECT 1 FROM grants WHERE id = (SELECT grant_id FROM access_tokens WHERE manage_id = $1) \
             AND finalization IS DISTINCT FROM 'revoked' FOR SHARE",
        )
        .bind(old_manage_id)
        .fetch_optional(&mut *tx)
        .await
        .map_err(store_error)?;
        if grant_live.is_none() {
            return Err(StoreError::NotLive); // dropping `tx` rolls back
        }
        // Of concurrent rotations, the first takes the token's row lock; the others wait for its
        // commit, then find the token no longer active.
        let rotated = statements::end_active_token(old_manage_id, TokenEnd::Rotated, now)
            .execute(&mut *tx)
            .await
            .map_err(store_error)?
            .rows_affected();
        if rotated != 1 {
            return Err(StoreError::NotLive);
        }
        statements::insert_token(new)
            .execute(&mut *tx)
            .await
            .map_err(store_error)?;
        tx.commit().await.map_err(store_error)
    }

    async fn revoke_access_token(&self, manage_id: &str, now: UnixTime) -> Result<(), StoreError> {
        statements::end_active_token(manage_id, TokenEnd::Revoked, now)
            .execute(&self.pool)
            .await
            .map_err(store_error)?;
        Ok(())
    }

    async fn sweep_expired_tokens(
        &self,
        expired_before: UnixTime,
        batch: u32,
    ) -> Result<u64, StoreError> {
        // SKIP LOCKED: rows another node is sweeping, or a request is changing, are left for
        // later instead of waited for.
        let deleted = sqlx::query(
            "DELETE FROM access_tokens WHERE manage_id IN \
             (SELECT manage_id FROM access_tokens WHERE expires_at < $1 \
              LIMIT $2 FOR UPDATE SKIP LOCKED)",
        )
        .bind(expired_before.0)
        .bind(i64::from(batch))
        .execute(&self.pool)
        .await
        .map_err(store_error)?
        .rows_affected();
        Ok(deleted)
    }
}
