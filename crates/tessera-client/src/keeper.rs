//! [`TokenKeeper`]: one GNAP access token shared by many tasks, rotated shortly before it
//! expires or when a resource server refuses it.
//!
//! Why a keeper: rotation (RFC 9635 §6.1) kills the old value at once and gives a new value and a
//! new management URL, so two tasks rotating the same token race and one of them loses the
//! token for good. The keeper holds the token behind one async mutex: whoever finds it due
//! rotates it while the others wait on the mutex, and then they all get the new token. A token
//! handed out has always at least the margin left, by the keeper's clock, counted from when the
//! request that obtained it was sent (so never later than the server's own clock).
//!
//! `expires_in` counts whole seconds, and a server may count them from a truncated second
//! (Tessera does: a token issued at 10.9 s with `expires_in: 2` dies at 12.0 s), so the keeper
//! takes a token's lifetime to be one second less than `expires_in`.
//!
//! The margin is capped at half the token's lifetime, so a server issuing tokens shorter than
//! the margin still gets one rotation per lifetime and not one per call.
//!
//! Rotation runs in a task of its own: a caller that gives up waiting (a timeout, a dropped
//! future) does not lose the new token, which the server has already swapped for the old one.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use tessera_proto::access::AccessItem;
use tessera_proto::grant::AccessToken;
use tokio::sync::Mutex;
use tokio::time::Instant;

use crate::client::AuthenticatedClient;
use crate::error::ClientError;

/// A shared, self-rotating access token. Clones share the token.
#[derive(Clone)]
pub struct TokenKeeper {
    client: AuthenticatedClient,
    margin: Duration,
    current: Arc<Mutex<KeptToken>>,
}

/// An access token as the keeper handed it out. `Debug` does not show the value.
#[derive(Clone)]
pub struct KeptToken {
    value: String,
    manage: String,
    access: Vec<AccessItem>,
    /// `None` when the server gave no `expires_in`: then only a refusal triggers rotation.
    expires_at: Option<Instant>,
    refresh_at: Option<Instant>,
    generation: u64,
}

impl TokenKeeper {
    /// Rotate this long before expiry unless told otherwise.
    pub const DEFAULT_MARGIN: Duration = Duration::from_secs(30);

    /// Keeps `token`, just received (its `expires_in` is counted from now), with the default
    /// margin.
    pub fn new(client: AuthenticatedClient, token: AccessToken) -> TokenKeeper {
        Self::with_margin(client, token, Self::DEFAULT_MARGIN)
    }

    /// Keeps `token`, rotating it `margin` before it expires (at most half its lifetime).
    pub fn with_margin(
        client: AuthenticatedClient,
        token: AccessToken,
        margin: Duration,
    ) -> TokenKeeper {
        let kept = KeptToken::received(token, Instant::now(), margin, 0);
        TokenKeeper {
            client,
            margin,
            current: Arc::new(Mutex::new(kept)),
        }
    }

    /// A token to use now: the current one, or, when it is due, a fresh one (this call rotates
    /// it, or waits for the rotation under way). When rotation fails, returns the error; only
    /// when the server could not be reached at all and the current token has not expired, that
    /// token is handed out, and rotation is tried again on the next call.
    pub async fn token(&self) -> Result<KeptToken, ClientError> {
        let current = self.current.clone().lock_owned().await;
        let now = Instant::now();
        if !current.is_due(now) {
            return Ok(current.clone());
        }
        match self.rotate(current).await {
            Ok(fresh) => Ok(fresh),
            Err((ClientError::Transport { .. }, Some(old))) if old.is_unexpired(Instant::now()) => {
                Ok(old)
            }
            Err((error, _)) => Err(error),
        }
    }

    /// The resource server answered 401 to `token`: rotates it, unless it was already replaced
    /// (then the replacement is returned without a second rotation). Returns the token to retry
    /// with.
    pub async fn rejected(&self, token: &KeptToken) -> Result<KeptToken, ClientError> {
        let current = self.current.clone().lock_owned().await;
        if current.generation != token.generation {
            return Ok(current.clone());
        }
        self.rotate(current).await.map_err(|(error, _)| error)
    }

    /// How many rotations this keeper has done: the current token's generation. Waits for a
    /// rotation under way to finish.
    pub async fn rotations(&self) -> u64 {
        self.current.lock().await.generation
    }

