//! The rotation-chain property (`tessera_testkit::rotation_chain`) on PostgreSQL, each case in a
//! fresh schema. Fails, never skips, when the server cannot be reached.

// Test code: a failed unwrap is a failed test, with its location.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use proptest::prelude::*;
use tessera_store_postgres::PostgresStore;
use tessera_testkit::PostgresSchema;
use tessera_testkit::rotation_chain::{check, steps};

proptest! {
    // Fewer cases than on SQLite: each creates and migrates a schema.
    #![proptest_config(ProptestConfig::with_cases(24))]
    #[test]
    fn a_rotation_chain_has_at_most_one_live_token(steps in steps()) {
        tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
            let schema = PostgresSchema::create().await;
            let store = PostgresStore::connect(&schema.url).await.unwrap();
            check(Arc::new(store), steps).await;
        });
    }
}
