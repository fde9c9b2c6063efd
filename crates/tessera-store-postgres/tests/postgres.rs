//! What only PostgreSQL has to show: sweepers pass over rows locked elsewhere instead of waiting,
//! the schema version is recorded and migrating is idempotent, and an unreachable server is
//! `Unavailable` within the acquire timeout.

// Test code: a failed unwrap is a failed test, with its location.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::{Duration, Instant};

use sqlx::Connection as _;
use tessera_core::store::{GrantStore as _, StoreError, TokenStore as _};
use tessera_store_postgres::PostgresStore;
use tessera_testkit::PostgresSchema;
use tessera_testkit::store_conformance::{T0, grant, token};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sweeping_skips_rows_locked_by_another_transaction_without_waiting() {
    let schema = PostgresSchema::create().await;
    let store = PostgresStore::connect(&schema.url).await.unwrap();
    let mut expired = Vec::new();
    for i in 0..3 {
        let g = grant();
        let t = token(&g, &format!("old{i}"), 10);
        store.create_grant(&g, Some(&t)).await.unwrap();
        expired.push(t);
    }
    // Another node (a transaction left open) holds one of the expired rows.
    let mut other = sqlx::PgConnection::connect(&schema.url).await.unwrap();
    let mut tx = other.begin().await.unwrap();
    sqlx::query("SELECT 1 FROM access_tokens WHERE manage_id = $1 FOR UPDATE")
        .bind(&expired[0].manage_id)
        .execute(&mut *tx)
        .await
        .unwrap();

    let started = Instant::now();
    let deleted = tokio::time::timeout(
        Duration::from_secs(5),
        store.sweep_expired_tokens(T0.plus_secs(100), 100),
    )
    .await
    .expect("the sweep waited for a locked row")
    .unwrap();
    assert_eq!(deleted, 2, "the two unlocked rows, not the locked one");
    assert!(started.elapsed() < Duration::from_secs(2));

    tx.rollback().await.unwrap();
    assert_eq!(
        store
            .sweep_expired_tokens(T0.plus_secs(100), 100)
            .await
            .unwrap(),
        1,
        "the row is swept once released"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_schema_version_is_recorded_and_migrating_again_changes_nothing() {
    let schema = PostgresSchema::create().await;
    // Two nodes starting at once both migrate; the advisory lock serialises them.
    let (a, b) = tokio::join!(
        tessera_store_postgres::migrate(&schema.url),
        tessera_store_postgres::migrate(&schema.url)
    );
    a.unwrap();
    b.unwrap();
    tessera_store_postgres::migrate(&schema.url).await.unwrap();
    let mut db = sqlx::PgConnection::connect(&schema.url).await.unwrap();
    let versions: Vec<(i64, bool)> =
        sqlx::query_as("SELECT version, success FROM _sqlx_migrations ORDER BY version")
            .fetch_all(&mut db)
            .await
            .unwrap();
    assert_eq!(versions, vec![(1, true), (2, true), (3, true)]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_server_is_unavailable_not_a_hang() {
    // Nothing listens on port 1.
    let started = Instant::now();
    let result = tessera_store_postgres::migrate("postgres://postgres@127.0.0.1:1/test").await;
    assert!(
        matches!(result, Err(StoreError::Unavailable(_))),
        "{result:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn a_malformed_url_is_a_configuration_error() {
    let result = tessera_store_postgres::migrate("postgres://[::1").await;
    assert!(matches!(result, Err(StoreError::Backend(_))), "{result:?}");
}
