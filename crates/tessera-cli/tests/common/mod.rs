//! Runs the real `tessera` binary for black-box tests and reads where it listens from its JSON log.

#![allow(dead_code)]

use std::io::{BufRead as _, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub struct ServeProcess {
    child: Child,
    pub public_url: String,
    pub internal_url: String,
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
        let db = format!("sqlite://{}", dir.join("tessera.db").display());
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
                        ));
                    }
                }
                sink.lock().unwrap().push(line);
            }
        });
        let deadline = Instant::now() + Duration::from_secs(30);
        let (public_url, internal_url) = loop {
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
            log,
        }
    }

    pub fn log_text(&self) -> String {
        self.log.lock().unwrap().join("\n")
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

impl Drop for ServeProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}
