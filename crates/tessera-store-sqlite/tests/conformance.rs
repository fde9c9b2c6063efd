//! The storage contract (see `tessera_testkit::store_conformance`) on SQLite: once on a file
//! database (WAL, separate reader pool, as in production) and once in memory.

// Test code: a failed unwrap is a failed test, with its location.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod file {
    async fn open() -> std::sync::Arc<dyn tessera_core::store::Store> {
        // Leaked so the directory outlives the store; test processes are short-lived.
        let dir = Box::leak(Box::new(tempfile::tempdir().unwrap()));
        let url = format!("sqlite://{}", dir.path().join("t.db").display());
        std::sync::Arc::new(
            tessera_store_sqlite::SqliteStore::connect(&url)
                .await
                .unwrap(),
        )
    }
    tessera_testkit::store_conformance_tests!(open());
}

mod memory {
    async fn open() -> std::sync::Arc<dyn tessera_core::store::Store> {
        std::sync::Arc::new(
            tessera_store_sqlite::SqliteStore::connect("sqlite::memory:")
                .await
                .unwrap(),
        )
    }
    tessera_testkit::store_conformance_tests!(open());
}
