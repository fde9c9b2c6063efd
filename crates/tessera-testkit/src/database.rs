//! An empty database for each test, on either storage backend: a SQLite file in a temporary
//! directory, or a PostgreSQL schema of its own on the server `TESSERA_TEST_POSTGRES_URL` names
//! (default [`DEFAULT_POSTGRES_URL`]). Schemas isolate tests that run at once on one server, and
//! are dropped with everything in them when the test ends.
//!
//! PostgreSQL tests never skip: if the server cannot be reached, the test fails and says how to
//! provide one.

use std::net::SocketAddr;
use std::time::Duration;

use sqlx::Connection as _;
use sqlx::postgres::PgConnection;

/// Where the PostgreSQL tests go when `TESSERA_TEST_POSTGRES_URL` is not set.
pub const DEFAULT_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

/// A storage backend to run a test on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The PostgreSQL server of the tests (`TESSERA_TEST_POSTGRES_URL`).
pub fn postgres_url() -> String {
    std::env::var("TESSERA_TEST_POSTGRES_URL")
        .ok()
        .filter(|url| !url.is_empty())
        .unwrap_or_else(|| DEFAULT_POSTGRES_URL.to_owned())
}

/// The address of the tests' PostgreSQL server, e.g. for a [`crate::TcpProxy`] in front of it.
pub async fn postgres_addr() -> SocketAddr {
    let url = reqwest::Url::parse(&postgres_url()).unwrap();
    let host = url.host_str().expect("a PostgreSQL URL with a host");
    let port = url.port().unwrap_or(5432);
    tokio::net::lookup_host((host, port))
        .await
        .unwrap()
        .next()
        .unwrap()
}

/// `url` with its server address replaced by `addr` (to go through a proxy).
pub fn url_via(url: &str, addr: SocketAddr) -> String {
    let mut url = reqwest::Url::parse(url).unwrap();
    url.set_ip_host(addr.ip()).unwrap();
    url.set_port(Some(addr.port())).unwrap();
    url.to_string()
}

/// One test's database; what it holds is deleted when this is dropped.
pub struct TestDatabase {
    /// The URL Tessera is given (`--database-url`).
    pub url: String,
    /// The temporary directory or the schema, deleted on drop.
    _place: Box<dyn Send + Sync>,
}

impl TestDatabase {
    pub async fn create(backend: Backend) -> TestDatabase {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().unwrap();
                TestDatabase {
                    url: format!("sqlite://{}", dir.path().join("tessera.db").display()),
                    _place: Box::new(dir),
                }
            }
            Backend::Postgres => {
                let schema = PostgresSchema::create().await;
                TestDatabase {
                    url: schema.url.clone(),
                    _place: Box::new(schema),
                }
            }
        }
    }

    /// `(grant_id, status)` of every stored access token, read directly from the database.
    pub async fn token_rows(&self) -> Vec<(String, String)> {
        const SQL: &str = "SELECT grant_id, status FROM access_tokens";
        if self.url.starts_with("sqlite:") {
            let mut db = sqlx::SqliteConnection::connect(&self.url).await.unwrap();
            sqlx::query_as(SQL).fetch_all(&mut db).await.unwrap()
        } else {
            let mut db = PgConnection::connect(&self.url).await.unwrap();
            sqlx::query_as(SQL).fetch_all(&mut db).await.unwrap()
        }
    }

    /// How many tokens are stored, and how many of them are active.
    pub async fn token_counts(&self) -> (usize, usize) {
        let rows = self.token_rows().await;
        let active = rows.iter().filter(|(_, status)| status == "active").count();
        (rows.len(), active)
    }
}

/// An empty PostgreSQL schema, named at random, and a URL whose connections use it
/// (`search_path`). Dropping it drops the schema.
pub struct PostgresSchema {
    pub name: String,
    pub url: String,
    server_url: String,
}

impl PostgresSchema {
    pub async fn create() -> PostgresSchema {
        let server_url = postgres_url();
        let mut db = connect_to_test_server(&server_url).await;
        let name = format!("tessera_test_{:016x}", rand::random::<u64>());
        sqlx::query(&format!("CREATE SCHEMA {name}"))
            .execute(&mut db)
            .await
            .unwrap();
        let _ = db.close().await;
        let separator = if server_url.contains('?') { '&' } else { '?' };
        PostgresSchema {
            url: format!("{server_url}{separator}options[search_path]={name}"),
            name,
            server_url,
        }
    }
}

impl Drop for PostgresSchema {
    fn drop(&mut self) {
        let (server_url, name) = (self.server_url.clone(), self.name.clone());
        // Drop runs inside the test's runtime, which cannot block on itself: a thread with a
        // runtime of its own does the work. Best effort: a leftover schema harms no other test.
        let cleanup = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            runtime.block_on(async {
                let mut db = PgConnection::connect(&server_url).await.ok()?;
                sqlx::query("SET lock_timeout = '5s'")
                    .execute(&mut db)
                    .await
                    .ok()?;
                sqlx::query(&format!("DROP SCHEMA IF EXISTS {name} CASCADE"))
                    .execute(&mut db)
                    .await
                    .ok()?;
                db.close().await.ok()
            })
        });
        let _ = cleanup.join();
    }
}

async fn connect_to_test_server(url: &str) -> PgConnection {
    let attempt = tokio::time::timeout(Duration::from_secs(10), PgConnection::connect(url)).await;
    match attempt {
        Ok(Ok(db)) => db,
        Ok(Err(e)) => panic!("{}", unreachable_message(url, &e.to_string())),
        Err(_) => panic!("{}", unreachable_message(url, "no answer within 10 s")),
    }
}

fn unreachable_message(url: &str, error: &str) -> String {
    let url = match reqwest::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        _ => url.to_owned(),
    };
    format!(
        "the PostgreSQL tests need a PostgreSQL server, and {url} cannot be reached: {error}.\n\
         Start one (scripts/test installs and starts one when nothing listens on \
         127.0.0.1:5432), or set TESSERA_TEST_POSTGRES_URL to a database the tests may create \
         schemas in."
    )
}
