//! The storage contract, as tests every backend must pass. A backend's test file invokes
//! [`store_conformance_tests!`] with an expression that opens a fresh, empty store (alone, or
//! with what must outlive it, see [`Opened`]), and gets one `#[tokio::test]` per behaviour.

use std::sync::Arc;

use tessera_core::UnixTime;
use tessera_core::grant::{
    ClientIdentity, Decision, Finalization, FinishRedirect, Grant, GrantState, Interaction,
};
use tessera_core::oauth::{
    ClientKind, GrantType, NewRefreshToken, NewTokens, OAuthClient, RefreshState, Rotation, Scope,
    TokenFamily,
};
use tessera_core::secret::TokenHash;
use tessera_core::store::{Store, StoreError};
use tessera_core::token::{NewAccessToken, TokenStatus};
use tessera_proto::AccessItem;

/// A fresh store, and what must live as long as it (its temporary directory or schema).
pub struct Opened {
    pub store: Arc<dyn Store>,
    _keep: Box<dyn Send>,
}

impl From<Arc<dyn Store>> for Opened {
    fn from(store: Arc<dyn Store>) -> Opened {
        Opened {
            store,
            _keep: Box::new(()),
        }
    }
}

impl<K: Send + 'static> From<(Arc<dyn Store>, K)> for Opened {
    fn from((store, keep): (Arc<dyn Store>, K)) -> Opened {
        Opened {
            store,
            _keep: Box::new(keep),
        }
    }
}

pub const T0: UnixTime = UnixTime(1_800_000_000);

fn unique(prefix: &str) -> String {
    format!("{prefix}-{}", rand::random::<u64>())
}

pub fn grant() -> Grant {
    let access: Vec<AccessItem> = serde_json::from_value(crate::incoming_payment_access()).unwrap();
    Grant {
        id: unique("grant"),
        state: GrantState::Finalized(Finalization::Issued),
        client: ClientIdentity::WalletAddress("https://wallet.example/alice".into()),
        access,
        continue_id: unique("continue"),
        continue_token_hash: TokenHash::of(&unique("continue-token")),
        created_at: T0,
        last_continued_at: T0,
        interaction: None,
    }
}

/// A grant waiting for consent, with a finish redirect.
pub fn pending_grant() -> Grant {
    Grant {
        state: GrantState::Pending,
        interaction: Some(Interaction {
            id: unique("interaction"),
            nonce: unique("nonce"),
            reference: unique("ref"),
            finish: Some(FinishRedirect {
                uri: "https://client.example/finish?x=1".into(),
                client_nonce: unique("client-nonce"),
            }),
            client_name: Some("Alice's Shop".into()),
            expires_at: T0.plus_secs(600),
        }),
        ..grant()
    }
}

pub async fn an_interactive_grant_round_trips(store: Arc<dyn Store>) {
    let g = pending_grant();
    store.create_grant(&g, None).await.unwrap();
    let id = &g.interaction.as_ref().unwrap().id;
    assert_eq!(
        store.grant_by_interaction_id(id).await.unwrap(),
        Some(g.clone())
    );
    assert_eq!(
        store.grant_by_continue_id(&g.continue_id).await.unwrap(),
        Some(g.clone())
    );
    assert_eq!(store.grant_by_interaction_id("nope").await.unwrap(), None);

    let mut without_finish = pending_grant();
    if let Some(i) = without_finish.interaction.as_mut() {
        i.finish = None;
        i.client_name = None;
    }
    store.create_grant(&without_finish, None).await.unwrap();
    assert_eq!(
        store
            .grant_by_continue_id(&without_finish.continue_id)
            .await
            .unwrap(),
        Some(without_finish)
    );
}

