//! Prints `crates/tessera-httpsig/tests/vectors/rust-sdk.json`: four requests as the official
//! Rust SDK (crate `open-payments` 0.2.0) signs them, captured on loopback. It only prints; to
//! regenerate the committed file, redirect it yourself:
//!
//! ```sh
//! cargo run -q -p tessera-cli --example rust_sdk_vectors > crates/tessera-httpsig/tests/vectors/rust-sdk.json
//! ```
//!
//! `tests/rust_sdk_vectors.rs` checks that the committed file still matches what the crate sends.

#[path = "../tests/common/rust_sdk_capture.rs"]
mod rust_sdk_capture;

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let vectors = rust_sdk_capture::capture_vectors().await?;
    println!("{}", serde_json::to_string_pretty(&vectors)?);
    Ok(())
}
