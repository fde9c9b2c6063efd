//! The GNAP token lifecycle against a real server on loopback: grant, rotate, revoke, cancel,
//! introspect, including every refusal the issue lists.
//!
//! Each test runs on SQLite and on PostgreSQL (`sqlite::…`, `postgres::…`).

// Test code: a failed unwrap is a failed test, with its location.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::{Value, json};
use tessera_testkit::{
    Backend, TestClient, TestServer, WalletServer, incoming_payment_access,
    server_wallets_and_alice,
};

struct Issued {
    value: String,
    manage: String,
    continue_token: String,
    continue_uri: String,
    grant: Value,
}

async fn issue(server: &TestServer, client: &TestClient) -> Issued {
    let reply = client
        .request_grant(
            &server.grant_url(),
            &client.grant_body(incoming_payment_access()),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let b = &reply.body;
    Issued {
        value: b["access_token"]["value"].as_str().unwrap().to_owned(),
        manage: b["access_token"]["manage"].as_str().unwrap().to_owned(),
        continue_token: b["continue"]["access_token"]["value"]
            .as_str()
            .unwrap()
            .to_owned(),
        continue_uri: b["continue"]["uri"].as_str().unwrap().to_owned(),
        grant: b.clone(),
    }
}

async fn grant_has_the_spec_shape_and_introspects_active(backend: Backend) {
    let (server, _wallets, alice) = server_wallets_and_alice(backend).await;
    let issued = issue(&server, &alice).await;
    let at = &issued.grant["access_token"];
    let keys: Vec<&str> = at.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys.len(),
        4,
        "access_token has exactly value, manage, expires_in, access: {at}"
    );
    assert_eq!(at["expires_in"], 600);
    assert_eq!(at["access"], incoming_payment_access());
    assert!(
        issued
            .manage
            .starts_with(&format!("{}/token/", server.public_url))
    );
    assert!(
        issued
            .continue_uri
            .starts_with(&format!("{}/continue/", server.public_url))
    );
    // At least 128 bits of randomness, URL-safe.
    assert!(issued.value.len() >= 22);
    assert!(
        issued
            .value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    );
    assert_ne!(issued.value, issued.continue_token);

    let info = server.introspect(&issued.value).await;
    assert_eq!(info["active"], true);
    assert_eq!(info["client"], alice.wallet_address.as_str());
    assert_eq!(info["access"], incoming_payment_access());
    assert!(info["grant"].as_str().is_some_and(|g| !g.is_empty()));

    assert_eq!(
        server.introspect("not-a-token").await,
        json!({"active": false})
    );
}

/// Found by schemathesis: `access` in an introspection request is an array as the schema defines
/// it (at most three unique items with unique actions, outgoing payments with an identifier),
/// and nothing stricter.
async fn introspection_refuses_access_the_schema_forbids(backend: Backend) {
    let (server, _wallets, alice) = server_wallets_and_alice(backend).await;
    let issued = issue(&server, &alice).await;
    let item = json!({"type": "quote", "actions": ["read"]});
    let other = json!({"type": "incoming-payment", "actions": ["read"]});
    let third = json!({"type": "quote", "actions": ["create"]});
    let fourth = json!({"type": "incoming-payment", "actions": ["list"]});
    for access in [
        json!([item, item]),
        json!([item, other, third, fourth]),
        json!([{"type": "quote", "actions": ["read", "read"]}]),
        json!([{"type": "outgoing-payment", "actions": ["read"]}]),
    ] {
        let response = reqwest::Client::new()
            .post(format!("{}/introspect", server.internal_url))
            .json(&json!({"access_token": issued.value, "access": access}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400, "{access}");
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["error"]["code"], "invalid_request");
    }
    // Schema-valid, if odd: answered, with nothing matching.
    let response = reqwest::Client::new()
        .post(format!("{}/introspect", server.internal_url))
        .json(&json!({"access_token": issued.value, "access": [{"type": "quote", "actions": []}]}))
        .send()
        .await
        .unwrap();
    let info: Value = response.json().await.unwrap();
    assert_eq!(
        (info["active"].clone(), info["access"].clone()),
        (json!(true), json!([]))
    );
}

