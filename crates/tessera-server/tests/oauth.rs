//! OAuth 2.0 against a real server: client authentication, every grant type, refresh rotation
//! with reuse detection and grace, revocation, introspection, metadata.

// Test code: a failed unwrap is a failed test, with its location.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use serde_json::{Value, json};
use tessera_testkit::interactive::query_param;
use tessera_testkit::oauth::{OAuthHarness, REDIRECT_URI, Registered, pkce};
use tessera_testkit::{Backend, TestServer};

async fn start(
    backend: Backend,
    configure: impl FnOnce(&mut tessera_server::ServerConfig),
) -> (TestServer, OAuthHarness) {
    let server = TestServer::start_interactive(backend, configure).await;
    let harness = OAuthHarness::new(&server);
    (server, harness)
}

async fn resource_server(h: &OAuthHarness) -> Registered {
    h.register(
        json!({"name": "API", "grant_types": ["client_credentials"], "may_introspect": true}),
    )
    .await
}

/// Authorization code + PKCE for `user-42`; returns the token response.
async fn code_flow(h: &OAuthHarness, client: &Registered, scope: &str) -> Value {
    h.code_flow(client, scope, "user-42").await
}

async fn client_credentials_with_basic_or_body_but_not_both(backend: Backend) {
    let (_server, h) = start(backend, |_| {}).await;
    let c = h.confidential().await;
    let secret = c.secret.clone().unwrap();
    assert!(secret.starts_with("tsr_cs_") && secret.len() >= 7 + 43);

    let basic = h
        .post_form(
            "/oauth2/token",
            Some((&c.id, &secret)),
            &[("grant_type", "client_credentials")],
        )
        .await;
    assert_eq!(basic.status, 200, "{}", basic.body);
    assert_eq!(basic.cache_control.as_deref(), Some("no-store"));
    assert_eq!(basic.pragma.as_deref(), Some("no-cache"));
    assert_eq!(basic.body["token_type"], "Bearer");
    assert_eq!(basic.body["expires_in"], 600);
    assert_eq!(basic.body["scope"], "read write");
    assert!(
        basic.body.get("refresh_token").is_none(),
        "client credentials get no refresh token"
    );
    assert!(
        basic.body["access_token"]
            .as_str()
            .unwrap()
            .starts_with("tsr_at_")
    );

    let body = h
        .token_with_body(
            &c,
            &[("grant_type", "client_credentials"), ("scope", "read")],
        )
        .await;
    assert_eq!(
        (body.status, body.body["scope"].as_str()),
        (200, Some("read"))
    );

    let both = h
        .post_form(
            "/oauth2/token",
            Some((&c.id, &secret)),
            &[
                ("grant_type", "client_credentials"),
                ("client_secret", &secret),
            ],
        )
        .await;
    both.assert_error(400, "invalid_request");

    let wrong = h
        .post_form(
            "/oauth2/token",
            Some((&c.id, "tsr_cs_wrong")),
            &[("grant_type", "client_credentials")],
        )
        .await;
    wrong.assert_error(401, "invalid_client");
    assert!(wrong.www_authenticate.unwrap().starts_with("Basic"));
    let wrong_body = h
        .post_form(
            "/oauth2/token",
            None,
            &[
                ("grant_type", "client_credentials"),
                ("client_id", &c.id),
                ("client_secret", "nope"),
            ],
        )
        .await;
    wrong_body.assert_error(401, "invalid_client");
    assert!(wrong_body.www_authenticate.is_none());
    h.post_form(
        "/oauth2/token",
        None,
        &[("grant_type", "client_credentials")],
    )
    .await
    .assert_error(401, "invalid_client");
}

