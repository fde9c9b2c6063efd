//! `tessera grant request`, `tessera token rotate` and `tessera token revoke`, the real binary
//! against a real server: the token lifecycle, output for people and for scripts, and refusals
//! as one line on stderr with a non-zero exit.

// Test code: a failed unwrap is a failed test, with its location.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::Command;

use serde_json::Value;
use tempfile::TempDir;
use tessera_testkit::{ClientKeyFile, TestServer, WalletServer};

/// Settings the client commands read from the environment; never inherited by the tests.
const CLIENT_ENV: [&str; 6] = [
    "WALLET_ADDRESS",
    "PRIVATE_KEY_PATH",
    "KEY_ID",
    "AUTH_SERVER_URL",
    "ACCESS_TOKEN",
    "MANAGE_URL",
];

struct Output {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Output {
    /// The value of a `NAME = value` line.
    fn field(&self, name: &str) -> String {
        let prefix = format!("{name} = ");
        self.stdout
            .lines()
            .find_map(|l| l.strip_prefix(&prefix))
            .unwrap_or_else(|| panic!("no {name} in\n{}", self.stdout))
            .to_owned()
    }

    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("{e}: {}", self.stdout))
    }

    #[track_caller]
    fn assert_success(&self) {
        assert_eq!(self.code, Some(0), "stderr: {}", self.stderr);
        assert_eq!(self.stderr, "");
    }

    /// Refused by the argument parser (exit code 2), saying `what`.
    #[track_caller]
    fn assert_usage_error(&self, what: &str) {
        assert_eq!(self.code, Some(2), "stderr: {}", self.stderr);
        assert!(self.stderr.contains(what), "{}", self.stderr);
    }

    /// Failed with exit code 1 and exactly one line on stderr, which starts with `start`.
    #[track_caller]
    fn assert_error(&self, start: &str) {
        assert_eq!(self.code, Some(1), "stdout: {}", self.stdout);
        assert_eq!(self.stdout, "");
        assert_eq!(self.stderr.lines().count(), 1, "{}", self.stderr);
        assert!(self.stderr.starts_with(start), "{}", self.stderr);
    }
}

struct Cli {
    server: TestServer,
    alice: ClientKeyFile,
    _wallets: WalletServer,
    dir: TempDir,
}

impl Cli {
    async fn start() -> Cli {
        let server = TestServer::start(tessera_testkit::Backend::Sqlite).await;
        let wallets = WalletServer::start().await;
        let dir = tempfile::tempdir().unwrap();
        let alice = wallets.register_key_file("alice", dir.path());
        Cli {
            server,
            alice,
            _wallets: wallets,
            dir,
        }
    }

    /// Alice's identity as the official snippets pass it: environment variables.
    fn alice_env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("WALLET_ADDRESS", self.alice.wallet_address.clone()),
            (
                "PRIVATE_KEY_PATH",
                self.alice.pem_path.display().to_string(),
            ),
            ("KEY_ID", self.alice.key_id.clone()),
        ]
    }

    /// `tessera grant request --auth-server ... --access ...` as Alice.
    async fn grant(&self, access: &[&str], extra: &[&str]) -> Output {
        let mut args = vec!["grant", "request", "--auth-server"];
        let url = self.server.grant_url();
        args.push(&url);
        for a in access {
            args.extend(["--access", a]);
        }
        args.extend(extra);
        tessera(&args, self.alice_env()).await
    }

    /// `tessera token <action>` as Alice, with the token in `ACCESS_TOKEN`/`MANAGE_URL`.
    async fn token(&self, action: &str, value: &str, manage: &str, extra: &[&str]) -> Output {
        let mut env = self.alice_env();
        env.push(("ACCESS_TOKEN", value.to_owned()));
        env.push(("MANAGE_URL", manage.to_owned()));
        let mut args = vec!["token", action];
        args.extend(extra);
        tessera(&args, env).await
    }
}

