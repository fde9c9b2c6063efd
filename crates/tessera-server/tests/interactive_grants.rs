//! Outgoing-payment grants with the account holder's consent (RFC 9635 §4, Open Payments).

// Test code: a failed unwrap is a failed test, with its location.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use http::Method;
use serde_json::{Value, json};
use tessera_core::gnap::finish_hash;
use tessera_testkit::interactive::{
    Browser, FINISH_URI, IDP_CONSENT_URL, Idp, interaction_of, interactive_grant_body,
    outgoing_payment_access, query_param,
};
use tessera_testkit::{Backend, TestClient, TestServer, WalletServer};

struct Pending {
    redirect: String,
    server_nonce: String,
    continue_uri: String,
    continue_token: String,
    body: Value,
}

async fn request_pending(
    server: &TestServer,
    client: &TestClient,
    client_nonce: Option<&str>,
) -> Pending {
    let body = interactive_grant_body(
        &client.wallet_address,
        outgoing_payment_access(&client.wallet_address),
        client_nonce,
    );
    let reply = client.request_grant(&server.grant_url(), &body).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let b = reply.body;
    Pending {
        redirect: b["interact"]["redirect"].as_str().unwrap().to_owned(),
        server_nonce: b["interact"]["finish"].as_str().unwrap().to_owned(),
        continue_uri: b["continue"]["uri"].as_str().unwrap().to_owned(),
        continue_token: b["continue"]["access_token"]["value"]
            .as_str()
            .unwrap()
            .to_owned(),
        body: b,
    }
}

async fn setup(
    backend: Backend,
    configure: impl FnOnce(&mut tessera_server::ServerConfig),
) -> (TestServer, TestClient) {
    let server = TestServer::start_interactive(backend, configure).await;
    let wallets = WalletServer::start().await;
    let alice = TestClient::register(&wallets, "alice");
    (server, alice)
}

async fn continue_with(
    client: &TestClient,
    pending: &Pending,
    interact_ref: &str,
) -> tessera_testkit::Reply {
    client
        .send(
            Method::POST,
            &pending.continue_uri,
            Some(&pending.continue_token),
            Some(&json!({ "interact_ref": interact_ref })),
        )
        .await
}

