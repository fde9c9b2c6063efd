//! Mapping between the OAuth tables (and the audit trail) and the domain model, the same for
//! every SQL backend: lists as JSON text, scopes as their space-separated form, hashes as bytes,
//! times as Unix seconds.

use sqlx::FromRow;
use tessera_core::UnixTime;
use tessera_core::audit::AuditEvent;
use tessera_core::oauth::{
    AccessTokenInfo, AuthorizationRequest, AuthorizationStatus, ClientKind, GrantType, OAuthClient,
    RefreshState, RefreshTokenRecord, Scope, TokenFamily,
};
use tessera_core::secret::TokenHash;
use tessera_core::store::StoreError;

use crate::IntoDomain;

fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt(what.to_owned())
}

fn hash(bytes: &[u8], what: &str) -> Result<TokenHash, StoreError> {
    TokenHash::from_slice(bytes).ok_or_else(|| corrupt(what))
}

fn scope(text: &str) -> Result<Scope, StoreError> {
    Scope::parse(text).ok_or_else(|| corrupt("scope"))
}

/// `value` as JSON text.
pub fn json<T: serde::Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError::Backend(e.to_string()))
}

/// The status stored for an account holder's decision on an authorization request: approved
/// when a subject consented, rejected otherwise (read back by [`AuthorizationRow`]).
pub fn decided_status(subject: Option<&str>) -> &'static str {
    if subject.is_some() {
        "approved"
    } else {
        "rejected"
    }
}

/// A client's grant types as stored.
pub fn grant_type_names(client: &OAuthClient) -> Result<String, StoreError> {
    let names: Vec<&str> = client.grant_types.iter().map(|g| g.as_str()).collect();
    json(&names)
}

/// The columns of [`ClientRow`], for SELECTs from `oauth_clients`, as a literal for `concat!`.
#[doc(hidden)]
#[macro_export]
macro_rules! client_columns {
    () => {
        "id, name, kind, secret_hash, redirect_uris, grant_types, scope, may_introspect, created_at"
    };
}

#[derive(Debug, FromRow)]
pub struct ClientRow {
    pub id: String,
    pub name: String,
    pub kind: String,
    pub secret_hash: Option<Vec<u8>>,
    pub redirect_uris: String,
    pub grant_types: String,
    pub scope: String,
    pub may_introspect: bool,
    pub created_at: i64,
}

impl IntoDomain for ClientRow {
    type Domain = OAuthClient;

    fn into_domain(self) -> Result<OAuthClient, StoreError> {
        let grant_names: Vec<String> =
            serde_json::from_str(&self.grant_types).map_err(|_| corrupt("client grant types"))?;
        Ok(OAuthClient {
            id: self.id,
            name: self.name,
            kind: ClientKind::parse(&self.kind).ok_or_else(|| corrupt("client kind"))?,
            secret_hash: self
                .secret_hash
                .as_deref()
                .map(|h| hash(h, "client secret"))
                .transpose()?,
            redirect_uris: serde_json::from_str(&self.redirect_uris)
                .map_err(|_| corrupt("client redirect URIs"))?,
            grant_types: grant_names
                .iter()
                .map(|g| GrantType::parse(g).ok_or_else(|| corrupt("client grant type")))
                .collect::<Result<_, _>>()?,
            scope: scope(&self.scope)?,
            may_introspect: self.may_introspect,
            created_at: UnixTime(self.created_at),
        })
    }
}

/// The columns of [`FamilyRow`] from `oauth_families f`, as a literal for `concat!`.
#[doc(hidden)]
#[macro_export]
macro_rules! family_columns {
    () => {
        "f.id AS family_id, f.client_id, f.subject, f.scope AS family_scope, \
         f.created_at AS family_created_at, f.revoked_at AS family_revoked_at"
    };
}

#[derive(Debug, FromRow)]
pub struct FamilyRow {
    pub family_id: String,
    pub client_id: String,
    pub subject: String,
    pub family_scope: String,
    pub family_created_at: i64,
    pub family_revoked_at: Option<i64>,
}

impl FamilyRow {
    fn into_domain(self) -> Result<TokenFamily, StoreError> {
        Ok(TokenFamily {
            id: self.family_id,
            client_id: self.client_id,
            subject: self.subject,
            scope: scope(&self.family_scope)?,
            created_at: UnixTime(self.family_created_at),
            revoked_at: self.family_revoked_at.map(UnixTime),
        })
    }
}

/// A refresh token `r` with its family `f`.
#[derive(Debug, FromRow)]
pub struct RefreshRow {
    pub hash: Vec<u8>,
    pub access_hash: Vec<u8>,
    pub state: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub idle_expires_at: i64,
    pub used_at: Option<i64>,
    pub successor_hash: Option<Vec<u8>>,
    pub successor_sealed: Option<Vec<u8>>,
    #[sqlx(flatten)]
    pub family: FamilyRow,
}

