//! Property: whatever sequence of rotations and revocations a grant's tokens go through
//! (including attempts on dead tokens), at most one token of the chain is active, and exactly
//! one unless a revocation of the live token happened. Each backend's tests run [`check`] on
//! [`steps`] with proptest.

use std::sync::Arc;

use proptest::prelude::*;
use tessera_core::secret::TokenHash;
use tessera_core::store::{Store, StoreError};
use tessera_core::token::TokenStatus;

use crate::store_conformance::{T0, grant, token};

#[derive(Debug, Clone)]
pub enum Step {
    /// Rotate the token issued `n` steps back (0 = the newest).
    Rotate(usize),
    /// Revoke the token issued `n` steps back.
    Revoke(usize),
}

/// One step of a chain.
pub fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        3 => (0usize..4).prop_map(Step::Rotate),
        1 => (0usize..4).prop_map(Step::Revoke),
    ]
}

/// Runs `steps` on a new grant's token chain in `store`, checking the property after each.
pub async fn check(store: Arc<dyn Store>, steps: Vec<Step>) {
    let g = grant();
    // Token values unique to this chain, so that stores may be shared between runs.
    let value = |i: usize| format!("{}-t{i}", g.id);
    let first = token(&g, &value(0), 600);
    store.create_grant(&g, Some(&first)).await.unwrap();
    let mut issued = vec![first.manage_id.clone()];
    let mut live_revoked = false;
    for (i, s) in steps.into_iter().enumerate() {
        match s {
            Step::Rotate(back) => {
                let target = issued[issued.len().saturating_sub(1 + back)].clone();
                let new = token(&g, &value(i + 1), 600);
                match store.rotate_access_token(&target, &new, T0).await {
                    Ok(()) => issued.push(new.manage_id),
                    Err(StoreError::NotLive) => {}
                    Err(e) => panic!("{e}"),
                }
            }
            Step::Revoke(back) => {
                let target = issued[issued.len().saturating_sub(1 + back)].clone();
                let was_live = store
                    .token_by_manage_id(&target)
                    .await
                    .unwrap()
                    .unwrap()
                    .token
                    .status
                    == TokenStatus::Active;
                store.revoke_access_token(&target, T0).await.unwrap();
                live_revoked |= was_live;
            }
        }
        let mut active = 0;
        for id in &issued {
            if store
                .token_by_manage_id(id)
                .await
                .unwrap()
                .unwrap()
                .is_active(T0)
            {
                active += 1;
            }
        }
        assert!(active <= 1, "{active} live tokens in one chain");
        assert_eq!(active == 1, !live_revoked);
    }
    // Nothing but the chain exists: a refused rotation left no row behind.
    for i in 0..=issued.len() + 8 {
        let found = store
            .token_by_hash(&TokenHash::of(&value(i)))
            .await
            .unwrap();
        if let Some(t) = found {
            assert!(issued.contains(&t.token.manage_id));
        }
    }
}

/// Sequences of 1 to 23 steps.
pub fn steps() -> impl Strategy<Value = Vec<Step>> {
    proptest::collection::vec(step(), 1..24)
}