pub async fn a_decision_is_taken_once(store: Arc<dyn Store>) {
    let g = pending_grant();
    store.create_grant(&g, None).await.unwrap();
    store
        .decide_grant(&g.id, Decision::Accept, T0)
        .await
        .unwrap();
    assert!(matches!(
        store.decide_grant(&g.id, Decision::Reject, T0).await,
        Err(StoreError::NotLive)
    ));
    let now = store
        .grant_by_continue_id(&g.continue_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(now.state, GrantState::Approved);

    let r = pending_grant();
    store.create_grant(&r, None).await.unwrap();
    store
        .decide_grant(&r.id, Decision::Reject, T0)
        .await
        .unwrap();
    let now = store
        .grant_by_continue_id(&r.continue_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(now.state, GrantState::Finalized(Finalization::Rejected));
    assert!(matches!(
        store.decide_grant("nope", Decision::Accept, T0).await,
        Err(StoreError::NotLive)
    ));
}

pub async fn an_approved_grant_issues_once(store: Arc<dyn Store>) {
    let g = pending_grant();
    store.create_grant(&g, None).await.unwrap();
    let first = token(&g, "issued-1", 600);
    // Not approved yet.
    assert!(matches!(
        store.issue_approved_grant(&g.id, &first, T0).await,
        Err(StoreError::NotLive)
    ));
    assert!(
        store
            .token_by_manage_id(&first.manage_id)
            .await
            .unwrap()
            .is_none()
    );

    store
        .decide_grant(&g.id, Decision::Accept, T0)
        .await
        .unwrap();
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..8 {
        let (store, id, t) = (
            store.clone(),
            g.id.clone(),
            token(&g, &format!("issued-{i}"), 600),
        );
        tasks.spawn(async move { store.issue_approved_grant(&id, &t, T0.plus_secs(1)).await });
    }
    let mut wins = 0;
    while let Some(result) = tasks.join_next().await {
        match result.unwrap() {
            Ok(()) => wins += 1,
            Err(StoreError::NotLive) => {}
            Err(e) => panic!("unexpected error: {e}"),
        }
    }
    assert_eq!(wins, 1);
    let now = store
        .grant_by_continue_id(&g.continue_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(now.state, GrantState::Finalized(Finalization::Issued));
    assert_eq!(now.last_continued_at, T0.plus_secs(1));
}

pub async fn the_wait_clock_moves_once(store: Arc<dyn Store>) {
    let g = pending_grant();
    store.create_grant(&g, None).await.unwrap();
    store
        .record_continuation(&g.id, T0, T0.plus_secs(5))
        .await
        .unwrap();
    assert!(matches!(
        store.record_continuation(&g.id, T0, T0.plus_secs(6)).await,
        Err(StoreError::NotLive)
    ));
    let now = store
        .grant_by_continue_id(&g.continue_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(now.last_continued_at, T0.plus_secs(5));
}

pub fn token(grant: &Grant, value: &str, ttl: i64) -> NewAccessToken {
    NewAccessToken {
        manage_id: unique("manage"),
        grant_id: grant.id.clone(),
        value_hash: TokenHash::of(value),
        created_at: T0,
        expires_at: T0.plus_secs(ttl),
    }
}

pub async fn grant_and_token_round_trip(store: Arc<dyn Store>) {
    let g = grant();
    let t = token(&g, "v1", 600);
    store.create_grant(&g, Some(&t)).await.unwrap();

    assert_eq!(
        store.grant_by_continue_id(&g.continue_id).await.unwrap(),
        Some(g.clone())
    );
    let by_manage = store
        .token_by_manage_id(&t.manage_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(by_manage.grant, g);
    assert_eq!(by_manage.token.status, TokenStatus::Active);
    assert_eq!(by_manage.token.value_hash, t.value_hash);
    assert_eq!(
        (by_manage.token.created_at, by_manage.token.expires_at),
        (t.created_at, t.expires_at)
    );
    let by_hash = store
        .token_by_hash(&TokenHash::of("v1"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(by_hash, by_manage);
    assert!(by_hash.is_active(T0));
    assert!(!by_hash.is_active(T0.plus_secs(600)));

    assert_eq!(store.grant_by_continue_id("nope").await.unwrap(), None);
    assert!(store.token_by_manage_id("nope").await.unwrap().is_none());
    assert!(
        store
            .token_by_hash(&TokenHash::of("nope"))
            .await
            .unwrap()
            .is_none()
    );
}

pub async fn a_jwk_client_round_trips(store: Arc<dyn Store>) {
    let mut g = grant();
    g.client = ClientIdentity::Jwk(tessera_proto::Jwk {
        kid: "k".into(),
        alg: "EdDSA".into(),
        key_use: None,
        kty: "OKP".into(),
        crv: "Ed25519".into(),
        x: "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo".into(),
    });
    store.create_grant(&g, None).await.unwrap();
    assert_eq!(
        store.grant_by_continue_id(&g.continue_id).await.unwrap(),
        Some(g)
    );
}

pub async fn create_grant_is_all_or_nothing(store: Arc<dyn Store>) {
    let g = grant();
    store
        .create_grant(&g, Some(&token(&g, "first", 600)))
        .await
        .unwrap();
    // Same grant id again, with a new token: the grant insert fails, so the token must not exist.
    let again = token(&g, "second", 600);
    assert!(store.create_grant(&g, Some(&again)).await.is_err());
    assert!(
        store
            .token_by_manage_id(&again.manage_id)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .token_by_hash(&TokenHash::of("second"))
            .await
            .unwrap()
            .is_none()
    );
}

pub async fn rotation_succeeds_once(store: Arc<dyn Store>) {
    let g = grant();
    let old = token(&g, "old", 600);
    store.create_grant(&g, Some(&old)).await.unwrap();
    let new = token(&g, "new", 600);
    store
        .rotate_access_token(&old.manage_id, &new, T0)
        .await
        .unwrap();

    let old_now = store
        .token_by_manage_id(&old.manage_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(old_now.token.status, TokenStatus::Rotated);
    assert!(!old_now.is_active(T0));
    let new_now = store
        .token_by_hash(&TokenHash::of("new"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(new_now.token.manage_id, new.manage_id);
    assert!(new_now.is_active(T0));

    let third = token(&g, "third", 600);
    assert!(matches!(
        store.rotate_access_token(&old.manage_id, &third, T0).await,
        Err(StoreError::NotLive)
    ));
    assert!(
        store
            .token_by_manage_id(&third.manage_id)
            .await
            .unwrap()
            .is_none()
    );
    assert!(matches!(
        store.rotate_access_token("nope", &third, T0).await,
        Err(StoreError::NotLive)
    ));
}

pub async fn concurrent_rotations_have_one_winner(store: Arc<dyn Store>) {
    let g = grant();
    let old = token(&g, "contended", 600);
    store.create_grant(&g, Some(&old)).await.unwrap();
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..16 {
        let (store, old_id, new) = (
            store.clone(),
            old.manage_id.clone(),
            token(&g, &format!("c{i}"), 600),
        );
        tasks.spawn(async move { store.rotate_access_token(&old_id, &new, T0).await });
    }
    let mut wins = 0;
    while let Some(result) = tasks.join_next().await {
        match result.unwrap() {
            Ok(()) => wins += 1,
            Err(StoreError::NotLive) => {}
            Err(e) => panic!("unexpected error: {e}"),
        }
    }
    assert_eq!(wins, 1);
}

pub async fn an_expired_token_can_be_rotated(store: Arc<dyn Store>) {
    let g = grant();
    let old = token(&g, "expired", 1);
    store.create_grant(&g, Some(&old)).await.unwrap();
    let new = token(&g, "fresh", 600);
    store
        .rotate_access_token(&old.manage_id, &new, T0.plus_secs(3600))
        .await
        .unwrap();
}

pub async fn revocation_is_idempotent_and_final(store: Arc<dyn Store>) {
    let g = grant();
    let t = token(&g, "r", 600);
    store.create_grant(&g, Some(&t)).await.unwrap();
    store.revoke_access_token(&t.manage_id, T0).await.unwrap();
    store.revoke_access_token(&t.manage_id, T0).await.unwrap();
    store.revoke_access_token("nope", T0).await.unwrap();
    let now = store
        .token_by_manage_id(&t.manage_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(now.token.status, TokenStatus::Revoked);
    assert!(matches!(
        store
            .rotate_access_token(&t.manage_id, &token(&g, "x", 600), T0)
            .await,
        Err(StoreError::NotLive)
    ));
}

pub async fn a_rotated_token_stays_rotated_when_revoked(store: Arc<dyn Store>) {
    let g = grant();
    let old = token(&g, "a", 600);
    store.create_grant(&g, Some(&old)).await.unwrap();
    store
        .rotate_access_token(&old.manage_id, &token(&g, "b", 600), T0)
        .await
        .unwrap();
    store.revoke_access_token(&old.manage_id, T0).await.unwrap();
    let now = store
        .token_by_manage_id(&old.manage_id)
        .await
        .unwrap()
        .unwrap();
    assert_ne!(now.token.status, TokenStatus::Active);
    assert!(
        store
            .token_by_hash(&TokenHash::of("b"))
            .await
            .unwrap()
            .unwrap()
            .is_active(T0)
    );
}

pub async fn revoking_a_grant_revokes_all_its_tokens(store: Arc<dyn Store>) {
    let g = grant();
    let first = token(&g, "g1", 600);
    store.create_grant(&g, Some(&first)).await.unwrap();
    let second = token(&g, "g2", 600);
    store
        .rotate_access_token(&first.manage_id, &second, T0)
        .await
        .unwrap();
    let other = grant();
    store
        .create_grant(&other, Some(&token(&other, "other", 600)))
        .await
        .unwrap();

    assert!(store.revoke_grant(&g.id, T0).await.unwrap());
    assert!(
        !store.revoke_grant(&g.id, T0).await.unwrap(),
        "second revoke reports not live"
    );
    assert!(!store.revoke_grant("nope", T0).await.unwrap());

    let revoked = store
        .grant_by_continue_id(&g.continue_id)
        .await
        .unwrap()
        .unwrap();
    assert!(revoked.state.is_revoked());
    for value in ["g1", "g2"] {
        let t = store
            .token_by_hash(&TokenHash::of(value))
            .await
            .unwrap()
            .unwrap();
        assert!(!t.is_active(T0), "{value} still active");
    }
    let g2 = store
        .token_by_hash(&TokenHash::of("g2"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(g2.token.status, TokenStatus::Revoked);
    assert!(
        store
            .token_by_hash(&TokenHash::of("other"))
            .await
            .unwrap()
            .unwrap()
            .is_active(T0)
    );
}

pub async fn sweeping_deletes_only_long_expired_tokens_in_batches(store: Arc<dyn Store>) {
    let g = grant();
    store
        .create_grant(&g, Some(&token(&g, "keep", 10_000)))
        .await
        .unwrap();
    for i in 0..5 {
        // Expired at T0 + 10, each under a grant of its own.
        let other = grant();
        store
            .create_grant(&other, Some(&token(&other, &format!("old{i}"), 10)))
            .await
            .unwrap();
    }
    let cutoff = T0.plus_secs(100);
    assert_eq!(store.sweep_expired_tokens(cutoff, 2).await.unwrap(), 2);
    assert_eq!(store.sweep_expired_tokens(cutoff, 2).await.unwrap(), 2);
    assert_eq!(store.sweep_expired_tokens(cutoff, 2).await.unwrap(), 1);
    assert_eq!(store.sweep_expired_tokens(cutoff, 2).await.unwrap(), 0);
    for i in 0..5 {
        assert!(
            store
                .token_by_hash(&TokenHash::of(&format!("old{i}")))
                .await
                .unwrap()
                .is_none()
        );
    }
    assert!(
        store
            .token_by_hash(&TokenHash::of("keep"))
            .await
            .unwrap()
            .is_some()
    );
}

pub async fn concurrent_sweeps_delete_each_token_once(store: Arc<dyn Store>) {
    const EXPIRED: u64 = 40;
    for i in 0..EXPIRED {
        let g = grant();
        store
            .create_grant(&g, Some(&token(&g, &format!("swept{i}"), 10)))
            .await
            .unwrap();
    }
    let cutoff = T0.plus_secs(100);
    // Four sweepers at once, as several nodes would run them.
    let mut sweepers = tokio::task::JoinSet::new();
    for _ in 0..4 {
        let store = store.clone();
        sweepers.spawn(async move {
            let mut deleted = 0;
            loop {
                match store.sweep_expired_tokens(cutoff, 3).await.unwrap() {
                    0 => return deleted,
                    n => deleted += n,
                }
            }
        });
    }
    let mut deleted = 0;
    while let Some(n) = sweepers.join_next().await {
        deleted += n.unwrap();
    }
    assert_eq!(deleted, EXPIRED, "every token deleted, and counted, once");
    assert_eq!(store.sweep_expired_tokens(cutoff, 100).await.unwrap(), 0);
}

pub async fn a_grant_revoked_during_rotations_keeps_no_active_token(store: Arc<dyn Store>) {
    for round in 0..20 {
        let g = grant();
        let old = token(&g, &format!("race{round}"), 600);
        store.create_grant(&g, Some(&old)).await.unwrap();
        let new = token(&g, &format!("race{round}-new"), 600);
        let rotation = {
            let (store, old_id, new) = (store.clone(), old.manage_id.clone(), new.clone());
            tokio::spawn(async move { store.rotate_access_token(&old_id, &new, T0).await })
        };
        assert!(store.revoke_grant(&g.id, T0).await.unwrap());
        match rotation.await.unwrap() {
            Ok(()) | Err(StoreError::NotLive) => {}
            Err(e) => panic!("unexpected error: {e}"),
        }
        for manage_id in [&old.manage_id, &new.manage_id] {
            if let Some(t) = store.token_by_manage_id(manage_id).await.unwrap() {
                assert_ne!(
                    t.token.status,
                    TokenStatus::Active,
                    "round {round}: a token of a revoked grant is still active"
                );
            }
        }
    }
}

pub async fn every_change_is_audited_in_order(store: Arc<dyn Store>) {
    let g = grant();
    let first = token(&g, "audited-1", 600);
    store.create_grant(&g, Some(&first)).await.unwrap();
    let second = token(&g, "audited-2", 600);
    store
        .rotate_access_token(&first.manage_id, &second, T0.plus_secs(1))
        .await
        .unwrap();
    // Refused changes leave no trace.
    let _ = store
        .rotate_access_token(&first.manage_id, &token(&g, "x", 600), T0)
        .await;
    store
        .revoke_access_token(&second.manage_id, T0.plus_secs(2))
        .await
        .unwrap();
    store
        .revoke_access_token(&second.manage_id, T0.plus_secs(3))
        .await
        .unwrap();
    store.revoke_grant(&g.id, T0.plus_secs(4)).await.unwrap();

    let events: Vec<_> = store
        .audit_events(0, 1000)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.reference.as_deref() == Some(g.id.as_str()))
        .collect();
    let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "grant_issued",
            "token_rotated",
            "token_revoked",
            "grant_revoked"
        ]
    );
    assert!(events.iter().all(|e| e.protocol == "gnap"));
    assert!(
        events
            .iter()
            .all(|e| e.client.as_deref() == Some("https://wallet.example/alice"))
    );
    assert_eq!(
        events.iter().map(|e| e.at.0 - T0.0).collect::<Vec<_>>(),
        [0, 1, 2, 4]
    );
    assert!(events.windows(2).all(|w| w[0].id < w[1].id));
    // Paging.
    let after_first = store.audit_events(events[0].id, 1).await.unwrap();
    assert_eq!(after_first.len(), 1);
    assert!(after_first[0].id > events[0].id);
}

/// A confidential OAuth client, stored, with a fresh family of its: the family and its first
/// tokens (an access token and a refresh token valid for an hour from [`T0`]).
async fn oauth_family(store: &Arc<dyn Store>) -> (TokenFamily, NewTokens) {
    let scope = Scope::parse("read").unwrap();
    let client = OAuthClient {
        id: unique("client"),
        name: "Conformance".into(),
        kind: ClientKind::Confidential,
        secret_hash: Some(TokenHash::of(&unique("secret"))),
        redirect_uris: vec!["https://client.example/cb".into()],
        grant_types: GrantType::ALL.to_vec(),
        scope: scope.clone(),
        may_introspect: false,
        created_at: T0,
    };
    store.create_client(&client).await.unwrap();
    assert_eq!(
        store.client(&client.id).await.unwrap(),
        Some(client.clone())
    );
    let family = TokenFamily {
        id: unique("family"),
        client_id: client.id,
        subject: "user-1".into(),
        scope,
        created_at: T0,
        revoked_at: None,
    };
    let tokens = oauth_tokens(&family);
    store.issue_family(&family, &tokens).await.unwrap();
    (family, tokens)
}

/// Fresh access and refresh tokens for `family`.
fn oauth_tokens(family: &TokenFamily) -> NewTokens {
    NewTokens {
        family_id: family.id.clone(),
        access_hash: TokenHash::of(&unique("access")),
        access_scope: family.scope.clone(),
        access_expires_at: T0.plus_secs(600),
        refresh: Some(NewRefreshToken {
            hash: TokenHash::of(&unique("refresh")),
            expires_at: T0.plus_secs(3600),
            idle_expires_at: T0.plus_secs(3600),
        }),
        created_at: T0,
    }
}

fn rotation_of(old: &NewTokens) -> Rotation {
    let refresh = old.refresh.as_ref().unwrap();
    Rotation {
        old_hash: refresh.hash,
        old_access_hash: old.access_hash,
        successor_sealed: b"sealed successor".to_vec(),
        new: oauth_tokens_like(old),
    }
}

fn oauth_tokens_like(old: &NewTokens) -> NewTokens {
    NewTokens {
        access_hash: TokenHash::of(&unique("access")),
        refresh: Some(NewRefreshToken {
            hash: TokenHash::of(&unique("refresh")),
            expires_at: T0.plus_secs(3600),
            idle_expires_at: T0.plus_secs(3600),
        }),
        ..old.clone()
    }
}

pub async fn concurrent_refresh_rotations_have_one_winner(store: Arc<dyn Store>) {
    let (_family, first) = oauth_family(&store).await;
    let mut rotations = tokio::task::JoinSet::new();
    for _ in 0..16 {
        let (store, rotation) = (store.clone(), rotation_of(&first));
        rotations.spawn(async move {
            let result = store.rotate_refresh_token(&rotation, T0.plus_secs(1)).await;
            (result, rotation)
        });
    }
    let mut winners = Vec::new();
    while let Some(joined) = rotations.join_next().await {
        match joined.unwrap() {
            (Ok(()), rotation) => winners.push(rotation),
            (Err(StoreError::NotLive), _) => {}
            (Err(e), _) => panic!("unexpected error: {e}"),
        }
    }
    assert_eq!(winners.len(), 1, "exactly one rotation wins");
    let won = &winners[0].new;
    let old = store
        .refresh_token(&first.refresh.as_ref().unwrap().hash)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(old.state, RefreshState::Used);
    assert_eq!(old.used_at, Some(T0.plus_secs(1)));
    assert_eq!(old.successor_hash, Some(won.refresh.as_ref().unwrap().hash));
    assert_eq!(
        old.successor_sealed.as_deref(),
        Some(&b"sealed successor"[..])
    );
    let successor = store
        .refresh_token(&won.refresh.as_ref().unwrap().hash)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(successor.state, RefreshState::Active);
    assert_eq!(successor.access_hash, won.access_hash);
    // The access token issued with the used refresh token is revoked, the new one is not.
    let now = T0.plus_secs(2);
    let old_access = store
        .access_token(&first.access_hash)
        .await
        .unwrap()
        .unwrap();
    assert!(!old_access.is_active(now));
    let new_access = store.access_token(&won.access_hash).await.unwrap().unwrap();
    assert!(new_access.is_active(now));
}

pub async fn an_expired_or_revoked_refresh_token_does_not_rotate(store: Arc<dyn Store>) {
    let (family, first) = oauth_family(&store).await;
    let expired = T0.plus_secs(3600);
    assert!(matches!(
        store
            .rotate_refresh_token(&rotation_of(&first), expired)
            .await,
        Err(StoreError::NotLive)
    ));
    assert!(store.revoke_family(&family.id, "test", T0).await.unwrap());
    assert!(!store.revoke_family(&family.id, "test", T0).await.unwrap());
    assert!(matches!(
        store.rotate_refresh_token(&rotation_of(&first), T0).await,
        Err(StoreError::NotLive)
    ));
    let refresh = store
        .refresh_token(&first.refresh.as_ref().unwrap().hash)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(refresh.state, RefreshState::Revoked);
    assert_eq!(refresh.family.revoked_at, Some(T0));
}

pub async fn a_family_revoked_during_refresh_rotations_keeps_no_active_token(
    store: Arc<dyn Store>,
) {
    for round in 0..20 {
        let (family, first) = oauth_family(&store).await;
        let rotation = rotation_of(&first);
        let rotating = {
            let (store, rotation) = (store.clone(), rotation.clone());
            tokio::spawn(async move { store.rotate_refresh_token(&rotation, T0).await })
        };
        assert!(store.revoke_family(&family.id, "test", T0).await.unwrap());
        match rotating.await.unwrap() {
            Ok(()) | Err(StoreError::NotLive) => {}
            Err(e) => panic!("unexpected error: {e}"),
        }
        for tokens in [&first, &rotation.new] {
            if let Some(r) = store
                .refresh_token(&tokens.refresh.as_ref().unwrap().hash)
                .await
                .unwrap()
            {
                assert_eq!(
                    r.state,
                    RefreshState::Revoked,
                    "round {round}: a refresh token of a revoked family is not revoked"
                );
            }
            if let Some(a) = store.access_token(&tokens.access_hash).await.unwrap() {
                assert!(
                    a.revoked_at.is_some(),
                    "round {round}: an access token of a revoked family is not revoked"
                );
            }
        }
    }
}

pub async fn oauth_changes_are_audited_with_client_and_subject(store: Arc<dyn Store>) {
    let (family, first) = oauth_family(&store).await;
    store
        .rotate_refresh_token(&rotation_of(&first), T0.plus_secs(1))
        .await
        .unwrap();
    store
        .revoke_oauth_access_token(&first.access_hash, T0.plus_secs(2))
        .await
        .unwrap(); // already revoked by the rotation: no event
    assert_eq!(
        store
            .revoke_families_of_subject("user-1", T0.plus_secs(3))
            .await
            .unwrap(),
        1
    );
    let events: Vec<_> = store
        .audit_events(0, 1000)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.reference.as_deref() == Some(family.id.as_str()))
        .collect();
    let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(
        kinds,
        ["tokens_issued", "refresh_token_rotated", "revoked_by_admin"]
    );
    assert!(events.iter().all(|e| e.protocol == "oauth"
        && e.client.as_deref() == Some(family.client_id.as_str())
        && e.subject.as_deref() == Some("user-1")));
}

pub async fn every_node_gets_the_first_sealing_key(store: Arc<dyn Store>) {
    let (a, b) = tokio::join!(store.sealing_key(&[1; 32]), store.sealing_key(&[2; 32]));
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a, b);
    assert!(a == [1; 32] || a == [2; 32]);
    assert_eq!(store.sealing_key(&[3; 32]).await.unwrap(), a);
}

/// Audit event ids follow commit order: a reader that pages by id while changes commit
/// concurrently sees every event exactly once.
pub async fn audit_paging_during_concurrent_changes_misses_nothing(store: Arc<dyn Store>) {
    const WRITERS: usize = 8;
    const GRANTS_EACH: usize = 10;
    let mut writers = tokio::task::JoinSet::new();
    for _ in 0..WRITERS {
        let store = store.clone();
        writers.spawn(async move {
            for _ in 0..GRANTS_EACH {
                let g = grant();
                let t = token(&g, &unique("paged"), 600);
                store.create_grant(&g, Some(&t)).await.unwrap();
            }
        });
    }
    let mut seen = Vec::new();
    let mut after = 0;
    loop {
        let done = writers.is_empty();
        let page = store.audit_events(after, 3).await.unwrap();
        if let Some(last) = page.last() {
            after = last.id;
        }
        let empty = page.is_empty();
        seen.extend(page.into_iter().map(|e| e.id));
        if done && empty {
            break;
        }
        while let Some(joined) = writers.try_join_next() {
            joined.unwrap();
        }
        tokio::task::yield_now().await;
    }
    let all: Vec<i64> = store
        .audit_events(0, 10_000)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.id)
        .collect();
    assert_eq!(all.len(), WRITERS * GRANTS_EACH);
    assert_eq!(
        seen, all,
        "paging by id passed over an event that committed late"
    );
}

/// One `#[tokio::test]` per behaviour of the storage contract. `$open` is an async expression
/// that yields a fresh `Arc<dyn Store>`, or a pair of it and what must outlive it.
#[macro_export]
macro_rules! store_conformance_tests {
    ($open:expr) => {
        $crate::store_conformance_tests!(@tests $open;
            grant_and_token_round_trip,
            a_jwk_client_round_trips,
            create_grant_is_all_or_nothing,
            rotation_succeeds_once,
            concurrent_rotations_have_one_winner,
            an_expired_token_can_be_rotated,
            revocation_is_idempotent_and_final,
            a_rotated_token_stays_rotated_when_revoked,
            revoking_a_grant_revokes_all_its_tokens,
            sweeping_deletes_only_long_expired_tokens_in_batches,
            concurrent_sweeps_delete_each_token_once,
            a_grant_revoked_during_rotations_keeps_no_active_token,
            an_interactive_grant_round_trips,
            a_decision_is_taken_once,
            an_approved_grant_issues_once,
            the_wait_clock_moves_once,
            every_change_is_audited_in_order,
            concurrent_refresh_rotations_have_one_winner,
            an_expired_or_revoked_refresh_token_does_not_rotate,
            a_family_revoked_during_refresh_rotations_keeps_no_active_token,
            oauth_changes_are_audited_with_client_and_subject,
            every_node_gets_the_first_sealing_key,
            audit_paging_during_concurrent_changes_misses_nothing,
        );
    };
    (@tests $open:expr; $($name:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let opened: $crate::store_conformance::Opened = $open.await.into();
                $crate::store_conformance::$name(opened.store.clone()).await;
            }
        )*
    };
}