async fn token_endpoint_errors_are_rfc_6749_errors(backend: Backend) {
    let (_server, h) = start(backend, |_| {}).await;
    let c = h.confidential().await;
    let only_cc = h
        .register(json!({"name": "cc", "grant_types": ["client_credentials"], "scope": "read"}))
        .await;
    h.token_with_body(&c, &[("grant_type", "password")])
        .await
        .assert_error(400, "unsupported_grant_type");
    h.token_with_body(&c, &[])
        .await
        .assert_error(400, "invalid_request");
    h.token_with_body(
        &only_cc,
        &[("grant_type", "refresh_token"), ("refresh_token", "x")],
    )
    .await
    .assert_error(400, "unauthorized_client");
    h.token_with_body(
        &c,
        &[("grant_type", "client_credentials"), ("scope", "admin")],
    )
    .await
    .assert_error(400, "invalid_scope");
    h.token_with_body(
        &c,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", "tsr_rt_unknown"),
        ],
    )
    .await
    .assert_error(400, "invalid_grant");
    h.token_with_body(
        &c,
        &[
            ("grant_type", "authorization_code"),
            ("code", "tsr_ac_unknown"),
            ("redirect_uri", REDIRECT_URI),
        ],
    )
    .await
    .assert_error(400, "invalid_grant");

    // Duplicate parameters and non-form bodies are refused.
    let dup = h.http
        .post(format!("{}/oauth2/token", h.public_url))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("grant_type=client_credentials&grant_type=client_credentials&client_id={}&client_secret={}", c.id, c.secret.clone().unwrap()))
        .send()
        .await
        .unwrap();
    assert_eq!(dup.status(), 400);
    assert_eq!(
        dup.json::<Value>().await.unwrap()["error"],
        "invalid_request"
    );
    let json_body = h
        .http
        .post(format!("{}/oauth2/token", h.public_url))
        .json(&json!({"grant_type": "client_credentials"}))
        .send()
        .await
        .unwrap();
    assert_eq!(json_body.status(), 400);
}

async fn authorization_code_with_pkce_then_refresh_twice_then_reuse_kills_the_family(
    backend: Backend,
) {
    let (_server, h) = start(backend, |_| {}).await;
    let c = h.confidential().await;
    let rs = resource_server(&h).await;
    let first = code_flow(&h, &c, "read write").await;
    let at1 = first["access_token"].as_str().unwrap().to_owned();
    let rt1 = first["refresh_token"].as_str().unwrap().to_owned();
    assert!(rt1.starts_with("tsr_rt_"));
    let info = h.introspect(&rs, &at1).await;
    assert_eq!(info["active"], true);
    assert_eq!(info["sub"], "user-42");
    assert_eq!(info["client_id"], c.id.as_str());
    assert_eq!(info["scope"], "read write");
    assert_eq!(info["token_type"], "Bearer");
    assert_eq!(info["iss"], h.public_url.as_str());
    assert!(info["exp"].as_i64().unwrap() > info["iat"].as_i64().unwrap());

    // Refresh with a narrower access token; the old access token dies at once.
    let second = h
        .token_with_body(
            &c,
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", &rt1),
                ("scope", "read"),
            ],
        )
        .await;
    assert_eq!(second.status, 200, "{}", second.body);
    assert_eq!(second.body["scope"], "read");
    let rt2 = second.body["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(rt2, rt1);
    assert_eq!(h.introspect(&rs, &at1).await, json!({"active": false}));

    // The new refresh token keeps the original scope: a later refresh may ask for all of it.
    let third = h.refresh(&c, &rt2).await;
    assert_eq!(
        (third.status, third.body["scope"].as_str()),
        (200, Some("read write"))
    );
    let at3 = third.body["access_token"].as_str().unwrap().to_owned();
    let rt3 = third.body["refresh_token"].as_str().unwrap().to_owned();
    h.token_with_body(
        &c,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", &rt3),
            ("scope", "read write admin"),
        ],
    )
    .await
    .assert_error(400, "invalid_scope");

    // Reuse of a consumed refresh token: invalid_grant, and the newest tokens die with it.
    h.refresh(&c, &rt1).await.assert_error(400, "invalid_grant");
    assert_eq!(h.introspect(&rs, &at3).await, json!({"active": false}));
    assert_eq!(h.introspect(&rs, &rt3).await, json!({"active": false}));
    h.refresh(&c, &rt3).await.assert_error(400, "invalid_grant");
}

