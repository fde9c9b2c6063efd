//! PostgreSQL goes away under load and comes back. Tessera reaches the database through a TCP
//! proxy that the test takes down (open connections cut, new ones refused, as when the server
//! stops) and brings up again, so the shared PostgreSQL server keeps running.
//!
//! While it is down every failing request is a 503 with `Retry-After`, never a 500 or a hang;
//! once it is back, service resumes by itself, and no token was lost or duplicated: every grant
//! still has exactly one active token, each token a client holds works, each one it rotated
//! away does not.

// Test code: a failed unwrap is a failed test, with its location.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use tessera_testkit::{
    Backend, Reply, TcpProxy, TestClient, TestServer, WalletServer, incoming_payment_access,
    postgres_addr, url_via,
};

const WORKERS: usize = 6;
/// Longer than the pool's acquire timeout (5 s), so requests that wait for a connection while
/// the database is down run out of time and fail.
const OUTAGE: Duration = Duration::from_secs(7);

/// One request as a client saw it.
#[derive(Debug)]
struct Outcome {
    started: Instant,
    finished: Instant,
    what: &'static str,
    reply: Reply,
}

/// What a client ends up holding.
#[derive(Default)]
struct Tokens {
    /// The token of each of its grants it may use now: (value, manage URL).
    current: Vec<(String, String)>,
    /// Tokens it rotated away with a 200: dead.
    rotated_away: Vec<String>,
}

