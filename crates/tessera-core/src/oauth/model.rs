//! The OAuth side's records: clients, token families, tokens, authorization requests.
//!
//! A *family* is one authorization: everything issued from one code exchange or one
//! client-credentials request shares its id, so revoking the family (reuse detected, refresh
//! token revoked, admin action) kills every access and refresh token of it at once.

use crate::UnixTime;
use crate::secret::TokenHash;

use super::scope::Scope;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientKind {
    /// Can keep a secret (a server): authenticates with it.
    Confidential,
    /// Cannot (a mobile or browser app): identified by `client_id` only, must use PKCE.
    Public,
}

impl ClientKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ClientKind::Confidential => "confidential",
            ClientKind::Public => "public",
        }
    }

    pub fn parse(s: &str) -> Option<ClientKind> {
        match s {
            "confidential" => Some(ClientKind::Confidential),
            "public" => Some(ClientKind::Public),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum GrantType {
    AuthorizationCode,
    ClientCredentials,
    RefreshToken,
}

impl GrantType {
    pub const ALL: [GrantType; 3] = [
        GrantType::AuthorizationCode,
        GrantType::ClientCredentials,
        GrantType::RefreshToken,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            GrantType::AuthorizationCode => "authorization_code",
            GrantType::ClientCredentials => "client_credentials",
            GrantType::RefreshToken => "refresh_token",
        }
    }

    pub fn parse(s: &str) -> Option<GrantType> {
        GrantType::ALL.into_iter().find(|g| g.as_str() == s)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthClient {
    pub id: String,
    pub name: String,
    pub kind: ClientKind,
    /// SHA-256 of the secret; `None` for public clients.
    pub secret_hash: Option<TokenHash>,
    /// Exact-match redirect URIs (RFC 9700 §4.1.3).
    pub redirect_uris: Vec<String>,
    pub grant_types: Vec<GrantType>,
    /// The most a token of this client may carry.
    pub scope: Scope,
    /// May call the introspection endpoint (a resource server).
    pub may_introspect: bool,
    pub created_at: UnixTime,
}

impl OAuthClient {
    pub fn allows(&self, grant_type: GrantType) -> bool {
        self.grant_types.contains(&grant_type)
    }
}

/// One authorization, and so one refresh-token chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenFamily {
    pub id: String,
    pub client_id: String,
    /// The resource owner (`sub`); the client itself for client credentials.
    pub subject: String,
    /// The scope granted; refreshes may narrow an access token but never widen this.
    pub scope: Scope,
    pub created_at: UnixTime,
    pub revoked_at: Option<UnixTime>,
}

/// Rows to insert for one token response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTokens {
    pub family_id: String,
    pub access_hash: TokenHash,
    pub access_scope: Scope,
    pub access_expires_at: UnixTime,
    pub refresh: Option<NewRefreshToken>,
    pub created_at: UnixTime,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRefreshToken {
    pub hash: TokenHash,
    /// Absolute end of the chain (fixed at the first issue).
    pub expires_at: UnixTime,
    /// End of this token if it is not used before.
    pub idle_expires_at: UnixTime,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefreshState {
    Active,
    /// Exchanged for a successor; presenting it again is reuse (or a retry within the grace).
    Used,
    Revoked,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefreshTokenRecord {
    pub hash: TokenHash,
    pub family: TokenFamily,
    pub state: RefreshState,
    /// The access token issued together with this refresh token.
    pub access_hash: TokenHash,
    pub created_at: UnixTime,
    pub expires_at: UnixTime,
    pub idle_expires_at: UnixTime,
    pub used_at: Option<UnixTime>,
    /// The successor's response, sealed, kept only for the grace period.
    pub successor_sealed: Option<Vec<u8>>,
    pub successor_hash: Option<TokenHash>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessTokenInfo {
    pub family: TokenFamily,
    pub scope: Scope,
    pub created_at: UnixTime,
    pub expires_at: UnixTime,
    pub revoked_at: Option<UnixTime>,
}

impl AccessTokenInfo {
    pub fn is_active(&self, now: UnixTime) -> bool {
        self.revoked_at.is_none() && self.family.revoked_at.is_none() && now < self.expires_at
    }
}

/// The outcome of a consumed refresh token, rotated in one transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rotation {
    pub old_hash: TokenHash,
    pub old_access_hash: TokenHash,
    /// The new response, sealed for grace-period replays (empty when grace is off).
    pub successor_sealed: Vec<u8>,
    pub new: NewTokens,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthorizationStatus {
    Pending,
    /// Consent given for `subject`; a code was minted.
    Approved {
        subject: String,
    },
    Rejected,
    /// The code was exchanged (into `family_id`).
    Issued {
        subject: String,
        family_id: String,
    },
}

/// An authorization-code request waiting for, or past, consent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizationRequest {
    pub id: String,
    pub interaction_id: String,
    pub nonce: String,
    pub client_id: String,
    pub redirect_uri: String,
    pub scope: Scope,
    /// The client's `state`, echoed on the redirect.
    pub state: Option<String>,
    /// PKCE S256 challenge.
    pub code_challenge: Option<String>,
    pub status: AuthorizationStatus,
    pub code_hash: Option<TokenHash>,
    pub code_expires_at: Option<UnixTime>,
    pub created_at: UnixTime,
    /// End of the consent step.
    pub expires_at: UnixTime,
}