async fn an_authorization_code_works_once_and_only_with_its_verifier(backend: Backend) {
    let (_server, h) = start(backend, |_| {}).await;
    let c = h.confidential().await;
    let rs = resource_server(&h).await;
    let (verifier, challenge) = pkce();
    let query = [
        ("response_type", "code"),
        ("client_id", c.id.as_str()),
        ("redirect_uri", REDIRECT_URI),
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", "S256"),
    ];
    let code = query_param(&h.consent(&query, Some("u1")).await, "code").unwrap();
    let exchange = |verifier: String, code: String| {
        let h = &h;
        let c = &c;
        async move {
            h.token_with_body(
                c,
                &[
                    ("grant_type", "authorization_code"),
                    ("code", &code),
                    ("redirect_uri", REDIRECT_URI),
                    ("code_verifier", &verifier),
                ],
            )
            .await
        }
    };
    exchange("w".repeat(50), code.clone())
        .await
        .assert_error(400, "invalid_grant");
    let ok = exchange(verifier.clone(), code.clone()).await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    let at = ok.body["access_token"].as_str().unwrap().to_owned();
    // Second use: refused, and what the first use got is revoked (RFC 6749 §4.1.2).
    exchange(verifier, code)
        .await
        .assert_error(400, "invalid_grant");
    assert_eq!(h.introspect(&rs, &at).await, json!({"active": false}));
}

async fn authorization_requests_refuse_bad_clients_and_redirects(backend: Backend) {
    let (_server, h) = start(backend, |_| {}).await;
    let c = h.confidential().await;
    let public = h
        .register(json!({"name": "SPA", "kind": "public", "grant_types": ["authorization_code", "refresh_token"], "redirect_uris": [REDIRECT_URI], "scope": "read"}))
        .await;
    assert!(public.secret.is_none());

    let mut browser = tessera_testkit::interactive::Browser::default();
    for query in [
        format!("response_type=code&client_id=unknown&redirect_uri={REDIRECT_URI}"),
        format!(
            "response_type=code&client_id={}&redirect_uri=https://evil.example/cb",
            c.id
        ),
    ] {
        let page = browser
            .get(&format!("{}/oauth2/authorize?{query}", h.public_url))
            .await;
        assert_eq!((page.status, page.location), (400, None), "{query}");
    }
    // Public clients must use PKCE; the error goes back to the client.
    let back = h
        .consent(
            &[
                ("response_type", "code"),
                ("client_id", &public.id),
                ("redirect_uri", REDIRECT_URI),
                ("state", "s"),
            ],
            None,
        )
        .await;
    assert_eq!(
        query_param(&back, "error").as_deref(),
        Some("invalid_request")
    );
    assert_eq!(query_param(&back, "state").as_deref(), Some("s"));
    let back = h
        .consent(
            &[
                ("response_type", "token"),
                ("client_id", &c.id),
                ("redirect_uri", REDIRECT_URI),
            ],
            None,
        )
        .await;
    assert_eq!(
        query_param(&back, "error").as_deref(),
        Some("unsupported_response_type")
    );
    let back = h
        .consent(
            &[
                ("response_type", "code"),
                ("client_id", &c.id),
                ("redirect_uri", REDIRECT_URI),
                ("scope", "admin"),
            ],
            None,
        )
        .await;
    assert_eq!(
        query_param(&back, "error").as_deref(),
        Some("invalid_scope")
    );

    // The resource owner says no.
    let (_, challenge) = pkce();
    let back = h
        .consent(
            &[
                ("response_type", "code"),
                ("client_id", &public.id),
                ("redirect_uri", REDIRECT_URI),
                ("code_challenge", &challenge),
                ("code_challenge_method", "S256"),
            ],
            None,
        )
        .await;
    assert_eq!(
        query_param(&back, "error").as_deref(),
        Some("access_denied")
    );

    // A public client runs the whole flow with PKCE and no secret.
    let tokens = code_flow(&h, &public, "read").await;
    let refreshed = h
        .refresh(&public, tokens["refresh_token"].as_str().unwrap())
        .await;
    assert_eq!(refreshed.status, 200, "{}", refreshed.body);
}

async fn concurrent_refreshes(
    h: Arc<OAuthHarness>,
    c: &Registered,
    rt: &str,
) -> Vec<(u16, Vec<u8>)> {
    let barrier = Arc::new(tokio::sync::Barrier::new(32));
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..32 {
        let (h, c, rt, barrier) = (h.clone(), c.clone(), rt.to_owned(), barrier.clone());
        tasks.spawn(async move {
            barrier.wait().await;
            let r = h.refresh(&c, &rt).await;
            (r.status, r.raw)
        });
    }
    let mut out = Vec::new();
    while let Some(r) = tasks.join_next().await {
        out.push(r.unwrap());
    }
    out
}

