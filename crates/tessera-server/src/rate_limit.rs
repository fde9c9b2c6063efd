//! Per-client rate limiting (token buckets, `governor`).
//!
//! Who pays: a signed request is charged to its client, `keyid` + wallet address (by
//! [`tessera_core::gnap`], through [`ClientRateLimit`], before the key is fetched); a request
//! without valid signature headers is charged to the peer's IP address (IPv6: its /64, which
//! one subscriber usually holds whole). Over budget, the answer is 429 `too_fast` with
//! `Retry-After`.
//!
//! Keys are hashed with a per-process random key, so the table holds fixed-size entries however
//! long the `keyid` and wallet address an attacker sends, and collisions cannot be aimed at.
//! Idle buckets are dropped every [`CLEANUP_INTERVAL`].
//!
//! The peer is the TCP peer: behind a reverse proxy every unsigned request shares the proxy's
//! budget (forwarded headers are not trusted, since anyone can send them).

use std::hash::{BuildHasher, RandomState};
use std::net::{IpAddr, Ipv6Addr};
use std::num::NonZeroU32;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::Extensions;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};
use tessera_core::GnapError;
use tessera_core::rate_limit::{ClientRateLimit, RetryAfter};
use tokio::sync::watch;

use crate::error::ApiError;

const CLEANUP_INTERVAL: Duration = Duration::from_secs(60);

/// Requests per second with a burst, e.g. `50:100` (`--rate-limit`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    pub per_second: NonZeroU32,
    pub burst: NonZeroU32,
}

impl RateLimit {
    /// Generous for one honest client (the official SDKs make a few requests per grant).
    pub const DEFAULT: RateLimit = RateLimit {
        per_second: nonzero(50),
        burst: nonzero(100),
    };
}

const fn nonzero(n: u32) -> NonZeroU32 {
    match NonZeroU32::new(n) {
        Some(n) => n,
        None => NonZeroU32::MIN,
    }
}

impl FromStr for RateLimit {
    type Err = String;

    /// `RATE` (burst twice the rate) or `RATE:BURST`, both positive integers.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let positive = |s: &str| {
            s.trim().parse::<NonZeroU32>().map_err(|_| {
                format!("expected RATE or RATE:BURST (positive integers), got {text:?}")
            })
        };
        match text.split_once(':') {
            Some((rate, burst)) => Ok(RateLimit {
                per_second: positive(rate)?,
                burst: positive(burst)?,
            }),
            None => {
                let per_second = positive(text)?;
                Ok(RateLimit {
                    per_second,
                    burst: per_second.saturating_mul(nonzero(2)),
                })
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Payer {
    /// Hash of (wallet address or directed-identity key, `keyid`).
    Client(u64),
    Peer(IpAddr),
}

pub struct RequestLimiter {
    buckets: DefaultKeyedRateLimiter<Payer>,
    hasher: RandomState,
}

impl RequestLimiter {
    pub fn new(limit: RateLimit) -> RequestLimiter {
        RequestLimiter {
            buckets: DefaultKeyedRateLimiter::keyed(
                Quota::per_second(limit.per_second).allow_burst(limit.burst),
            ),
            hasher: RandomState::new(),
        }
    }

    /// Charges one request to the peer at `ip`.
    pub fn charge_peer(&self, ip: IpAddr) -> Result<(), RetryAfter> {
        let ip = match ip {
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => IpAddr::V4(v4),
                None => {
                    let s = v6.segments();
                    IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
                }
            },
            v4 => v4,
        };
        self.check(Payer::Peer(ip))
    }

    fn check(&self, payer: Payer) -> Result<(), RetryAfter> {
        self.buckets.check_key(&payer).map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            RetryAfter {
                // Whole seconds, rounded up: `Retry-After: 0` would invite an immediate retry.
                secs: wait.as_secs() + u64::from(wait.subsec_nanos() > 0),
            }
        })
    }

    /// Drops the buckets of payers idle long enough to be full again, every
    /// [`CLEANUP_INTERVAL`], until `stopped`.
    pub fn spawn_cleanup(self: &Arc<Self>, mut stopped: watch::Receiver<bool>) {
        let limiter = Arc::downgrade(self);
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = tokio::time::sleep(CLEANUP_INTERVAL) => {}
                    _ = stopped.wait_for(|s| *s) => return,
                }
                let Some(limiter) = limiter.upgrade() else {
                    return;
                };
                limiter.buckets.retain_recent();
                limiter.buckets.shrink_to_fit();
            }
        });
    }
}

