//! The storage contract, as tests every backend must pass. A backend's test file invokes
//! [`store_conformance_tests!`] with an expression that opens a fresh, empty store (alone, or
//! with what must outlive it, see [`Opened`]), and gets one `#[tokio::test]` per behaviour.

use std::sync::Arc;

use tessera_core::UnixTime;
use tessera_core::grant::{ClientIdentity, Finalization, Grant, GrantState};
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
    }
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
