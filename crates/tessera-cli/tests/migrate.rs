//! `tessera migrate` brings a database up to date and exits, on either backend; running it again
//! changes nothing, and the version it applied is recorded in `_sqlx_migrations`.

// Test code: a failed unwrap is a failed test, with its location.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::{Command, Output};

use sqlx::Connection as _;
use tessera_testkit::{Backend, TestDatabase};

fn tessera_migrate(args: &[&str], env_url: Option<&str>) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_tessera"));
    command.arg("migrate").args(args);
    match env_url {
        Some(url) => command.env("TESSERA_DATABASE_URL", url),
        None => command.env_remove("TESSERA_DATABASE_URL"),
    };
    command.output().unwrap()
}

/// `(version, success)` of every applied migration, and the tables the schema has.
async fn schema_of(database: &TestDatabase) -> (Vec<(i64, bool)>, Vec<String>) {
    const VERSIONS: &str = "SELECT version, success FROM _sqlx_migrations ORDER BY version";
    if database.url.starts_with("sqlite:") {
        let mut db = sqlx::SqliteConnection::connect(&database.url)
            .await
            .unwrap();
        let tables = sqlx::query_scalar(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_%' ESCAPE '\\' \
             AND name NOT LIKE 'sqlite%' ORDER BY name",
        )
        .fetch_all(&mut db)
        .await
        .unwrap();
        (
            sqlx::query_as(VERSIONS).fetch_all(&mut db).await.unwrap(),
            tables,
        )
    } else {
        let mut db = sqlx::PgConnection::connect(&database.url).await.unwrap();
        let tables = sqlx::query_scalar(
            "SELECT table_name::text FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_name NOT LIKE '\\_%' ORDER BY 1",
        )
        .fetch_all(&mut db)
        .await
        .unwrap();
        (
            sqlx::query_as(VERSIONS).fetch_all(&mut db).await.unwrap(),
            tables,
        )
    }
}

async fn migrates_once_and_records_the_version(backend: Backend) {
    let database = TestDatabase::create(backend).await;
    let first = tessera_migrate(&["--database-url", &database.url], None);
    assert!(first.status.success(), "{first:?}");
    // The environment variable works as the flag does; the second run finds nothing to do.
    let second = tessera_migrate(&[], Some(&database.url));
    assert!(second.status.success(), "{second:?}");

    let (versions, tables) = schema_of(&database).await;
    assert_eq!(versions, vec![(1, true), (2, true), (3, true)]);
    assert_eq!(
        tables,
        vec![
            "access_tokens",
            "audit_events",
            "grants",
            "oauth_access_tokens",
            "oauth_authorizations",
            "oauth_clients",
            "oauth_families",
            "oauth_refresh_tokens",
            "server_keys"
        ]
    );
}

#[test]
fn an_unreachable_or_unknown_database_fails_with_a_message() {
    for (url, expected) in [
        (
            "postgres://tessera:hunter2@127.0.0.1:1/tessera",
            "database unavailable",
        ),
        (
            "mysql://tessera:hunter2@db/tessera",
            "unsupported database URL",
        ),
    ] {
        let output = tessera_migrate(&["--database-url", url], None);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{url}");
        assert!(stderr.contains(expected), "{url}: {stderr}");
        assert!(
            !stderr.contains("hunter2"),
            "the password reached the output"
        );
    }
}

tessera_testkit::backend_tests!(migrates_once_and_records_the_version);