/// Middleware: charges a request that carries no `Signature-Input` to its peer. (Signed requests
/// are charged to their client; ones whose signature headers do not parse, by [`charge_peer`].)
pub async fn charge_unsigned(
    State(limiter): State<Arc<RequestLimiter>>,
    request: Request,
    next: Next,
) -> Response {
    if !request.headers().contains_key("signature-input") {
        if let Err(refused) = charge_peer(&limiter, request.extensions()) {
            return refused.into_response();
        }
    }
    next.run(request).await
}

/// Charges the request's TCP peer (known when the listener records it, as `serve` does).
pub fn charge_peer(limiter: &RequestLimiter, extensions: &Extensions) -> Result<(), ApiError> {
    let Some(ConnectInfo(peer)) = extensions.get::<ConnectInfo<std::net::SocketAddr>>() else {
        return Ok(());
    };
    limiter.charge_peer(peer.ip()).map_err(|retry| {
        ApiError(GnapError::TooManyRequests {
            retry_after_secs: retry.secs,
        })
    })
}

impl ClientRateLimit for RequestLimiter {
    fn charge(&self, client: &str, key_id: &str) -> Result<(), RetryAfter> {
        self.check(Payer::Client(self.hasher.hash_one((client, key_id))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limit(per_second: u32, burst: u32) -> RateLimit {
        RateLimit {
            per_second: NonZeroU32::new(per_second).unwrap(),
            burst: NonZeroU32::new(burst).unwrap(),
        }
    }

    #[test]
    fn parses_rate_and_burst() {
        assert_eq!("50:100".parse(), Ok(limit(50, 100)));
        assert_eq!("7".parse(), Ok(limit(7, 14)));
        assert!("0".parse::<RateLimit>().is_err());
        assert!("5:0".parse::<RateLimit>().is_err());
        assert!("fast".parse::<RateLimit>().is_err());
        assert_eq!(RateLimit::DEFAULT, limit(50, 100));
    }

    #[test]
    fn each_client_has_its_own_bucket() {
        let limiter = RequestLimiter::new(limit(1, 3));
        for _ in 0..3 {
            assert_eq!(limiter.charge("https://w.example/alice", "k1"), Ok(()));
        }
        let refused = limiter.charge("https://w.example/alice", "k1").unwrap_err();
        assert!((1..=1).contains(&refused.secs), "{refused:?}");
        // Another key of the same wallet, or the same key id at another wallet, is not charged.
        assert_eq!(limiter.charge("https://w.example/alice", "k2"), Ok(()));
        assert_eq!(limiter.charge("https://w.example/bob", "k1"), Ok(()));
    }

    #[test]
    fn ipv6_peers_share_their_slash_64() {
        let limiter = RequestLimiter::new(limit(1, 1));
        assert_eq!(
            limiter.charge_peer("2001:db8:1:2::1".parse().unwrap()),
            Ok(())
        );
        assert!(
            limiter
                .charge_peer("2001:db8:1:2::ffff".parse().unwrap())
                .is_err()
        );
        assert_eq!(
            limiter.charge_peer("2001:db8:1:3::1".parse().unwrap()),
            Ok(())
        );
        assert_eq!(limiter.charge_peer("192.0.2.1".parse().unwrap()), Ok(()));
        assert!(
            limiter
                .charge_peer("::ffff:192.0.2.1".parse().unwrap())
                .is_err()
        );
    }
}