async fn thirty_two_concurrent_refreshes_without_grace_one_wins_and_the_family_dies(
    backend: Backend,
) {
    let (_server, h) = start(backend, |_| {}).await;
    let h = Arc::new(h);
    let c = h.confidential().await;
    let rs = resource_server(&h).await;
    let tokens = code_flow(&h, &c, "read").await;
    let results =
        concurrent_refreshes(h.clone(), &c, tokens["refresh_token"].as_str().unwrap()).await;
    let winners: Vec<&Vec<u8>> = results
        .iter()
        .filter(|(s, _)| *s == 200)
        .map(|(_, b)| b)
        .collect();
    assert_eq!(winners.len(), 1, "exactly one refresh wins");
    for (status, body) in results.iter().filter(|(s, _)| *s != 200) {
        assert_eq!(*status, 400);
        assert_eq!(
            serde_json::from_slice::<Value>(body).unwrap()["error"],
            "invalid_grant"
        );
    }
    let won: Value = serde_json::from_slice(winners[0]).unwrap();
    // Every loser presented a consumed token, so the family is revoked, winner included.
    assert_eq!(
        h.introspect(&rs, won["access_token"].as_str().unwrap())
            .await,
        json!({"active": false})
    );
    assert_eq!(
        h.introspect(&rs, won["refresh_token"].as_str().unwrap())
            .await,
        json!({"active": false})
    );
}

async fn thirty_two_concurrent_refreshes_with_grace_all_get_the_same_pair(backend: Backend) {
    let (_server, h) = start(backend, |c| c.refresh_grace_secs = 30).await;
    let h = Arc::new(h);
    let c = h.confidential().await;
    let rs = resource_server(&h).await;
    let tokens = code_flow(&h, &c, "read").await;
    let results =
        concurrent_refreshes(h.clone(), &c, tokens["refresh_token"].as_str().unwrap()).await;
    assert!(
        results.iter().all(|(s, _)| *s == 200),
        "{:?}",
        results.iter().map(|(s, _)| s).collect::<Vec<_>>()
    );
    let first = &results[0].1;
    assert!(
        results.iter().all(|(_, b)| b == first),
        "every retry gets the identical response"
    );
    let pair: Value = serde_json::from_slice(first).unwrap();
    assert_eq!(
        h.introspect(&rs, pair["access_token"].as_str().unwrap())
            .await["active"],
        true
    );
    // Once the successor is used, the old token is reuse again.
    let next = h.refresh(&c, pair["refresh_token"].as_str().unwrap()).await;
    assert_eq!(next.status, 200);
    h.refresh(&c, tokens["refresh_token"].as_str().unwrap())
        .await
        .assert_error(400, "invalid_grant");
    assert_eq!(
        h.introspect(&rs, next.body["access_token"].as_str().unwrap())
            .await,
        json!({"active": false})
    );
}

async fn an_idle_refresh_token_expires(backend: Backend) {
    let (_server, h) = start(backend, |c| c.refresh_token_idle_secs = 1).await;
    let c = h.confidential().await;
    let tokens = code_flow(&h, &c, "read").await;
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    h.refresh(&c, tokens["refresh_token"].as_str().unwrap())
        .await
        .assert_error(400, "invalid_grant");
}

