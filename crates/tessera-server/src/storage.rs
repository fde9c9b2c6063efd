//! Chooses the storage backend from the database URL.

use std::sync::Arc;

use tessera_core::store::{Store, StoreError};
use tessera_store_sqlite::SqliteStore;

pub async fn open_store(database_url: &str) -> Result<Arc<dyn Store>, StoreError> {
    if database_url.starts_with("sqlite:") {
        Ok(Arc::new(SqliteStore::connect(database_url).await?))
    } else {
        Err(StoreError::Backend(format!(
            "unsupported database URL (expected sqlite://path): {}",
            redact(database_url)
        )))
    }
}

/// The URL without credentials, for messages.
fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => url.split('@').next_back().unwrap_or(url).to_owned(),
    }
}
