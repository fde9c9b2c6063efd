//! Deletes long-expired tokens in the background, in small batches so that the writer is never
//! held for long.

use std::sync::Arc;
use std::time::Duration;

use tessera_core::store::Store;
use tokio::sync::watch;

const BATCH: u32 = 1_000;

pub fn spawn(
    store: Arc<dyn Store>,
    interval: Duration,
    retention_secs: i64,
    mut stop: watch::Receiver<bool>,
) {
    tokio::spawn(async move {
        loop {
            tokio::select! {
                _ = tokio::time::sleep(interval) => {}
                _ = stop.changed() => return,
            }
            let cutoff = crate::now().plus_secs(-retention_secs);
            loop {
                match store.sweep_expired_tokens(cutoff, BATCH).await {
                    Ok(n) if n == u64::from(BATCH) => tokio::task::yield_now().await,
                    Ok(n) => {
                        if n > 0 {
                            tracing::info!(deleted = n, "swept expired tokens");
                        }
                        break;
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "sweeping expired tokens failed");
                        break;
                    }
                }
            }
        }
    });
}
