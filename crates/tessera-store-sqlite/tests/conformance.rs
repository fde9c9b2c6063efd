//! The storage contract (see `tessera_testkit::store_conformance`) on SQLite: once on a file
//! database (WAL, separate reader pool, as in production) and once in memory.

// Test code: a failed unwrap is a failed test, with its location.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod file {
    async fn open() -> (
        std::sync::Arc<dyn tessera_core::store::Store>,
        tempfile::TempDir,
    ) {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("t.db").display());
        let store = tessera_store_sqlite::SqliteStore::connect(&url)
            .await
            .unwrap();
        (std::sync::Arc::new(store), dir)
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