/// Rotates the token of one grant over and over. When a rotation fails with 503 it is
/// retried; if that 503 hid a committed rotation, the retry is refused with `invalid_rotation`
/// (the client never learnt the new value) and the worker starts over with a new grant.
async fn rotate_in_a_loop(
    server: Arc<TestServer>,
    client: Arc<TestClient>,
    stop: Arc<AtomicBool>,
) -> (Vec<Outcome>, Tokens) {
    let mut outcomes = Vec::new();
    let mut tokens = Tokens::default();
    let mut current: Option<(String, String)> = None;
    let mut unsure = false; // the last rotation of `current` answered 503
    while !stop.load(Ordering::Relaxed) {
        let started = Instant::now();
        let (what, reply) = match &current {
            None => {
                let body = client.grant_body(incoming_payment_access());
                (
                    "grant",
                    client.request_grant(&server.grant_url(), &body).await,
                )
            }
            Some((value, manage)) => ("rotate", client.rotate(manage, value).await),
        };
        let finished = Instant::now();
        let refused_retry = what == "rotate" && reply.status == 400 && unsure;
        match (what, reply.status) {
            (_, 200) => {
                let at = &reply.body["access_token"];
                let new = (
                    at["value"].as_str().unwrap().to_owned(),
                    at["manage"].as_str().unwrap().to_owned(),
                );
                if let Some((old, _)) = current.replace(new) {
                    tokens.rotated_away.push(old);
                }
                unsure = false;
            }
            (_, 503) => unsure |= what == "rotate",
            ("rotate", 400) if refused_retry && reply.error_code() == Some("invalid_rotation") => {
                // The rotation behind the 503 did commit: this grant's live token is one the
                // client never received. Its old token is dead; start over.
                let (old, _) = current.take().unwrap();
                tokens.rotated_away.push(old);
                unsure = false;
            }
            _ => {} // reported as unexpected below
        }
        outcomes.push(Outcome {
            started,
            finished,
            what: if refused_retry {
                "retried rotation"
            } else {
                what
            },
            reply,
        });
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    tokens.current.extend(current);
    (outcomes, tokens)
}

/// Introspects one token (never rotated) over and over, as a resource server would.
async fn introspect_in_a_loop(
    server: Arc<TestServer>,
    token: String,
    stop: Arc<AtomicBool>,
) -> Vec<Outcome> {
    let http = reqwest::Client::new();
    let mut outcomes = Vec::new();
    while !stop.load(Ordering::Relaxed) {
        let started = Instant::now();
        let response = http
            .post(format!("{}/introspect", server.internal_url))
            .json(&serde_json::json!({ "access_token": token }))
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get("retry-after")
            .map(|v| v.to_str().unwrap().to_owned());
        let body = response.json().await.unwrap();
        outcomes.push(Outcome {
            started,
            finished: Instant::now(),
            what: "introspect",
            reply: Reply {
                status,
                body,
                retry_after,
            },
        });
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    outcomes
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_outage_under_load_gives_503_then_full_service_and_loses_no_token() {
    let proxy = TcpProxy::start(postgres_addr().await).await;
    let server = TestServer::start_with(Backend::Postgres, |c| {
        c.database_url = url_via(&c.database_url, proxy.addr);
    })
    .await;
    let server = Arc::new(server);
    let wallets = WalletServer::start().await;
    let watcher = TestClient::register(&wallets, "watched");
    let watched = watcher
        .request_grant(
            &server.grant_url(),
            &watcher.grant_body(incoming_payment_access()),
        )
        .await;
    assert_eq!(watched.status, 200, "{}", watched.body);
    let watched = watched.body["access_token"]["value"]
        .as_str()
        .unwrap()
        .to_owned();

    let stop = Arc::new(AtomicBool::new(false));
    let mut rotators = tokio::task::JoinSet::new();
    for i in 0..WORKERS {
        let client = Arc::new(TestClient::register(&wallets, &format!("client{i}")));
        rotators.spawn(rotate_in_a_loop(server.clone(), client, stop.clone()));
    }
    let introspector = tokio::spawn(introspect_in_a_loop(
        server.clone(),
        watched.clone(),
        stop.clone(),
    ));

    // Up, down, up again.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let down_at = Instant::now();
    proxy.go_down().await;
    tokio::time::sleep(OUTAGE).await;
    proxy.come_up().await;
    let up_at = Instant::now();
    // Recovery: until a request that starts now succeeds.
    let probe = reqwest::Client::new();
    let recovered_at = loop {
        let response = probe
            .post(format!("{}/introspect", server.internal_url))
            .json(&serde_json::json!({ "access_token": watched }))
            .send()
            .await
            .unwrap();
        if response.status() == 200 {
            break Instant::now();
        }
        assert!(
            up_at.elapsed() < Duration::from_secs(15),
            "no recovery 15 s after the database came back"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    tokio::time::sleep(Duration::from_secs(2)).await;
    stop.store(true, Ordering::Relaxed);

    let mut outcomes = introspector.await.unwrap();
    let mut tokens = Tokens::default();
    while let Some(worker) = rotators.join_next().await {
        let (worker_outcomes, worker_tokens) = worker.unwrap();
        outcomes.extend(worker_outcomes);
        tokens.current.extend(worker_tokens.current);
        tokens.rotated_away.extend(worker_tokens.rotated_away);
    }
    let recovery = recovered_at - up_at;
    let slowest = outcomes
        .iter()
        .map(|o| o.finished - o.started)
        .max()
        .unwrap();
    let count = |f: &dyn Fn(&Outcome) -> bool| outcomes.iter().filter(|o| f(o)).count();
    eprintln!(
        "outage of {OUTAGE:?}: {} requests, {} answered 503; service back {recovery:?} after the \
         database; slowest request {slowest:?}",
        outcomes.len(),
        count(&|o| o.reply.status == 503),
    );

    // Only the answers the protocol allows: success, 503 with Retry-After, and a refused retry
    // of a rotation whose 503 hid its commit. Never a 500.
    for o in &outcomes {
        match (o.what, o.reply.status) {
            (_, 200) => {}
            (_, 503) => {
                assert_eq!(o.reply.retry_after.as_deref(), Some("1"), "{o:?}");
                assert_eq!(o.reply.error_code(), Some("request_denied"), "{o:?}");
            }
            ("retried rotation", 400) => o.reply.assert_error(400, "invalid_rotation"),
            _ => panic!("unexpected answer: {o:?}"),
        }
    }
    // 503s while the database was down, and none for what started after service was back.
    assert!(
        count(&|o| o.reply.status == 503 && o.finished > down_at) > 0,
        "the outage went unnoticed"
    );
    assert_eq!(
        count(&|o| o.reply.status == 503 && o.started > recovered_at),
        0,
        "failures after recovery"
    );
    // Every kind of request works again, for every client.
    for what in ["rotate", "introspect"] {
        assert!(count(&|o| o.what == what && o.reply.status == 200 && o.started > up_at) > 0);
    }
    // No request hung: none took much longer than the acquire timeout.
    assert!(
        slowest < Duration::from_secs(10),
        "a request took {slowest:?}"
    );

    // No token lost or duplicated.
    assert!(server.is_active(&watched).await);
    for (value, _) in &tokens.current {
        assert!(
            server.is_active(value).await,
            "a token the client holds died"
        );
    }
    for value in &tokens.rotated_away {
        assert!(!server.is_active(value).await, "a rotated token lives on");
    }
    let mut active_per_grant: HashMap<String, usize> = HashMap::new();
    for (grant, status) in server.database.token_rows().await {
        *active_per_grant.entry(grant).or_default() += usize::from(status == "active");
    }
    assert!(active_per_grant.len() > WORKERS);
    for (grant, active) in active_per_grant {
        assert_eq!(active, 1, "grant {grant} has {active} active tokens");
    }
}
