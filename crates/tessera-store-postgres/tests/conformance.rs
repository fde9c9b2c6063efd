//! The storage contract (see `tessera_testkit::store_conformance`) on PostgreSQL, each test in a
//! fresh schema of the server `TESSERA_TEST_POSTGRES_URL` names. Fails, never skips, when that
//! server cannot be reached.

// Test code: a failed unwrap is a failed test, with its location.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use tessera_core::store::Store;
use tessera_store_postgres::PostgresStore;
use tessera_testkit::PostgresSchema;

async fn open() -> (Arc<dyn Store>, PostgresSchema) {
    let schema = PostgresSchema::create().await;
    let store = PostgresStore::connect(&schema.url).await.unwrap();
    (Arc::new(store), schema)
}

tessera_testkit::store_conformance_tests!(open());
