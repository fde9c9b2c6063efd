//! Crash safety: clients rotate, revoke and re-request tokens against a real `tessera serve`,
//! which is killed with SIGKILL in the middle of that load and restarted on the same SQLite file.
//! Afterwards every token a client was last given is active, every token it rotated away or
//! revoked is inactive, no grant has two live tokens, and SQLite's integrity check passes.
//!
//! A request in flight at the kill may or may not have been committed; the client never saw the
//! answer. Such a client's last token is accepted as dead only when the database shows the change
//! it asked for (its row rotated, with exactly one live successor, or revoked).

// Test code: a failed unwrap is a failed test, with its location.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use http::Method;
use serde_json::Value;
use tessera_store_sqlite::SqliteStore;
use tessera_testkit::{Tamper, TestClient, WalletServer, incoming_payment_access};

const CLIENTS: usize = 4;

#[derive(Debug, Clone)]
struct Token {
    value: String,
    manage: String,
}

impl Token {
    fn from_reply(body: &Value) -> Token {
        Token {
            value: body["access_token"]["value"].as_str().unwrap().to_owned(),
            manage: body["access_token"]["manage"].as_str().unwrap().to_owned(),
        }
    }

    fn manage_id(&self) -> &str {
        self.manage.rsplit('/').next().unwrap()
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Op {
    Rotate,
    Revoke,
    Grant,
}

/// What one client knows when the server dies.
#[derive(Debug, Default)]
struct ClientState {
    /// The token it was last given (none between a revocation and the next grant).
    current: Option<Token>,
    /// Tokens it rotated away or revoked, with the server's acknowledgement.
    dead: Vec<String>,
    /// The operation whose answer never came.
    in_flight: Option<Op>,
    acknowledged: usize,
}

/// Rotates, and every eighth step revokes and asks for a new grant, until the server dies.
async fn run_client(client: TestClient, grant_url: String, stop: Arc<AtomicBool>) -> ClientState {
    let mut state = ClientState::default();
    let body = client.grant_body(incoming_payment_access());
    for step in 0.. {
        if stop.load(Ordering::SeqCst) {
            break;
        }
        let (op, request) = match &state.current {
            None => (
                Op::Grant,
                client.try_send(
                    Method::POST,
                    &grant_url,
                    None,
                    Some(&body),
                    Tamper::default(),
                ),
            ),
            Some(t) if step % 8 == 7 => (
                Op::Revoke,
                client.try_send(
                    Method::DELETE,
                    &t.manage,
                    Some(&t.value),
                    None,
                    Tamper::default(),
                ),
            ),
            Some(t) => (
                Op::Rotate,
                client.try_send(
                    Method::POST,
                    &t.manage,
                    Some(&t.value),
                    None,
                    Tamper::default(),
                ),
            ),
        };
        let Ok(reply) = request.await else {
            state.in_flight = Some(op);
            break;
        };
        match (op, reply.status) {
            (Op::Grant, 200) => state.current = Some(Token::from_reply(&reply.body)),
            (Op::Rotate, 200) => {
                let old = state.current.replace(Token::from_reply(&reply.body));
                state.dead.extend(old.map(|t| t.value));
            }
            (Op::Revoke, 204) => state.dead.extend(state.current.take().map(|t| t.value)),
            _ => panic!("{op:?} answered {}: {}", reply.status, reply.body),
        }
        state.acknowledged += 1;
    }
    state
}

async fn is_active(internal_url: &str, token: &str) -> bool {
    let response: Value = reqwest::Client::new()
        .post(format!("{internal_url}/introspect"))
        .json(&serde_json::json!({ "access_token": token }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    response["active"] == Value::Bool(true)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigkill_mid_rotation_load_loses_and_corrupts_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let args = ["--allow-http", "--rate-limit", "off"];
    let server = common::ServeProcess::start(tmp.path(), &args);
    let wallets = WalletServer::start().await;
    let stop = Arc::new(AtomicBool::new(false));
    let mut load = tokio::task::JoinSet::new();
    for i in 0..CLIENTS {
        let client = TestClient::register(&wallets, &format!("client-{i}"));
        load.spawn(run_client(
            client,
            format!("{}/", server.public_url),
            stop.clone(),
        ));
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    server.kill();
    stop.store(true, Ordering::SeqCst);
    let mut states = Vec::new();
    while let Some(state) = load.join_next().await {
        states.push(state.unwrap());
    }
    let acknowledged: usize = states.iter().map(|s| s.acknowledged).sum();
    let interrupted: Vec<_> = states.iter().filter_map(|s| s.in_flight).collect();
    eprintln!(
        "{acknowledged} operations acknowledged before SIGKILL; interrupted: {interrupted:?}"
    );
    assert!(acknowledged >= 4 * CLIENTS, "too little load: {states:?}");
    assert!(
        states.iter().any(|s| s.in_flight.is_some()),
        "the kill interrupted no request: {states:?}"
    );

    let server = common::ServeProcess::start(tmp.path(), &args);
    let db = format!("sqlite://{}", tmp.path().join("tessera.db").display());
    let pool = sqlx::SqlitePool::connect(&db).await.unwrap();
    let row = |manage_id: String| {
        let pool = pool.clone();
        async move {
            sqlx::query_as::<_, (String, String)>(
                "SELECT status, grant_id FROM access_tokens WHERE manage_id = ?",
            )
            .bind(manage_id)
            .fetch_one(&pool)
            .await
            .unwrap()
        }
    };
    for state in &states {
        for dead in &state.dead {
            assert!(
                !is_active(&server.internal_url, dead).await,
                "a rotated-away or revoked token is active again"
            );
        }
        let Some(token) = &state.current else {
            continue;
        };
        if is_active(&server.internal_url, &token.value).await {
            continue;
        }
        let (status, grant_id) = row(token.manage_id().to_owned()).await;
        let live_in_grant: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM access_tokens WHERE grant_id = ? AND status = 'active'",
        )
        .bind(&grant_id)
        .fetch_one(&pool)
        .await
        .unwrap();
        match (state.in_flight, status.as_str()) {
            (Some(Op::Rotate), "rotated") => assert_eq!(live_in_grant, 1, "{state:?}"),
            (Some(Op::Revoke), "revoked") => {}
            _ => panic!("the last token given is inactive ({status}): {state:?}"),
        }
    }
    let doubly_live: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM (SELECT grant_id FROM access_tokens WHERE status = 'active' \
         GROUP BY grant_id HAVING COUNT(*) > 1)",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(doubly_live, 0, "a grant has two live tokens");
    pool.close().await;

    assert!(server.stop().success());
    let store = SqliteStore::connect(&db).await.unwrap();
    assert!(
        store.integrity_ok().await.unwrap(),
        "PRAGMA integrity_check"
    );
}