async fn rotation_replaces_value_and_manage_url_and_kills_the_old_token(backend: Backend) {
    let (server, _wallets, alice) = server_wallets_and_alice(backend).await;
    let old = issue(&server, &alice).await;
    let reply = alice.rotate(&old.manage, &old.value).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let new = &reply.body["access_token"];
    let new_value = new["value"].as_str().unwrap();
    let new_manage = new["manage"].as_str().unwrap();
    assert_ne!(new_value, old.value);
    assert_ne!(new_manage, old.manage);
    assert_eq!(new["access"], incoming_payment_access());
    assert_eq!(new["expires_in"], 600);
    assert_eq!(reply.body.as_object().unwrap().len(), 1);

    assert!(!server.is_active(&old.value).await);
    assert!(server.is_active(new_value).await);
    assert_eq!(
        server.introspect(new_value).await["grant"],
        server.introspect(new_value).await["grant"]
    );

    // The old token cannot be rotated again, neither at its own URL nor at the new one.
    alice
        .rotate(&old.manage, &old.value)
        .await
        .assert_error(400, "invalid_rotation");
    alice
        .rotate(new_manage, &old.value)
        .await
        .assert_error(401, "invalid_client");

    // The new one rotates in turn.
    let again = alice.rotate(new_manage, new_value).await;
    assert_eq!(again.status, 200);
    assert!(!server.is_active(new_value).await);
}

async fn an_expired_token_can_be_rotated(backend: Backend) {
    // Expiry is kept in whole seconds, so a token lives between TTL - 1 and TTL seconds: with 2,
    // the rotated token is still active when introspected right after.
    let server = TestServer::start_with(backend, |c| c.access_token_ttl_secs = 2).await;
    let wallets = WalletServer::start().await;
    let alice = TestClient::register(&wallets, "alice");
    let issued = issue(&server, &alice).await;
    assert_eq!(issued.grant["access_token"]["expires_in"], 2);
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    assert!(
        !server.is_active(&issued.value).await,
        "expired token must be inactive"
    );

    let reply = alice.rotate(&issued.manage, &issued.value).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let fresh = reply.body["access_token"]["value"].as_str().unwrap();
    assert!(server.is_active(fresh).await);
}

async fn revocation_is_immediate_and_idempotent(backend: Backend) {
    let (server, _wallets, alice) = server_wallets_and_alice(backend).await;
    let issued = issue(&server, &alice).await;
    let reply = alice.revoke(&issued.manage, &issued.value).await;
    assert_eq!((reply.status, &reply.body), (204, &Value::Null));
    assert!(!server.is_active(&issued.value).await);
    assert_eq!(
        alice.revoke(&issued.manage, &issued.value).await.status,
        204
    );
    alice
        .rotate(&issued.manage, &issued.value)
        .await
        .assert_error(400, "invalid_rotation");
}

async fn revoking_one_token_leaves_the_grants_other_tokens_alone(backend: Backend) {
    let (server, _wallets, alice) = server_wallets_and_alice(backend).await;
    let a = issue(&server, &alice).await;
    let b = issue(&server, &alice).await;
    assert_eq!(alice.revoke(&a.manage, &a.value).await.status, 204);
    assert!(server.is_active(&b.value).await);
}

async fn cancelling_the_grant_revokes_every_token_of_it(backend: Backend) {
    let (server, _wallets, alice) = server_wallets_and_alice(backend).await;
    let issued = issue(&server, &alice).await;
    let rotated = alice.rotate(&issued.manage, &issued.value).await;
    let value = rotated.body["access_token"]["value"]
        .as_str()
        .unwrap()
        .to_owned();
    let manage = rotated.body["access_token"]["manage"]
        .as_str()
        .unwrap()
        .to_owned();
    let other = issue(&server, &alice).await;

    let reply = alice
        .cancel(&issued.continue_uri, &issued.continue_token)
        .await;
    assert_eq!((reply.status, &reply.body), (204, &Value::Null));
    assert!(!server.is_active(&value).await);
    assert!(
        server.is_active(&other.value).await,
        "another grant's token is untouched"
    );

    alice
        .cancel(&issued.continue_uri, &issued.continue_token)
        .await
        .assert_error(401, "invalid_continuation");
    alice
        .rotate(&manage, &value)
        .await
        .assert_error(400, "invalid_rotation");
    // Continuing a cancelled grant fails as well.
    alice
        .send(
            http::Method::POST,
            &issued.continue_uri,
            Some(&issued.continue_token),
            None,
        )
        .await
        .assert_error(401, "invalid_continuation");
}

