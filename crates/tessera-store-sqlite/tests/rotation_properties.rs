//! The rotation-chain property (`tessera_testkit::rotation_chain`) on SQLite.

// Test code: a failed unwrap is a failed test, with its location.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use proptest::prelude::*;
use tessera_testkit::rotation_chain::{check, steps};

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn a_rotation_chain_has_at_most_one_live_token(steps in steps()) {
        tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
            let store = tessera_store_sqlite::SqliteStore::connect("sqlite::memory:").await.unwrap();
            check(Arc::new(store), steps).await;
        });
    }
}
