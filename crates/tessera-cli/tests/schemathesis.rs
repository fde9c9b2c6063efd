//! Schema fuzzing as part of the suite: `scripts/schemathesis` runs schemathesis against this
//! build's `tessera serve`, with the OpenAPI documents the server serves. It needs python3 (the
//! script installs schemathesis into a venv under `target/`); without it this test fails, it
//! never skips.

// Test code: a failed unwrap is a failed test, with its location.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::process::Command;

#[test]
fn served_openapi_documents_hold_under_schemathesis() {
    let python = Command::new("python3").arg("--version").output();
    assert!(
        python.as_ref().is_ok_and(|o| o.status.success()),
        "python3 (with venv and pip) is required for the schemathesis run: {python:?}"
    );
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let output = Command::new(root.join("scripts/schemathesis"))
        .current_dir(&root)
        .env("TESSERA_BIN", env!("CARGO_BIN_EXE_tessera"))
        .output()
        .expect("run scripts/schemathesis");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "scripts/schemathesis failed:\n{stdout}\n{stderr}"
    );
    assert!(
        stdout.contains("every response conforms to its document"),
        "{stdout}"
    );
}