async fn continuation_needs_the_continuation_token(backend: Backend) {
    let (server, _wallets, alice) = server_wallets_and_alice(backend).await;
    let issued = issue(&server, &alice).await;
    alice
        .cancel(&issued.continue_uri, &issued.value)
        .await
        .assert_error(401, "invalid_continuation");
    alice
        .cancel(
            &format!("{}/continue/nope", server.public_url),
            &issued.continue_token,
        )
        .await
        .assert_error(401, "invalid_continuation");
    // The grant survived the failed attempts.
    assert!(server.is_active(&issued.value).await);
}

async fn management_url_and_token_must_match(backend: Backend) {
    let (server, wallets, alice) = server_wallets_and_alice(backend).await;
    let bob = TestClient::register(&wallets, "bob");
    let a = issue(&server, &alice).await;
    let b = issue(&server, &bob).await;

    // Bob's token at Alice's management URL, signed by Bob or by Alice.
    bob.rotate(&a.manage, &b.value)
        .await
        .assert_error(401, "invalid_client");
    alice
        .rotate(&a.manage, &b.value)
        .await
        .assert_error(401, "invalid_client");
    // Alice's token and URL, but Bob signs.
    bob.rotate(&a.manage, &a.value)
        .await
        .assert_error(401, "invalid_client");
    bob.revoke(&a.manage, &a.value)
        .await
        .assert_error(401, "invalid_client");
    // Alice's own token at Bob's URL.
    alice
        .rotate(&b.manage, &a.value)
        .await
        .assert_error(401, "invalid_client");
    // No token at all.
    alice
        .send(http::Method::POST, &a.manage, None, None)
        .await
        .assert_error(401, "invalid_client");
    // Nothing changed.
    assert!(server.is_active(&a.value).await);
    assert!(server.is_active(&b.value).await);

    // An unknown management URL.
    let unknown = format!(
        "{}/token/00000000-0000-4000-8000-000000000000",
        server.public_url
    );
    alice
        .rotate(&unknown, &a.value)
        .await
        .assert_error(404, "invalid_rotation");
    alice
        .revoke(&unknown, &a.value)
        .await
        .assert_error(401, "invalid_client");
}

async fn outgoing_payment_grants_are_refused_cleanly_without_interact(backend: Backend) {
    let (server, _wallets, alice) = server_wallets_and_alice(backend).await;
    let access = json!([{
        "type": "outgoing-payment",
        "actions": ["create", "read"],
        "identifier": alice.wallet_address,
        "limits": {"debitAmount": {"value": "500", "assetCode": "USD", "assetScale": 2}}
    }]);
    let reply = alice
        .request_grant(&server.grant_url(), &alice.grant_body(access))
        .await;
    assert!((400..500).contains(&reply.status), "{reply:?}");
    assert!(reply.error_code().is_some());
}

async fn malformed_grant_requests_get_invalid_request(backend: Backend) {
    let (server, _wallets, alice) = server_wallets_and_alice(backend).await;
    for body in [
        json!({}),
        json!({"client": alice.wallet_address}),
        json!({"access_token": {"access": []}, "client": alice.wallet_address}),
        json!({"access_token": {"access": [{"type": "teleport", "actions": ["read"]}]}, "client": alice.wallet_address}),
        json!({"access_token": {"access": [{"type": "quote", "actions": ["fly"]}]}, "client": alice.wallet_address}),
        json!({"access_token": {"access": [{"type": "quote", "actions": ["read"]}]}, "client": {}}),
        json!([1, 2, 3]),
    ] {
        let reply = alice.request_grant(&server.grant_url(), &body).await;
        reply.assert_error(400, "invalid_request");
        assert!(reply.body["error"]["description"].as_str().is_some());
    }
}

