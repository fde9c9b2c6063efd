//! Runs the real `tessera` binary for black-box tests and reads where it listens from its JSON log.

#![allow(dead_code)]

use std::io::{BufRead as _, BufReader};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub use tessera_testkit::interactive::{ADMIN_TOKEN, IDP_CONSENT_URL};
pub use tessera_testkit::oauth::REDIRECT_URI;

/// Checks that an interop script (node, python) exited 0 and printed `summary` (e.g.
/// `"12 passed, 0 failed"`); a failure shows its output and the server's log. Returns the
/// script's stdout and that report.
#[track_caller]
pub fn assert_script_passed(
    output: &Output,
    server: &ServeProcess,
    summary: &str,
) -> (String, String) {
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    eprintln!("{stdout}");
    let report = format!(
        "stdout:\n{stdout}\nstderr:\n{}\nserver log:\n{}",
        String::from_utf8_lossy(&output.stderr),
        server.log_text()
    );
    assert!(output.status.success(), "interop script failed\n{report}");
    assert!(stdout.contains(summary), "{report}");
    (stdout, report)
}

/// The database of a test server whose files live in `dir`.
pub fn database_url(dir: &Path) -> String {
    format!("sqlite://{}", dir.join("tessera.db").display())
}

/// Runs `tessera client create --json ARGS` on the database in `dir` and returns what it
/// printed.
pub fn create_client(dir: &Path, args: &[&str]) -> serde_json::Value {
    let output = Command::new(env!("CARGO_BIN_EXE_tessera"))
        .args([
            "client",
            "create",
            "--json",
            "--database-url",
            &database_url(dir),
        ])
        .args(args)
        .env_remove("TESSERA_DATABASE_URL")
        .output()
        .expect("run tessera client create");
    assert!(
        output.status.success(),
        "tessera client create {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("tessera client create --json prints JSON")
}

/// A confidential client registered with the CLI: id and secret.
#[derive(Debug, Clone)]
pub struct CliClient {
    pub id: String,
    pub secret: String,
}

/// The clients of the OAuth interop tests, registered with the real CLI before the server
/// first starts.
pub struct InteropClients {
    /// A web app: authorization code (+ refresh) and client credentials, scope `read write`,
    /// redirect URI [`REDIRECT_URI`].
    pub app: CliClient,
    /// A resource server allowed to introspect.
    pub resource_server: CliClient,
    /// A public app (no secret, PKCE): authorization code + refresh, scope `read write`.
    pub public_app_id: String,
}

pub fn register_interop_clients(dir: &Path) -> InteropClients {
    let registered = |args: &[&str]| {
        let v = create_client(dir, args);
        CliClient {
            id: v["client_id"].as_str().expect("client_id").to_owned(),
            secret: v["client_secret"]
                .as_str()
                .expect("client_secret")
                .to_owned(),
        }
    };
    InteropClients {
        app: registered(&[
            "--name",
            "Interop web app",
            "--grant-type",
            "authorization_code",
            "--grant-type",
            "refresh_token",
            "--grant-type",
            "client_credentials",
            "--redirect-uri",
            REDIRECT_URI,
            "--scope",
            "read write",
        ]),
        resource_server: registered(&[
            "--name",
            "Interop API",
            "--grant-type",
            "client_credentials",
            "--introspect",
        ]),
        public_app_id: create_client(
            dir,
            &[
                "--name",
                "Interop mobile app",
                "--public",
                "--grant-type",
                "authorization_code",
                "--grant-type",
                "refresh_token",
                "--redirect-uri",
                REDIRECT_URI,
                "--scope",
                "read write",
            ],
        )["client_id"]
            .as_str()
            .expect("client_id")
            .to_owned(),
    }
}

pub struct ServeProcess {
    child: Child,
    pub public_url: String,
    pub internal_url: String,
    /// The public listener's address, e.g. `127.0.0.1:41234`.
    pub public_addr: String,
    /// Every line the server has logged so far.
    pub log: Arc<Mutex<Vec<String>>>,
}

impl ServeProcess {
    /// `tessera serve --log-json` on ephemeral loopback ports, with a SQLite database in `dir`.
    pub fn start(dir: &Path, extra_args: &[&str]) -> ServeProcess {
        Self::start_with_env(dir, extra_args, &[])
    }

    /// Like [`ServeProcess::start`], with extra environment variables.
    pub fn start_with_env(dir: &Path, extra_args: &[&str], envs: &[(&str, &str)]) -> ServeProcess {
        let db = database_url(dir);
        Self::start_on_with_env(&db, extra_args, envs)
    }

    /// `tessera serve --log-json` on ephemeral loopback ports, with the database at `db`.
    pub fn start_on(db: &str, extra_args: &[&str]) -> ServeProcess {
        Self::start_on_with_env(db, extra_args, &[])
    }

    fn start_on_with_env(db: &str, extra_args: &[&str], envs: &[(&str, &str)]) -> ServeProcess {
        let mut child = Command::new(env!("CARGO_BIN_EXE_tessera"))
            .args([
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--internal-listen",
                "127.0.0.1:0",
                "--log-json",
            ])
            .args(["--database-url", db])
            .args(extra_args)
            .env_remove("TESSERA_PUBLIC_URL")
            .env("RUST_LOG", "info")
            .envs(envs.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn tessera");
        let stdout = child.stdout.take().expect("stdout");
        let log = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        let sink = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Ok(v) = serde_json::from_str::<serde_json::Value>(&line) {
                    let f = &v["fields"];
                    if f["message"] == "tessera listening" {
                        let _ = tx.send((
                            f["public_url"].as_str().unwrap_or_default().to_owned(),
                            format!("http://{}", f["internal_addr"].as_str().unwrap_or_default()),
                            f["public_addr"].as_str().unwrap_or_default().to_owned(),
                        ));
                    }
                }
                sink.lock().unwrap().push(line);
            }
        });
        let deadline = Instant::now() + Duration::from_secs(30);
        let (public_url, internal_url, public_addr) = loop {
            if let Ok(urls) = rx.recv_timeout(Duration::from_millis(100)) {
                break urls;
            }
            if let Ok(Some(status)) = child.try_wait() {
                panic!("tessera serve exited early: {status}");
            }
            assert!(
                Instant::now() < deadline,
                "tessera serve did not start within 30 s"
            );
        };
        ServeProcess {
            child,
            public_url,
            internal_url,
            public_addr,
            log,
        }
    }

    /// `tessera serve` for OAuth: consent through the IdP at [`IDP_CONSENT_URL`], the IdP API
    /// on the testkit's admin token.
    pub fn start_oauth(dir: &Path, extra_args: &[&str]) -> ServeProcess {
        let mut args = vec!["--idp-consent-url", IDP_CONSENT_URL];
        args.extend_from_slice(extra_args);
        Self::start_with_env(dir, &args, &[("TESSERA_ADMIN_TOKEN", ADMIN_TOKEN)])
    }

    pub fn log_text(&self) -> String {
        self.log.lock().unwrap().join("\n")
    }

    /// Whether a line containing `needle` reaches the log within 5 s. The server writes its
    /// lines from a thread of its own, so a response can arrive before the line it caused.
    /// (It blocks: what it waits for is another process and the thread reading its output.)
    pub fn log_shows(&self, needle: &str) -> bool {
        let deadline = Instant::now() + Duration::from_secs(5);
        while !self.log_text().contains(needle) {
            if Instant::now() >= deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        true
    }

    /// Sends SIGTERM-equivalent shutdown (kill on non-Unix) and waits.
    pub fn stop(mut self) -> std::process::ExitStatus {
        #[cfg(unix)]
        {
            let _ = Command::new("kill")
                .args(["-TERM", &self.child.id().to_string()])
                .status();
        }
        #[cfg(not(unix))]
        {
            let _ = self.child.kill();
        }
        self.child.wait().expect("wait for tessera")
    }
}

impl ServeProcess {
    /// SIGKILL: the process dies at once, mid-request, without any chance to clean up.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for ServeProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}
