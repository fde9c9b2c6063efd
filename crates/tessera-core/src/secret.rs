//! Secret token values and their stored form.
//!
//! A token value is 32 random bytes (256 bits) in base64url, so it is URL- and header-safe ASCII.
//! Only its SHA-256 hash is stored; presented values are compared by hash in constant time.
//! A plain hash (not a slow password hash) is enough because the values are high-entropy.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// A secret value handed to a client once. `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretValue(String);

impl SecretValue {
    pub fn new(value: String) -> Self {
        SecretValue(value)
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
    pub fn hash(&self) -> TokenHash {
        TokenHash::of(&self.0)
    }
}

impl std::fmt::Debug for SecretValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretValue(..)")
    }
}

/// SHA-256 of a secret value: the only form in which secrets are stored.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct TokenHash(pub [u8; 32]);

impl TokenHash {
    pub fn of(value: &str) -> TokenHash {
        TokenHash(Sha256::digest(value.as_bytes()).into())
    }

    /// Whether `presented` hashes to this value, in constant time.
    pub fn matches(&self, presented: &str) -> bool {
        bool::from(TokenHash::of(presented).0.ct_eq(&self.0))
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    pub fn from_slice(bytes: &[u8]) -> Option<TokenHash> {
        <[u8; 32]>::try_from(bytes).ok().map(TokenHash)
    }
}

/// Compares two secrets without revealing, through timing, where they first differ. Lengths are
/// not secret here (every value Tessera mints has a fixed length).
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

impl std::fmt::Debug for TokenHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenHash(..)")
    }
}

/// Source of fresh secrets and identifiers. Tests may plug in a deterministic one.
pub trait TokenMinter: Send + Sync {
    /// A new secret value (access or continuation token).
    fn secret(&self) -> SecretValue;
    /// A new public identifier (grant id, management id, continuation id).
    fn id(&self) -> String;
}

/// Values from the operating system's CSPRNG.
#[derive(Debug, Default, Clone, Copy)]
pub struct RandomMinter;

impl TokenMinter for RandomMinter {
    fn secret(&self) -> SecretValue {
        let mut bytes = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        SecretValue(URL_SAFE_NO_PAD.encode(bytes))
    }

    /// A version 7 UUID: the time in milliseconds, then 74 random bits. Ids made in the same
    /// moment sort together, so a new token's or grant's index entries land on the few pages the
    /// last ones were written to instead of on a random page of a large index: with ten million
    /// stored tokens that is the difference between a write to a cached page and a read of a
    /// cold one (BENCHMARKS.md). Not uuid's `now_v7`, whose low bits count up within a
    /// millisecond: these ids stay unguessable from their neighbours. (They name things, they
    /// authorise nothing: every use also needs a token and the client's signature.)
    fn id(&self) -> String {
        let mut random = [0u8; 10];
        rand::rngs::OsRng.fill_bytes(&mut random);
        let millis = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |since| {
                u64::try_from(since.as_millis()).unwrap_or(u64::MAX)
            });
        uuid::Builder::from_unix_timestamp_millis(millis, &random)
            .into_uuid()
            .to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_time_ordered_uuids_with_random_low_bits() {
        let first = RandomMinter.id();
        std::thread::sleep(std::time::Duration::from_millis(2));
        let later = RandomMinter.id();
        let (a, b) = (RandomMinter.id(), RandomMinter.id());
        for id in [&first, &later, &a, &b] {
            let parsed = uuid::Uuid::parse_str(id).unwrap();
            assert_eq!(parsed.get_version_num(), 7, "{id}");
        }
        assert!(first < later, "{first} !< {later}");
        // Made in the same millisecond or not, two ids differ in their random part.
        assert_ne!(a[24..], b[24..]);
    }

    #[test]
    fn secrets_are_long_distinct_and_url_safe() {
        let a = RandomMinter.secret();
        let b = RandomMinter.secret();
        assert_ne!(a, b);
        assert_eq!(a.expose().len(), 43);
        assert!(
            a.expose()
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
        );
    }

    #[test]
    fn hash_matches_only_its_value() {
        let s = SecretValue::new("abc".into());
        assert!(s.hash().matches("abc"));
        assert!(!s.hash().matches("abd"));
        assert_eq!(format!("{s:?}"), "SecretValue(..)");
    }
}
