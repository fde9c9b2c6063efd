//! Node.js for the interop tests: the npm packages pinned in `interop/js` (the official Open
//! Payments client and its signature library), installed on first use. Tests that use this
//! fail, never skip, when Node.js or npm is missing.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

/// `interop/js` in this checkout.
pub fn interop_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../interop/js")
}

/// Checks that Node.js runs, and runs `npm ci` in `interop/js` when a pinned package is missing.
pub fn ensure_npm_packages() -> PathBuf {
    let dir = interop_dir();
    let node = Command::new("node").arg("--version").output();
    assert!(
        node.as_ref().is_ok_and(|o| o.status.success()),
        "Node.js is required for the interop tests (install Node.js >= 20 and npm): {node:?}"
    );
    let installed = [
        "@interledger/open-payments",
        "@interledger/http-signature-utils",
        "selenium-webdriver",
    ]
    .iter()
    .all(|p| dir.join("node_modules").join(p).is_dir());
    if !installed {
        let status = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund"])
            .current_dir(&dir)
            .status()
            .expect("npm is required for the interop tests (install Node.js >= 20 with npm)");
        assert!(status.success(), "npm ci in {} failed", dir.display());
    }
    dir
}

/// Runs `node {script}` in `interop/js` with `input` as JSON on stdin; returns its stdout parsed
/// as JSON. Panics, with stderr, when the script fails.
pub fn run_json_script(script: &str, input: &Value) -> Value {
    let dir = ensure_npm_packages();
    let mut child = Command::new("node")
        .arg(script)
        .current_dir(&dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run node");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.to_string().as_bytes())
        .unwrap();
    let Output {
        status,
        stdout,
        stderr,
    } = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&stdout);
    let stderr = String::from_utf8_lossy(&stderr);
    assert!(
        status.success(),
        "node {script} failed ({status})\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
    serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("node {script} printed no JSON ({e}):\n{stdout}\n{stderr}"))
}