async fn unknown_routes_and_methods_answer_in_gnap_format(backend: Backend) {
    let (server, _wallets, alice) = server_wallets_and_alice(backend).await;
    let reply = alice
        .send(
            http::Method::GET,
            &format!("{}/nope", server.public_url),
            None,
            None,
        )
        .await;
    reply.assert_error(404, "invalid_request");
    let reply = alice
        .send(http::Method::PUT, &server.grant_url(), None, None)
        .await;
    reply.assert_error(405, "invalid_request");
}

/// Clients serialize absent optional fields as explicit `null` (the Rust SDK sends
/// `"finish": null`); every optional field of a grant request or continuation must read `null`
/// as absent, never as a malformed body.
async fn explicit_null_optional_fields_are_read_as_absent(backend: Backend) {
    let server = TestServer::start_interactive(backend, |_| {}).await;
    let wallets = WalletServer::start().await;
    let alice = TestClient::register(&wallets, "alice");
    let wallet = alice.wallet_address.clone();
    let access = json!([
        {"type": "incoming-payment", "actions": ["create", "read"], "identifier": null},
        {"type": "quote", "actions": ["create"]}
    ]);
    let mut jwk = serde_json::to_value(alice.signer.jwk()).unwrap();
    jwk["use"] = Value::Null;
    for body in [
        json!({"access_token": {"access": access}, "client": wallet,
               "interact": null, "subject": null}),
        json!({"access_token": {"access": access}, "client": {"walletAddress": wallet, "jwk": null}}),
        json!({"access_token": {"access": access}, "client": {"walletAddress": null, "jwk": jwk}}),
        json!({"access_token": {"access": access}, "client": wallet,
               "interact": {"start": ["redirect"], "finish": null}}),
    ] {
        let reply = alice.request_grant(&server.grant_url(), &body).await;
        assert_eq!(reply.status, 200, "{body}: {}", reply.body);
        assert_eq!(
            reply.body["access_token"]["access"][0],
            json!({"type": "incoming-payment", "actions": ["create", "read"]}),
            "null identifier is not echoed"
        );
    }

    // Outgoing payments need interaction: nulls in `limits`, `finish` and `subject` must still
    // give a pending grant (no finish redirect was asked for), not a parse error.
    let outgoing = json!({
        "access_token": {"access": [{
            "type": "outgoing-payment", "actions": ["create"], "identifier": wallet,
            "limits": {"receiver": null, "interval": null, "receiveAmount": null,
                       "debitAmount": {"value": "500", "assetCode": "USD", "assetScale": 2}}
        }]},
        "client": wallet,
        "interact": {"start": ["redirect"], "finish": null},
        "subject": null
    });
    let reply = alice.request_grant(&server.grant_url(), &outgoing).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert!(
        reply.body["interact"]["redirect"].is_string(),
        "{}",
        reply.body
    );
    assert!(reply.body.get("access_token").is_none(), "{}", reply.body);

    // A continuation with `"interact_ref": null` is a poll: the issued grant answers
    // request_denied, the same as an empty body, not invalid_request.
    let issued = issue(&server, &alice).await;
    let reply = alice
        .send(
            http::Method::POST,
            &issued.continue_uri,
            Some(&issued.continue_token),
            Some(&json!({"interact_ref": null})),
        )
        .await;
    reply.assert_error(401, "request_denied");
}

tessera_testkit::backend_tests!(
    grant_has_the_spec_shape_and_introspects_active,
    rotation_replaces_value_and_manage_url_and_kills_the_old_token,
    an_expired_token_can_be_rotated,
    revocation_is_immediate_and_idempotent,
    revoking_one_token_leaves_the_grants_other_tokens_alone,
    cancelling_the_grant_revokes_every_token_of_it,
    continuation_needs_the_continuation_token,
    management_url_and_token_must_match,
    outgoing_payment_grants_are_refused_cleanly_without_interact,
    malformed_grant_requests_get_invalid_request,
    unknown_routes_and_methods_answer_in_gnap_format,
    explicit_null_optional_fields_are_read_as_absent,
    introspection_refuses_access_the_schema_forbids,
);