async fn revocation_follows_rfc_7009(backend: Backend) {
    let (_server, h) = start(backend, |_| {}).await;
    let c = h.confidential().await;
    let other = h.confidential().await;
    let rs = resource_server(&h).await;
    let secret = c.secret.clone().unwrap();
    let tokens = code_flow(&h, &c, "read").await;
    let at = tokens["access_token"].as_str().unwrap();
    let rt = tokens["refresh_token"].as_str().unwrap();

    // Unknown token: 200. Another client's token: 200, and left alone.
    let r = h
        .post_form(
            "/oauth2/revoke",
            Some((&c.id, &secret)),
            &[("token", "tsr_at_nothing")],
        )
        .await;
    assert_eq!(r.status, 200);
    let r = h
        .post_form(
            "/oauth2/revoke",
            Some((&other.id, other.secret.as_deref().unwrap())),
            &[("token", rt)],
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(h.introspect(&rs, at).await["active"], true);
    // Wrong credentials: 401.
    h.post_form("/oauth2/revoke", Some((&c.id, "bad")), &[("token", rt)])
        .await
        .assert_error(401, "invalid_client");
    h.post_form("/oauth2/revoke", Some((&c.id, &secret)), &[])
        .await
        .assert_error(400, "invalid_request");

    // Revoking the refresh token (with a misleading hint) revokes the family's access token.
    let r = h
        .post_form(
            "/oauth2/revoke",
            Some((&c.id, &secret)),
            &[("token", rt), ("token_type_hint", "access_token")],
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(h.introspect(&rs, at).await, json!({"active": false}));
    h.refresh(&c, rt).await.assert_error(400, "invalid_grant");

    // Revoking an access token leaves the refresh token usable.
    let fresh = code_flow(&h, &c, "read").await;
    let r = h
        .post_form(
            "/oauth2/revoke",
            Some((&c.id, &secret)),
            &[("token", fresh["access_token"].as_str().unwrap())],
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(
        h.introspect(&rs, fresh["access_token"].as_str().unwrap())
            .await,
        json!({"active": false})
    );
    assert_eq!(
        h.refresh(&c, fresh["refresh_token"].as_str().unwrap())
            .await
            .status,
        200
    );
}

async fn introspection_is_for_resource_servers_only(backend: Backend) {
    let (_server, h) = start(backend, |_| {}).await;
    let c = h.confidential().await;
    let secret = c.secret.clone().unwrap();
    let token = h
        .token_with_body(&c, &[("grant_type", "client_credentials")])
        .await;
    let at = token.body["access_token"].as_str().unwrap();
    h.post_form(
        "/oauth2/introspect",
        Some((&c.id, &secret)),
        &[("token", at)],
    )
    .await
    .assert_error(401, "invalid_client");
    h.post_form("/oauth2/introspect", None, &[("token", at)])
        .await
        .assert_error(401, "invalid_client");
    let rs = resource_server(&h).await;
    let info = h.introspect(&rs, at).await;
    assert_eq!(
        (info["active"].as_bool(), info["sub"].as_str()),
        (Some(true), Some(c.id.as_str()))
    );
    assert_eq!(h.introspect(&rs, "garbage").await, json!({"active": false}));
}

async fn metadata_and_admin_revocation(backend: Backend) {
    let (_server, h) = start(backend, |_| {}).await;
    let meta: Value = h
        .http
        .get(format!(
            "{}/.well-known/oauth-authorization-server",
            h.public_url
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(meta["issuer"], h.public_url.as_str());
    assert_eq!(
        meta["token_endpoint"],
        format!("{}/oauth2/token", h.public_url)
    );
    assert_eq!(meta["code_challenge_methods_supported"], json!(["S256"]));
    assert!(
        meta["token_endpoint_auth_methods_supported"]
            .as_array()
            .unwrap()
            .contains(&json!("client_secret_basic"))
    );

    let c = h.confidential().await;
    let rs = resource_server(&h).await;
    let a = code_flow(&h, &c, "read").await;
    let b = code_flow(&h, &c, "read").await;
    let revoke_all = |body: Value| {
        h.http
            .post(format!("{}/oauth2/revoke-all", h.internal_url))
            .bearer_auth(tessera_testkit::interactive::ADMIN_TOKEN)
            .json(&body)
            .send()
    };
    let r: Value = revoke_all(json!({"subject": "user-42"}))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r["revoked_authorizations"], 2);
    for t in [&a, &b] {
        assert_eq!(
            h.introspect(&rs, t["access_token"].as_str().unwrap()).await,
            json!({"active": false})
        );
    }
}

tessera_testkit::backend_tests!(
    client_credentials_with_basic_or_body_but_not_both,
    token_endpoint_errors_are_rfc_6749_errors,
    authorization_code_with_pkce_then_refresh_twice_then_reuse_kills_the_family,
    an_authorization_code_works_once_and_only_with_its_verifier,
    authorization_requests_refuse_bad_clients_and_redirects,
    thirty_two_concurrent_refreshes_without_grace_one_wins_and_the_family_dies,
    thirty_two_concurrent_refreshes_with_grace_all_get_the_same_pair,
    an_idle_refresh_token_expires,
    revocation_follows_rfc_7009,
    introspection_is_for_resource_servers_only,
    metadata_and_admin_revocation,
);
