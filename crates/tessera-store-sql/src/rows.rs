//! Mapping between SQL rows and the domain model, the same for every SQL backend. Enums are
//! stored as short lowercase words (checked by the schema), access items and JWKs as JSON text,
//! hashes as bytes, times as Unix seconds. The `FromRow` derives are generic over the database.

use sqlx::FromRow;
use tessera_core::UnixTime;
use tessera_core::grant::{ClientIdentity, Finalization, Grant, GrantState};
use tessera_core::secret::TokenHash;
use tessera_core::store::StoreError;
use tessera_core::token::{AccessTokenRecord, TokenStatus, TokenWithGrant};

#[derive(Debug, FromRow)]
pub struct GrantRow {
    pub id: String,
    pub state: String,
    pub finalization: Option<String>,
    pub client_wallet_address: Option<String>,
    pub client_jwk: Option<String>,
    pub access: String,
    pub continue_id: String,
    pub continue_token_hash: Vec<u8>,
    pub created_at: i64,
}

#[derive(Debug, FromRow)]
pub struct TokenWithGrantRow {
    manage_id: String,
    grant_id: String,
    value_hash: Vec<u8>,
    status: String,
    token_created_at: i64,
    expires_at: i64,
    #[sqlx(flatten)]
    grant: GrantRow,
}

fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt(what.to_owned())
}

impl GrantRow {
    pub fn from_domain(grant: &Grant) -> Result<GrantRow, StoreError> {
        let (state, finalization) = match grant.state {
            GrantState::Pending => ("pending", None),
            GrantState::Approved => ("approved", None),
            GrantState::Finalized(Finalization::Issued) => ("finalized", Some("issued")),
            GrantState::Finalized(Finalization::Rejected) => ("finalized", Some("rejected")),
            GrantState::Finalized(Finalization::Revoked) => ("finalized", Some("revoked")),
        };
        let (client_wallet_address, client_jwk) = match &grant.client {
            ClientIdentity::WalletAddress(url) => (Some(url.clone()), None),
            ClientIdentity::Jwk(jwk) => (
                None,
                Some(serde_json::to_string(jwk).map_err(|e| StoreError::Backend(e.to_string()))?),
            ),
        };
        Ok(GrantRow {
            id: grant.id.clone(),
            state: state.to_owned(),
            finalization: finalization.map(str::to_owned),
            client_wallet_address,
            client_jwk,
            access: serde_json::to_string(&grant.access)
                .map_err(|e| StoreError::Backend(e.to_string()))?,
            continue_id: grant.continue_id.clone(),
            continue_token_hash: grant.continue_token_hash.as_bytes().to_vec(),
            created_at: grant.created_at.0,
        })
    }

    pub fn into_domain(self) -> Result<Grant, StoreError> {
        let state = match (self.state.as_str(), self.finalization.as_deref()) {
            ("pending", None) => GrantState::Pending,
            ("approved", None) => GrantState::Approved,
            ("finalized", Some("issued")) => GrantState::Finalized(Finalization::Issued),
            ("finalized", Some("rejected")) => GrantState::Finalized(Finalization::Rejected),
            ("finalized", Some("revoked")) => GrantState::Finalized(Finalization::Revoked),
            _ => return Err(corrupt("grant state")),
        };
        let client = match (self.client_wallet_address, self.client_jwk) {
            (Some(url), None) => ClientIdentity::WalletAddress(url),
            (None, Some(jwk)) => ClientIdentity::Jwk(
                serde_json::from_str(&jwk).map_err(|_| corrupt("grant client jwk"))?,
            ),
            _ => return Err(corrupt("grant client")),
        };
        Ok(Grant {
            id: self.id,
            state,
            client,
            access: serde_json::from_str(&self.access).map_err(|_| corrupt("grant access"))?,
            continue_id: self.continue_id,
            continue_token_hash: TokenHash::from_slice(&self.continue_token_hash)
                .ok_or_else(|| corrupt("continuation token hash"))?,
            created_at: UnixTime(self.created_at),
        })
    }
}

impl TokenWithGrantRow {
    pub fn into_domain(self) -> Result<TokenWithGrant, StoreError> {
        let status = match self.status.as_str() {
            "active" => TokenStatus::Active,
            "rotated" => TokenStatus::Rotated,
            "revoked" => TokenStatus::Revoked,
            _ => return Err(corrupt("token status")),
        };
        Ok(TokenWithGrant {
            token: AccessTokenRecord {
                manage_id: self.manage_id,
                grant_id: self.grant_id,
                value_hash: TokenHash::from_slice(&self.value_hash)
                    .ok_or_else(|| corrupt("token hash"))?,
                created_at: UnixTime(self.token_created_at),
                expires_at: UnixTime(self.expires_at),
                status,
            },
            grant: self.grant.into_domain()?,
        })
    }
}