impl IntoDomain for RefreshRow {
    type Domain = RefreshTokenRecord;

    fn into_domain(self) -> Result<RefreshTokenRecord, StoreError> {
        Ok(RefreshTokenRecord {
            hash: hash(&self.hash, "refresh hash")?,
            access_hash: hash(&self.access_hash, "access hash")?,
            state: match self.state.as_str() {
                "active" => RefreshState::Active,
                "used" => RefreshState::Used,
                "revoked" => RefreshState::Revoked,
                _ => return Err(corrupt("refresh state")),
            },
            created_at: UnixTime(self.created_at),
            expires_at: UnixTime(self.expires_at),
            idle_expires_at: UnixTime(self.idle_expires_at),
            used_at: self.used_at.map(UnixTime),
            successor_hash: self
                .successor_hash
                .as_deref()
                .map(|h| hash(h, "successor"))
                .transpose()?,
            successor_sealed: self.successor_sealed,
            family: self.family.into_domain()?,
        })
    }
}

/// An access token `a` with its family `f`.
#[derive(Debug, FromRow)]
pub struct AccessRow {
    pub scope: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub revoked_at: Option<i64>,
    #[sqlx(flatten)]
    pub family: FamilyRow,
}

impl IntoDomain for AccessRow {
    type Domain = AccessTokenInfo;

    fn into_domain(self) -> Result<AccessTokenInfo, StoreError> {
        Ok(AccessTokenInfo {
            scope: scope(&self.scope)?,
            created_at: UnixTime(self.created_at),
            expires_at: UnixTime(self.expires_at),
            revoked_at: self.revoked_at.map(UnixTime),
            family: self.family.into_domain()?,
        })
    }
}

/// The columns of [`AuthorizationRow`], for SELECTs from `oauth_authorizations`, as a literal
/// for `concat!`.
#[doc(hidden)]
#[macro_export]
macro_rules! authorization_columns {
    () => {
        "id, interaction_id, nonce, client_id, redirect_uri, scope, state, code_challenge, status, \
         subject, family_id, code_hash, code_expires_at, created_at, expires_at"
    };
}

#[derive(Debug, FromRow)]
pub struct AuthorizationRow {
    pub id: String,
    pub interaction_id: String,
    pub nonce: String,
    pub client_id: String,
    pub redirect_uri: String,
    pub scope: String,
    pub state: Option<String>,
    pub code_challenge: Option<String>,
    pub status: String,
    pub subject: Option<String>,
    pub family_id: Option<String>,
    pub code_hash: Option<Vec<u8>>,
    pub code_expires_at: Option<i64>,
    pub created_at: i64,
    pub expires_at: i64,
}

impl IntoDomain for AuthorizationRow {
    type Domain = AuthorizationRequest;

    fn into_domain(self) -> Result<AuthorizationRequest, StoreError> {
        let status = match (self.status.as_str(), self.subject, self.family_id) {
            ("pending", None, None) => AuthorizationStatus::Pending,
            ("rejected", None, None) => AuthorizationStatus::Rejected,
            ("approved", Some(subject), None) => AuthorizationStatus::Approved { subject },
            ("issued", Some(subject), Some(family_id)) => {
                AuthorizationStatus::Issued { subject, family_id }
            }
            _ => return Err(corrupt("authorization status")),
        };
        Ok(AuthorizationRequest {
            id: self.id,
            interaction_id: self.interaction_id,
            nonce: self.nonce,
            client_id: self.client_id,
            redirect_uri: self.redirect_uri,
            scope: scope(&self.scope)?,
            state: self.state,
            code_challenge: self.code_challenge,
            status,
            code_hash: self
                .code_hash
                .as_deref()
                .map(|h| hash(h, "code"))
                .transpose()?,
            code_expires_at: self.code_expires_at.map(UnixTime),
            created_at: UnixTime(self.created_at),
            expires_at: UnixTime(self.expires_at),
        })
    }
}

#[derive(Debug, FromRow)]
pub struct AuditRow {
    pub id: i64,
    pub at: i64,
    pub kind: String,
    pub protocol: String,
    pub client: Option<String>,
    pub subject: Option<String>,
    pub reference: Option<String>,
}

impl From<AuditRow> for AuditEvent {
    fn from(row: AuditRow) -> AuditEvent {
        AuditEvent {
            id: row.id,
            at: UnixTime(row.at),
            kind: row.kind,
            protocol: row.protocol,
            client: row.client,
            subject: row.subject,
            reference: row.reference,
        }
    }
}