async fn tessera(args: &[&str], env: Vec<(&'static str, String)>) -> Output {
    let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
    tokio::task::spawn_blocking(move || {
        let mut command = Command::new(env!("CARGO_BIN_EXE_tessera"));
        for name in CLIENT_ENV {
            command.env_remove(name);
        }
        let out = command.args(&args).envs(env).output().expect("run tessera");
        Output {
            code: out.status.code(),
            stdout: String::from_utf8(out.stdout).unwrap(),
            stderr: String::from_utf8(out.stderr).unwrap(),
        }
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn grant_rotate_revoke_with_the_cli() {
    let cli = Cli::start().await;
    let granted = cli.grant(&["incoming-payment", "quote"], &[]).await;
    granted.assert_success();
    assert_eq!(granted.stdout.lines().count(), 2, "{}", granted.stdout);
    let (value, manage) = (granted.field("ACCESS_TOKEN"), granted.field("MANAGE_URL"));
    assert!(manage.starts_with(&format!("{}/token/", cli.server.public_url)));
    let info = cli.server.introspect(&value).await;
    assert_eq!(info["active"], true);
    assert_eq!(info["client"], cli.alice.wallet_address);

    let rotated = cli.token("rotate", &value, &manage, &[]).await;
    rotated.assert_success();
    let (new_value, new_manage) = (rotated.field("ACCESS_TOKEN"), rotated.field("MANAGE_URL"));
    assert_ne!(new_value, value);
    assert_ne!(new_manage, manage);
    assert!(!cli.server.is_active(&value).await);
    assert!(cli.server.is_active(&new_value).await);

    // Flags work as well as the environment.
    let mut args = vec!["token", "revoke", "--access-token", &new_value];
    args.extend(["--manage-url", &new_manage]);
    let revoked = tessera(&args, cli.alice_env()).await;
    revoked.assert_success();
    assert_eq!(revoked.stdout, "Token revoked.\n");
    assert!(!cli.server.is_active(&new_value).await);
}

#[tokio::test(flavor = "multi_thread")]
async fn json_output_for_scripts() {
    let cli = Cli::start().await;
    let granted = cli
        .grant(&["incoming-payment=read,list"], &["--json"])
        .await;
    granted.assert_success();
    let token = &granted.json()["access_token"];
    assert_eq!(token["expires_in"], 600);
    assert_eq!(
        token["access"],
        serde_json::json!([{"type": "incoming-payment", "actions": ["read", "list"]}])
    );
    let (value, manage) = (
        token["value"].as_str().unwrap(),
        token["manage"].as_str().unwrap(),
    );
    assert!(cli.server.is_active(value).await);

    let rotated = cli.token("rotate", value, manage, &["--json"]).await;
    rotated.assert_success();
    let new = &rotated.json()["access_token"];
    assert_eq!(new["access"], token["access"]);
    let (new_value, new_manage) = (
        new["value"].as_str().unwrap(),
        new["manage"].as_str().unwrap(),
    );
    assert!(cli.server.is_active(new_value).await);

    let revoked = cli
        .token("revoke", new_value, new_manage, &["--json"])
        .await;
    revoked.assert_success();
    assert_eq!(revoked.json(), serde_json::json!({"revoked": true}));
    assert!(!cli.server.is_active(new_value).await);
}

#[tokio::test(flavor = "multi_thread")]
async fn refusals_are_one_line_on_stderr_with_the_gnap_code() {
    let cli = Cli::start().await;
    let granted = cli.grant(&["incoming-payment"], &[]).await;
    let (value, manage) = (granted.field("ACCESS_TOKEN"), granted.field("MANAGE_URL"));
    let rotated = cli.token("rotate", &value, &manage, &[]).await;
    rotated.assert_success();

    let again = cli.token("rotate", &value, &manage, &["--json"]).await;
    again.assert_error(&format!(
        "tessera: token rotation failed: POST {manage}: 400 invalid_rotation: "
    ));
    assert!(!again.stderr.contains(&value), "the token reached stderr");

    let new_manage = rotated.field("MANAGE_URL");
    let wrong = cli.token("revoke", &value, &new_manage, &[]).await;
    wrong.assert_error(&format!(
        "tessera: token revocation failed: DELETE {new_manage}: 401 invalid_client: "
    ));
    assert!(cli.server.is_active(&rotated.field("ACCESS_TOKEN")).await);

    let identifier = ["--identifier", &cli.alice.wallet_address];
    let outgoing = cli.grant(&["outgoing-payment"], &identifier).await;
    outgoing.assert_error(&format!(
        "tessera: grant request failed: POST {}: 400 invalid_request: ",
        cli.server.grant_url()
    ));
}

#[tokio::test(flavor = "multi_thread")]
async fn local_problems_are_clear_errors() {
    let cli = Cli::start().await;
    let mut env = cli.alice_env();
    env[1].1 = "/nonexistent/alice.pem".into();
    let url = cli.server.grant_url();
    let args = [
        "grant",
        "request",
        "--auth-server",
        &url,
        "--access",
        "quote",
    ];
    tessera(&args, env)
        .await
        .assert_error("tessera: cannot read the private key /nonexistent/alice.pem: ");

    let not_pem = cli.dir.path().join("not.pem");
    std::fs::write(&not_pem, "-----BEGIN PRIVATE KEY-----\nAAAA\n").unwrap();
    let mut env = cli.alice_env();
    env[1].1 = not_pem.display().to_string();
    tessera(&args, env).await.assert_error(&format!(
        "tessera: the private key {} is not usable: invalid PKCS#8 Ed25519 private key PEM",
        not_pem.display()
    ));

    // Nothing listens at the server URL.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead = format!("http://{}/", closed.local_addr().unwrap());
    drop(closed);
    let args = [
        "grant",
        "request",
        "--auth-server",
        &dead,
        "--access",
        "quote",
    ];
    tessera(&args, cli.alice_env()).await.assert_error(&format!(
        "tessera: grant request failed: POST {dead}: transport error: "
    ));

    // Usage errors: clap's exit code 2, naming what is wrong.
    cli.grant(&["teleport"], &[])
        .await
        .assert_usage_error("unknown access type `teleport`");
    cli.grant(&["quote=complete"], &[])
        .await
        .assert_usage_error("invalid access `quote`");
    tessera(&["token", "rotate"], cli.alice_env())
        .await
        .assert_usage_error("--access-token");
}

#[tokio::test(flavor = "multi_thread")]
async fn help_does_not_show_the_access_token_from_the_environment() {
    let env = vec![("ACCESS_TOKEN", "super-secret-token-value".to_owned())];
    let help = tessera(&["token", "rotate", "--help"], env).await;
    help.assert_success();
    assert!(help.stdout.contains("ACCESS_TOKEN"));
    assert!(!help.stdout.contains("super-secret-token-value"));
}
