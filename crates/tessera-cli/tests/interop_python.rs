//! A third-party Python OAuth 2.0 client, `requests-oauthlib` (pinned with its dependencies in
//! `interop/python/requirements.txt`), against a real `tessera serve`: discovery, authorization
//! code + PKCE, refresh rotation and reuse detection, revocation, introspection, and both
//! client authentication methods. The steps are in `interop/python/oauth_interop.py`.
//!
//! This test never skips: without `python3` and its `venv` module it fails and says what to
//! install. It keeps its virtual environment under Cargo's target directory and reinstalls it
//! only when `requirements.txt` (or the Python version) changes.

// Test code: a failed unwrap is a failed test, with its location.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn interop_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../interop/python")
}

fn run(command: &mut Command) -> Output {
    command
        .output()
        .unwrap_or_else(|e| panic!("could not run {command:?}: {e}"))
}

#[track_caller]
fn assert_ran(what: &str, output: &Output) {
    assert!(
        output.status.success(),
        "{what} failed ({}):\nstdout:\n{}\nstderr:\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The venv's interpreter, with `requirements.txt` installed: reused while the requirements
/// and the Python version are those it was built for, rebuilt otherwise.
fn python_venv() -> PathBuf {
    let version = Command::new("python3").arg("--version").output();
    let version = match version {
        Ok(o) if o.status.success() => String::from_utf8_lossy(&o.stdout).trim().to_owned(),
        other => panic!(
            "python3 is required for the OAuth interop test (Debian: apt-get install python3 \
             python3-venv): {other:?}"
        ),
    };
    let requirements = interop_dir().join("requirements.txt");
    let wanted = format!(
        "{version}\n{}",
        std::fs::read_to_string(&requirements).unwrap()
    );
    let venv = Path::new(env!("CARGO_TARGET_TMPDIR")).join("interop-python-venv");
    let python = venv.join("bin/python");
    let stamp = venv.join("tessera-requirements.stamp");
    if std::fs::read_to_string(&stamp).is_ok_and(|s| s == wanted) && python.is_file() {
        return python;
    }

    // The stamp is written last: an interrupted install has none and is rebuilt.
    let _ = std::fs::remove_dir_all(&venv);
    let created = run(Command::new("python3").args(["-m", "venv"]).arg(&venv));
    assert_ran(
        "python3 -m venv (Debian: apt-get install python3-venv)",
        &created,
    );
    let installed = run(Command::new(&python)
        .args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--no-input",
            "-r",
        ])
        .arg(&requirements));
    assert_ran("pip install -r interop/python/requirements.txt", &installed);
    std::fs::write(&stamp, wanted).unwrap();
    python
}

#[test]
fn requests_oauthlib_runs_the_oauth_lifecycle() {
    let python = python_venv();
    let tmp = tempfile::tempdir().unwrap();
    let clients = common::register_interop_clients(tmp.path());
    let server = common::ServeProcess::start_oauth(tmp.path(), &[]);

    let output = run(Command::new(&python)
        .arg("oauth_interop.py")
        .current_dir(interop_dir())
        .env("ISSUER", &server.public_url)
        .env("ADMIN_URL", &server.internal_url)
        .env("ADMIN_TOKEN", common::ADMIN_TOKEN)
        .env("IDP_CONSENT_URL", common::IDP_CONSENT_URL)
        .env("REDIRECT_URI", common::REDIRECT_URI)
        .env("CLIENT_ID", &clients.app.id)
        .env("CLIENT_SECRET", &clients.app.secret)
        .env("RS_CLIENT_ID", &clients.resource_server.id)
        .env("RS_CLIENT_SECRET", &clients.resource_server.secret)
        .env("PYTHONDONTWRITEBYTECODE", "1"));
    let (_, report) = common::assert_script_passed(&output, &server, "\n12 passed, 0 failed");
    // The server saw what the script claims: a reuse, and the family it revoked.
    assert!(
        server.log_shows("refresh token reuse detected; family revoked"),
        "{report}"
    );
    assert!(server.stop().success());
}