async fn accepted_grant_issues_a_token_with_the_requested_limits(backend: Backend) {
    let (server, alice) = setup(backend, |c| c.continue_wait_secs = 5).await;
    let pending = request_pending(&server, &alice, Some("client-nonce-1")).await;
    assert!(pending.body.get("access_token").is_none());
    assert_eq!(pending.body["continue"]["wait"], 5);
    assert!(
        pending
            .redirect
            .starts_with(&format!("{}/interact/", server.public_url))
    );
    let (id, nonce) = interaction_of(&pending.redirect);
    assert_eq!(nonce, pending.server_nonce);

    // The browser is sent to the IdP with what it needs to show.
    let mut browser = Browser::default();
    let page = browser.get(&pending.redirect).await;
    assert_eq!(page.status, 303, "{page:?}");
    let consent = page.location.unwrap();
    assert!(consent.starts_with(IDP_CONSENT_URL));
    assert_eq!(
        query_param(&consent, "interactId").as_deref(),
        Some(id.as_str())
    );
    assert_eq!(
        query_param(&consent, "nonce").as_deref(),
        Some(nonce.as_str())
    );
    assert_eq!(
        query_param(&consent, "clientUri").as_deref(),
        Some(alice.wallet_address.as_str())
    );
    assert_eq!(
        query_param(&consent, "clientName").as_deref(),
        Some("alice")
    );

    let idp = Idp::new(&server);
    let details = idp.details(&id, &nonce).await;
    assert_eq!(details.status, 200, "{}", details.body);
    assert_eq!(details.body["state"], "pending");
    assert_eq!(
        details.body["access"],
        outgoing_payment_access(&alice.wallet_address)
    );
    assert_eq!(
        details.body["client"]["walletAddress"],
        alice.wallet_address.as_str()
    );
    assert_eq!(details.body["client"]["name"], "alice");

    // Before consent, the ref-less poll is refused (there is a finish redirect).
    alice
        .send(
            Method::POST,
            &pending.continue_uri,
            Some(&pending.continue_token),
            None,
        )
        .await
        .assert_error(400, "too_fast");

    assert_eq!(idp.decide(&id, &nonce, "accept").await.status, 202);
    idp.decide(&id, &nonce, "reject")
        .await
        .assert_error(400, "invalid_interaction");
    assert_eq!(idp.details(&id, &nonce).await.body["state"], "approved");

    // Back to the client, with a hash it can check.
    let page = browser.get(&format!("{}/finish", pending.redirect)).await;
    assert_eq!(page.status, 303, "{page:?}");
    let back = page.location.unwrap();
    assert!(back.starts_with(FINISH_URI));
    let interact_ref = query_param(&back, "interact_ref").unwrap();
    let hash = query_param(&back, "hash").unwrap();
    assert_eq!(
        hash,
        finish_hash("client-nonce-1", &nonce, &interact_ref, &server.grant_url())
    );

    // Continue right away (wait governs polls only) and get the token.
    let reply = continue_with(&alice, &pending, &interact_ref).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(
        reply.body["access_token"]["access"],
        outgoing_payment_access(&alice.wallet_address)
    );
    assert_eq!(reply.body["access_token"]["expires_in"], 600);
    assert_eq!(
        reply.body["continue"]["access_token"]["value"],
        pending.continue_token.as_str()
    );
    assert!(reply.body["continue"].get("wait").is_none());
    let value = reply.body["access_token"]["value"]
        .as_str()
        .unwrap()
        .to_owned();
    let manage = reply.body["access_token"]["manage"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(server.is_active(&value).await);
    assert_eq!(
        server.introspect(&value).await["access"],
        outgoing_payment_access(&alice.wallet_address)
    );

    // A grant issues once.
    continue_with(&alice, &pending, &interact_ref)
        .await
        .assert_error(401, "request_denied");

    let rotated = alice.rotate(&manage, &value).await;
    assert_eq!(rotated.status, 200);
    assert_eq!(
        rotated.body["access_token"]["access"],
        outgoing_payment_access(&alice.wallet_address)
    );
    let r = &rotated.body["access_token"];
    assert_eq!(
        alice
            .revoke(r["manage"].as_str().unwrap(), r["value"].as_str().unwrap())
            .await
            .status,
        204
    );
}

async fn rejected_grant_goes_back_with_grant_rejected_and_never_issues(backend: Backend) {
    let (server, alice) = setup(backend, |_| {}).await;
    let pending = request_pending(&server, &alice, Some("n2")).await;
    let (id, nonce) = interaction_of(&pending.redirect);
    let mut browser = Browser::default();
    browser.get(&pending.redirect).await;
    assert_eq!(
        Idp::new(&server).decide(&id, &nonce, "reject").await.status,
        202
    );
    let page = browser.get(&format!("{}/finish", pending.redirect)).await;
    let back = page.location.unwrap();
    assert_eq!(
        query_param(&back, "result").as_deref(),
        Some("grant_rejected")
    );
    assert_eq!(query_param(&back, "hash"), None);

    // Even with the right reference the grant does not issue.
    let grant = Idp::new(&server).details(&id, &nonce).await;
    assert_eq!(grant.body["state"], "rejected");
}

async fn a_wrong_interact_ref_is_invalid_continuation(backend: Backend) {
    let (server, alice) = setup(backend, |_| {}).await;
    let pending = request_pending(&server, &alice, Some("n3")).await;
    let (id, nonce) = interaction_of(&pending.redirect);
    Idp::new(&server).decide(&id, &nonce, "accept").await;
    continue_with(&alice, &pending, "00000000-0000-4000-8000-000000000000")
        .await
        .assert_error(404, "invalid_continuation");
    // Another client cannot continue Alice's grant, even knowing everything but her key.
    let mallory = TestClient::new(
        alice.wallet_address.clone(),
        ed25519_dalek::SigningKey::from_bytes(&[9u8; 32]),
        alice.signer.key_id().to_owned(),
    );
    mallory
        .send(
            Method::POST,
            &pending.continue_uri,
            Some(&pending.continue_token),
            Some(&json!({"interact_ref": "x"})),
        )
        .await
        .assert_error(401, "invalid_client");
}

async fn polling_without_finish_respects_wait_then_issues(backend: Backend) {
    let (server, alice) = setup(backend, |c| c.continue_wait_secs = 2).await;
    let pending = request_pending(&server, &alice, None).await;
    // 2 s, not 1: the wait clock counts whole seconds, so a 1 s wait could already be over
    // for a poll made a millisecond after the grant request.
    assert_eq!(pending.body["continue"]["wait"], 2);
    let poll = || {
        alice.send(
            Method::POST,
            &pending.continue_uri,
            Some(&pending.continue_token),
            None,
        )
    };

    poll().await.assert_error(400, "too_fast");
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    let reply = poll().await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert!(reply.body.get("access_token").is_none());
    assert_eq!(reply.body["continue"]["wait"], 2);
    poll().await.assert_error(400, "too_fast");

    let (id, nonce) = interaction_of(&pending.redirect);
    let mut browser = Browser::default();
    browser.get(&pending.redirect).await;
    Idp::new(&server).decide(&id, &nonce, "accept").await;
    // Without a finish redirect the browser gets a page, not a redirect.
    let page = browser.get(&format!("{}/finish", pending.redirect)).await;
    assert_eq!((page.status, page.location), (200, None));

    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    let reply = poll().await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert!(reply.body["access_token"]["value"].as_str().is_some());
}

async fn an_expired_interaction_cannot_be_decided_or_started(backend: Backend) {
    let (server, alice) = setup(backend, |c| c.interaction_ttl_secs = 1).await;
    let pending = request_pending(&server, &alice, Some("n4")).await;
    let (id, nonce) = interaction_of(&pending.redirect);
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    Idp::new(&server)
        .decide(&id, &nonce, "accept")
        .await
        .assert_error(400, "invalid_interaction");
    let mut browser = Browser::default();
    let page = browser.get(&pending.redirect).await;
    let back = page.location.unwrap();
    assert!(back.starts_with(FINISH_URI));
    assert_eq!(
        query_param(&back, "result").as_deref(),
        Some("invalid_interaction")
    );
}

async fn the_idp_api_needs_its_token(backend: Backend) {
    let (server, alice) = setup(backend, |_| {}).await;
    let pending = request_pending(&server, &alice, Some("n5")).await;
    let (id, nonce) = interaction_of(&pending.redirect);
    for idp in [
        Idp::new(&server).with_token(None),
        Idp::new(&server).with_token(Some("wrong")),
    ] {
        idp.details(&id, &nonce)
            .await
            .assert_error(401, "invalid_client");
        idp.decide(&id, &nonce, "accept")
            .await
            .assert_error(401, "invalid_client");
    }
    assert_eq!(
        Idp::new(&server).details(&id, &nonce).await.body["state"],
        "pending"
    );
    Idp::new(&server)
        .details(&id, "wrong-nonce")
        .await
        .assert_error(404, "unknown_interaction");
    Idp::new(&server)
        .decide(&id, &nonce, "maybe")
        .await
        .assert_error(400, "invalid_request");

    // A server with no admin token configured refuses every call.
    let closed = TestServer::start_interactive(backend, |c| c.admin_token = None).await;
    Idp::new(&closed)
        .details(&id, &nonce)
        .await
        .assert_error(401, "invalid_client");
}

async fn finishing_needs_the_browser_that_started(backend: Backend) {
    let (server, alice) = setup(backend, |_| {}).await;
    let pending = request_pending(&server, &alice, Some("n6")).await;
    let (id, nonce) = interaction_of(&pending.redirect);
    let mut browser = Browser::default();
    browser.get(&pending.redirect).await;
    Idp::new(&server).decide(&id, &nonce, "accept").await;
    browser.clear_cookies();
    let page = browser.get(&format!("{}/finish", pending.redirect)).await;
    assert_eq!(page.status, 400);
    assert!(page.location.is_none());
}

async fn a_cancelled_pending_grant_has_no_interaction_left(backend: Backend) {
    let (server, alice) = setup(backend, |_| {}).await;
    let pending = request_pending(&server, &alice, Some("n7")).await;
    assert_eq!(
        alice
            .cancel(&pending.continue_uri, &pending.continue_token)
            .await
            .status,
        204
    );
    let (id, nonce) = interaction_of(&pending.redirect);
    Idp::new(&server)
        .decide(&id, &nonce, "accept")
        .await
        .assert_error(404, "unknown_interaction");
}

async fn bad_interactive_requests_are_refused_with_the_right_error(backend: Backend) {
    let (server, alice) = setup(backend, |_| {}).await;
    let url = server.grant_url();
    let wallet = alice.wallet_address.clone();
    let mut both_amounts = outgoing_payment_access(&wallet);
    both_amounts[0]["limits"]["receiveAmount"] =
        json!({"value": "1", "assetCode": "USD", "assetScale": 2});
    let mut bad_finish =
        interactive_grant_body(&wallet, outgoing_payment_access(&wallet), Some("n"));
    bad_finish["interact"]["finish"]["method"] = json!("push");
    let mut relative_finish =
        interactive_grant_body(&wallet, outgoing_payment_access(&wallet), Some("n"));
    relative_finish["interact"]["finish"]["uri"] = json!("/finish");
    for body in [
        interactive_grant_body(&wallet, both_amounts, Some("n")),
        bad_finish,
        relative_finish,
        json!({"access_token": {"access": outgoing_payment_access(&wallet)}, "client": wallet, "interact": {"start": ["user_code"]}}),
        json!({"access_token": {"access": outgoing_payment_access(&wallet)}, "client": wallet}),
    ] {
        let reply = alice.request_grant(&url, &body).await;
        reply.assert_error(400, "invalid_request");
    }

    // Without a consent provider the server says so instead of pretending.
    let plain = TestServer::start(backend).await;
    let reply = alice
        .request_grant(
            &plain.grant_url(),
            &interactive_grant_body(&wallet, outgoing_payment_access(&wallet), Some("n")),
        )
        .await;
    reply.assert_error(400, "invalid_request");
    assert!(
        reply.body["error"]["description"]
            .as_str()
            .unwrap()
            .contains("consent")
    );
}

async fn the_dev_consent_page_plays_the_idp(backend: Backend) {
    let server = TestServer::start_with(backend, |c| {
        c.dev_consent = true;
        c.continue_wait_secs = 0;
    })
    .await;
    let wallets = WalletServer::start().await;
    let alice = TestClient::register(&wallets, "alice");
    let pending = request_pending(&server, &alice, Some("dev")).await;
    let mut browser = Browser::default();
    let page = browser.get(&pending.redirect).await;
    let consent = page.location.unwrap();
    assert!(consent.starts_with(&format!("{}/dev-consent?", server.public_url)));
    let page = browser.get(&consent).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("outgoing-payment") && page.body.contains("alice"));

    let (id, nonce) = interaction_of(&pending.redirect);
    // A cross-site form post (no interaction cookie) cannot approve.
    let mut stranger = Browser::default();
    let refused = stranger
        .post(&format!(
            "{}/dev-consent/{id}/{nonce}/accept",
            server.public_url
        ))
        .await;
    assert_eq!(refused.status, 400);

    let page = browser
        .post(&format!(
            "{}/dev-consent/{id}/{nonce}/accept",
            server.public_url
        ))
        .await;
    assert_eq!(page.status, 303);
    let finish = format!("{}{}", server.public_url, page.location.unwrap());
    let back = browser.get(&finish).await.location.unwrap();
    let interact_ref = query_param(&back, "interact_ref").unwrap();
    assert_eq!(
        query_param(&back, "hash").unwrap(),
        finish_hash("dev", &nonce, &interact_ref, &server.grant_url())
    );
    assert_eq!(
        continue_with(&alice, &pending, &interact_ref).await.status,
        200
    );
}

tessera_testkit::backend_tests!(
    accepted_grant_issues_a_token_with_the_requested_limits,
    rejected_grant_goes_back_with_grant_rejected_and_never_issues,
    a_wrong_interact_ref_is_invalid_continuation,
    polling_without_finish_respects_wait_then_issues,
    an_expired_interaction_cannot_be_decided_or_started,
    the_idp_api_needs_its_token,
    finishing_needs_the_browser_that_started,
    a_cancelled_pending_grant_has_no_interaction_left,
    bad_interactive_requests_are_refused_with_the_right_error,
    the_dev_consent_page_plays_the_idp,
);