    /// Rotates the token behind `current` in a task of its own, holding the lock throughout.
    /// On failure, gives back the token that is still kept (`None` if the task was lost).
    async fn rotate(
        &self,
        mut current: tokio::sync::OwnedMutexGuard<KeptToken>,
    ) -> Result<KeptToken, (ClientError, Option<KeptToken>)> {
        let client = self.client.clone();
        let margin = self.margin;
        let task = tokio::spawn(async move {
            let sent_at = Instant::now();
            let rotated = client.token().rotate(&current.manage, &current.value).await;
            match rotated {
                Ok(response) => {
                    let generation = current.generation + 1;
                    *current =
                        KeptToken::received(response.access_token, sent_at, margin, generation);
                    Ok(current.clone())
                }
                Err(error) => Err((error, Some(current.clone()))),
            }
        });
        task.await
            .unwrap_or(Err((ClientError::RotationInterrupted, None)))
    }
}

impl fmt::Debug for TokenKeeper {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenKeeper")
            .field("client", &self.client)
            .field("margin", &self.margin)
            .finish_non_exhaustive()
    }
}

impl KeptToken {
    fn received(token: AccessToken, sent_at: Instant, margin: Duration, generation: u64) -> Self {
        let lifetime = token
            .expires_in
            .map(|secs| Duration::from_secs(secs.saturating_sub(1)));
        KeptToken {
            value: token.value,
            manage: token.manage,
            access: token.access,
            expires_at: lifetime.map(|l| sent_at + l),
            refresh_at: lifetime.map(|l| sent_at + refresh_after(l, margin)),
            generation,
        }
    }

    /// The token value, for `Authorization: GNAP <value>`.
    pub fn value(&self) -> &str {
        &self.value
    }

    /// The token's management URL.
    pub fn manage_url(&self) -> &str {
        &self.manage
    }

    pub fn access(&self) -> &[AccessItem] {
        &self.access
    }

    /// When the token expires by the keeper's clock, if the server said.
    pub fn expires_at(&self) -> Option<Instant> {
        self.expires_at
    }

    /// 0 for the token the keeper started with, then one more per rotation.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    fn is_due(&self, now: Instant) -> bool {
        self.refresh_at.is_some_and(|at| now >= at)
    }

    fn is_unexpired(&self, now: Instant) -> bool {
        self.expires_at.is_none_or(|at| now < at)
    }
}

impl fmt::Debug for KeptToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeptToken")
            .field("manage", &self.manage)
            .field("expires_at", &self.expires_at)
            .field("generation", &self.generation)
            .finish_non_exhaustive()
    }
}

/// How long after issue a token of `lifetime` is rotated: `margin` before it expires, but not
/// before half its lifetime.
fn refresh_after(lifetime: Duration, margin: Duration) -> Duration {
    lifetime - margin.min(lifetime / 2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_margin_is_capped_at_half_the_lifetime() {
        let s = Duration::from_secs;
        assert_eq!(refresh_after(s(600), s(30)), s(570));
        assert_eq!(refresh_after(s(20), s(30)), s(10));
        assert_eq!(refresh_after(s(2), Duration::ZERO), s(2));
        assert_eq!(
            refresh_after(s(2), Duration::from_millis(800)),
            Duration::from_millis(1200)
        );
    }

    #[test]
    fn due_and_expiry_follow_expires_in() {
        let now = Instant::now();
        let token = |expires_in| AccessToken {
            value: "secret-value".into(),
            manage: "https://a/token/1".into(),
            expires_in,
            access: vec![],
        };
        // Lifetime 9 s (a second less than `expires_in`), rotated 2 s before its end.
        let kept = KeptToken::received(token(Some(10)), now, Duration::from_secs(2), 3);
        assert!(!kept.is_due(now + Duration::from_millis(6999)));
        assert!(kept.is_due(now + Duration::from_secs(7)));
        assert!(kept.is_unexpired(now + Duration::from_millis(8999)));
        assert!(!kept.is_unexpired(now + Duration::from_secs(9)));
        assert_eq!(kept.generation(), 3);
        assert!(!format!("{kept:?}").contains("secret-value"));

        let forever = KeptToken::received(token(None), now, Duration::from_secs(2), 0);
        assert!(!forever.is_due(now + Duration::from_secs(1_000_000)));
        assert!(forever.is_unexpired(now + Duration::from_secs(1_000_000)));
    }
}
